#!/usr/bin/env bash
# Starts the admission webhook from the working tree (dist/, so `make build` first) on a free port with
# certificates from its own `certs` command, and registers it with the local API server through a real
# ValidatingWebhookConfiguration and MutatingWebhookConfiguration (at loopback), and its route query through an
# APIService whose Service has the node IP as its one endpoint (an APIService can only name a Service).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
main="$root/dist/webhook/main.js"
[ -f "$main" ] || die "webhook not built ($main); run make build"

if alive webhook; then
  kill -TERM -- "-$(cat "$state/webhook.pid")" 2>/dev/null || true
  sleep 0.5
fi
port=$(free_ports 1)
echo "$port" > "$state/webhook-port"
service=kubectl-gray-harness
node "$main" certs --out "$state/webhook-certs" --dns "localhost,$service.kubectl-gray-system.svc" --ip "127.0.0.1,$NODE_IP" >/dev/null

# The admin policy CRDs, as the chart installs them.
"$bin/helm" template harness "$root/charts/kubectl-gray" --show-only templates/policy-crds.yaml | k apply --server-side --force-conflicts -f - >/dev/null
k wait --for condition=established --timeout 60s crd/clustergraypolicies.policy.kubectl-gray.io crd/graypolicies.policy.kubectl-gray.io >/dev/null

setsid node "$main" serve --host 0.0.0.0 --port "$port" --route-query --gateway-api \
  --policy-objects --default-policy-name kubectl-gray-harness-default \
  --cert-file "$state/webhook-certs/tls.crt" --key-file "$state/webhook-certs/tls.key" \
  --policy "${WEBHOOK_POLICY:-$here/webhook-policy.yaml}" --kubeconfig "$kubeconfig" --route-index ${WEBHOOK_ARGS:-} \
  --shutdown-delay-seconds 0 \
  > "$state/webhook.log" 2>&1 < /dev/null &
echo $! > "$state/webhook.pid"

# Ready once its caches are listed: seconds, or a minute and more with 100,000 objects on a busy machine.
wait_until 180 webhook curl -sf --cacert "$state/webhook-certs/ca.crt" "https://127.0.0.1:$port/readyz"

ca=$(base64 -w0 < "$state/webhook-certs/ca.crt")
policy_file="${WEBHOOK_POLICY:-$here/webhook-policy.yaml}"
# Published on the configuration as JSON, as the chart does, so kubectl gray applies it locally too.
policy_json=$(cd "$root" && node -e 'process.stdout.write(JSON.stringify(JSON.stringify(require("js-yaml").load(require("fs").readFileSync(process.argv[1], "utf8")) ?? {})))' "$policy_file")
k create namespace kubectl-gray-system --dry-run=client -o yaml | k apply -f - >/dev/null
# The cluster's own namespaces and the webhook's are never sent to it; a namespace can opt out by label.
selector='namespaceSelector:
    matchExpressions:
    - {key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system, kubectl-gray-system]}
    - {key: kubectl-gray.io/webhook, operator: NotIn, values: [disabled]}'
# Both mutating entries fail open and are never called twice.
mutating="admissionReviewVersions: [v1]
  sideEffects: None
  matchPolicy: Equivalent
  timeoutSeconds: 5
  failurePolicy: Ignore
  reinvocationPolicy: Never
  clientConfig: {url: \"https://127.0.0.1:$port/mutate\", caBundle: \"$ca\"}"
# The validating entries (Istio's objects; the Gateway API's routes and Service deletes; the policy objects) fail
# closed, and record Events for what admin policy lets through (never on a dry run).
validating="admissionReviewVersions: [v1]
  sideEffects: NoneOnDryRun
  matchPolicy: Equivalent
  timeoutSeconds: 5
  failurePolicy: Fail
  clientConfig: {url: \"https://127.0.0.1:$port/validate\", caBundle: \"$ca\"}
  $selector"
k apply -f - >/dev/null <<YAML
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: kubectl-gray-harness
  labels: {kubectl-gray.io/policy: "true"}
  annotations: {kubectl-gray.io/policy: $policy_json}
webhooks:
- name: istio.validate.kubectl-gray.io
  $validating
  rules:
  - apiGroups: [networking.istio.io]
    apiVersions: ["*"]
    resources: [virtualservices, destinationrules]
    operations: [CREATE, UPDATE, DELETE]
    scope: Namespaced
- name: gateway.validate.kubectl-gray.io
  $validating
  rules:
  - apiGroups: [gateway.networking.k8s.io]
    apiVersions: ["*"]
    resources: [httproutes, grpcroutes]
    operations: [CREATE, UPDATE]
    scope: Namespaced
  - apiGroups: [""]
    apiVersions: [v1]
    resources: [services]
    operations: [DELETE]
    scope: Namespaced
- name: policy.validate.kubectl-gray.io
  $validating
  rules:
  - apiGroups: [policy.kubectl-gray.io]
    apiVersions: ["*"]
    resources: [clustergraypolicies, graypolicies]
    operations: [CREATE, UPDATE]
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: kubectl-gray-harness}
webhooks:
- name: deployments.mutate.kubectl-gray.io
  $mutating
  $selector
  rules:
  - apiGroups: [apps]
    apiVersions: [v1]
    resources: [deployments]
    operations: [CREATE]
    scope: Namespaced
# The route index's labels, as the chart keeps them: every namespace, never blocking a write.
- name: routes.mutate.kubectl-gray.io
  $mutating
  rules:
  - apiGroups: [networking.istio.io]
    apiVersions: ["*"]
    resources: [virtualservices]
    operations: [CREATE, UPDATE]
    scope: Namespaced
YAML
# The route query: the API server proxies /apis/query.kubectl-gray.io/... to the Service, i.e. to this process.
k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Service
metadata: {name: $service, namespace: kubectl-gray-system}
spec:
  ports: [{name: https, port: 443, targetPort: $port, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: $service
  namespace: kubectl-gray-system
  labels: {kubernetes.io/service-name: $service, endpointslice.kubernetes.io/managed-by: kubectl-gray-harness}
addressType: IPv4
ports: [{name: https, port: $port, protocol: TCP}]
endpoints: [{addresses: ["$NODE_IP"], conditions: {ready: true}}]
YAML
# Registered once the Service's address leads here (kube-proxy has written its rules), so that the API server's
# first check of the APIService finds it available rather than retrying later.
cluster_ip=$(k get service -n kubectl-gray-system "$service" -o jsonpath='{.spec.clusterIP}')
dns="$service.kubectl-gray-system.svc"
through_service() { curl -sf --cacert "$state/webhook-certs/ca.crt" --resolve "$dns:443:$cluster_ip" "https://$dns/readyz" >/dev/null; }
wait_until 60 kube-proxy through_service
k apply -f - >/dev/null <<YAML
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1alpha1.query.kubectl-gray.io}
spec:
  group: query.kubectl-gray.io
  version: v1alpha1
  service: {name: $service, namespace: kubectl-gray-system, port: 443}
  caBundle: "$ca"
  groupPriorityMinimum: 1000
  versionPriority: 15
YAML
k wait --for condition=Available --timeout 90s apiservice/v1alpha1.query.kubectl-gray.io >/dev/null \
  || die "the route query's APIService is not Available: $(k get apiservice v1alpha1.query.kubectl-gray.io -o jsonpath='{.status.conditions[0].message}')"
log "webhook on https://127.0.0.1:$port registered (log: $state/webhook.log)"
