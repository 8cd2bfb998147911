// Writes the release into one folder (default dist/release):
//   kubectl-gray_<version>_<os>_<arch>.tar.gz   the executable and LICENSE, one archive per platform
//   kubectl-gray_<version>_checksums.txt        sha256 of every file above, in `sha256sum -c` format
//   gray.yaml                                   the krew plugin manifest, with those sha256s
//   kubectl-gray-<version>.tgz                  the Helm chart (scripts/package-chart.sh: dist/chart)
//   kubectl-gray-webhook_<version>_oci.tar      the webhook image as an OCI layout (scripts/build-image.mjs: dist/image)
//   kubectl-gray-webhook_<version>.spdx.json    its SBOM
//
//   node scripts/release.mjs [--platforms linux-x64,linux-arm64] [--out dist/release] [--manifest-only]
//
// The platforms built here are the ones whose official node binary the npm registry serves for the pinned Node
// (.node-version); the release workflow (.github/workflows/release.yml) builds the others on their own runners,
// puts their archives into the folder and runs this with --manifest-only. RELEASE_URL is where the archives
// will be downloaded from (the release's page), default GitHub's release download folder for v<version>.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipOf, tarOf } from './oci.mjs';

const { values } = parseArgs({
  options: {
    platforms: { type: 'string', default: 'linux-x64,linux-arm64' },
    out: { type: 'string', default: 'dist/release' },
    'manifest-only': { type: 'boolean', default: false },
  },
});
const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
const releaseUrl = (process.env.RELEASE_URL || `https://github.com/kubectl-gray/kubectl-gray/releases/download/v${version}`).replace(/\/+$/, '');
const out = values.out;
/** Node's platform names -> krew's (Go's GOOS/GOARCH), which the archive names use too. */
const OS = { linux: 'linux', darwin: 'darwin', win: 'windows' };
const ARCH = { x64: 'amd64', arm64: 'arm64' };
const archiveName = (os, arch) => `kubectl-gray_${version}_${os}_${arch}.tar.gz`;

mkdirSync(out, { recursive: true });
if (!values['manifest-only']) {
  for (const platform of values.platforms.split(',')) {
    const [nodeOs, nodeArch] = platform.split('-');
    const os = OS[nodeOs];
    const arch = ARCH[nodeArch];
    if (!os || !arch) throw new Error(`--platforms: unknown platform ${platform} (os-arch as Node names them: linux-x64, linux-arm64, darwin-arm64, win-x64)`);
    const stage = mkdtempSync(join(tmpdir(), 'kubectl-gray-release-'));
    const exe = os === 'windows' ? 'kubectl-gray.exe' : 'kubectl-gray';
    execFileSync(process.execPath, ['scripts/build-executable.mjs', '--platform', platform, '--out', join(stage, exe)], { stdio: 'inherit' });
    copyFileSync('LICENSE', join(stage, 'LICENSE'));
    writeFileSync(join(out, archiveName(os, arch)), gzipOf(tarOf(stage, [exe, 'LICENSE'])));
    rmSync(stage, { recursive: true, force: true });
  }
}

// The guardrails, when built (make release builds them; the workflow's manifest-only run finds them in place).
if (!values['manifest-only'] && existsSync('dist/image/index.json')) {
  writeFileSync(join(out, `kubectl-gray-webhook_${version}_oci.tar`), tarOf('dist/image'));
  copyFileSync('dist/image.spdx.json', join(out, `kubectl-gray-webhook_${version}.spdx.json`));
  copyFileSync(`dist/chart/kubectl-gray-${version}.tgz`, join(out, `kubectl-gray-${version}.tgz`));
}

const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
const archives = readdirSync(out).filter((f) => f.startsWith(`kubectl-gray_${version}_`) && f.endsWith('.tar.gz')).sort();
if (archives.length === 0) throw new Error(`${out}: no archive of version ${version}`);
const sums = new Map(archives.map((a) => [a, sha256(join(out, a))]));
const shipped = readdirSync(out).filter((f) => f.includes(version) && !f.endsWith('_checksums.txt')).sort();
writeFileSync(join(out, `kubectl-gray_${version}_checksums.txt`), shipped.map((f) => `${sha256(join(out, f))}  ${f}\n`).join(''));

const platforms = archives.map((a) => {
  const [, , os, arch] = a.replace(/\.tar\.gz$/, '').split('_');
  const exe = os === 'windows' ? 'kubectl-gray.exe' : 'kubectl-gray';
  return `  - selector:
      matchLabels:
        os: ${os}
        arch: ${arch}
    uri: ${releaseUrl}/${a}
    sha256: ${sums.get(a)}
    files:
      - from: ${exe}
        to: .
      - from: LICENSE
        to: .
    bin: ${exe}
`;
});
writeFileSync(join(out, 'gray.yaml'), `apiVersion: krew.googlecontainertools.github.com/v1alpha2
kind: Plugin
metadata:
  name: gray
spec:
  version: v${version}
  homepage: https://github.com/kubectl-gray/kubectl-gray
  shortDescription: Safe canary, blue-green, A/B and mirror releases for Istio
  description: |
    Edits Istio VirtualServices and DestinationRules the way an operator means them
    (kubectl gray set-weight reviews v2=10: v1 keeps the other 90) and refuses, before
    anything reaches the cluster, the edits that cause 503s: weights that do not add up,
    routes to subsets that do not exist, regexes Envoy cannot compile.
    Also: switch, match-header, match-cookie, mirror, status, rollback, undo, full-link
    lanes, and analyze, an offline linter for CI.
  caveats: |
    Shell completion (kubectl 1.26 or later): kubectl gray completion install
    The admission webhook that enforces the same rules cluster-wide is a Helm chart:
    see the homepage.
  platforms:
${platforms.join('')}`);
console.log(`${out}: ${archives.join(', ')}, checksums, gray.yaml (${releaseUrl})`);
