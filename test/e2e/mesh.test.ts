// Istio in the loop: istiod (built from its module, beside the cluster) translates what kubectl gray
// writes, and proxyless gRPC clients route real calls to real pods with it. Each check sends calls with
// test/cluster/traffic and counts which version answered: the split a command asked for is the split seen.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildCorpus } from '../support/corpus.js';
import { fixturePath } from '../support/fixtures.js';
import { analyzeIstioVerdict, istiodVerdict } from '../support/oracle.js';
import { CLUSTER_DIR, CLUSTER_SCRIPTS, apply, eventually, freshNamespace, k, kubectl, waitForPods } from '../support/kubectl.js';

const run = promisify(execFile);
const BOOKINFO = readFileSync(fixturePath('bookinfo.yaml'), 'utf8');
const CHAIN = readFileSync(fixturePath('mesh-chain.yaml'), 'utf8');
const WORKLOAD = 'registry.local/gray-workload:dev';
const gray = (ns: string, ...args: string[]) => kubectl(['gray', ...args, '-n', ns]);

/** What istiod sends a node (test/cluster/xds-dump): listeners with their HTTP filters, routes with their mirrors. */
interface XdsDump {
  listeners?: Array<{ name: string; filterChains: Array<{ httpFilters?: string[] }> }>;
  routes?: Array<{ virtualHosts: Array<{ routes: Array<{ mirrors?: Array<{ cluster: string; percent: number }>; weightedClusters?: Array<{ name: string; weight: number }> }> }> }>;
}
async function xdsDump(ns: string, ...args: string[]): Promise<XdsDump> {
  const { stdout } = await run(join(CLUSTER_SCRIPTS, 'xds-dump'), ['-n', ns, '-o', 'json', ...args], { env: { ...process.env, CLUSTER_DIR }, maxBuffer: 64 << 20 });
  return JSON.parse(stdout) as XdsDump;
}
const mirrorsOf = (d: XdsDump) => (d.routes ?? []).flatMap((rc) => rc.virtualHosts.flatMap((vh) => vh.routes.flatMap((r) => r.mirrors ?? [])));
const httpFiltersOf = (d: XdsDump, listener: string) => d.listeners?.find((l) => l.name === listener)?.filterChains.flatMap((c) => c.httpFilters ?? []) ?? [];

interface Traffic { calls: number; ok: number; errors: number; versions: Record<string, number>; chains: Record<string, number>; firstError?: string }

/** N calls to SERVICE through istiod from a fresh xDS client (a new client gets the current routes). */
async function traffic(ns: string, service: string, count: number, headers: string[] = []): Promise<Traffic> {
  const args = [service, '-n', ns, '--count', String(count), '-o', 'json', ...headers.flatMap((h) => ['-H', h])];
  try {
    const { stdout } = await run(join(CLUSTER_SCRIPTS, 'traffic'), args, { env: { ...process.env, CLUSTER_DIR }, maxBuffer: 16 << 20 });
    return JSON.parse(stdout) as Traffic;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    if (e.stdout?.trim().startsWith('{')) return JSON.parse(e.stdout) as Traffic; // exit 1: no call succeeded
    throw new Error(`traffic ${args.join(' ')}: ${e.stderr ?? err}`);
  }
}

const percent = (t: Traffic, version: string) => (100 * (t.versions[version] ?? 0)) / t.calls;

/** The splits istiod sends a sidecar for a service's host: one subset -> weight map per route that splits. */
async function splitsSent(ns: string, service: string): Promise<Array<Record<string, number>>> {
  const host = `${service}.${ns}.svc.cluster.local`;
  const dump = await xdsDump(ns, '--node', 'sidecar', '--labels', 'app=probe', '--type', 'rds');
  return (dump.routes ?? []).flatMap((rc) => rc.virtualHosts.flatMap((vh) => vh.routes)).map((r) => Object.fromEntries(
    (r.weightedClusters ?? []).filter((w) => w.name.endsWith(`|${host}`) && w.weight > 0).map((w) => [w.name.split('|')[2]!, w.weight]),
  )).filter((split) => Object.keys(split).length > 0);
}

