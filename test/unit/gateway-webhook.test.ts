// The webhook over the Gateway API: an HTTPRoute or GRPCRoute is judged against the Services of its namespaces as
// the API server has them at the time, a Service's delete against the routes of its namespace; a read that fails
// is a 503, never a guess. Through fastify's inject() with real AdmissionReview JSON.
import { expect } from 'chai';
import type { GatewayRoute } from '../../core/gateway-api/model.js';
import type { KubeObject } from '../../core/model.js';
import { DEFAULT_POLICY } from '../../core/policy.js';
import { readYaml } from '../../core/yaml.js';
import type { AdmissionRequest } from '../../webhook/admission/review.js';
import { staticCache } from '../../webhook/cache.js';
import { type GatewayReads, buildServer } from '../../webhook/server.js';

const services = readYaml(['reviews', 'reviews-v1', 'reviews-v2'].map((name) =>
  `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: shop}\nspec: {ports: [{port: 9080}]}`).join('\n---\n')) as KubeObject[];
const route = (backends: string, parent = '{group: "", kind: Service, name: reviews}') => readYaml(`apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: reviews, namespace: shop}
spec:
  parentRefs: [${parent}]
  rules:
  - backendRefs: ${backends}`)[0] as GatewayRoute;
const SPLIT = '[{name: reviews-v1, port: 9080, weight: 90}, {name: reviews-v2, port: 9080, weight: 10}]';

function server(reads: GatewayReads | undefined, asked: string[] = []) {
  const counted: GatewayReads | undefined = reads && {
    services: (ns) => { asked.push(`services ${ns}`); return reads.services(ns); },
    routes: (ns) => { asked.push(`routes ${ns}`); return reads.routes(ns); },
  };
  return buildServer({ cache: staticCache([], []), policy: () => DEFAULT_POLICY, ...(counted ? { gatewayReads: counted } : {}) });
}
const reads = (routes: GatewayRoute[] = []): GatewayReads => ({ services: async (ns) => services.filter((s) => s.metadata.namespace === ns), routes: async () => routes });

async function review(app: ReturnType<typeof server>, req: Partial<AdmissionRequest>) {
  const request = { uid: 'u-1', operation: 'CREATE', namespace: 'shop', userInfo: { username: 'alice' }, kind: { group: 'gateway.networking.k8s.io', version: 'v1', kind: 'HTTPRoute' }, ...req };
  const res = await app.inject({ method: 'POST', url: '/validate', payload: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request } });
  return res.json().response as { allowed: boolean; status?: { code?: number; message?: string }; warnings?: string[] };
}

