// Property tests over generated layouts: whatever the routes look like (general, targeted, owned; one
// service or split between services; several VirtualServices), a plan changes only what the
// route-selection rule gives it, every route it edits totals 100, and the plan passes the rules.
import { expect } from 'chai';
import fc from 'fast-check';
import { IntentError } from '../../core/errors.js';
import { markedRoute } from '../../core/ops/match.js';
import { type DestinationRule, type HTTPRoute, type VirtualService, canonicalJson, namespaceOf, objectKey } from '../../core/model.js';
import { type Plan, checkPlan, ordered } from '../../core/plan.js';
import { DEFAULT_POLICY } from '../../core/policy.js';
import { errorsOf, formatFinding } from '../../core/rules.js';
import { planMarkedRoutes, planRollback, planRouteEdit } from '../../core/service-plan.js';
import { carriesService, mirrorService, onlyService, routeKind, setServiceWeight, switchService } from '../../core/traffic.js';
import { apportion } from '../../core/weights.js';
import { ISTIO_ROOT_NAMESPACE, hostMatches, resolveHost, serviceNamespace } from '../../core/hosts.js';
import { type Replacement, lookupSubsets } from '../../core/subsets.js';
import { checkSubsetRemoval } from '../../core/validate.js';
import { LiveIndexes, destinationRulesByNamespaceAndHost, virtualServicesByDestinationHost, virtualServicesByHost } from '../../core/indexes.js';

const NS = 'shop';
const FQDN = 'svc.shop.svc.cluster.local';
const SUBSETS = ['s1', 's2', 's3', 'canary'];
const NOW = new Date('2026-11-23T10:00:00Z');

const rules: DestinationRule[] = ['svc', 'other'].map((host) => ({
  apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: `dr-${host}`, namespace: NS },
  spec: { host, subsets: SUBSETS.map((name) => ({ name, labels: { version: name } })) },
}));

const hostSpelling = fc.constantFrom('svc', FQDN);
const destinations = fc.record({
  svc: fc.uniqueArray(fc.constantFrom('s1', 's2', 's3'), { minLength: 1, maxLength: 3 }),
  other: fc.boolean(),
  shares: fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 4, maxLength: 4 }),
  host: hostSpelling,
  port: fc.boolean(),
}).map(({ svc, other, shares, host, port }) => {
  const dests = [
    ...svc.map((subset) => ({ destination: { host, subset, ...(port ? { port: { number: 8080 } } : {}) } })),
    ...(other ? [{ destination: { host: 'other', subset: 's1' } }] : []),
  ];
  if (dests.length === 1) return dests;
  const weights = apportion(100, shares.slice(0, dests.length));
  return dests.map((d, i) => ({ ...d, weight: weights[i]! }));
});

const match = fc.constantFrom<HTTPRoute['match'] | 'none'>(
  'none',
  [{ uri: { prefix: '/api' } }],
  [{ uri: { exact: '/a' } }, { method: { exact: 'GET' } }],
  [{ headers: { 'end-user': { exact: 'jason' } } }],
  [{ uri: { prefix: '/x' }, queryParams: { beta: { exact: '1' } } }],
);

const route = fc.record({ match, dests: destinations, owned: fc.boolean(), name: fc.constantFrom(undefined, 'main', 'edge') })
  .map(({ match: m, dests, owned, name }): HTTPRoute => ({
    ...(owned && m !== 'none' ? { name: 'gray-hand' } : name ? { name } : {}),
    ...(m === 'none' ? {} : { match: m }),
    route: dests,
  }));

/** A mesh VirtualService, one bound to a Gateway (hosts "*"), one bound to both, or a delegate child (no hosts). */
const virtualService = fc.record({ routes: fc.array(route, { minLength: 1, maxLength: 5 }), way: fc.constantFrom('mesh', 'gateway', 'both', 'delegate'), i: fc.nat(1000) })
  .map(({ routes, way, i }): VirtualService => ({
    apiVersion: 'networking.istio.io/v1', kind: 'VirtualService',
    metadata: { name: `vs-${i}`, namespace: NS },
    spec: {
      ...(way === 'delegate' ? {} : { hosts: way === 'mesh' ? ['svc'] : way === 'gateway' ? ['*'] : ['svc', 'shop.example.com'] }),
      ...(way === 'gateway' ? { gateways: ['shop-gateway'] } : way === 'both' ? { gateways: ['mesh', 'istio-system/public'] } : {}),
      http: routes,
    },
  }));

