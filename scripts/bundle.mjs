// Bundles the plugin, and builds its V8 startup snapshot for the Node that runs this script.
//  - dist/bundle/: ES modules split in chunks (client-node is loaded only by commands that connect). The plain
//    path: bin/kubectl-gray runs it when the snapshot does not fit the Node it finds.
//  - dist/snapshot/: the whole plugin as one CommonJS script, evaluated once by `node --build-snapshot`; each run
//    deserialises that heap instead of compiling and evaluating ~1.3 MB of JavaScript.
//  - dist/analyze/: analyze alone, which the launcher runs with plain node (no snapshot) from a V8 code cache.
//  - dist/lazy/, dist/validators/: what both of those load only when a command needs it, each with a code cache.
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { chmod, mkdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

// cliui's string-width measures every help line with Intl.Segmenter, whose first use loads ICU's break
// iterators (~40 ms). The newer string-width returns early for printable ASCII (width = length, the same
// answer); give the older copy that fast path, and create its segmenter on first use (an ICU object cannot
// be held by a startup snapshot).
const stringWidth = {
  name: 'string-width',
  setup(b) {
    b.onLoad({ filter: /[\\/]string-width[\\/]index\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      let contents = source.replace(/new Intl\.Segmenter\(\)/g, '{ segment(s) { return (this.real ??= new Intl.Segmenter()).segment(s); } }');
      if (!contents.includes('Fast path: printable ASCII')) {
        contents = contents.replace(/(\n\tif \(string\.length === 0\) \{\n\t\treturn 0;\n\t\}\n)/,
          '$1\n\t// Fast path: printable ASCII: width equals length.\n\tif (/^[\\u0020-\\u007E]*$/.test(string)) {\n\t\treturn string.length;\n\t}\n');
      }
      // Its Unicode-property regexes are built on first use rather than at load: \p{RGI_Emoji} alone takes
      // ~10 ms to build, and the ASCII fast path means most runs never use them.
      for (const [line, name, literal] of [...contents.matchAll(/^const (\w+) = (\/.*\\p\{.*\/[a-z]*);$/gm)]) {
        contents = `${contents.replace(line, '').replace(new RegExp(`\\b${name}\\b`, 'g'), `${name}()`)}
var ${name}$; function ${name}() { return (${name}$ ??= ${literal}); }`;
      }
      if (contents === source || !contents.includes('printable ASCII')) throw new Error(`${args.path}: unexpected source; check the string-width plugin in scripts/bundle.mjs`);
      return { contents, loader: 'js' };
    });
  },
};

// Two patches of yargs's source, each failing the build if that source changes:
//  - its constructor calls .version(), which guesses the version from the nearest package.json: a directory walk
//    up from the working directory and, where none is found, an AssertionError formatted and thrown away (~3 ms).
//    kubectl gray turns yargs's --version off (.version(false), plugin/cli.ts) before any parse, so the guess is
//    never shown: every bundle gets "unknown", the guess's own answer when no package.json has a version;
//  - its platform shim reads process.stdout.columns when loaded, which builds node's stdout stream (the stream
//    modules; for a pipe, net too) in a command that writes its descriptors directly (plugin/stdio.ts): now read
//    when yargs asks for the width, which plugin/cli.ts gives it (.wrap) anyway.
const yargsPatches = [
  [/[\\/]yargs[\\/]build[\\/]lib[\\/]yargs-factory\.js$/, 'ver = this[kGuessVersion]();', "ver = 'unknown';"],
  [/[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/, "stdColumns: typeof process.stdout.columns !== 'undefined' ? process.stdout.columns : null",
    "get stdColumns() { return typeof process.stdout.columns !== 'undefined' ? process.stdout.columns : null; }"],
];
const yargsPatched = {
  name: 'yargs-patched',
  setup(b) {
    for (const [filter, from, to] of yargsPatches) {
      b.onLoad({ filter }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        const contents = source.replace(from, to);
        if (contents === source) throw new Error(`${args.path}: unexpected source; check the yargs-patched plugin in scripts/bundle.mjs`);
        return { contents, loader: 'js' };
      });
    }
  },
};

// client-node's index re-exports its whole generated API (a megabyte); the plugin uses KubeConfig alone.
// Its modules have no side effects we need, so esbuild may leave out the ones nothing uses: a smaller
// bundle to compile, and a smaller heap in the snapshot.
const clientNodeTreeShaken = {
  name: 'client-node-side-effect-free',
  setup(b) {
    b.onResolve({ filter: /^(\.\.?\/|@kubernetes\/client-node$)/ }, async (args) => {
      if (args.pluginData === 'inner') return undefined;
      if (!(args.importer.includes('/@kubernetes/client-node/') || args.path === '@kubernetes/client-node')) return undefined;
      const r = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: 'inner' });
      if (r.errors.length > 0 || !r.path.includes('/@kubernetes/client-node/dist/')) return undefined;
      return { path: r.path, sideEffects: false };
    });
  },
};

