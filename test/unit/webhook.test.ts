// The webhook in three tiers' first two: pure decisions, then the HTTP edge through fastify's inject()
// with the exact AdmissionReview JSON for each path.
import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { reviewIstioObject } from '../../core/admission.js';
import { imageTag, planDeploymentLabels } from '../../core/deployment-labels.js';
import type { KubeObject } from '../../core/model.js';
import { DEFAULT_POLICY, type Policy, parsePolicy } from '../../core/policy.js';
import { mutateDeployment } from '../../webhook/admission/handlers.js';
import type { AdmissionRequest } from '../../webhook/admission/review.js';
import { type IstioCache, staticCache } from '../../webhook/cache.js';
import { generateCa, generateServing } from '../../webhook/certs.js';
import { Metrics } from '../../webhook/metrics.js';
import { buildServer } from '../../webhook/server.js';
import { bookinfo, weightedVs } from '../support/fixtures.js';
import { fixtureKeys } from '../support/keys.js';
import { eventually } from '../support/wait.js';
import { tempDir } from '../support/temp.js';

const NOW = new Date('2026-11-23T10:00:00Z');
const istioKind = (kind: string) => ({ group: 'networking.istio.io', version: 'v1', kind });

function request(partial: Partial<AdmissionRequest>): AdmissionRequest {
  return { uid: 'uid-1', kind: istioKind('VirtualService'), operation: 'CREATE', userInfo: { username: 'alice' }, ...partial };
}

function app(policy: Policy = DEFAULT_POLICY, extra: { settleWaitsMs?: number[] } = {}) {
  const { virtualServices, destinationRules } = bookinfo();
  return buildServer({ cache: staticCache(virtualServices, destinationRules), policy: () => policy, now: () => NOW, settleWaitsMs: extra.settleWaitsMs ?? [] });
}

async function post(path: string, body: unknown, policy?: Policy) {
  const res = await app(policy).inject({ method: 'POST', url: path, payload: body as object });
  return { status: res.statusCode, json: res.json() };
}

const reviewOf = (req: AdmissionRequest) => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: req });

