#!/usr/bin/env bash
# Builds istiod (pilot-discovery) and istioctl from the istio.io/istio Go module, pinned by
# ISTIO_VERSION_PSEUDO in versions.env, into test/cluster/bin: istiod runs the test mesh, istioctl is the
# oracle of analyze's cross-object checks (test/e2e/istioctl-oracle.test.ts). One module, so the two judge
# with the same code. The wrapper module is test/cluster/istiod (istio needs k8s.io v0.36 and gRPC versions
# unlike the control-plane module's). Rebuilds only when the pin, the wrapper module or this script change:
# one stamp records what was built. A cold build compiles ~2,060 packages (about 15-18 minutes on 2 busy
# cores, ~2.2 GB peak compiler memory); a warm one ~50-60 s.
set -euo pipefail
cd "$(dirname "$0")"
source ./versions.env
mkdir -p bin
: "${ISTIO_VERSION_PSEUDO:?versions.env must set ISTIO_VERSION_PSEUDO}"
pkg=istio.io/istio/pilot/cmd/pilot-discovery
ctl=istio.io/istio/istioctl/cmd/istioctl

# A new pin: move the wrapper module to it (its go.mod/go.sum are committed, like gen-gomod.sh's output).
have=$(cd istiod && go list -m -f '{{.Version}}' istio.io/istio 2>/dev/null || true)
if [ "$have" != "$ISTIO_VERSION_PSEUDO" ]; then
  echo "cluster: pinning istio.io/istio ${ISTIO_VERSION_PSEUDO} (was ${have:-none}) in test/cluster/istiod" >&2
  (cd istiod && go get -tool "$pkg@$ISTIO_VERSION_PSEUDO" "$ctl@$ISTIO_VERSION_PSEUDO" && go mod tidy)
fi

stamp=$(cat versions.env istiod/go.mod istiod/go.sum build-istio.sh | sha256sum | cut -c1-16)
if [ -f bin/.stamp-istiod ] && [ "$(cat bin/.stamp-istiod)" = "$stamp" ] && [ -x bin/istiod ] && [ -x bin/istioctl ]; then
  exit 0
fi

# Istio's minor must match the CRDs the cluster applies (istio.io/api ${ISTIO_API_VERSION}).
dir=$(go mod download -json "istio.io/istio@${ISTIO_VERSION_PSEUDO}" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
istio_minor=$(tr -d ' \n' < "$dir/VERSION")
api_minor=$(echo "$ISTIO_API_VERSION" | cut -d. -f1,2)
[ "$istio_minor" = "$api_minor" ] || {
  echo "cluster: error: istio.io/istio@${ISTIO_VERSION_PSEUDO} is Istio ${istio_minor}, the CRDs are ${ISTIO_API_VERSION}" >&2; exit 1; }

rev=${ISTIO_VERSION_PSEUDO##*-}
v=istio.io/istio/pkg/version
ldflags="-s -w -X $v.buildVersion=${istio_minor}-alpha.${rev} -X $v.buildGitRevision=${rev} -X $v.buildStatus=Clean"
ldflags+=" -X $v.buildTag=${ISTIO_VERSION_PSEUDO} -X $v.buildHub=local -X $v.buildOS=linux -X $v.buildArch=$(go env GOARCH)"

start=$(date +%s)
echo "cluster: building istiod and istioctl ${istio_minor} (${ISTIO_VERSION_PSEUDO}); a cold build takes about 18 minutes on 2 cores" >&2
(cd istiod && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o ../bin/istiod "$pkg")
# The second shares nearly every package with the first: one after the other, the build cache serves it.
(cd istiod && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o ../bin/istioctl "$ctl")
echo "$stamp" > bin/.stamp-istiod
echo "cluster: istiod and istioctl built in $(( $(date +%s) - start ))s" >&2
