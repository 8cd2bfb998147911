// Every command over every real-world layout in test/fixtures/shapes: exit codes, the invariants
// (nothing the command does not own changes, edited routes total 100, the rules still pass), and what
// each layout makes special, stated exactly.
import { expect } from 'chai';
import { STABLE_ANNOTATION } from '../../core/history.js';
import type { DestinationRule, HTTPRoute, VirtualService } from '../../core/model.js';
import { objectKey } from '../../core/model.js';
import { readFileSync } from 'node:fs';
import { fixturePath } from '../support/fixtures.js';
import { run } from '../support/run.js';
import { SHAPES, type Shape, expectInvariants, shapeCluster, snapshot } from '../support/shapes.js';
import type { FakeCluster } from '../support/fake-cluster.js';

const vs = (fake: FakeCluster, key: string) => fake.virtualServices.find((v) => objectKey(v) === key) as VirtualService;
const http = (fake: FakeCluster, key: string) => structuredClone(vs(fake, key).spec.http ?? []);
const rule = (fake: FakeCluster, key: string) => fake.destinationRules.find((d) => objectKey(d) === key) as DestinationRule;

async function ok(fake: FakeCluster, shape: Shape, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const r = await run(fake, [...args, '-n', shape.namespace]);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(0);
  return r;
}

async function withCanary(shape: Shape): Promise<FakeCluster> {
  const fake = shapeCluster(shape);
  await ok(fake, shape, ['canary', shape.base, '--image', 'registry.local/next:2', '--subset', shape.canary, ...(shape.canaryFlags ?? [])]);
  return fake;
}

const weightArgs = (shape: Shape, percent: number) => ['set-weight', shape.service, `${shape.canary}=${percent}`, ...(shape.bare ? ['--base', shape.stable] : [])];

