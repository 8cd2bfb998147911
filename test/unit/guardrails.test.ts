// Issue 14's guardrails at the unit tier: the safe-install switch to fail-closed, one certificate owner
// among replicas (Lease, Secret, two-pass CA rotation), the stale-cache gap, and the metrics an operator
// reads. The API server is test/support/fake-rest.ts; the webhook answers through fastify's inject().
import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DestinationRule, VirtualService } from '../../core/model.js';
import { DEFAULT_POLICY, parsePolicy } from '../../core/policy.js';
import { ApiError } from '../../kube/errors.js';
import type { AdmissionRequest } from '../../webhook/admission/review.js';
import { staticCache } from '../../webhook/cache.js';
import { CertificateKeeper } from '../../webhook/cert-sync.js';
import { splitPems } from '../../webhook/cert-plan.js';
import { FailurePolicyController, SELF_CHECK_WEBHOOK, selfCheckObject } from '../../webhook/fail-closed.js';
import { LeaseElector, microTime } from '../../webhook/lease.js';
import { Metrics } from '../../webhook/metrics.js';
import { ROTATE_CA_ANNOTATION, type SelfManagedOptions } from '../../webhook/self-managed.js';
import { buildServer } from '../../webhook/server.js';
import { FakeRest } from '../support/fake-rest.js';
import { bookinfo } from '../support/fixtures.js';
import { fixtureKeys } from '../support/keys.js';
import { tempDir } from '../support/temp.js';

const quiet = { info: () => undefined, warn: () => undefined };
const NS = 'kubectl-gray-system';
const VWC = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/kubectl-gray';
const MWC = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/kubectl-gray';

function webhookConfiguration(failurePolicy: string) {
  const entry = (name: string, path: string, policy: string) => ({
    name, failurePolicy: policy, sideEffects: 'None', admissionReviewVersions: ['v1'], timeoutSeconds: 5,
    clientConfig: { service: { name: 'kubectl-gray-webhook', namespace: NS, path, port: 443 } },
  });
  return {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration',
    metadata: { name: 'kubectl-gray', labels: { 'kubectl-gray.io/policy': 'true' } },
    webhooks: [entry('istio.validate.kubectl-gray.io', '/validate', failurePolicy), entry(SELF_CHECK_WEBHOOK, '/selfcheck', 'Ignore')],
  };
}

const reviewOf = (req: AdmissionRequest) => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: req });

/**
 * The API server's side of a dry-run create: when the webhook is reachable it sends the review to the
 * webhook's /selfcheck and turns a refusal into the Status kube-apiserver answers; when it is not
 * (failurePolicy Ignore on the self-check entry) the object is let through.
 */
function apiServerCalling(reachable: () => boolean, policy = DEFAULT_POLICY) {
  const webhook = buildServer({ cache: staticCache([], []), policy: () => policy, settleWaitsMs: [] });
  return async (method: string, path: string, body: unknown) => {
    if (method !== 'POST' || !path.includes('/virtualservices?dryRun=All')) return undefined;
    if (!reachable()) return { status: 201, body, warnings: [] };
    const object = body as VirtualService;
    const res = await webhook.inject({ method: 'POST', url: '/selfcheck', payload: reviewOf({
      uid: 'u', kind: { group: 'networking.istio.io', version: 'v1', kind: 'VirtualService' }, operation: 'CREATE', namespace: NS, object, dryRun: true,
    }) });
    const response = res.json().response;
    if (!response.allowed) throw new ApiError(403, 'Forbidden', `admission webhook "${SELF_CHECK_WEBHOOK}" denied the request: ${response.status.message}`);
    return { status: 201, body, warnings: [] };
  };
}

