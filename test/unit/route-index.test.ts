// The route index (core/route-index.ts): the labels, the webhook keeping them (on each write, and for objects
// written without it), and the plugin reading one service's routes through them instead of the whole cluster.
import { expect } from 'chai';
import { type DestinationRule, type KubeObject, type VirtualService, objectKey } from '../../core/model.js';
import { INDEXED_LABEL, hostLabelKey, indexLabelChanges, indexLabels, indexedHosts, RouteTable } from '../../core/route-index.js';
import { reviewIstioObject } from '../../core/admission.js';
import { DEFAULT_POLICY } from '../../core/policy.js';
import { mutate } from '../../webhook/admission/handlers.js';
import type { AdmissionRequest } from '../../webhook/admission/review.js';
import { RouteIndexKeeper } from '../../webhook/route-index.js';
import { type Identity, RequestHeaderKeeper, VERDICT_TTL_MS, identify, rememberedVerdicts, requestHeaderSettings, subjectMayList } from '../../webhook/route-query.js';
import { FakeRest } from '../support/fake-rest.js';
import { eventually } from '../support/wait.js';
import { staticCache } from '../../webhook/cache.js';
import { buildServer } from '../../webhook/server.js';
import { ApiError } from '../../kube/errors.js';
import { LAST_APPLIED } from '../../webhook/cache.js';
import { LARGE_CLUSTER, Reads } from '../../plugin/apply.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { type FakeApiServer, startFakeApiServer } from '../support/fake-apiserver.js';
import { bookinfo } from '../support/fixtures.js';
import { runConnected } from '../support/run.js';

const REVIEWS = 'routes.kubectl-gray.io/reviews.shop.svc.cluster.local';

const vs = (namespace: string, name: string, hosts: string[], to: string[] = hosts, labels?: Record<string, string>): VirtualService => ({
  apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace, ...(labels ? { labels } : {}) },
  spec: { hosts, http: [{ route: to.map((host) => ({ destination: { host } })) }] },
});
const dr = (namespace: string, name: string, host: string): DestinationRule => ({
  apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name, namespace }, spec: { host, subsets: [{ name: 'v1', labels: { version: 'v1' } }] },
});
/** As the webhook leaves them: with the index's labels. */
const labelled = <T extends KubeObject>(o: T): T => (o.kind === 'VirtualService'
  ? { ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, ...indexLabels(o as KubeObject as VirtualService) } } } : o);

describe('route index: the labels', () => {
  it('one per host, resolved in the object\'s namespace: its hosts and every destination; a wildcard host is marked on the index label', () => {
    const gateway = vs('shop', 'front', ['shop.example.com', '*.example.org'], ['productpage', 'reviews.other.svc.cluster.local']);
    expect(indexLabels(gateway)).to.deep.equal({
      [INDEXED_LABEL]: 'v1-wildcard',
      'routes.kubectl-gray.io/shop.example.com': 'true',
      'routes.kubectl-gray.io/productpage.shop.svc.cluster.local': 'true',
      'routes.kubectl-gray.io/reviews.other.svc.cluster.local': 'true',
    });
  });

  it('a host that is not a valid label name (over 63 characters) is named by a hash of it, the same every time', () => {
    const long = `${'a'.repeat(40)}.${'b'.repeat(20)}.svc.cluster.local`;
    expect(hostLabelKey(long)).to.match(/^routes\.kubectl-gray\.io\/h-[0-9a-f]{40}$/);
    expect(hostLabelKey(long)).to.equal(hostLabelKey(long.toUpperCase()));
  });

  it('changes: adds what is missing, removes a host the spec no longer names, leaves other labels alone', () => {
    const o = vs('shop', 'reviews', ['reviews'], ['reviews'], { app: 'reviews', 'routes.kubectl-gray.io/ratings.shop.svc.cluster.local': 'true', [INDEXED_LABEL]: 'v1' });
    expect(indexLabelChanges(o)).to.deep.equal({ [REVIEWS]: 'true', 'routes.kubectl-gray.io/ratings.shop.svc.cluster.local': null });
    expect(indexLabelChanges(labelled(o))).to.deep.equal({ 'routes.kubectl-gray.io/ratings.shop.svc.cluster.local': null });
    expect(indexLabelChanges(labelled(vs('shop', 'reviews', ['reviews'])))).to.deep.equal({});
  });
});