const layout = fc.uniqueArray(virtualService, { minLength: 1, maxLength: 3, selector: (v) => v.metadata.name });

type Op = (all: VirtualService[]) => Plan;
const req = { service: 'svc', namespace: NS, now: NOW, plan: 'p1', change: 'test', verb: 'edited' };
const operation = fc.oneof(
  fc.integer({ min: 0, max: 100 }).map((p): [string, Op] => [`set-weight canary=${p}`, (all) => planRouteEdit(all, req, (vs, i, f) => setServiceWeight(vs, i, f, [{ subset: 'canary', percent: p }], { base: 's1' }), { recordStable: true })]),
  fc.constantFrom('s1', 'canary').map((s): [string, Op] => [`switch ${s}`, (all) => planRouteEdit(all, req, (vs, i, f) => switchService(vs, i, f, s))]),
  fc.constant<[string, Op]>(['mirror canary', (all) => planRouteEdit(all, req, (vs, i, f) => (onlyService(vs, i, f) && !((vs.spec.http![i]!.route ?? []).length === 1 && vs.spec.http![i]!.route![0]!.destination.subset === 'canary') ? mirrorService(vs, i, f, 'canary', 10) : undefined))]),
  fc.constant<[string, Op]>(['match-header', (all) => planMarkedRoutes(all, req, markedRoute({ header: 'x-canary', value: 'yes', kind: 'exact', subset: 'canary' }))]),
  fc.constant<[string, Op]>(['rollback --to s1', (all) => planRollback(all, req, 's1')]),
);

/** Routes the command may not change, as a multiset of their JSON. */
function untouchable(vs: VirtualService): string[] {
  return (vs.spec.http ?? []).filter((r) => routeKind(r) !== 'owned' && (!carriesService(vs, r, FQDN) || routeKind(r) === 'targeted')).map((r) => canonicalJson(r)).sort();
}

/**
 * Generated cases per property. Each run draws a new seed, so CI covers more layouts over time;
 * PROPERTY_RUNS=5000 searches harder (a failure prints its seed and the shrunk counterexample).
 */
const RUNS = Number(process.env['PROPERTY_RUNS'] ?? 200);

describe('properties over generated layouts', function () {
  this.timeout(20_000); // each property plans and checks RUNS layouts: about 0.5 s idle, several seconds on a busy 2-core machine
  it('a plan changes only what the route-selection rule gives it, edited routes total 100, and it passes the rules', () => {
    fc.assert(fc.property(layout, operation, (all, [name, op]) => {
      let plan: Plan;
      try {
        plan = op(all);
      } catch (err) {
        if (err instanceof IntentError) return; // refused with a message (no general route, a clash, ...)
        throw err;
      }
      const changes = ordered(plan.changes);
      for (const c of changes) {
        if (c.action === 'unchanged') continue;
        const before = c.before as VirtualService;
        const after = c.after as VirtualService;
        expect(untouchable(after), `${name}: ${c.name} changed a route it does not own`).to.deep.equal(untouchable(before));
        for (const [i, r] of (after.spec.http ?? []).entries()) {
          if (carriesService(after, r, FQDN) && (r.route ?? []).length > 1 && !(before.spec.http ?? []).some((b) => canonicalJson(b) === canonicalJson(r))) {
            expect((r.route ?? []).reduce((a, d) => a + (d.weight ?? 0), 0), `${name}: ${c.name} spec.http[${i}]`).to.equal(100);
          }
        }
        expect(canonicalJson({ ...after.spec, http: undefined }), `${name}: only http routes change`).to.equal(canonicalJson({ ...before.spec, http: undefined }));
      }
      const errors = errorsOf(checkPlan(changes, { virtualServices: all, destinationRules: rules }, DEFAULT_POLICY, NOW));
      expect(errors.map(formatFinding), name).to.deep.equal([]);
    }), { numRuns: RUNS });
  });

  it('running a plan twice changes nothing the second time', () => {
    fc.assert(fc.property(layout, operation, (all, [name, op]) => {
      let first: Plan;
      try {
        first = op(all);
      } catch (err) {
        if (err instanceof IntentError) return;
        throw err;
      }
      const after = all.map((vs) => (first.changes.find((c) => c.name === vs.metadata.name)?.after as VirtualService | undefined) ?? vs);
      const second = op(after);
      expect(second.changes.filter((c) => c.action !== 'unchanged').map((c) => c.name), name).to.deep.equal([]);
    }), { numRuns: RUNS });
  });
});