describe('guardrails: safe install (fail open until proven)', () => {
  const options = { namespace: NS, configName: 'kubectl-gray', target: 'Fail' as const, pod: { name: 'webhook-a', uid: 'pod-uid' }, backoff: { firstMs: 1000, factor: 2, maxMs: 8000 } };

  it('stays open, says so and backs off while the API server does not reach it; flips only the main entries once refused', async () => {
    const rest = new FakeRest();
    const stored = rest.put(VWC, webhookConfiguration('Ignore'));
    let reachable = false;
    rest.intercept = apiServerCalling(() => reachable);
    const controller = new FailurePolicyController(rest, options, quiet);

    expect(await controller.pass()).to.equal(1000);
    expect(await controller.pass()).to.equal(2000);
    expect(controller.state).to.equal('open');
    expect(controller.reason).to.contain('the API server accepted a known-bad VirtualService');
    expect(rest.get(VWC).metadata.resourceVersion).to.equal(stored.metadata.resourceVersion); // untouched
    const events = () => rest.list(`/api/v1/namespaces/${NS}/events`);
    expect(events().map((e) => `${e.type}/${e.reason}/${e.involvedObject.kind}/${e.involvedObject.name}`)).to.deep.equal(['Warning/WebhookFailOpen/Pod/webhook-a']); // once, not per check
    expect(events()[0].message).to.contain('is fail-open');

    reachable = true;
    expect(await controller.pass()).to.equal(30_000); // steady
    expect(controller.state).to.equal('closed');
    const flipped = rest.get(VWC);
    expect(flipped.webhooks.map((w: any) => `${w.name}:${w.failurePolicy}`)).to.deep.equal(['istio.validate.kubectl-gray.io:Fail', `${SELF_CHECK_WEBHOOK}:Ignore`]);
    // Every other field as it was.
    const unflipped = structuredClone(flipped);
    unflipped.webhooks[0].failurePolicy = 'Ignore';
    expect({ ...unflipped, metadata: { ...unflipped.metadata, resourceVersion: 'x' } }).to.deep.equal({ ...stored, metadata: { ...stored.metadata, resourceVersion: 'x' } });
    expect(events().map((e) => `${e.type}/${e.reason}`)).to.deep.equal(['Warning/WebhookFailOpen', 'Normal/WebhookFailClosed']);
    expect(controller.checks).to.deep.equal({ proven: 1, notProven: 2 });

    // A helm upgrade renders Ignore again: checked and switched back on the next pass.
    rest.put(VWC, webhookConfiguration('Ignore'));
    await controller.pass();
    expect(rest.get(VWC).webhooks[0].failurePolicy).to.equal('Fail');
    expect(controller.checks.proven).to.equal(2);
  });

  it('is refused by its own rules even when the admin policy turns GRAY101 off', async () => {
    const rest = new FakeRest();
    rest.put(VWC, webhookConfiguration('Ignore'));
    rest.intercept = apiServerCalling(() => true, parsePolicy({ rules: { 'weight-total': 'off' } }));
    const controller = new FailurePolicyController(rest, options, quiet);
    await controller.pass();
    expect(controller.state).to.equal('closed');
    expect((selfCheckObject(NS) as VirtualService).metadata.labels).to.deep.equal({ 'kubectl-gray.io/self-check': 'true' });
  });

  it('retries the switch on a conflict with a concurrent writer (the other replica, the caBundle)', async () => {
    const rest = new FakeRest();
    rest.put(VWC, webhookConfiguration('Ignore'));
    const call = apiServerCalling(() => true);
    let conflicts = 1;
    rest.intercept = async (method, path, body) => {
      if (method === 'PUT' && path === VWC && conflicts-- > 0) rest.put(VWC, { ...rest.get(VWC), metadata: { ...rest.get(VWC).metadata, annotations: { other: 'writer' } } });
      return call(method, path, body);
    };
    await new FailurePolicyController(rest, options, quiet).pass();
    const config = rest.get(VWC);
    expect(config.webhooks[0].failurePolicy).to.equal('Fail');
    expect(config.metadata.annotations).to.deep.equal({ other: 'writer' });
  });

  it('a refusal by someone else, or an API error, is not proof', async () => {
    const rest = new FakeRest();
    rest.put(VWC, webhookConfiguration('Ignore'));
    rest.intercept = async (method, path) => {
      if (method === 'POST' && path.includes('dryRun=All')) throw new ApiError(403, 'Forbidden', 'admission webhook "validation.istio.io" denied the request: configuration is invalid');
      return undefined;
    };
    const controller = new FailurePolicyController(rest, options, quiet);
    await controller.pass();
    expect(controller.state).to.equal('open');
    expect(controller.reason).to.contain('validation.istio.io');
    expect(rest.get(VWC).webhooks[0].failurePolicy).to.equal('Ignore');
  });

  it('a configured Ignore is applied without a self-check', async () => {
    const rest = new FakeRest();
    rest.put(VWC, webhookConfiguration('Fail'));
    const controller = new FailurePolicyController(rest, { ...options, target: 'Ignore' }, quiet);
    await controller.pass();
    expect(rest.get(VWC).webhooks[0].failurePolicy).to.equal('Ignore');
    expect(rest.log.some((l) => l.includes('dryRun'))).to.equal(false);
  });
});

