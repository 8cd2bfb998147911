// set-weight and status over the Gateway API's mesh routes, the real CLI in-process against an in-memory cluster:
// the route's backends move as asked, what the rules refuse is refused before any write, both models for one
// Service are said rather than guessed at, and status shows shares, pods and Istio's verdict.
import { expect } from 'chai';
import { GATEWAY_API_VERSION } from '../../core/gateway-api/model.js';
import type { KubeObject } from '../../core/model.js';
import { readYaml } from '../../core/yaml.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { run } from '../support/run.js';

const SERVICES = ['reviews', 'reviews-v1', 'reviews-v2'].map((name) => `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: shop}
spec: {selector: {app: reviews${name === 'reviews' ? '' : `, version: ${name.slice(8)}`}}, ports: [{port: 9080, name: http}]}`).join('\n---\n');

const ROUTE = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: reviews, namespace: shop, generation: 2}
spec:
  parentRefs: [{group: "", kind: Service, name: reviews, port: 9080}]
  rules:
  - matches: [{headers: [{name: end-user, value: jason}]}]
    backendRefs: [{name: reviews-v2, port: 9080}]
  - backendRefs: [{name: reviews-v1, port: 9080}]
status:
  parents:
  - parentRef: {group: "", kind: Service, name: reviews, port: 9080}
    controllerName: istio.io/gateway-controller
    conditions:
    - {type: Accepted, status: "True", reason: Accepted, observedGeneration: 2}
    - {type: ResolvedRefs, status: "True", reason: ResolvedRefs, observedGeneration: 2}`;

function mesh(extra = ''): FakeCluster {
  const fake = new FakeCluster('shop', readYaml(`${SERVICES}\n---\n${ROUTE}${extra ? `\n---\n${extra}` : ''}`) as KubeObject[]);
  fake.served.set(GATEWAY_API_VERSION, ['httproutes', 'grpcroutes', 'gateways']);
  fake.pods.push(
    { namespace: 'shop', name: 'reviews-v1-a', labels: { app: 'reviews', version: 'v1' }, ready: true },
    { namespace: 'shop', name: 'reviews-v2-a', labels: { app: 'reviews', version: 'v2' }, ready: true },
  );
  return fake;
}
const backends = (fake: FakeCluster, rule: number) => ((fake.httpRoutes[0]!['spec'] as { rules: Array<{ backendRefs: Array<{ name: string; weight?: number }> }> })
  .rules[rule]!.backendRefs.map((b) => `${b.name}=${b.weight ?? '-'}`).join(' '));

describe('kubectl gray over Gateway API routes (HTTPRoute with a Service parent)', () => {
  it('set-weight reviews v2=10: the general rule gets reviews-v2 at 10, v1 keeps 90; the header rule is left alone; written with its resourceVersion', async () => {
    const fake = mesh();
    const rv = fake.httpRoutes[0]!.metadata.resourceVersion;
    const r = await run(fake, ['set-weight', 'reviews', 'v2=10']);
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    expect(r.stdout).to.equal([
      'httproute.gateway.networking.k8s.io/reviews reweighted',
      '  rules[0] (header end-user = jason): reviews-v2=100%',
      '  rules[1] (*): reviews-v1=90% reviews-v2=10%',
      '',
    ].join('\n'));
    expect(backends(fake, 1)).to.equal('reviews-v1=90 reviews-v2=10');
    expect(backends(fake, 0)).to.equal('reviews-v2=-');
    expect(fake.log).to.deep.equal(['replace httproutes/shop/reviews']);
    expect(fake.httpRoutes[0]!.metadata.resourceVersion).to.not.equal(rv);
    // Twice is once; and back.
    expect((await run(fake, ['set-weight', 'reviews', 'v2=10'])).stdout).to.equal('httproute.gateway.networking.k8s.io/reviews unchanged\n');
    await run(fake, ['set-weight', 'reviews', 'v2=0']);
    expect(backends(fake, 1)).to.equal('reviews-v1=100');
  });

  it('a version with no Service (GRAY601) is refused before anything is written, naming the route, field and fix', async () => {
    const fake = mesh();
    const r = await run(fake, ['set-weight', 'reviews', 'v9=10']);
    expect(r.code).to.equal(3);
    expect(r.stderr).to.contain('GRAY601 route-backend-unknown: HTTPRoute shop/reviews spec.rules[1].backendRefs[1].name: no Service shop/reviews-v9');
    expect(r.stderr).to.contain('Fix: create Service reviews-v9');
    expect(fake.log).to.deep.equal([]);
  });

  it('--dry-run=client shows the diff and writes nothing', async () => {
    const fake = mesh();
    const r = await run(fake, ['set-weight', 'reviews', 'v2=10', '--dry-run=client']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('reviews-v2');
    expect(fake.log).to.deep.equal([]);
  });

  it('both models for one Service (a mesh VirtualService too): refused, naming both, rather than guessed at; status says it and exits 3', async () => {
    const fake = mesh('apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews, namespace: shop}\nspec: {hosts: [reviews], http: [{route: [{destination: {host: reviews}}]}]}');
    const r = await run(fake, ['set-weight', 'reviews', 'v2=10']);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain('shop/reviews is routed by both HTTPRoute shop/reviews and VirtualService shop/reviews');
    expect(fake.log).to.deep.equal([]);
    const s = await run(fake, ['status', 'reviews']);
    expect(s.code).to.equal(3);
    expect(s.stdout).to.contain('VirtualService shop/reviews').and.to.contain('HTTPRoute shop/reviews');
    expect(s.stderr).to.contain('is routed by both');
  });

  it('status: Istio\'s verdict, each rule\'s backends with shares and ready pods, which rules set-weight edits', async () => {
    const fake = mesh();
    await run(fake, ['set-weight', 'reviews', 'v2=10']);
    const r = await run(fake, ['status', 'reviews']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('HTTPRoute shop/reviews   parent: Service shop/reviews');
    expect(r.stdout).to.contain('Istio: Accepted=True, ResolvedRefs=True');
    expect(r.stdout).to.match(/rules\[1\]\s+\*\s+reviews-v1\s+90%\s+█+░+\s+1\/1/);
    expect(r.stdout).to.match(/reviews-v2\s+10%\s+██░+\s+1\/1/);
    expect(r.stdout).to.contain('set-weight edits: rules[1]; left alone (they match headers or query parameters): rules[0]');
    const json = JSON.parse((await run(fake, ['status', 'reviews', '-o', 'json'])).stdout) as { kind: string; istio: { conditions: unknown[] }; rules: Array<{ backends: Array<{ name: string; percent: number; ready: number }> }> };
    expect(json.kind).to.equal('HTTPRoute');
    expect(json.rules[1]!.backends.map((b) => `${b.name} ${b.percent} ${b.ready}`)).to.deep.equal(['reviews-v1 90 1', 'reviews-v2 10 1']);
  });

  it('status: a route istiod wrote nothing for, and a share with no ready pod, exit 3 and say so', async () => {
    const fake = mesh();
    delete (fake.httpRoutes[0] as { status?: unknown }).status;
    fake.pods.splice(0, fake.pods.length);
    const r = await run(fake, ['status', 'reviews']);
    expect(r.code).to.equal(3);
    expect(r.stdout).to.contain('istiod has written nothing for parent Service shop/reviews');
    expect(r.stdout).to.contain('! no ready pod: its calls fail');
  });

  it('where the Gateway API is not served (its lists are 404s), VirtualServices work as before and nothing is written', async () => {
    const fake = mesh();
    fake.served.clear();
    const r = await run(fake, ['set-weight', 'reviews', 'v2=10']);
    expect(r.stderr).to.contain('no VirtualService routes to reviews');
    expect(fake.log).to.deep.equal([]);
  });

  it('a release over the route: set-weight, match-header, match-cookie, switch, rollback to the version recorded at the start, history and undo', async () => {
    const fake = mesh();
    const ok = async (...args: string[]) => {
      const r = await run(fake, args);
      expect(r.code, r.stderr).to.equal(0);
      return r;
    };
    const rules = () => (fake.httpRoutes[0]!['spec'] as { rules: Array<{ name?: string; matches?: unknown[]; backendRefs: Array<{ name: string; weight?: number }> }> }).rules;
    await ok('set-weight', 'reviews', 'v2=10');
    expect(fake.httpRoutes[0]!.metadata.annotations?.['kubectl-gray.io/stable-subset']).to.equal('v1');

    // A marked rule before the general one: the general rule's matches narrowed by the header, to the version.
    const marked = await ok('match-header', 'reviews', 'end-user=jason', '--subset', 'v2');
    expect(marked.stdout).to.contain('rules[1] gray-v2-end-user-jason (header end-user = jason): reviews-v2=100%');
    expect(rules().map((r) => r.name ?? '-')).to.deep.equal(['-', 'gray-v2-end-user-jason', '-']);
    expect(rules()[1]!.matches).to.deep.equal([{ headers: [{ name: 'end-user', value: 'jason' }] }]);
    await ok('match-header', 'reviews', 'end-user=jason', '--subset', 'v2'); // twice is once
    expect(rules()).to.have.length(3);
    await ok('match-cookie', 'reviews', 'canary=true', '--subset', 'v2');
    const cookie = rules().find((r) => r.name === 'gray-v2-cookie-canary-true')!;
    expect(cookie.matches).to.deep.equal([{ headers: [{ type: 'RegularExpression', name: 'cookie', value: '^(.*;\\s*)?canary=true(\\s*;.*)?$' }] }]);

    // switch: everything to v2 in the general rule; the marked rules and the header rule of the user's stay.
    await ok('switch', 'reviews', 'v2');
    expect(backends(fake, 3)).to.equal('reviews-v2=100');

    // rollback: kubectl gray's rules go, v1 (recorded when the release began) takes everything.
    const back = await ok('rollback', 'reviews');
    expect(back.stdout).to.contain('httproute.gateway.networking.k8s.io/reviews rolled back');
    expect(rules().map((r) => r.name ?? '-')).to.deep.equal(['-', '-']);
    expect(backends(fake, 1)).to.equal('reviews-v1=100');

    const history = await ok('history', 'reviews');
    expect(history.stdout.split('\n').slice(1).map((l) => l.split(/\s{2,}/)[2]).filter(Boolean)).to.deep.equal([
      'set-weight v2=10', 'match-header end-user=jason --subset v2', 'match-cookie canary=true --subset v2', 'switch v2', 'rollback',
    ]);
    // undo the rollback: the switch's state is back, marked rules and all.
    const undone = await ok('undo', 'reviews');
    expect(undone.stdout).to.contain('httproute.gateway.networking.k8s.io/reviews restored');
    expect(rules().map((r) => r.name ?? '-')).to.deep.equal(['-', 'gray-v2-end-user-jason', 'gray-v2-cookie-canary-true', '-']);
    expect(backends(fake, 3)).to.equal('reviews-v2=100');
  });

  it('--route and --base are for VirtualServices: refused, naming the routes', async () => {
    const r = await run(mesh(), ['set-weight', 'reviews', 'v2=10', '--route', 'x']);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain('--route is for VirtualServices; reviews is routed by HTTPRoute shop/reviews');
  });

  it('mirror: a RequestMirror filter on the general rule (whole percents, or a fraction for decimals), replaced, then --off; rollback drops it too', async () => {
    const fake = mesh();
    const filters = () => (fake.httpRoutes[0]!['spec'] as { rules: Array<{ filters?: unknown[] }> }).rules.map((r) => r.filters ?? []);
    expect((await run(fake, ['mirror', 'reviews', 'v2', '--percent', '20'])).code).to.equal(0);
    expect(filters()).to.deep.equal([[], [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'reviews-v2', port: 9080 }, percent: 20 } }]]);
    expect((await run(fake, ['mirror', 'reviews', 'v2', '--percent', '12.5'])).code).to.equal(0);
    expect(filters()[1]).to.deep.equal([{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'reviews-v2', port: 9080 }, fraction: { numerator: 12500, denominator: 100000 } } }]);
    expect((await run(fake, ['mirror', 'reviews', '--off'])).code).to.equal(0);
    expect(filters()).to.deep.equal([[], []]);
    await run(fake, ['mirror', 'reviews', 'v2']);
    expect((await run(fake, ['rollback', 'reviews'])).code).to.equal(0);
    expect(filters()).to.deep.equal([[], []]);
  });

  it('canary over the route: the Deployment and its version Service (the parent\'s ports, the version label), then --delete takes the route off it first', async () => {
    const base = readYaml(`apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v1, namespace: shop, labels: {app: reviews, version: v1}}
