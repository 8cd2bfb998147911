#!/usr/bin/env bash
# Builds, from their Go modules, the tools the end-to-end suite installs the release with, as users do:
#   kubectl-krew             krew: installs the plugin from its manifest and archive (found by kubectl as a plugin)
#   validate-krew-manifest   krew's own manifest check, as krew-index runs it on a plugin's pull request
#   registry                 the CNCF distribution registry the test cluster pulls the webhook image from
#   crane                    pushes the image's OCI layout to it
# Rebuilds only when this script (its pins) changes: a stamp records what was built.
set -euo pipefail
cd "$(dirname "$0")"
KREW_VERSION=0.4.3
DISTRIBUTION_VERSION=3.1.2
CRANE_VERSION=0.22.1
mkdir -p bin
stamp=$(sha256sum < build-release-tools.sh | cut -c1-16)
if [ -f bin/.stamp-release-tools ] && [ "$(cat bin/.stamp-release-tools)" = "$stamp" ] \
   && [ -x bin/kubectl-krew ] && [ -x bin/validate-krew-manifest ] && [ -x bin/registry ] && [ -x bin/crane ]; then
  exit 0
fi
start=$(date +%s)
echo "cluster: building krew v$KREW_VERSION, distribution v$DISTRIBUTION_VERSION and crane v$CRANE_VERSION (about 3 minutes cold on 2 cores)" >&2
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
export CGO_ENABLED=0
GOBIN="$tools" go install -trimpath -ldflags "-s -w" \
  "sigs.k8s.io/krew/cmd/krew@v$KREW_VERSION" "sigs.k8s.io/krew/cmd/validate-krew-manifest@v$KREW_VERSION"
GOBIN="$tools" go install -trimpath -ldflags "-s -w" "github.com/distribution/distribution/v3/cmd/registry@v$DISTRIBUTION_VERSION"
GOBIN="$tools" go install -trimpath -ldflags "-s -w" "github.com/google/go-containerregistry/cmd/crane@v$CRANE_VERSION"
mv "$tools/krew" bin/kubectl-krew
mv "$tools/validate-krew-manifest" "$tools/registry" "$tools/crane" bin/
echo "$stamp" > bin/.stamp-release-tools
echo "cluster: release tools built in $(( $(date +%s) - start ))s" >&2
