import { expect } from 'chai';
import type { DestinationRule, VirtualService } from '../../core/model.js';
import { formatFinding } from '../../core/rules.js';
import { applyPolicy } from '../../core/policy.js';
import { chosenRoutes, entryPoints, resolveEntryPoints } from '../../core/traffic.js';
import { checkIstioVirtualService } from '../../core/istio/virtualservice.js';
import { checkDestinationRule, checkSubsetRemoval, checkVirtualService } from '../../core/validate.js';
import { bookinfo, weightedVs } from '../support/fixtures.js';

const rules = (vs: VirtualService, drs: DestinationRule[] = bookinfo().destinationRules) =>
  checkVirtualService(vs, { destinationRules: drs }).map((f) => f.rule);

function dr(name: string, namespace: string, host: string, subsets: string[], extra: Partial<DestinationRule['spec']> = {}): DestinationRule {
  return {
    apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name, namespace },
    spec: { host, subsets: subsets.map((s) => ({ name: s, labels: { version: s } })), ...extra },
  };
}

describe('core/validate', () => {
  it('accepts Bookinfo as shipped', () => {
    const { virtualServices, destinationRules } = bookinfo();
    for (const vs of virtualServices) expect(checkVirtualService(vs, { destinationRules })).to.deep.equal([]);
  });

  it('GRAY101: weights that do not total 100, saying it is our policy, not Istio\'s', () => {
    const [f] = checkVirtualService(weightedVs({ v1: 80, v2: 10 }), { destinationRules: bookinfo().destinationRules });
    expect(formatFinding(f!)).to.equal(
      'GRAY101 weight-total: VirtualService default/reviews spec.http[0].route: weights total 90 (v1=80, v2=10), not 100; ' +
      'Istio itself would accept this as relative shares, but kubectl-gray policy requires exactly 100 so that every weight ' +
      'reads as a percentage. Fix: make the weights add up to 100, e.g. with kubectl gray set-weight');
    expect(rules(weightedVs({ v1: 100, v2: 10 }))).to.deep.equal(['weight-total']);
    expect(rules(weightedVs({ v1: 37 }))).to.deep.equal([]); // one destination takes everything
  });

  it('GRAY102/103: negative and all-zero weights, which Istio refuses too, cannot be relaxed', () => {
    const neg = checkVirtualService(weightedVs({ v1: 110, v2: -10 }), { destinationRules: bookinfo().destinationRules });
    expect(neg.map((f) => f.code)).to.deep.equal(['GRAY102']);
    expect(rules(weightedVs({ v1: 0, v2: 0 }))).to.deep.equal(['weight-all-zero']);
    expect(applyPolicy(neg, { rules: { 'weight-negative': 'off' } })).to.have.length(1);
    const total = checkVirtualService(weightedVs({ v1: 50, v2: 10 }), { destinationRules: bookinfo().destinationRules });
    expect(applyPolicy(total, { rules: { 'weight-total': 'warn' } })[0]!.severity).to.equal('warning');
    expect(applyPolicy(total, { rules: { 'weight-total': 'off' } })).to.deep.equal([]);
  });

  it('GRAY104: a subset no DestinationRule defines, naming those that exist', () => {
    const [f] = checkVirtualService(weightedVs({ v1: 90, v4: 10 }), { destinationRules: bookinfo().destinationRules });
    expect(f!.field).to.equal('spec.http[0].route[1].destination.subset');
    expect(f!.problem).to.equal('routes to subset "v4" of host reviews.default.svc.cluster.local, which DestinationRule default/reviews does not define (defined: v1, v2, v3)');
    const [none] = checkVirtualService(weightedVs({ v1: 100 }), { destinationRules: [] });
    expect(none!.problem).to.contain('no DestinationRule for that host defines any subset');
    expect(none!.fix).to.contain('apply it before this VirtualService');
  });

  it('GRAY104 also covers mirrors', () => {
    const vs = weightedVs({ v1: 100 });
    vs.spec.http![0]!.mirror = { host: 'reviews', subset: 'v9' };
    expect(checkVirtualService(vs, { destinationRules: bookinfo().destinationRules })[0]!.field).to.equal('spec.http[0].mirror.subset');
  });

  it('names the field of every finding, though names are written out only for findings', () => {
    const vs: VirtualService = {
      apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'r', namespace: 'shop' },
      spec: {
        hosts: ['reviews'],
        http: [
          { match: [{ headers: { 'bad header': { exact: 'x' } } }, { uri: { regex: '(?=a)' } }], route: [{ destination: { host: 'reviews', subset: 'v1' } }] },
          {
            route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: 110 }, { destination: { host: 'reviews', subset: 'v2' }, weight: -10 }],
            mirrors: [{ destination: { host: 'reviews', subset: 'v1' } }, { destination: { host: 'reviews', subset: 'Bad_Name' } }],
          },
        ],
        tcp: [{ route: [{ destination: { host: 'reviews', subset: 'v7' } }] }],
      },
    };
    const found = checkVirtualService(vs, { destinationRules: [dr('reviews', 'shop', 'reviews', ['v1', 'v2'])] })
      .map((f) => `${f.object} ${f.rule} ${f.field}`);
    expect(found).to.deep.equal([
      'VirtualService shop/r weight-negative spec.http[1].route[1].weight',
      'VirtualService shop/r header-name spec.http[0].match[0].headers.bad header',
      'VirtualService shop/r regex-invalid spec.http[0].match[1].uri.regex',
      'VirtualService shop/r subset-name spec.http[1].mirrors[1].destination.subset',
      'VirtualService shop/r subset-undefined spec.tcp[0].route[0].destination.subset',
    ]);
  });

  it('names the field of every Istio finding on destinations and header matches', () => {
    const vs: VirtualService = {
      apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'r', namespace: 'shop' },
      spec: {
        hosts: ['reviews'],
        http: [{
          match: [{ headers: { 'x-a': { prefix: '' } } }],
          route: [{ destination: { host: 'reviews', port: { number: 70000 } } }, { destination: { host: '*' } }],
          mirror: { host: 'bad_host!' },
          mirrors: [{ destination: { host: '*' } }],
        }],
      },
    };
    expect(checkIstioVirtualService(vs).map((f) => `${f.rule} ${f.field}`)).to.deep.equal([
      'match-invalid spec.http[0].match[0].headers.x-a',
      'host-invalid spec.http[0].mirror.host',
      'host-invalid spec.http[0].mirrors[0].destination.host',
      'port-invalid spec.http[0].route[0].destination.port.number',
      'host-invalid spec.http[0].route[1].destination.host',
    ]);
  });

  it('says once that routing on a JWT claim needs a gateway, and not at all for a gateway-bound VirtualService', () => {
    const claim = (gateways?: string[]): VirtualService => ({
      apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'r', namespace: 'shop' },
      spec: {
        hosts: ['reviews'], ...(gateways ? { gateways } : {}),
        http: [{
          match: [{ headers: { '@request.auth.claims.group': { exact: 'beta' } }, withoutHeaders: { '@request.auth.claims.plan': { exact: 'free' } } }],
          route: [{ destination: { host: 'reviews' } }],
        }],
      },
    });
    expect(checkIstioVirtualService(claim()).map((f) => `${f.rule} ${f.field}`)).to.deep.equal([
      'match-invalid spec.http[0].match[0].headers.@request.auth.claims.group',
      'match-invalid spec.http[0].match[0].withoutHeaders.@request.auth.claims.plan',
    ]);
    expect(checkIstioVirtualService(claim(['mesh'])).length).to.equal(2);
    expect(checkIstioVirtualService(claim(['istio-system/ingress']))).to.deep.equal([]);
  });

  it('resolves hosts as Istio does: short names, FQDNs, other namespaces, the root namespace, exportTo', () => {
    const fqdn = weightedVs({ v1: 100 });
    fqdn.spec.http![0]!.route![0]!.destination.host = 'reviews.default.svc.cluster.local';
    expect(rules(fqdn)).to.deep.equal([]);
    // A VirtualService in "shop" routing to reviews in "default" finds the DestinationRule in the service's namespace.
    const crossNs = { ...fqdn, metadata: { name: 'r', namespace: 'shop' } };
    expect(rules(crossNs)).to.deep.equal([]);
    // "reviews.default" has a dot, so it is literal and matches nothing.
    const literal = weightedVs({ v1: 100 });
    literal.spec.http![0]!.route![0]!.destination.host = 'reviews.default';
    expect(rules(literal)).to.deep.equal(['subset-undefined']);
    // A rule in the root namespace applies everywhere; one exported only to its own namespace does not.
    expect(rules(fqdn, [dr('global', 'istio-system', 'reviews.default.svc.cluster.local', ['v1'])])).to.deep.equal([]);
    expect(rules(crossNs, [dr('private', 'other', 'reviews.default.svc.cluster.local', ['v1'])])).to.deep.equal(['subset-undefined']);
    expect(rules(crossNs, [dr('own', 'default', 'reviews', ['v1'], { exportTo: ['.'] })])).to.deep.equal(['subset-undefined']);
    expect(rules(fqdn, [dr('own', 'default', 'reviews', ['v1'], { exportTo: ['.'] })])).to.deep.equal([]);
    expect(rules(fqdn, [dr('wild', 'default', '*.default.svc.cluster.local', ['v1'])])).to.deep.equal([]);
  });

  it('GRAY105: regexes are judged as RE2, not as JavaScript', () => {
    const vs = bookinfo().reviews;
    vs.spec.http!.unshift({ match: [{ headers: { 'end-user': { regex: '(?<=x)jason' } } }], route: [{ destination: { host: 'reviews', subset: 'v2' } }] });
    const [f] = checkVirtualService(vs, { destinationRules: bookinfo().destinationRules });
    expect(f!.code).to.equal('GRAY105');
    expect(f!.field).to.equal('spec.http[0].match[0].headers.end-user.regex');
    vs.spec.http![0]!.match = [{ uri: { regex: '(a)\\1' } }];
    expect(rules(vs)).to.deep.equal(['regex-invalid']);
    vs.spec.http![0]!.match = [{ uri: { regex: '^/api/v[0-9]+/.*' } }];
    expect(rules(vs)).to.deep.equal([]);
    vs.spec.http![0]!.match = [{ headers: { 'bad header': { exact: 'x' } } }];
    expect(rules(vs)).to.deep.equal(['header-name']);
  });

  it('GRAY106/112: mirror percentage range and mirror with mirrors', () => {
    const vs = weightedVs({ v1: 100 });
    vs.spec.http![0]!.mirror = { host: 'reviews', subset: 'v2' };
    vs.spec.http![0]!.mirrorPercentage = { value: 150 };
    vs.spec.http![0]!.mirrors = [{ destination: { host: 'reviews', subset: 'v3' } }];
    expect(rules(vs)).to.deep.equal(['mirror-conflict', 'mirror-percentage']);
  });

  it('GRAY107/109: subset name syntax and duplicates in a DestinationRule', () => {
    const bad = dr('reviews', 'default', 'reviews', ['v1', 'v1', 'V_2']);
    expect(checkDestinationRule(bad).map((f) => `${f.code} ${f.field}`)).to.deep.equal(['GRAY109 spec.subsets[1].name', 'GRAY107 spec.subsets[2].name']);
    expect(rules(weightedVs({ 'not_a_label': 100 }))).to.deep.equal(['subset-name']);
  });

  it('GRAY108: a route after the catch-all is a warning', () => {
    const vs = bookinfo().reviews;
    vs.spec.http!.push({ name: 'late', match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [{ destination: { host: 'reviews', subset: 'v3' } }] });
    const [f] = checkVirtualService(vs, { destinationRules: bookinfo().destinationRules });
    expect(f!.severity).to.equal('warning');
    expect(formatFinding(f!)).to.equal('GRAY108 route-unreachable (IST0130): VirtualService default/reviews spec.http[1]: route "late" comes after the catch-all route spec.http[0] and can never match. Fix: move it before spec.http[0] (kubectl gray match-header inserts routes in the right place)');
  });

  it('GRAY110/111: removing or deleting subsets that routes still use', () => {
    const { reviewsRule, virtualServices, destinationRules } = bookinfo();
    const withoutV1 = { ...reviewsRule, spec: { ...reviewsRule.spec, subsets: reviewsRule.spec.subsets!.filter((s) => s.name !== 'v1') } };
    const [f] = checkSubsetRemoval(reviewsRule, withoutV1, virtualServices, destinationRules);
    expect(formatFinding(f!)).to.equal('GRAY110 subset-in-use: DestinationRule default/reviews spec.subsets[0]: removing subset "v1" would break routes that still use it: VirtualService default/reviews spec.http[0].route[0].destination. Fix: move those routes off "v1" first (kubectl gray set-weight or switch), then remove the subset');
    const withoutV3 = { ...reviewsRule, spec: { ...reviewsRule.spec, subsets: reviewsRule.spec.subsets!.filter((s) => s.name !== 'v3') } };
    expect(checkSubsetRemoval(reviewsRule, withoutV3, virtualServices, destinationRules)).to.deep.equal([]);
    expect(checkSubsetRemoval(reviewsRule, undefined, virtualServices, destinationRules).map((x) => x.code)).to.deep.equal(['GRAY111']);
    // Another rule in the root namespace still defines v1: nothing breaks.
    const backup = dr('backup', 'istio-system', 'reviews.default.svc.cluster.local', ['v1']);
    expect(checkSubsetRemoval(reviewsRule, undefined, virtualServices, [...destinationRules, backup])).to.deep.equal([]);
  });

  it('accepts every served API version', () => {
    for (const v of ['v1', 'v1beta1', 'v1alpha3']) {
      const vs = { ...weightedVs({ v1: 80, v2: 10 }), apiVersion: `networking.istio.io/${v}` };
      expect(rules(vs)).to.deep.equal(['weight-total']);
    }
  });
});

