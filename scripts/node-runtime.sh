#!/usr/bin/env bash
# Unpacks the official Node.js binary for one platform from the npm registry (package node-<os>-<arch>, which
# holds bin/node) into .tools/node-<os>-<arch>-<version>/ and prints that folder. The project builds, tests and
# ships on this one Node (.node-version): the machine's own node is never used past this script.
#   scripts/node-runtime.sh [linux-x64|linux-arm64|...]   (default: this machine's)
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(cat .node-version)
platform=${1:-$(uname -s | tr 'A-Z' 'a-z')-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')}
dir=.tools/node-$platform-$version
if [ ! -x "$dir/bin/node" ] && [ ! -f "$dir/node.exe" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-$platform@$version" >/dev/null)
  mkdir -p "$tmp/x" && tar -xzf "$tmp"/node-*.tgz -C "$tmp/x"
  rm -rf "$dir" && mkdir -p .tools && mv "$tmp/x/package" "$dir"
fi
echo "$PWD/$dir"
