// Where users act on how objects fit together: status marks a VirtualService Istio ignores, a gateway route that
// skips the subset split and a subset without pods; an edit that would change only an ignored VirtualService is
// refused unless --force; the webhook returns the same findings as warnings, never as a refusal.
import { expect } from 'chai';
import type { KubeObject, VirtualService } from '../../core/model.js';
import { DEFAULT_POLICY } from '../../core/policy.js';
import { validateIstio } from '../../webhook/admission/handlers.js';
import type { AdmissionRequest } from '../../webhook/admission/review.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { bookinfo } from '../support/fixtures.js';
import { run } from '../support/run.js';

const meshVs = (name: string, created: string, subset = 'v1'): VirtualService => ({
  apiVersion: 'networking.istio.io/v1', kind: 'VirtualService',
  metadata: { name, namespace: 'default', creationTimestamp: created },
  spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset } }] }] },
});

/** Bookinfo, plus a second, newer mesh VirtualService for reviews: Istio keeps using the first. */
function withSecond(): FakeCluster {
  const objects = bookinfo().objects.map((o) => (o.kind === 'VirtualService' && o.metadata.name === 'reviews'
    ? { ...o, metadata: { ...o.metadata, creationTimestamp: '2026-01-01T00:00:00Z' } } : o));
  const fake = new FakeCluster('default', objects as KubeObject[]);
  fake.add(meshVs('reviews-canary', '2026-03-01T00:00:00Z', 'v2'));
  return fake;
}

describe('how objects fit, where users act', () => {
  it('status marks the VirtualService Istio ignores, and exits 3', async () => {
    const fake = withSecond();
    const r = await run(fake, ['status', 'reviews', '--vs', 'reviews-canary']);
    expect(r.code).to.equal(3);
    expect(r.stdout.split('\n').slice(0, 2)).to.deep.equal([
      'VirtualService default/reviews-canary   hosts: reviews   via: mesh',
      'SHADOWED: Istio uses default/reviews for the same host and ignores this VirtualService there; edits to it change nothing',
    ]);
    expect(r.stdout).to.contain('Error: GRAY501 virtualservice-shadowed (IST0109): VirtualService default/reviews-canary spec.hosts[0]');
    const json = JSON.parse((await run(fake, ['status', 'reviews', '--vs', 'reviews-canary', '-o', 'json'])).stdout);
    expect(json.shadowedBy).to.equal('default/reviews');
    expect(JSON.parse((await run(fake, ['status', 'reviews', '--vs', 'reviews', '-o', 'json'])).stdout).shadowedBy).to.equal(undefined);
  });

  it('an edit that would change only the ignored VirtualService is refused (exit 3, nothing written); --force writes it', async () => {
    const fake = withSecond();
    const r = await run(fake, ['set-weight', 'reviews', 'v3=10', '--vs', 'reviews-canary']);
    expect([r.code, fake.writes.length]).to.deep.equal([3, 0]);
    expect(r.stderr).to.contain('GRAY501 virtualservice-shadowed (IST0109): VirtualService default/reviews-canary spec.hosts: Istio uses default/reviews for host reviews.default.svc.cluster.local and ignores this VirtualService there, so this change would move no traffic. Fix: change default/reviews instead (--vs reviews), or merge the two; --force writes it anyway');
    const forced = await run(fake, ['set-weight', 'reviews', 'v3=10', '--vs', 'reviews-canary', '--force']);
    expect([forced.code, fake.writes.length]).to.deep.equal([0, 1]);
    // The one Istio uses is edited as always (with a warning about the pair).
    const used = await run(fake, ['set-weight', 'reviews', 'v2=10', '--vs', 'reviews']);
    expect(used.code).to.equal(0);
    expect(used.stderr).to.contain('Warning: GRAY501 virtualservice-shadowed (IST0109)');
  });

  it('status says when outside traffic skips the split, and which subsets have no pods', async () => {
    const fake = new FakeCluster('default', bookinfo().objects);
    fake.add({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'edge', namespace: 'default' },
      spec: { hosts: ['shop.example.com'], gateways: ['istio-system/public'], http: [{ route: [{ destination: { host: 'reviews' } }] }] } });
    await run(fake, ['set-weight', 'reviews', 'v2=10']);
    const r = await run(fake, ['status', 'reviews', '--vs', 'edge']);
    expect(r.stdout).to.contain('Warning: GRAY509 ingress-bypasses-subsets (IST0140): VirtualService default/edge spec.http[0].route[0].destination.subset: requests through istio-system/public go to reviews without a subset, so they skip the subset split of VirtualService default/reviews');
    const mesh = await run(fake, ['status', 'reviews', '--vs', 'reviews']);
    expect(mesh.stdout).to.match(/\nv3 +version=v3 +0 +0\/0 +no pods: a route to it would answer 503\n/);
  });

  it('the webhook returns them as warnings and allows the change', () => {
    // Cached objects carry the time the API server created them.
    const virtualServices = bookinfo().virtualServices.map((vs) => ({ ...vs, metadata: { ...vs.metadata, creationTimestamp: '2026-01-01T00:00:00Z' } }));
    const req = { uid: 'u', kind: { group: 'networking.istio.io', version: 'v1', kind: 'VirtualService' }, operation: 'CREATE', userInfo: { username: 'a' },
      namespace: 'default', name: 'reviews-canary', object: meshVs('reviews-canary', '2026-03-01T00:00:00Z', 'v2') } as unknown as AdmissionRequest;
    const { destinationRules } = bookinfo();
    const d = validateIstio(req, { virtualServices: () => virtualServices, destinationRules: () => destinationRules }, DEFAULT_POLICY, new Date());
    expect(d.response.allowed).to.equal(true);
    expect(d.response.warnings).to.deep.equal([
      'GRAY501 virtualservice-shadowed (IST0109): spec.hosts[0]: the mesh VirtualServices default/reviews, default/reviews-canary all define host reviews.default.svc.cluster.local; Istio uses one (default/reviews, the oldest) and ignores the others, so changes to this one do nothing',
    ]);
  });
});
