// The Helm chart: lint, golden renders of each scenario values file, schema and invariants, and a real
// `helm install` into the local control plane, whose self-managed certificate logic is then run by the
// webhook process itself with the chart's ServiceAccount token (pods do not run here: no kubelet).
import { expect } from 'chai';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { load, loadAll } from 'js-yaml';
import { parsePolicy } from '../../core/policy.js';
import { ROOT } from '../support/fixtures.js';
import { KUBECONFIG, eventually, getJson, k, kubectl } from '../support/kubectl.js';

const HELM = join(ROOT, 'test', 'cluster', 'bin', 'helm');
const CHART = join(ROOT, 'charts', 'kubectl-gray');
const GOLDEN = join(ROOT, 'test', 'golden', 'chart');
const KUBE_VERSION = readFileSync(join(ROOT, 'test', 'cluster', 'versions.env'), 'utf8').match(/KUBE_VERSION=(\S+)/)![1]!;
const run = promisify(execFile);

async function helm(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(HELM, args, { env: { ...process.env, KUBECONFIG, HELM_CACHE_HOME: join(tmpdir(), 'gray-helm-cache'), HELM_CONFIG_HOME: join(tmpdir(), 'gray-helm-config') } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code || 1, stdout: e.stdout, stderr: e.stderr };
  }
}

const render = (...args: string[]) => helm('template', 'kubectl-gray', CHART, '-n', 'kubectl-gray-system', '--kube-version', KUBE_VERSION, ...args);
type Doc = { kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; [k: string]: unknown };
const docs = (yaml: string) => (loadAll(yaml) as Doc[]).filter(Boolean);
const scenarios = readdirSync(join(CHART, 'ci')).filter((f) => f.endsWith('-values.yaml')).sort();