describe('webhook over Gateway API routes', () => {
  it('a route that is fine passes; one to a version with no Service is refused with the same code and text as the plugin\'s', async () => {
    const asked: string[] = [];
    const app = server(reads(), asked);
    expect(await review(app, { object: route(SPLIT) })).to.deep.include({ allowed: true });
    const bad = await review(app, { object: route('[{name: reviews-v1, port: 9080, weight: 90}, {name: reviews-v9, port: 9080, weight: 10}]') });
    expect(bad.allowed).to.equal(false);
    expect(bad.status?.message).to.contain('GRAY601 route-backend-unknown: HTTPRoute shop/reviews spec.rules[0].backendRefs[1].name: no Service shop/reviews-v9');
    expect(asked).to.deep.equal(['services shop', 'services shop']);
  });

  it('all weights 0 refused; a Service parent without group "" allowed with a warning kubectl prints', async () => {
    const app = server(reads());
    const zero = await review(app, { object: route('[{name: reviews-v1, port: 9080, weight: 0}]') });
    expect(zero.status?.message).to.contain('GRAY602');
    const misgrouped = await review(app, { object: route(SPLIT, '{kind: Service, name: reviews}') });
    expect(misgrouped.allowed).to.equal(true);
    expect(misgrouped.warnings?.[0]).to.match(/^GRAY605 route-parent-group: spec.parentRefs\[0\].group: parent Service reviews has group \(omitted\)/);
  });

  it('deleting a version Service a route still sends to is refused; one no route uses, or the namespace controller\'s, passes', async () => {
    const app = server(reads([route(SPLIT)]));
    const svc = (name: string) => services.find((s) => s.metadata.name === name)!;
    const kind = { group: '', version: 'v1', kind: 'Service' };
    const inUse = await review(app, { kind, operation: 'DELETE', oldObject: svc('reviews-v2') });
    expect(inUse.allowed).to.equal(false);
    expect(inUse.status?.message).to.contain('GRAY608 version-service-in-use: Service shop/reviews-v2 metadata.name: HTTPRoute shop/reviews spec.rules[0].backendRefs[1] still sends calls to it');
    expect(await review(app, { kind, operation: 'DELETE', oldObject: svc('reviews') })).to.deep.include({ allowed: true });
    expect(await review(app, { kind, operation: 'DELETE', oldObject: svc('reviews-v2'), userInfo: { username: 'system:serviceaccount:kube-system:namespace-controller' } })).to.deep.include({ allowed: true });
  });

  it('when the Services cannot be read, the answer is a 503 naming why (the failurePolicy decides), not a guess', async () => {
    const app = server({ services: async () => { throw new Error('connection refused'); }, routes: async () => [] });
    const r = await review(app, { object: route(SPLIT) });
    expect(r.allowed).to.equal(false);
    expect(r.status?.code).to.equal(503);
    expect(r.status?.message).to.contain('connection refused');
  });

  it('GRAY603 from the other side: a mesh VirtualService created for a Service a route already routes is refused; an update that keeps its hosts reads nothing', async () => {
    const asked: string[] = [];
    const app = server(reads([route(SPLIT)]), asked);
    const vs = (hosts: string, gateways = '') => readYaml(`apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews, namespace: shop}\nspec: {hosts: [${hosts}]${gateways}, http: [{route: [{destination: {host: reviews}}]}]}`)[0] as KubeObject;
    const kind = { group: 'networking.istio.io', version: 'v1', kind: 'VirtualService' };
    const created = await review(app, { kind, object: vs('reviews') });
    expect(created.allowed).to.equal(false);
    expect(created.status?.message).to.contain('GRAY603 route-model-conflict: VirtualService shop/reviews spec.hosts[0]: HTTPRoute shop/reviews already routes reviews.shop.svc.cluster.local in the mesh');
    expect(asked).to.deep.equal(['routes shop']);
    expect(await review(app, { kind, object: vs('reviews', ', gateways: [edge]') })).to.deep.include({ allowed: true }); // not in the mesh
    asked.length = 0;
    expect(await review(app, { kind, operation: 'UPDATE', object: vs('ratings'), oldObject: vs('ratings') })).to.deep.include({ allowed: true });
    expect(asked).to.deep.equal([]);
  });

  it('where the Gateway API is not served, one 404 a minute says so, not one per review', async () => {
    const { liveGatewayReads } = await import('../../webhook/gateway-reads.js');
    const { ApiError } = await import('../../kube/errors.js');
    let clock = 0;
    const paths: string[] = [];
    const rest = { request: async (_m: string, path: string) => { paths.push(path); throw new ApiError(404, 'NotFound', '404 page not found'); } };
    const live = liveGatewayReads(rest as never, undefined, () => clock);
    expect(await live.routes('shop')).to.deep.equal([]);
    expect(await live.routes('shop')).to.deep.equal([]);
    expect(paths).to.have.length(2); // httproutes and grpcroutes, once
    clock = 61_000;
    await live.routes('shop');
    expect(paths).to.have.length(4);
  });

  it('routes the webhook may not list (an install without the Gateway API\'s RBAC): no check, one warning a minute, never a refusal', async () => {
    const { liveGatewayReads } = await import('../../webhook/gateway-reads.js');
    const { ApiError } = await import('../../kube/errors.js');
    const warned: string[] = [];
    const rest = { request: async () => { throw new ApiError(403, 'Forbidden', 'httproutes.gateway.networking.k8s.io is forbidden'); } };
    const live = liveGatewayReads(rest as never, { warn: (_o, m) => warned.push(m) }, () => 0);
    expect(await live.routes('shop')).to.deep.equal([]);
    expect(await live.routes('shop')).to.deep.equal([]);
    expect(warned).to.have.length(1);
  });
});