describe('route index: the webhook', () => {
  const review = (object: KubeObject, operation = 'CREATE'): AdmissionRequest => ({
    uid: 'u1', kind: { group: 'networking.istio.io', version: 'v1', kind: object.kind }, operation, object,
  } as AdmissionRequest);
  const patchOf = (req: AdmissionRequest) => {
    const r = mutate(req, new Date('2026-12-06T10:00:00Z')).response;
    expect(r.allowed).to.equal(true);
    return r.patch ? JSON.parse(Buffer.from(r.patch, 'base64').toString()) : undefined;
  };

  it('labels a VirtualService written without labels, and one whose hosts changed; one already right, and a DestinationRule, are not patched', () => {
    expect(patchOf(review(vs('shop', 'reviews', ['reviews'])))).to.deep.equal([
      { op: 'add', path: '/metadata/labels', value: { [INDEXED_LABEL]: 'v1', [REVIEWS]: 'true' } },
      // A create is a weight change: stamped with the webhook's clock (core/trusted-time.ts).
      { op: 'add', path: '/metadata/annotations', value: { 'kubectl-gray.io/weights-changed-at': '2026-12-06T10:00:00.000Z' } },
    ]);
    const moved = vs('shop', 'reviews', ['ratings'], ['ratings'], { app: 'x', [INDEXED_LABEL]: 'v1', [REVIEWS]: 'true' });
    expect(patchOf(review(moved, 'UPDATE'))).to.deep.equal([
      { op: 'add', path: '/metadata/labels/routes.kubectl-gray.io~1ratings.shop.svc.cluster.local', value: 'true' },
      { op: 'remove', path: '/metadata/labels/routes.kubectl-gray.io~1reviews.shop.svc.cluster.local' },
    ]);
    expect(patchOf(review(labelled(vs('shop', 'reviews', ['reviews'])), 'UPDATE'))).to.equal(undefined);
    expect(patchOf(review(dr('shop', 'reviews', 'reviews')))).to.equal(undefined);
  });

  it('labels, with the resourceVersion it saw, what was written without it; a changed object waits for its next version', async () => {
    const patches: Array<{ path: string; body: unknown }> = [];
    let conflict = true;
    const rest = {
      async request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T; warnings: string[] }> {
        expect(method).to.equal('PATCH');
        patches.push({ path, body });
        if (path.endsWith('/ratings') && conflict) throw new ApiError(409, 'Conflict', 'the object has been modified');
        return { status: 200, body: {} as T, warnings: [] };
      },
    };
    let virtualServices: VirtualService[] = [
      { ...vs('shop', 'reviews', ['reviews']), metadata: { name: 'reviews', namespace: 'shop', resourceVersion: '5' } },
      { ...vs('shop', 'ratings', ['ratings']), metadata: { name: 'ratings', namespace: 'shop', resourceVersion: '6' } },
      labelled({ ...vs('shop', 'details', ['details']), metadata: { name: 'details', namespace: 'shop', resourceVersion: '7' } }),
    ];
    const log = { info: () => undefined, warn: () => undefined };
    const keeper = new RouteIndexKeeper(rest, () => virtualServices, log);
    await keeper.pass();
    expect(patches).to.deep.equal([
      { path: '/apis/networking.istio.io/v1/namespaces/shop/virtualservices/reviews',
        body: { metadata: { resourceVersion: '5', labels: { [INDEXED_LABEL]: 'v1', [REVIEWS]: 'true' } } } },
      { path: '/apis/networking.istio.io/v1/namespaces/shop/virtualservices/ratings',
        body: { metadata: { resourceVersion: '6', labels: { [INDEXED_LABEL]: 'v1', 'routes.kubectl-gray.io/ratings.shop.svc.cluster.local': 'true' } } } },
    ]);
    expect([keeper.pending, keeper.patched]).to.deep.equal([1, 1]);
    // The same cache state again: the one that failed is tried again, nothing else is.
    conflict = false;
    patches.length = 0;
    await keeper.pass();
    expect(patches.map((p) => p.path)).to.deep.equal(['/apis/networking.istio.io/v1/namespaces/shop/virtualservices/ratings']);
    // The watch brings the labelled versions: nothing left to do.
    virtualServices = virtualServices.map((v) => labelled(v));
    patches.length = 0;
    await keeper.pass();
    expect([patches.length, keeper.pending]).to.deep.equal([0, 0]);
  });
});

describe('route index: labelling is not a release', () => {
  it('an update that changes only the index\'s labels passes a freeze and a forbidden namespace; any other change does not', () => {
    const before = { ...vs('shop', 'reviews', ['reviews']), metadata: { name: 'reviews', namespace: 'shop', labels: { app: 'reviews' }, resourceVersion: '5' } };
    const policy = { ...DEFAULT_POLICY, forbiddenNamespaces: ['shop'], freezeWindows: [{ start: '2026-01-01T00:00:00Z', end: '2027-01-01T00:00:00Z' }] };
    const judge = (after: KubeObject) => reviewIstioObject({ operation: 'UPDATE', object: after, oldObject: before, virtualServices: [], destinationRules: [], policy, now: new Date('2026-06-01T00:00:00Z') });
    expect(judge(labelled(before))).to.deep.equal([]);
    const relabelled = { ...before, metadata: { ...before.metadata, labels: { app: 'other', ...indexLabels(before) } } };
    expect(judge(relabelled).map((f) => f.rule)).to.include.members(['namespace-forbidden', 'release-freeze']);
  });
});

