// The webhook under policy objects: the file until the objects are listed (never "no policy"), then the merge for
// the review's namespace; an exemption used is allowed with a warning, an audit annotation, an Event and a metric
// (no Event on a dry run); a policy object the CRD's schema cannot check is refused.
import { expect } from 'chai';
import type { KubeObject } from '../../core/model.js';
import { parsePolicy } from '../../core/policy.js';
import { ConnectionError } from '../../kube/errors.js';
import type { RestResponse, WatchEvent } from '../../kube/rest.js';
import type { Decision } from '../../webhook/admission/handlers.js';
import type { AdmissionRequest } from '../../webhook/admission/review.js';
import { staticCache } from '../../webhook/cache.js';
import { Metrics } from '../../webhook/metrics.js';
import { eventFor } from '../../webhook/policy-events.js';
import { policyObjects } from '../../webhook/policy-store.js';
import { buildServer } from '../../webhook/server.js';
import { bookinfo, weightedVs } from '../support/fixtures.js';


const NOW = new Date('2026-11-23T10:00:00Z');
const FREEZE = { start: '2026-11-23T00:00:00Z', end: '2026-11-24T00:00:00Z', reason: 'sale' };
const quiet = { info: () => undefined, warn: () => undefined };

/** Lists by path (one page), watches that wait; every list fails while `down`. */
class PolicyApi {
  down = true;
  lists: Record<string, KubeObject[]> = {};
  async request<T>(_method: string, path: string): Promise<RestResponse<T>> {
    if (this.down) throw new ConnectionError('The connection to the server 127.0.0.1:6443 was refused');
    const items = this.lists[new URL(path, 'https://x').pathname] ?? [];
    return { status: 200, body: { items: structuredClone(items), metadata: { resourceVersion: '7' } } as T, warnings: [] };
  }
  watch(_path: string, _on: (e: WatchEvent) => void, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => signal.addEventListener('abort', () => resolve()));
  }
}