// The plugin takes KubeConfig alone from client-node (it talks to the API server through its own REST client,
// kube/rest.ts): so it is taken from client-node's config module rather than its index, which re-exports the
// generated API client (700 model classes, a fetch-based HTTP layer with node-fetch and whatwg-url) in a way
// the bundler cannot leave out. KubeConfig.makeApiClient alone uses that client; here it says so and fails.
const kubeConfigAlone = {
  name: 'kube-config-alone',
  setup(b) {
    const config = require.resolve('@kubernetes/client-node').replace(/index\.js$/, 'config.js');
    b.onResolve({ filter: /^@kubernetes\/client-node$/ }, (args) => (args.importer.includes('node_modules') ? undefined : { path: config, sideEffects: false }));
    b.onResolve({ filter: /^\.\/gen\/index\.js$/ }, (args) => (/[\\/]@kubernetes[\\/]client-node[\\/]dist[\\/]config\.js$/.test(args.importer)
      ? { path: 'generated-api-client', namespace: 'kube-config-alone' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'kube-config-alone' }, () => ({
      loader: 'js',
      contents: `function unavailable() { throw new Error("kubectl-gray does not bundle client-node's generated API client (KubeConfig.makeApiClient)"); }
export function createConfiguration() { unavailable(); }
export class ServerConfiguration { constructor() { unavailable(); } }`,
    }));
  },
};

await rm('dist/bundle', { recursive: true, force: true });
await build({
  entryPoints: { 'kubectl-gray': 'plugin/entry.ts' },
  outExtension: { '.js': '.mjs' },
  outdir: 'dist/bundle',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [stringWidth, yargsPatched, kubeConfigAlone, clientNodeTreeShaken],
  // Some CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __gray_createRequire } from 'node:module'; const require = __gray_createRequire(import.meta.url);" },
});

// Built-in modules Node 20 cannot hold in a user snapshot (their native handles are not serialisable; see
// supportedModules in Node's lib/internal/main/mksnapshot.js). In the snapshot bundle they load on first
// use: small plain data exports (STATUS_CODES, METHODS, constants) are copied in, everything else is a getter.
const NOT_IN_SNAPSHOT = ['_http_agent', '_http_client', '_http_common', '_http_incoming', '_http_outgoing', '_http_server',
  '_tls_common', '_tls_wrap', 'async_hooks', 'child_process', 'cluster', 'dgram', 'dns/promises', 'domain', 'http', 'http2',
  'https', 'inspector', 'module', 'perf_hooks', 'readline', 'repl', 'tls', 'trace_events', 'tty', 'vm', 'worker_threads'];
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${NOT_IN_SNAPSHOT.map((m) => m.replace('/', '\\/')).join('|')})$`);
    b.onResolve({ filter }, (args) => (args.namespace === 'lazy-builtin'
      ? { path: args.path, external: true } // the shim's own require of the real module
      : { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
      const mod = require(args.path);
      const data = {};
      const lazy = [];
      for (const k of Object.keys(mod)) {
        const v = mod[k];
        const plain = v === null || ['string', 'number', 'boolean'].includes(typeof v)
          || (typeof v === 'object' && (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype) && isJson(v));
        // Large data (tls.rootCertificates, 220 KB) would be deserialised by every run: loaded on use instead.
        if (plain && JSON.stringify(v).length < 4096) data[k] = v; else lazy.push(k);
      }
      // module.createRequire(...) is called at load time by yargs-parser; the require it returns is used later.
      const createRequire = args.path === 'module'
        ? "Object.defineProperty(lazy, 'createRequire', { enumerable: true, value: (from) => { let r; return (id) => (r ??= load().createRequire(from))(id); } });"
        : '';
      return {
        loader: 'js',
        contents: `var real;
