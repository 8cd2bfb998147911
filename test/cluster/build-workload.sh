#!/usr/bin/env bash
# Builds the mesh tools from test/cluster/workload (a Go module of its own) into test/cluster/bin:
#   workload  the image of every test pod (static, CGO_ENABLED=0)
#   traffic   the traffic harness (test/cluster/traffic wraps it)
#   xds-dump  the config-level xDS probe (test/cluster/xds-dump wraps it)
# Rebuilds only when the module's sources change: a stamp records what was built.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p bin
stamp=$( (cd workload && find . -name '*.go' -o -name go.mod -o -name go.sum | LC_ALL=C sort | xargs cat) \
  | cat - build-workload.sh | sha256sum | cut -c1-16)
if [ -f bin/.stamp-workload ] && [ "$(cat bin/.stamp-workload)" = "$stamp" ] \
   && [ -x bin/workload ] && [ -x bin/traffic ] && [ -x bin/xds-dump ]; then
  exit 0
fi
start=$(date +%s)
echo "cluster: building workload, traffic and xds-dump (about 2 minutes cold on 2 cores)" >&2
(cd workload && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o ../bin/ ./cmd/workload ./cmd/traffic ./cmd/xds-dump)
echo "$stamp" > bin/.stamp-workload
echo "cluster: mesh tools built in $(( $(date +%s) - start ))s" >&2
