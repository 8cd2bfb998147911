#!/usr/bin/env bash
# Stops istiod started by istiod-up.sh and removes Istio's validation webhook first (it is fail-closed
# once istiod adopts it: left behind, it would refuse every Istio object). The cluster keeps running.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
if [ -f "$kubeconfig" ]; then
  k delete validatingwebhookconfiguration istio-validator-istio-system --ignore-not-found >/dev/null 2>&1
  k delete service istiod -n istio-system --ignore-not-found >/dev/null 2>&1
  k delete endpointslice istiod-host -n istio-system --ignore-not-found >/dev/null 2>&1
fi
if [ -f "$state/istiod.pid" ]; then
  pid=$(cat "$state/istiod.pid")
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$state/istiod.pid" "$state/istiod-xds-port" "$state/istiod-http-port" "$state/istiod-webhook-port"
fi
exit 0