function load() {
  if (real) return real;
  if (process.execArgv.includes('--build-snapshot')) throw new Error('node:${args.path} used while building the startup snapshot');
  return (real = require('node:${args.path}'));
}
var lazy = ${JSON.stringify(data)};
for (const k of ${JSON.stringify(lazy)}) Object.defineProperty(lazy, k, { enumerable: true, configurable: true, get() { return load()[k]; }, set(v) { load()[k] = v; } });
${createRequire}
module.exports = lazy;`,
      };
    });
  },
};

// yargs checks its own invariants with node:assert's strictEqual and notStrictEqual on every parse, and loading
// node:assert loads its error formatting too (~1.5 ms of a 25 ms start-up). The analyze bundle gets both as
// Object.is comparisons that hand a failure to the real assert, which then throws its own AssertionError.
const assertOnFailure = {
  name: 'assert-on-failure',
  setup(b) {
    b.onResolve({ filter: /^(node:)?assert$/ }, (args) => (args.importer.includes(`${'/'}yargs${'/'}`) ? { path: 'assert', namespace: 'assert-on-failure' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'assert-on-failure' }, () => ({
      loader: 'js',
      contents: `export function strictEqual(a, b, message) { if (!Object.is(a, b)) require('node:assert').strictEqual(a, b, message); }
