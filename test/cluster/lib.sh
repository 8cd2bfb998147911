# Shared by the harness scripts: where things are, and bounded waits that say why they failed.
# Sourced, not run.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
state="${CLUSTER_DIR:-$root/.cluster}"
bin="$here/bin"
kubeconfig="$state/kubeconfig"

log() { echo "cluster: $*" >&2; }
die() { echo "cluster: error: $*" >&2; exit 1; }
alive() { [ -f "$state/$1.pid" ] && kill -0 "$(cat "$state/$1.pid")" 2>/dev/null; }
tail_log() { echo "---- last lines of $state/$1.log ----" >&2; tail -n 25 "$state/$1.log" >&2 || true; }

free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

# wait_until SECONDS NAME COMMAND...: polls COMMAND every 0.2 s; gives up with the NAME's log tail.
wait_until() {
  local limit=$1 name=$2; shift 2
  local deadline=$(( $(date +%s) + limit ))
  until "$@" >/dev/null 2>&1; do
    alive "$name" || { tail_log "$name"; die "$name exited while starting"; }
    [ "$(date +%s)" -lt "$deadline" ] || { tail_log "$name"; die "$name not ready after ${limit}s"; }
    sleep 0.2
  done
}

k() { "$bin/kubectl" --kubeconfig "$kubeconfig" "$@"; }