describe('guardrails: one certificate owner (Lease)', () => {
  it('one leader at a time; another takes over after a lease duration without renewals, or at once on release', async () => {
    const rest = new FakeRest();
    let now = Date.parse('2026-11-23T10:00:00Z');
    const clock = () => now;
    const lease = { namespace: NS, name: 'kubectl-gray-webhook-leader', leaseDurationSeconds: 15, renewDeadlineMs: 10_000 };
    const owner = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', name: 'kubectl-gray', uid: 'vwc-uid' };
    const a = new LeaseElector(rest, { ...lease, identity: 'pod-a', owner: async () => owner }, quiet, clock);
    const b = new LeaseElector(rest, { ...lease, identity: 'pod-b' }, quiet, clock);
    expect(await a.tryAcquireOrRenew()).to.equal(true);
    expect(await b.tryAcquireOrRenew()).to.equal(false);
    const stored = rest.get(`/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/kubectl-gray-webhook-leader`);
    expect(stored.spec).to.deep.include({ holderIdentity: 'pod-a', leaseDurationSeconds: 15, leaseTransitions: 0 });
    expect(stored.spec.renewTime).to.equal('2026-11-23T10:00:00.000000Z');
    expect(stored.metadata.ownerReferences).to.deep.equal([owner]); // helm uninstall takes it along
    now += 5_000;
    expect(await a.tryAcquireOrRenew()).to.equal(true);
    now += 5_000;
    expect(await b.tryAcquireOrRenew()).to.equal(false); // renewed since b first looked
    // pod-a stops renewing (it hangs): pod-b must see the same record for 15 s of its own clock.
    now += 14_000;
    expect(await b.tryAcquireOrRenew()).to.equal(false);
    expect(a.isLeader()).to.equal(false); // past its renew deadline: it no longer acts as leader
    now += 1_000;
    expect(await b.tryAcquireOrRenew()).to.equal(true);
    expect(await a.tryAcquireOrRenew()).to.equal(false);
    expect(rest.get(`/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/kubectl-gray-webhook-leader`).spec).to.deep.include({ holderIdentity: 'pod-b', leaseTransitions: 1 });
    // pod-b shuts down and releases: pod-a takes over at once.
    await b.stop();
    expect(await a.tryAcquireOrRenew()).to.equal(true);
    expect(microTime(new Date(0))).to.equal('1970-01-01T00:00:00.000000Z');
  });

  it('two candidates writing at once: the stale write is a Conflict and loses', async () => {
    const rest = new FakeRest();
    const lease = { namespace: NS, name: 'l', leaseDurationSeconds: 15 };
    const a = new LeaseElector(rest, { ...lease, identity: 'pod-a' }, quiet);
    const b = new LeaseElector(rest, { ...lease, identity: 'pod-b' }, quiet);
    rest.put(`/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/l`, { metadata: { name: 'l', namespace: NS }, spec: { holderIdentity: '' } });
    const results = await Promise.all([a.tryAcquireOrRenew(), b.tryAcquireOrRenew()]);
    expect(results.filter(Boolean)).to.have.length(1);
  });
});

