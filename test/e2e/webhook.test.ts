// Scenarios 8-11 and 13: the webhook registered with a real API server through real webhook
// configurations over TLS, exercised by plain kubectl apply / delete.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { vsYaml } from '../support/admissions.js';
import { fixturePath } from '../support/fixtures.js';
import { CLUSTER_DIR, CLUSTER_SCRIPTS, apply, eventually, freshNamespace, getJson, k, kubectl, serviceAccountKubeconfig } from '../support/kubectl.js';

const BOOKINFO = readFileSync(fixturePath('bookinfo.yaml'), 'utf8');

async function shop(prefix: string): Promise<string> {
  const ns = await freshNamespace(prefix);
  await apply(ns, BOOKINFO);
  return ns;
}

const applyResult = (ns: string, yaml: string, ...flags: string[]) => kubectl(['apply', '-n', ns, ...flags, '-f', '-'], { input: yaml });

describe('e2e: admission webhook on a real API server', function () {
  this.timeout(120_000);

  before(async () => {
    // Registration takes a moment to reach the API server's admission chain: poll for its effect.
    const ns = await freshNamespace('wh-ready');
    await apply(ns, BOOKINFO);
    await eventually(async () => {
      const r = await applyResult(ns, vsYaml([['v1', 80], ['v2', 10]]), '--dry-run=server');
      if (r.code === 0) throw new Error('webhook not called yet');
    });
  });

  it('scenario 8: weights that total 90 or 110 are refused at kubectl apply, saying it is our policy', async () => {
    const ns = await shop('weights');
    for (const routes of [[['v1', 80], ['v2', 10]], [['v1', 100], ['v2', 10]]] as Array<Array<[string, number]>>) {
      const r = await applyResult(ns, vsYaml(routes));
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.contain('admission webhook "istio.validate.kubectl-gray.io" denied the request');
      expect(r.stderr).to.contain('GRAY101 weight-total');
      expect(r.stderr).to.contain('Istio itself would accept this as relative shares, but kubectl-gray policy requires exactly 100');
    }
    const vs = await getJson<{ spec: { http: Array<{ route: unknown[] }> } }>(ns, 'vs', 'reviews');
    expect(vs.spec.http[0]!.route).to.have.length(1); // unchanged
    expect((await applyResult(ns, vsYaml([['v1', 90], ['v2', 10]]))).code).to.equal(0);
  });

  it('every refusal and warning is in the API server\'s audit log beside the real user, as the webhook\'s audit annotation', async () => {
    const ns = await shop('wh-audit');
    const r = await applyResult(ns, vsYaml([['v1', 80], ['v2', 10]]));
    expect(r.code).to.not.equal(0);
    const key = 'istio.validate.kubectl-gray.io/weight-total';
    const event = await eventually(async () => {
      const lines = readFileSync(join(CLUSTER_DIR, 'audit.log'), 'utf8').split('\n').filter((l) => l.includes(key) && l.includes(`"namespace":"${ns}"`));
      expect(lines, 'an audit event for the refused write').to.not.be.empty;
      return JSON.parse(lines[0]!) as { user: { username: string }; annotations: Record<string, string>; verb: string; responseStatus?: { code?: number } };
    }, 30_000, 250);
    expect(event.user.username).to.equal('admin');
    expect(event.annotations[key]).to.match(/^error GRAY101 weight-total: VirtualService .*\/reviews spec\.http\[0\]\.route: /);
    expect(event.responseStatus?.code).to.equal(403);
  });

  it('scenario 9: a route to an undefined subset is refused, naming the subsets that exist', async () => {
    const ns = await shop('subset');
    const r = await applyResult(ns, vsYaml([['v1', 90], ['v4', 10]]));
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain(`GRAY104 subset-undefined: VirtualService ${ns}/reviews spec.http[0].route[1].destination.subset: routes to subset "v4" of host reviews.${ns}.svc.cluster.local, which DestinationRule ${ns}/reviews does not define (defined: v1, v2, v3)`);
  });

  it('make-before-break: a VirtualService before its DestinationRule in one file is refused with the order to apply', async () => {
    const ns = await freshNamespace('order');
    const dr = 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews}\nspec:\n  host: reviews\n  subsets: [{name: v1, labels: {version: v1}}]\n';
    const wrong = await applyResult(ns, `${vsYaml([['v1', 100]])}---\n${dr}`);
    expect(wrong.stderr).to.contain('apply it before this VirtualService');
    const right = await applyResult(ns, `${dr}---\n${vsYaml([['v1', 100]])}`);
    expect(right.code, right.stderr).to.equal(0);
  });

  it('scenario 10: removing a subset in use, or deleting its DestinationRule, is refused naming the VirtualService', async () => {
    const ns = await shop('inuse');
    await apply(ns, vsYaml([['v1', 90], ['v2', 10]]));
    const patch = await kubectl(['patch', 'dr', 'reviews', '-n', ns, '--type=json', '-p', '[{"op":"remove","path":"/spec/subsets/1"}]']);
    expect(patch.code).to.not.equal(0);
    expect(patch.stderr).to.contain(`GRAY110 subset-in-use: DestinationRule ${ns}/reviews spec.subsets[1]: removing subset "v2" would break routes that still use it: VirtualService ${ns}/reviews`);
    const del = await kubectl(['delete', 'dr', 'reviews', '-n', ns]);
    expect(del.code).to.not.equal(0);
    expect(del.stderr).to.contain('GRAY111 destinationrule-in-use');
    // v3 is unused: removing it is fine.
    const unused = await kubectl(['patch', 'dr', 'reviews', '-n', ns, '--type=json', '-p', '[{"op":"remove","path":"/spec/subsets/2"}]']);
    expect(unused.code, unused.stderr).to.equal(0);
    // Make-before-break: move traffic off v2 with the plugin, then the subset can go.
    expect((await kubectl(['gray', 'switch', 'reviews', 'v1', '-n', ns])).code).to.equal(0);
    await eventually(async () => {
      const r = await kubectl(['patch', 'dr', 'reviews', '-n', ns, '--type=json', '-p', '[{"op":"remove","path":"/spec/subsets/1"}]']);
      if (r.code !== 0) throw new Error(r.stderr);
    });
  });

  it('warnings and server dry runs: an unreachable route is a warning; --dry-run=server gets the verdict without storing', async () => {
    const ns = await shop('warn');
    const late = `${vsYaml([['v1', 100]])}  - name: late\n    match: [{headers: {end-user: {exact: jason}}}]\n    route: [{destination: {host: reviews, subset: v3}}]\n`;
    const r = await applyResult(ns, late);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.contain('Warning: GRAY108 route-unreachable (IST0130): spec.http[1]: route "late" comes after the catch-all route spec.http[0] and can never match');
    const before = await getJson<{ metadata: { resourceVersion: string } }>(ns, 'vs', 'reviews');
    const dryBad = await applyResult(ns, vsYaml([['v1', 50], ['v2', 10]]), '--dry-run=server');
    expect(dryBad.code).to.not.equal(0);
    expect(dryBad.stderr).to.contain('GRAY101');
    const dryGood = await applyResult(ns, vsYaml([['v1', 50], ['v2', 50]]), '--dry-run=server');
    expect(dryGood.code, dryGood.stderr).to.equal(0);
    expect(dryGood.stdout).to.contain('(server dry run)');
    const after = await getJson<{ metadata: { resourceVersion: string } }>(ns, 'vs', 'reviews');
    expect(after.metadata.resourceVersion).to.equal(before.metadata.resourceVersion);
  });

  it('scenario 11: a new Deployment gets its version label; a canary also gets istio.service.tag', async () => {
    const ns = await freshNamespace('labels');
    const deployment = (name: string, annotations: Record<string, string>, labels: Record<string, string>) => JSON.stringify({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, annotations },
      // replicas 0: only the stored labels matter here, and the image is not on the node.
      spec: { replicas: 0, selector: { matchLabels: { app: 'reviews', track: name } }, template: { metadata: { labels: { ...labels, track: name } }, spec: { containers: [{ name: 'r', image: 'registry.local:5000/reviews:2.1.0' }] } } },
    });
    await apply(ns, deployment('from-tag', {}, { app: 'reviews' }));
    await apply(ns, deployment('from-annotation', { 'kubectl-gray.io/version': 'v4' }, { app: 'reviews' }));
    await apply(ns, deployment('canary', { 'kubectl-gray.io/canary': 'true' }, { app: 'reviews', version: 'v1' }));
    await apply(ns, deployment('untouched', {}, { app: 'reviews', version: 'v1' }));
    const labels = async (name: string) => (await getJson<{ spec: { template: { metadata: { labels: Record<string, string> } }; selector: unknown } }>(ns, 'deployment', name)).spec;
    expect((await labels('from-tag')).template.metadata.labels).to.deep.equal({ app: 'reviews', track: 'from-tag', version: '2.1.0' });
    expect((await labels('from-annotation')).template.metadata.labels.version).to.equal('v4');
    expect((await labels('canary')).template.metadata.labels).to.deep.equal({ app: 'reviews', track: 'canary', version: 'canary', 'istio.service.tag': 'gray' });
    expect((await labels('canary')).selector).to.deep.equal({ matchLabels: { app: 'reviews', track: 'canary' } });
    expect((await labels('untouched')).template.metadata.labels).to.deep.equal({ app: 'reviews', track: 'untouched', version: 'v1' });
  });

  it('admin policy: a forbidden namespace refuses gray changes, from kubectl and from the plugin (exit 3)', async () => {
    // The policy names this namespace; start it empty even when the suite ran before on this cluster.
    await kubectl(['delete', 'namespace', 'gray-forbidden', '--ignore-not-found', '--timeout=150s']);
    await kubectl(['create', 'namespace', 'gray-forbidden']);
    const r = await applyResult('gray-forbidden', BOOKINFO);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain('GRAY201 namespace-forbidden: DestinationRule gray-forbidden/reviews metadata.namespace: gray changes are forbidden in namespace gray-forbidden');
    // The plugin reads the policy the webhook configuration publishes and refuses locally, with the same code.
    await k('label', 'namespace', 'gray-forbidden', 'kubectl-gray.io/webhook=disabled', '--overwrite');
    await eventually(async () => { if ((await applyResult('gray-forbidden', BOOKINFO)).code !== 0) throw new Error('not yet'); });
    await k('label', 'namespace', 'gray-forbidden', 'kubectl-gray.io/webhook-');
    const before = await getJson<{ metadata: { resourceVersion: string } }>('gray-forbidden', 'vs', 'reviews');
    const g = await kubectl(['gray', 'set-weight', 'reviews', 'v2=10', '-n', 'gray-forbidden']);
    expect(g.code, g.stderr).to.equal(3);
    expect(g.stderr).to.contain('error: refused by 1 rule violation(s); nothing was changed:\n  GRAY201 namespace-forbidden: VirtualService gray-forbidden/reviews metadata.namespace');
    expect((await getJson<{ metadata: { resourceVersion: string } }>('gray-forbidden', 'vs', 'reviews')).metadata.resourceVersion).to.equal(before.metadata.resourceVersion);
  });

  it('the route query: the API server says who asks, the answer names only what they may list, and kubectl gray reads through it', async () => {
    const ns = await shop('query');
    const other = await freshNamespace('query-other');
    // Another team's VirtualService that also sends to this shop's reviews.
    await apply(other, `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: edge}\nspec:\n  hosts: [edge.example.com]\n  http:\n  - route:\n    - destination: {host: reviews.${ns}.svc.cluster.local, subset: v1}\n`);
    const path = `/apis/query.kubectl-gray.io/v1alpha1/namespaces/${ns}/serviceroutes/reviews`;
    const names = async () => (JSON.parse(await k('get', '--raw', path)).virtualServices as Array<{ namespace: string; name: string }>)
      .map((r) => `${r.namespace}/${r.name}`).sort();
    await eventually(async () => expect(await names()).to.deep.equal([`${other}/edge`, `${ns}/reviews`].sort()));

    // A ServiceAccount that may view the shop alone: the other team's route is left out. One with no access at all
    // is refused by the API server itself, before the webhook is asked.
    const viewer = await serviceAccountKubeconfig(ns, 'viewer');
    const stranger = await serviceAccountKubeconfig(ns, 'stranger');
    await k('create', 'rolebinding', 'view', '--clusterrole=view', `--serviceaccount=${ns}:viewer`, '-n', ns);
    // Istio's kinds are not in the view role unless Istio's install adds them: a Role says who may read them here.
    await k('create', 'role', 'istio-reader', '--verb=get,list', '--resource=virtualservices.networking.istio.io,destinationrules.networking.istio.io', '-n', ns);
    await k('create', 'rolebinding', 'istio-reader', '--role=istio-reader', `--serviceaccount=${ns}:viewer`, '-n', ns);
    await k('create', 'clusterrole', `serviceroutes-${ns}`, '--verb=get', '--resource=serviceroutes.query.kubectl-gray.io');
    await k('create', 'clusterrolebinding', `serviceroutes-${ns}`, `--clusterrole=serviceroutes-${ns}`, `--serviceaccount=${ns}:viewer`);
    try {
      const as = (kubeconfig: string) => kubectl(['get', '--raw', path], { env: { KUBECONFIG: kubeconfig } });
      await eventually(async () => {
        const r = await as(viewer);
        expect(r.code, r.stderr).to.equal(0);
        expect(JSON.parse(r.stdout).virtualServices.map((x: { namespace: string; name: string }) => `${x.namespace}/${x.name}`)).to.deep.equal([`${ns}/reviews`]);
      });
      const refused = await as(stranger);
      expect(refused.code).to.not.equal(0);
      expect(refused.stderr).to.contain('Forbidden');
      // kubectl gray --as: the API server passes the impersonated user on, so status shows the other team's way in
      // to the admin, and not to the viewer.
      const asAdmin = await kubectl(['gray', 'status', 'reviews', '-n', ns]);
      expect(asAdmin.stdout, asAdmin.stderr).to.contain(`${other}/edge`);
      const asViewer = await kubectl(['gray', 'status', 'reviews', '-n', ns, '--as', `system:serviceaccount:${ns}:viewer`]);
      expect(asViewer.stdout, asViewer.stderr).to.contain(`${ns}/reviews`);
      expect(asViewer.stdout).to.not.contain(`${other}/edge`);
    } finally {
      await kubectl(['delete', 'clusterrole,clusterrolebinding', `serviceroutes-${ns}`, '--ignore-not-found']);
    }

    // Straight at the webhook, without the API server's client certificate, the same headers are not believed.
    const port = readFileSync(join(CLUSTER_DIR, 'webhook-port'), 'utf8').trim();
    const forged = execFileSync('curl', ['-sk', '-H', 'X-Remote-User: admin', '-H', 'X-Remote-Group: system:masters', `https://127.0.0.1:${port}${path}`], { encoding: 'utf8' });
    expect(JSON.parse(forged)).to.include({ kind: 'Status', code: 401 });

    // kubectl gray asks it and plans from the VirtualService in its answer, which the webhook's cache holds without
    // kubectl's last-applied copy and managedFields: the write is a merge patch from that object's resourceVersion,
    // so both stay as stored.
    const answered = async () => Number(/kubectl_gray_route_queries_total\{result="answered"\} (\d+)/.exec(
      execFileSync('curl', ['-sk', `https://127.0.0.1:${port}/metrics`], { encoding: 'utf8' }))?.[1] ?? 0);
    type Stored = { metadata: { annotations?: Record<string, string>; managedFields?: Array<{ manager: string }> }; spec: { http: Array<{ route: Array<{ weight?: number }> }> } };
    const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
    const applied = (await getJson<Stored>(ns, 'vs', 'reviews')).metadata.annotations?.[LAST_APPLIED];
    expect(applied, 'Bookinfo is applied with kubectl apply').to.be.a('string');
    const before = await answered();
    const g = await kubectl(['gray', 'set-weight', 'reviews', 'v2=10', '-n', ns]);
    expect(g.code, g.stderr).to.equal(0);
    expect(await answered()).to.equal(before + 1);
    const vs = await getJson<Stored>(ns, 'vs', 'reviews', '--show-managed-fields');
    expect(vs.spec.http[0]!.route.map((r) => r.weight)).to.deep.equal([90, 10]);
    expect(vs.metadata.annotations?.[LAST_APPLIED]).to.equal(applied);
    expect(vs.metadata.managedFields?.map((f) => f.manager)).to.include.members(['kubectl-client-side-apply', 'kubectl-gray']);
  });

  it('scenario 13: kube-system is never sent to it, and when it is down it refuses only what it guards', async () => {
    const bad = vsYaml([['v1', 10], ['v2', 10]], 'never-judged');
    const sys = await applyResult('kube-system', bad);
    expect(sys.code, sys.stderr).to.equal(0);

    const ns = await shop('down');
    const pid = readFileSync(join(CLUSTER_DIR, 'webhook.pid'), 'utf8').trim();
    process.kill(-Number(pid), 'SIGTERM');
    try {
      await eventually(async () => {
        const vs = await applyResult(ns, vsYaml([['v1', 60], ['v2', 40]]));
        if (vs.code === 0) throw new Error('still answered');
        expect(vs.stderr).to.contain('failed calling webhook "istio.validate.kubectl-gray.io"');
      });
      // Everything it does not guard goes on: a ConfigMap, and a Deployment (the mutating hook fails open).
      expect((await kubectl(['create', 'configmap', 'unrelated', '-n', ns])).code).to.equal(0);
      const d = await kubectl(['create', 'deployment', 'web', '--image=registry.local/gray-workload:dev', '-n', ns]);
      expect(d.code, d.stderr).to.equal(0);
    } finally {
      execFileSync(join(CLUSTER_SCRIPTS, 'webhook-up.sh'), { env: { ...process.env, CLUSTER_DIR }, stdio: 'ignore' });
    }
    await eventually(async () => {
      const r = await applyResult(ns, vsYaml([['v1', 60], ['v2', 40]]));
      if (r.code !== 0) throw new Error(r.stderr);
    });
  });
});