describe('e2e: the Helm chart', function () {
  this.timeout(120_000);

  it('lints with every scenario values file', async () => {
    for (const values of scenarios) {
      const r = await helm('lint', CHART, '--strict', '--kube-version', KUBE_VERSION, '-f', join(CHART, 'ci', values));
      expect(r.code, `${values}: ${r.stdout}${r.stderr}`).to.equal(0);
    }
  });

  for (const values of scenarios) {
    it(`renders ${values} exactly as the golden manifest`, async () => {
      const r = await render('-f', join(CHART, 'ci', values));
      expect(r.code, r.stderr).to.equal(0);
      const golden = join(GOLDEN, values.replace('-values.yaml', '.yaml'));
      if (process.env['UPDATE_GOLDEN']) {
        mkdirSync(GOLDEN, { recursive: true });
        writeFileSync(golden, r.stdout);
      }
      expect(existsSync(golden), `${golden} missing: run with UPDATE_GOLDEN=1 and review it`).to.equal(true);
      expect(r.stdout).to.equal(readFileSync(golden, 'utf8'));
    });
  }

  it('keeps its invariants in every scenario: v1 reviews, no side effects, the exclusions, the opt-out label', async () => {
    for (const values of scenarios) {
      const out = docs((await render('-f', join(CHART, 'ci', values))).stdout);
      const configs = out.filter((d) => d.kind.endsWith('WebhookConfiguration'));
      expect(configs.map((c) => c.kind).sort(), values).to.deep.equal(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);
      for (const c of configs) {
        for (const w of c['webhooks'] as Array<Record<string, any>>) {
          expect(w['sideEffects']).to.equal('None');
          expect(w['admissionReviewVersions']).to.deep.equal(['v1']);
          expect(w['matchPolicy']).to.equal('Equivalent');
          const exprs = w['namespaceSelector'].matchExpressions as Array<{ key: string; operator: string; values: string[] }>;
          const names = exprs.find((e) => e.key === 'kubernetes.io/metadata.name')!;
          expect(names.operator).to.equal('NotIn');
          expect(names.values).to.include.members(['kube-system', 'kubectl-gray-system']);
          expect(exprs.find((e) => e.key === 'kubectl-gray.io/webhook')).to.deep.equal({ key: 'kubectl-gray.io/webhook', operator: 'NotIn', values: ['disabled'] });
        }
      }
      const validating = configs.find((c) => c.kind === 'ValidatingWebhookConfiguration')!['webhooks'] as Array<Record<string, any>>;
      const mutating = configs.find((c) => c.kind === 'MutatingWebhookConfiguration')!['webhooks'] as Array<Record<string, any>>;
      expect(validating[0]!['rules'][0].operations).to.deep.equal(['CREATE', 'UPDATE', 'DELETE']);
      expect(mutating[0]!['rules'][0]).to.include({ scope: 'Namespaced' });
      const deployment = out.find((d) => d.kind === 'Deployment') as any;
      const container = deployment.spec.template.spec.containers[0];
      expect(container.securityContext).to.deep.equal({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(deployment.spec.template.spec.securityContext.runAsNonRoot).to.equal(true);
      expect([container.livenessProbe.httpGet, container.readinessProbe.httpGet]).to.deep.equal([
        { path: '/healthz', port: 'https', scheme: 'HTTPS' }, { path: '/readyz', port: 'https', scheme: 'HTTPS' }]);
      expect(out.some((d) => d.kind === 'PodDisruptionBudget')).to.equal(deployment.spec.replicas > 1);
      // The policy the plugin reads from the configuration is the one the webhook loads from its ConfigMap.
      const configMap = out.find((d) => d.kind === 'ConfigMap') as any;
      const published = JSON.parse(configs.find((c) => c.kind === 'ValidatingWebhookConfiguration')!.metadata.annotations!['kubectl-gray.io/policy']!);
      const loaded = load(configMap.data['policy.yaml']) as Record<string, unknown>;
      expect(parsePolicy(published), values).to.deep.equal(parsePolicy(loaded));
    }
  });

  it('renders no certificate material in self-managed mode, so re-renders do not drift', async () => {
    const first = (await render()).stdout;
    expect(first).to.not.match(/BEGIN CERTIFICATE|PRIVATE KEY|caBundle/);
    expect(docs(first).some((d) => d.kind === 'Secret')).to.equal(false);
    expect((await render()).stdout).to.equal(first);
    // Mutating fails open by default, validating fails closed.
    const policies = docs(first).filter((d) => d.kind.endsWith('WebhookConfiguration')).map((d) => `${d.kind}:${(d['webhooks'] as any[])[0].failurePolicy}`).sort();
    expect(policies).to.deep.equal(['MutatingWebhookConfiguration:Ignore', 'ValidatingWebhookConfiguration:Fail']);
  });

  it('refuses a misspelt key and contradictory certificate settings', async () => {
    const typo = await render('--set', 'replica=3');
    expect(typo.code).to.not.equal(0);
    expect(typo.stderr).to.contain("additional properties 'replica' not allowed");
    const policyTypo = await render('--set', 'policy.rules.weight-totl=warn');
    expect(policyTypo.stderr).to.contain("additional properties 'weight-totl' not allowed");
    const contradiction = await render('--set', 'certificates.userSupplied.secretName=mine');
    expect(contradiction.stderr).to.contain('certificates.userSupplied.* is set but certificates.mode is selfManaged');
    const incomplete = await render('--set', 'certificates.mode=userSupplied');
    expect(incomplete.stderr).to.contain('certificates.mode=userSupplied needs both certificates.userSupplied.secretName and certificates.userSupplied.caBundle');
  });

  describe('installed into the local control plane', () => {
    const ns = 'kubectl-gray-chart';
    let webhook: ChildProcess | undefined;

    after(async () => {
      webhook?.kill('SIGTERM');
      // Its webhook configurations point at a Service with no pods: take them away so nothing else is refused.
      await helm('uninstall', 'kubectl-gray', '-n', ns, '--wait=false');
    });

    it('helm install creates the objects with the right names and selectors', async () => {
      const r = await helm('install', 'kubectl-gray', CHART, '-n', ns, '--create-namespace', '--set', `policy.forbiddenNamespaces={frozen}`);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.contain('kubectl apply --dry-run=server');
      const deployment = await getJson<any>(ns, 'deployment', 'kubectl-gray-webhook');
      expect(deployment.spec.selector.matchLabels).to.deep.equal({ 'app.kubernetes.io/name': 'kubectl-gray', 'app.kubernetes.io/instance': 'kubectl-gray', 'app.kubernetes.io/component': 'webhook' });
      const service = await getJson<any>(ns, 'service', 'kubectl-gray-webhook');
      expect(service.spec.selector).to.deep.equal(deployment.spec.selector.matchLabels);
      const vwc = JSON.parse(await k('get', 'validatingwebhookconfiguration', 'kubectl-gray', '-o', 'json'));
      expect(vwc.webhooks[0].clientConfig.service).to.deep.equal({ name: 'kubectl-gray-webhook', namespace: ns, path: '/validate', port: 443 });
      const policy = await getJson<any>(ns, 'configmap', 'kubectl-gray-webhook-policy');
      expect(policy.data['policy.yaml']).to.contain('forbiddenNamespaces: ["frozen"]');
      expect((await getJson<any>(ns, 'pdb', 'kubectl-gray-webhook')).spec.minAvailable).to.equal(1);
    });

    it('self-managed certificates: with only the chart\'s permissions the webhook creates its Secret and patches the caBundle', async () => {
      // The chart's ServiceAccount, as a pod would run it: a token from the TokenRequest API.
      const token = (await k('create', 'token', 'kubectl-gray-webhook', '-n', ns)).trim();
      const admin = JSON.parse(await k('config', 'view', '--raw', '--minify', '-o', 'json'));
      const dir = mkdtempSync(join(tmpdir(), 'gray-sa-'));
      const saConfig = join(dir, 'kubeconfig');
      writeFileSync(saConfig, JSON.stringify({
        apiVersion: 'v1', kind: 'Config', clusters: admin.clusters,
        users: [{ name: 'sa', user: { token } }],
        contexts: [{ name: 'sa', context: { cluster: admin.clusters[0].name, user: 'sa', namespace: ns } }],
        'current-context': 'sa',
      }));
      // The SA may not read other Secrets: least privilege holds.
      const as = ['--as', `system:serviceaccount:${ns}:kubectl-gray-webhook`];
      expect((await kubectl(['auth', 'can-i', 'get', 'secrets', '-n', ns, ...as])).stdout.trim()).to.equal('no');
      expect((await kubectl(['auth', 'can-i', 'get', 'secret/kubectl-gray-webhook-certs', '-n', ns, ...as])).stdout.trim()).to.equal('yes');
      expect((await kubectl(['auth', 'can-i', 'update', 'validatingwebhookconfigurations/other', ...as])).stdout.trim()).to.equal('no');
      writeFileSync(join(dir, 'policy.yaml'), 'rules: {}\n');
      const port = await freePort();
      webhook = spawn(process.execPath, [join(ROOT, 'dist', 'webhook', 'main.js'), 'serve', '--self-managed-certs', '--namespace', ns,
        '--secret-name', 'kubectl-gray-webhook-certs', '--webhook-config-name', 'kubectl-gray', '--service-name', 'kubectl-gray-webhook',
        '--cert-dir', join(dir, 'certs'), '--kubeconfig', saConfig, '--policy', join(dir, 'policy.yaml'), '--host', '127.0.0.1', '--port', String(port)],
      { stdio: ['ignore', 'ignore', 'pipe'] });
      let log = '';
      webhook.stderr!.on('data', (d) => { log += d; });

      const secret = await eventually(async () => getJson<any>(ns, 'secret', 'kubectl-gray-webhook-certs'), 30_000).catch((e) => { throw new Error(`${e}\n${log}`); });
      expect(Object.keys(secret.data).sort()).to.deep.equal(['ca-bundle.crt', 'ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
      const bundle = secret.data['ca-bundle.crt'];
      for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration']) {
        await eventually(async () => {
          const config = JSON.parse(await k('get', kind, 'kubectl-gray', '-o', 'json'));
          expect(config.webhooks.map((w: any) => w.clientConfig.caBundle)).to.deep.equal(config.webhooks.map(() => bundle));
        });
      }
      // It serves TLS with a certificate for the Service's DNS name, trusted through that bundle.
      const ca = Buffer.from(bundle, 'base64').toString();
      const body = await eventually(() => get(port, '/healthz', ca, `kubectl-gray-webhook.${ns}.svc`));
      expect(body).to.equal('ok');
      // A second start finds the Secret and keeps it (two replicas share one CA).
      webhook.kill('SIGTERM');
      await new Promise((r) => webhook!.once('exit', r));
      webhook = spawn(process.execPath, [join(ROOT, 'dist', 'webhook', 'main.js'), 'serve', '--self-managed-certs', '--namespace', ns,
        '--secret-name', 'kubectl-gray-webhook-certs', '--webhook-config-name', 'kubectl-gray', '--service-name', 'kubectl-gray-webhook',
        '--cert-dir', join(dir, 'certs2'), '--kubeconfig', saConfig, '--policy', join(dir, 'policy.yaml'), '--host', '127.0.0.1', '--port', String(port)],
      { stdio: 'ignore' });
      await eventually(() => get(port, '/healthz', ca, `kubectl-gray-webhook.${ns}.svc`));
      const again = await getJson<any>(ns, 'secret', 'kubectl-gray-webhook-certs');
      expect(again.data['ca.crt']).to.equal(secret.data['ca.crt']);
      expect(again.metadata.resourceVersion).to.equal(secret.metadata.resourceVersion);
    });
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function get(port: number, path: string, ca: string, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, ca, servername, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${res.statusCode} ${body}`))));
    }).on('error', reject).end();
  });
}
