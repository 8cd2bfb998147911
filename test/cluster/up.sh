#!/usr/bin/env bash
# Starts a one-node local cluster: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, a
# registry holding the release's webhook image and chart (registry-up.sh), and a node (containerd + runc, the
# CNI bridge, kubelet, kube-proxy) running pods from images assembled here or pulled from that registry;
# Istio's and the Gateway API's CRDs applied and established; the admission webhook registered; kubeconfig at
# $CLUSTER_DIR/kubeconfig (default .cluster/kubeconfig). Safe to run twice. Every wait is bounded; a
# failure prints the log tail of the process that failed. `down.sh` undoes all of it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$here/node-config.sh"

[ "$(id -u)" -eq 0 ] || die "the local node (containerd, kubelet, iptables) needs root; run as root"
for tool in containerd runc ctr iptables conntrack ip; do
  command -v "$tool" >/dev/null || die "$tool is missing; 'make cluster-up' installs it from Debian's packages (make node-packages)"
done

"$here/build.sh"
"$here/images/build.sh"

components=(etcd kube-apiserver kube-controller-manager kube-scheduler registry containerd kubelet kube-proxy)
running() { local c; for c in "${components[@]}"; do alive "$c" || return 1; done; }
if running && [ -f "$kubeconfig" ] && k get --raw /readyz >/dev/null 2>&1; then
  "$here/registry-up.sh"
  if [ "${CLUSTER_NO_ISTIOD:-}" != 1 ] && ! alive istiod; then "$here/istiod-up.sh"; fi
  if [ "${CLUSTER_NO_WEBHOOK:-}" != 1 ] && ! alive webhook; then "$here/webhook-up.sh"; fi
  log "already running ($kubeconfig)"
  exit 0
fi

# One node per host: refuse clearly while another cluster's node holds the host-global resources.
if [ -f "$NODE_LOCK" ]; then
  owner=$(cat "$NODE_LOCK")
  if [ "$owner" != "$state" ] && [ -f "$owner/kubelet.pid" ] && kill -0 "$(cat "$owner/kubelet.pid")" 2>/dev/null; then
    die "another local cluster runs a node on this host (CLUSTER_DIR=$owner): its bridge $NODE_BRIDGE, pod range $POD_CIDR and iptables chains are in use. Stop it first: CLUSTER_DIR=$owner $here/down.sh"
  fi
  CLUSTER_DIR="$owner" "$here/down.sh" >/dev/null 2>&1 || true
fi
"$here/down.sh" >/dev/null 2>&1 || true
mkdir -p "$state/etcd-data" "$state/certs"
echo "$state" > "$NODE_LOCK"
# Paths the kubelet and containerd cannot be told to put elsewhere: removed on down if we make them.
for path in /var/lib/kubelet /var/log/pods /var/log/containers /run/containerd; do
  [ -e "$path" ] || echo "$path"
done > "$state/created-paths"
start_ns=$(date +%s%N)

# ---- host network: what we change is saved first and restored by down.sh --------------------------
for s in net.ipv4.ip_forward vm.overcommit_memory kernel.panic kernel.panic_on_oops net.bridge.bridge-nf-call-iptables; do
  echo "$s=$(sysctl -n "$s")"
done > "$state/sysctls.saved"
sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
ip link add "$NODE_BRIDGE" type bridge
ip addr add "$NODE_IP/32" dev "$NODE_BRIDGE"
ip link set "$NODE_BRIDGE" up
# A Service address leads somewhere only through kube-proxy's rules. Here the default route would carry a
# connection made before they are written out of the host, and this machine's network answers it (HTTP 404 over
# any TLS) where a real one would drop it: a keep-alive pool then keeps that answer for good. So what kube-proxy
# has not rewritten (DNAT runs before the filter table) is refused, as for a Service without endpoints.
iptables -N GRAY-SERVICE-CIDR 2>/dev/null || iptables -F GRAY-SERVICE-CIDR
iptables -A GRAY-SERVICE-CIDR -d "$SERVICE_CIDR" -p tcp -j REJECT --reject-with tcp-reset
iptables -A GRAY-SERVICE-CIDR -d "$SERVICE_CIDR" -j REJECT
for chain in OUTPUT FORWARD; do iptables -C "$chain" -j GRAY-SERVICE-CIDR 2>/dev/null || iptables -A "$chain" -j GRAY-SERVICE-CIDR; done