const API_SERVICE = '/apis/apiregistration.k8s.io/v1/apiservices/v1alpha1.query.kubectl-gray.io';

describe('guardrails: certificates shared by replicas', () => {
  const SECRET = `/api/v1/namespaces/${NS}/secrets/kubectl-gray-webhook-certs`;
  const setup = () => {
    const rest = new FakeRest();
    rest.put(VWC, webhookConfiguration('Ignore'));
    rest.put(MWC, { metadata: { name: 'kubectl-gray' }, webhooks: [{ name: 'deployments.mutate.kubectl-gray.io', clientConfig: {} }] });
    rest.put(API_SERVICE, { metadata: { name: 'v1alpha1.query.kubectl-gray.io' }, spec: { group: 'query.kubectl-gray.io', version: 'v1alpha1', service: { name: 'kubectl-gray-webhook' } } });
    const keys = fixtureKeys();
    const options = (dir: string): SelfManagedOptions => ({
      namespace: NS, secretName: 'kubectl-gray-webhook-certs', webhookConfigName: 'kubectl-gray', certDir: dir,
      dnsNames: ['kubectl-gray-webhook.kubectl-gray-system.svc'], caDays: 3650, certDays: 365, keySource: keys,
      apiServiceName: 'v1alpha1.query.kubectl-gray.io',
    });
    const replica = (leader: boolean) => {
      const dir = tempDir('replica');
      const elector = { isLeader: () => leader, tryAcquireOrRenew: async () => leader };
      return { dir, keeper: new CertificateKeeper(rest.asKubeRest, options(dir), elector, quiet), served: () => readFileSync(join(dir, 'tls.crt'), 'utf8') };
    };
    const secret = () => {
      const s = rest.get(SECRET);
      return { ...s, text: Object.fromEntries(Object.entries(s.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])) as Record<string, string> };
    };
    const bundle = () => Buffer.from(rest.get(VWC).webhooks[0].clientConfig.caBundle, 'base64').toString();
    return { rest, replica, secret, bundle };
  };
  const issuedBy = (cert: string, ca: string) => new X509Certificate(cert).verify(new X509Certificate(ca).publicKey);
  /** A real TLS handshake to a server with this pair, from a client that trusts `ca` and expects the Service's name. */
  async function handshake(cert: string, key: string, ca: string): Promise<string> {
    const { createServer } = await import('node:tls');
    const { connect } = await import('node:tls');
    const server = createServer({ cert, key }, (s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      return await new Promise<string>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port, ca, servername: 'kubectl-gray-webhook.kubectl-gray-system.svc' }, () => { socket.end(); resolve('verified'); });
        socket.on('error', (err) => resolve(err.message));
      });
    } finally {
      server.close();
    }
  }

  it('the leader makes the certificates; the other replica serves the same pair without writing', async () => {
    const { rest, replica, secret, bundle } = setup();
    const leader = replica(true);
    const follower = replica(false);
    await leader.keeper.firstMaterial(1);
    const writes = rest.log.filter((l) => !l.startsWith('GET')).length;
    await follower.keeper.firstMaterial(1);
    expect(rest.log.filter((l) => !l.startsWith('GET')).length).to.equal(writes);
    expect(follower.served()).to.equal(leader.served());
    expect(follower.served()).to.equal(secret().text['tls.crt']);
    expect(bundle()).to.equal(secret().text['ca.crt']);
    // The route query's APIService trusts the same CA, and keeps the rest of its spec.
    const apiService = rest.get(API_SERVICE);
    expect(Buffer.from(apiService.spec.caBundle, 'base64').toString()).to.equal(secret().text['ca.crt']);
    expect(apiService.spec.service).to.deep.equal({ name: 'kubectl-gray-webhook' });
    expect(follower.keeper.caExpiry!.getTime()).to.equal(new Date(new X509Certificate(secret().text['ca.crt']!).validTo).getTime());
  });

  it('a follower waits for the leader when there is no Secret yet', async () => {
    const { replica } = setup();
    const follower = replica(false);
    await follower.keeper.pass();
    expect(existsSync(join(follower.dir, 'tls.crt'))).to.equal(false);
  });

  it('a forced CA rotation: the new CA is trusted one pass before anything is served under it', async () => {
    const { rest, replica, secret, bundle } = setup();
    const leader = replica(true);
    const follower = replica(false);
    await leader.keeper.firstMaterial(1);
    await follower.keeper.firstMaterial(1);
    const before = secret().text;
    rest.put(SECRET, { ...rest.get(SECRET), metadata: { ...rest.get(SECRET).metadata, annotations: { [ROTATE_CA_ANNOTATION]: 'now', keep: 'me' } } });

    await leader.keeper.pass(); // pass 1: new CA in the bundle; the serving pair is still the old CA's
    const one = secret();
    expect(one.metadata.annotations).to.deep.equal({ keep: 'me' });
    expect(one.text['ca.crt']).to.not.equal(before['ca.crt']);
    expect(one.text['tls.crt']).to.equal(before['tls.crt']);
    expect(splitPems(bundle())).to.deep.equal([one.text['ca.crt'], before['ca.crt']]);
    await follower.keeper.pass();
    expect(follower.served()).to.equal(before['tls.crt']);
    // The API server, given both CAs, still verifies the old pair (with two CAs of one name, OpenSSL would try the new one).
    expect(await handshake(before['tls.crt']!, before['tls.key']!, bundle())).to.equal('verified');

    await leader.keeper.pass(); // pass 2: the serving certificate under the new CA
    const two = secret().text;
    expect(issuedBy(two['tls.crt']!, two['ca.crt']!)).to.equal(true);
    expect(leader.served()).to.equal(two['tls.crt']);
    await follower.keeper.pass();
    expect(follower.served()).to.equal(two['tls.crt']);
    expect(splitPems(bundle())).to.have.length(2); // the old CA stays trusted until it expires
    // A TLS client given both CAs (OpenSSL picks issuers by name and key id) verifies the new pair.
    expect(await handshake(two['tls.crt']!, two['tls.key']!, bundle())).to.equal('verified');
    await leader.keeper.pass();
    expect(secret().text['tls.crt']).to.equal(two['tls.crt']); // settled
  });

  it('a follower never serves a certificate the webhook configuration does not trust', async () => {
    const { rest, replica, secret } = setup();
    const leader = replica(true);
    const follower = replica(false);
    await leader.keeper.firstMaterial(1);
    await follower.keeper.firstMaterial(1);
    const served = follower.served();
    const { generateCa, generateServing } = await import('../../webhook/certs.js');
    const keys = fixtureKeys();
    for (let i = 0; i < 4; i++) keys(); // keys the replicas' CA did not get: a CA of its own
    const stranger = generateServing(generateCa('stranger', 30, new Date(), keys), { dnsNames: ['x'], ips: [] }, new Date(), keys);
    const s = rest.get(SECRET);
    rest.put(SECRET, { ...s, data: { ...s.data, 'tls.crt': Buffer.from(stranger.cert).toString('base64'), 'tls.key': Buffer.from(stranger.key).toString('base64') } });
    await follower.keeper.pass();
    expect(follower.served()).to.equal(served);
    expect(secret().text['tls.crt']).to.equal(stranger.cert);
  });
});

