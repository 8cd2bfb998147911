// The Helm chart: lint, golden renders of each scenario values file, schema and invariants, and a real
// `helm install --wait` into the local cluster: the webhook runs in its pods from the image assembled by
// test/cluster/images, makes its own certificates, and answers the API server through its Service.
import { expect } from 'chai';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readYaml } from '../../core/yaml.js';
import { parsePolicy } from '../../core/policy.js';
import { ROOT } from '../support/fixtures.js';
import { apply, eventually, freshNamespace, getJson, k, kubectl, serviceAccountKubeconfig, waitForPods } from '../support/kubectl.js';
import { CHART, chartWebhookAlone, helm, releasedChart } from '../support/helm.js';
import { BOOKINFO_ROUTING } from '../support/admissions.js';

const GOLDEN = join(ROOT, 'test', 'golden', 'chart');
const KUBE_VERSION = readFileSync(join(ROOT, 'test', 'cluster', 'versions.env'), 'utf8').match(/KUBE_VERSION=(\S+)/)![1]!;
const render = (...args: string[]) => helm('template', 'kubectl-gray', CHART, '-n', 'kubectl-gray-system', '--kube-version', KUBE_VERSION, ...args);
type Doc = { kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; [k: string]: unknown };
const docs = (yaml: string) => (readYaml(yaml) as Doc[]).filter(Boolean);
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

  it('keeps its invariants in every scenario: v1 reviews, no side effects but policy Events (never on a dry run), the exclusions, the opt-out label', async () => {
    for (const values of scenarios) {
      const out = docs((await render('-f', join(CHART, 'ci', values))).stdout);
      const configs = out.filter((d) => d.kind.endsWith('WebhookConfiguration'));
      expect(configs.map((c) => c.kind).sort(), values).to.deep.equal(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);
      for (const c of configs) {
        for (const w of c['webhooks'] as Array<Record<string, any>>) {
          // The guarding entries record an Event when admin policy lets a change pass or warns of it.
          expect(w['sideEffects']).to.equal(['istio.validate.kubectl-gray.io', 'gateway.validate.kubectl-gray.io'].includes(w['name']) ? 'NoneOnDryRun' : 'None');
          expect(w['admissionReviewVersions']).to.deep.equal(['v1']);
          expect(w['matchPolicy']).to.equal('Equivalent');
          if (w['name'] === 'selfcheck.kubectl-gray.io') {
            // The safe-install self-check sees only the webhook's own labelled dry runs, in the release namespace (guardrails.test.ts).
            expect([w['failurePolicy'], w['namespaceSelector'], w['objectSelector']]).to.deep.equal(['Ignore',
              { matchLabels: { 'kubernetes.io/metadata.name': 'kubectl-gray-system' } }, { matchLabels: { 'kubectl-gray.io/self-check': 'true' } }]);
            continue;
          }
          if (w['name'] === 'routes.mutate.kubectl-gray.io') {
            // The route index's labels: every namespace, never blocking a write (the webhook labels later what it missed).
            expect([w['failurePolicy'], w['namespaceSelector'], w['rules']]).to.deep.equal(['Ignore', undefined, [{
              apiGroups: ['networking.istio.io'], apiVersions: ['*'], resources: ['virtualservices'], operations: ['CREATE', 'UPDATE'], scope: 'Namespaced' }]]);
            continue;
          }
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
      const loaded = readYaml(configMap.data['policy.yaml'])[0] as Record<string, unknown>;
      expect(parsePolicy(published), values).to.deep.equal(parsePolicy(loaded));
    }
  });

  it('renders no certificate material in self-managed mode, so re-renders do not drift', async () => {
    const first = (await render()).stdout;
    expect(first).to.not.match(/BEGIN CERTIFICATE|PRIVATE KEY|caBundle/);
    expect(docs(first).some((d) => d.kind === 'Secret')).to.equal(false);
    expect((await render()).stdout).to.equal(first);
    // Both are registered fail-open; the webhook switches validating to Fail itself once proven (guardrails.test.ts).
    const policies = docs(first).filter((d) => d.kind.endsWith('WebhookConfiguration')).map((d) => `${d.kind}:${(d['webhooks'] as any[])[0].failurePolicy}`).sort();
    expect(policies).to.deep.equal(['MutatingWebhookConfiguration:Ignore', 'ValidatingWebhookConfiguration:Ignore']);
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

  describe('installed into the local cluster, answering from its own pods', () => {
    const ns = 'kubectl-gray-chart';
    const metrics = () => k('get', '--raw', `/api/v1/namespaces/${ns}/services/https:kubectl-gray-webhook:443/proxy/metrics`);
    const denials = async (rule: string) => Number((await metrics()).match(new RegExp(`decisions_total\\{webhook="validate",rule="${rule}",outcome="denied"\\} (\\d+)`))?.[1] ?? 0);

    chartWebhookAlone(ns);

    it('helm install --wait: both replicas Ready, the Secret made by the webhook itself, caBundles patched', async function () {
      this.timeout(300_000); // two pods of a 100 MiB image on a busy node, then the certificate handshake
      // As README says, from the registry; the chart's defaults pull the image it was released with (by digest).
      const r = await helm('install', 'kubectl-gray', ...releasedChart(), '-n', ns, '--create-namespace',
        '--set', 'policy.forbiddenNamespaces={frozen}', '--wait', '--timeout', '4m');
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.contain('kubectl apply --dry-run=server');
      const deployment = await getJson<any>(ns, 'deployment', 'kubectl-gray-webhook');
      expect(deployment.spec.selector.matchLabels).to.deep.equal({ 'app.kubernetes.io/name': 'kubectl-gray', 'app.kubernetes.io/instance': 'kubectl-gray', 'app.kubernetes.io/component': 'webhook' });
      expect(deployment.status.readyReplicas).to.equal(2);
      // The image the release was built with, by digest, pulled by the node from the registry (through its mirror of ghcr.io).
      const digest = JSON.parse(readFileSync(join(ROOT, 'dist', 'image', 'index.json'), 'utf8')).manifests[0].digest as string;
      expect(deployment.spec.template.spec.containers[0].image).to.equal(`ghcr.io/kubectl-gray/webhook@${digest}`);
      const running = (await waitForPods(ns, 'app.kubernetes.io/component=webhook', 2)) as any[];
      for (const p of running) expect(p.status.containerStatuses[0].imageID).to.match(new RegExp(`@${digest}$`));
      const service = await getJson<any>(ns, 'service', 'kubectl-gray-webhook');
      expect(service.spec.selector).to.deep.equal(deployment.spec.selector.matchLabels);
      await waitForPods(ns, 'app.kubernetes.io/component=webhook', 2);
      expect((await getJson<any>(ns, 'pdb', 'kubectl-gray-webhook')).spec.minAvailable).to.equal(1);
      const policy = await getJson<any>(ns, 'configmap', 'kubectl-gray-webhook-policy');
      expect(policy.data['policy.yaml']).to.contain('forbiddenNamespaces: ["frozen"]');
      // The chart's policy values become the default ClusterGrayPolicy, owned like the Secret by the configuration.
      const defaultPolicy = await eventually(async () => JSON.parse(await k('get', 'clustergraypolicy', 'kubectl-gray-default', '-o', 'json')), 60_000, 500);
      expect(defaultPolicy.spec).to.deep.include({ forbiddenNamespaces: ['frozen'], rules: {}, freezeWindows: [] });
      expect(defaultPolicy.metadata.ownerReferences.map((o: any) => o.kind)).to.deep.equal(['ValidatingWebhookConfiguration']);

      // The chart's ServiceAccount may read and write its own Secret and nothing else of the kind.
      const as = ['--as', `system:serviceaccount:${ns}:kubectl-gray-webhook`];
      expect((await kubectl(['auth', 'can-i', 'get', 'secrets', '-n', ns, ...as])).stdout.trim()).to.equal('no');
      expect((await kubectl(['auth', 'can-i', 'get', 'secret/kubectl-gray-webhook-certs', '-n', ns, ...as])).stdout.trim()).to.equal('yes');
      expect((await kubectl(['auth', 'can-i', 'update', 'validatingwebhookconfigurations/other', ...as])).stdout.trim()).to.equal('no');

      const secret = await getJson<any>(ns, 'secret', 'kubectl-gray-webhook-certs');
      expect(Object.keys(secret.data).sort()).to.deep.equal(['ca-bundle.crt', 'ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
      const vwc = JSON.parse(await k('get', 'validatingwebhookconfiguration', 'kubectl-gray', '-o', 'json'));
      expect(vwc.webhooks[0].clientConfig.service).to.deep.equal({ name: 'kubectl-gray-webhook', namespace: ns, path: '/validate', port: 443 });
      // Owned by the validating configuration, so the garbage collector removes it after helm uninstall.
      expect(secret.metadata.ownerReferences.map((o: any) => `${o.kind}/${o.name}/${o.uid}`)).to.deep.equal([`ValidatingWebhookConfiguration/kubectl-gray/${vwc.metadata.uid}`]);
      for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration']) {
        const config = JSON.parse(await k('get', kind, 'kubectl-gray', '-o', 'json'));
        expect(config.webhooks.map((w: any) => w.clientConfig.caBundle)).to.deep.equal(config.webhooks.map(() => secret.data['ca-bundle.crt']));
      }
      // The route query's APIService trusts the same CA, and the API server finds the pods behind it.
      await eventually(async () => {
        const apiService = JSON.parse(await k('get', 'apiservice', 'v1alpha1.query.kubectl-gray.io', '-o', 'json'));
        expect(apiService.spec.caBundle).to.equal(secret.data['ca-bundle.crt']);
        const available = apiService.status.conditions.find((c: any) => c.type === 'Available');
        expect(available.status, `APIService: ${available.reason}: ${available.message}`).to.equal('True');
      }, 120_000, 1_000);
    });

    it('the webhook in its pods refuses bad weights, undefined subsets and removing a subset in use, and labels new Deployments', async () => {
      const shop = await freshNamespace('chart-shop');
      await apply(shop, BOOKINFO_ROUTING);
      const before = { total: await denials('weight-total'), undefined: await denials('subset-undefined'), inUse: await denials('subset-in-use') };

      const weights = await kubectl(['patch', 'vs', 'reviews', '-n', shop, '--type=json', '-p', '[{"op":"replace","path":"/spec/http/0/route/0/weight","value":90},{"op":"add","path":"/spec/http/0/route/-","value":{"destination":{"host":"reviews","subset":"v2"},"weight":5}}]']);
      expect(weights.code).to.not.equal(0);
      expect(weights.stderr).to.contain('admission webhook "istio.validate.kubectl-gray.io" denied the request');
      expect(weights.stderr).to.contain('GRAY101 weight-total');
      // The caches in the pods see the DestinationRule the shop just created: a short wait at most.
      const undefinedSubset = await eventually(async () => {
        const r = await kubectl(['patch', 'vs', 'reviews', '-n', shop, '--type=json', '-p', '[{"op":"replace","path":"/spec/http/0/route/0/destination/subset","value":"v9"}]']);
        expect(r.stderr).to.contain('GRAY104 subset-undefined');
        return r;
      }, 30_000);
      expect(undefinedSubset.code).to.not.equal(0);
      const inUse = await eventually(async () => {
        const r = await kubectl(['patch', 'dr', 'reviews', '-n', shop, '--type=json', '-p', '[{"op":"remove","path":"/spec/subsets/0"}]']);
        expect(r.stderr).to.contain('GRAY110 subset-in-use');
        return r;
      }, 30_000);
      expect(inUse.code).to.not.equal(0);
      // Counted by the pods' own metrics, reached through their Service: the refusals came from them.
      await eventually(async () => {
        const after = { total: await denials('weight-total'), undefined: await denials('subset-undefined'), inUse: await denials('subset-in-use') };
        expect(after.total).to.be.greaterThan(before.total);
        expect(after.undefined).to.be.greaterThan(before.undefined);
        expect(after.inUse).to.be.greaterThan(before.inUse);
      }, 30_000);

      const created = await kubectl(['create', 'deployment', 'ratings', '--image=registry.local/gray-workload:dev', '--replicas=0', '-n', shop]);
      expect(created.code, created.stderr).to.equal(0);
      const labels = (await getJson<any>(shop, 'deployment', 'ratings')).spec.template.metadata.labels;
      expect(labels).to.deep.equal({ app: 'ratings', version: 'dev' });
    });

    it('keeps the route index: labels on each write, and on what was written around it, found by a label selector', async function () {
      this.timeout(180_000);
      const shop = await freshNamespace('chart-index');
      await apply(shop, BOOKINFO_ROUTING);
      const reviews = `routes.kubectl-gray.io/reviews.${shop}.svc.cluster.local`;
      const labels = async (kind: string, name: string) => (await getJson<any>(shop, kind, name)).metadata.labels ?? {};
      expect(await labels('vs', 'reviews')).to.include({ [reviews]: 'true', 'kubectl-gray.io/route-index': 'v1' });
      const as = ['--as', `system:serviceaccount:${ns}:kubectl-gray-webhook`];
      expect((await kubectl(['auth', 'can-i', 'patch', 'virtualservices.networking.istio.io', '-n', shop, ...as])).stdout.trim()).to.equal('yes');
      expect((await kubectl(['auth', 'can-i', 'update', 'virtualservices.networking.istio.io', '-n', shop, ...as])).stdout.trim()).to.equal('no');
      expect((await kubectl(['auth', 'can-i', 'patch', 'destinationrules.networking.istio.io', '-n', shop, ...as])).stdout.trim()).to.equal('no');

      // Written while the labelling entry does not apply (as while the webhook is away): labelled by the pods soon after.
      const entry = JSON.parse(await k('get', 'mutatingwebhookconfiguration', 'kubectl-gray', '-o', 'json')).webhooks
        .findIndex((w: any) => w.name === 'routes.mutate.kubectl-gray.io');
      expect(entry).to.be.greaterThan(-1);
      const patchEntry = (op: object) => k('patch', 'mutatingwebhookconfiguration', 'kubectl-gray', '--type=json', '-p', JSON.stringify([op]));
      await patchEntry({ op: 'add', path: `/webhooks/${entry}/objectSelector`, value: { matchLabels: { 'e2e.kubectl-gray.io/never': 'true' } } });
      try {
        const gateway = `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: side-door}\nspec:\n  hosts: [side.example.com]\n  gateways: [istio-system/ingress]\n  http:\n  - route:\n    - destination: {host: reviews, subset: v1}\n`;
        // The configuration reaches the API server's admission chain a moment later: a write until one goes unlabelled.
        await eventually(async () => {
          await kubectl(['delete', 'vs', 'side-door', '-n', shop, '--ignore-not-found']);
          await apply(shop, gateway);
          expect(await labels('vs', 'side-door')).to.not.have.property(reviews);
        }, 30_000, 500);
      } finally {
        await patchEntry({ op: 'remove', path: `/webhooks/${entry}/objectSelector` });
      }
      await eventually(async () => expect(await labels('vs', 'side-door')).to.include({ [reviews]: 'true', 'routes.kubectl-gray.io/side.example.com': 'true' }), 60_000, 500);
      const found = (await k('get', 'vs', '-A', '-l', reviews, '-o', 'name')).trim().split('\n').sort();
      expect(found).to.deep.equal(['virtualservice.networking.istio.io/reviews', 'virtualservice.networking.istio.io/side-door']);
    });

    it('answers the route query from its pods: anyone who may view a namespace may ask, and hears only of what they may list', async function () {
      this.timeout(120_000);
      const shop = await freshNamespace('chart-query');
      await apply(shop, BOOKINFO_ROUTING);
      const other = await freshNamespace('chart-query-other');
      await apply(other, `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: edge}\nspec:\n  hosts: [edge.example.com]\n  http:\n  - route:\n    - destination: {host: reviews.${shop}.svc.cluster.local, subset: v1}\n`);
      // The chart adds the query to the view role: a RoleBinding to view is all a user needs.
      const viewer = await serviceAccountKubeconfig(shop, 'viewer');
      await k('create', 'rolebinding', 'view', '--clusterrole=view', `--serviceaccount=${shop}:viewer`, '-n', shop);
      // Istio's kinds are not in the view role unless Istio's install adds them: a Role says who may read them here.
      await k('create', 'role', 'istio-reader', '--verb=get,list', '--resource=virtualservices.networking.istio.io,destinationrules.networking.istio.io', '-n', shop);
      await k('create', 'rolebinding', 'istio-reader', '--role=istio-reader', `--serviceaccount=${shop}:viewer`, '-n', shop);
      const names = async (kubeconfig?: string) => {
        const r = await kubectl(['get', 'serviceroutes.query.kubectl-gray.io', 'reviews', '-n', shop, '-o', 'json'], kubeconfig ? { env: { KUBECONFIG: kubeconfig } } : {});
        if (r.code !== 0) throw new Error(r.stderr);
        return (JSON.parse(r.stdout).virtualServices as any[]).map((x) => `${x.namespace}/${x.name}`).sort();
      };
      await eventually(async () => expect(await names()).to.deep.equal([`${other}/edge`, `${shop}/reviews`].sort()), 60_000, 500);
      expect(await names(viewer)).to.deep.equal([`${shop}/reviews`]);
      // status as that user, through the query: the route is found and shown (exit 3: no pod serves it here).
      const g = await kubectl(['gray', 'status', 'reviews', '-n', shop, '--kubeconfig', viewer]);
      expect(g.stdout, g.stderr).to.contain(`${shop}/reviews`);
      expect(g.code, g.stderr).to.equal(3);
      expect(g.stderr).to.not.contain('Error from server');
    });

    it('helm upgrade with a new policy takes effect without restarting the pods', async function () {
      this.timeout(240_000); // the kubelet refreshes ConfigMap volumes on its sync period, the webhook polls the file
      const frozen = await freshNamespace('chart-frozen');
      const podsBefore = (await waitForPods(ns, 'app.kubernetes.io/component=webhook', 2)).map((p: any) => `${p.metadata.uid}:${p.status.containerStatuses[0].restartCount}`).sort();
      const r = await helm('upgrade', 'kubectl-gray', ...releasedChart(), '-n', ns, '--reuse-values', '--set', `policy.forbiddenNamespaces={frozen,${frozen}}`, '--wait', '--timeout', '3m');
      expect(r.code, r.stderr).to.equal(0);
      // Each try is a new object (a server-side dry run): an apply of an unchanged object would send nothing to judge.
      let attempt = 0;
      await eventually(async () => {
        const probe = `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: probe-${++attempt}}\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews}\n`;
        const res = await kubectl(['create', '--dry-run=server', '-n', frozen, '-f', '-'], { input: probe });
        expect(res.stderr).to.contain('GRAY201 namespace-forbidden');
      }, 180_000, 1_000);
      const podsAfter = (await waitForPods(ns, 'app.kubernetes.io/component=webhook', 2)).map((p: any) => `${p.metadata.uid}:${p.status.containerStatuses[0].restartCount}`).sort();
      expect(podsAfter).to.deep.equal(podsBefore);
    });

    it('helm uninstall leaves no webhook configuration, Secret or RBAC object behind', async function () {
      this.timeout(180_000);
      const r = await helm('uninstall', 'kubectl-gray', '-n', ns, '--wait');
      expect(r.code, r.stderr).to.equal(0);
      await eventually(async () => {
        const left = await k('get', 'validatingwebhookconfiguration,mutatingwebhookconfiguration,clusterrole,clusterrolebinding,apiservice', '-l', 'app.kubernetes.io/instance=kubectl-gray', '-o', 'name');
        expect(left.trim()).to.equal('');
        expect((await k('get', 'rolebindings', '-n', 'kube-system', '-l', 'app.kubernetes.io/instance=kubectl-gray', '-o', 'name')).trim()).to.equal('');
        expect((await kubectl(['get', 'validatingwebhookconfiguration,mutatingwebhookconfiguration', 'kubectl-gray'])).code).to.not.equal(0);
        const inNamespace = await k('get', 'secrets,roles,rolebindings,serviceaccounts,configmaps,services,deployments', '-n', ns, '-o', 'name');
        expect(inNamespace.split('\n').filter((n) => n && !n.endsWith('/kube-root-ca.crt') && !n.endsWith('/default'))).to.deep.equal([]);
        // The default policy goes with the configuration that owns it; the CRDs stay, and with them admins' policies.
        expect((await kubectl(['get', 'clustergraypolicy', 'kubectl-gray-default'])).code).to.not.equal(0);
      }, 120_000, 1_000);
      expect(await k('get', 'crd', 'clustergraypolicies.policy.kubectl-gray.io', 'graypolicies.policy.kubectl-gray.io', '-o', 'name')).to.contain('graypolicies');
    });
  });
});
