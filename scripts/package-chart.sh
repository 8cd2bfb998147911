#!/usr/bin/env bash
# Packages the Helm chart as a release ships it: dist/chart/kubectl-gray-<version>.tgz, its version and
# appVersion the project's (package.json), its image pinned to the digest of the image built beside it
# (dist/image, scripts/build-image.mjs). helm comes from the local cluster's build (test/cluster/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
helm=test/cluster/bin/helm
[ -x "$helm" ] || { echo "package-chart: $helm is missing; run make cluster-build" >&2; exit 1; }
[ -f dist/image/index.json ] || { echo "package-chart: no image in dist/image; run make image" >&2; exit 1; }
version=$(node -p 'require("./package.json").version')
digest=$(node -p 'JSON.parse(require("fs").readFileSync("dist/image/index.json", "utf8")).manifests[0].digest')
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -r charts/kubectl-gray "$stage/"
# The one line values.yaml documents for it; fail rather than ship a chart that follows a moving tag.
grep -q '^  digest: ""$' "$stage/kubectl-gray/values.yaml" || { echo "package-chart: image.digest not found in values.yaml" >&2; exit 1; }
sed -i "s/^  digest: \"\"$/  digest: \"$digest\"/" "$stage/kubectl-gray/values.yaml"
mkdir -p dist/chart
rm -f dist/chart/*.tgz
HELM_CACHE_HOME="$stage/cache" HELM_CONFIG_HOME="$stage/config" \
  "$helm" package "$stage/kubectl-gray" --version "$version" --app-version "$version" --destination dist/chart >/dev/null
echo "dist/chart/kubectl-gray-$version.tgz (image $digest)"
