#!/usr/bin/env bash
# Time to effect (make bench-mesh): from the start of a `kubectl gray set-weight` to the data plane
# following it, median and worst over repeated weight changes, on the local cluster's istiod and pods.
# Not a test: it prints figures. Needs `make cluster-up`. RUNS=N for more changes (default 10).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
export KUBECONFIG="${KUBECONFIG:-$root/.cluster/kubeconfig}"
k() { "$root/test/cluster/bin/kubectl" "$@"; }
ns=bench-mesh
k create namespace "$ns" --dry-run=client -o yaml | k apply -f - >/dev/null
k wait --for=jsonpath='{.metadata.name}'=default serviceaccount/default -n "$ns" --timeout 60s >/dev/null
k apply -n "$ns" -f "$root/test/fixtures/bookinfo.yaml" >/dev/null
k rollout status deployment reviews-v1 -n "$ns" --timeout 300s >/dev/null
k rollout status deployment reviews-v2 -n "$ns" --timeout 300s >/dev/null
"$root/bin/kubectl-gray" set-weight reviews v2=10 -n "$ns" >/dev/null
EFFECT_CMD="$root/bin/kubectl-gray set-weight reviews v2={weight} -n $ns" \
  "$root/test/cluster/time-to-effect.sh" reviews -n "$ns" --subsets v1,v2 --runs "${RUNS:-10}" "$@"
k delete namespace "$ns" --wait=false >/dev/null