describe('guardrails: the stale-cache gap', () => {
  const drKind = { group: 'networking.istio.io', version: 'v1', kind: 'DestinationRule' };
  const review = (req: Partial<AdmissionRequest>) => reviewOf({ uid: 'u', kind: drKind, operation: 'DELETE', namespace: 'default', ...req } as AdmissionRequest);

  /** A cache that has not yet seen the VirtualService created a moment ago; the API server has it. */
  function lagging(fresh: () => Promise<readonly VirtualService[]>) {
    const { virtualServices, destinationRules } = bookinfo();
    const seen = virtualServices.filter((v) => v.metadata.name !== 'reviews');
    let calls = 0;
    const server = buildServer({
      cache: staticCache(seen, destinationRules), policy: () => DEFAULT_POLICY, settleWaitsMs: [],
      freshVirtualServices: async () => { calls += 1; return fresh(); },
    });
    return { server, calls: () => calls, rule: bookinfo().reviewsRule, all: virtualServices };
  }

  it('a DestinationRule delete the cache would allow is refused after the fresh list', async () => {
    const { server, calls, rule, all } = lagging(async () => all);
    const res = await server.inject({ method: 'POST', url: '/validate', payload: review({ oldObject: rule, object: null }) });
    expect(res.json().response.allowed).to.equal(false);
    expect(res.json().response.status.message).to.contain('GRAY111 destinationrule-in-use');
    expect(calls()).to.equal(1);
  });

  it('a subset removal the cache would allow is refused after the fresh list; an addition is not confirmed', async () => {
    const { server, calls, rule, all } = lagging(async () => all);
    const without = structuredClone(rule) as DestinationRule;
    without.spec.subsets = without.spec.subsets!.filter((s) => s.name !== 'v1');
    const removal = await server.inject({ method: 'POST', url: '/validate', payload: review({ operation: 'UPDATE', oldObject: rule, object: without }) });
    expect(removal.json().response.allowed).to.equal(false);
    expect(removal.json().response.status.message).to.contain('GRAY110 subset-in-use');
    const added = structuredClone(rule) as DestinationRule;
    added.spec.subsets!.push({ name: 'v9', labels: { version: 'v9' } });
    const addition = await server.inject({ method: 'POST', url: '/validate', payload: review({ operation: 'UPDATE', oldObject: rule, object: added }) });
    expect(addition.json().response.allowed).to.equal(true);
    expect(calls()).to.equal(1);
  });

  it('allows once the fresh list shows nothing uses it, and refuses (503) when it cannot confirm', async () => {
    const ok = lagging(async () => []);
    expect((await ok.server.inject({ method: 'POST', url: '/validate', payload: review({ oldObject: ok.rule, object: null }) })).json().response.allowed).to.equal(true);
    const down = lagging(async () => { throw new Error('connection refused'); });
    const res = (await down.server.inject({ method: 'POST', url: '/validate', payload: review({ oldObject: down.rule, object: null }) })).json().response;
    expect(res).to.deep.equal({ uid: 'u', allowed: false, status: { code: 503, message: 'kubectl-gray could not confirm with the API server that no VirtualService still uses what this change removes; try again' } });
    const metrics = (await down.server.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).to.contain('kubectl_gray_cache_confirmations_total{result="error"} 1');
    // The namespace controller emptying a namespace is never held up by the API server's list.
    const cleanup = (await down.server.inject({ method: 'POST', url: '/validate', payload: review({ oldObject: down.rule, object: null, userInfo: { username: 'system:serviceaccount:kube-system:namespace-controller' } }) })).json().response;
    expect(cleanup.allowed).to.equal(true);
    expect(down.calls()).to.equal(1);
  });
});

