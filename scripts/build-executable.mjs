// Builds the plugin as one executable per platform: a Node single executable application (SEA).
//   node scripts/build-executable.mjs [--platform linux-x64] [--out bin/kubectl-gray]
// 1. esbuild: the plugin and everything it loads, as one CommonJS script (a SEA's main is one script, and inside a
//    SEA `require` reaches Node's built-in modules only).
// 2. node --experimental-sea-config: the preparation blob. For this machine's platform it holds a V8 startup
//    snapshot: plugin/snapshot.ts evaluated, and a few command lines run, at build time, so a command starts from
//    that heap instead of evaluating ~2 MB of JavaScript (docs/performance.md has the figures). A snapshot is
//    made by the node that will run it, so another platform's executable gets the plain script (plugin/entry.ts).
// 3. A copy of the platform's official node binary with the blob injected by postject, the tool Node's
//    documentation names for it.
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
// The blob is made by the node running this script, and for this platform it is also the node the blob goes into.
const pinned = readFileSync('.node-version', 'utf8').trim();
if (!values['node-binary'] && process.version !== `v${pinned}`) {
  throw new Error(`built with node ${process.version}, but .node-version pins ${pinned}: run through make (or put that node first on PATH)`);
}
const work = `dist/sea/${platform}`;
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

// A snapshot cannot hold what some built-in modules make when loaded (http's parser bindings, TLS contexts, child
// processes): those modules are given to the bundle as objects whose properties load the real module on first
// use, at run time. The build fails, naming the module, if the snapshot's own evaluation touches one.
const RUN_TIME_BUILTINS = ['_http_agent', '_http_client', '_http_common', '_http_incoming', '_http_outgoing', '_http_server',
  '_tls_common', '_tls_wrap', 'child_process', 'cluster', 'http', 'http2', 'https', 'inspector', 'readline', 'tls', 'vm', 'worker_threads'];
const runTimeBuiltins = {
  name: 'run-time-builtins',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(node:)?(${RUN_TIME_BUILTINS.join('|')})$`) }, (args) => (args.namespace === 'run-time-builtin'
      ? { path: args.path, external: true }
      : { path: args.path.replace(/^node:/, ''), namespace: 'run-time-builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'run-time-builtin' }, async (args) => ({
      loader: 'js',
      contents: `var real;
function load() {
  if (require('node:v8').startupSnapshot.isBuildingSnapshot()) throw new Error('node:${args.path} used while building the startup snapshot');
  return (real ??= require('node:${args.path}'));
}
var exported = {};
for (const name of ${JSON.stringify(Object.keys(await import(`node:${args.path}`)).filter((k) => k !== 'default'))}) {
  Object.defineProperty(exported, name, { enumerable: true, get() { return load()[name]; } });
}
module.exports = exported;`,
    }));
  },
};
// Packages that subclass or use http's classes when they are loaded (client-node imports them for proxies and its
// generated client's fetch): each export becomes a function that loads the package on first call (a class called
// with new gets its instance back).
const RUN_TIME_PACKAGES = ['hpagent', 'node-fetch', 'socks-proxy-agent'];
const runTimePackages = {
  name: 'run-time-packages',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(${RUN_TIME_PACKAGES.join('|')})$`) }, async (args) => {
      if (args.pluginData === 'real') return undefined;
      const real = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: 'real' });
      return { path: args.path, namespace: 'run-time-package', pluginData: real.path };
    });
    b.onLoad({ filter: /.*/, namespace: 'run-time-package' }, async (args) => {
      const names = Object.keys(await import(args.path)).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default' && k !== '__esModule');
      return {
        loader: 'js',
        resolveDir: process.cwd(),
        contents: `var real;
function load() { return (real ??= require(${JSON.stringify(args.pluginData)})); }
${names.map((n) => `exports.${n} = function (...a) { return new.target ? new (load().${n})(...a) : load().${n}(...a); };`).join('\n')}
exports.default = function (...a) { var m = load(); return (m.default ?? m)(...a); };`,
      };
    });
  },
};

const snapshot = platform === host;
const script = join(work, 'kubectl-gray.cjs');
await build({
  entryPoints: [snapshot ? 'plugin/snapshot.ts' : 'plugin/entry.ts'],
  plugins: snapshot ? [runTimePackages, runTimeBuiltins] : [],
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
  // ES modules bundled into a CommonJS script lose import.meta; yargs asks for its URL (to find locale files, which
  // an executable does not have: it falls back to its built-in English).
  define: { 'import.meta.url': '"file:///kubectl-gray"' },
});

const blob = join(work, 'sea-prep.blob');
writeFileSync(join(work, 'sea-config.json'), JSON.stringify({
  main: script,
  output: blob,
  disableExperimentalSEAWarning: true,
  ...(snapshot ? { useSnapshot: true } : {}),
}));
// Node warns that some built-in modules in a snapshot are "not yet fully verified" (module, sea: the executable's
// own tests cover what the plugin does with them); its output is shown only on failure.
const prepared = spawnSync(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')], { encoding: 'utf8' });
if (prepared.status !== 0) throw new Error(`the single executable's blob for ${platform} failed:\n${prepared.stdout}${prepared.stderr}`);

const windows = platform.startsWith('win-');
// For this machine's platform, the node running this script: the project's pinned Node (the Makefile puts it first
// on PATH; the release workflow's runners install the same version from .node-version). For another platform,
// the official binary of the same version from the npm registry.
const runtime = () => execFileSync('scripts/node-runtime.sh', [platform], { encoding: 'utf8' }).trim();
const nodeBinary = values['node-binary'] ?? (platform === host ? process.execPath : windows ? join(runtime(), 'node.exe') : join(runtime(), 'bin', 'node'));
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
