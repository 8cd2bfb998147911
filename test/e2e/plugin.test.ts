// Scenarios 1-5 through `kubectl gray`, found by kubectl's plugin discovery, against the local
// cluster (real kube-apiserver + etcd, Istio's CRDs, a real node running the Bookinfo Deployments'
// pods). Each test checks the stored objects; status reads the pods' real readiness.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { VirtualService } from '../../core/model.js';
import { HISTORY_ANNOTATION } from '../../core/history.js';
import { fixturePath } from '../support/fixtures.js';
import { apply, freshNamespace, getJson, k, kubectl, setReadiness, waitForPods } from '../support/kubectl.js';
import { tempDir } from '../support/temp.js';

const BOOKINFO = readFileSync(fixturePath('bookinfo.yaml'), 'utf8');

async function shop(prefix: string): Promise<string> {
  const ns = await freshNamespace(prefix);
  await apply(ns, BOOKINFO); // the Deployments' pods start on the node while the test edits routes
  return ns;
}

const gray = (ns: string, ...args: string[]) => kubectl(['gray', ...args, '-n', ns]);
const reviews = (ns: string) => getJson<VirtualService>(ns, 'virtualservice', 'reviews');
const split = (vs: VirtualService, route = -1) =>
  Object.fromEntries(vs.spec.http!.at(route)!.route!.map((d) => [d.destination.subset, d.weight ?? 100]));