describe('lookupSubsets: the index by namespace and host finds what a scan of every rule finds', () => {
  // The lookup as the webhook first wrote it: every rule of each namespace, filtered, exact hosts first.
  function scan(host: string, client: string, drs: readonly DestinationRule[], replacement?: Replacement): string[] {
    const order = [...new Set([client, serviceNamespace(host), ISTIO_ROOT_NAMESPACE].filter((n): n is string => !!n))];
    const out: DestinationRule[] = [];
    for (const ns of order) {
      let candidates = drs.filter((d) => namespaceOf(d) === ns);
      if (replacement) {
        candidates = candidates.filter((d) => objectKey(d) !== replacement.key);
        if (replacement.with && namespaceOf(replacement.with) === ns) candidates.push(replacement.with);
      }
      const visible = (d: DestinationRule) => !d.spec.exportTo || d.spec.exportTo.includes('*') || d.spec.exportTo.some((e) => (e === '.' ? ns === client : e === client));
      const inNs = candidates.filter((d) => visible(d) && hostMatches(resolveHost(d.spec.host, ns), host));
      inNs.sort((a, b) => Number(a.spec.host.startsWith('*')) - Number(b.spec.host.startsWith('*')));
      out.push(...inNs);
    }
    return out.map((d) => `${objectKey(d)}:${d.spec.host}:${(d.spec.subsets ?? []).map((s) => s.name).join('+')}`);
  }
  const namespaces = ['a', 'b', ISTIO_ROOT_NAMESPACE];
  const hosts = ['reviews', 'reviews.a.svc.cluster.local', 'reviews.b.svc.cluster.local', '*.a.svc.cluster.local', '*', 'api.example.com', '*.example.com'];
  const rule = fc.record({
    name: fc.constantFrom('r1', 'r2', 'r3', 'r4'), ns: fc.constantFrom(...namespaces), host: fc.constantFrom(...hosts),
    exportTo: fc.option(fc.constantFrom(['*'], ['.'], ['a'], ['b', '.']), { nil: undefined }), subsets: fc.subarray(['v1', 'v2', 'v3']),
  }).map(({ name, ns, host, exportTo, subsets }): DestinationRule => ({
    apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name, namespace: ns },
    spec: { host, ...(exportTo ? { exportTo: [...exportTo] } : {}), subsets: subsets.map((s) => ({ name: s })) },
  }));

  it('for every host, client namespace and replacement (an edit, a delete, a new rule)', () => {
    fc.assert(fc.property(
      fc.array(rule, { maxLength: 12 }), fc.constantFrom('reviews.a.svc.cluster.local', 'reviews.b.svc.cluster.local', 'api.example.com', 'x.a.svc.cluster.local'),
      fc.constantFrom('a', 'b', 'c'), fc.option(fc.tuple(fc.constantFrom('a/r1', 'b/r2', 'istio-system/r3'), fc.option(rule, { nil: undefined })), { nil: undefined }),
      (drs, host, client, swap) => {
        const replacement = swap ? { key: swap[0], with: swap[1] } : undefined;
        const got = lookupSubsets(host, client, drs, replacement);
        const expected = scan(host, client, drs, replacement);
        expect(got.rules.map((d) => `${objectKey(d)}:${d.spec.host}:${(d.spec.subsets ?? []).map((s) => s.name).join('+')}`)).to.deep.equal(expected);
      },
    ), { numRuns: 2000 });
  });
});

