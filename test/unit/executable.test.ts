// bin/kubectl-gray: the plugin as one executable (a Node single executable application). It must run with
// nothing beside it and no node on PATH, print exactly what the unbundled plugin (dist/plugin/entry.js) prints,
// and treat TLS trust and the environment as node itself does. Built by `make build`; the unit tests need it.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { lstatSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FakeApiServer, startFakeApiServer } from '../support/fake-apiserver.js';
import { bookinfo } from '../support/fixtures.js';
import { tempDir } from '../support/temp.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const executable = join(root, 'bin', 'kubectl-gray');
const unbundled = join(root, 'dist', 'plugin', 'entry.js');
const bookinfoFile = join(root, 'test', 'fixtures', 'bookinfo.yaml');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

/** An environment with no node on PATH and none of node's variables: what a user's shell may well be. */
const bareEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ PATH: '/usr/bin:/bin', HOME: tempDir('home'), ...extra });

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

const gray = (args: string[], env = bareEnv(), bin = executable) => exec(bin, args, env);
const plain = (args: string[], env = bareEnv()) => exec(process.execPath, [unbundled, ...args], env);

/** A VirtualService with a schema error on line 9 (its position comes from the yaml package) and a regex RE2 refuses. */
function badVirtualService(): string {
  const bad = join(tempDir('analyze'), 'bad.yaml');
  writeFileSync(bad, 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: x}\nspec:\n  hosts: [a]\n'
    + '  http:\n  - match: [{headers: {user: {regex: "(?<=x)y"}}}]\n    route: [{destination: {host: a}}]\n  - route: [{destination: {host: a}, weight: "x"}]\n');
  return bad;
}