describe('webhook: policy objects', () => {
  it('judges by the policy file until the objects are listed (and is not synced), then by their merge for the namespace', async () => {
    const api = new PolicyApi();
    api.lists = {
      '/apis/policy.kubectl-gray.io/v1alpha1/clustergraypolicies': [{ metadata: { name: 'prod' }, spec: { namespaceSelector: { matchLabels: { env: 'prod' } }, maxWeightStep: 20 } } as unknown as KubeObject],
      '/apis/policy.kubectl-gray.io/v1alpha1/graypolicies': [{ metadata: { name: 'tight', namespace: 'shop' }, spec: { maxWeightStep: 10 } } as unknown as KubeObject],
      '/api/v1/namespaces': [{ metadata: { name: 'shop', labels: { env: 'prod' } } } as unknown as KubeObject, { metadata: { name: 'dev', labels: { env: 'dev' } } } as unknown as KubeObject],
    };
    const file = parsePolicy({ freezeWindows: [FREEZE] });
    const store = policyObjects(api, () => file, quiet);
    const started = store.start();
    try {
      // The API server is unreachable: not synced, and the chart's default (the file) applies, never nothing.
      await new Promise((r) => setTimeout(r, 20));
      expect(store.synced()).to.equal(false);
      expect(store.policyFor('shop').freezeWindows).to.have.length(1);
      api.down = false;
      await started;
      expect(store.synced()).to.equal(true);
      expect(store.policyFor('shop')).to.deep.include({ maxWeightStep: 10, freezeWindows: [] });
      expect(store.policyFor('dev').maxWeightStep).to.equal(undefined);
    } finally {
      store.stop();
    }
  }).timeout(10_000);

  const { virtualServices, destinationRules } = bookinfo();
  const review = (userInfo: AdmissionRequest['userInfo'], dryRun = false) => ({
    apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
    request: {
      uid: 'u1', kind: { group: 'networking.istio.io', version: 'v1', kind: 'VirtualService' }, operation: 'UPDATE', namespace: 'default', name: 'reviews',
      userInfo, dryRun, object: weightedVs({ v1: 80, v2: 20 }), oldObject: weightedVs({ v1: 90, v2: 10 }),
    },
  });

  it('lets an exempt group through a freeze: allowed, with a warning, an audit annotation, a metric and an Event (not on a dry run)', async () => {
    const policy = parsePolicy({ freezeWindows: [FREEZE], exemptions: [{ subjects: [{ kind: 'Group', name: 'sre-oncall' }], rules: ['release-freeze'], expires: '2026-11-23T12:00:00Z', reason: 'INC-42' }] });
    const { mergePolicies, fileAsPolicy } = await import('../../core/policy.js');
    const merged = mergePolicies([fileAsPolicy(policy)]);
    const seen: Decision[] = [];
    const metrics = new Metrics();
    const app = buildServer({ cache: staticCache(virtualServices, destinationRules), policy: () => merged, now: () => NOW, metrics, onDecision: (_r, d) => seen.push(d) });
    const bob = (await app.inject({ method: 'POST', url: '/validate', payload: review({ username: 'bob', groups: ['dev'] }) })).json().response;
    expect(bob.allowed).to.equal(false);
    expect(bob.status.message).to.contain('GRAY203 release-freeze: VirtualService default/reviews metadata: releases are frozen from 2026-11-23T00:00:00.000Z to 2026-11-24T00:00:00.000Z (sale) by the policy file');
    const alice = (await app.inject({ method: 'POST', url: '/validate', payload: review({ username: 'alice', groups: ['sre-oncall'] }) })).json().response;
    expect(alice.allowed).to.equal(true);
    expect(alice.warnings).to.deep.equal(['GRAY203 release-freeze: passed by an exemption of the policy file (INC-42; until 2026-11-23T12:00:00Z): releases are frozen from 2026-11-23T00:00:00.000Z to 2026-11-24T00:00:00.000Z (sale) by the policy file']);
    expect(alice.auditAnnotations['release-freeze']).to.match(/^exempted GRAY203 release-freeze: .* \[the policy file: INC-42; until 2026-11-23T12:00:00Z\]$/);
    expect(await metrics.render()).to.contain('kubectl_gray_policy_results_total{policy="the policy file",rule="release-freeze",outcome="exempted"} 1');
    // bob's refusal and alice's exemption are recorded; a dry run is not.
    expect(seen).to.have.length(2);
    await app.inject({ method: 'POST', url: '/validate', payload: review({ username: 'alice', groups: ['sre-oncall'] }, true) });
    expect(seen).to.have.length(2);
    const event = eventFor(review({ username: 'alice' }).request as AdmissionRequest, seen[1]!.findings[0]!, 'GrayPolicyExemptionUsed', NOW, 'pod-1');
    expect(event).to.deep.include({ reason: 'GrayPolicyExemptionUsed', type: 'Warning' });
    expect(event['involvedObject']).to.deep.equal({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', name: 'reviews', namespace: 'default' });
    expect(event['message']).to.match(/^UPDATE by alice: GRAY203 release-freeze: .* Let through by an exemption of the policy file \(INC-42; until 2026-11-23T12:00:00Z\)\.$/);
  });

  it('refuses a policy object whose time zone or schedule does not exist, naming the field', async () => {
    const app = buildServer({ cache: staticCache([], []), policy: () => parsePolicy({}) });
    const body = {
      apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
      request: { uid: 'p1', kind: { group: 'policy.kubectl-gray.io', version: 'v1alpha1', kind: 'ClusterGrayPolicy' }, operation: 'CREATE', userInfo: { username: 'admin' },
        object: { apiVersion: 'policy.kubectl-gray.io/v1alpha1', kind: 'ClusterGrayPolicy', metadata: { name: 'weekend' }, spec: { freezeWindows: [{ schedule: '0 18 * * 5', duration: '62h', timeZone: 'Europe/Berln', reason: 'w' }] } } },
    };
    const r = (await app.inject({ method: 'POST', url: '/validate', payload: body })).json().response;
    expect(r.allowed).to.equal(false);
    expect(r.status.message).to.equal('kubectl-gray refused it: ClusterGrayPolicy weekend: policy has 1 problem(s):\n  [freezeWindows[0]] timeZone: "Europe/Berln" is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)');
  });
});