spec:
  replicas: 1
  selector: {matchLabels: {app: reviews, version: v1}}
  template:
    metadata: {labels: {app: reviews, version: v1}}
    spec: {containers: [{name: reviews, image: reviews:1}]}`) as KubeObject[];
    const fake = mesh(base.map((o) => JSON.stringify(o)).join('\n---\n'));
    const created = await run(fake, ['canary', 'reviews-v1', '--image', 'reviews:3', '--version', 'v3']);
    expect(created.code, created.stderr).to.equal(0);
    expect(created.stdout).to.contain('service/reviews-v3 created').and.to.contain('deployment.apps/reviews-v3 created');
    const svc = fake.serviceObjects.find((s) => s.metadata.name === 'reviews-v3')!;
    expect(svc['spec']).to.deep.equal({ selector: { app: 'reviews', version: 'v3' }, ports: [{ port: 9080, name: 'http' }] });
    expect(fake.log.slice(0, 2)).to.deep.equal(['create services/shop/reviews-v3', 'create deployments/shop/reviews-v3']);
    expect((await run(fake, ['set-weight', 'reviews', 'v3=10'])).code).to.equal(0);
    expect(backends(fake, 1)).to.equal('reviews-v1=90 reviews-v3=10');

    fake.log.length = 0;
    const removed = await run(fake, ['canary', 'reviews-v1', '--version', 'v3', '--delete']);
    expect(removed.code, removed.stderr).to.equal(0);
    // Make before break, backwards: the route first, then the version Service, then the pods.
    expect(fake.log).to.deep.equal(['replace httproutes/shop/reviews', 'delete services/shop/reviews-v3', 'delete deployments/shop/reviews-v3']);
    expect(backends(fake, 1)).to.equal('reviews-v1=100');
  });

  it('a lane over two services routed by HTTPRoutes: the lane\'s rule where the canary version exists, a fallback where not; status and delete', async () => {
    const objects = ['mocka', 'mockb'].flatMap((svc) => [
      `apiVersion: v1\nkind: Service\nmetadata: {name: ${svc}, namespace: shop}\nspec: {selector: {app: ${svc}}, ports: [{port: 9090, name: grpc}]}`,
      `apiVersion: v1\nkind: Service\nmetadata: {name: ${svc}-base, namespace: shop}\nspec: {selector: {app: ${svc}, version: base}, ports: [{port: 9090, name: grpc}]}`,
      `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: ${svc}, namespace: shop}\nspec:\n  parentRefs: [{group: "", kind: Service, name: ${svc}, port: 9090}]\n  rules:\n  - backendRefs: [{name: ${svc}-base, port: 9090}]`,
    ]).concat(['apiVersion: v1\nkind: Service\nmetadata: {name: mocka-canary, namespace: shop}\nspec: {selector: {app: mocka, version: canary}, ports: [{port: 9090, name: grpc}]}']);
    const fake = new FakeCluster('shop', readYaml(objects.join('\n---\n')) as KubeObject[]);
    fake.served.set(GATEWAY_API_VERSION, ['httproutes', 'grpcroutes']);
    fake.pods.push({ namespace: 'shop', name: 'mocka-canary-1', labels: { app: 'mocka', version: 'canary' }, ready: true });
    const created = await run(fake, ['lane', 'create', 'gray', '--header', 'my-request-id=canary', '--services', 'mocka,mockb']);
    expect(created.code, created.stderr).to.equal(0);
    expect(created.stderr).to.contain('mockb has no version Service mockb-canary; marked requests stay on its default rules');
    const rulesOf = (name: string) => (fake.httpRoutes.find((r) => r.metadata.name === name)!['spec'] as { rules: Array<{ name?: string; matches?: unknown[]; backendRefs: Array<{ name: string }> }> }).rules;
    expect(rulesOf('mocka').map((r) => `${r.name ?? '-'}:${r.backendRefs.map((b) => b.name).join(',')}`)).to.deep.equal(['gray-lane-gray:mocka-canary', '-:mocka-base']);
    expect(rulesOf('mocka')[0]!.matches).to.deep.equal([{ headers: [{ name: 'my-request-id', value: 'canary' }] }]);
    expect(rulesOf('mockb').map((r) => r.name ?? '-')).to.deep.equal(['-']);
    const status = await run(fake, ['lane', 'status', 'gray', '-o', 'json']);
    expect(status.code, status.stderr).to.equal(0);
    const hops = (JSON.parse(status.stdout) as { hops: Array<{ hop: number; service: string; subset: string; ready: string; state: string }> }).hops;
    expect(hops.map((h) => `${h.hop} ${h.service} ${h.subset} ${h.ready} ${h.state}`)).to.deep.equal([
      '1 mocka mocka-canary 1/1 on canary', '2 mockb (default) - falls back to the default route',
    ]);
    const deleted = await run(fake, ['lane', 'delete', 'gray']);
    expect(deleted.code, deleted.stderr).to.equal(0);
    expect(rulesOf('mocka').map((r) => r.name ?? '-')).to.deep.equal(['-']);
    expect(fake.httpRoutes.every((r) => !r.metadata.annotations?.['lane.kubectl-gray.io/gray'])).to.equal(true);
  });

  it('Istio\'s Bookinfo Gateway API samples (traffic shifting and request routing), each reached by one command from all-on-v1', async () => {
    const v1 = () => {
      const fake = new FakeCluster('bookinfo', readYaml([
        ...['reviews', 'reviews-v1', 'reviews-v2', 'reviews-v3'].map((name) => `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: bookinfo}\nspec: {ports: [{port: 9080, name: http}]}`),
        'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: reviews, namespace: bookinfo}\nspec:\n  parentRefs: [{group: "", kind: Service, name: reviews, port: 9080}]\n  rules:\n  - backendRefs: [{name: reviews-v1, port: 9080}]',
      ].join('\n---\n')) as KubeObject[]);
      fake.served.set(GATEWAY_API_VERSION, ['httproutes', 'grpcroutes']);
      return fake;
    };
    // Each sample as the rules it ends with: [matches, backend=share ...] per rule.
    const rules = (fake: FakeCluster) => (fake.httpRoutes[0]!['spec'] as { rules: Array<{ matches?: unknown[]; backendRefs: Array<{ name: string; weight?: number }> }> }).rules
      .map((r) => [JSON.stringify(r.matches ?? []), ...r.backendRefs.map((b) => `${b.name}=${b.weight ?? 1}`)]);
    const samples: Array<[string, string[], string[][]]> = [
      ['route-reviews-90-10', ['set-weight', 'reviews', 'v2=10'], [['[]', 'reviews-v1=90', 'reviews-v2=10']]],
      ['route-reviews-50-v3', ['set-weight', 'reviews', 'v3=50'], [['[]', 'reviews-v1=50', 'reviews-v3=50']]],
      ['route-reviews-v3', ['switch', 'reviews', 'v3'], [['[]', 'reviews-v3=100']]],
      ['the request-routing task: jason on v2, everyone else on v1', ['match-header', 'reviews', 'end-user=jason', '--subset', 'v2'],
        [['[{"headers":[{"name":"end-user","value":"jason"}]}]', 'reviews-v2=1'], ['[]', 'reviews-v1=1']]],
    ];
    for (const [sample, command, expected] of samples) {
      const fake = v1();
      const r = await run(fake, command);
      expect(r.code, `${sample}: ${r.stderr}`).to.equal(0);
      expect(rules(fake), sample).to.deep.equal(expected);
    }
  });

  it('a route that names the Service without group "": status says istiod ignores it (exit 3), an edit is refused naming the fix', async () => {
    const fake = mesh();
    const parents = (fake.httpRoutes[0]!['spec'] as { parentRefs: Array<Record<string, unknown>> }).parentRefs;
    parents[0]!['group'] = 'gateway.networking.k8s.io';
    delete (fake.httpRoutes[0] as { status?: unknown }).status;
    const s2 = await run(fake, ['status', 'reviews']);
    expect(s2.code).to.equal(3);
    expect(s2.stdout).to.contain('names Service reviews as its parent without group "" (stored as gateway.networking.k8s.io): istiod ignores it');
    expect(s2.stdout).to.contain('GRAY605 route-parent-group');
    const edit = await run(fake, ['set-weight', 'reviews', 'v2=10']);
    expect(edit.code).to.not.equal(0);
    expect(edit.stderr).to.contain('write group: "" beside kind: Service');
    expect(fake.log).to.deep.equal([]);
  });
});
