// The Gateway API's mesh routes (HTTPRoute, GRPCRoute with a Service parent): which routes are about a service,
// the weight arithmetic set-weight does over them, and the guardrails: each refused or warned case found, the
// layouts that are fine left alone.
import { expect } from 'chai';
import type { KubeObject } from '../../core/model.js';
import { type GatewayRoute, sharesOf } from '../../core/gateway-api/model.js';
import { routesFor, ruleKind, setRouteWeights } from '../../core/gateway-api/routes.js';
import { checkGatewayRoute, routesSendingTo } from '../../core/gateway-api/rules.js';
import { analyzeObjects } from '../../core/analyze.js';
import { readYaml } from '../../core/yaml.js';

const route = (yaml: string): GatewayRoute => {
  const o = readYaml(yaml)[0] as GatewayRoute;
  return { ...o, metadata: { namespace: 'shop', ...o.metadata } };
};
const service = (name: string, ports = '[{port: 9080, name: http}]', ns = 'shop'): KubeObject =>
  readYaml(`apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: ${ns}}\nspec: {selector: {app: reviews}, ports: ${ports}}`)[0] as KubeObject;
const HTTP = (rules: string, parent = '{group: "", kind: Service, name: reviews, port: 9080}', kind = 'HTTPRoute') =>
  `apiVersion: gateway.networking.k8s.io/v1\nkind: ${kind}\nmetadata: {name: reviews}\nspec:\n  parentRefs: [${parent}]\n  rules:\n${rules}`;
const SPLIT = HTTP('  - backendRefs:\n    - {name: reviews-v1, port: 9080, weight: 90}\n    - {name: reviews-v2, port: 9080, weight: 10}');
const VERSIONS = [service('reviews'), service('reviews-v1'), service('reviews-v2')];
const codes = (r: GatewayRoute, world = { services: VERSIONS }) => checkGatewayRoute(r, world).map((f) => `${f.code} ${f.field}`);

