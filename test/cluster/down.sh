#!/usr/bin/env bash
# Stops what up.sh started and removes its state (the built binaries stay in test/cluster/bin).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
[ -d "$state" ] || exit 0
for name in webhook kube-apiserver etcd; do
  pidfile="$state/$name.pid"
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  # setsid made each process a group leader: end the whole group.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
done
rm -rf "$state"
log "stopped"
