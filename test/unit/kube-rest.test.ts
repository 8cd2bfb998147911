// The REST client against a real TLS server: one keep-alive connection for a command, only the reads the
// command needs (the independent ones sent together), no discovery request for an Istio version it can simply
// ask for, a fallback to discovery on an older control plane, and one discovery request (/apis) to learn
// whether any controller that may own the objects (Argo CD, Argo Rollouts, OpenKruise) is installed at all. What
// a list can say by itself (the Gateway API's routes, the admin policy objects: a 404 where not served) is not
// kept waiting for that request.
import { X509Certificate } from 'node:crypto';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { expect } from 'chai';
import type { KubeObject } from '../../core/model.js';
import { type FakeApiServer, type FakeApiServerOptions, startFakeApiServer } from '../support/fake-apiserver.js';
import { bookinfo } from '../support/fixtures.js';
import { ApiError } from '../../kube/errors.js';
import { KubeRest, type WatchEvent } from '../../kube/rest.js';
import { loadKubeConfig } from '../../plugin/kube/config.js';
import { connectCluster } from '../../plugin/kube/connect.js';
import { runConnected } from '../support/run.js';

const objects = (): KubeObject[] => bookinfo('shop').objects.map((o) => ({ ...o, metadata: { ...o.metadata, resourceVersion: '7' } }));

const gray = (args: string[]) => runConnected(args);

/** The webhook's route query, not served here (no APIService): 404, and the plugin asks the API server's lists. */
const ROUTE_QUERY = 'GET /apis/query.kubectl-gray.io/v1alpha1/namespaces/shop/serviceroutes/reviews.shop.svc.cluster.local';
/** The VirtualServices with a wildcard host and those the route index misses (here: all, as no webhook keeps it). */
const INDEX_CHECK = 'GET /apis/networking.istio.io/v1/virtualservices?labelSelector=kubectl-gray.io/route-index notin (v1)';
/** With the index not kept: the rest of the VirtualServices, the indexed ones (here: none). */
const INDEXED_REST = 'GET /apis/networking.istio.io/v1/virtualservices?labelSelector=kubectl-gray.io/route-index=v1';

/**
 * Asked at once, beside the rest, rather than after the discovery request: the Gateway API's routes and the admin
 * policy objects. Not served here: 404s (then the policy an older chart publishes on its webhook configuration).
 */
const NOT_SERVED = [
  'GET /apis/gateway.networking.k8s.io/v1/grpcroutes',
  'GET /apis/gateway.networking.k8s.io/v1/httproutes',
  'GET /apis/policy.kubectl-gray.io/v1alpha1/clustergraypolicies',
  'GET /apis/policy.kubectl-gray.io/v1alpha1/namespaces/shop/graypolicies',
];
const LEGACY_POLICY = 'GET /apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations?labelSelector=kubectl-gray.io/policy=true';

const SET_WEIGHT_WRITE = 'PATCH /apis/networking.istio.io/v1/namespaces/shop/virtualservices/reviews';

const SET_WEIGHT_OUT = 'virtualservice.networking.istio.io/reviews reweighted\n  http[0] default (*): v1=90% v2=10%\n';