describe('Gateway API mesh routes', () => {
  describe('which routes are about a service, and how set-weight moves them', () => {
    it('a route is about the Service its parentRefs name with group "" (in the route\'s namespace unless it says another)', () => {
      const own = route(SPLIT);
      const elsewhere = route(HTTP('  - backendRefs: [{name: reviews-v1, port: 9080}]', '{group: "", kind: Service, name: reviews, namespace: shop}').replace('name: reviews}', 'name: edge, namespace: front}'));
      const misgrouped = route(HTTP('  - backendRefs: [{name: reviews-v1, port: 9080}]', '{kind: Service, name: reviews}').replace('name: reviews}\nspec', 'name: wrong}\nspec'));
      expect(routesFor([misgrouped, elsewhere, own], { namespace: 'shop', name: 'reviews' }).map((r) => r.metadata.name)).to.deep.equal(['edge', 'reviews']);
      expect(routesFor([own], { namespace: 'other', name: 'reviews' })).to.deep.equal([]);
    });

    it('general rules (path, method) are edited; rules that pick callers by header or query are left alone', () => {
      const r = route(HTTP([
        '  - matches: [{headers: [{name: end-user, value: jason}]}]',
        '    backendRefs: [{name: reviews-v3, port: 9080}]',
        '  - matches: [{path: {type: PathPrefix, value: /}}]',
        '    backendRefs:',
        '    - {name: reviews-v1, port: 9080, weight: 90}',
        '    - {name: reviews-v2, port: 9080, weight: 10}',
      ].join('\n')));
      expect(r.spec.rules!.map(ruleKind)).to.deep.equal(['targeted', 'general']);
      const next = setRouteWeights(r, { namespace: 'shop', name: 'reviews' }, [{ subset: 'v2', percent: 50 }]);
      expect(next.spec.rules![0]).to.deep.equal(r.spec.rules![0]);
      expect(next.spec.rules![1]!.backendRefs).to.deep.equal([{ name: 'reviews-v1', port: 9080, weight: 50 }, { name: 'reviews-v2', port: 9080, weight: 50 }]);
    });

    it('v2=10 on a route to v1 alone adds reviews-v2 on v1\'s port; v1 keeps 90; v2=0 takes it away again', () => {
      const r = route(HTTP('  - backendRefs: [{name: reviews-v1, port: 9080}]'));
      const canary = setRouteWeights(r, { namespace: 'shop', name: 'reviews' }, [{ subset: 'v2', percent: 10 }]);
      expect(canary.spec.rules![0]!.backendRefs).to.deep.equal([{ name: 'reviews-v1', port: 9080, weight: 90 }, { name: 'reviews-v2', port: 9080, weight: 10 }]);
      expect(sharesOf(canary.spec.rules![0]!)).to.deep.equal([90, 10]);
      const back = setRouteWeights(canary, { namespace: 'shop', name: 'reviews' }, [{ subset: 'v2', percent: 0 }]);
      expect(back.spec.rules![0]!.backendRefs).to.deep.equal([{ name: 'reviews-v1', port: 9080, weight: 100 }]);
      // The input is never touched, and asking for what is already there changes nothing (the same object back).
      expect(r.spec.rules![0]!.backendRefs).to.deep.equal([{ name: 'reviews-v1', port: 9080 }]);
      expect(setRouteWeights(canary, { namespace: 'shop', name: 'reviews' }, [{ subset: 'v2', percent: 10 }])).to.equal(canary);
    });

    it('the rest keeps its proportions; relative weights are written as percents; a full name works as well as the version', () => {
      const r = route(HTTP('  - backendRefs:\n    - {name: reviews-v1, port: 9080, weight: 3}\n    - {name: reviews-v3, port: 9080, weight: 1}'));
      const next = setRouteWeights(r, { namespace: 'shop', name: 'reviews' }, [{ subset: 'reviews-v2', percent: 20 }]);
      expect(next.spec.rules![0]!.backendRefs!.map((b) => `${b.name}=${b.weight}`)).to.deep.equal(['reviews-v1=60', 'reviews-v3=20', 'reviews-v2=20']);
    });

    it('a lone version named at less than 100 with nothing else in the rule: refused, saying what to name', () => {
      const r = route(HTTP('  - backendRefs: [{name: reviews-v1, port: 9080}]'));
      expect(() => setRouteWeights(r, { namespace: 'shop', name: 'reviews' }, [{ subset: 'v1', percent: 40 }])).to.throw(/leaves 60% with nowhere to go.*HTTPRoute shop\/reviews spec.rules\[0\]/);
    });
  });

  describe('guardrails', () => {
    it('a route that is fine: nothing to say', () => {
      expect(codes(route(SPLIT))).to.deep.equal([]);
    });

    it('GRAY601: a backend Service or port that does not exist; nothing said when the Services are not known', () => {
      const r = route(HTTP('  - backendRefs:\n    - {name: reviews-v1, port: 9080, weight: 90}\n    - {name: reviews-v9, port: 9080, weight: 5}\n    - {name: reviews-v2, port: 8080, weight: 5}'));
      expect(codes(r)).to.deep.equal(['GRAY601 spec.rules[0].backendRefs[1].name', 'GRAY601 spec.rules[0].backendRefs[2].port']);
      expect(checkGatewayRoute(r, {})).to.deep.equal([]);
    });

    it('GRAY602: every weight 0 (Istio answers 500); GRAY607: explicit and omitted weights mixed', () => {
      expect(codes(route(HTTP('  - backendRefs:\n    - {name: reviews-v1, port: 9080, weight: 0}\n    - {name: reviews-v2, port: 9080, weight: 0}'))))
        .to.deep.equal(['GRAY602 spec.rules[0].backendRefs']);
      const mixed = checkGatewayRoute(route(HTTP('  - backendRefs:\n    - {name: reviews-v1, port: 9080, weight: 90}\n    - {name: reviews-v2, port: 9080}')), { services: VERSIONS });
      expect(mixed.map((f) => `${f.code} ${f.severity}`)).to.deep.equal(['GRAY607 warning']);
      expect(mixed[0]!.problem).to.contain('reviews-v2=1 (omitted)');
    });

    it('GRAY605: a Service parent without group "" (omitted, or as the API server stores it) is a warning naming the fix', () => {
      for (const parent of ['{kind: Service, name: reviews}', '{group: gateway.networking.k8s.io, kind: Service, name: reviews}']) {
        const found = checkGatewayRoute(route(HTTP('  - backendRefs: [{name: reviews-v1, port: 9080}]', parent)), { services: VERSIONS });
        expect(found.map((f) => `${f.code} ${f.severity} ${f.field}`)).to.deep.equal(['GRAY605 warning spec.parentRefs[0].group']);
        expect(found[0]!.fix).to.contain('group: ""');
      }
    });

    it('GRAY606: a parent Service that does not exist (warning)', () => {
      expect(codes(route(HTTP('  - backendRefs: [{name: reviews-v1, port: 9080}]', '{group: "", kind: Service, name: nosuch}')))).to.deep.equal(['GRAY606 spec.parentRefs[0].name']);
    });

    it('GRAY105: a regular expression that is not RE2, in a path, header or query match', () => {
      const r = route(HTTP([
        '  - matches:',
        '    - path: {type: RegularExpression, value: "/(?<=a)b"}',
        '      headers: [{type: RegularExpression, name: x, value: "(a)\\\\1"}, {name: y, value: "(not a regex"}]',
        '    backendRefs: [{name: reviews-v1, port: 9080}]',
      ].join('\n')));
      expect(codes(r)).to.deep.equal(['GRAY105 spec.rules[0].matches[0].path.value', 'GRAY105 spec.rules[0].matches[0].headers[0].value']);
    });

    it('GRAY604: on a Service that speaks gRPC, a PathPrefix other than / or a GRPCRoute match on the service alone; fine on plain HTTP', () => {
      const grpc = [service('reviews', '[{port: 9080, name: grpc, appProtocol: grpc}]'), service('reviews-v1', '[{port: 9080, name: grpc}]')];
      const prefix = route(HTTP('  - matches: [{path: {type: PathPrefix, value: /kubectlgray.workload.v1.Workload}}]\n    backendRefs: [{name: reviews-v1, port: 9080}]'));
      expect(codes(prefix, { services: grpc })).to.deep.equal(['GRAY604 spec.rules[0].matches[0].path']);
      expect(codes(prefix, { services: VERSIONS })).to.deep.equal([]);
      const slash = route(HTTP('  - matches: [{path: {type: PathPrefix, value: /}}]\n    backendRefs: [{name: reviews-v1, port: 9080}]'));
      expect(codes(slash, { services: grpc })).to.deep.equal([]);
      const serviceOnly = route(HTTP('  - matches: [{method: {service: kubectlgray.workload.v1.Workload}}]\n    backendRefs: [{name: reviews-v1, port: 9080}]', undefined, 'GRPCRoute'));
      expect(codes(serviceOnly, { services: grpc })).to.deep.equal(['GRAY604 spec.rules[0].matches[0].method']);
      const withMethod = route(HTTP('  - matches: [{method: {service: kubectlgray.workload.v1.Workload, method: Call}}]\n    backendRefs: [{name: reviews-v1, port: 9080}]', undefined, 'GRPCRoute'));
      expect(codes(withMethod, { services: grpc })).to.deep.equal([]);
    });

    it('GRAY603: a mesh VirtualService for the same Service; one bound only to a gateway is no conflict', () => {
      const meshVs = readYaml('apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews, namespace: shop}\nspec: {hosts: [reviews], http: [{route: [{destination: {host: reviews}}]}]}')[0] as never;
      const edgeVs = readYaml('apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: edge, namespace: shop}\nspec: {hosts: [reviews.shop.svc.cluster.local], gateways: [edge], http: [{route: [{destination: {host: reviews}}]}]}')[0] as never;
      expect(codes(route(SPLIT), { services: VERSIONS, virtualServices: [meshVs] } as never)).to.deep.equal(['GRAY603 spec.parentRefs']);
      expect(codes(route(SPLIT), { services: VERSIONS, virtualServices: [edgeVs] } as never)).to.deep.equal([]);
    });

    it('GRAY608\'s question: which routes still send to a Service (weight 0 does not count)', () => {
      const r = route(HTTP('  - backendRefs:\n    - {name: reviews-v1, port: 9080, weight: 100}\n    - {name: reviews-v2, port: 9080, weight: 0}'));
      expect(routesSendingTo([r], service('reviews-v1')).map((x) => x.field)).to.deep.equal(['spec.rules[0].backendRefs[0]']);
      expect(routesSendingTo([r], service('reviews-v2'))).to.deep.equal([]);
      expect(routesSendingTo([r], service('reviews-v1', undefined, 'other'))).to.deep.equal([]);
    });
  });

  it('analyze takes the same decision over files: the Services given are the ones that exist in their namespace', () => {
    const files = readYaml([
      'apiVersion: v1\nkind: Service\nmetadata: {name: reviews, namespace: shop}\nspec: {ports: [{port: 9080}]}',
      'apiVersion: v1\nkind: Service\nmetadata: {name: reviews-v1, namespace: shop}\nspec: {ports: [{port: 9080}]}',
      HTTP('  - backendRefs:\n    - {name: reviews-v1, port: 9080, weight: 90}\n    - {name: reviews-v2, port: 9080, weight: 10}', '{kind: Service, name: reviews}').replace('{name: reviews}', '{name: reviews, namespace: shop}'),
    ].join('\n---\n')) as KubeObject[];
    const result = analyzeObjects(files);
    expect(result.findings.map((f) => `${f.code} ${f.severity} ${f.index} ${f.field}`)).to.deep.equal([
      'GRAY605 warning 2 spec.parentRefs[0].group',
      'GRAY601 error 2 spec.rules[0].backendRefs[1].name',
    ]);
    expect(result.istio).to.equal(1);
  });
});