describe('route index: the plugin reads one service\'s routes', function () {
  this.timeout(60_000);
  const servers: FakeApiServer[] = [];
  after(async () => { await Promise.all(servers.map((s) => s.close())); });
  const shop = () => bookinfo('shop').objects.map((o) => ({ ...o, metadata: { ...o.metadata, resourceVersion: '7' } }));
  /** Services in other namespaces, each with its VirtualService and DestinationRule: nothing to do with reviews. */
  const unrelated = (n: number) => Array.from({ length: n }, (_, i) => [vs(`team-${i % 7}`, `svc-${i}`, [`svc-${i}`]), dr(`team-${i % 7}`, `svc-${i}`, `svc-${i}`)]).flat();
  const start = async (objects: KubeObject[]) => {
    const api = await startFakeApiServer(objects);
    servers.push(api);
    return api;
  };
  const istioReads = (api: FakeApiServer) => api.requests.filter((q) => q.startsWith('GET /apis/networking.istio.io/'));

  it('where the index is kept: the objects labelled with the service and with the hosts they name, never the rest', async () => {
    const api = await start([...shop(), ...unrelated(30)].map(labelled));
    const r = await runConnected(['set-weight', 'reviews', 'v2=10', '-n', 'shop', '--kubeconfig', api.kubeconfig()]);
    expect(r, r.stderr).to.deep.include({ code: 0, stderr: '' });
    const reads = istioReads(api);
    // Across namespaces, only label-selected lists of VirtualServices, the second once the first has said the index
    // is kept; DestinationRules where Istio looks them up, beside them.
    const lists = reads.filter((q) => q.includes('/virtualservices'));
    expect(lists).to.deep.equal([
      'GET /apis/networking.istio.io/v1/virtualservices?labelSelector=kubectl-gray.io/route-index notin (v1)',
      `GET /apis/networking.istio.io/v1/virtualservices?labelSelector=${REVIEWS}`,
    ]);
    expect(reads.filter((q) => !lists.includes(q)).sort()).to.deep.equal([
      'GET /apis/networking.istio.io/v1/namespaces/istio-system/destinationrules',
      'GET /apis/networking.istio.io/v1/namespaces/shop/destinationrules',
    ]);
    expect(reads.some((q) => q.includes('svc-'))).to.equal(false);
    expect(api.requests.at(-1)).to.equal('PATCH /apis/networking.istio.io/v1/namespaces/shop/virtualservices/reviews');
  });

  it('a VirtualService with a wildcard host comes with the one answer that says the index is kept', async () => {
    // It sends to details, so no label names reviews: only the one answer brings it.
    const wide = vs('mesh-wide', 'catch-all', ['*.shop.svc.cluster.local'], ['details.shop.svc.cluster.local']);
    const cluster = new FakeCluster('shop', [...shop(), ...unrelated(5), wide].map(labelled));
    const found = await new Reads(cluster, ['reviews.shop.svc.cluster.local']).virtualServices();
    expect(found.map((v) => objectKey(v)).sort()).to.deep.equal(['mesh-wide/catch-all', 'shop/reviews']);
    expect(cluster.lists).to.deep.equal([
      'virtualservices * kubectl-gray.io/route-index notin (v1)',
      `virtualservices * ${REVIEWS}`,
      'virtualservices * routes.kubectl-gray.io/details.shop.svc.cluster.local',
    ]);
  });

  it('the index still guards: a subset no DestinationRule defines is refused, as with every object read', async () => {
    const api = await start([...shop(), ...unrelated(5)].map(labelled));
    const r = await runConnected(['set-weight', 'reviews', 'v9=10', '-n', 'shop', '--kubeconfig', api.kubeconfig()]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/v9/);
    expect(api.requests.some((q) => q.startsWith('PUT'))).to.equal(false);
  });

  it('one object without the index\'s labels (written while no webhook kept them): every VirtualService is read', async () => {
    const api = await start([...shop().map(labelled), vs('late', 'reviews-too', ['reviews.shop.svc.cluster.local'])]);
    const r = await runConnected(['status', 'reviews', '-n', 'shop', '--kubeconfig', api.kubeconfig()]);
    // The unlabelled one routes to reviews too: found, and shown.
    expect(r.stdout).to.include('late/reviews-too');
    // The one answer held it (and the wildcard ones); the indexed rest came in a second, and no label was asked for.
    expect(istioReads(api).filter((q) => q.includes('virtualservices'))).to.deep.equal([
      'GET /apis/networking.istio.io/v1/virtualservices?labelSelector=kubectl-gray.io/route-index notin (v1)',
      'GET /apis/networking.istio.io/v1/virtualservices?labelSelector=kubectl-gray.io/route-index=v1',
    ]);
  });

  it('without the index in a large cluster: pages of 500, DestinationRules only where Istio looks, and one note on stderr', async () => {
    const n = LARGE_CLUSTER + 100;
    const api = await start([...shop(), ...unrelated(n)]);
    const r = await runConnected(['set-weight', 'reviews', 'v2=10', '-n', 'shop', '--kubeconfig', api.kubeconfig()]);
    expect(r.code, r.stderr).to.equal(0);
    const all = shop().filter((o) => o.kind === 'VirtualService').length + n;
    expect(r.stderr).to.equal(`Note: read all ${all.toLocaleString('en-US')} VirtualServices to find the routes to reviews.shop.svc.cluster.local: `
      + 'this cluster keeps no route index (the kubectl-gray webhook\'s, chart value webhook.routeIndex.enabled), which would make it a few small reads.\n');
    const reads = istioReads(api);
    expect(reads.filter((q) => q === 'GET /apis/networking.istio.io/v1/virtualservices?labelSelector=kubectl-gray.io/route-index notin (v1)'))
      .to.have.length(Math.ceil(all / 500));
    expect(reads.filter((q) => q.includes('destinationrules'))).to.deep.equal([
      'GET /apis/networking.istio.io/v1/namespaces/shop/destinationrules',
      'GET /apis/networking.istio.io/v1/namespaces/istio-system/destinationrules',
    ]);
  });
});