/**
 * The calls follow `want` (version -> percent). istiod pushes a change about 0.3-1 s after it is written, and a
 * client made after that sees it. An all-or-nothing split is exact once pushed: calls are retried until they all
 * land where asked. A weighted split is first seen in what istiod sends (test/cluster/xds-dump), then judged on one
 * sample of `count` calls: each version's share must be within 4 standard deviations of a binomial sample of that
 * size (4 x sqrt(p(1-p)/n): +-2.7 points at 10 % over 2,000 calls, +-4.5 at 50 %); a split 5 points off fails, and
 * a correct one fails about once in 16,000 checks.
 */
async function splitSettles(ns: string, service: string, want: Record<string, number>, count = 2000, headers: string[] = []): Promise<Traffic> {
  const weighted = Object.values(want).some((share) => share > 0 && share < 100);
  const judge = (t: Traffic) => {
    expect(t.errors, t.firstError).to.equal(0);
    for (const [version, share] of Object.entries(want)) {
      const p = share / 100;
      const tolerance = 400 * Math.sqrt((p * (1 - p)) / t.calls);
      expect(Math.abs(percent(t, version) - share), `${version}: ${JSON.stringify(t.versions)} over ${t.calls} calls (tolerance ${tolerance.toFixed(1)} points)`).to.be.at.most(tolerance);
    }
    return t;
  };
  if (!weighted) return eventually(async () => judge(await traffic(ns, service, count, headers)), 90_000, 500);
  const asked = Object.fromEntries(Object.entries(want).filter(([, share]) => share > 0));
  await eventually(async () => expect(await splitsSent(ns, service)).to.deep.include(asked), 90_000, 500);
  return judge(await traffic(ns, service, count, headers));
}

/** Bookinfo's reviews without Istio's objects (one model per Service), for the Gateway API's tests. */
const REVIEWS = BOOKINFO.split(/^---$/m).filter((d) => /kind: (Service|Deployment)/.test(d) && /name: reviews/.test(d)).join('---');

/** A Service per version of reviews, as Istio's Gateway API samples name them (reviews-v1, ...). */
const versionServices = (versions: string[]) => versions.map((v) => `apiVersion: v1\nkind: Service\nmetadata: {name: reviews-${v}}\n`
  + `spec: {selector: {app: reviews, version: ${v}}, ports: [{name: grpc, port: 9080, targetPort: 9090, appProtocol: grpc}]}`).join('\n---\n');

/** A lane over mocka and mockb holds: 1,000 marked calls through both canaries to mockc's base, 1,000 unmarked all on base. */
async function laneHolds(ns: string): Promise<void> {
  const marked = await eventually(async () => {
    const t = await traffic(ns, 'mocka', 1000, ['my-request-id:canary']);
    expect(t.errors, t.firstError).to.equal(0);
    expect(t.chains).to.deep.equal({ 'mocka:canary > mockb:canary > mockc:base': 1000 });
    return t;
  }, 90_000, 500);
  expect(marked.ok).to.equal(1000);
  const unmarked = await traffic(ns, 'mocka', 1000);
  expect(unmarked.errors, unmarked.firstError).to.equal(0);
  expect(unmarked.chains).to.deep.equal({ 'mocka:base > mockb:base > mockc:base': 1000 });
}