describe('kube/rest + plugin/kube/cluster against a TLS API server', function () {
  const servers: FakeApiServer[] = [];
  const start = async (options?: FakeApiServerOptions, extra: KubeObject[] = []) => {
    const api = await startFakeApiServer([...objects(), ...extra], options);
    servers.push(api);
    return api;
  };
  before(async function () {
    this.timeout(60_000); // the fake server's RSA keys, made once here rather than in the first test: seconds on a busy machine
    await start();
  });
  after(async () => { await Promise.all(servers.map((s) => s.close())); });

  // What set-weight needs: the admin policy, the webhook's route query (not served here), whether the route index is
  // kept (one object of each kind without its label, at most), the VirtualServices (every way in to the service),
  // the DestinationRules where Istio looks them up for those (the whole plan is checked against them), one discovery
  // request saying whether a controller that could own what the plan edits is installed, and the write. The reads
  // that do not wait for another go out at once on one HTTP/2 connection; the write comes last.
  // Nothing else: no Istio discovery, no per-group discovery, no DestinationRules of unrelated namespaces.
  it('set-weight without the route index: policy, VirtualServices, DestinationRules where Istio looks, one discovery, one write, on one HTTP/2 connection', async () => {
    const api = await start();
    const r = await gray(['set-weight', 'reviews', 'v2=10', '-n', 'shop', '--kubeconfig', api.kubeconfig()]);
    expect(r).to.deep.equal({ code: 0, stdout: SET_WEIGHT_OUT, stderr: '' });
    expect([...api.requests].sort()).to.deep.equal([
      'GET /apis',
      LEGACY_POLICY,
      'GET /apis/networking.istio.io/v1/namespaces/istio-system/destinationrules',
      'GET /apis/networking.istio.io/v1/namespaces/shop/destinationrules',
      INDEX_CHECK,
      INDEXED_REST,
      ROUTE_QUERY,
      SET_WEIGHT_WRITE,
      ...NOT_SERVED,
    ].sort());
    expect(api.requests.at(-1)).to.equal(SET_WEIGHT_WRITE);
    expect(api.requests.indexOf(LEGACY_POLICY)).to.be.greaterThan(api.requests.indexOf('GET /apis/policy.kubectl-gray.io/v1alpha1/clustergraypolicies'));
    // The lists of VirtualServices only once the route query has said it is not served.
    expect(api.requests.indexOf(INDEX_CHECK)).to.be.greaterThan(api.requests.indexOf(ROUTE_QUERY));
    expect(api.protocols).to.deep.equal(api.requests.map(() => '2.0'));
    expect(api.connections).to.equal(1);
  });

  it('a server that offers only HTTP/1.1: the same requests, one after the other on one keep-alive connection', async () => {
    const api = await start({ http1Only: true });
    const r = await gray(['set-weight', 'reviews', 'v2=10', '-n', 'shop', '--kubeconfig', api.kubeconfig()]);
    expect(r).to.deep.equal({ code: 0, stdout: SET_WEIGHT_OUT, stderr: '' });
    expect(api.requests).to.have.length(8 + NOT_SERVED.length);
    expect(api.requests.at(-1)).to.equal(SET_WEIGHT_WRITE);
    expect(api.protocols).to.deep.equal(api.requests.map(() => '1.1'));
    // The handshake that found no HTTP/2 on offer (closed at once: the server may not count it), then the connection
    // every request uses.
    expect(api.connections).to.be.within(1, 2);
  });

  it('a command\'s process trusts the kubeconfig\'s CA by default (no copy of the bundled roots per connection); a server process is left as it is', async () => {
    const api = await start();
    const { kc } = loadKubeConfig({ kubeconfig: api.kubeconfig() });
    const bundled = getCACertificates('default');
    try {
      await new KubeRest(kc).request('GET', '/apis');
      expect(getCACertificates('default')).to.deep.equal(bundled);
      await new KubeRest(kc, undefined, {}, true).request('GET', '/apis');
      const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
      expect(getCACertificates('default').map(fingerprint)).to.deep.equal([fingerprint(api.ca.cert)]);
    } finally {
      setDefaultCACertificates(bundled);
    }
  });

  it('a server that ends the HTTP/2 connection between two requests: the next request opens another', async () => {
    const api = await start();
    const rest = new KubeRest(loadKubeConfig({ kubeconfig: api.kubeconfig() }).kc);
    expect((await rest.request('GET', '/apis')).status).to.equal(200);
    api.goAway();
    await new Promise((resolve) => setImmediate(resolve));
    expect((await rest.request('GET', '/apis')).status).to.equal(200);
    expect(api.connections).to.equal(2);
    expect(api.protocols).to.deep.equal(['2.0', '2.0']);
  });

  it('a server not up yet: the request fails as kubectl says it, and the next one, once it is up, connects', async () => {
    const first = await start();
    const port = Number(new URL(first.url).port);
    const kubeconfig = first.kubeconfig();
    await first.close();
    const rest = new KubeRest(loadKubeConfig({ kubeconfig }).kc);
    const refused = await rest.request('GET', '/apis').then(() => undefined, (err: unknown) => err);
    expect(String(refused)).to.contain(`The connection to the server 127.0.0.1:${port} was refused`);
    const api = await start({ port });
    expect((await rest.request('GET', '/apis')).status).to.equal(200);
    expect(api.protocols).to.deep.equal(['2.0']);
  });

  it('set-weight again changes nothing: no write', async () => {
    const api = await start();
    await gray(['set-weight', 'reviews', 'v2=10', '-n', 'shop', '--kubeconfig', api.kubeconfig()]);
    api.requests.length = 0;
    const r = await gray(['set-weight', 'reviews', 'v2=10', '-n', 'shop', '--kubeconfig', api.kubeconfig()]);
    expect(r.code, r.stderr).to.equal(0);
    expect([...api.requests].sort()).to.deep.equal([
      'GET /apis',
      LEGACY_POLICY,
      'GET /apis/networking.istio.io/v1/namespaces/istio-system/destinationrules',
      'GET /apis/networking.istio.io/v1/namespaces/shop/destinationrules',
      INDEX_CHECK,
      INDEXED_REST,
      ROUTE_QUERY,
      ...NOT_SERVED,
    ].sort());
  });

  it('a user who may list only in the namespace: the cluster-wide lists are refused, then the namespaces that matter', async () => {
    const api = await start({ namespacedOnly: true });
    const r = await gray(['set-weight', 'reviews', 'v2=10', '-n', 'shop', '--kubeconfig', api.kubeconfig()]);
    expect(r).to.deep.equal({ code: 0, stdout: SET_WEIGHT_OUT, stderr: '' });
    expect([...api.requests].sort()).to.deep.equal([
      'GET /apis',
      LEGACY_POLICY,
      'GET /apis/networking.istio.io/v1/namespaces/istio-system/destinationrules',
      'GET /apis/networking.istio.io/v1/namespaces/shop/destinationrules',
      'GET /apis/networking.istio.io/v1/namespaces/shop/virtualservices',
      'GET /apis/networking.istio.io/v1/virtualservices',
      INDEX_CHECK,
      ROUTE_QUERY,
      'PATCH /apis/networking.istio.io/v1/namespaces/shop/virtualservices/reviews',
      ...NOT_SERVED,
    ].sort());
    expect(api.connections).to.equal(1);
  });

  it('--as, --as-group, --as-uid: every request impersonates, as kubectl\'s do; a group without a user is a usage error', async () => {
    const api = await start();
    const r = await gray(['set-weight', 'reviews', 'v2=10', '-n', 'shop', '--kubeconfig', api.kubeconfig(), '--as', 'alice', '--as-group', 'dev', '--as-group', 'ops', '--as-uid', 'u-1']);
    expect(r, r.stderr).to.deep.include({ code: 0 });
    expect(api.headers.length).to.be.greaterThan(3);
    for (const h of api.headers) {
      expect(h['impersonate-user']).to.equal('alice');
      expect(h['impersonate-group']).to.equal('dev, ops'); // Node joins repeated headers when it reads them
      expect(h['impersonate-uid']).to.equal('u-1');
    }
    const bad = await gray(['status', 'reviews', '-n', 'shop', '--kubeconfig', api.kubeconfig(), '--as-group', 'dev']);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.contain('--as-group and --as-uid need --as');
  });

  it('Argo CD installed: the same one discovery request says so, then its settings and Applications are read together', async () => {
    const argocdCm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'argocd-cm', namespace: 'argocd' } };
    for (const legacyDiscovery of [false, true]) {
      const api = await start({ groups: { 'argoproj.io/v1alpha1': ['applications', 'appprojects'] }, legacyDiscovery }, [argocdCm]);
      const r = await gray(['set-weight', 'reviews', 'v2=10', '-n', 'shop', '--kubeconfig', api.kubeconfig()]);
      expect(r, `legacy discovery: ${legacyDiscovery}`).to.deep.equal({ code: 0, stdout: SET_WEIGHT_OUT, stderr: '' });
      // After the discovery: what it found is read (together), then the write. (The reads that do not wait for it may
      // arrive after it too.)
      const afterDiscovery = api.requests.slice(api.requests.indexOf('GET /apis') + 1)
        .filter((q) => !q.startsWith('GET /apis/networking.istio.io') && q !== LEGACY_POLICY && !q.includes('query.kubectl-gray.io') && !NOT_SERVED.includes(q));
      const reads = ['GET /api/v1/namespaces/argocd/configmaps/argocd-cm', 'GET /apis/argoproj.io/v1alpha1/applications'];
      // A server without aggregated discovery lists groups, not resources: one more request, for the served group only.
      const legacy = legacyDiscovery ? ['GET /apis/argoproj.io/v1alpha1'] : [];
      expect(afterDiscovery.slice(0, legacy.length), `legacy discovery: ${legacyDiscovery}`).to.deep.equal(legacy);
      expect(afterDiscovery.slice(legacy.length, -1).sort(), `legacy discovery: ${legacyDiscovery}`).to.deep.equal(reads);
      expect(afterDiscovery.at(-1)).to.equal(SET_WEIGHT_WRITE);
      expect(api.requests.filter((q) => q === 'GET /apis')).to.have.length(1);
      expect(api.connections).to.equal(1);
    }
  });

  it('an older control plane (v1beta1 only): v1 is tried by the reads already sent, then one discovery, then everything at v1beta1', async () => {
    const api = await start({ istioVersion: 'v1beta1' });
    const r = await gray(['set-weight', 'reviews', 'v2=10', '-n', 'shop', '--kubeconfig', api.kubeconfig()]);
    expect(r).to.deep.equal({ code: 0, stdout: SET_WEIGHT_OUT, stderr: '' });
    const istio = api.requests.filter((q) => q.includes('networking.istio.io'));
    // The first reads find v1 not served; one discovery serves every request after it.
    const discovery = istio.indexOf('GET /apis/networking.istio.io/v1');
    expect(discovery).to.be.greaterThan(0);
    expect(istio.slice(0, discovery).every((q) => q.includes('/v1/')), istio.join('\n')).to.equal(true);
    expect(istio[discovery + 1]).to.equal('GET /apis/networking.istio.io/v1beta1');
    expect(istio.slice(discovery + 2).every((q) => q.includes('/v1beta1/')), istio.join('\n')).to.equal(true);
    expect(istio.at(-1)).to.equal('PATCH /apis/networking.istio.io/v1beta1/namespaces/shop/virtualservices/reviews');
    expect(api.requests.filter((q) => q === 'GET /apis/networking.istio.io/v1beta1')).to.have.length(1);
    expect(api.connections).to.equal(1);
  });

  it('a missing object is NotFound, not a reason to look for another version', async () => {
    const api = await start();
    const cluster = connectCluster({ kubeconfig: api.kubeconfig(), namespace: 'shop' });
    expect(await cluster.get({ resource: 'virtualservices', namespace: 'shop', name: 'nosuch' })).to.equal(undefined);
    expect(await cluster.get({ resource: 'destinationrules', namespace: 'shop', name: 'nosuch' })).to.equal(undefined);
    const r = await gray(['set-weight', 'nosuch', 'v2=10', '-n', 'shop', '--vs', 'nosuch', '--kubeconfig', api.kubeconfig()]);
    expect(r.code).to.not.equal(0);
    expect(api.requests.filter((q) => /^GET \/apis\/networking\.istio\.io\/[^/]+$/.test(q))).to.deep.equal([]); // no Istio discovery
  });

  // The webhook's caches watch through the same client: events split anywhere by the network, an ERROR event
  // (410 Gone) and a refused watch become ApiErrors the cache acts on.
  it('watch: events across chunk boundaries, then the end; an ERROR event and a refusal are ApiErrors', async () => {
    const added = JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'reviews', resourceVersion: '11' } } });
    const bookmark = JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '12' } } });
    const gone = JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 5 (12)' } });
    const rest = async (options: FakeApiServerOptions) => {
      const api = await start(options);
      return new KubeRest(loadKubeConfig({ kubeconfig: api.kubeconfig() }).kc);
    };
    const path = '/apis/networking.istio.io/v1/virtualservices?watch=1&resourceVersion=10';
    const events: WatchEvent[] = [];
    const streamed = await rest({ watchPieces: [added.slice(0, 20), `${added.slice(20)}\n${bookmark.slice(0, 5)}`, `${bookmark.slice(5)}\n`] });
    await streamed.watch(path, (e) => events.push(e), new AbortController().signal);
    expect(events.map((e) => [e.type, e.object.metadata?.resourceVersion])).to.deep.equal([['ADDED', '11'], ['BOOKMARK', '12']]);

    const expired = await rest({ watchPieces: [`${added}\n${gone}\n`] });
    const failure = await expired.watch(path, () => undefined, new AbortController().signal).then(() => undefined, (e: unknown) => e);
    expect(failure).to.be.instanceOf(ApiError);
    expect([(failure as ApiError).status, (failure as ApiError).reason]).to.deep.equal([410, 'Expired']);

    const forbidden = await rest({ namespacedOnly: true });
    const refusal = await forbidden.watch(path, () => undefined, new AbortController().signal).then(() => undefined, (e: unknown) => e);
    expect([(refusal as ApiError).status, (refusal as ApiError).reason]).to.deep.equal([403, 'Forbidden']);
  });
});