describe('bin/kubectl-gray (single executable)', function () {
  // Each test starts the 120 MB executable a few times: 0.1 s idle, over 1 s on a busy 2-core machine.
  this.timeout(60_000);

  it('is one regular file that runs with no node on PATH and prints the project version', async () => {
    expect(lstatSync(executable).isFile()).to.equal(true);
    expect(await gray(['version'])).to.deep.equal({ status: 0, stdout: `kubectl-gray ${version}\n`, stderr: '' });
  });

  it('one version: the chart\'s source carries package.json\'s as its version and appVersion', () => {
    const chart = readFileSync(join(root, 'charts', 'kubectl-gray', 'Chart.yaml'), 'utf8');
    expect([/^version: (\S+)$/m.exec(chart)?.[1], /^appVersion: "(\S+)"$/m.exec(chart)?.[1]]).to.deep.equal([version, version]);
  });

  it('prints exactly what the unbundled plugin prints: help, usage errors, analyze (schema validators, YAML positions, RE2, JSONPath)', async () => {
    const bad = badVirtualService();
    for (const args of [['--help'], ['set-weight', '-h'], ['nosuch'], ['set-weight', 'reviews'], ['analyze', bad], ['analyze', bookinfoFile, '-o', 'json'],
      ['-n', 'x', 'analyze', bad, '-o', 'sarif'], ['analyze', bad, '-o', 'jsonpath={range .findings[*]}{.rule} {end}'],
      ['__complete', 'set-weight', '--d'], ['completion', 'script']]) {
      const [a, b] = await Promise.all([gray(args), plain(args)]);
      expect(a, args.join(' ')).to.deep.equal(b);
    }
    const report = await gray(['analyze', bad]);
    expect(report.status).to.equal(3);
    expect(report.stdout).to.contain('GRAY304').and.contain('spec.http[1].route[0].weight').and.contain('not valid RE2').and.match(/bad\.yaml:9:\d+: /);
  });

  it('stops quietly (141, no stack) when the reader closes the pipe early, like kubectl | head', async () => {
    // The child waits for a line on stdin, sent once our end of its stdout is really closed.
    const child = spawn('sh', ['-c', 'read go; exec "$@"', 'sh', executable, '--help'], { env: bareEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout.destroy();
    await new Promise((resolve) => child.stdout.once('close', resolve));
    child.stdin.end('go\n');
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    expect({ status, stderr }).to.deep.equal({ status: 141, stderr: '' });
  });

  it('through a symlink (as krew installs it): runs, and completion install writes beside the link, on PATH', async () => {
    const dir = tempDir('krew-bin');
    symlinkSync(executable, join(dir, 'kubectl-gray'));
    const r = await exec('kubectl-gray', ['completion', 'install'], bareEnv({ PATH: `${dir}:/usr/bin:/bin` }));
    expect(r).to.deep.equal({ status: 0, stdout: `${join(dir, 'kubectl_complete-gray')} written: kubectl completes "kubectl gray <TAB>" (kubectl 1.26 or later, with kubectl's completion enabled: kubectl completion -h)\n`, stderr: '' });
    expect(readFileSync(join(dir, 'kubectl_complete-gray'), 'utf8')).to.equal((await gray(['completion', 'script'])).stdout);
    // The helper answers in cobra's protocol through the plugin found on PATH.
    const helper = await exec(join(dir, 'kubectl_complete-gray'), ['switch', '--n'], bareEnv({ PATH: `${dir}:/usr/bin:/bin` }));
    expect(helper).to.deep.equal({ status: 0, stdout: '--namespace\tThe namespace of the objects\n--no-color\tNever colour the output\n:4\n', stderr: '' });
  });

  describe('TLS trust and the environment, as node gives them', () => {
    let api: FakeApiServer;
    let caFile: string;
    before(async () => {
      api = await startFakeApiServer(bookinfo('shop').objects.map((o) => ({ ...o, metadata: { ...o.metadata, resourceVersion: '7' } })));
      caFile = join(tempDir('ca'), 'ca.pem');
      writeFileSync(caFile, api.ca.cert);
    });
    after(() => api.close());

    it('a kubeconfig without a CA: trusts NODE_EXTRA_CA_CERTS as node does, and nothing else', async () => {
      const args = ['set-weight', 'reviews', 'v2=10', '-n', 'shop', '--dry-run=server', '--kubeconfig', api.kubeconfig({ caData: false })];
      expect(await gray(args, bareEnv({ NODE_EXTRA_CA_CERTS: caFile }))).to.deep.equal({
        status: 0, stdout: 'virtualservice.networking.istio.io/reviews reweighted (server dry run)\n  http[0] default (*): v1=90% v2=10%\n', stderr: '',
      });
      const untrusted = await gray(args);
      expect(untrusted.status).to.equal(1);
      expect(untrusted.stderr).to.match(/^error: Unable to connect to the server 127\.0\.0\.1:\d+: /);
    });

    it('an exec credential plugin gets the environment the user gave', async () => {
      const dir = tempDir('exec');
      const seen = join(dir, 'env');
      writeFileSync(join(dir, 'credential.sh'), `#!/bin/sh
env > ${seen}
echo '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"secret"}}'
`, { mode: 0o755 });
      const kubeconfig = join(dir, 'kubeconfig');
      writeFileSync(kubeconfig, readFileSync(api.kubeconfig(), 'utf8').replace('user: {token: secret}',
        `user:\n    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: ${join(dir, 'credential.sh')}, interactiveMode: Never}`));
      const env = bareEnv({ NODE_EXTRA_CA_CERTS: caFile, SSL_CERT_FILE: join(dir, 'users-own.pem') });
      const r = await gray(['set-weight', 'reviews', 'v2=10', '-n', 'shop', '--dry-run=server', '--kubeconfig', kubeconfig], env);
      expect({ status: r.status, stderr: r.stderr }).to.deep.equal({ status: 0, stderr: '' });
      const vars = readFileSync(seen, 'utf8').split('\n').filter((l) => /^(NODE_|SSL_CERT_FILE|KUBECTL_GRAY_)/.test(l)).sort();
      expect(vars).to.deep.equal([`NODE_EXTRA_CA_CERTS=${caFile}`, `SSL_CERT_FILE=${join(dir, 'users-own.pem')}`]);
    });
  });
});
