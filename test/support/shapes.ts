// The real-world layouts under test/fixtures/shapes, and the invariants every command must keep on them.
import { expect } from 'chai';
import { resolveHost } from '../../core/hosts.js';
import type { KubeObject, VirtualService } from '../../core/model.js';
import { canonicalJson, namespaceOf, objectKey } from '../../core/model.js';
import { errorsOf, formatFinding } from '../../core/rules.js';
import { carriesService, routeKind } from '../../core/traffic.js';
import { checkVirtualService } from '../../core/validate.js';
import { FakeCluster } from './fake-cluster.js';
import { loadFixture } from './fixtures.js';

export interface Shape {
  file: string;
  namespace: string;
  service: string;
  /** The base Deployment a canary is made from. */
  base: string;
  /** The subset serving before the release. */
  stable: string;
  /** The canary's subset name, in the layout's own scheme. */
  canary: string;
  /** Extra canary flags the layout needs (--container, --version). */
  canaryFlags?: string[];
  /** set-weight needs --base (a route to the bare host). */
  bare?: boolean;
  /** The VirtualServices ("ns/name") through which traffic reaches the service. */
  entries: string[];
}

export const SHAPES: Shape[] = [
  { file: 'gateway-star.yaml', namespace: 'shop', service: 'mocka', base: 'mocka-base', stable: 'version-base', canary: 'version-canary', entries: ['shop/vs-gateway', 'shop/vs-mocka'] },
  { file: 'bookinfo-gateway.yaml', namespace: 'bookinfo', service: 'productpage', base: 'productpage-v1', stable: 'v1', canary: 'v2', canaryFlags: ['--version', 'v2'], bare: true, entries: ['bookinfo/bookinfo', 'bookinfo/productpage'] },
  { file: 'mesh-and-domain.yaml', namespace: 'shop', service: 'web', base: 'web-v1', stable: 'v1', canary: 'canary', canaryFlags: ['--container', 'web'], entries: ['shop/web-routes'] },
  { file: 'path-routes.yaml', namespace: 'shop', service: 'orders', base: 'orders-stable', stable: 'stable', canary: 'canary', entries: ['shop/api'] },
  { file: 'delegate.yaml', namespace: 'shop', service: 'reviews', base: 'reviews-v1', stable: 'v1', canary: 'canary', entries: ['shop/reviews-child'] },
  { file: 'root-namespace.yaml', namespace: 'shop', service: 'ratings', base: 'ratings-base', stable: 'version-base', canary: 'version-canary', entries: ['shop/ratings', 'frontend/frontend-edge'] },
];

/** The layout in an in-memory cluster, with one ready pod per Deployment. */
export function shapeCluster(shape: Shape): FakeCluster {
  const objects = loadFixture(`shapes/${shape.file}`, shape.namespace);
  const fake = new FakeCluster(shape.namespace, objects);
  for (const d of objects.filter((o) => o.kind === 'Deployment')) {
    const labels = (d as unknown as { spec: { template: { metadata: { labels: Record<string, string> } } } }).spec.template.metadata.labels;
    fake.pods.push({ namespace: namespaceOf(d), name: `${d.metadata.name}-0`, labels, ready: true });
  }
  return fake;
}

export interface Snapshot {
  virtualServices: VirtualService[];
  others: KubeObject[];
}

export function snapshot(fake: FakeCluster): Snapshot {
  return { virtualServices: structuredClone(fake.virtualServices), others: structuredClone([...fake.destinationRules, ...fake.others.values()]) };
}

/**
 * What every command must keep: routes that do not carry the service, and targeted routes that do, are
 * as they were (kubectl gray adds or removes only its own gray- routes); every route to the service
 * that the command changed totals 100; every VirtualService still passes the rules.
 */
export function expectInvariants(shape: Shape, before: Snapshot, fake: FakeCluster, edited: { destinationRules?: boolean } = {}): void {
  const fqdn = resolveHost(shape.service, shape.namespace);
  for (const vs of fake.virtualServices) {
    const old = before.virtualServices.find((v) => objectKey(v) === objectKey(vs));
    expect(old, `${objectKey(vs)} was created`).to.not.equal(undefined);
    const oldRoutes = new Set((old!.spec.http ?? []).map((r) => canonicalJson(r)));
    for (const [i, r] of (vs.spec.http ?? []).entries()) {
      const mine = carriesService(vs, r, fqdn);
      if (routeKind(r) === 'owned') continue;
      if (!mine || routeKind(r) === 'targeted') {
        expect(oldRoutes.has(canonicalJson(r)), `${objectKey(vs)} spec.http[${i}] (not the command's to change) changed`).to.equal(true);
      }
      if (mine && (r.route ?? []).length > 1 && !oldRoutes.has(canonicalJson(r))) {
        expect((r.route ?? []).reduce((a, d) => a + (d.weight ?? 0), 0), `${objectKey(vs)} spec.http[${i}] total`).to.equal(100);
      }
    }
    for (const kind of ['tcp', 'tls'] as const) expect(canonicalJson(vs.spec[kind] ?? null)).to.equal(canonicalJson(old!.spec[kind] ?? null));
    expect(canonicalJson(vs.spec.hosts ?? null)).to.equal(canonicalJson(old!.spec.hosts ?? null));
    expect(canonicalJson(vs.spec.gateways ?? null)).to.equal(canonicalJson(old!.spec.gateways ?? null));
    const errors = errorsOf(checkVirtualService(vs, { destinationRules: fake.destinationRules }));
    expect(errors.map(formatFinding), `${objectKey(vs)} breaks the rules`).to.deep.equal([]);
  }
  if (!edited.destinationRules) {
    const now = [...fake.destinationRules, ...fake.others.values()];
    expect(canonicalJson(now.map((o) => o['spec']))).to.equal(canonicalJson(before.others.map((o) => o['spec'])));
  }
}
