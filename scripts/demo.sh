#!/usr/bin/env bash
# The newcomer's tour (make demo): Bookinfo's reviews service taken through blue-green, a 10% canary,
# a per-user canary, a mirror, a rollback and an admin policy with kubectl gray, on the local one-node cluster: the
# Deployments' pods really run (the project's test workload), and status counts their real readiness.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export KUBECONFIG="${KUBECONFIG:-$root/.cluster/kubeconfig}"
export PATH="$root/bin:$root/test/cluster/bin:$PATH"   # kubectl-gray first, then the harness's kubectl
ns=bookinfo

bold() { if [ -t 1 ]; then printf '\n\033[1m%s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi; }
run() { printf '$ %s\n' "$*"; "$@"; }
# What the data plane does: 1,000 gRPC calls through istiod to the pods, counted by the version that answered.
# istiod pushes a change within about a second; the pause lets a fresh client see it.
traffic() { sleep 1; printf '$ test/cluster/traffic %s\n' "$*"; "$root/test/cluster/traffic" "$@" || true; }
status() {
  run kubectl gray status reviews -n "$ns" || true
  traffic reviews -n "$ns" --count 1000
}

# wait_rollout NS DEPLOYMENT...: until each Deployment's pods run and pass their readiness probe.
wait_rollout() {
  local n=$1; shift
  for d in "$@"; do kubectl rollout status deployment "$d" -n "$n" --timeout 300s >/dev/null; done
}

bold "Bookinfo in namespace $ns: reviews v1, v2, v3, each a Deployment whose pod runs on the node"
kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl wait --for=jsonpath='{.metadata.name}'=default serviceaccount/default -n "$ns" --timeout 60s >/dev/null
kubectl apply -n "$ns" -f "$root/test/fixtures/bookinfo.yaml" >/dev/null
wait_rollout "$ns" reviews-v1 reviews-v2 reviews-v3
run kubectl get pods -n "$ns" -o wide
# Start from the shipped state even when the demo ran before.
kubectl annotate vs reviews -n "$ns" kubectl-gray.io/stable-subset- kubectl-gray.io/history- >/dev/null
status

bold "1. Blue-green: all of reviews to v2 at once"
run kubectl gray switch reviews v2 -n "$ns"
status

bold "   ... and back to v1, the stable subset recorded when the release started"
run kubectl gray rollback reviews -n "$ns"

bold "2. Weighted canary: v2 gets 10%, v1 keeps the rest"
run kubectl gray set-weight reviews v2=10 -n "$ns"
status

bold "   A mistake is refused before it reaches the cluster (v4 is not a subset of reviews)"
run kubectl gray set-weight reviews v4=10 -n "$ns" || echo "(exit code $?)"

bold "3. Per-user canary: jason gets v3, everyone else stays where they are"
run kubectl gray match-header reviews end-user=jason --subset v3 -n "$ns"
status
traffic reviews -n "$ns" --count 1000 -H end-user:jason

bold "4. Mirror: a copy of 20% of live traffic goes to v3, its answers thrown away"
run kubectl gray mirror reviews v3 --percent 20 -n "$ns"
status

bold "5. Rollback: match routes and mirror removed, 100% back on v1"
run kubectl gray rollback reviews -n "$ns"
status

bold "Every change is in the history, one command from undone"
run kubectl gray history reviews -n "$ns"

bold "6. Admin policy: the rules of releasing, as objects an admin applies once"
kubectl label namespace "$ns" kubectl-gray.io/demo-env=prod --overwrite >/dev/null
cat > "$root/.cluster/demo-policy.yaml" <<YAML
apiVersion: policy.kubectl-gray.io/v1alpha1
kind: ClusterGrayPolicy
metadata: {name: demo-prod}
spec:
  namespaceSelector: {matchLabels: {kubectl-gray.io/demo-env: prod}}
  maxWeightStep: 20
YAML
run kubectl apply -f "$root/.cluster/demo-policy.yaml"
run kubectl gray policy explain reviews -n "$ns"
bold "   A step of 50 points is refused before anything is written, with the steps that fit"
run kubectl gray set-weight reviews v2=50 -n "$ns" || echo "(exit code $?)"
run kubectl gray set-weight reviews v2=20 -n "$ns"
bold "   Would a weekend freeze in Berlin stop the next step on a Saturday? Ask before the policy exists"
cat > "$root/.cluster/demo-weekend.yaml" <<YAML
apiVersion: policy.kubectl-gray.io/v1alpha1
kind: ClusterGrayPolicy
metadata: {name: demo-weekend}
spec:
  freezeWindows: [{schedule: "0 18 * * 5", duration: 62h, timeZone: Europe/Berlin, reason: weekend}]
YAML
run kubectl gray policy test -f "$root/.cluster/demo-weekend.yaml" --at 2027-03-27T10:00:00+01:00 -- set-weight reviews v2=40 -n "$ns" || echo "(exit code $?)"
bold "   Going back is always allowed"
run kubectl gray rollback reviews -n "$ns"
kubectl delete -f "$root/.cluster/demo-policy.yaml" >/dev/null
kubectl label namespace "$ns" kubectl-gray.io/demo-env- >/dev/null

# ---------------------------------------------------------------------------------------------------
ns=chain
bold "Full-link gray on a layout as real clusters have it: mocka (reached through a Gateway VirtualService with"
bold "hosts \"*\" and a mesh one) calls mockb; vs-*/dr-* names, subsets version-base, Deployments <app>-base by app only"
kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl wait --for=jsonpath='{.metadata.name}'=default serviceaccount/default -n "$ns" --timeout 60s >/dev/null
kubectl apply -n "$ns" -f "$root/test/fixtures/shapes/gateway-star.yaml" >/dev/null
# Start clean when the demo ran before.
kubectl gray lane delete demo -n "$ns" >/dev/null 2>&1 || true
for s in mocka mockb; do kubectl gray canary "$s-base" --delete --subset version-canary -n "$ns" >/dev/null 2>&1 || true; done
wait_rollout "$ns" mocka-base mockb-base
run kubectl gray status mocka -n "$ns"

bold "6. A canary of each service: a new Deployment and a 'version-canary' subset (subset first, make-before-break)"
# The canaries run the project's test workload too (the only image on the node), answering as version canary.
run kubectl gray canary mocka-base --image registry.local/gray-workload:dev --subset version-canary -n "$ns"
run kubectl gray canary mockb-base --image registry.local/gray-workload:dev --subset version-canary -n "$ns"
wait_rollout "$ns" mocka-canary mockb-canary
run kubectl get pods -n "$ns" -L version

bold "   A lane: requests with my-request-id: canary stay on canary through the whole chain, on every way in"
run kubectl gray lane create demo --header my-request-id=canary --services mocka,mockb --subset version-canary -n "$ns"
run kubectl gray lane status demo -n "$ns" || true

bold "7. Colour at the gate: agent: pc is marked canary, everyone else base (Lua generated, not written)"
run kubectl gray color demo-pc --when agent=pc --set my-request-id=canary --else my-request-id=base --dry-run=client -o yaml
run kubectl gray color demo-pc --when agent=pc --set my-request-id=canary --else my-request-id=base

bold "   Undo, in safe order: lane routes, then subsets, then workloads"
run kubectl gray color delete demo-pc
run kubectl gray lane delete demo -n "$ns"
run kubectl gray canary mocka-base --delete --subset version-canary -n "$ns"
run kubectl gray canary mockb-base --delete --subset version-canary -n "$ns"

printf '\nDone. Try it yourself: export KUBECONFIG=%s PATH=%s/bin:$PATH\n' "$KUBECONFIG" "$root"
