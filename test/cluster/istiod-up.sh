#!/usr/bin/env bash
# Starts istiod (bin/istiod, built by build-istio.sh) out of cluster against the local API server, and
# registers Istio's own validation webhook. Safe to run twice (a running istiod is restarted).
#
#   istio-system namespace   created if missing (without it istiod's /ready stays 503)
#   ports                    free loopback ports unless ISTIOD_XDS_PORT / ISTIOD_HTTP_PORT / ISTIOD_WEBHOOK_PORT
#                            are set; plaintext xDS listens on every address (pods reach it on the node IP)
#   $state/istiod-xds-port   pods: ISTIOD_XDS_ADDR=<node IP>:<it>; host tools: 127.0.0.1:<it>
#   $state/istiod-http-port  GET /ready, /debug/... (configz, adsz, config_dump?proxyID=...)
#   $state/istiod-webhook-port  https://localhost:<it>/validate (Istio's validation)
#   $state/istiod.{pid,log}
#
# On a cluster with a node (lib.sh sets NODE_IP) pods reach istiod through a selectorless Service with a
# fixed ClusterIP, istiod.istio-system = ${ISTIOD_CLUSTER_IP:-10.89.128.10}:15010, whose endpoint is the host
# process on NODE_IP:<xds port>: pod specs can say ISTIOD_XDS_ADDR=10.89.128.10:15010 whatever port istiod
# got (there is no cluster DNS, so a name would not resolve).
#
# No CA (ENABLE_CA_SERVER=false: no istio-ca-root-cert ConfigMaps or CA Secret are written anywhere);
# the webhook server's certificate is made here (localhost) and handed over as files. ISTIO_VALIDATION=0
# skips the webhook registration; ISTIO_VALIDATION_NAMESPACE=NS limits it to one namespace (for trying
# istiod out beside a cluster that others are using).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
"$here/build-istio.sh"
[ -f "$kubeconfig" ] || die "no cluster ($kubeconfig); run test/cluster/up.sh first"

if alive istiod; then
  pid=$(cat "$state/istiod.pid")
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
fi

read -r xds_port http_port webhook_port secure_port monitoring_port ctrlz_port <<< "$(free_ports 6)"
xds_port=${ISTIOD_XDS_PORT:-$xds_port}
http_port=${ISTIOD_HTTP_PORT:-$http_port}
webhook_port=${ISTIOD_WEBHOOK_PORT:-$webhook_port}
echo "$xds_port" > "$state/istiod-xds-port"
echo "$http_port" > "$state/istiod-http-port"
echo "$webhook_port" > "$state/istiod-webhook-port"

k create namespace istio-system --dry-run=client -o yaml | k apply -f - >/dev/null

# The webhook's serving certificate: a throwaway CA and a leaf for localhost, kept for the cluster's life.
certs="$state/istiod-certs"
if [ ! -f "$certs/tls.crt" ]; then
  mkdir -p "$certs"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=istiod-local-ca" \
    -keyout "$certs/ca.key" -out "$certs/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$certs/tls.key" -out "$certs/tls.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,DNS:istiod.istio-system.svc,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$certs/ext.cnf"
  openssl x509 -req -in "$certs/tls.csr" -CA "$certs/ca.crt" -CAkey "$certs/ca.key" -CAcreateserial -days 30 \
    -extfile "$certs/ext.cnf" -out "$certs/tls.crt" 2>/dev/null
fi

# istiod reads ./etc/istio/... relative to its working directory: give it an empty one.
mkdir -p "$state/istiod-work"
(
  cd "$state/istiod-work"
  POD_NAMESPACE=istio-system POD_NAME=istiod-local REVISION=default ENABLE_CA_SERVER=false \
  ISTIOD_CUSTOM_HOST=localhost CLUSTER_ID=Kubernetes \
  exec setsid "$bin/istiod" discovery \
    --kubeconfig "$kubeconfig" --registries Kubernetes \
    --grpcAddr ":$xds_port" --httpAddr "127.0.0.1:$http_port" --httpsAddr ":$webhook_port" \
    --secureGRPCAddr "127.0.0.1:$secure_port" --monitoringAddr "127.0.0.1:$monitoring_port" \
    --ctrlz_address 127.0.0.1 --ctrlz_port "$ctrlz_port" \
    --caCertFile "$certs/ca.crt" --tlsCertFile "$certs/tls.crt" --tlsKeyFile "$certs/tls.key" \
    --shutdownDuration 1s --log_output_level "${ISTIOD_LOG_LEVEL:-default:info}" \
    > "$state/istiod.log" 2>&1 < /dev/null
) &
echo $! > "$state/istiod.pid"
start=$(date +%s%N)
wait_until 60 istiod curl -sf "http://127.0.0.1:$http_port/ready"

if [ -n "${NODE_IP:-}" ]; then
  k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Service
metadata: {name: istiod, namespace: istio-system, labels: {app: istiod}}
spec:
  clusterIP: ${ISTIOD_CLUSTER_IP:-10.89.128.10}
  ports: [{name: grpc-xds, port: 15010, targetPort: $xds_port, protocol: TCP, appProtocol: grpc}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: istiod-host
  namespace: istio-system
  labels: {kubernetes.io/service-name: istiod, endpointslice.kubernetes.io/managed-by: kubectl-gray-harness}
addressType: IPv4
ports: [{name: grpc-xds, port: $xds_port, protocol: TCP, appProtocol: grpc}]
endpoints: [{addresses: ["$NODE_IP"], conditions: {ready: true}}]
YAML
fi

if [ "${ISTIO_VALIDATION:-1}" != 0 ]; then
  # Labelled with istiod's revision, so istiod takes it over: it fills in caBundle and, once it has seen
  # itself reject an invalid object, switches failurePolicy to Fail.
  k apply -f - >/dev/null <<YAML
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: istio-validator-istio-system
  labels: {istio.io/rev: default, app: istiod}
webhooks:
- name: rev.validation.istio.io
  admissionReviewVersions: [v1]
  sideEffects: None
  timeoutSeconds: 10
  failurePolicy: Ignore
  clientConfig: {url: "https://localhost:$webhook_port/validate"}
$( [ -z "${ISTIO_VALIDATION_NAMESPACE:-}" ] || echo "  namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: $ISTIO_VALIDATION_NAMESPACE}}")
  rules:
  - apiGroups: [security.istio.io, networking.istio.io, telemetry.istio.io, extensions.istio.io]
    apiVersions: ["*"]
    resources: ["*"]
    operations: [CREATE, UPDATE]
    scope: "*"
YAML
  # Bounded wait for istiod to adopt it (caBundle set, failurePolicy Fail). Limited to one namespace it
  # stays Ignore: istiod's self-test object (a dummy invalid Gateway in istio-system) never reaches it.
  adopted() {
    if [ -n "${ISTIO_VALIDATION_NAMESPACE:-}" ]; then
      [ -n "$(k get validatingwebhookconfiguration istio-validator-istio-system -o jsonpath='{.webhooks[0].clientConfig.caBundle}')" ]
    else
      [ "$(k get validatingwebhookconfiguration istio-validator-istio-system -o jsonpath='{.webhooks[0].failurePolicy}')" = Fail ]
    fi
  }
  wait_until 30 istiod adopted
fi
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
log "istiod ready in $((elapsed_ms / 1000)).$(( (elapsed_ms % 1000) / 100 ))s: xDS :$xds_port (ISTIOD_XDS_ADDR), http 127.0.0.1:$http_port, webhook :$webhook_port"
