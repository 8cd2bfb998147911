# kubectl-gray: the two commands a fresh machine needs are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := build
export NPM_CONFIG_UPDATE_NOTIFIER := false
export NPM_CONFIG_FUND := false
export NPM_CONFIG_AUDIT := false

# The project's Node (.node-version), unpacked from the npm registry: every recipe below runs on it, and the
# plugin executable is built from it. The machine's own node only runs npm's download of it.
NODE_DIR := $(shell scripts/node-runtime.sh)
$(if $(NODE_DIR),,$(error could not install Node $(shell cat .node-version) from the npm registry (scripts/node-runtime.sh)))
export PATH := $(NODE_DIR)/bin:$(PATH)

SOURCES := $(shell find core kube plugin webhook test/unit test/e2e test/support bench scripts -name '*.ts' -o -name '*.mjs' 2>/dev/null)
E2E_CLUSTER_DIR := $(CURDIR)/.cluster-e2e

.PHONY: bench-mesh bench-scale build image chart release install test test-unit test-e2e cluster-build cluster-up cluster-down demo bench fuzz soak soak-local clean lua-runtime node-packages

SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: node_modules/.installed

bin/kubectl-gray: node_modules/.installed tsconfig.json .node-version $(SOURCES)
	npm run --silent build

build: bin/kubectl-gray

# The webhook image as an OCI layout (dist/image) with its SBOM, built without a container engine.
dist/image/index.json: node_modules/.installed .node-version LICENSE $(SOURCES)
	node scripts/build-image.mjs

image: build dist/image/index.json

# The chart as a release ships it (dist/chart): the project's version, the image pinned by digest.
chart: image cluster-build
	scripts/package-chart.sh

# The release folder, dist/release: an archive per platform built here, checksums, the krew manifest, the
# chart, the image's OCI layout and its SBOM.
release: build chart
	node scripts/release.mjs

# The colouring tests run the generated Lua in LuaJIT, the runtime Envoy embeds (a Debian package).
lua-runtime:
	@command -v luajit >/dev/null || { echo "installing luajit for the colouring tests"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq luajit; }

# kubectl's YAML reader (sigs.k8s.io/yaml, from its Go module), the oracle of the YAML differential test.
YAML_ORACLE := .tools/yaml-oracle
$(YAML_ORACLE): test/yaml-oracle/main.go test/yaml-oracle/go.mod test/yaml-oracle/go.sum
	cd test/yaml-oracle && go build -trimpath -o ../../$(YAML_ORACLE) .

test-unit: build lua-runtime $(YAML_ORACLE)
	npx mocha --exit --require dist/test/support/unit-hooks.js 'dist/test/unit/**/*.test.js'

# The node's runtime comes from Debian's packages: containerd and runc run the pods, iptables and conntrack
# serve kube-proxy and the CNI bridge.
NODE_PACKAGES := containerd runc iptables conntrack iproute2
node-packages:
	@missing=""; for p in $(NODE_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  [ -z "$$missing" ] || { echo "installing$$missing for the local node"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; }

# The cluster is built from Go modules (test/cluster); the first build is the slow part.
cluster-build: node-packages
	test/cluster/build.sh
	test/cluster/build-release-tools.sh

test-e2e: release cluster-build
	CLUSTER_DIR=$(E2E_CLUSTER_DIR) test/cluster/up.sh
	set -o pipefail; CLUSTER_DIR=$(E2E_CLUSTER_DIR) KUBECONFIG=$(E2E_CLUSTER_DIR)/kubeconfig \
	  npx mocha --exit --timeout 180000 --require dist/test/support/e2e-hooks.js 'dist/test/e2e/**/*.test.js'; rc=$$?; \
	  CLUSTER_DIR=$(E2E_CLUSTER_DIR) test/cluster/down.sh; exit $$rc

test: test-unit fuzz soak-local test-e2e

cluster-up: build chart
	test/cluster/up.sh

cluster-down:
	test/cluster/down.sh

demo: cluster-up
	scripts/demo.sh

# A command's cost against the size of the cluster: N unrelated VirtualServices and DestinationRules, N = 0, 2k,
# 10k (HUGE=1 adds 50k), against kubectl (needs make cluster-up; bench/scale/run.ts).
bench-scale: build
	node dist/bench/scale/run.js $(if $(HUGE),--huge,)

# Time from a kubectl gray set-weight to the data plane following it (needs make cluster-up).
bench-mesh: build
	bench/mesh/time-to-effect.sh

bench: build
	node dist/bench/plugin/run.js
	node dist/bench/webhook/run.js
	node dist/bench/webhook/judge.js

# Fuzz at the edge (bench/fuzz): CI's short run is 20,000 requests in at most 120 s; `make fuzz LONG=1`
# sends 200,000 (at most 30 minutes). Loopback only.
fuzz: build
	node dist/bench/fuzz/run.js $(if $(LONG),--long,)

# Two real webhook processes against an in-process API server stand-in: fail-closed after the self-check,
# one Lease holder, a forced CA rotation and a replica's SIGTERM under admissions (about a minute; no node).
soak-local: build
	node dist/bench/soak/local.js

# Admissions under a forced CA rotation and a deleted webhook pod (bench/soak), against a cluster where the
# chart runs: KUBECONFIG and NAMESPACE (the release's) from the environment.
soak: build
	node dist/bench/soak/run.js $(if $(LONG),--long,)

clean:
	rm -rf dist bin .tools
