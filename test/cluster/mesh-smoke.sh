#!/usr/bin/env bash
# A mesh smoke test that needs no node: istiod (istiod-up.sh) + workloads run as host processes on
# loopback addresses, registered as WorkloadEntries that the Services select. Checks, through istiod:
#   a 90/10 weighted route splits 2,000 calls 90/10 (±3 points); a header route takes every marked call
#   and no unmarked one; a lane across a 3-hop chain whose last hop has no canary goes
#   canary > canary > base with no errors; a mirror policy reaches the route istiod sends (xds-dump).
# Everything is made in namespace $MESH_NS (mesh-smoke) and removed at the end. MESH_SETUP_ONLY=1 stops
# after starting the workloads and leaves them running (pids in $state/mesh-smoke/) for trying things by hand.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ns=${MESH_NS:-mesh-smoke}
"$here/build-workload.sh"
alive istiod && [ -f "$state/istiod-xds-port" ] || die "istiod is not running; start it with test/cluster/istiod-up.sh"
xds="127.0.0.1:$(cat "$state/istiod-xds-port")"
export ISTIOD_XDS_ADDR=$xds
run="$state/mesh-smoke"
mkdir -p "$run"

cleanup() {
  for f in "$run"/*.pid; do [ -f "$f" ] && kill -TERM -- "-$(cat "$f")" 2>/dev/null; rm -f "$f"; done
  [ "${MESH_KEEP:-}" = 1 ] || k delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
}
trap cleanup EXIT

# name app version ip grpc-port http-port [NEXT] (ports are free ones, so two runs can share the host)
workloads=()
i=11
read -r -a ports <<< "$(free_ports 10)"
for spec in "mocka base mockb" "mocka canary mockb" "mockb base mockc" "mockb canary mockc" "mockc base"; do
  read -r app version next <<< "$spec"
  workloads+=("$app-$version $app $version 127.0.0.$i ${ports[2*(i-11)]} ${ports[2*(i-11)+1]} ${next:+$next.$ns.svc.cluster.local:8080}")
  i=$((i+1))
done

k create namespace "$ns" --dry-run=client -o yaml | k apply -f - >/dev/null
{
  for app in mocka mockb mockc; do
    cat <<YAML
apiVersion: v1
kind: Service
metadata: {name: $app, namespace: $ns}
spec: {selector: {app: $app}, ports: [{name: grpc, port: 8080, targetPort: 9090, appProtocol: grpc}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: $app, namespace: $ns}
spec: {host: $app, subsets: [{name: base, labels: {version: base}}, {name: canary, labels: {version: canary}}]}
---
YAML
  done
  for w in "${workloads[@]}"; do
    read -r name app version ip gport _ <<< "$w"
    cat <<YAML
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: $name, namespace: $ns}
spec: {address: $ip, labels: {app: $app, version: $version}, ports: {grpc: $gport}}
---
YAML
  done
} | k apply -f - >/dev/null

for w in "${workloads[@]}"; do
  read -r name app version ip gport hport next <<< "$w"
  APP=$app VERSION=$version POD_NAME=$name POD_NAMESPACE=$ns POD_IP=$ip GRPC_PORT=$gport HTTP_PORT=$hport \
    NEXT=${next:-} FORWARD_HEADERS=my-request-id setsid "$bin/workload" > "$run/$name.log" 2>&1 < /dev/null &
  echo $! > "$run/$name.pid"
done
for w in "${workloads[@]}"; do
  read -r name _ _ _ _ hport _ <<< "$w"
  deadline=$(( $(date +%s) + 20 ))
  until curl -sf "http://127.0.0.1:$hport/readyz" >/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || { cat "$run/$name.log" >&2; die "$name did not start"; }
    sleep 0.2
  done
done

if [ "${MESH_SETUP_ONLY:-}" = 1 ]; then
  trap - EXIT
  log "workloads running in $ns (pids in $run); stop them with: kill -- -\$(cat $run/NAME.pid)"
  exit 0
fi

vs() { # vs APP HTTP-ROUTES-YAML
  k apply -f - >/dev/null <<YAML
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: $1, namespace: $ns}
spec:
  hosts: [$1]
  http:
$2
YAML
}
# json_get JSON EXPR: evaluates a JavaScript expression over r (the parsed JSON).
json_get() { node -e 'const r = JSON.parse(process.argv[1]); console.log(eval(process.argv[2]))' "$1" "$2"; }
fails=0
check() { # check NAME CONDITION-RESULT(true|false) DETAIL
  if [ "$2" = true ]; then log "ok   $1 ($3)"; else log "FAIL $1 ($3)"; fails=$((fails+1)); fi
}
# traffic until istiod's push reached a fresh client: the first run after a change may predate it.
settle() { sleep "${MESH_SETTLE:-1}"; }

# 1. Weighted split.
vs mockc '  - route: [{destination: {host: mockc, subset: base}}]'
vs mockb '  - route: [{destination: {host: mockb, subset: base}}]'
vs mocka '  - route: [{destination: {host: mocka, subset: base}, weight: 90}, {destination: {host: mocka, subset: canary}, weight: 10}]'
settle
out=$("$here/traffic" mocka -n "$ns" --count 2000 -o json)
canary=$(json_get "$out" '(100 * (r.versions.canary || 0) / r.calls).toFixed(1)')
check "90/10 split" "$(json_get "$out" "r.errors === 0 && Math.abs($canary - 10) <= 3")" "canary $canary % of $(json_get "$out" r.calls), errors $(json_get "$out" r.errors)"

# 2. Header route: marked calls all canary, unmarked all base.
lane='  - match: [{headers: {my-request-id: {exact: lane-1}}}]
    route: [{destination: {host: HOST, subset: canary}}]
  - route: [{destination: {host: HOST, subset: base}}]'
vs mocka "${lane//HOST/mocka}"
settle
marked=$("$here/traffic" mocka -n "$ns" --count 1000 -H my-request-id:lane-1 -o json)
unmarked=$("$here/traffic" mocka -n "$ns" --count 1000 -o json)
check "header route" "$(json_get "$marked" 'r.versions.canary === 1000')" "marked: $(json_get "$marked" 'JSON.stringify(r.versions)')"
check "unmarked unchanged" "$(json_get "$unmarked" 'r.versions.base === 1000')" "unmarked: $(json_get "$unmarked" 'JSON.stringify(r.versions)')"

# 3. Lane across three hops; mockc has no canary.
vs mockb "${lane//HOST/mockb}"
settle
marked=$("$here/traffic" mocka -n "$ns" --count 1000 -H my-request-id:lane-1 -o json)
unmarked=$("$here/traffic" mocka -n "$ns" --count 1000 -o json)
check "lane marked" "$(json_get "$marked" 'r.errors === 0 && r.chains["mocka:canary > mockb:canary > mockc:base"] === 1000')" "$(json_get "$marked" 'JSON.stringify(r.chains)') errors $(json_get "$marked" r.errors)"
check "lane unmarked" "$(json_get "$unmarked" 'r.errors === 0 && r.chains["mocka:base > mockb:base > mockc:base"] === 1000')" "$(json_get "$unmarked" 'JSON.stringify(r.chains)')"

# 4. Mirror: configuration only (proxyless gRPC ignores it).
vs mockc '  - route: [{destination: {host: mockc, subset: base}}]
    mirror: {host: mockc, subset: canary}
    mirrorPercentage: {value: 25}'
settle
dump=$("$here/xds-dump" --node sidecar -n "$ns" --labels app=probe --type rds -o json)
check "mirror in route" "$(json_get "$dump" 'r.routes.some(rc => rc.virtualHosts.some(vh => vh.routes.some(rt => (rt.mirrors || []).some(m => m.cluster === "outbound|8080|canary|mockc.'"$ns"'.svc.cluster.local" && m.percent === 25))))')" "sidecar RDS"

[ "$fails" = 0 ] || die "$fails mesh check(s) failed (logs in $run)"
log "mesh smoke: all checks passed"
