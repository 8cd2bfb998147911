// analyze --cluster: the live objects of every namespace, the files on top (a file's object replaces the live one
// of the same group, kind, namespace and name), findings for the namespace asked for (or all with -A); reads only;
// a refused list is a clear error, exit 1; an API that is not served is skipped. Against the in-memory cluster, and
// through the real REST client against the TLS stand-in API server (what is sent, and how it is answered).
import { expect } from 'chai';
import type { KubeObject } from '../../core/model.js';
import { type FakeApiServer, type FakeApiServerOptions, startFakeApiServer } from '../support/fake-apiserver.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { bookinfo } from '../support/fixtures.js';
import { type RunResult, run, runConnected } from '../support/run.js';

/** A VirtualService sending all of reviews to subset v4, which the live DestinationRule (v1, v2, v3) lacks. */
const toV4 = (namespace: string, name = 'reviews'): KubeObject => ({
  apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace },
  spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v4' } }] }] },
});
/** The fix, as a file: the DestinationRule with v4 added (no namespace: it takes the command's). */
const DR_WITH_V4 = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}, {name: v3, labels: {version: v3}}, {name: v4, labels: {version: v4}}]
`;
const V4_MESSAGE = (ns: string) => `error GRAY104 subset-undefined: VirtualService ${ns}/reviews spec.http[0].route[0].destination.subset: routes to subset "v4" of host reviews.${ns}.svc.cluster.local, which DestinationRule ${ns}/reviews does not define (defined: v1, v2, v3). Fix: add subset "v4" to DestinationRule ${ns}/reviews first, or route to one of: v1, v2, v3`;

interface JsonReport { findings: Array<{ code: string; object: string; file: string; line: number }>; summary: Record<string, unknown> }
const json = (r: RunResult) => JSON.parse(r.stdout) as JsonReport;
/** The objects with a GRAY104 finding (the subset check; the GRAY5xx checks are not relied on here). */
const undefinedSubsets = (r: RunResult) => [...new Set(json(r).findings.filter((f) => f.code === 'GRAY104').map((f) => f.object))];
const summaryOf = (r: RunResult) => r.stdout.trimEnd().split('\n').at(-1);

/** Bookinfo in shop and web, each with reviews routed to the undefined subset v4. */
function cluster(): FakeCluster {
  const fake = new FakeCluster('shop', [...bookinfo('shop').objects, ...bookinfo('web').objects]);
  fake.virtualServices = fake.virtualServices.filter((v) => v.metadata.name !== 'reviews');
  fake.add(toV4('shop'));
  fake.add(toV4('web'));
  return fake;
}

describe('kubectl gray analyze --cluster', () => {
  it('reports a live VirtualService routing to a subset no live DestinationRule defines; a file on top that adds it makes it clean', async () => {
    const fake = cluster();
    const r = await run(fake, ['analyze', '--cluster']);
    expect(r.code).to.equal(3);
    expect(r.stdout.split('\n').filter((l) => l.includes('GRAY104'))).to.deep.equal([`cluster: ${V4_MESSAGE('shop')}`]);
    expect(summaryOf(r)).to.match(/^\d+ errors?, \d+ warnings? in 4 Istio objects in namespace shop \(live cluster\)\.$/);
    // The change that fixes it, checked before it is applied: the file's DestinationRule replaces the live one.
    const fixed = await run(fake, ['analyze', '--cluster', 'dr.yaml'], { 'dr.yaml': DR_WITH_V4 });
    expect(fixed.stdout).to.not.contain('GRAY104');
    expect(summaryOf(fixed)).to.match(/ in 4 Istio objects in namespace shop \(live cluster, 1 file on top\)\.$/);
    const data = json(await run(fake, ['analyze', '--cluster', 'dr.yaml', '-o', 'json'], { 'dr.yaml': DR_WITH_V4 }));
    expect(data.summary).to.include({ scope: 'live cluster, namespace shop, files on top', namespace: 'shop', filesOnTop: 1, istioObjects: 4, errors: 0 });
    // Only the live DestinationRule of the same namespace was replaced: web's still lacks v4.
    expect(undefinedSubsets(await run(fake, ['analyze', '--cluster', '-A', 'dr.yaml', '-o', 'json'], { 'dr.yaml': DR_WITH_V4 }))).to.deep.equal(['VirtualService web/reviews']);
    expect([fake.writes, fake.log]).to.deep.equal([[], []]);
  });

  it('a file object that is new is added, in -n\'s namespace when it names none; its findings point at the file', async () => {
    const fake = cluster();
    const file = 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews-next}\n'
      + 'spec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, subset: v9}\n';
    const r = await run(fake, ['analyze', '--cluster', '-n', 'web', 'next.yaml', '-o', 'json'], { 'next.yaml': file });
    const found = json(r).findings.filter((f) => f.code === 'GRAY104').map((f) => `${f.file}:${f.line} ${f.object}`);
    expect(found).to.deep.equal(['cluster:0 VirtualService web/reviews', 'next.yaml:8 VirtualService web/reviews-next']);
    expect(json(r).summary).to.include({ namespace: 'web', filesOnTop: 1, istioObjects: 5 });
    expect(fake.virtualServices.map((v) => v.metadata.name)).to.not.include('reviews-next');
    // SARIF: a live object's finding names the object but no line (regions start at 1); a file's has its line.
    const sarif = JSON.parse((await run(fake, ['analyze', '--cluster', '-n', 'web', 'next.yaml', '-o', 'sarif'], { 'next.yaml': file })).stdout);
    const locations = sarif.runs[0].results.filter((x: { ruleId: string }) => x.ruleId === 'GRAY104').map((x: { locations: Array<{ physicalLocation: unknown }> }) => x.locations[0]!.physicalLocation);
    expect(locations).to.deep.equal([{ artifactLocation: { uri: 'cluster' } }, { artifactLocation: { uri: 'next.yaml' }, region: { startLine: 8, startColumn: 36 } }]);
  });

  it('findings for -n\'s namespace, else the context\'s; every namespace with -A; FILES are required without --cluster', async () => {
    const fake = cluster();
    expect(undefinedSubsets(await run(fake, ['analyze', '--cluster', '-o', 'json']))).to.deep.equal(['VirtualService shop/reviews']);
    expect(undefinedSubsets(await run(fake, ['analyze', '--cluster', '-n', 'web', '-o', 'json']))).to.deep.equal(['VirtualService web/reviews']);
    expect(undefinedSubsets(await run(fake, ['analyze', '--cluster', '-n', 'empty', '-o', 'json']))).to.deep.equal([]);
    const all = await run(fake, ['analyze', '--cluster', '-A', '-o', 'json']);
    expect(undefinedSubsets(all)).to.deep.equal(['VirtualService shop/reviews', 'VirtualService web/reviews']);
    expect(json(all).summary).to.include({ scope: 'live cluster, all namespaces', namespace: null, filesOnTop: 0, istioObjects: 8 });
    expect(summaryOf(await run(fake, ['analyze', '--cluster', '--all-namespaces']))).to.match(/ in 8 Istio objects in all namespaces \(live cluster\)\.$/);
    const none = await run(fake, ['analyze']);
    expect([none.code, none.stderr.split('\n')[0]]).to.deep.equal([2, 'error: give the files or directories to analyze (- for standard input), or --cluster for the live cluster']);
    const stray = await run(fake, ['analyze', '-A', 'dr.yaml'], { 'dr.yaml': DR_WITH_V4 });
    expect([stray.code, stray.stderr.split('\n')[0]]).to.deep.equal([2, 'error: -A is for --cluster: files are analyzed whatever their namespace']);
  });

  it('a list the user may not make across namespaces: the server\'s Forbidden, every list refused and what to grant, exit 1', async () => {
    const fake = cluster();
    fake.namespacedOnly = true;
    const r = await run(fake, ['analyze', '--cluster', '-n', 'web']);
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr.split('\n') }).to.deep.equal({ code: 1, stdout: '', stderr: [
      'Error from server (Forbidden): virtualservices.networking.istio.io is forbidden: User "dev" cannot list resource "virtualservices" in API group "networking.istio.io" at the cluster scope',
      'analyze --cluster needs list on virtualservices.networking.istio.io, destinationrules.networking.istio.io, gateways.networking.istio.io, serviceentries.networking.istio.io, requestauthentications.security.istio.io, services, pods across all namespaces (a ClusterRole with verb list, bound by a ClusterRoleBinding); or analyze files only: kubectl gray analyze -n web FILES',
      '',
    ] });
  });

  it('reads the kinds whose APIs are served; one that is not (no CRD) is simply absent', async () => {
    const fake = cluster();
    const gateway: KubeObject = { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'public', namespace: 'shop' },
      spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*/*'] }] } };
    const without = await run(fake, ['analyze', '--cluster', '-o', 'json']);
    expect([without.code, without.stderr, json(without).summary['istioObjects']]).to.deep.equal([3, '', 4]);
    fake.served.set('networking.istio.io/v1', ['gateways']);
    fake.custom.push({ groupVersion: 'networking.istio.io/v1', resource: 'gateways', object: gateway });
    expect(json(await run(fake, ['analyze', '--cluster', '-o', 'json'])).summary['istioObjects']).to.equal(5);
  });
});

describe('kubectl gray analyze --cluster through the REST client (TLS stand-in API server)', function () {
  const servers: FakeApiServer[] = [];
  const start = async (options?: FakeApiServerOptions) => {
    const objects = [...bookinfo('shop').objects, ...bookinfo('web').objects].filter((o) => !(o.kind === 'VirtualService' && o.metadata.name === 'reviews'));
    const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'reviews-v1-0', namespace: 'shop', labels: { app: 'reviews', version: 'v1' } }, spec: {} };
    const api = await startFakeApiServer([...objects, toV4('shop'), toV4('web'), pod], options);
    servers.push(api);
    return api;
  };
  const gray = (api: FakeApiServer, args: string[], files: Record<string, string> = {}): Promise<RunResult> =>
    runConnected([...args, '--kubeconfig', api.kubeconfig({ namespace: 'shop' })], files);
  before(async function () {
    this.timeout(60_000); // the stand-in's RSA keys, made once: seconds on a busy machine
    await start();
  });
  after(async () => { await Promise.all(servers.map((s) => s.close())); });

  it('lists every kind across namespaces with GETs only; APIs not served (404) are skipped; a file on top is judged with them', async () => {
    const api = await start();
    const r = await gray(api, ['analyze', '--cluster', '-o', 'json']);
    expect([r.code, r.stderr, undefinedSubsets(r)]).to.deep.equal([3, '', ['VirtualService shop/reviews']]);
    expect(json(r).summary).to.include({ namespace: 'shop', istioObjects: 4 });
    expect([...api.requests].sort()).to.deep.equal([
      'GET /api/v1/pods',
      'GET /api/v1/services',
      'GET /apis/gateway.networking.k8s.io/v1/grpcroutes',
      'GET /apis/gateway.networking.k8s.io/v1/httproutes',
      'GET /apis/networking.istio.io/v1/destinationrules',
      'GET /apis/networking.istio.io/v1/gateways',
      'GET /apis/networking.istio.io/v1/serviceentries',
      'GET /apis/networking.istio.io/v1/virtualservices',
      'GET /apis/networking.istio.io/v1alpha3/gateways',
      'GET /apis/networking.istio.io/v1alpha3/serviceentries',
      'GET /apis/networking.istio.io/v1beta1/gateways',
      'GET /apis/networking.istio.io/v1beta1/serviceentries',
      'GET /apis/security.istio.io/v1/requestauthentications',
      'GET /apis/security.istio.io/v1beta1/requestauthentications',
    ]);
    api.requests.length = 0;
    const fixed = await gray(api, ['analyze', '--cluster', '-A', 'dr.yaml', '-o', 'json'], { 'dr.yaml': DR_WITH_V4 });
    expect([fixed.stderr, undefinedSubsets(fixed)]).to.deep.equal(['', ['VirtualService web/reviews']]);
    expect(api.requests.filter((q) => !q.startsWith('GET '))).to.deep.equal([]);
  });

  it('reads the Gateways and RequestAuthentications of a server that serves them', async () => {
    const api = await start({ groups: { 'networking.istio.io/v1': ['virtualservices', 'destinationrules', 'gateways'], 'security.istio.io/v1': ['requestauthentications'] } });
    api.objects.push(
      { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'public', namespace: 'shop' }, spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*/*'] }] } },
      { apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name: 'jwt', namespace: 'web' }, spec: { jwtRules: [{ issuer: 'https://issuer.example' }] } },
    );
    const r = await gray(api, ['analyze', '--cluster', '-A', '-o', 'json']);
    expect([r.stderr, json(r).summary['istioObjects']]).to.deep.equal(['', 10]);
    expect(api.requests.filter((q) => /gateways|requestauthentications/.test(q)).sort()).to.deep.equal([
      'GET /apis/networking.istio.io/v1/gateways',
      'GET /apis/security.istio.io/v1/requestauthentications',
    ]);
  });

  it('an older control plane (v1beta1 only) is read at the version it serves', async () => {
    const api = await start({ istioVersion: 'v1beta1' });
    const r = await gray(api, ['analyze', '--cluster', '-n', 'web', '-o', 'json']);
    expect([r.code, r.stderr, undefinedSubsets(r)]).to.deep.equal([3, '', ['VirtualService web/reviews']]);
    expect(api.requests).to.include.members(['GET /apis/networking.istio.io/v1beta1/virtualservices', 'GET /apis/networking.istio.io/v1beta1/destinationrules']);
  });

  it('RBAC that allows lists in a namespace only: kubectl\'s Forbidden, the lists to grant, exit 1, nothing written', async () => {
    const api = await start({ namespacedOnly: true });
    const r = await gray(api, ['analyze', '--cluster', 'dr.yaml'], { 'dr.yaml': DR_WITH_V4 });
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr.split('\n') }).to.deep.equal({ code: 1, stdout: '', stderr: [
      'Error from server (Forbidden): virtualservices.networking.istio.io is forbidden: User "dev" cannot list resource "virtualservices" in API group "networking.istio.io" at the cluster scope',
      'analyze --cluster needs list on virtualservices.networking.istio.io, destinationrules.networking.istio.io, services, pods across all namespaces (a ClusterRole with verb list, bound by a ClusterRoleBinding); or analyze files only: kubectl gray analyze -n shop FILES',
      '',
    ] });
    expect(api.requests.filter((q) => !q.startsWith('GET '))).to.deep.equal([]);
  });
});
