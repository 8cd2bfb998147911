#!/usr/bin/env bash
# Starts a local control plane: etcd + kube-apiserver on free loopback ports, Istio's CRDs applied and
# established, kubeconfig at .cluster/kubeconfig. Safe to run twice. Every wait is bounded; a failure
# prints the log tail of the process that failed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

"$here/build.sh"

if alive etcd && alive kube-apiserver && [ -f "$kubeconfig" ] \
   && "$bin/kubectl" --kubeconfig "$kubeconfig" get --raw /readyz >/dev/null 2>&1; then
  if [ -x "$here/webhook-up.sh" ] && [ "${CLUSTER_NO_WEBHOOK:-}" != 1 ] && ! alive webhook; then
    "$here/webhook-up.sh"
  fi
  log "already running ($kubeconfig)"
  exit 0
fi
"$here/down.sh" >/dev/null 2>&1 || true
mkdir -p "$state/etcd-data" "$state/certs"
start=$(date +%s%N)

etcd_port=$(free_port); peer_port=$(free_port); api_port=$(free_port)
echo "$api_port" > "$state/api-port"

setsid "$bin/etcd" --name default --data-dir "$state/etcd-data" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-cluster "default=http://127.0.0.1:$peer_port" --unsafe-no-fsync --log-level warn \
  > "$state/etcd.log" 2>&1 < /dev/null &
echo $! > "$state/etcd.pid"
wait_until 30 etcd curl -sf "http://127.0.0.1:$etcd_port/health"

# Identity: one admin token in system:masters; one RSA key signs and verifies service-account tokens.
token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$token,admin,admin-uid,\"system:masters\"" > "$state/certs/tokens.csv"
openssl genrsa -out "$state/certs/sa.key" 2048 2>/dev/null

setsid "$bin/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$etcd_port" \
  --bind-address 127.0.0.1 --secure-port "$api_port" \
  --advertise-address 127.0.0.1 --endpoint-reconciler-type none \
  --cert-dir "$state/certs" \
  --service-cluster-ip-range 10.0.0.0/24 \
  --service-account-issuer "https://127.0.0.1:$api_port/" \
  --service-account-key-file "$state/certs/sa.key" \
  --service-account-signing-key-file "$state/certs/sa.key" \
  --token-auth-file "$state/certs/tokens.csv" \
  --authorization-mode RBAC \
  --disable-admission-plugins ServiceAccount \
  --allow-privileged=true \
  > "$state/kube-apiserver.log" 2>&1 < /dev/null &
echo $! > "$state/kube-apiserver.pid"
wait_until 60 kube-apiserver curl -skf -H "Authorization: Bearer $token" "https://127.0.0.1:$api_port/readyz"

# The self-signed serving certificate kube-apiserver wrote is its own CA.
ca=$(base64 -w0 < "$state/certs/apiserver.crt")
cat > "$kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority-data: $ca
users:
- name: admin
  user:
    token: $token
contexts:
- name: local
  context: {cluster: local, user: admin, namespace: default}
current-context: local
KUBECONFIG
chmod 600 "$kubeconfig"

wait_until 30 kube-apiserver k get namespace default
k apply --server-side --force-conflicts -f "$bin/istio-crds.yaml" > "$state/crds.log"
k wait --for condition=established --timeout 60s -f "$bin/istio-crds.yaml" >> "$state/crds.log"
k create namespace istio-system --dry-run=client -o yaml | k apply -f - >/dev/null

if [ -x "$here/webhook-up.sh" ] && [ "${CLUSTER_NO_WEBHOOK:-}" != 1 ]; then
  "$here/webhook-up.sh"
fi
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
log "ready in $((elapsed_ms / 1000)).$(( (elapsed_ms % 1000) / 100 ))s: export KUBECONFIG=$kubeconfig"
