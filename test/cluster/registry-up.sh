#!/usr/bin/env bash
# Starts the CNCF distribution registry (bin/registry, build-release-tools.sh) on a free loopback port beside
# the cluster, publishes the release's webhook image and chart to it, and points the node's containerd at it
# for ghcr.io (the chart's default image registry), as an air-gapped cluster mirrors a public one.
#
#   $state/registry-port   127.0.0.1:<it> serves plain HTTP (containerd and helm use plain HTTP for loopback)
#   ghcr.io/kubectl-gray/webhook:<version> and @<digest>   pulled by the node through the mirror
#   oci://127.0.0.1:<port>/charts/kubectl-gray --version <version>   the chart, for helm install, and the earlier
#                          releases' charts kept in test/fixtures/charts (the upgrade test starts from one)
#
# The image and chart come from dist/image and dist/chart (make chart); without them the registry starts empty.
# Safe to run twice: a running registry keeps its port and content; the release is pushed again (same digests).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
"$here/build-release-tools.sh"

if ! alive registry; then
  port=$(free_ports 1)
  mkdir -p "$state/registry"
  cat > "$state/registry.yml" <<YAML
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $state/registry}
  delete: {enabled: true}
http:
  addr: 127.0.0.1:$port
  debug: {addr: ""}
YAML
  echo "$port" > "$state/registry-port"
  OTEL_TRACES_EXPORTER=none start registry "$bin/registry" serve "$state/registry.yml"
  wait_until 30 registry curl -sf "http://127.0.0.1:$port/v2/"
fi
port=$(cat "$state/registry-port")

# containerd re-reads these files on every pull: the mirror works as soon as they are written.
mkdir -p "$state/containerd/certs.d/ghcr.io"
cat > "$state/containerd/certs.d/ghcr.io/hosts.toml" <<TOML
server = "https://ghcr.io"
[host."http://127.0.0.1:$port"]
  capabilities = ["pull", "resolve"]
TOML

version=$(node -p 'require(process.argv[1]).version' "$root/package.json")
if [ -f "$root/dist/image/index.json" ]; then
  "$bin/crane" push --insecure "$root/dist/image" "127.0.0.1:$port/kubectl-gray/webhook:$version" >/dev/null 2>"$state/registry-push.log" \
    || { cat "$state/registry-push.log" >&2; die "pushing the webhook image to the local registry failed"; }
fi
# This release's chart, and earlier releases' charts, which the end-to-end suite upgrades from (test/fixtures/charts).
for chart in "$root/dist/chart/kubectl-gray-$version.tgz" "$root"/test/fixtures/charts/kubectl-gray-*.tgz; do
  [ -f "$chart" ] || continue
  HELM_CACHE_HOME="$state/helm/cache" HELM_CONFIG_HOME="$state/helm/config" \
    "$bin/helm" push "$chart" "oci://127.0.0.1:$port/charts" --plain-http >/dev/null 2>>"$state/registry-push.log" \
    || { cat "$state/registry-push.log" >&2; die "pushing $chart to the local registry failed"; }
done
log "registry on 127.0.0.1:$port (mirror of ghcr.io for the node): webhook image and chart $version published"