describe('e2e: Istio in the loop, traffic through istiod to real pods', function () {
  this.timeout(300_000); // thousands of calls per step, on pods that start on a busy node

  it('set-weight 10 -> 50 -> 100, switch, match-header, match-cookie, rollback and undo: the calls follow', async () => {
    const ns = await freshNamespace('mesh');
    await apply(ns, BOOKINFO);
    await waitForPods(ns, 'app=reviews', 3);
    await splitSettles(ns, 'reviews', { v1: 100 }, 500);

    for (const [v2, v1] of [[10, 90], [50, 50], [100, 0]] as const) {
      const r = await gray(ns, 'set-weight', 'reviews', `v2=${v2}`);
      expect(r.code, r.stderr).to.equal(0);
      await splitSettles(ns, 'reviews', { v1, v2 });
    }
    expect((await gray(ns, 'switch', 'reviews', 'v3')).code).to.equal(0);
    await splitSettles(ns, 'reviews', { v3: 100 }, 500);

    expect((await gray(ns, 'match-header', 'reviews', 'end-user=jason', '--subset', 'v2')).code).to.equal(0);
    expect((await gray(ns, 'match-cookie', 'reviews', 'canary=true', '--subset', 'v1')).code).to.equal(0);
    await splitSettles(ns, 'reviews', { v2: 100 }, 500, ['end-user:jason']);
    await splitSettles(ns, 'reviews', { v1: 100 }, 500, ['cookie:theme=dark; canary=true']);
    await splitSettles(ns, 'reviews', { v3: 100 }, 500); // unmarked calls unchanged

    // Rollback: the match routes go and everything returns to the stable subset recorded when the release began.
    expect((await gray(ns, 'rollback', 'reviews')).code).to.equal(0);
    await splitSettles(ns, 'reviews', { v1: 100 }, 500, ['end-user:jason']);
    // Undo the rollback: the split from before it (v3 for everyone, jason on v2) is back.
    const undo = await gray(ns, 'undo', 'reviews');
    expect(undo.code, undo.stderr).to.equal(0);
    await splitSettles(ns, 'reviews', { v3: 100 }, 500);
    await splitSettles(ns, 'reviews', { v2: 100 }, 500, ['end-user:jason']);
  });

  it('Gateway API: an HTTPRoute with Service parent reviews; set-weight 10, the refusals, match-header, rollback, undo, match-cookie, history, switch, mirror in what istiod sends, status reads istiod\'s verdict, and the silent trap', async () => {
    const ns = await freshNamespace('gamma');
    // Bookinfo's reviews without its VirtualService and DestinationRule (one model per Service), a Service per
    // version (as Istio's Gateway API samples name them), and a route that sends everything to v1.
    const versions = versionServices(['v1', 'v2', 'v3']);
    const route = (rules: string, parent = '{group: "", kind: Service, name: reviews, port: 9080}') =>
      `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: reviews}\nspec:\n  parentRefs: [${parent}]\n  rules:\n${rules}`;
    const toV1 = '  - backendRefs: [{name: reviews-v1, port: 9080}]';
    await apply(ns, `${REVIEWS}\n---\n${versions}`);
    await apply(ns, route(toV1));
    await waitForPods(ns, 'app=reviews', 3);
    await splitSettles(ns, 'reviews', { v1: 100 }, 500);

    // istiod accepts the route and says so in its status; kubectl gray status reads it.
    const accepted = await eventually(async () => {
      const r = await gray(ns, 'status', 'reviews');
      expect(r.stdout, r.stderr).to.contain('Istio: Accepted=True, ResolvedRefs=True');
      return r;
    }, 60_000, 500);
    expect(accepted.code, accepted.stderr).to.equal(0);
    expect(accepted.stdout).to.contain('HTTPRoute');

    // 90/10: what istiod sends the clients, then the calls.
    const sent = async () => {
      const dump = await xdsDump(ns, '--node', 'sidecar', '--labels', 'app=probe', '--type', 'rds');
      return (dump.routes ?? []).flatMap((rc) => rc.virtualHosts.flatMap((vh) => vh.routes)).map((r) => Object.fromEntries((r.weightedClusters ?? [])
        .map((w) => [/\|reviews-(v\d)\./.exec(w.name)?.[1] ?? w.name, w.weight]).filter(([, w]) => (w as number) > 0)));
    };
    const canary = await gray(ns, 'set-weight', 'reviews', 'v2=10');
    expect(canary.code, canary.stderr).to.equal(0);
    expect(canary.stdout).to.contain('httproute.gateway.networking.k8s.io/reviews reweighted');
    await eventually(async () => expect(await sent()).to.deep.include({ v1: 90, v2: 10 }), 90_000, 500);
    const split = await traffic(ns, 'reviews', 2000);
    expect(split.errors, split.firstError).to.equal(0);
    expect(Math.abs(percent(split, 'v2') - 10), JSON.stringify(split.versions)).to.be.at.most(400 * Math.sqrt(0.09 / split.calls));
    expect(Object.keys(split.versions).sort()).to.deep.equal(['v1', 'v2']);

    // Guarded: deleting the version Service the route still sends to, and a route to a version with no Service.
    const gone = await kubectl(['delete', 'service', 'reviews-v2', '-n', ns]);
    expect(gone.code).to.not.equal(0);
    expect(gone.stderr).to.contain('GRAY608 version-service-in-use');
    const nine = await kubectl(['apply', '-n', ns, '-f', '-'], { input: route('  - backendRefs: [{name: reviews-v1, port: 9080, weight: 90}, {name: reviews-v9, port: 9080, weight: 10}]') });
    expect(nine.code).to.not.equal(0);
    expect(nine.stderr).to.contain('GRAY601 route-backend-unknown').and.to.contain('gateway.validate.kubectl-gray.io');

    // A header rule by command: marked calls to v3; then rollback (v1, recorded when the release began, for everyone,
    // the marked rule gone) and undo (the marked rule back).
    const jason = await gray(ns, 'match-header', 'reviews', 'end-user=jason', '--subset', 'v3');
    expect(jason.code, jason.stderr).to.equal(0);
    await splitSettles(ns, 'reviews', { v3: 100 }, 300, ['end-user:jason']);
    const rollback = await gray(ns, 'rollback', 'reviews');
    expect(rollback.code, rollback.stderr).to.equal(0);
    await splitSettles(ns, 'reviews', { v1: 100 }, 300, ['end-user:jason']);
    await splitSettles(ns, 'reviews', { v1: 100 }, 300);
    const undo = await gray(ns, 'undo', 'reviews');
    expect(undo.code, undo.stderr).to.equal(0);
    await splitSettles(ns, 'reviews', { v3: 100 }, 300, ['end-user:jason']);
    // match-cookie: calls carrying the cookie to v2.
    expect((await gray(ns, 'match-cookie', 'reviews', 'canary=true', '--subset', 'v2')).code).to.equal(0);
    await splitSettles(ns, 'reviews', { v2: 100 }, 300, ['cookie:theme=dark; canary=true']);
    const history = await gray(ns, 'history', 'reviews');
    expect(history.stdout).to.contain('match-header end-user=jason --subset v3').and.to.contain('rollback').and.to.contain('match-cookie canary=true --subset v2');
    // switch: all unmarked calls to v2 at once, and back by set-weight.
    expect((await gray(ns, 'switch', 'reviews', 'v2')).code).to.equal(0);
    await splitSettles(ns, 'reviews', { v2: 100 }, 300);
    expect((await gray(ns, 'rollback', 'reviews')).code).to.equal(0);
    await splitSettles(ns, 'reviews', { v1: 100 }, 300);

    // mirror: proxyless clients ignore mirrors, so it is checked in what istiod generates from the RequestMirror filter.
    expect((await gray(ns, 'mirror', 'reviews', 'v2', '--percent', '20')).code).to.equal(0);
    const mirrorCluster = `outbound|9080||reviews-v2.${ns}.svc.cluster.local`;
    await eventually(async () => {
      expect(mirrorsOf(await xdsDump(ns, '--node', 'sidecar', '--labels', 'app=probe', '--type', 'rds'))).to.deep.include({ cluster: mirrorCluster, percent: 20 });
    }, 60_000, 500);
    expect((await gray(ns, 'mirror', 'reviews', '--off')).code).to.equal(0);
    await eventually(async () => {
      expect(mirrorsOf(await xdsDump(ns, '--node', 'sidecar', '--labels', 'app=probe', '--type', 'rds'))).to.deep.equal([]);
    }, 60_000, 500);

    // The trap: a Service parent without group "" is stored as gateway.networking.k8s.io; the webhook warns,
    // istiod ignores the route, status says istiod wrote nothing, and the calls go to every version.
    const trap = await kubectl(['apply', '-n', ns, '-f', '-'], { input: route(toV1, '{kind: Service, name: reviews, port: 9080}') });
    expect(trap.code, trap.stderr).to.equal(0);
    expect(trap.stderr).to.contain('GRAY605 route-parent-group');
    const ignored = await gray(ns, 'status', 'reviews');
    expect(ignored.code).to.equal(3);
    expect(ignored.stdout).to.contain('without group "" (stored as gateway.networking.k8s.io): istiod ignores it');
    const silent = await eventually(async () => {
      const t = await traffic(ns, 'reviews', 300);
      expect(Object.keys(t.versions).length).to.be.greaterThan(1);
      return t;
    }, 90_000, 1_000);
    expect(silent.errors).to.equal(0);
  });

  it('Gateway API: a GRPCRoute on the same Service: set-weight 50 seen in what istiod sends and in the calls, status reads its verdict', async () => {
    const ns = await freshNamespace('gamma-grpc');
    const versions = versionServices(['v1', 'v2']);
    await apply(ns, `${REVIEWS}\n---\n${versions}`);
    await apply(ns, 'apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: {name: reviews}\nspec:\n'
      + '  parentRefs: [{group: "", kind: Service, name: reviews, port: 9080}]\n  rules:\n  - backendRefs: [{name: reviews-v1, port: 9080}]');
    await waitForPods(ns, 'app=reviews', 3);
    await splitSettles(ns, 'reviews', { v1: 100 }, 300);
    const r = await gray(ns, 'set-weight', 'reviews', 'v2=50');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('grpcroute.gateway.networking.k8s.io/reviews reweighted');
    await eventually(async () => {
      const dump = await xdsDump(ns, '--node', 'sidecar', '--labels', 'app=probe', '--type', 'rds');
      const weights = (dump.routes ?? []).flatMap((rc) => rc.virtualHosts.flatMap((vh) => vh.routes)).flatMap((x) => x.weightedClusters ?? [])
        .filter((w) => w.name.includes('|reviews-v')).map((w) => w.weight);
      expect(weights).to.deep.equal([50, 50]);
    }, 90_000, 500);
    const split = await traffic(ns, 'reviews', 2000);
    expect(split.errors, split.firstError).to.equal(0);
    expect(Math.abs(percent(split, 'v2') - 50), JSON.stringify(split.versions)).to.be.at.most(400 * Math.sqrt(0.25 / split.calls));
    const status = await eventually(async () => {
      const s2 = await gray(ns, 'status', 'reviews');
      expect(s2.stdout).to.contain('GRPCRoute').and.to.contain('Accepted=True');
      return s2;
    }, 60_000, 500);
    expect(status.code, status.stderr).to.equal(0);
  });

  it('Gateway API: canary makes the version Service; a two-hop lane over HTTPRoutes keeps marked calls on canary, the rest on base', async () => {
    const ns = await freshNamespace('gamma-lane');
    // The chain's Services and base Deployments (no VirtualServices, no DestinationRules), a version Service per base,
    // and an HTTPRoute per hop sending everything to base.
    const plain = CHAIN.split(/^---$/m).filter((d) => /kind: (Service|Deployment)/.test(d)).join('---');
    const routed = ['mocka', 'mockb'].map((svc) => [
      `apiVersion: v1\nkind: Service\nmetadata: {name: ${svc}-base}\nspec: {selector: {app: ${svc}, version: base}, ports: [{name: grpc, port: 9090, targetPort: 9090, appProtocol: grpc}]}`,
      `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: ${svc}}\nspec:\n  parentRefs: [{group: "", kind: Service, name: ${svc}, port: 9090}]\n  rules:\n  - backendRefs: [{name: ${svc}-base, port: 9090}]`,
    ].join('\n---\n')).join('\n---\n');
    await apply(ns, plain);
    await eventually(() => apply(ns, routed), 30_000);
    for (const s of ['mocka', 'mockb']) {
      const r = await gray(ns, 'canary', `${s}-base`, '--image', WORKLOAD);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.contain(`service/${s}-canary created`);
    }
    await waitForPods(ns, 'app in (mocka,mockb)', 4);
    await waitForPods(ns, 'app=mockc', 1);
    const lane = await gray(ns, 'lane', 'create', 'gray', '--header', 'my-request-id=canary', '--services', 'mocka,mockb');
    expect(lane.code, lane.stderr).to.equal(0);
    await laneHolds(ns);
    const status = await gray(ns, 'lane', 'status', 'gray');
    expect(status.code, status.stdout + status.stderr).to.equal(0);
    expect(status.stdout).to.match(/1\s+mocka\s+rules\[0\] gray-lane-gray\s+mocka-canary\s+1\/1\s+on canary/);

    // Deleting the lane, then a canary: the routes are taken off it first, then its version Service and pods go.
    expect((await gray(ns, 'lane', 'delete', 'gray')).code).to.equal(0);
    const gone = await gray(ns, 'canary', 'mockb-base', '--delete');
    expect(gone.code, gone.stderr).to.equal(0);
    expect((await kubectl(['get', 'service', 'mockb-canary', '-n', ns])).code).to.not.equal(0);
    await eventually(async () => {
      const t = await traffic(ns, 'mocka', 300, ['my-request-id:canary']);
      expect(t.errors, t.firstError).to.equal(0);
      expect(t.chains).to.deep.equal({ 'mocka:base > mockb:base > mockc:base': 300 });
    }, 90_000, 500);
  });

  it('Gateway API, the damage: each route the webhook refuses, refused with it on; stored with it opted out, it breaks the calls it names', async () => {
    const ns = await freshNamespace('gamma-damage');
    const versions = versionServices(['v1', 'v2']);
    const route = (rules: string) => `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: reviews}\nspec:\n`
      + `  parentRefs: [{group: "", kind: Service, name: reviews, port: 9080}]\n  rules:\n${rules}`;
    const good = route('  - backendRefs: [{name: reviews-v1, port: 9080, weight: 50}, {name: reviews-v2, port: 9080, weight: 50}]');
    const bad = {
      GRAY601: route('  - backendRefs: [{name: reviews-v1, port: 9080, weight: 50}, {name: reviews-v9, port: 9080, weight: 50}]'),
      GRAY602: route('  - backendRefs: [{name: reviews-v1, port: 9080, weight: 0}, {name: reviews-v2, port: 9080, weight: 0}]'),
      GRAY604: route('  - matches: [{path: {type: PathPrefix, value: /kubectlgray.workload.v1.Workload}}]\n    backendRefs: [{name: reviews-v1, port: 9080}]'),
    };
    await apply(ns, `${REVIEWS}\n---\n${versions}`);
    await apply(ns, good);
    await waitForPods(ns, 'app=reviews', 3);
    const healthy = async () => eventually(async () => {
      const t = await traffic(ns, 'reviews', 200);
      expect([t.ok, t.errors], t.firstError).to.deep.equal([200, 0]);
    }, 90_000, 500);
    await healthy();

    // Guarded: every one refused at the API server with its code, and the calls never notice.
    for (const [code, yaml] of Object.entries(bad)) {
      const r = await kubectl(['apply', '-n', ns, '-f', '-'], { input: yaml });
      expect(r.code, `${code}: ${r.stderr}`).to.not.equal(0);
      expect(r.stderr).to.contain(code);
    }
    const inUse = await kubectl(['delete', 'service', 'reviews-v2', '-n', ns]);
    expect(inUse.stderr).to.contain('GRAY608');
    // A second model for the same Service, from either side: a mesh VirtualService beside the route is refused.
    const meshVs = 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews}\nspec: {hosts: [reviews], http: [{route: [{destination: {host: reviews}}]}]}';
    const second = await kubectl(['apply', '-n', ns, '-f', '-'], { input: meshVs });
    expect(second.code).to.not.equal(0);
    expect(second.stderr).to.contain('GRAY603 route-model-conflict');
    await healthy();

    // Opted out of the webhook: the same changes are stored, istiod serves them, and calls fail.
    await k('label', 'namespace', ns, 'kubectl-gray.io/webhook=disabled');
    const damage = async (what: string, change: () => Promise<void>) => {
      await eventually(change, 30_000);
      const t = await eventually(async () => {
        const sample = await traffic(ns, 'reviews', 200);
        expect(sample.errors, `${what}: ${JSON.stringify(sample.versions)}`).to.be.greaterThan(0);
        return sample;
      }, 90_000, 1_000);
      await apply(ns, `${versions}\n---\n${good}`);
      await healthy();
      return t;
    };
    const store = (yaml: string) => async () => apply(ns, yaml);
    const missing = await damage('a backend with no Service', store(bad.GRAY601));
    expect(missing.ok, 'half of the calls still reach v1').to.be.greaterThan(0);
    const zero = await damage('all weights 0', store(bad.GRAY602));
    expect(zero.ok).to.equal(0);
    const prefix = await damage('a PathPrefix a proxyless client cannot take', store(bad.GRAY604));
    expect(prefix.ok, 'the client drops every route of the Service, this rule\'s and the rest').to.equal(0);
    await damage('the version Service deleted while the route sends to it', async () => {
      const r = await kubectl(['delete', 'service', 'reviews-v2', '-n', ns]);
      if (r.code !== 0 && !r.stderr.includes('NotFound')) throw new Error(r.stderr);
    });
  });

  it('a lane across three hops where one has no canary: marked calls go canary/canary/base, unmarked never touch canary', async () => {
    const ns = await freshNamespace('lane');
    await apply(ns, CHAIN.split(/^---$/m).filter((d) => /kind: DestinationRule/.test(d)).join('---'));
    await eventually(() => apply(ns, CHAIN), 30_000);
    for (const s of ['mocka', 'mockb']) {
      const r = await gray(ns, 'canary', `${s}-base`, '--image', WORKLOAD);
      expect(r.code, r.stderr).to.equal(0);
    }
    await waitForPods(ns, 'app in (mocka,mockb)', 4);
    await waitForPods(ns, 'app=mockc', 1);
    const lane = await gray(ns, 'lane', 'create', 'gray', '--header', 'my-request-id=canary', '--services', 'mocka,mockb,mockc');
    expect(lane.code, lane.stderr).to.equal(0);
    await laneHolds(ns);
  });

  it('the damage: without the webhook a route to an undefined subset fails calls; with it the change is refused and no call fails', async () => {
    const ns = await freshNamespace('damage');
    await apply(ns, BOOKINFO);
    await waitForPods(ns, 'app=reviews', 3);
    await splitSettles(ns, 'reviews', { v1: 100 }, 500);
    const broken = '[{"op":"replace","path":"/spec/http/0/route/0/destination/subset","value":"v9"}]';

    // Guarded: refused at the API server, and the calls never notice.
    const refused = await kubectl(['patch', 'vs', 'reviews', '-n', ns, '--type=json', '-p', broken]);
    expect(refused.code).to.not.equal(0);
    expect(refused.stderr).to.contain('GRAY104 subset-undefined');
    const guarded = await traffic(ns, 'reviews', 500);
    expect([guarded.ok, guarded.errors]).to.deep.equal([500, 0]);

    // Opted out of the webhook: the same change is stored, istiod serves it, and calls fail.
    await k('label', 'namespace', ns, 'kubectl-gray.io/webhook=disabled');
    await eventually(async () => {
      const r = await kubectl(['patch', 'vs', 'reviews', '-n', ns, '--type=json', '-p', broken]);
      if (r.code !== 0) throw new Error(r.stderr);
    }, 30_000);
    const damaged = await eventually(async () => {
      const t = await traffic(ns, 'reviews', 200);
      expect(t.errors).to.be.greaterThan(0);
      return t;
    }, 120_000, 1_000);
    expect(damaged.versions['v1'] ?? 0).to.be.lessThan(damaged.calls);
  });

  it('Istio\'s own validation beside ours: what Istio refuses is refused with Istio\'s message, what only we refuse with ours', async () => {
    const ns = await freshNamespace('validate');
    const vs = (route: string, extra = '') => `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n${route}${extra}`;
    // Our webhook checks Istio's rules too; with it out of the way, Istio's own webhook answers alone.
    const open = await freshNamespace('istio-only');
    await k('label', 'namespace', open, 'kubectl-gray.io/webhook=disabled');
    const istio = await kubectl(['apply', '-n', open, '-f', '-'], { input: vs('    - destination: {host: reviews}\n', '    retries: {attempts: -1}\n') });
    expect(istio.code).to.not.equal(0);
    expect(istio.stderr).to.contain('validation.istio.io');
    const ours = await kubectl(['apply', '-n', ns, '-f', '-'], { input: vs('    - destination: {host: reviews}\n      weight: 60\n    - destination: {host: ratings}\n      weight: 30\n') });
    expect(ours.code).to.not.equal(0);
    expect(ours.stderr).to.contain('istio.validate.kubectl-gray.io');
    expect(ours.stderr).to.contain('GRAY101 weight-total');
    expect(ours.stderr).to.not.contain('validation.istio.io');
  });

  it('analyze agrees with the live istiod on allow/deny over the corpus (a slice; ANALYZE_CORPUS=full for all 5,680)', async function () {
    this.timeout(900_000); // one round trip to istiod's /validate per object
    const port = readFileSync(join(CLUSTER_DIR, 'istiod-webhook-port'), 'utf8').trim();
    process.env['ISTIOD_VALIDATE_CA'] = join(CLUSTER_DIR, 'istiod-certs', 'ca.crt');
    const corpus = buildCorpus();
    const slice = process.env['ANALYZE_CORPUS'] === 'full' ? corpus : corpus.filter((e, i) => e.name.startsWith('classic/') || i % 20 === 0);
    const differences: string[] = [];
    let i = 0;
    for (const e of slice) {
      const ours = analyzeIstioVerdict(e.object);
      const theirs = await istiodVerdict(`https://localhost:${port}/validate`, e.object, `corpus-${i++}`);
      if (ours.verdict !== theirs.verdict) differences.push(`${e.name}: istiod ${theirs.verdict} (${theirs.message.slice(0, 160)}), analyze ${ours.verdict} ${ours.codes.join(',')}`);
    }
    expect(slice.length).to.be.at.least(300);
    expect(differences).to.deep.equal([]);
  });

  // What proxyless gRPC cannot show (it ignores mirrors and never runs Lua) is checked in what istiod sends.
  it('mirror: the route istiod sends a sidecar carries the mirror cluster and percentage, and loses it with --off', async () => {
    const ns = await freshNamespace('mirror');
    await apply(ns, BOOKINFO);
    expect((await gray(ns, 'mirror', 'reviews', 'v2', '--percent', '20')).code).to.equal(0);
    const cluster = `outbound|9080|v2|reviews.${ns}.svc.cluster.local`;
    await eventually(async () => {
      expect(mirrorsOf(await xdsDump(ns, '--node', 'sidecar', '--labels', 'app=probe', '--type', 'rds'))).to.deep.include({ cluster, percent: 20 });
    }, 60_000, 500);
    expect((await gray(ns, 'mirror', 'reviews', '--off')).code).to.equal(0);
    await eventually(async () => {
      expect(mirrorsOf(await xdsDump(ns, '--node', 'sidecar', '--labels', 'app=probe', '--type', 'rds'))).to.deep.equal([]);
    }, 60_000, 500);
  });

  it('color: each rule\'s Lua filter stands just before the router, on gateway listeners only, and is gone after color delete', async () => {
    const ns = await freshNamespace('colour');
    await apply(ns, 'apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  selector: {istio: ingressgateway}\n  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]\n');
    for (const [name, when] of [['pc', 'agent=pc'], ['beta', 'x-beta=1']]) {
      const r = await gray(ns, 'color', name, '--when', when, '--set', 'my-request-id=canary');
      expect(r.code, r.stderr).to.equal(0);
    }
    const gateway = () => xdsDump(ns, '--node', 'router', '--labels', 'istio=ingressgateway', '--type', 'lds');
    await eventually(async () => {
      // Both rules' filters, in either order (istiod orders EnvoyFilters created in the same second as it likes), then the router.
      const last = httpFiltersOf(await gateway(), '0.0.0.0_80').slice(-3);
      expect([[...last.slice(0, 2)].sort(), last[2]]).to.deep.equal([['gray.color.beta', 'gray.color.pc'], 'envoy.filters.http.router']);
    }, 60_000, 500);
    // A sidecar with the same labels gets no Lua: the rule's context is GATEWAY.
    const sidecar = await xdsDump(ns, '--node', 'sidecar', '--labels', 'istio=ingressgateway', '--type', 'lds');
    expect((sidecar.listeners ?? []).flatMap((l) => l.filterChains.flatMap((c) => c.httpFilters ?? [])).filter((f) => f.startsWith('gray.color.'))).to.deep.equal([]);
    for (const name of ['pc', 'beta']) expect((await gray(ns, 'color', 'delete', name)).code).to.equal(0);
    await eventually(async () => {
      expect(httpFiltersOf(await gateway(), '0.0.0.0_80').filter((f) => f.startsWith('gray.color.'))).to.deep.equal([]);
    }, 60_000, 500);
  });
});