describe('e2e: kubectl gray on a real API server', function () {
  this.timeout(120_000);

  it('is found by kubectl plugin discovery', async () => {
    const list = await kubectl(['plugin', 'list']);
    expect(list.stdout).to.match(/\/bin\/kubectl-gray\n/);
    const help = await kubectl(['gray', '--help']);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.contain('kubectl gray set-weight <service> <weights..>');
  });

  it('scenario 1: blue-green switch and rollback', async () => {
    const ns = await shop('bluegreen');
    const sw = await gray(ns, 'switch', 'reviews', 'v2');
    expect(sw.code, sw.stderr).to.equal(0);
    expect(split(await reviews(ns))).to.deep.equal({ v2: 100 });
    const back = await gray(ns, 'rollback', 'reviews');
    expect(back.code, back.stderr).to.equal(0);
    expect(split(await reviews(ns))).to.deep.equal({ v1: 100 });
  });

  it('scenario 2: weighted canary 10 -> 50 -> 100, other versions keep their proportion', async () => {
    const ns = await shop('canary');
    for (const [arg, want] of [['v2=10', { v1: 90, v2: 10 }], ['v2=50', { v1: 50, v2: 50 }], ['v2=100', { v2: 100 }]] as const) {
      const r = await gray(ns, 'set-weight', 'reviews', arg);
      expect(r.code, r.stderr).to.equal(0);
      expect(split(await reviews(ns))).to.deep.equal(want);
    }
    await gray(ns, 'switch', 'reviews', 'v1');
    await gray(ns, 'set-weight', 'reviews', 'v3=50');
    const r = await gray(ns, 'set-weight', 'reviews', 'v2=10');
    expect(r.code, r.stderr).to.equal(0);
    expect(split(await reviews(ns))).to.deep.equal({ v1: 45, v3: 45, v2: 10 });
  });

  it('scenario 3: per-user canary by header (exact, prefix, regex) and by cookie', async () => {
    const ns = await shop('peruser');
    await gray(ns, 'switch', 'reviews', 'v2');
    expect((await gray(ns, 'match-header', 'reviews', 'end-user=jason', '--subset', 'v3')).code).to.equal(0);
    expect((await gray(ns, 'match-header', 'reviews', 'x-team=qa', '--prefix', '--subset', 'v3')).code).to.equal(0);
    expect((await gray(ns, 'match-header', 'reviews', 'user-agent=.*Mobile.*', '--regex', '--subset', 'v3')).code).to.equal(0);
    expect((await gray(ns, 'match-cookie', 'reviews', 'canary=true', '--subset', 'v3')).code).to.equal(0);
    const vs = await reviews(ns);
    expect(vs.spec.http!.map((r) => r.match?.[0]?.headers ?? 'catch-all')).to.deep.equal([
      { 'end-user': { exact: 'jason' } },
      { 'x-team': { prefix: 'qa' } },
      { 'user-agent': { regex: '.*Mobile.*' } },
      { cookie: { regex: '^(.*;\\s*)?canary=true(\\s*;.*)?$' } },
      'catch-all',
    ]);
    expect(split(vs)).to.deep.equal({ v2: 100 });
    const bad = await gray(ns, 'match-header', 'reviews', 'end-user=(?<=x)y', '--regex', '--subset', 'v3');
    expect(bad.code).to.equal(3);
    expect(bad.stderr).to.contain('GRAY105 regex-invalid');
    expect((await reviews(ns)).spec.http).to.have.length(5);
  });

  it('scenario 4: mirroring, all of it or a percentage, then off', async () => {
    const ns = await shop('mirror');
    expect((await gray(ns, 'mirror', 'reviews', 'v2')).code).to.equal(0);
    let route = (await reviews(ns)).spec.http![0]!;
    expect(route.mirror).to.deep.equal({ host: 'reviews', subset: 'v2' });
    expect(route.mirrorPercentage).to.deep.equal({ value: 100 });
    expect((await gray(ns, 'mirror', 'reviews', 'v2', '--percent', '12.5')).code).to.equal(0);
    expect((await reviews(ns)).spec.http![0]!.mirrorPercentage).to.deep.equal({ value: 12.5 });
    expect((await gray(ns, 'mirror', 'reviews', '--off')).code).to.equal(0);
    route = (await reviews(ns)).spec.http![0]!;
    expect(route.mirror).to.equal(undefined);
    expect(split(await reviews(ns))).to.deep.equal({ v1: 100 });
  });

  it('scenario 5: status shows routes, ready pods and the 503 risk; exits 3 on an undefined subset', async () => {
    const ns = await shop('status');
    await gray(ns, 'set-weight', 'reviews', 'v2=10');
    await gray(ns, 'match-header', 'reviews', 'end-user=jason', '--subset', 'v3');
    await waitForPods(ns, 'app=reviews', 3);
    // v3's pod turns unready through its real readiness probe (the workload's switch), as a failing release would.
    await setReadiness(ns, 'app=reviews,version=v3', false);
    await waitForPods(ns, 'app=reviews,version=v3', 1, false);
    const r = await gray(ns, 'status', 'reviews');
    expect(r.code, r.stderr).to.equal(3); // jason's route leads to v3, which has no ready pod
    expect(r.stdout).to.contain(`VirtualService ${ns}/reviews`);
    expect(r.stdout).to.match(/gray-v3-end-user-jason\s+end-user = jason\s+v3\s+100%\s+█{20}\s+! 503 risk/);
    expect(r.stdout).to.match(/v1\s+version=v1\s+1\s+1\/1\s+serving/);
    expect(r.stdout).to.match(/v3\s+version=v3\s+1\s+0\/1\s+routed but no ready pod: 503 no healthy upstream/);
    const model = JSON.parse((await gray(ns, 'status', 'reviews', '-o', 'json')).stdout);
    expect(model.subsets.map((s: { subset: string; ready: number }) => `${s.subset}:${s.ready}`)).to.deep.equal(['v1:1', 'v2:1', 'v3:0']);
    // Ready again: nothing routed is at risk any more, and status exits 0.
    await setReadiness(ns, 'app=reviews,version=v3', true);
    await waitForPods(ns, 'app=reviews,version=v3', 1, true);
    const healed = await gray(ns, 'status', 'reviews');
    expect(healed.code, healed.stdout).to.equal(0);
    expect(healed.stdout).to.match(/v3\s+version=v3\s+1\s+1\/1\s+serving/);
    // A hand edit that routes to a subset nobody defined (the namespace opts out of the webhook, which
    // would refuse it): status says so and exits 3.
    await k('label', 'namespace', ns, 'kubectl-gray.io/webhook=disabled');
    await apply(ns, 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: ratings}\nspec:\n  hosts: [ratings]\n  http:\n  - route:\n    - destination: {host: ratings, subset: v7}\n');
    const broken = await gray(ns, 'status', 'ratings');
    expect(broken.code).to.equal(3);
    expect(broken.stdout).to.contain('GRAY104 subset-undefined');
  });

  it('--dry-run=server leaves the object unchanged; -o yaml and -o json parse', async () => {
    const ns = await shop('dryrun');
    const before = await reviews(ns);
    const r = await gray(ns, 'set-weight', 'reviews', 'v2=30', '--dry-run=server', '-o', 'json');
    expect(r.code, r.stderr).to.equal(0);
    expect(split(JSON.parse(r.stdout))).to.deep.equal({ v1: 70, v2: 30 });
    const after = await reviews(ns);
    expect(after.metadata.resourceVersion).to.equal(before.metadata.resourceVersion);
    expect(after.spec).to.deep.equal(before.spec);
    const y = await gray(ns, 'set-weight', 'reviews', 'v2=30', '--dry-run=client', '-o', 'yaml');
    expect(y.stdout).to.match(/^apiVersion: networking.istio.io\/v1\n/);
  });

  it('keeps everything it does not own: other fields, labels, annotations', async () => {
    const ns = await shop('keep');
    await gray(ns, 'set-weight', 'reviews', 'v2=10');
    const vs = await reviews(ns);
    // Beside the route index's labels, which the webhook keeps to the spec.
    const index = (k: string) => k === 'kubectl-gray.io/route-index' || k.startsWith('routes.kubectl-gray.io/');
    const labels = Object.entries(vs.metadata.labels ?? {});
    expect(Object.fromEntries(labels.filter(([k]) => !index(k)))).to.deep.equal({ team: 'shop' });
    expect(Object.fromEntries(labels.filter(([k]) => index(k)))).to.deep.equal({ 'kubectl-gray.io/route-index': 'v1', [`routes.kubectl-gray.io/reviews.${ns}.svc.cluster.local`]: 'true' });
    expect(vs.metadata.annotations!['owner']).to.equal('team-reviews');
    expect(vs.metadata.annotations!['kubectl.kubernetes.io/last-applied-configuration']).to.be.a('string');
    expect(vs.spec.http![0]!['retries']).to.deep.equal({ attempts: 3, perTryTimeout: '2s' });
    expect(vs.spec.http![0]!['timeout']).to.equal('10s');
  });

  for (const version of ['v1', 'v1beta1', 'v1alpha3']) {
    it(`edits objects created through networking.istio.io/${version}`, async () => {
      const ns = await freshNamespace(`api-${version}`);
      await apply(ns, BOOKINFO.replaceAll('networking.istio.io/v1\n', `networking.istio.io/${version}\n`));
      const r = await gray(ns, 'set-weight', 'reviews', 'v3=25');
      expect(r.code, r.stderr).to.equal(0);
      expect(split(await reviews(ns))).to.deep.equal({ v1: 75, v3: 25 });
    });
  }

  it('20 concurrent edits of one VirtualService: none lost, every route still totals 100', async () => {
    const ns = await shop('race');
    const routes = Array.from({ length: 10 }, (_, i) => ({
      name: `route-${i}`, match: [{ headers: { 'x-route': { exact: String(i) } } }],
      route: [{ destination: { host: 'reviews', subset: 'v1' } }],
    }));
    const vs = await reviews(ns);
    vs.spec.http = [...routes, ...vs.spec.http!];
    await apply(ns, JSON.stringify({ apiVersion: vs.apiVersion, kind: vs.kind, metadata: { name: 'reviews' }, spec: vs.spec }));

    const edits = [
      ...routes.map((_, i) => ['set-weight', 'reviews', `v2=${i + 1}`, '--route', `route-${i}`]),
      ...routes.map((_, i) => ['match-header', 'reviews', `user-${i}=yes`, '--subset', 'v3']),
    ];
    const results = await Promise.all(edits.map((e) => gray(ns, ...e)));
    results.forEach((r, i) => expect(r.code, `${edits[i]!.join(' ')}: ${r.stderr}`).to.equal(0));

    const final = await reviews(ns);
    for (const r of final.spec.http!) {
      const total = (r.route ?? []).reduce((a, d) => a + (d.weight ?? 100), 0);
      expect(total, r.name).to.equal(100);
    }
    routes.forEach((_, i) => {
      const r = final.spec.http!.find((h) => h.name === `route-${i}`)!;
      expect(split({ spec: { http: [r] } } as VirtualService)).to.deep.equal({ v1: 100 - (i + 1), v2: i + 1 });
      expect(final.spec.http!.some((h) => JSON.stringify(h.match) === JSON.stringify([{ headers: { [`user-${i}`]: { exact: 'yes' } } }]))).to.equal(true);
    });
    const history = JSON.parse(final.metadata.annotations![HISTORY_ANNOTATION]!) as Array<{ change: string }>;
    expect(history.map((h) => h.change).sort()).to.deep.equal(edits.map((e) => e.join(' ').replace(' reviews', '').replace(/ --route route-\d/, '')).sort());
  });

  it('errors read like kubectl and exit with the documented codes', async () => {
    const ns = await shop('errors');
    const missing = await gray(ns, 'set-weight', 'nosuch', 'v2=1');
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.contain(`no VirtualService routes to nosuch (nosuch.${ns}.svc.cluster.local)`);
    const undefinedSubset = await gray(ns, 'switch', 'reviews', 'v9');
    expect(undefinedSubset.code).to.equal(3);
    expect(undefinedSubset.stderr).to.contain('GRAY104 subset-undefined');
    const ctx = await gray(ns, 'status', '--context', 'nope');
    expect(ctx.code).to.equal(1);
    expect(ctx.stderr).to.contain('error: context "nope" does not exist (contexts: local)');
    const refused = await kubectl(['gray', 'status', '--kubeconfig', '/dev/null/none']);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.contain('--kubeconfig /dev/null/none: no such file');
    const cfg = (await k('config', 'view', '--raw', '--minify')).replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://127.0.0.1:1');
    const down = await kubectl(['gray', 'status'], { input: '', env: { KUBECONFIG: await writeTemp(cfg) } });
    expect(down.code).to.equal(1);
    expect(down.stderr).to.contain('The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?');
  });
});

async function writeTemp(text: string): Promise<string> {
  const { writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const dir = tempDir('kubeconfig');
  await writeFile(join(dir, 'kubeconfig'), text);
  return join(dir, 'kubeconfig');
}