describe('webhook', () => {
  describe('decisions (pure)', () => {
    const base = () => ({ ...bookinfo(), policy: DEFAULT_POLICY, now: NOW });
    it('refuses a VirtualService update that breaks the rules, and lets a metadata-only update through', () => {
      const { reviews, virtualServices, destinationRules } = base();
      const bad = weightedVs({ v1: 80, v2: 10 });
      const rules = reviewIstioObject({ operation: 'UPDATE', object: bad, oldObject: reviews, virtualServices, destinationRules, policy: DEFAULT_POLICY, now: NOW });
      expect(rules.map((f) => f.code)).to.deep.equal(['GRAY101']);
      const relabelled = { ...bad, metadata: { ...bad.metadata, labels: { x: 'y' } } };
      expect(reviewIstioObject({ operation: 'UPDATE', object: relabelled, oldObject: bad, virtualServices, destinationRules, policy: DEFAULT_POLICY, now: NOW })).to.deep.equal([]);
    });
    it('admin policy: forbidden namespaces, freeze windows, weight steps, each able to warn instead', () => {
      const { reviews, virtualServices, destinationRules } = base();
      const policy = parsePolicy({ forbiddenNamespaces: ['default'], maxWeightStep: 20, freezeWindows: [{ start: '2026-11-23T00:00:00Z', end: '2026-11-24T00:00:00Z', reason: 'sale' }] });
      const jump = weightedVs({ v1: 50, v2: 50 });
      const codes = reviewIstioObject({ operation: 'UPDATE', object: jump, oldObject: reviews, virtualServices, destinationRules, policy, now: NOW });
      expect(codes.map((f) => `${f.code}:${f.severity}`)).to.deep.equal(['GRAY201:error', 'GRAY203:error', 'GRAY202:error']);
      expect(codes[2]!.problem).to.equal('moves 50 percentage points for v2 in one change; admin policy allows at most 20');
      const warnOnly = { ...policy, rules: { 'namespace-forbidden': 'warn', 'release-freeze': 'off', 'weight-step': 'warn' } } as Policy;
      expect(reviewIstioObject({ operation: 'UPDATE', object: jump, oldObject: reviews, virtualServices, destinationRules, policy: warnOnly, now: NOW })
        .map((f) => `${f.code}:${f.severity}`)).to.deep.equal(['GRAY201:warning', 'GRAY202:warning']);
    });
    it('reads a policy file strictly, naming every bad key at once', () => {
      expect(() => parsePolicy({ rulez: {}, rules: { 'weight-total': 'maybe', 'weight-negative': 'off' }, maxWeightStep: 0 })).to.throw(
        'policy has 4 problem(s):\n  [rulez] unknown key (known: rules, forbiddenNamespaces, maxWeightStep, minSecondsBetweenWeightChanges, forbidZeroToHundred, freezeWindows, exemptions)\n' +
        '  [rules.weight-total] "maybe" is not one of enforce, warn, audit, off\n  [rules.weight-negative] Istio itself refuses this; it cannot be relaxed\n' +
        '  [maxWeightStep] "0" must be a number from 1 to 100');
    });
  });

  describe('Deployment labels', () => {
    const deployment = (labels: Record<string, string>, annotations: Record<string, string> = {}, image = 'docker.io/istio/reviews:1.20.3', selector: Record<string, string> = { app: 'reviews' }) => ({
      metadata: { name: 'reviews-new', annotations },
      spec: { selector: { matchLabels: selector }, template: { metadata: { labels }, spec: { containers: [{ image }] } } },
    });
    it('takes the version from the annotation, else from the image tag', () => {
      expect(planDeploymentLabels(deployment({ app: 'reviews' })).set).to.deep.equal({ version: '1.20.3' });
      expect(planDeploymentLabels(deployment({ app: 'reviews' }, { 'kubectl-gray.io/version': 'v4' })).set).to.deep.equal({ version: 'v4' });
      expect(planDeploymentLabels(deployment({ app: 'reviews', version: 'v1' })).set).to.deep.equal({});
      expect(planDeploymentLabels(deployment({ tier: 'x' })).set).to.deep.equal({});
      expect(imageTag('registry.local:5000/reviews')).to.equal(undefined);
      expect(imageTag('registry.local:5000/reviews:2.1@sha256:abc')).to.equal('2.1');
      expect(planDeploymentLabels(deployment({ app: 'reviews' }, {}, 'reviews')).warnings[0]).to.contain('its first image has no tag');
    });
    it('marks canaries, never against the selector', () => {
      expect(planDeploymentLabels(deployment({ app: 'reviews', version: 'v1' }, { 'kubectl-gray.io/canary': 'true' })).set)
        .to.deep.equal({ version: 'canary', 'istio.service.tag': 'gray' });
      const pinned = planDeploymentLabels(deployment({ app: 'reviews', version: 'v1' }, { 'kubectl-gray.io/canary': 'true' }, 'x:1', { app: 'reviews', version: 'v1' }));
      expect(pinned.set).to.deep.equal({ 'istio.service.tag': 'gray' });
      expect(pinned.warnings[0]).to.contain('spec.selector requires version=v1');
    });
    it('patches with correct pointers, and not at all when nothing changes', () => {
      const d = deployment({ app: 'reviews', version: 'v1' }, { 'kubectl-gray.io/canary': 'true' });
      const r = mutateDeployment(request({ kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, object: d as unknown as KubeObject })).response;
      expect(JSON.parse(Buffer.from(r.patch!, 'base64').toString())).to.deep.equal([
        { op: 'replace', path: '/spec/template/metadata/labels/version', value: 'canary' },
        { op: 'add', path: '/spec/template/metadata/labels/istio.service.tag', value: 'gray' },
      ]);
      const plain = mutateDeployment(request({ kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, object: deployment({ app: 'reviews', version: 'v1' }) as unknown as KubeObject })).response;
      expect(plain).to.deep.equal({ uid: 'uid-1', allowed: true });
    });
    it('adds the labels map, or the template\'s metadata, where there is none yet', () => {
      const canary = { metadata: { name: 'c', annotations: { 'kubectl-gray.io/canary': 'true' } }, spec: { template: { spec: {} } } };
      const patchOf = (object: unknown) => JSON.parse(Buffer.from(mutateDeployment(request({ kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, object: object as KubeObject })).response.patch!, 'base64').toString());
      const set = { version: 'canary', 'istio.service.tag': 'gray' };
      expect(patchOf(canary)).to.deep.equal([{ op: 'add', path: '/spec/template/metadata', value: { labels: set } }]);
      expect(patchOf({ ...canary, spec: { template: { metadata: {}, spec: {} } } })).to.deep.equal([{ op: 'add', path: '/spec/template/metadata/labels', value: set }]);
    });
  });

  describe('HTTP edge', () => {
    it('allows a good VirtualService with the exact review', async () => {
      const res = await post('/validate', reviewOf(request({ object: bookinfo().reviews })));
      expect(res).to.deep.equal({ status: 200, json: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'uid-1', allowed: true } } });
    });

    it('denies with a 403 status naming object, field and fix, and the finding for the API server\'s audit log', async () => {
      const res = await post('/validate', reviewOf(request({ object: weightedVs({ v1: 90, v4: 10 }) })));
      const line = 'GRAY104 subset-undefined: VirtualService default/reviews spec.http[0].route[1].destination.subset: routes to subset "v4" of host reviews.default.svc.cluster.local, which DestinationRule default/reviews does not define (defined: v1, v2, v3). Fix: add subset "v4" to DestinationRule default/reviews first, or route to one of: v1, v2, v3';
      expect(res.json).to.deep.equal({
        apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
        response: {
          uid: 'uid-1', allowed: false,
          status: { code: 403, reason: 'Forbidden', message: `kubectl-gray refused it (1 problem):\n${line}` },
          auditAnnotations: { 'subset-undefined': `error ${line}` },
        },
      });
    });

    it('allows with warnings for an unreachable route', async () => {
      const vs = bookinfo().reviews;
      vs.spec.http!.push({ name: 'late', match: [{ headers: { a: { exact: 'b' } } }], route: [{ destination: { host: 'reviews', subset: 'v2' } }] });
      const res = await post('/validate', reviewOf(request({ object: vs })));
      expect(res.json.response).to.deep.equal({
        uid: 'uid-1', allowed: true,
        warnings: ['GRAY108 route-unreachable (IST0130): spec.http[1]: route "late" comes after the catch-all route spec.http[0] and can never match'],
        // A warning is in the audit log too: who was let through with what.
        auditAnnotations: { 'route-unreachable': 'warning GRAY108 route-unreachable (IST0130): VirtualService default/reviews spec.http[1]: route "late" comes after the catch-all route spec.http[0] and can never match. Fix: move it before spec.http[0] (kubectl gray match-header inserts routes in the right place)' },
      });
    });

    it('refuses deleting a DestinationRule in use (oldObject only)', async () => {
      const res = await post('/validate', reviewOf(request({ kind: istioKind('DestinationRule'), operation: 'DELETE', object: null, oldObject: bookinfo().reviewsRule })));
      expect(res.json.response.allowed).to.equal(false);
      expect(res.json.response.status.message).to.contain('GRAY111 destinationrule-in-use: DestinationRule default/reviews metadata.name');
    });

    it('lets the namespace controller and the garbage collector delete, so a namespace never stays Terminating', async () => {
      const forbidding = buildServer({ cache: staticCache(bookinfo().virtualServices, bookinfo().destinationRules), policy: () => ({ ...DEFAULT_POLICY, forbiddenNamespaces: ['default'] }) });
      for (const username of ['system:serviceaccount:kube-system:namespace-controller', 'system:serviceaccount:kube-system:generic-garbage-collector']) {
        const res = await forbidding.inject({ method: 'POST', url: '/validate', payload: reviewOf({ ...request({ kind: istioKind('DestinationRule'), operation: 'DELETE', object: null, oldObject: bookinfo().reviewsRule }), userInfo: { username } }) });
        expect(res.json().response, username).to.deep.equal({ uid: 'uid-1', allowed: true });
      }
      const user = await forbidding.inject({ method: 'POST', url: '/validate', payload: reviewOf({ ...request({ kind: istioKind('DestinationRule'), operation: 'DELETE', object: null, oldObject: bookinfo().reviewsRule }), userInfo: { username: 'jane' } }) });
      expect(user.json().response.status.message).to.contain('GRAY201 namespace-forbidden');
      expect(user.json().response.status.message).to.contain('GRAY111 destinationrule-in-use');
    });

    it('lets kinds it does not judge through, and judges dry runs the same', async () => {
      const other = await post('/validate', reviewOf(request({ kind: { group: '', version: 'v1', kind: 'ConfigMap' }, object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } } })));
      expect(other.json.response).to.deep.equal({ uid: 'uid-1', allowed: true });
      const dry = await post('/validate', reviewOf(request({ dryRun: true, object: weightedVs({ v1: 50, v2: 10 }) })));
      expect(dry.json.response.allowed).to.equal(false);
    });

    it('patches Deployments with base64 JSON Patch', async () => {
      const d = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'r' }, spec: { selector: { matchLabels: { app: 'r' } }, template: { metadata: { labels: { app: 'r' } }, spec: { containers: [{ image: 'r:2.0' }] } } } };
      const res = await post('/mutate', reviewOf(request({ kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, object: d })));
      expect(res.json.response).to.deep.equal({
        uid: 'uid-1', allowed: true, patchType: 'JSONPatch',
        patch: Buffer.from(JSON.stringify([{ op: 'add', path: '/spec/template/metadata/labels/version', value: '2.0' }])).toString('base64'),
      });
    });

    it('judges a VirtualService whose header match is named __proto__, a legal header name', async () => {
      const vs = bookinfo().reviews;
      vs.spec.http!.unshift({ match: [JSON.parse('{"headers": {"__proto__": {"exact": "x"}}}')], route: [{ destination: { host: 'reviews', subset: 'v9' } }] });
      const body = JSON.stringify(reviewOf(request({ object: vs })));
      expect(body).to.contain('"__proto__":{"exact":"x"}');
      const res = await app().inject({ method: 'POST', url: '/validate', payload: body, headers: { 'content-type': 'application/json' } });
      expect(res.statusCode).to.equal(200);
      const review = res.json();
      expect(review.response.allowed).to.equal(false);
      expect(review.response.status.message).to.contain('spec.http[0].route[0].destination.subset');
    });

    it('takes a review whose body starts with a byte-order mark, as fastify\'s own JSON parser did', async () => {
      const body = `\ufeff${JSON.stringify(reviewOf(request({ object: bookinfo().reviews })))}`;
      const res = await app().inject({ method: 'POST', url: '/validate', payload: body, headers: { 'content-type': 'application/json' } });
      expect(res.statusCode).to.equal(200);
      expect(res.json().response).to.deep.equal({ uid: 'uid-1', allowed: true });
    });

    it('answers malformed requests with clear 4xx', async () => {
      const server = app();
      const cases = [
        { req: { method: 'GET' as const, url: '/validate' }, status: 405, message: 'admission endpoints take POST' },
        { req: { method: 'POST' as const, url: '/validate', payload: '{not json', headers: { 'content-type': 'application/json' } }, status: 400 },
        { req: { method: 'POST' as const, url: '/validate', payload: 'x', headers: { 'content-type': 'text/plain' } }, status: 415 },
        { req: { method: 'POST' as const, url: '/validate', payload: { hello: 'world' } }, status: 400, message: 'expected an admission.k8s.io/v1 AdmissionReview with request.uid and request.kind' },
        { req: { method: 'POST' as const, url: '/validate', payload: '', headers: { 'content-type': 'application/json' } }, status: 400 },
      ];
      for (const c of cases) {
        const res = await server.inject(c.req);
        expect(res.statusCode, JSON.stringify(c.req)).to.equal(c.status);
        if (c.message) expect(res.json()).to.deep.equal({ statusCode: c.status, message: c.message });
      }
    });

    it('takes reviews up to 8 MiB and refuses larger ones with 413', async function () {
      this.timeout(5_000); // builds and parses about 10 MiB of JSON: ~0.3 s idle, over 1 s on a busy machine
      const server = app();
      const vs = bookinfo().reviews;
      // Above fastify's 1 MiB default (a big last-applied annotation is common), below our 8 MiB limit.
      vs.metadata.annotations = { big: 'x'.repeat(1.5 * 1024 * 1024) };
      const ok = await server.inject({ method: 'POST', url: '/validate', payload: reviewOf(request({ object: vs, oldObject: vs, operation: 'UPDATE' })) });
      expect(ok.statusCode).to.equal(200);
      vs.metadata.annotations = { big: 'x'.repeat(8 * 1024 * 1024) }; // with the review around it, just over 8 MiB
      const tooBig = await server.inject({ method: 'POST', url: '/validate', payload: reviewOf(request({ object: vs })) });
      expect(tooBig.statusCode).to.equal(413);
    });

    it('turns a handler exception into a 500 review (validate) or an allowed one (mutate)', async () => {
      const boom = buildServer({
        cache: { ...staticCache([], []), destinationRules: () => { throw new Error('secret detail'); } },
        policy: () => DEFAULT_POLICY, settleWaitsMs: [],
      });
      const res = await boom.inject({ method: 'POST', url: '/validate', payload: reviewOf(request({ object: bookinfo().reviews })) });
      expect(res.json()).to.deep.equal({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'uid-1', allowed: false, status: { code: 500, message: 'kubectl-gray webhook internal error; see its log' } } });
      const mutate = await boom.inject({ method: 'POST', url: '/mutate', payload: reviewOf(request({ kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: null } as unknown as KubeObject })) });
      expect(mutate.json().response.allowed).to.equal(true);
    });

    it('re-checks a cache-dependent refusal once the caches catch up', async () => {
      const { virtualServices, destinationRules } = bookinfo();
      // The caches lack DestinationRule reviews while the first judgement runs (it is synchronous), and hold it
      // from the next turn of the event loop on: a new list, as a cache that caught up gives.
      const lagging = (): IstioCache => {
        let caughtUp = false;
        const before = destinationRules.filter((d) => d.metadata.name !== 'reviews');
        return {
          ...staticCache(virtualServices, destinationRules),
          destinationRules() {
            if (!caughtUp) setTimeout(() => { caughtUp = true; }, 0);
            return caughtUp ? [...destinationRules] : before;
          },
        };
      };
      const review = { method: 'POST' as const, url: '/validate', payload: reviewOf(request({ object: bookinfo().reviews })) };
      const rechecked = await buildServer({ cache: lagging(), policy: () => DEFAULT_POLICY, settleWaitsMs: [5, 5] }).inject(review);
      expect(rechecked.json().response.allowed).to.equal(true);
      // Without the re-check, the same review is refused: the test above fails if the re-check goes.
      const once = await buildServer({ cache: lagging(), policy: () => DEFAULT_POLICY, settleWaitsMs: [] }).inject(review);
      expect(once.json().response.allowed).to.equal(false);
      expect(once.json().response.status.message).to.contain('GRAY104');
    });

    it('serves health, readiness by cache sync, and metrics', async () => {
      let synced = false;
      const server = buildServer({ cache: { ...staticCache([], []), synced: () => synced }, policy: () => DEFAULT_POLICY });
      expect((await server.inject({ method: 'GET', url: '/healthz' })).statusCode).to.equal(200);
      const notReady = await server.inject({ method: 'GET', url: '/readyz' });
      expect([notReady.statusCode, notReady.body]).to.deep.equal([503, 'not ready: caches not synced\n']);
      synced = true;
      expect((await server.inject({ method: 'GET', url: '/readyz' })).statusCode).to.equal(200);
      const expired = buildServer({ cache: staticCache([], []), policy: () => DEFAULT_POLICY, tlsReady: () => false });
      const tls = await expired.inject({ method: 'GET', url: '/readyz' });
      expect([tls.statusCode, tls.body]).to.deep.equal([503, 'not ready: no serving certificate\n']);
      await server.inject({ method: 'POST', url: '/validate', payload: reviewOf(request({ object: weightedVs({ v1: 1, v2: 2 }) })) });
      const metrics = (await server.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).to.contain('kubectl_gray_admission_decisions_total{webhook="validate",rule="weight-total",outcome="denied"} 1');
      expect(metrics).to.match(/kubectl_gray_admission_duration_seconds_count\{webhook="validate"\} 1/);
    });

    it('counts each admission latency in the first bucket at or above it, cumulatively, as Prometheus reads a histogram', async () => {
      const metrics = new Metrics();
      for (const seconds of [0.0005, 0.0007, 0.3, 7]) metrics.latency('validate', seconds);
      metrics.latency('mutate', 0.002);
      const lines = (await metrics.render()).split('\n').filter((l) => l.startsWith('kubectl_gray_admission_duration_seconds'));
      const value = (series: string) => lines.find((l) => l.startsWith(`kubectl_gray_admission_duration_seconds${series} `))?.split(' ')[1];
      expect(value('_bucket{le="0.0005",webhook="validate"}')).to.equal('1'); // a bound is inside its bucket
      expect(value('_bucket{le="0.001",webhook="validate"}')).to.equal('2');
      expect(value('_bucket{le="0.25",webhook="validate"}')).to.equal('2');
      expect(value('_bucket{le="0.5",webhook="validate"}')).to.equal('3');
      expect(value('_bucket{le="1",webhook="validate"}')).to.equal('3');
      expect(value('_bucket{le="+Inf",webhook="validate"}')).to.equal('4');
      expect(value('_count{webhook="validate"}')).to.equal('4');
      expect(Number(value('_sum{webhook="validate"}'))).to.be.closeTo(7.3012, 1e-9);
      expect(value('_bucket{le="0.0025",webhook="mutate"}')).to.equal('1');
      expect(value('_bucket{le="0.001",webhook="mutate"}')).to.equal('0');
      expect(await metrics.render()).to.contain('# TYPE kubectl_gray_admission_duration_seconds histogram');
    });

    it('counts decisions by webhook, rule and outcome', async () => {
      const metrics = new Metrics();
      const decisions: Array<[string, string, 'allowed' | 'denied' | 'warned' | 'patched' | 'error']> = [
        ['validate', 'none', 'allowed'], ['mutate', 'none', 'patched'], ['validate', 'weight-total', 'denied'],
        ['validate', 'none', 'allowed'], ['selfcheck', 'subset-undefined', 'denied'], ['validate', 'weight-total', 'denied'], ['validate', 'none', 'error'],
      ];
      for (const [webhook, rule, outcome] of decisions) metrics.decision(webhook, rule, outcome);
      const series = (await metrics.render()).split('\n').filter((l) => l.startsWith('kubectl_gray_admission_decisions_total{')).sort();
      expect(series).to.deep.equal([
        'kubectl_gray_admission_decisions_total{webhook="mutate",rule="none",outcome="patched"} 1',
        'kubectl_gray_admission_decisions_total{webhook="selfcheck",rule="subset-undefined",outcome="denied"} 1',
        'kubectl_gray_admission_decisions_total{webhook="validate",rule="none",outcome="allowed"} 2',
        'kubectl_gray_admission_decisions_total{webhook="validate",rule="none",outcome="error"} 1',
        'kubectl_gray_admission_decisions_total{webhook="validate",rule="weight-total",outcome="denied"} 2',
      ]);
    });
  });

  describe('certificates', () => {
    it('makes a CA and a serving certificate for the given names that verifies against it', () => {
      const keys = fixtureKeys();
      const ca = generateCa('test-ca', 30, NOW, keys);
      const serving = generateServing(ca, { dnsNames: ['webhook.ns.svc'], ips: ['127.0.0.1'], days: 10 }, NOW, keys);
      const caCert = new X509Certificate(ca.cert);
      const cert = new X509Certificate(serving.cert);
      expect(caCert.ca).to.equal(true);
      expect(cert.checkIssued(caCert)).to.equal(true);
      expect(cert.verify(caCert.publicKey)).to.equal(true);
      expect(cert.subjectAltName).to.equal('DNS:webhook.ns.svc, IP Address:127.0.0.1');
      expect(new Date(cert.validTo).getTime() - NOW.getTime()).to.equal(10 * 24 * 3600 * 1000);
    });
  });
});