# ---- control plane ----------------------------------------------------------------------------------
read -r etcd_port peer_port api_port kubelet_port kubelet_healthz_port proxy_healthz_port proxy_metrics_port <<< "$(free_ports 7)"
echo "$api_port" > "$state/api-port"

start etcd "$bin/etcd" --name default --data-dir "$state/etcd-data" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-cluster "default=http://127.0.0.1:$peer_port" --unsafe-no-fsync --log-level warn
wait_until 60 etcd curl -sf "http://127.0.0.1:$etcd_port/health"

# Identities: one token per component (the node's in system:nodes for the Node authorizer); one RSA key
# signs and verifies service-account tokens.
tok() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
admin_token=$(tok); node_token=$(tok); cm_token=$(tok); sched_token=$(tok); proxy_token=$(tok)
cat > "$state/certs/tokens.csv" <<CSV
$admin_token,admin,admin-uid,"system:masters"
$node_token,system:node:$NODE_NAME,node-uid,"system:nodes"
$cm_token,system:kube-controller-manager,cm-uid
$sched_token,system:kube-scheduler,sched-uid
$proxy_token,system:kube-proxy,proxy-uid
CSV
openssl genrsa -out "$state/certs/sa.key" 2048 2>/dev/null
# The API server's CA and serving certificate: valid for loopback (host kubeconfigs), the node IP and the
# kubernetes Service's ClusterIP (pods), so every client verifies it.
certs="$state/certs"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$certs/ca.key" -out "$certs/ca.crt" -days 30 \
  -subj /CN=kubectl-gray-local-ca 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$certs/apiserver.key" -out "$certs/apiserver.csr" -subj /CN=kube-apiserver 2>/dev/null
openssl x509 -req -in "$certs/apiserver.csr" -CA "$certs/ca.crt" -CAkey "$certs/ca.key" -CAcreateserial -days 30 \
  -out "$certs/apiserver.crt" -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' \
  "IP:127.0.0.1,IP:$NODE_IP,IP:${SERVICE_CIDR%.*}.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local") 2>/dev/null

# The front proxy: the API server's client certificate towards aggregated APIs (the webhook's route query), and
# the CA those APIs verify it with (published in kube-system/extension-apiserver-authentication).
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$certs/front-proxy-ca.key" -out "$certs/front-proxy-ca.crt" -days 30 \
  -subj /CN=kubectl-gray-local-front-proxy-ca 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$certs/front-proxy-client.key" -out "$certs/front-proxy-client.csr" -subj /CN=front-proxy-client 2>/dev/null
openssl x509 -req -in "$certs/front-proxy-client.csr" -CA "$certs/front-proxy-ca.crt" -CAkey "$certs/front-proxy-ca.key" -CAcreateserial \
  -days 30 -out "$certs/front-proxy-client.crt" -extfile <(printf 'extendedKeyUsage=clientAuth\n') 2>/dev/null

# The audit log: who wrote Istio's and the Gateway API's routes, with the admission webhooks' audit annotations
# (Metadata level keeps them; the request bodies stay out).
cat > "$state/audit-policy.yaml" <<'YAML'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  resources:
  - {group: networking.istio.io, resources: [virtualservices, destinationrules]}
  - {group: gateway.networking.k8s.io, resources: [httproutes, grpcroutes]}
- level: None
YAML

# Pods reach the API server as the kubernetes Service (a lease-reconciled endpoint on the node IP), so
# it listens beyond loopback; kubeconfigs on the host keep using 127.0.0.1.
start kube-apiserver "$bin/kube-apiserver" \
  --audit-policy-file "$state/audit-policy.yaml" --audit-log-path "$state/audit.log" --audit-log-maxsize 100 --audit-log-maxbackup 1 \
  --etcd-servers "http://127.0.0.1:$etcd_port" \
  --bind-address 0.0.0.0 --secure-port "$api_port" \
  --advertise-address "$NODE_IP" --endpoint-reconciler-type lease \
  --tls-cert-file "$certs/apiserver.crt" --tls-private-key-file "$certs/apiserver.key" \
  --service-cluster-ip-range "$SERVICE_CIDR" \
  --service-account-issuer "https://kubernetes.default.svc" \
  --service-account-key-file "$state/certs/sa.key" \
  --service-account-signing-key-file "$state/certs/sa.key" \
  --token-auth-file "$state/certs/tokens.csv" \
  --authorization-mode Node,RBAC \
  --enable-admission-plugins NodeRestriction \
  --kubelet-preferred-address-types InternalIP,Hostname \
  --allow-privileged=true \
  --requestheader-client-ca-file "$certs/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
  --requestheader-username-headers X-Remote-User --requestheader-uid-headers X-Remote-Uid \
  --requestheader-group-headers X-Remote-Group --requestheader-extra-headers-prefix X-Remote-Extra- \
  --proxy-client-cert-file "$certs/front-proxy-client.crt" --proxy-client-key-file "$certs/front-proxy-client.key"
