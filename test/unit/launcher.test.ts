// bin/kubectl-gray: the startup snapshot when it fits the node on PATH, the plain bundle otherwise, analyze from
// its own bundle (dist/analyze), and the same output every way. Needs `npm run build` (the unit tests run from
// dist/ anyway).
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FakeApiServer, startFakeApiServer } from '../support/fake-apiserver.js';
import { bookinfo } from '../support/fixtures.js';
import { tempDir } from '../support/temp.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const launcher = join(root, 'bin', 'kubectl-gray');
const blob = join(root, 'dist', 'snapshot', 'kubectl-gray.blob');
const bookinfoFile = join(root, 'test', 'fixtures', 'bookinfo.yaml');
const cleanEnv = (): NodeJS.ProcessEnv => {
  const { NODE_OPTIONS: _o, NODE_EXTRA_CA_CERTS: _c, KUBECTL_GRAY_EXTRA_CA_CERTS: _k, KUBECTL_GRAY_BUNDLED_ROOTS: _r, ...env } = process.env;
  return env;
};

interface Ran extends Output { snapshot: boolean; analyzeBundle: boolean; trace: string }

/** Runs the launcher under `sh -x` to see which way it went (the trace is on stderr, each line starting with +). */
async function launch(args: string[], env: NodeJS.ProcessEnv = cleanEnv(), bin = launcher): Promise<Ran> {
  const t = await exec('sh', ['-x', bin, ...args], env);
  const trace = t.stderr.split('\n').filter((l) => l.startsWith('+')).join('\n');
  const stderr = t.stderr.split('\n').filter((l) => !l.startsWith('+')).join('\n');
  return { status: t.status, stdout: t.stdout, stderr, snapshot: / --snapshot-blob /.test(trace), analyzeBundle: /\/dist\/analyze\/run\.cjs /.test(trace), trace };
}

function plain(args: string[], env: NodeJS.ProcessEnv = cleanEnv()): Promise<Output> {
  return exec(process.execPath, [join(root, 'dist', 'bundle', 'kubectl-gray.mjs'), ...args], env);
}

interface Output { status: number | null; stdout: string; stderr: string }

/** Asynchronous, so that a server in this process can answer the child. */
function exec(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Output> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const same = (a: Output, b: Output) =>
  expect({ status: a.status, stdout: a.stdout, stderr: a.stderr }).to.deep.equal({ status: b.status, stdout: b.stdout, stderr: b.stderr });

/** A copy of the launcher beside a dist/ whose snapshot folder (and, if asked, analyze folder) the test arranges. */
function layout(arrange: (snapshotDir: string) => void, arrangeAnalyze?: (analyzeDir: string) => void): string {
  const dir = tempDir('layout');
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'dist', 'snapshot'), { recursive: true });
  copyFileSync(launcher, join(dir, 'bin', 'kubectl-gray'));
  for (const shared of ['bundle', 'lazy', 'validators']) symlinkSync(join(root, 'dist', shared), join(dir, 'dist', shared));
  arrange(join(dir, 'dist', 'snapshot'));
  if (arrangeAnalyze) {
    mkdirSync(join(dir, 'dist', 'analyze'));
    arrangeAnalyze(join(dir, 'dist', 'analyze'));
  }
  return join(dir, 'bin', 'kubectl-gray');
}

/** A VirtualService with a schema error on line 9 (its position comes from the yaml package) and a regex re2js refuses. */
function badVirtualService(): string {
  const bad = join(tempDir('analyze'), 'bad.yaml');
  writeFileSync(bad, 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: x}\nspec:\n  hosts: [a]\n'
    + '  http:\n  - match: [{headers: {user: {regex: "(?<=x)y"}}}]\n    route: [{destination: {host: a}}]\n  - route: [{destination: {host: a}, weight: "x"}]\n');
  return bad;
}

function expectBadVirtualServiceReport(r: Output): void {
  expect(r.status).to.equal(3);
  expect(r.stdout).to.contain('GRAY304').and.contain('spec.http[1].route[0].weight').and.contain('not valid RE2')
    .and.match(/bad\.yaml:9:\d+: /);
}

