#!/usr/bin/env bash
# Assembles the local cluster's images as OCI archives in test/cluster/bin/images (no registry, no engine):
#   registry.k8s.io/pause:3.10           the pause binary built from the Kubernetes module's pause.c
#   registry.local/gray-workload:dev     the project's test workload (test/cluster/workload)
# (The webhook's image is the release's, scripts/build-image.mjs, pulled from the local registry: registry-up.sh.)
# Each is rebuilt only when its inputs change. `import.sh` loads them into the node's containerd.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
out="$bin/images"
mkdir -p "$out"
oci="$here/images/oci-image.mjs"

# stamp NAME INPUTS...: true when the archive is up to date with the hash of its inputs.
fresh() {
  local name=$1; shift
  local want; want=$(cat "$@" "$here/images/build.sh" "$oci" "$root/scripts/oci.mjs" | sha256sum | cut -c1-16)
  [ -f "$out/$name.tar" ] && [ "$(cat "$out/$name.stamp" 2>/dev/null)" = "$want" ] && return 0
  echo "$want" > "$out/$name.want"
  return 1
}
done_stamp() { mv "$out/$1.want" "$out/$1.stamp"; }

if ! fresh pause "$bin/pause"; then
  rootfs=$(mktemp -d); install -m 755 "$bin/pause" "$rootfs/pause"
  node "$oci" --name "$PAUSE_IMAGE" --rootfs "$rootfs" --out "$out/pause.tar" --entrypoint '["/pause"]' >&2
  rm -rf "$rootfs"; done_stamp pause
fi

"$here/build-workload.sh"
if ! fresh workload "$bin/workload"; then
  rootfs=$(mktemp -d); install -m 755 "$bin/workload" "$rootfs/workload"
  node "$oci" --name "$WORKLOAD_IMAGE" --rootfs "$rootfs" --out "$out/workload.tar" --entrypoint '["/workload"]' --user 65532:65532 >&2
  rm -rf "$rootfs"; done_stamp workload
fi
