#!/usr/bin/env bash
# Starts the admission webhook from the working tree (dist/, so `make build` first) on a free loopback
# port with certificates from its own `certs` command, and registers it with the local API server
# through a real ValidatingWebhookConfiguration and MutatingWebhookConfiguration.
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
node "$main" certs --out "$state/webhook-certs" --dns localhost --ip 127.0.0.1 >/dev/null

setsid node "$main" serve --host 127.0.0.1 --port "$port" \
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
k apply -f - >/dev/null <<YAML
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: kubectl-gray-harness
  labels: {kubectl-gray.io/policy: "true"}
  annotations: {kubectl-gray.io/policy: $policy_json}
webhooks:
- name: istio.validate.kubectl-gray.io
  admissionReviewVersions: [v1]
  sideEffects: None
  matchPolicy: Equivalent
  timeoutSeconds: 5
  failurePolicy: Fail
  clientConfig: {url: "https://127.0.0.1:$port/validate", caBundle: "$ca"}
  $selector
  rules:
  - apiGroups: [networking.istio.io]
    apiVersions: ["*"]
    resources: [virtualservices, destinationrules]
    operations: [CREATE, UPDATE, DELETE]
    scope: Namespaced
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: kubectl-gray-harness}
webhooks:
- name: deployments.mutate.kubectl-gray.io
  admissionReviewVersions: [v1]
  sideEffects: None
  matchPolicy: Equivalent
  timeoutSeconds: 5
  failurePolicy: Ignore
  reinvocationPolicy: Never
  clientConfig: {url: "https://127.0.0.1:$port/mutate", caBundle: "$ca"}
  $selector
  rules:
  - apiGroups: [apps]
    apiVersions: [v1]
    resources: [deployments]
    operations: [CREATE]
    scope: Namespaced
# The route index's labels, as the chart keeps them: every namespace, never blocking a write.
- name: routes.mutate.kubectl-gray.io
  admissionReviewVersions: [v1]
  sideEffects: None
  matchPolicy: Equivalent
  timeoutSeconds: 5
  failurePolicy: Ignore
  reinvocationPolicy: Never
  clientConfig: {url: "https://127.0.0.1:$port/mutate", caBundle: "$ca"}
  rules:
  - apiGroups: [networking.istio.io]
    apiVersions: ["*"]
    resources: [virtualservices]
    operations: [CREATE, UPDATE]
    scope: Namespaced
YAML
log "webhook on https://127.0.0.1:$port registered (log: $state/webhook.log)"