export function notStrictEqual(a, b, message) { if (Object.is(a, b)) require('node:assert').notStrictEqual(a, b, message); }`,
    }));
  },
};

function isJson(v) {
  try {
    return JSON.stringify(JSON.parse(JSON.stringify(v))) === JSON.stringify(v);
  } catch {
    return false;
  }
}

// Files kept out of both the snapshot and the analyze bundle (dist/snapshot, dist/analyze) live beside them in
// dist/lazy and dist/validators, each a CommonJS module (written inside its wrapper, see MODULE_WRAPPER) loaded
// on first use. A shim's load() starts with this: it refuses while the snapshot is being built (the file would
// be evaluated into the heap after all) and sets `shared` to dist/: the parent of the folder of the blob this
// process started from (the launcher passes its path), else of the bundle's own folder.
const findShared = (what) => `if (process.execArgv.includes('--build-snapshot')) throw new Error(${JSON.stringify(`${what} used while building the startup snapshot`)});
  var path = require('node:path'), argv = process.execArgv, i = argv.indexOf('--snapshot-blob');
  var shared = path.dirname(i >= 0 ? path.dirname(argv[i + 1]) : __dirname);`;

// CommonJS's wrapper, written out: a code cache is valid only for the very same source text. The files
// runWithCodeCache runs are written inside it (esbuild's banner and footer), so a run compiles the text as read:
// wrapping it at run time made a second copy of every file in the young generation (a VirtualService's
// validator is 112 KB), enough to bring a scavenge into analyze's run.
const MODULE_WRAPPER = ['(function (exports, require, module, __filename, __dirname) { ', '\n});'];
// ES modules bundled into such a module read import.meta.url (yargs: where its locale files would be); computed
// only when asked, as only yargs asks and a plain analyze command line does not load it (plugin/quick-args.ts).
const wrappedWithImportMeta = {
  define: { 'import.meta.url': '__gray_import_meta.url' },
  banner: { js: `${MODULE_WRAPPER[0]}var __gray_import_meta = { get url() { return require('node:url').pathToFileURL(__filename).href; } };` },
  footer: { js: MODULE_WRAPPER[1] },
};
/**
 * runWithCodeCache(file, writeCache, builtinsOnly): compiles a CommonJS module written inside its wrapper with
 * the V8 code cache the build wrote beside it (file.cache; a cache this V8 rejects only costs the compile) and
 * runs it as a module. A process started from a snapshot has a require for built-in modules only: the module gets
 * a real one, unless it needs built-in modules alone (builtinsOnly: the caller's require then, which saves making
 * one). With writeCache (the build's own run of dist/analyze), it compiles without the cache and writes one at
 * exit, of what the run compiled.
 */
const RUN_WITH_CODE_CACHE = `function runWithCodeCache(file, writeCache, builtinsOnly) {
  var fs = require('node:fs'), cachedData;
  if (!writeCache) try { cachedData = fs.readFileSync(file + '.cache'); } catch (e) {}
  // latin1: the build wrote ASCII alone (asciiOnly), which needs no UTF-8 decoding.
  var script = new (require('node:vm').Script)(fs.readFileSync(file, 'latin1'), { filename: file, cachedData: cachedData });
  if (writeCache) process.on('exit', function () { fs.writeFileSync(file + '.cache', script.createCachedData()); });
  var mod = { exports: {} };
  script.runInThisContext()(mod.exports, builtinsOnly ? require : require('node:module').createRequire(file), mod, file, require('node:path').dirname(file));
  return mod.exports;
}`;

/** Throws unless a file the bundles read as latin1 is ASCII alone (esbuild escapes other characters; comments it may keep). */
async function asciiOnly(file) {
  const source = await readFile(file, 'utf8');
  const wide = /[^\u0000-\u007f]/.exec(source);
  if (wide) throw new Error(`${file}: character U+${wide[0].codePointAt(0).toString(16).toUpperCase()} near "${source.slice(Math.max(0, wide.index - 40), wide.index + 20)}": the file must be ASCII`);
  return source;
}

/** Writes file.cache: the code cache of the file's script after `exercise(exports)` has compiled what it runs. */
async function writeCodeCache(file, exercise) {
  const vm = await import('node:vm');
  const { createRequire: makeRequire } = await import('node:module');
  const script = new vm.Script(await asciiOnly(file), { filename: file });
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, makeRequire(file), mod, file, file.slice(0, file.lastIndexOf('/')));
  exercise(mod.exports);
  await writeFile(`${file}.cache`, script.createCachedData());
}

// Packages left out of the snapshot and the analyze bundle: each is built into dist/lazy/<name>.cjs and required
// from there on first use, so their source and objects are not in the heap every run deserialises.
//  - client-node's proxy agents (socks-proxy-agent, hpagent): their top level subclasses http.Agent, which a
//    snapshot cannot hold; used only with a proxy-url;
//  - node-fetch, with whatwg-url and tr46's Unicode tables (290 KB): client-node's config module imports
//    Headers from it for the generated client's fetch options, which the plugin never asks for;
//  - yaml: analyze asks it for a line and column only when a finding needs one (js-yaml reads the objects);
//  - re2js: only a regex match in a VirtualService is judged by it;
//  - js-yaml, in the analyze bundle alone: core/plain-yaml.ts reads manifests as people write them, js-yaml the
//    rest (and -o yaml writes with it). The snapshot keeps it: most commands can print YAML;
//  - yargs, in the analyze bundle alone: a plain analyze command line is read without it (plugin/quick-args.ts).
//    Its 110 KB of source, read as a string, took a tenth of the young generation a run has before a scavenge.
// Each export becomes a forwarder: a function (a class called with new gets its instance back), an object with
// the static methods used, or (values) a getter, for which the shim is a CommonJS module: esbuild reads an
// import from one as a property access where it is used, so the getter runs then, not when the bundle loads.
const LAZY_PACKAGES = {
  'socks-proxy-agent': { functions: ['SocksProxyAgent'] },
  hpagent: { functions: ['HttpProxyAgent', 'HttpsProxyAgent'] },
  'node-fetch': { functions: ['Headers', 'AbortError', 'FetchError'], defaultFunction: true },
  yaml: { functions: ['LineCounter', 'parseAllDocuments', 'isMap', 'isPair', 'isScalar', 'isSeq'] },
  re2js: { statics: { RE2JS: ['compile'] } },
  'js-yaml': {
    functions: ['loadAll', 'load', 'dump'], values: ['CORE_SCHEMA'],
    // What the code cache should hold: a read of what the plain reader leaves to it, and -o yaml's dump.
    exercise: (m) => m.dump(m.loadAll('a: &x [1, {b: c}]\nd: >\n  x\n\n   y\ne: *x\n', undefined, { schema: m.CORE_SCHEMA, json: true })),
  },
  // An ES module: its default export is the factory (defaultFunction names the export). Built with the analyze
  // bundle's patches: it runs there.
  yargs: {
    defaultFunction: 'default',
    build: { ...wrappedWithImportMeta, plugins: [stringWidth, yargsPatched, assertOnFailure] },
  },
};
/** What the snapshot leaves out (it holds js-yaml and yargs in its heap); the analyze bundle leaves out all of them. */
const SNAPSHOT_LAZY = Object.keys(LAZY_PACKAGES).filter((name) => name !== 'js-yaml' && name !== 'yargs');
/** name -> the file esbuild resolved it to, for building dist/lazy/<name>.cjs after the bundles. */
const lazyPackagePaths = new Map();
const lazyPackages = (names) => ({
  name: 'lazy-packages',
  setup(b) {
    const filter = new RegExp(`^(${names.join('|')})$`);
    b.onResolve({ filter }, async (args) => {
      if (args.pluginData === 'real') return undefined;
      const real = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: 'real' });
      if (real.errors.length > 0) return undefined;
      lazyPackagePaths.set(args.path, real.path);
      return { path: args.path, namespace: 'lazy-package' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-package' }, (args) => {
      const { functions = [], statics = {}, values = [], defaultFunction = false } = LAZY_PACKAGES[args.path];
      const forward = (name) => `function (...a) { return new.target ? new (load().${name})(...a) : load().${name}(...a); }`;
      const cjs = values.length > 0;
      if (cjs && defaultFunction) throw new Error(`${args.path}: a lazy package with values has no default export`);
      const exported = (name, value) => (cjs ? `exports.${name} = ${value};` : `export const ${name} = ${value};`);
      return {
        loader: 'js',
        contents: `var real;
