#!/usr/bin/env bash
# Assembles the local cluster's images as OCI archives in test/cluster/bin/images (no registry, no engine):
#   registry.k8s.io/pause:3.10           the pause binary built from the Kubernetes module's pause.c
#   registry.local/gray-workload:dev     the project's test workload (test/cluster/workload)
#   ghcr.io/kubectl-gray/webhook:dev     the webhook: the machine's node + the built project, laid out as
#                                        the Dockerfile lays it out (/app, dist/{core,kube,webhook}, prod deps)
# Each is rebuilt only when its inputs change. `import.sh` loads them into the node's containerd.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
out="$bin/images"
mkdir -p "$out"
oci="$here/images/oci-image.mjs"

# stamp NAME INPUTS...: true when the archive is up to date with the hash of its inputs.
fresh() {
  local name=$1; shift
  local want; want=$(cat "$@" "$here/images/build.sh" "$oci" | sha256sum | cut -c1-16)
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

# The webhook: what the Dockerfile's final stage holds, with the machine's node instead of node:20-alpine.
main="$root/dist/webhook/main.js"
[ -f "$main" ] || die "webhook not built ($main); run make build"
node_bin=$(command -v node)
inputs=("$node_bin" "$root/package-lock.json" $(find "$root/dist/core" "$root/dist/kube" "$root/dist/webhook" -type f | sort))
if ! fresh webhook "${inputs[@]}"; then
  rootfs=$(mktemp -d)
  mkdir -p "$rootfs/usr/local/bin" "$rootfs/app/dist" "$rootfs/etc/ssl" "$rootfs/tmp"
  chmod 1777 "$rootfs/tmp"
  install -m 755 "$node_bin" "$rootfs/usr/local/bin/node"
  # The shared libraries node links against, at the paths the loader looks for them.
  for lib in $(ldd "$node_bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
    mkdir -p "$rootfs$(dirname "$lib")"; cp -L "$lib" "$rootfs$lib"
  done
  cp -rL /etc/ssl/certs "$rootfs/etc/ssl/certs"
  printf 'root:x:0:0::/root:/bin/false\nnonroot:x:65532:65532::/app:/bin/false\n' > "$rootfs/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' > "$rootfs/etc/group"
  cp "$root/package.json" "$root/package-lock.json" "$rootfs/app/"
  (cd "$rootfs/app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  rm -f "$rootfs/app/package-lock.json"
  cp -r "$root/dist/core" "$root/dist/kube" "$root/dist/webhook" "$rootfs/app/dist/"
  node "$oci" --name "$WEBHOOK_IMAGE" --rootfs "$rootfs" --out "$out/webhook.tar" \
    --entrypoint '["node", "/app/dist/webhook/main.js"]' --cmd '["serve"]' --env NODE_ENV=production \
    --workdir /app --user 65532:65532 >&2
  rm -rf "$rootfs"; done_stamp webhook
fi