describe('checkSubsetRemoval: an update that keeps host, exportTo and every subset name is not looked into', () => {
  it('because every lookup that found a subset in the old rule finds it in the new one', () => {
    const drArb = fc.record({
      ns: fc.constantFrom('a', 'b', ISTIO_ROOT_NAMESPACE), host: fc.constantFrom('reviews', 'reviews.a.svc.cluster.local', '*.a.svc.cluster.local', '*'),
      exportTo: fc.option(fc.constantFrom(['*'], ['.'], ['b']), { nil: undefined }), subsets: fc.subarray(['v1', 'v2', 'v3'], { minLength: 1 }),
    });
    fc.assert(fc.property(drArb, fc.subarray(['v4', 'v5']), fc.array(drArb, { maxLength: 5 }),
      fc.constantFrom('reviews.a.svc.cluster.local', 'x.a.svc.cluster.local'), fc.constantFrom('a', 'b'), (p, added, others, host, client) => {
        const make = (d: typeof p, name: string, subsets: string[]): DestinationRule => ({
          apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name, namespace: d.ns },
          spec: { host: d.host, ...(d.exportTo ? { exportTo: [...d.exportTo] } : {}), subsets: subsets.map((n) => ({ name: n, labels: { version: n } })) },
        });
        const previous = make(p, 'edited', p.subsets);
        const next = make(p, 'edited', [...p.subsets, ...added]);
        const drs = [previous, ...others.map((o, i) => make(o, `other-${i}`, o.subsets))];
        const key = objectKey(previous);
        const before = lookupSubsets(host, client, drs, { key, with: previous }).subsets;
        const after = lookupSubsets(host, client, drs, { key, with: next }).subsets;
        for (const s of before) expect(after).to.include(s);
        const vs: VirtualService = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'vs', namespace: client },
          spec: { hosts: [host], http: [{ route: before.map((s) => ({ destination: { host, subset: s } })) }] } };
        expect(checkSubsetRemoval(previous, next, [vs], drs)).to.deep.equal([]);
      }), { numRuns: 1000 });
  });
});

describe('serviceNamespace', () => {
  it('is the NAMESPACE of NAME.NAMESPACE.svc.cluster.local and nothing else, for any host', () => {
    const bySplit = (fqdn: string) => {
      if (!fqdn.endsWith('.svc.cluster.local')) return undefined;
      const parts = fqdn.slice(0, -'.svc.cluster.local'.length).split('.');
      return parts.length === 2 && parts[0] !== '*' ? parts[1] : undefined;
    };
    const label = fc.constantFrom('', '*', 'reviews', 'shop', 'svc', 'cluster', 'local', 'a.b');
    fc.assert(fc.property(fc.array(label, { maxLength: 6 }), fc.boolean(), (labels, suffix) => {
      const host = labels.join('.') + (suffix ? '.svc.cluster.local' : '');
      expect(serviceNamespace(host), host).to.equal(bySplit(host));
    }), { numRuns: 3000 });
    expect(serviceNamespace('reviews.shop.svc.cluster.local')).to.equal('shop');
  });
});