describe('real-world layouts: every command over every shape', () => {
  for (const shape of SHAPES) {
    describe(shape.file, () => {
      it('analyze finds nothing wrong with the layout as written', async () => {
        const text = readFileSync(fixturePath(`shapes/${shape.file}`), 'utf8');
        const r = await run(undefined, ['analyze', shape.file, '-n', shape.namespace], { [shape.file]: text });
        expect([r.code, r.stdout.split('\n').filter((l) => /^Error/.test(l))], r.stdout).to.deep.equal([0, []]);
      });

      it('status shows every way in, and exits 0 with ready pods', async () => {
        const fake = shapeCluster(shape);
        const r = await ok(fake, shape, ['status', shape.service]);
        for (const key of shape.entries) expect(r.stdout).to.contain(`VirtualService ${key}`);
        const json = JSON.parse((await run(fake, ['status', shape.service, '-n', shape.namespace, '-o', 'json'])).stdout);
        const models = Array.isArray(json) ? json : [json];
        expect(models.map((m: { namespace: string; virtualService: string }) => `${m.namespace}/${m.virtualService}`).sort()).to.deep.equal([...shape.entries].sort());
      });

      it('canary adds the subset in the layout\'s DestinationRule first, then the workload; --delete restores it exactly', async () => {
        const fake = shapeCluster(shape);
        const before = snapshot(fake);
        const r = await ok(fake, shape, ['canary', shape.base, '--image', 'registry.local/next:2', '--subset', shape.canary, ...(shape.canaryFlags ?? [])]);
        expect(fake.log.map((l) => l.split(' ')[1]!.split('/')[0])).to.deep.equal(['destinationrules', 'deployments']);
        expect(r.stdout).to.match(/^destinationrule\.networking\.istio\.io\/\S+ configured\ndeployment\.apps\/\S+ created\n$/);
        expectInvariants(shape, before, fake, { destinationRules: true });
        await ok(fake, shape, ['canary', shape.base, '--delete', '--subset', shape.canary, ...(shape.canaryFlags ?? []).filter((f, i, a) => f === '--version' || a[i - 1] === '--version')]);
        expect(fake.destinationRules.map((d) => d.spec)).to.deep.equal(before.others.filter((o) => o.kind === 'DestinationRule').map((o) => o['spec']));
        expect([...fake.others.keys()].filter((k) => k.startsWith('deployments/'))).to.have.length(before.others.filter((o) => o.kind === 'Deployment').length);
      });

      it('set-weight edits every general route to the service on every way in, and nothing else', async () => {
        const fake = await withCanary(shape);
        const before = snapshot(fake);
        await ok(fake, shape, weightArgs(shape, 10));
        expectInvariants(shape, before, fake);
        for (const key of shape.entries) expect(vs(fake, key).metadata.annotations?.[STABLE_ANNOTATION], key).to.equal(shape.stable);
        // Again: nothing to change.
        const writes = fake.writes.length;
        await ok(fake, shape, weightArgs(shape, 10));
        expect(fake.writes.length).to.equal(writes);
      });

      it('switch, mirror and rollback keep the invariants and come back to the stable subset', async () => {
        const fake = await withCanary(shape);
        const before = snapshot(fake);
        await ok(fake, shape, weightArgs(shape, 30));
        await ok(fake, shape, ['mirror', shape.service, shape.canary, '--percent', '20']);
        expectInvariants(shape, before, fake);
        await ok(fake, shape, ['switch', shape.service, shape.canary]);
        expectInvariants(shape, before, fake);
        await ok(fake, shape, ['rollback', shape.service, '--to', shape.stable]);
        expectInvariants(shape, before, fake);
        for (const key of shape.entries) {
          for (const r of vs(fake, key).spec.http ?? []) expect(JSON.stringify(r)).to.not.contain(`"subset":"${shape.canary}"`);
        }
      });

      it('match-header and match-cookie put their route before each general route; rollback takes them out', async () => {
        const fake = await withCanary(shape);
        const before = snapshot(fake);
        await ok(fake, shape, ['match-header', shape.service, 'x-canary=yes', '--subset', shape.canary]);
        await ok(fake, shape, ['match-cookie', shape.service, 'canary=1', '--subset', shape.canary]);
        expectInvariants(shape, before, fake);
        for (const key of shape.entries) {
          const routes = vs(fake, key).spec.http ?? [];
          const ours = routes.findIndex((r) => r.name?.startsWith('gray-'));
          expect(ours, key).to.be.at.least(0);
          // Every marked route comes before the first route to the service that has no mark.
          const general = routes.findIndex((r, i) => i > ours && !r.name?.startsWith('gray-') && JSON.stringify(r).includes(shape.service) && !JSON.stringify(r.match ?? []).includes('headers'));
          expect(general, key).to.be.greaterThan(ours);
        }
        await ok(fake, shape, ['rollback', shape.service, '--to', shape.stable]);
        for (const key of shape.entries) expect(http(fake, key).some((r: HTTPRoute) => r.name?.startsWith('gray-'))).to.equal(false);
      });

      it('lane create plans every way in; lane delete restores the specs exactly', async () => {
        const fake = await withCanary(shape);
        const before = snapshot(fake);
        await ok(fake, shape, ['lane', 'create', 'gray', '--header', 'my-request-id=canary', '--services', shape.service, '--subset', shape.canary]);
        expectInvariants(shape, before, fake);
        const status = await run(fake, ['lane', 'status', 'gray', '-n', shape.namespace, '-o', 'json']);
        expect(JSON.parse(status.stdout).hops.length).to.equal(shape.entries.length);
        await ok(fake, shape, ['lane', 'delete', 'gray']);
        for (const key of shape.entries) expect(http(fake, key)).to.deep.equal(before.virtualServices.find((v) => objectKey(v) === key)!.spec.http);
      });

      it('history and undo cover every VirtualService the change touched', async () => {
        const fake = await withCanary(shape);
        const before = snapshot(fake);
        await ok(fake, shape, weightArgs(shape, 10));
        const h = await ok(fake, shape, ['history', shape.service]);
        expect(h.stdout).to.contain(`set-weight ${shape.canary}=10`);
        await ok(fake, shape, ['undo', shape.service]);
        for (const key of shape.entries) expect(http(fake, key)).to.deep.equal(before.virtualServices.find((v) => objectKey(v) === key)!.spec.http);
      });

      it('--dry-run=client prints one diff per VirtualService and writes nothing', async () => {
        const fake = await withCanary(shape);
        const writes = fake.writes.length;
        const r = await ok(fake, shape, [...weightArgs(shape, 10), '--dry-run=client']);
        for (const key of shape.entries) expect(r.stdout).to.contain(`+++ virtualservice.networking.istio.io/${key.split('/')[1]} (${key.split('/')[0]}) (planned)`);
        expect(fake.writes.length).to.equal(writes);
      });
    });
  }

  describe('what each layout makes special', () => {
    it('gateway "*": new destinations keep the port the route uses', async () => {
      const shape = SHAPES[0]!;
      const fake = await withCanary(shape);
      await ok(fake, shape, weightArgs(shape, 10));
      expect(http(fake, 'shop/vs-gateway')[0]!.route).to.deep.equal([
        { destination: { host: 'mocka', subset: 'version-base', port: { number: 8080 } }, weight: 90 },
        { destination: { host: 'mocka', port: { number: 8080 }, subset: 'version-canary' }, weight: 10 },
      ]);
      expect(rule(fake, 'shop/dr-mocka').spec.subsets).to.deep.equal([
        { name: 'version-base', labels: { version: 'base' } },
        { name: 'version-canary', labels: { version: 'canary', 'istio.service.tag': 'gray' } },
      ]);
      const canary = fake.others.get('deployments/shop/mocka-canary') as unknown as { spec: { selector: unknown } };
      expect(canary.spec.selector).to.deep.equal({ matchLabels: { app: 'mocka', version: 'canary' } });
    });

    it('canary of a base selecting by app only: one warning saying why it is safe', async () => {
      const shape = SHAPES[0]!;
      const fake = shapeCluster(shape);
      const r = await run(fake, ['canary', 'mocka-base', '--image', 'x:2', '--subset', 'version-canary', '-n', 'shop']);
      expect(r.stderr.trim().split('\n')).to.have.length(1);
      expect(r.stderr).to.contain('Warning: Deployment shop/mocka-base selects pods by app=mocka, which also matches the canary\'s pods. That is safe: a ReplicaSet adopts only pods that have no controller');
    });

    it('Bookinfo gateway: a route to the bare host needs --base; path matches and the port are kept', async () => {
      const shape = SHAPES[1]!;
      const fake = await withCanary(shape);
      const bare = await run(fake, ['set-weight', 'productpage', 'v2=10', '-n', 'bookinfo']);
      expect(bare.code).to.equal(2);
      expect(bare.stderr).to.contain('VirtualService bookinfo/bookinfo spec.http[0] sends productpage.bookinfo.svc.cluster.local traffic to the bare host (every version\'s pods), so the rest of the traffic has no subset to stay on; name it with --base SUBSET');
      await ok(fake, shape, ['set-weight', 'productpage', 'v2=10', '--base', 'v1']);
      const route = http(fake, 'bookinfo/bookinfo')[0]!;
      expect(route.match).to.have.length(5);
      expect(route.route).to.deep.equal([
        { destination: { host: 'productpage', port: { number: 9080 }, subset: 'v1' }, weight: 90 },
        { destination: { host: 'productpage', port: { number: 9080 }, subset: 'v2' }, weight: 10 },
      ]);
      await ok(fake, shape, ['match-header', 'productpage', 'end-user=jason', '--subset', 'v2']);
      const marked = http(fake, 'bookinfo/bookinfo')[0]!;
      expect(marked.match![0]).to.deep.equal({ uri: { exact: '/productpage' }, headers: { 'end-user': { exact: 'jason' } } });
      expect(marked.match).to.have.length(5);
    });

    it('mesh + domain: the hand-written header route stays; in a split route only the service\'s share moves', async () => {
      const shape = SHAPES[2]!;
      const fake = await withCanary(shape);
      const jason = http(fake, 'shop/web-routes')[0];
      const r = await ok(fake, shape, ['status', 'web']);
      expect(r.stdout).to.contain('VirtualService shop/web-routes   hosts: web, shop.example.com   via: mesh, gateway istio-system/public-gateway');
      expect(r.stdout).to.contain('set-weight/switch/mirror/rollback edit: http[1], http[2]; left alone: http[0] (targeted)');
      await ok(fake, shape, ['set-weight', 'web', 'canary=10']);
      const routes = http(fake, 'shop/web-routes');
      expect(routes[0]).to.deep.equal(jason);
      expect(routes[1]!.route).to.deep.equal([
        { destination: { host: 'web', subset: 'v1' }, weight: 72 },
        { destination: { host: 'web', subset: 'canary' }, weight: 8 },
        { destination: { host: 'legacy.shop.svc.cluster.local' }, weight: 20 },
      ]);
      expect(routes[2]!.route).to.deep.equal([{ destination: { host: 'web', subset: 'v1' }, weight: 90 }, { destination: { host: 'web', subset: 'canary' }, weight: 10 }]);
      // A mirror would copy legacy's requests too: that route is left, and the user is told.
      const m = await ok(fake, shape, ['mirror', 'web', 'canary']);
      expect(m.stderr).to.contain('Note: VirtualService shop/web-routes spec.http[1] also sends to other services; not mirrored');
      // --route picks a targeted route explicitly.
      await ok(fake, shape, ['switch', 'web', 'canary', '--route', 'jason']);
      expect(http(fake, 'shop/web-routes')[0]!.route).to.deep.equal([{ destination: { host: 'web', subset: 'canary' }, weight: 100 }]);
    });

    it('path routes without a catch-all: the marked route copies the path match and the rewrite; users is untouched', async () => {
      const shape = SHAPES[3]!;
      const fake = await withCanary(shape);
      const users = http(fake, 'shop/api')[1];
      await ok(fake, shape, ['match-header', 'orders', 'x-canary=yes', '--subset', 'canary']);
      const routes = http(fake, 'shop/api');
      expect(routes[0]).to.deep.equal({
        name: 'gray-canary-x-canary-yes',
        match: [{ uri: { prefix: '/orders/' }, headers: { 'x-canary': { exact: 'yes' } } }],
        rewrite: { uri: '/' },
        route: [{ destination: { host: 'orders', port: { number: 8080 }, subset: 'canary' } }],
      });
      expect(routes[2]).to.deep.equal(users);
    });

    it('delegate: the child is the way in, through the root\'s gateway; its tester route is left alone', async () => {
      const shape = SHAPES[4]!;
      const fake = await withCanary(shape);
      const r = await ok(fake, shape, ['status', 'reviews']);
      expect(r.stdout).to.contain('VirtualService shop/reviews-child   hosts: (delegate)   via: delegate of istio-system/edge (gateway istio-system/public-gateway)');
      await ok(fake, shape, ['set-weight', 'reviews', 'canary=25']);
      const routes = http(fake, 'shop/reviews-child');
      expect(routes[0]!.name).to.equal('testers');
      expect(routes[0]!.route).to.deep.equal([{ destination: { host: 'reviews.shop.svc.cluster.local', subset: 'v2' } }]);
      expect(routes[1]!.route!.map((d) => [d.destination.subset, d.weight])).to.deep.equal([['v1', 75], ['canary', 25]]);
      expect(vs(fake, 'istio-system/edge').spec).to.deep.equal(fake.virtualServices.find((v) => v.metadata.name === 'edge')!.spec);
    });

    it('root-namespace DestinationRule: canary edits it there; the cross-namespace gateway and tcp/tls routes', async () => {
      const shape = SHAPES[5]!;
      const fake = await withCanary(shape);
      expect(rule(fake, 'istio-system/ratings-global').spec.subsets!.map((s) => s.name)).to.deep.equal(['version-base', 'version-canary']);
      const r = await ok(fake, shape, ['status', 'ratings']);
      expect(r.stdout).to.contain('Traffic to ratings: 2 way(s) in');
      expect(r.stdout).to.contain('frontend/frontend-edge   gateway istio-system/public-gateway   http[0] general, spec.tls[0]');
      await ok(fake, shape, ['set-weight', 'ratings', 'version-canary=5']);
      expect(http(fake, 'frontend/frontend-edge')[0]!.route!.map((d) => [d.destination.subset, d.weight])).to.deep.equal([['version-base', 95], ['version-canary', 5]]);
      expect(vs(fake, 'shop/ratings').spec.tcp).to.deep.equal([{ match: [{ port: 9900 }], route: [{ destination: { host: 'ratings', port: { number: 9900 } } }] }]);
    });
  });
});