describe('guardrails: objects of the wrong shape (found by bench/fuzz)', () => {
  const vsKind = { group: 'networking.istio.io', version: 'v1', kind: 'VirtualService' };
  const post = (req: Partial<AdmissionRequest>) => buildServer({ cache: staticCache(bookinfo().virtualServices, bookinfo().destinationRules), policy: () => DEFAULT_POLICY, settleWaitsMs: [] })
    .inject({ method: 'POST', url: '/validate', payload: reviewOf({ uid: 'u', kind: vsKind, operation: 'CREATE', ...req } as AdmissionRequest) });

  it('names the field instead of failing inside the rules', async () => {
    const vs = structuredClone(bookinfo().reviews) as any;
    vs.spec.http[0].route = { destination: { host: 'reviews' } };
    expect((await post({ object: vs })).json().response).to.deep.equal({
      uid: 'u', allowed: false, status: { code: 400, reason: 'BadRequest', message: 'kubectl-gray cannot judge this VirtualService: spec.http[0].route: expected an array, got an object' },
    });
    const dr = structuredClone(bookinfo().reviewsRule) as any;
    dr.spec.host = 7;
    expect((await post({ kind: { ...vsKind, kind: 'DestinationRule' }, object: dr })).json().response.status.message)
      .to.equal('kubectl-gray cannot judge this DestinationRule: spec.host: expected a string, got a number');
    const noMeta = { ...bookinfo().reviews, metadata: null };
    expect((await post({ object: noMeta as any })).json().response.status.message).to.contain('metadata: expected an object, got null');
  });

  it('answers a malformed request (a version that is an object with its own toString) with a 400', async () => {
    const server = buildServer({ cache: staticCache([], []), policy: () => DEFAULT_POLICY, settleWaitsMs: [] });
    const res = await server.inject({ method: 'POST', url: '/validate', payload: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
      request: { uid: 'u', kind: { group: 'networking.istio.io', version: { toString: 1 }, kind: 'VirtualService' }, operation: 'CREATE', object: bookinfo().reviews } } });
    expect([res.statusCode, res.json()]).to.deep.equal([400, { statusCode: 400, message: 'malformed AdmissionReview: request.kind.version: expected a string, got an object' }]);
  });

  it('does not hold a malformed old object against a change or a delete', async () => {
    const old = structuredClone(bookinfo().reviews) as any;
    old.spec.http = 'broken';
    expect((await post({ operation: 'UPDATE', object: bookinfo().reviews, oldObject: old })).json().response.allowed).to.equal(true);
    expect((await post({ operation: 'DELETE', object: null, oldObject: old })).json().response.allowed).to.equal(true);
  });
});