describe('LiveIndexes: kept one change at a time, they hold what indexes built from scratch hold', () => {
  const namespaces = ['a', 'b', ISTIO_ROOT_NAMESPACE];
  const hosts = ['reviews', 'ratings', 'reviews.a.svc.cluster.local', '*.a.svc.cluster.local', '*', 'api.example.com'];
  const virtualService = fc.record({ name: fc.constantFrom('v1', 'v2', 'v3'), ns: fc.constantFrom(...namespaces), hosts: fc.subarray(hosts, { minLength: 1 }), to: fc.subarray(hosts) })
    .map(({ name, ns, hosts: hs, to }): VirtualService => ({
      apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace: ns },
      spec: { hosts: hs, http: [{ route: to.map((host) => ({ destination: { host } })) }] },
    }));
  const destinationRule = fc.record({ name: fc.constantFrom('d1', 'd2', 'd3'), ns: fc.constantFrom(...namespaces), host: fc.constantFrom(...hosts) })
    .map(({ name, ns, host }): DestinationRule => ({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name, namespace: ns }, spec: { host } }));
  const change = fc.oneof(
    virtualService.map((o) => ({ set: o as VirtualService | DestinationRule })),
    destinationRule.map((o) => ({ set: o as VirtualService | DestinationRule })),
    fc.tuple(fc.constantFrom('VirtualService', 'DestinationRule'), fc.constantFrom('a/v1', 'b/v2', 'a/d1', 'istio-system/d3')).map(([kind, key]) => ({ kind, key })),
  );
  /** An index as sorted keys, each with its objects' keys and hosts, sorted (the order within a list is checked apart). */
  const shape = (index: Map<string, Array<VirtualService | DestinationRule>>) => [...index].filter(([, l]) => l.length > 0)
    .map(([k, l]) => `${k}=${l.map((o) => `${objectKey(o)}:${canonicalJson(o.spec)}`).sort().join(',')}`).sort();
  const drShape = (index: Map<string, { exact: Map<string, DestinationRule[]>; wildcard: DestinationRule[] }>) => [...index]
    .flatMap(([ns, r]) => [...[...r.exact].map(([h, l]) => [`${ns} ${h}`, l] as const), [`${ns} *`, r.wildcard] as const])
    .filter(([, l]) => l.length > 0).map(([k, l]) => `${k}=${l.map((o) => `${objectKey(o)}:${o.spec.host}`).sort().join(',')}`).sort();

  it('for any sequence of creates, updates and deletes', () => {
    fc.assert(fc.property(fc.array(change, { maxLength: 30 }), (changes) => {
      const live = new LiveIndexes();
      const vss = new Map<string, VirtualService>();
      const drs = new Map<string, DestinationRule>();
      for (const c of changes) {
        if ('set' in c) {
          const key = objectKey(c.set);
          if (c.set.kind === 'VirtualService') { vss.set(key, c.set as VirtualService); live.setVirtualService(key, c.set as VirtualService); }
          else { drs.set(key, c.set as DestinationRule); live.setDestinationRule(key, c.set as DestinationRule); }
        } else if (c.kind === 'VirtualService') { vss.delete(c.key); live.deleteVirtualService(c.key); }
        else { drs.delete(c.key); live.deleteDestinationRule(c.key); }
      }
      const vsArray = [...vss.values()];
      const drArray = [...drs.values()];
      const fresh = { byHost: virtualServicesByHost([...vsArray]), byDest: virtualServicesByDestinationHost([...vsArray]), rules: destinationRulesByNamespaceAndHost([...drArray]) };
      live.adoptVirtualServices(vsArray);
      live.adoptDestinationRules(drArray);
      expect(shape(virtualServicesByHost(vsArray))).to.deep.equal(shape(fresh.byHost));
      expect(shape(virtualServicesByDestinationHost(vsArray))).to.deep.equal(shape(fresh.byDest));
      expect(drShape(destinationRulesByNamespaceAndHost(drArray))).to.deep.equal(drShape(fresh.rules));
    }), { numRuns: 300 });
  });

  it('an update keeps its place in a list (the order that decides between two rules for one host), and two indexes of one array stay apart', () => {
    const live = new LiveIndexes();
    const dr = (name: string, subsets: string[]): DestinationRule => ({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name, namespace: 'a' }, spec: { host: 'reviews', subsets: subsets.map((s) => ({ name: s })) } });
    live.setDestinationRule('a/first', dr('first', ['v1']));
    live.setDestinationRule('a/second', dr('second', ['v2']));
    live.setDestinationRule('a/first', dr('first', ['v1', 'v3']));
    const array: DestinationRule[] = [];
    live.adoptDestinationRules(array);
    expect(destinationRulesByNamespaceAndHost(array).get('a')!.exact.get('reviews.a.svc.cluster.local')!.map((d) => `${d.metadata.name}:${d.spec.subsets!.length}`)).to.deep.equal(['first:2', 'second:1']);
    const front: VirtualService = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'front', namespace: 'a' }, spec: { hosts: ['front'], http: [{ route: [{ destination: { host: 'back' } }] }] } };
    const one = [front];
    expect([...virtualServicesByDestinationHost(one).keys()]).to.deep.equal(['back.a.svc.cluster.local']);
    expect([...virtualServicesByHost(one).keys()]).to.deep.equal(['front.a.svc.cluster.local']);
  });
});