describe('core/traffic: which VirtualServices and routes a service means', () => {
  const names = (es: ReturnType<typeof entryPoints>) => es.map((e) => e.vs.metadata.name);
  it('finds every VirtualService routing to the service by short name or FQDN; --vs narrows to one', () => {
    const { virtualServices } = bookinfo();
    expect(names(resolveEntryPoints({ service: 'reviews', namespace: 'default' }, virtualServices))).to.deep.equal(['reviews']);
    expect(names(resolveEntryPoints({ service: 'reviews.default.svc.cluster.local', namespace: 'default' }, virtualServices))).to.deep.equal(['reviews']);
    const twin = { ...virtualServices[0]!, metadata: { name: 'reviews-2', namespace: 'default' } };
    expect(names(resolveEntryPoints({ service: 'reviews', namespace: 'default' }, [...virtualServices, twin]))).to.deep.equal(['reviews', 'reviews-2']);
    expect(names(resolveEntryPoints({ service: 'reviews', namespace: 'default', vsName: 'reviews-2' }, [...virtualServices, twin]))).to.deep.equal(['reviews-2']);
    expect(() => resolveEntryPoints({ service: 'nope', namespace: 'default' }, virtualServices)).to.throw('no VirtualService routes to nope (nope.default.svc.cluster.local)');
    expect(() => resolveEntryPoints({ service: 'reviews', namespace: 'default', vsName: 'ratings' }, virtualServices)).to.throw('VirtualService default/ratings does not route to reviews');
  });
  it('general routes by default, or the routes --route names', () => {
    const vs = weightedVs({ v1: 100 });
    vs.spec.http!.unshift({ name: 'api', match: [{ uri: { prefix: '/api' } }], route: [{ destination: { host: 'reviews', subset: 'v1' } }] });
    vs.spec.http!.unshift({ name: 'jason', match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [{ destination: { host: 'reviews', subset: 'v1' } }] });
    const [entry] = entryPoints('reviews.default.svc.cluster.local', [vs]);
    expect(entry!.routes.map((r) => r.kind)).to.deep.equal(['targeted', 'general', 'general']);
    expect(chosenRoutes(entry!)).to.deep.equal([1, 2]);
    expect(chosenRoutes(entry!, 'jason')).to.deep.equal([0]);
  });
});