${RUN_WITH_CODE_CACHE}
function load() {
  if (real) return real;
  ${findShared(args.path)}
  return (real = runWithCodeCache(path.join(shared, 'lazy', ${JSON.stringify(`${args.path}.cjs`)})));
}
${functions.map((name) => exported(name, forward(name))).join('\n')}
${Object.entries(statics).map(([obj, methods]) => exported(obj, `{ ${methods.map((m) => `${m}: (...a) => load().${obj}.${m}(...a)`).join(', ')} }`)).join('\n')}
${values.map((name) => `Object.defineProperty(exports, ${JSON.stringify(name)}, { enumerable: true, get() { return load().${name}; } });`).join('\n')}
${defaultFunction ? `export default function (...a) { return load()${defaultFunction === true ? '' : `.${defaultFunction}`}(...a); }` : ''}`,
      };
    });
  },
});

// The precompiled schema validators (core/schema/istio-validators.ts) are 0.8 MB of code, a validator a schema;
// a command runs those of the kinds it reads, if any. So both bundles reach them through a shim that holds the
// kind index and loads dist/validators/<n>.cjs (that validator alone, with its code cache) on first use of
// validators[n]: analyze of VirtualServices and DestinationRules loads 2 of the 15.
// The validators module is generated from the schema bundle core/schema/istio-crds.json (validator n checks
// schemas[n]; its kinds and source are the bundle's), so the index comes from the bundle itself.
const istioCrds = JSON.parse(await readFile('core/schema/istio-crds.json', 'utf8'));
const validatorsModule = { kinds: istioCrds.kinds, source: istioCrds.source, count: istioCrds.schemas.length };
const lazyValidators = {
  name: 'lazy-validators',
  setup(b) {
    b.onResolve({ filter: /[\\/]istio-validators\.js$/ }, () => ({ path: 'istio-validators', namespace: 'lazy-validators' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-validators' }, () => ({
      loader: 'js',
      contents: `${RUN_WITH_CODE_CACHE}