wait_until 90 kube-apiserver curl -skf -H "Authorization: Bearer $admin_token" "https://127.0.0.1:$api_port/readyz"

write_kubeconfig "$kubeconfig" admin "$admin_token"
write_kubeconfig "$state/kubelet.kubeconfig" "system:node:$NODE_NAME" "$node_token"
write_kubeconfig "$state/kube-controller-manager.kubeconfig" kube-controller-manager "$cm_token"
write_kubeconfig "$state/kube-scheduler.kubeconfig" kube-scheduler "$sched_token"
write_kubeconfig "$state/kube-proxy.kubeconfig" kube-proxy "$proxy_token"

wait_until 30 kube-apiserver k get namespace default
k apply --server-side --force-conflicts -f "$bin/istio-crds.yaml" > "$state/crds.log"
k apply --server-side --force-conflicts -f "$bin/gateway-api-crds.yaml" >> "$state/crds.log"
# kube-proxy's identity is bound to its role by the bootstrap policy; kube-system exists already.

start kube-controller-manager "$bin/kube-controller-manager" \
  --kubeconfig "$state/kube-controller-manager.kubeconfig" \
  --authentication-kubeconfig "$state/kube-controller-manager.kubeconfig" \
  --authorization-kubeconfig "$state/kube-controller-manager.kubeconfig" \
  --leader-elect=false --use-service-account-credentials \
  --service-account-private-key-file "$state/certs/sa.key" \
  --root-ca-file "$certs/ca.crt" \
  --cluster-cidr "$POD_CIDR" --service-cluster-ip-range "$SERVICE_CIDR" \
  --controllers '*,-csrsigning,-csrapproving,-csrcleaner,-nodeipam,-bootstrapsigner,-tokencleaner' \
  --secure-port 0
start kube-scheduler "$bin/kube-scheduler" \
  --kubeconfig "$state/kube-scheduler.kubeconfig" \
  --authentication-kubeconfig "$state/kube-scheduler.kubeconfig" \
  --authorization-kubeconfig "$state/kube-scheduler.kubeconfig" \
  --leader-elect=false --secure-port 0

# ---- the registry the node pulls the webhook image from, with the release published to it ------------
"$here/registry-up.sh"

# ---- the node ---------------------------------------------------------------------------------------
write_containerd_config
start containerd containerd --config "$state/containerd/config.toml" --log-level warn
wait_until 30 containerd ctr_ version
for image in "$bin"/images/*.tar; do ctr_ images import --no-unpack=false "$image" >/dev/null; done

write_kubelet_config
start kubelet "$bin/kubelet" \
  --config "$state/kubelet/config.yaml" \
  --kubeconfig "$state/kubelet.kubeconfig" \
  --root-dir "$state/kubelet/root" --cert-dir "$state/kubelet/pki" \
  --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" \
  --v 1
write_kube_proxy_config
start kube-proxy "$bin/kube-proxy" --config "$state/kube-proxy.yaml"

k wait --for condition=established --timeout 60s -f "$bin/istio-crds.yaml" -f "$bin/gateway-api-crds.yaml" >> "$state/crds.log"
k create namespace istio-system --dry-run=client -o yaml | k apply -f - >/dev/null
node_ready() { [ "$(k get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" = True ]; }
wait_until 120 kubelet node_ready
# Pods need their namespace's default ServiceAccount, which the controller manager makes.
wait_until 60 kube-controller-manager k get serviceaccount default -n default
echo "$kubelet_port" > "$state/kubelet-port"

# istiod beside the cluster (a host process, like the API server): it reads what kubectl gray writes and
# serves it over xDS to the proxyless gRPC workloads; its validation webhook judges Istio objects too.
if [ "${CLUSTER_NO_ISTIOD:-}" != 1 ]; then
  "$here/istiod-up.sh"
fi
if [ "${CLUSTER_NO_WEBHOOK:-}" != 1 ]; then
  "$here/webhook-up.sh"
fi
elapsed_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
log "ready in $((elapsed_ms / 1000)).$(( (elapsed_ms % 1000) / 100 ))s, node $NODE_NAME Ready: export KUBECONFIG=$kubeconfig"