describe('route query: the webhook answers which VirtualServices reach a service', function () {
  this.timeout(60_000);
  const wide = vs('mesh-wide', 'catch-all', ['*.shop.svc.cluster.local'], ['details.shop.svc.cluster.local']);
  const world = () => [...bookinfo('shop').objects, ...Array.from({ length: 40 }, (_, i) => vs(`team-${i % 7}`, `svc-${i}`, [`svc-${i}`], [`svc-${i}`, ...(i % 5 === 0 ? ['ratings.shop.svc.cluster.local'] : [])])), wide]
    .filter((o): o is VirtualService => o.kind === 'VirtualService').map((o) => ({ ...o, metadata: { ...o.metadata, resourceVersion: '7' } }));

  it('from a cache, the same VirtualServices the route index\'s labels select, for every host', async () => {
    const all = world();
    const cluster = new FakeCluster('shop', all.map(labelled));
    const hosts = new Set(all.flatMap((v) => [...indexedHosts(v)]).filter((h) => !h.startsWith('*')));
    for (const host of hosts) {
      const viaLabels = await new Reads(cluster, [host]).virtualServices();
      expect(new RouteTable(all).about([host]).map(objectKey).sort(), host).to.deep.equal(viaLabels.map(objectKey).sort());
    }
    // ratings is named by reviews' VirtualService and by every fifth unrelated one: all of them, and the wildcard one.
    expect(new RouteTable(all).about(['ratings.shop.svc.cluster.local']).map(objectKey).sort()).to.include.members(['shop/ratings', 'team-0/svc-0', 'team-5/svc-5', 'mesh-wide/catch-all']);
  });

  it('kept one change at a time: a VirtualService whose hosts change, or that is deleted, is found where it is now', () => {
    const table = new RouteTable(world());
    const keys = (host: string) => table.about([host]).map(objectKey).sort();
    expect(keys('details.shop.svc.cluster.local')).to.deep.equal(['mesh-wide/catch-all']);
    const moved = { ...vs('team-1', 'svc-1', ['svc-1'], ['details.shop.svc.cluster.local']), metadata: { name: 'svc-1', namespace: 'team-1', resourceVersion: '8' } };
    table.set(moved);
    expect(keys('details.shop.svc.cluster.local')).to.deep.equal(['mesh-wide/catch-all', 'team-1/svc-1']);
    expect(keys('svc-1.team-1.svc.cluster.local')).to.include('team-1/svc-1');
    table.delete('team-1/svc-1');
    table.delete('mesh-wide/catch-all');
    expect(keys('details.shop.svc.cluster.local')).to.deep.equal([]);
    expect(keys('svc-1.team-1.svc.cluster.local')).to.deep.equal([]);
    table.clear();
    expect(keys('reviews.shop.svc.cluster.local')).to.deep.equal([]);
  });

  const identity: Identity = { user: 'dev', groups: ['team-shop', 'system:authenticated'], extra: {} };
  const server = (options: { synced?: boolean; identify?: () => Identity | undefined; mayList?: (who: Identity, ns: string) => Promise<boolean> } = {}) => {
    const cache = { ...staticCache(world(), []), synced: () => options.synced ?? true };
    const asked: string[] = [];
    const app = buildServer({
      cache, policy: () => DEFAULT_POLICY,
      routeQuery: {
        identify: options.identify ?? (() => identity),
        mayList: options.mayList ?? (async (who, ns) => { asked.push(`${who.user} ${ns}`); return ns === 'shop'; }),
      },
    });
    return { app, asked };
  };
  const PATH = '/apis/query.kubectl-gray.io/v1alpha1/namespaces/shop/serviceroutes/reviews';

  it('names the VirtualServices in namespaces where the caller may list them, asking once per namespace', async () => {
    const { app, asked } = server();
    const res = await app.inject({ method: 'GET', url: PATH.replace('reviews', 'ratings') });
    expect(res.statusCode).to.equal(200);
    const { virtualServices, ...rest } = res.json();
    expect(rest).to.deep.equal({
      kind: 'ServiceRoutes', apiVersion: 'query.kubectl-gray.io/v1alpha1', metadata: { name: 'ratings', namespace: 'shop' },
      host: 'ratings.shop.svc.cluster.local',
    });
    // Every fifth team's VirtualService and mesh-wide/catch-all reach ratings too, but this user may not list there.
    expect(virtualServices.map(({ object: _o, ...ref }: { object: unknown }) => ref)).to.deep.equal([{ namespace: 'shop', name: 'ratings', resourceVersion: '7' }]);
    // Each with the object as the cache holds it, for the plugin to plan from.
    expect(virtualServices[0].object).to.deep.include({ kind: 'VirtualService', metadata: { name: 'ratings', namespace: 'shop', resourceVersion: '7' } });
    expect(asked.sort()).to.deep.equal(['dev mesh-wide', 'dev shop', ...Array.from({ length: 7 }, (_, i) => `dev team-${i}`)]);
  });

  it('refuses a caller the API server did not vouch for (401), and answers 503 before its cache is filled or when it cannot check access', async () => {
    expect((await server({ identify: () => undefined }).app.inject({ method: 'GET', url: PATH })).json()).to.include({ kind: 'Status', code: 401, reason: 'Unauthorized' });
    expect((await server({ synced: false }).app.inject({ method: 'GET', url: PATH })).json()).to.include({ code: 503, reason: 'ServiceUnavailable' });
    const unsure = buildServer({ cache: staticCache(world(), []), policy: () => DEFAULT_POLICY, routeQuery: { identify: () => identity, ready: () => false, mayList: async () => true } });
    expect((await unsure.inject({ method: 'GET', url: PATH })).json().message).to.contain('request-header settings');
    const failing = server({ mayList: async () => { throw new Error('connection refused'); } });
    expect((await failing.app.inject({ method: 'GET', url: PATH })).statusCode).to.equal(503);
  });

  it('serves its discovery documents, and says a list or a write is not served', async () => {
    const { app } = server();
    const resources = (await app.inject({ method: 'GET', url: '/apis/query.kubectl-gray.io/v1alpha1' })).json();
    expect(resources).to.deep.include({ kind: 'APIResourceList', groupVersion: 'query.kubectl-gray.io/v1alpha1' });
    expect(resources.resources[0]).to.include({ name: 'serviceroutes', namespaced: true, kind: 'ServiceRoutes' });
    expect((await app.inject({ method: 'GET', url: '/apis/query.kubectl-gray.io' })).json()).to.include({ kind: 'APIGroup', name: 'query.kubectl-gray.io' });
    const list = await app.inject({ method: 'GET', url: '/apis/query.kubectl-gray.io/v1alpha1/namespaces/shop/serviceroutes' });
    expect(list.statusCode).to.equal(405);
    expect((await app.inject({ method: 'DELETE', url: PATH })).json()).to.include({ kind: 'Status', code: 405 });
  });

  it('believes identity headers only on a verified connection from an allowed front proxy, and reads them as the API server writes them', () => {
    const settings = requestHeaderSettings({
      'requestheader-client-ca-file': '-----BEGIN CERTIFICATE-----\n...', 'requestheader-allowed-names': '["front-proxy-client"]',
      'requestheader-username-headers': '["X-Remote-User"]', 'requestheader-group-headers': '["X-Remote-Group"]',
      'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
    })!;
    const headers = { 'x-remote-user': ['alice'], 'x-remote-group': ['dev', 'system:authenticated'], 'x-remote-extra-scopes%2fa': ['x'], 'x-other': ['y'] };
    expect(identify(settings, true, 'front-proxy-client', headers)).to.deep.equal({ user: 'alice', groups: ['dev', 'system:authenticated'], extra: { 'scopes/a': ['x'] } });
    expect(identify(settings, false, 'front-proxy-client', headers), 'certificate not verified').to.equal(undefined);
    expect(identify(settings, true, 'someone-else', headers), 'not an allowed name').to.equal(undefined);
    expect(identify(settings, true, 'front-proxy-client', {}), 'no user').to.equal(undefined);
    expect(requestHeaderSettings({ 'client-ca-file': 'x' }), 'no front proxy configured').to.equal(undefined);
  });

  it('reads the request-header settings until it can (RBAC may come after the pod), says why once, and follows a new CA', async () => {
    const rest = new FakeRest();
    const CM = '/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication';
    let forbidden = true;
    rest.intercept = (_method, path) => { if (forbidden && path === CM) throw new ApiError(403, 'Forbidden', 'configmaps is forbidden'); return undefined; };
    const warnings: string[] = [];
    const keeper = new RequestHeaderKeeper(rest.asKubeRest, { warn: (o) => warnings.push(String((o as { err: string }).err)), info: () => undefined }, 20);
    const loaded: string[] = [];
    keeper.start((settings) => loaded.push(settings.clientCa));
    try {
      await eventually(async () => expect(rest.log.filter((l) => l === `GET ${CM}`).length).to.be.greaterThan(2));
      expect(keeper.current).to.equal(undefined);
      expect(warnings).to.deep.equal(['no RBAC to read it (Role extension-apiserver-authentication-reader)']);
      rest.put(CM, { metadata: { name: 'extension-apiserver-authentication' }, data: { 'requestheader-client-ca-file': 'CA-1', 'requestheader-username-headers': '["X-Remote-User"]' } });
      forbidden = false;
      await eventually(async () => expect(loaded).to.deep.equal(['CA-1']));
      rest.put(CM, { metadata: { name: 'extension-apiserver-authentication' }, data: { 'requestheader-client-ca-file': 'CA-2', 'requestheader-username-headers': '["X-Remote-User"]' } });
      await eventually(async () => expect(loaded).to.deep.equal(['CA-1', 'CA-2']));
      expect(keeper.current?.usernameHeaders).to.deep.equal(['X-Remote-User']);
    } finally {
      keeper.stop();
    }
  });

  it('asks the API server whether the caller may list VirtualServices in the namespace, as the caller', async () => {
    const rest = new FakeRest();
    const reviews: unknown[] = [];
    rest.intercept = (_method, _path, body) => {
      reviews.push(body);
      return { status: 201, body: { status: { allowed: (body as { spec: { resourceAttributes: { namespace: string } } }).spec.resourceAttributes.namespace === 'shop' } }, warnings: [] };
    };
    const mayList = subjectMayList(rest.asKubeRest);
    const who: Identity = { user: 'alice', uid: 'u-1', groups: ['dev'], extra: { scopes: ['a'] } };
    expect([await mayList(who, 'shop'), await mayList(who, 'bank')]).to.deep.equal([true, false]);
    expect(rest.log[0]).to.equal('POST /apis/authorization.k8s.io/v1/subjectaccessreviews');
    expect((reviews[0] as { spec: unknown }).spec).to.deep.equal({
      user: 'alice', uid: 'u-1', groups: ['dev'], extra: { scopes: ['a'] },
      resourceAttributes: { namespace: 'shop', verb: 'list', group: 'networking.istio.io', resource: 'virtualservices' },
    });
  });

  it('remembers a verdict for ten seconds per identity and namespace, asks once for questions asked at once, and forgets a failure', async () => {
    const asked: string[] = [];
    let allowed = true;
    let failing = false;
    const clock = { t: 1_000, now() { return this.t; } };
    const mayList = rememberedVerdicts(async (who, namespace) => {
      asked.push(`${who.user}${who.groups.join('+')} ${namespace}`);
      if (failing) throw new Error('connection refused');
      return allowed;
    }, clock);
    const alice: Identity = { user: 'alice', groups: ['dev'], extra: {} };
    expect(await Promise.all([mayList(alice, 'shop'), mayList(alice, 'shop')])).to.deep.equal([true, true]);
    allowed = false;
    expect(await mayList(alice, 'shop')).to.equal(true);
    // Another namespace, another group, another user: questions of their own.
    expect([await mayList(alice, 'bank'), await mayList({ ...alice, groups: ['ops'] }, 'shop'), await mayList({ ...alice, user: 'bob' }, 'shop')]).to.deep.equal([false, false, false]);
    expect(asked).to.deep.equal(['alicedev shop', 'alicedev bank', 'aliceops shop', 'bobdev shop']);
    // The grant revoked: believed once the verdict is older than the TTL.
    clock.t += VERDICT_TTL_MS + 1;
    expect(await mayList(alice, 'shop')).to.equal(false);
    failing = true;
    clock.t += VERDICT_TTL_MS + 1;
    let failed = 0;
    for (let i = 0; i < 2; i++) await mayList(alice, 'shop').catch(() => failed++);
    expect(failed, 'a failed review is asked again, not remembered').to.equal(2);
  });

  describe('the plugin asks it first', () => {
    const apis: FakeApiServer[] = [];
    after(async () => { await Promise.all(apis.map((a) => a.close())); });
    /** What the webhook's cache drops from what it keeps (webhook/cache.ts): managedFields and kubectl's last-applied copy. */
    const asCached = (stored: VirtualService[]): VirtualService[] => stored.map((o) => {
      const { managedFields: _m, annotations = {}, ...metadata } = o.metadata as VirtualService['metadata'] & { managedFields?: unknown };
      const { [LAST_APPLIED]: _l, ...kept } = annotations;
      return { ...o, metadata: { ...metadata, annotations: kept } };
    });
    /**
     * A fake API server whose aggregation layer hands the route query to the webhook's own server, for user "dev", over
     * what the webhook's cache holds: by default the stored VirtualServices less what it drops. `namesOnly`: answered as
     * an older webhook answers, names without the objects.
     */
    const start = async (objects: KubeObject[], { answer = true, cached = asCached, namesOnly = false }:
      { answer?: boolean; cached?: (stored: VirtualService[]) => VirtualService[]; namesOnly?: boolean } = {}) => {
      const holder: { api?: FakeApiServer } = {};
      const api = await startFakeApiServer(objects, {
        routeQuery: async (path) => {
          if (!answer) return { status: 503, body: { kind: 'Status', code: 503, reason: 'ServiceUnavailable', message: 'service unavailable' } };
          const current = cached(holder.api!.objects.filter((o): o is VirtualService => o.kind === 'VirtualService'));
          const app = buildServer({ cache: staticCache(current, []), policy: () => DEFAULT_POLICY, routeQuery: { identify: () => identity, mayList: async () => true } });
          const res = await app.inject({ method: 'GET', url: path });
          const body = res.json();
          if (namesOnly) for (const ref of body.virtualServices ?? []) delete ref.object;
          return { status: res.statusCode, body };
        },
      });
      holder.api = api;
      apis.push(api);
      return api;
    };
    const shopObjects = () => bookinfo('shop').objects.map((o) => ({ ...o, metadata: { ...o.metadata, resourceVersion: '7' } }));
    const unrelatedObjects = (n: number) => Array.from({ length: n }, (_, i) => [vs(`team-${i % 7}`, `svc-${i}`, [`svc-${i}`]), dr(`team-${i % 7}`, `svc-${i}`, `svc-${i}`)]).flat();
    const istioAndQuery = (api: FakeApiServer) => api.requests.filter((q) => q.startsWith('GET /apis/networking.istio.io/') || q.includes('query.kubectl-gray.io'));
    const QUERY = 'GET /apis/query.kubectl-gray.io/v1alpha1/namespaces/shop/serviceroutes/reviews.shop.svc.cluster.local';
    const READ = 'GET /apis/networking.istio.io/v1/namespaces/shop/virtualservices/reviews';
    const WRITE = 'PATCH /apis/networking.istio.io/v1/namespaces/shop/virtualservices/reviews';
    /** Bookinfo in shop, reviews as kubectl apply leaves it: its last-applied copy and managedFields. */
    const applied = () => shopObjects().map((o) => (o.kind === 'VirtualService' && o.metadata.name === 'reviews'
      ? { ...o, metadata: { ...o.metadata, annotations: { [LAST_APPLIED]: '{"kind":"VirtualService"}', team: 'a' }, managedFields: [{ manager: 'kubectl-client-side-apply' }] } }
      : o));
    const reviewsOf = (api: FakeApiServer) => api.objects.find((o) => o.kind === 'VirtualService' && o.metadata.name === 'reviews') as VirtualService & { metadata: { managedFields?: unknown } };

    it('one question whose answer carries the VirtualServices: no list and no read of one; the change is a merge patch from the resourceVersion answered, and what the cache drops stays', async () => {
      const api = await start([...applied(), ...unrelatedObjects(30)]);
      const r = await runConnected(['set-weight', 'reviews', 'v2=10', '-n', 'shop', '--kubeconfig', api.kubeconfig()]);
      expect(r, r.stderr).to.deep.include({ code: 0, stderr: '' });
      expect([...istioAndQuery(api)].sort()).to.deep.equal([
        'GET /apis/networking.istio.io/v1/namespaces/istio-system/destinationrules',
        'GET /apis/networking.istio.io/v1/namespaces/shop/destinationrules',
        QUERY,
      ]);
      expect(api.requests.at(-1)).to.equal(WRITE);
      const patch = api.patches[0] as VirtualService;
      expect(patch.metadata.resourceVersion).to.equal('7');
      expect(patch.metadata.annotations, 'only the annotations the change sets').to.not.have.property(LAST_APPLIED);
      const written = reviewsOf(api);
      expect(written.spec.http?.[0]?.route?.map((d) => d.weight)).to.deep.equal([90, 10]);
      expect(written.metadata.annotations).to.include({ [LAST_APPLIED]: '{"kind":"VirtualService"}', team: 'a' });
      expect(written.metadata.managedFields).to.deep.equal([{ manager: 'kubectl-client-side-apply' }]);
    });

    it('--dry-run=client -o yaml prints the objects as stored: read by name, kubectl\'s last-applied copy and all, nothing written', async () => {
      const api = await start(applied());
      const r = await runConnected(['set-weight', 'reviews', 'v2=10', '-n', 'shop', '--dry-run=client', '-o', 'yaml', '--kubeconfig', api.kubeconfig()]);
      expect(r, r.stderr).to.deep.include({ code: 0, stderr: '' });
      expect(r.stdout).to.contain(LAST_APPLIED);
      expect(r.stdout).to.contain('weight: 10');
      expect(api.requests).to.include(READ);
      expect(api.patches).to.deep.equal([]);
    });

    it('a cache a write behind: the patch is a Conflict, then the object is read by name and the change planned again; a webhook that names them only: read by name', async () => {
      const snapshot = asCached((shopObjects() as KubeObject[]).filter((o): o is VirtualService => o.kind === 'VirtualService'));
      const behind = await start(shopObjects(), { cached: () => snapshot });
      // Another writer, after the cache's last event.
      const stored = reviewsOf(behind);
      stored.metadata = { ...stored.metadata, resourceVersion: '8', labels: { owner: 'other-writer' } };
      const r = await runConnected(['set-weight', 'reviews', 'v2=10', '-n', 'shop', '--kubeconfig', behind.kubeconfig()]);
      expect(r, r.stderr).to.deep.include({ code: 0, stderr: '' });
      expect(behind.requests.filter((q) => q.includes('/virtualservices/reviews'))).to.deep.equal([WRITE, READ, WRITE]);
      expect((behind.patches as VirtualService[]).map((p) => p.metadata.resourceVersion)).to.deep.equal(['7', '8']);
      expect(reviewsOf(behind).metadata.labels).to.deep.equal({ owner: 'other-writer' });
      expect(reviewsOf(behind).spec.http?.[0]?.route?.map((d) => d.weight)).to.deep.equal([90, 10]);

      const older = await start(shopObjects(), { namesOnly: true });
      const again = await runConnected(['set-weight', 'reviews', 'v2=10', '-n', 'shop', '--kubeconfig', older.kubeconfig()]);
      expect(again, again.stderr).to.deep.include({ code: 0, stderr: '' });
      const asked = istioAndQuery(older);
      expect(asked.indexOf(READ)).to.be.greaterThan(asked.indexOf(QUERY));
      expect(older.requests.at(-1)).to.equal(WRITE);
    });

    it('not answered (no webhook, or not ready), or naming nothing (a VirtualService just written): the API server\'s lists say', async () => {
      const down = await start([...shopObjects()].map(labelled), { answer: false });
      const r = await runConnected(['status', 'reviews', '-n', 'shop', '--kubeconfig', down.kubeconfig()]);
      expect(r.stdout, r.stderr).to.include('shop/reviews');
      expect(istioAndQuery(down).filter((q) => /virtualservices|serviceroutes/.test(q))).to.deep.equal([
        'GET /apis/query.kubectl-gray.io/v1alpha1/namespaces/shop/serviceroutes/reviews.shop.svc.cluster.local',
        'GET /apis/networking.istio.io/v1/virtualservices?labelSelector=kubectl-gray.io/route-index notin (v1)',
        `GET /apis/networking.istio.io/v1/virtualservices?labelSelector=${REVIEWS}`,
      ]);
      const cluster = new FakeCluster('shop', shopObjects());
      cluster.routeQuery = () => [];
      const found = await new Reads(cluster, ['reviews.shop.svc.cluster.local']).virtualServices();
      expect(found.map(objectKey)).to.include('shop/reviews');
      expect(cluster.routeQueries).to.deep.equal(['shop reviews.shop.svc.cluster.local']);
      expect(cluster.lists[0]).to.equal('virtualservices * kubectl-gray.io/route-index notin (v1)');
    });
  });
});

