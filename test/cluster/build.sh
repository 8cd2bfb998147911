#!/usr/bin/env bash
# Builds the local cluster's binaries into test/cluster/bin: etcd, the Kubernetes control plane and node
# components (kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy, kubectl), the CNI
# plugins, helm, and the pause binary; and fetches Istio's and the Gateway API's CRDs. Then istiod and the mesh tools
# (build-istio.sh, build-workload.sh), each with a stamp of its own. Rebuilds only when the pins (versions.env,
# go.mod, go.sum, this script) change: a stamp records what was built.
set -euo pipefail
cd "$(dirname "$0")"
source ./versions.env
mkdir -p bin bin/cni

components=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
cni_plugins=(main/bridge main/loopback ipam/host-local meta/portmap)

stamp=$(cat versions.env go.mod go.sum build.sh | sha256sum | cut -c1-16)
complete() {
  local c
  for c in "${components[@]}" etcd helm pause; do [ -x "bin/$c" ] || return 1; done
  for c in "${cni_plugins[@]}"; do [ -x "bin/cni/${c#*/}" ] || return 1; done
  [ -f bin/istio-crds.yaml ] && [ -f bin/gateway-api-crds.yaml ]
}
# The mesh: istiod (its own module and stamp) and the test workload, traffic and xds-dump tools.
mesh() { ./build-istio.sh && ./build-workload.sh; }
if [ -f bin/.stamp ] && [ "$(cat bin/.stamp)" = "$stamp" ] && complete; then
  mesh
  exit 0
fi

export CGO_ENABLED=0
minor=${KUBE_VERSION#1.}; minor=${minor%%.*}
version_flags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  version_flags+=" -X $pkg.gitVersion=v${KUBE_VERSION} -X $pkg.gitMajor=1 -X $pkg.gitMinor=${minor}"
  version_flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

start=$(date +%s)
echo "cluster: building Kubernetes v${KUBE_VERSION} (${components[*]}) and etcd; a cold build takes about 10 minutes on 2 cores" >&2
for c in "${components[@]}"; do
  go build -trimpath -ldflags "-s -w${version_flags}" -o "bin/$c" "./cmd/$c"
done
go build -trimpath -ldflags "-s -w" -o bin/etcd ./cmd/etcd

echo "cluster: building the CNI plugins v${CNI_PLUGINS_VERSION}" >&2
for p in "${cni_plugins[@]}"; do
  GOBIN="$PWD/bin/cni" go install -trimpath -ldflags "-s -w" \
    "github.com/containernetworking/plugins/plugins/$p@v${CNI_PLUGINS_VERSION}"
done

# helm's own release build sets its version and the Kubernetes version it assumes for `helm template`;
# without them it reports v1.20 and refuses charts whose kubeVersion asks for more.
echo "cluster: building helm v${HELM_VERSION}" >&2
helm_flags="-s -w -X helm.sh/helm/v3/internal/version.version=v${HELM_VERSION} -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
helm_flags+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=${minor}"
helm_flags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=${minor}"
GOBIN="$PWD/bin" go install -trimpath -ldflags "$helm_flags" "helm.sh/helm/v3/cmd/helm@v${HELM_VERSION}"

# The pause container's one process, from the Kubernetes module's own source (a static C binary).
kube_dir=$(go mod download -json "k8s.io/kubernetes@v${KUBE_VERSION}" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
gcc -Os -static -DVERSION="v${KUBE_VERSION}" -o bin/pause "$kube_dir/build/pause/linux/pause.c"
strip bin/pause

istio_dir=$(go mod download -json "istio.io/api@v${ISTIO_API_VERSION}" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
cp "$istio_dir/kubernetes/customresourcedefinitions.gen.yaml" bin/istio-crds.yaml
chmod 644 bin/istio-crds.yaml
# The Gateway API's standard channel, one file of all its CRDs (kubectl applies them server-side: httproutes is
# too big for the last-applied annotation).
gateway_dir=$(go mod download -json "sigs.k8s.io/gateway-api@v${GATEWAY_API_VERSION}" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
# The CRDs alone (the channel's upgrade-guarding ValidatingAdmissionPolicy stays out: up.sh waits for each object
# here to be established).
for f in "$gateway_dir"/config/crd/standard/*.yaml; do grep -q '^kind: CustomResourceDefinition' "$f" && { echo "---"; cat "$f"; }; done > bin/gateway-api-crds.yaml
chmod 644 bin/gateway-api-crds.yaml
echo "$stamp" > bin/.stamp
echo "cluster: built in $(( $(date +%s) - start ))s" >&2
mesh