function load(n) {
  ${findShared('the schema validators')}
  return runWithCodeCache(path.join(shared, 'validators', n + '.cjs'), false, true).validate;
}
var validators = [];
for (let n = 0; n < ${validatorsModule.count}; n++) {
  Object.defineProperty(validators, n, { enumerable: true, configurable: true, get() {
    var v = load(n);
    Object.defineProperty(validators, n, { value: v, enumerable: true });
    return v;
  } });
}
module.exports = { kinds: ${JSON.stringify(validatorsModule.kinds)}, source: ${JSON.stringify(validatorsModule.source)}, validators: validators };`,
    }));
  },
};

// The scripts under dist/snapshot/, dist/analyze/, dist/lazy/ and dist/validators/ are minified CommonJS for this Node.
const cjsScript = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', minify: true, legalComments: 'none', logLevel: 'warning' };
/** The same, written inside the module wrapper: the files runWithCodeCache runs. */
const wrappedModule = { ...cjsScript, banner: { js: MODULE_WRAPPER[0] }, footer: { js: MODULE_WRAPPER[1] } };

// A value for every property a schema declares (a map gets one key) to warm a validator up with: each nested
// schema Ajv made a function of ($ref'd definitions) is called once, so the code cache holds them all and no
// object a user gives leaves V8 functions to compile at run time (the first VirtualService validated spent
// ~1.3 ms on it when the cache held only what a bare object reaches). The values need not be valid.
function everyField(schema, depth = 0) {
  if (!schema || typeof schema !== 'object' || depth > 32) return {};
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === 'array') return [everyField(schema.items, depth + 1)];
  if (type === 'string') return schema.enum ? schema.enum[0] : 'x';
  if (type === 'integer' || type === 'number') return 1;
  if (type === 'boolean') return true;
  const object = {};
  for (const [name, property] of Object.entries(schema.properties ?? {})) object[name] = everyField(property, depth + 1);
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') object.k = everyField(schema.additionalProperties, depth + 1);
  return object;
}
await rm('dist/validators', { recursive: true, force: true });
await mkdir('dist/validators', { recursive: true });
for (let n = 0; n < validatorsModule.count; n++) {
  const file = `${process.cwd()}/dist/validators/${n}.cjs`;
  await build({
    ...wrappedModule,
    stdin: { contents: `export { s${n} as validate } from './core/schema/istio-validators.ts';`, resolveDir: process.cwd(), loader: 'ts' },
    outfile: file,
  });
  // Its code cache, made after validations that called every one of its functions.
  await writeCodeCache(file, ({ validate }) => {
    validate({ apiVersion: 'x', kind: 'x', metadata: { name: 'x' }, spec: { hosts: ['x'] } });
    validate({ ...everyField(istioCrds.schemas[n]), metadata: { name: 'x' } });
  });
}

await rm('dist/snapshot', { recursive: true, force: true });
await build({
  ...cjsScript,
  entryPoints: ['plugin/snapshot.ts'],
  outfile: 'dist/snapshot/kubectl-gray.cjs',
  plugins: [stringWidth, yargsPatched, lazyBuiltins, lazyPackages(SNAPSHOT_LAZY), lazyValidators, kubeConfigAlone, clientNodeTreeShaken],
  // ESM dependencies read import.meta.url at load time (yargs: where its locale files would be).
  define: { 'import.meta.url': '__gray_import_meta_url' },
  banner: { js: "var __gray_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
});

// analyze alone (plugin/analyze-entry.ts: analyze and version registered, nothing of the other commands, the
// client library or the REST client), run by bin/kubectl-gray for `kubectl gray analyze ...` with plain node:
// a startup snapshot costs its deserialisation, more than analyze's own work, and analyze connects nowhere,
// so none of what the snapshot saves (client library, TLS set-up) is needed. dist/analyze/run.cjs compiles
// the bundle with its V8 code cache (made below, after an analyze that reports findings has compiled what
// analyze runs), as the shims do for the validators and lazy packages.
await rm('dist/analyze', { recursive: true, force: true });
await build({
  ...wrappedModule,
  entryPoints: ['plugin/analyze-entry.ts'],
  outfile: 'dist/analyze/analyze.cjs',
  plugins: [stringWidth, yargsPatched, assertOnFailure, lazyPackages(Object.keys(LAZY_PACKAGES)), lazyValidators],
  ...wrappedWithImportMeta,
});
await asciiOnly('dist/analyze/analyze.cjs');
// KUBECTL_GRAY_WRITE_CODE_CACHE (the build's alone): when the command is done, write the code cache of what it ran.
await writeFile('dist/analyze/run.cjs', `'use strict';
// Runs dist/analyze/analyze.cjs with its V8 code cache (written by scripts/bundle.mjs).
${RUN_WITH_CODE_CACHE}
runWithCodeCache(require('node:path').join(__dirname, 'analyze.cjs'), !!process.env.KUBECTL_GRAY_WRITE_CODE_CACHE, true);
`);

for (const [name, file] of lazyPackagePaths) {
  const out = `${process.cwd()}/dist/lazy/${name}.cjs`;
  await build({ ...wrappedModule, ...LAZY_PACKAGES[name].build, entryPoints: [file], outfile: out });
  await writeCodeCache(out, LAZY_PACKAGES[name].exercise ?? (() => {}));
}
{
  // The analyze bundle's code cache, after an analyze that parses, validates, reports findings with line
  // numbers (yaml), judges a regex (re2js) and skips another kind. (test/unit/launcher.test.ts compares its
  // output with the plugin's.)
  const fixture = 'dist/analyze/smoke.yaml';
  await writeFile(fixture, 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: x}\nspec:\n  hosts: [a]\n'
    + '  http:\n  - match: [{headers: {user: {regex: "(?<=x)y"}}}]\n    route: [{destination: {host: a, subset: v2}}]\n  - route: [{destination: {host: a}, weight: "x"}]\n'
    + '---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: a}\nspec:\n  host: a\n  subsets: [{name: v1, labels: {version: v1}}]\n'
    // What manifests hold besides: comments, other kinds (skipped), block styles, quoted and block scalars.
    + '---\n# a comment\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: \'a-v1\'\n  labels:\n    app: a # trailing\n'
    + 'spec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: a\n        args:\n        - "--flag=1"\n        command: |\n          run\n');
  const cached = spawnSync(process.execPath, ['dist/analyze/run.cjs', 'analyze', fixture], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', KUBECTL_GRAY_WRITE_CODE_CACHE: '1' } });
  if (cached.status !== 3 || !cached.stdout.includes('v2')) throw new Error(`dist/analyze: analyze of the smoke test exited ${cached.status}:\n${cached.stdout}${cached.stderr}`);
  await rm(fixture, { force: true });
}

// V8 keeps the script's source in the snapshot heap, as a one-byte string only when every character is Latin-1;
// one other character (a regex literal esbuild does not escape, say) doubles the largest object in the heap,
// and every run pays for deserialising it.
{
  const source = await readFile('dist/snapshot/kubectl-gray.cjs', 'utf8');
  const wide = /[^\u0000-\u00ff]/.exec(source);
  if (wide) throw new Error(`dist/snapshot/kubectl-gray.cjs: character U+${wide[0].codePointAt(0).toString(16).toUpperCase()} near "${source.slice(Math.max(0, wide.index - 40), wide.index + 20)}": write it as a \\u escape in the source`);
}

const blob = 'dist/snapshot/kubectl-gray.blob';
const node = await realpath(process.execPath);
const built = spawnSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', 'dist/snapshot/kubectl-gray.cjs'], { encoding: 'utf8' });
// Smoke test: the snapshot must run a command exactly as the plain bundle does.
const check = built.status === 0 && spawnSync(process.execPath, ['--snapshot-blob', blob, '--', 'version'], { encoding: 'utf8' });
const plain = spawnSync(process.execPath, ['dist/bundle/kubectl-gray.mjs', 'version'], { encoding: 'utf8' });
let fast = false;
if (check && check.status === 0 && check.stdout === plain.stdout && check.stderr === '') {
  fast = true;
} else {
  await rm(blob, { force: true });
  console.warn(`warning: no startup snapshot for ${node} (${process.version}); bin/kubectl-gray will run the plain bundle.\n${built.stderr || check?.stderr || ''}`.trimEnd());
}
// Help and version: the same text on every run, so the build renders each page once with the plain bundle
// (output not a terminal) into dist/static/, and the launcher prints it without starting node. A page is
// kept only when it went to stdout alone with exit 0; the commands are the ones --help lists.
await rm('dist/static', { recursive: true, force: true });
await mkdir('dist/static', { recursive: true });
{
  const render = (args) => spawnSync(process.execPath, ['dist/bundle/kubectl-gray.mjs', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const top = render(['--help']);
  const commands = [...top.stdout.matchAll(/^ {2}kubectl gray ([a-z-]+)/gm)].map((m) => m[1]);
  if (top.status !== 0 || commands.length < 5) throw new Error(`kubectl-gray --help did not list the commands:\n${top.stdout}${top.stderr}`);
  for (const args of [['--help'], ['-h'], ['version'], ...commands.flatMap((c) => [[c, '--help'], [c, '-h']])]) {
    const page = render(args);
    if (page.status !== 0 || page.stderr !== '' || page.stdout === '') throw new Error(`kubectl-gray ${args.join(' ')}: exit ${page.status}\n${page.stderr}`);
    await writeFile(`dist/static/${args.join('_')}`, page.stdout);
  }
}

// Whether this Node trusts its bundled root certificates by default (tls.rootCertificates), which the
// plugin can then reproduce itself for a connection without a CA (see the launcher).
const bundledRoots = !process.config.variables.openssl_use_def_ca_store;

await mkdir('bin', { recursive: true });
await writeFile('bin/kubectl-gray', launcher({ node: fast ? node : '', bundledRoots }));
await chmod('bin/kubectl-gray', 0o755);

function launcher({ node, bundledRoots }) {
  const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
  return `#!/bin/sh
