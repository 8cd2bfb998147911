#!/usr/bin/env bash
# Makes the RSA keys the unit tests sign certificates with (test/fixtures/keys). Generating a 2048-bit
# key takes 0.2-0.5 s on a busy 2-core machine; tests that made their own waited on that and timed out.
# These keys protect nothing: they exist only so that tests are fast and deterministic. Production code
# always makes fresh keys.
set -euo pipefail
out="$(dirname "$0")/../test/fixtures/keys"
mkdir -p "$out"
for i in 1 2 3 4 5 6 7 8; do
  openssl genrsa -traditional -out "$out/test-rsa-$i.pem" 2048 2>/dev/null
done
echo "wrote 8 keys to $out"
