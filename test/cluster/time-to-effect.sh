#!/usr/bin/env bash
# time-to-effect.sh SERVICE -n NS [--subsets base,canary] [--runs 10] [--window 300] [--tolerance 5] [-o text|json]
#
# How long the data plane takes to follow a weight change: for each run a `traffic --until` client (one
# long-lived xDS client calling without pause) warms up, then the change is made and timed from the start
# of its command. Two figures per run, in ms from the command's start: `effect`, when the first window of
# calls that matches the new weights began, and `seen`, when that window was complete. The weights of the
# second subset cycle 10 → 50 → 90 → 50 → 10 ...
#
# The change is `kubectl patch` of VirtualService SERVICE (one route, two weighted subsets) unless
# EFFECT_CMD is set: a command line in which {weight} is the second subset's new weight and {rest} the
# first's, e.g. EFFECT_CMD='bin/kubectl-gray set-weight mocka canary={weight} -n shop'.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
service="" ns=default subsets=base,canary runs=10 window=300 tolerance=5 output=text
while [ $# -gt 0 ]; do
  case "$1" in
    -n|--namespace) ns=$2; shift ;;
    --subsets) subsets=$2; shift ;;
    --runs) runs=$2; shift ;;
    --window) window=$2; shift ;;
    --tolerance) tolerance=$2; shift ;;
    -o) output=$2; shift ;;
    -*) die "unknown flag $1" ;;
    *) service=$1 ;;
  esac
  shift
done
[ -n "$service" ] || die "usage: time-to-effect.sh SERVICE -n NS [--subsets a,b] [--runs N]"
a=${subsets%%,*} b=${subsets#*,}

change() { # change WEIGHT-OF-B
  local w=$1 rest=$((100 - $1))
  if [ -n "${EFFECT_CMD:-}" ]; then
    local cmd=${EFFECT_CMD//\{weight\}/$w}; cmd=${cmd//\{rest\}/$rest}
    (cd "$root" && eval "$cmd") >/dev/null
  else
    k patch virtualservice "$service" -n "$ns" --type merge -p "{\"spec\":{\"http\":[{\"route\":[
      {\"destination\":{\"host\":\"$service\",\"subset\":\"$a\"},\"weight\":$rest},
      {\"destination\":{\"host\":\"$service\",\"subset\":\"$b\"},\"weight\":$w}]}]}}" >/dev/null
  fi
}

steps=(50 90 50 10)
change 10; sleep 1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
effects=() seens=()
for i in $(seq 1 "$runs"); do
  w=${steps[$(( (i - 1) % ${#steps[@]} ))]}
  out="$tmp/run$i"
  "$here/traffic" "$service" -n "$ns" --until "$a=$((100 - w)),$b=$w" --tolerance "$tolerance" --window "$window" \
    --max-wait 60s -o json > "$out" &
  pid=$!
  deadline=$(( $(date +%s) + 60 ))
  until grep -q '"warm"' "$out" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || die "traffic exited before warming up: $(cat "$out")"
    [ "$(date +%s)" -lt "$deadline" ] || die "traffic did not warm up"
    sleep 0.05
  done
  t0=$(date +%s%3N)
  change "$w"
  wait "$pid" || die "run $i: the split did not follow ($b=$w): $(tail -1 "$out")"
  read -r effect seen < <(node -e '
    const [file, t0] = process.argv.slice(1);
    const m = require("fs").readFileSync(file, "utf8").trim().split("\n").map(JSON.parse).find(e => e.event === "matched");
    console.log(Math.max(0, m.windowStartMs - t0), m.atMs - t0);' "$out" "$t0")
  effects+=("$effect"); seens+=("$seen")
  [ "$output" = json ] || echo "run $i: $b → $w %: effect ${effect} ms, seen ${seen} ms"
done

node -e '
  const [output, e, s] = process.argv.slice(1);
  const stat = xs => { xs = xs.split(" ").map(Number).sort((p, q) => p - q);
    const mid = xs.length >> 1; return { median: xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2, worst: xs[xs.length - 1], runs: xs.length }; };
  const r = { effectMs: stat(e), seenMs: stat(s) };
  if (output === "json") console.log(JSON.stringify(r));
  else console.log(`time to effect over ${r.effectMs.runs} weight changes: median ${r.effectMs.median} ms, worst ${r.effectMs.worst} ms (seen: median ${r.seenMs.median} ms, worst ${r.seenMs.worst} ms)`);
' "$output" "${effects[*]}" "${seens[*]}"