# Launcher found by kubectl's plugin discovery (kubectl gray ...); runs the plugin with the node on PATH.
#
# Fast path, taken only when that node is the very binary \`make build\` made the snapshot with (same file,
# not modified since the snapshot was written) and NODE_OPTIONS is empty:
#  - start from the V8 startup snapshot dist/snapshot/kubectl-gray.blob: the plugin's heap, already evaluated;
#  - NODE_EXTRA_CA_CERTS: Node 20 parses that file at every start-up (about 100 ms for a system CA bundle), yet the
#    plugin's connections carry the kubeconfig's CA, and an explicit CA replaces both Node's roots and those extra
#    certificates. So the launcher hands the path over in KUBECTL_GRAY_EXTRA_CA_CERTS; the plugin puts
#    NODE_EXTRA_CA_CERTS back into its own environment (exec credential plugins inherit it) and, for a cluster
#    without a CA in the kubeconfig, trusts Node's bundled roots plus that file, as Node would have;
#  - --use-openssl-ca: otherwise the first TLS connection parses all of Node's bundled root certificates
#    (about 25 ms) although the kubeconfig's CA replaces them; KUBECTL_GRAY_BUNDLED_ROOTS tells the plugin to
#    give a cluster without a CA those bundled roots itself, as Node would have (kube/extra-ca.ts).
# Anything else (another node, NODE_OPTIONS set, no snapshot): the plain bundle, environment untouched.
# Before either: help and version pages (the same text every time) come from dist/static/, where the build
# wrote what the plugin prints, unless the output is a terminal narrower than the 110 columns they are set in.
if [ -L "$0" ]; then self=$(readlink -f "$0"); else self=$0; fi
dist=\${self%/*}/../dist
if [ $# -le 2 ]; then
  case "$1:$2" in
    *[!a-z:-]*) ;;
    *) page=$dist/static/$1\${2:+_$2}
       if [ -f "$page" ] && { ! [ -t 1 ] || [ "$(stty size 2>/dev/null </dev/tty | cut -d' ' -f2)" -ge 110 ] 2>/dev/null; }; then exec cat "$page"; fi ;;
  esac
fi
# analyze reads files and connects nowhere: dist/analyze/ (analyze alone, compiled from its code cache) with plain
# node, a start-up that costs less than deserialising the snapshot, and without NODE_EXTRA_CA_CERTS, which node
# would parse for nothing.
if [ "$1" = analyze ] && [ -r "$dist/analyze/run.cjs" ]; then
  unset NODE_EXTRA_CA_CERTS
  exec node "$dist/analyze/run.cjs" "$@"
fi
built_with=${q(node)}
if [ -n "$built_with" ] && [ -z "\${NODE_OPTIONS:-}" ] && node=$(command -v node) && [ "$node" -ef "$built_with" ] \\
   && [ -r "$dist/snapshot/kubectl-gray.blob" ] && ! [ "$node" -nt "$dist/snapshot/kubectl-gray.blob" ]; then
${bundledRoots ? `  if [ -n "\${NODE_EXTRA_CA_CERTS:-}" ] && [ -r "$NODE_EXTRA_CA_CERTS" ] && [ -z "\${KUBECTL_GRAY_EXTRA_CA_CERTS:-}" ]; then
    KUBECTL_GRAY_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS; export KUBECTL_GRAY_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS
  fi
  KUBECTL_GRAY_BUNDLED_ROOTS=1; export KUBECTL_GRAY_BUNDLED_ROOTS
  exec "$node" --use-openssl-ca --snapshot-blob "$dist/snapshot/kubectl-gray.blob" -- "$@"
` : `  exec "$node" --snapshot-blob "$dist/snapshot/kubectl-gray.blob" -- "$@"
`}fi
exec node "$dist/bundle/kubectl-gray.mjs" "$@"
`;
}