describe('guardrails: metrics', () => {
  it('Node process metrics from prom-client, cache gauges, and the admission series by their old names', async () => {
    const metrics = new Metrics({ processMetrics: true });
    metrics.gauge('kubectl_gray_webhook_fail_closed', 'help', () => 1);
    const { virtualServices, destinationRules } = bookinfo();
    const server = buildServer({ cache: staticCache(virtualServices, destinationRules), policy: () => DEFAULT_POLICY, metrics });
    const res = await server.inject({ method: 'GET', url: '/metrics' });
    expect(res.headers['content-type']).to.contain('text/plain');
    const text = res.body;
    for (const series of ['nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes', 'process_cpu_user_seconds_total', '# TYPE nodejs_gc_duration_seconds histogram', 'process_resident_memory_bytes']) {
      expect(text, series).to.contain(series);
    }
    expect(text).to.contain('kubectl_gray_webhook_fail_closed 1');
    expect(text).to.contain('kubectl_gray_cache_synced{kind="VirtualService"} 1');
    expect(text).to.contain(`kubectl_gray_cache_objects{kind="DestinationRule"} ${destinationRules.length}`);
    // Two replicas holding the same objects in a different order show the same digest.
    const other = buildServer({ cache: staticCache([...virtualServices].reverse(), [...destinationRules].reverse()), policy: () => DEFAULT_POLICY });
    const digest = (t: string) => t.match(/kubectl_gray_cache_digest\{kind="VirtualService"\} (\d+)/)![1];
    expect(digest((await other.inject({ method: 'GET', url: '/metrics' })).body)).to.equal(digest(text));
  });
});