describe('bin/kubectl-gray (launcher)', function () {
  // Every test here spawns processes (sh, then node from the snapshot or the plain bundle, often several of
  // them): 0.1-0.3 s per start idle, and over 1 s each on a busy 2-core machine, so these alone may take
  // longer than the 1 s the other unit tests stay under.
  this.timeout(60_000);

  before(function () {
    if (!existsSync(blob)) {
      console.warn(`      (no startup snapshot for ${process.version}: fast-path tests skipped)`);
      this.skip();
    }
  });

  it('starts from the snapshot with the node it was built with, and prints exactly what the plain bundle prints', async () => {
    for (const args of [['-n', 'x', 'analyze', bookinfoFile], ['set-weight', 'reviews'], ['nosuch'], ['status', '-h', '-n', 'x'], ['version', 'x'], []]) {
      const fast = await launch(args);
      expect(fast.snapshot, `${args.join(' ')}: ${fast.trace}`).to.equal(true);
      same(fast, await plain(args));
    }
  });

  it('prints help and version pages without starting node, exactly as the plugin prints them', async () => {
    for (const args of [['version'], ['--help'], ['-h'], ['set-weight', '-h'], ['status', '--help'], ['analyze', '--help'], ['version', '--help']]) {
      const fast = await launch(args);
      expect(fast.trace, args.join(' ')).to.match(/\+ exec cat \S+\/dist\/static\//);
      expect(fast.snapshot).to.equal(false);
      same(fast, await plain(args));
    }
    // Anything else, or a page the build did not write, is the plugin's to print.
    for (const args of [['nosuch', '-h'], ['Version'], ['set-weight', '--help=x']]) {
      const r = await launch(args);
      expect(r.trace, args.join(' ')).to.not.contain('exec cat');
      same(r, await plain(args));
    }
  });

  it('runs what the snapshot leaves out (schema validators, yaml positions, re2js) exactly as the plain bundle does', async () => {
    const bad = badVirtualService();
    // The snapshot serves analyze when the command line does not start with it.
    const args = ['--namespace=x', 'analyze', bad];
    const fast = await launch(args);
    expect(fast.snapshot).to.equal(true);
    expectBadVirtualServiceReport(fast);
    same(fast, await plain(args));
  });

  it('runs analyze from its own bundle, with plain node and no NODE_EXTRA_CA_CERTS, exactly as the plain bundle does', async () => {
    const bad = badVirtualService();
    for (const args of [['analyze', bad], ['analyze', bookinfoFile, '-o', 'json'], ['analyze', bad, '--fail-on', 'nosuch'], ['analyze', '--nosuch', bad], ['analyze'], ['analyze', '/nonexistent.yaml'], ['analyze', '-h', bad]]) {
      const r = await launch(args, { ...cleanEnv(), NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt' });
      expect(r.analyzeBundle, `${args.join(' ')}: ${r.trace}`).to.equal(true);
      expect(r.trace).to.contain('unset NODE_EXTRA_CA_CERTS');
      same(r, await plain(args));
    }
    expectBadVirtualServiceReport(await launch(['analyze', bad]));
  });

  it('analyze from its own bundle: a code cache this node rejects only costs the compile', async () => {
    const bad = badVirtualService();
    const bin = layout(() => undefined, (dir) => {
      for (const f of ['run.cjs', 'analyze.cjs']) copyFileSync(join(root, 'dist', 'analyze', f), join(dir, f));
      writeFileSync(join(dir, 'analyze.cjs.cache'), 'not a code cache');
    });
    const r = await launch(['analyze', bad], cleanEnv(), bin);
    expect(r.analyzeBundle).to.equal(true);
    expectBadVirtualServiceReport(r);
    same(r, await plain(['analyze', bad]));
  });

  it('stops quietly (141, no stack) when the reader closes the pipe early, like kubectl | head', async () => {
    for (const argv of [[launcher, '--help'], [launcher, 'nosuch-but-long', '--help', 'x'], [join(root, 'dist', 'bundle', 'kubectl-gray.mjs'), '--help']]) {
      const program = argv[0]!.endsWith('.mjs') ? process.execPath : 'sh';
      // The child waits for a line on stdin, sent once our end of its stdout is really closed: printing a help
      // page takes the launcher a few milliseconds, which could otherwise beat the close.
      const child = spawn('sh', ['-c', 'read go; exec "$@"', 'sh', program, ...argv], { env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
      child.stdout.destroy();
      await new Promise((resolve) => child.stdout.once('close', resolve));
      child.stdin.end('go\n');
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
      // A shell reports 141 both for an exit with 141 (node) and for a death by SIGPIPE (cat printing a help page).
      const status = await new Promise<number | null>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGPIPE' ? 141 : null))));
      expect({ status, stderr }, argv.join(' ')).to.deep.equal({ status: 141, stderr: '' });
    }
  });

  it('falls back to the plain bundle: NODE_OPTIONS set', async () => {
    const r = await launch(['nosuch'], { ...cleanEnv(), NODE_OPTIONS: '--no-warnings' });
    expect(r.snapshot).to.equal(false);
    expect(r.trace).to.contain('kubectl-gray.mjs');
    same(r, await plain(['nosuch']));
  });

  it('falls back to the plain bundle: another node first on PATH', async () => {
    const dir = tempDir('node');
    writeFileSync(join(dir, 'node'), `#!/bin/sh\nexec "${process.execPath}" "$@"\n`, { mode: 0o755 });
    const r = await launch(['analyze', bookinfoFile], { ...cleanEnv(), PATH: `${dir}:${process.env['PATH']}` });
    expect(r.snapshot).to.equal(false);
    same(r, await plain(['analyze', bookinfoFile]));
  });

  it('falls back to the plain bundle: no snapshot, or one older than the node binary', async () => {
    const none = await launch(['version'], cleanEnv(), layout(() => undefined));
    expect(none.snapshot).to.equal(false);
    same(none, await plain(['version']));
    const old = await launch(['version'], cleanEnv(), layout((snap) => {
      copyFileSync(blob, join(snap, 'kubectl-gray.blob'));
      utimesSync(join(snap, 'kubectl-gray.blob'), new Date('2000-01-01'), new Date('2000-01-01'));
    }));
    expect(old.snapshot).to.equal(false);
    same(old, await plain(['version']));
  });

  it('a symlink to the launcher (as krew installs it) finds its dist/', async () => {
    const dir = tempDir('link');
    symlinkSync(launcher, join(dir, 'kubectl-gray'));
    const r = await launch(['nosuch'], cleanEnv(), join(dir, 'kubectl-gray'));
    expect(r.snapshot).to.equal(true);
    same(r, await plain(['nosuch']));
    const page = await launch(['version'], cleanEnv(), join(dir, 'kubectl-gray'));
    expect(page.trace).to.contain('exec cat');
    same(page, await plain(['version']));
  });

  describe('NODE_EXTRA_CA_CERTS', () => {
    let api: FakeApiServer;
    let caFile: string;
    before(async () => {
      api = await startFakeApiServer(bookinfo('shop').objects.map((o) => ({ ...o, metadata: { ...o.metadata, resourceVersion: '7' } })));
      caFile = join(tempDir('ca'), 'ca.pem');
      writeFileSync(caFile, api.ca.cert);
    });
    after(() => api.close());

    it('is handed over, not parsed at start-up, on the fast path; unreadable, it is left to node', async () => {
      const r = await launch(['nosuch'], { ...cleanEnv(), NODE_EXTRA_CA_CERTS: caFile });
      expect(r.trace).to.contain('unset NODE_EXTRA_CA_CERTS');
      const missing = await launch(['nosuch'], { ...cleanEnv(), NODE_EXTRA_CA_CERTS: '/nonexistent/ca.pem' });
      expect(missing.trace).to.not.contain('unset NODE_EXTRA_CA_CERTS');
      same(missing, await plain(['nosuch'], { ...cleanEnv(), NODE_EXTRA_CA_CERTS: '/nonexistent/ca.pem' }));
    });

    it('still trusts that file for a cluster without a CA in the kubeconfig, as node would', async () => {
      const args = ['set-weight', 'reviews', 'v2=10', '-n', 'shop', '--dry-run=server', '--kubeconfig', api.kubeconfig({ caData: false })];
      const env = { ...cleanEnv(), NODE_EXTRA_CA_CERTS: caFile };
      const fast = await launch(args, env);
      expect(fast.snapshot).to.equal(true);
      expect(fast.stdout).to.equal('virtualservice.networking.istio.io/reviews reweighted (server dry run)\n  http[0] default (*): v1=90% v2=10%\n');
      same(fast, await plain(args, env));
      const noTrust = await plain(args, cleanEnv());
      expect(noTrust.status).to.equal(1);
    });

    it('an exec credential plugin gets the environment the user gave, not what the launcher handed over', async () => {
      // The fast path moves NODE_EXTRA_CA_CERTS aside and starts node with --use-openssl-ca, changing
      // SSL_CERT_FILE for the moment the root store is made: the plugin a kubeconfig runs must see neither.
      const dir = tempDir('exec');
      const seen = join(dir, 'env');
      writeFileSync(join(dir, 'credential.sh'), `#!/bin/sh
env > ${seen}
echo '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"secret"}}'
`, { mode: 0o755 });
      const kubeconfig = join(dir, 'kubeconfig');
      writeFileSync(kubeconfig, readFileSync(api.kubeconfig(), 'utf8').replace('user: {token: secret}',
        `user:\n    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: ${join(dir, 'credential.sh')}, interactiveMode: Never}`));
      const env = { ...cleanEnv(), NODE_EXTRA_CA_CERTS: caFile, SSL_CERT_FILE: join(dir, 'users-own.pem') };
      const fast = await launch(['set-weight', 'reviews', 'v2=10', '-n', 'shop', '--dry-run=server', '--kubeconfig', kubeconfig], env);
      expect(fast.trace).to.contain('--use-openssl-ca');
      expect(fast.stderr).to.equal('');
      expect(fast.status).to.equal(0);
      const vars = readFileSync(seen, 'utf8').split('\n').filter((l) => /^(NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|KUBECTL_GRAY_)/.test(l)).sort();
      expect(vars).to.deep.equal([`NODE_EXTRA_CA_CERTS=${caFile}`, `SSL_CERT_FILE=${join(dir, 'users-own.pem')}`]);
    });
  });
});