describe('self-managed certificate plan', () => {
  const needs = { dnsNames: ['wh.ns.svc'], caDays: 30, certDays: 9 };
  const day = 24 * 3600 * 1000;
  const at = (d: number) => new Date(NOW.getTime() + d * day);
  it('creates, keeps, renews the serving certificate, then rotates the CA with overlap', async () => {
    const { planCertificates: plan } = await import('../../webhook/cert-plan.js');
    const keys = fixtureKeys();
    const planCertificates = (existing: Parameters<typeof plan>[0], n: typeof needs, now: Date) => plan(existing, n, now, keys);
    const created = planCertificates(undefined, needs, NOW);
    expect(created.action).to.equal('create');
    // Go's x509 (kubelet probes, the API server) refuses names outside PrintableString, such as '@'.
    expect(new X509Certificate(created.secret['ca.crt']).subject).to.match(/^CN=[A-Za-z0-9 '()+,\-./:=?]+$/);
    expect(created.secret['ca-bundle.crt']).to.equal(created.secret['ca.crt']);
    expect(planCertificates(created.secret, needs, at(1)).action).to.equal('keep');
    // A third of 9 days left: the serving certificate is renewed under the same CA.
    const renewed = planCertificates(created.secret, needs, at(7));
    expect(renewed.action).to.equal('renew-serving');
    expect(renewed.secret['ca.crt']).to.equal(created.secret['ca.crt']);
    expect(new X509Certificate(renewed.secret['tls.crt']).verify(new X509Certificate(created.secret['ca.crt']).publicKey)).to.equal(true);
    // New DNS names also mean a new serving certificate.
    expect(planCertificates(created.secret, { ...needs, dnsNames: ['other.ns.svc'] }, at(1)).action).to.equal('renew-serving');
    // A third of the CA's 30 days left: a new CA, the old one still in the bundle.
    const rotated = planCertificates(renewed.secret, needs, at(21));
    expect(rotated.action).to.equal('rotate-ca');
    expect(rotated.secret['ca.crt']).to.not.equal(created.secret['ca.crt']);
    expect(rotated.secret['ca-bundle.crt']).to.equal(rotated.secret['ca.crt'] + created.secret['ca.crt']);
    // Once the old CA has expired, it leaves the bundle.
    const later = planCertificates(rotated.secret, needs, at(31));
    expect(later.secret['ca-bundle.crt']).to.equal(rotated.secret['ca.crt']);
  });
});

describe('webhook TLS', () => {
  it('reloads its certificate when the files change, keeping open connections', async function () {
    this.timeout(20_000); // waits for the file watcher's reload: up to 15 s on a busy machine
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const https = await import('node:https');
    const { readTls, watchTls, TLS_MIN_VERSION } = await import('../../webhook/tls.js');
    const dir = tempDir('tls');
    const files = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') };
    const keys = fixtureKeys();
    const caA = generateCa('a', 3650, new Date(), keys);
    const caB = generateCa('b', 3650, new Date(), keys);
    const write = (ca: ReturnType<typeof generateCa>) => {
      const s = generateServing(ca, { dnsNames: ['localhost'], ips: ['127.0.0.1'] }, new Date(), keys);
      writeFileSync(files.keyFile, s.key);
      writeFileSync(files.certFile, s.cert);
      return new X509Certificate(s.cert).fingerprint256;
    };
    const first = write(caA);
    const server = buildServer({
      cache: staticCache([], []), policy: () => DEFAULT_POLICY,
      fastify: { https: { ...readTls(files), minVersion: TLS_MIN_VERSION } },
    });
    await server.listen({ host: '127.0.0.1', port: 0 });
    const port = (server.server.address() as { port: number }).port;
    const quiet = { info: () => undefined, error: () => undefined };
    const watch = watchTls(server.server as import('node:https').Server, files, quiet, 50);
    const get = (agent: import('node:https').Agent) => new Promise<{ fingerprint: string; socket: unknown }>((resolve, reject) => {
      https.request({ host: '127.0.0.1', port, path: '/healthz', agent, ca: [caA.cert, caB.cert] }, (res) => {
        // Read the socket now: once the body ends, a keep-alive socket goes back to the agent's pool.
        const socket = res.socket as import('node:tls').TLSSocket;
        const fingerprint = socket.getPeerCertificate().fingerprint256;
        res.resume();
        res.on('end', () => resolve({ fingerprint, socket }));
      }).on('error', reject).end();
    });
    const kept = new https.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const before = await get(kept);
      expect(before.fingerprint).to.equal(first);
      // TLS 1.2 is the floor: a client that offers at most 1.1 gets no answer.
      const old = await new Promise<string>((resolve) => {
        https.request({ host: '127.0.0.1', port, path: '/healthz', ca: caA.cert, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }, () => resolve('answered'))
          .on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error')).end();
      });
      expect(old).to.not.equal('answered');
      const second = write(caB);
      // The watcher polls the files every 50 ms; a busy machine may take far longer to notice and reload.
      await eventually(async () => {
        expect((await get(new https.Agent({ keepAlive: false }))).fingerprint).to.equal(second);
      }, 15_000, 50);
      expect(watch.expiry().getTime()).to.be.greaterThan(Date.now() + 300 * 24 * 3600 * 1000); // the new certificate's
      const again = await get(kept);
      expect(again.socket).to.equal(before.socket); // the open connection was not dropped
    } finally {
      kept.destroy();
      watch.stop();
      await server.close();
    }
  });
});
