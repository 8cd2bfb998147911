// Builds the plugin as one executable per platform: a Node single executable application (SEA).
//   node scripts/build-executable.mjs [--platform linux-x64] [--out bin/kubectl-gray]
// 1. esbuild: plugin/entry.ts and everything it loads, as one CommonJS script (a SEA's main is one script, and
//    inside a SEA `require` reaches Node's built-in modules only).
// 2. node --experimental-sea-config: the preparation blob. For this machine's platform it carries a V8 code
//    cache (a cache is only valid on the V8 and CPU that made it; docs/performance.md has its gain).
// 3. A copy of the platform's official node binary (scripts/node-runtime.sh, the project's pinned Node) with the
//    blob injected by postject, the tool Node's documentation names for it.
import { execFileSync, spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const host = `${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
// --node-binary: the node to inject into, instead of the one chosen below.
const { values } = parseArgs({ options: {
  platform: { type: 'string', default: host }, out: { type: 'string', default: 'bin/kubectl-gray' }, 'node-binary': { type: 'string' },
} });
const { platform, out } = values;
const work = `dist/sea/${platform}`;
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const script = join(work, 'kubectl-gray.cjs');
await build({
  entryPoints: ['plugin/entry.ts'],
  outfile: script,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  // tr46 (client-node -> node-fetch -> whatwg-url) asks for Node's deprecated punycode module, and Node warns about
  // that on stderr for code outside node_modules, as a bundle is; the npm package is the same code.
  alias: { punycode: 'punycode/' },
  // ES modules bundled into a CommonJS script lose import.meta; yargs asks for its URL (to find its locale files).
  define: { 'import.meta.url': '__kubectl_gray_url' },
  banner: { js: "var __kubectl_gray_url = require('node:url').pathToFileURL(process.execPath).href;" },
});

const blob = join(work, 'sea-prep.blob');
writeFileSync(join(work, 'sea-config.json'), JSON.stringify({
  main: script,
  output: blob,
  disableExperimentalSEAWarning: true,
  useCodeCache: platform === host,
}));
execFileSync(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')], { stdio: ['ignore', 'ignore', 'inherit'] });


const windows = platform.startsWith('win-');
// For this machine's platform, the node running this script: the project's pinned Node (the Makefile puts it first
// on PATH; the release workflow's runners install the same version from .node-version). For another platform,
// the official binary of the same version from the npm registry.
const runtime = () => execFileSync('scripts/node-runtime.sh', [platform], { encoding: 'utf8' }).trim();
const nodeBinary = values['node-binary'] ?? (platform === host ? process.execPath : windows ? join(runtime(), 'node.exe') : join(runtime(), 'bin', 'node'));
if (!values['node-binary'] && process.version !== `v${readFileSync('.node-version', 'utf8').trim()}`) {
  throw new Error(`built with node ${process.version}, but .node-version pins ${readFileSync('.node-version', 'utf8').trim()}: run through make (or put that node first on PATH)`);
}
const target = windows && !out.endsWith('.exe') ? `${out}.exe` : out;
mkdirSync(dirname(target), { recursive: true });
rmSync(target, { force: true });
copyFileSync(nodeBinary, target);
chmodSync(target, 0o755);
// macOS refuses a signed binary whose contents changed: the signature goes before the injection, and an ad-hoc
// one is made after it (only where codesign exists, on a macOS runner).
const macos = platform.startsWith('darwin-') && process.platform === 'darwin';
if (macos) execFileSync('codesign', ['--remove-signature', target]);
// postject's ELF library warns about every note section it does not name; its output is shown only on failure.
const injected = spawnSync(process.execPath, [join('node_modules', 'postject', 'dist', 'cli.js'), target, 'NODE_SEA_BLOB', blob,
  '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2', ...(platform.startsWith('darwin-') ? ['--macho-segment-name', 'NODE_SEA'] : [])], { encoding: 'utf8' });
if (injected.status !== 0) throw new Error(`postject failed for ${target}:\n${injected.stdout}${injected.stderr}`);
if (macos) execFileSync('codesign', ['--sign', '-', target]);

// The executable must answer as the bundle does, wherever it can run here.
if (platform === host) {
  const version = execFileSync(target, ['version'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  const expected = `kubectl-gray ${JSON.parse(readFileSync('package.json', 'utf8')).version}\n`;
  if (version !== expected) throw new Error(`${target} version printed ${JSON.stringify(version)}, expected ${JSON.stringify(expected)}`);
}
console.log(`${target}: ${platform}, ${(readFileSync(target).length / 1048576).toFixed(1)} MiB`);
