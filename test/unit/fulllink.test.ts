// canary, lane and color through the real CLI against the in-memory cluster: output, order of
// writes (make-before-break), and undo that restores the objects exactly.
import { expect } from 'chai';
import type { DestinationRule } from '../../core/model.js';
import { canaryDeployment } from '../../core/canary.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { loadFixture } from '../support/fixtures.js';
import { run } from '../support/run.js';

const chain = () => new FakeCluster('default', loadFixture('mock-chain.yaml'));
const spec = (fake: FakeCluster, name: string) => structuredClone(fake.vs(name).spec);
const rule = (fake: FakeCluster, name: string) => fake.destinationRules.find((d) => d.metadata.name === name) as DestinationRule;

describe('full-link gray commands', () => {
  describe('canary', () => {
    it('adds the subset before creating the workload, labelled so neither Deployment selects the other', async () => {
      const fake = chain();
      const r = await run(fake, ['canary', 'mocka', '--image', 'registry.local/mocka:2.0']);
      expect(r).to.deep.equal({ code: 0, stderr: '', stdout: 'destinationrule.networking.istio.io/mocka configured\ndeployment.apps/mocka-canary created\n' });
      expect(fake.log).to.deep.equal(['replace destinationrules/default/mocka', 'create deployments/default/mocka-canary']);
      expect(rule(fake, 'mocka').spec.subsets).to.deep.equal([
        { name: 'base', labels: { version: 'base' } },
        { name: 'canary', labels: { version: 'canary', 'istio.service.tag': 'gray' } },
      ]);
      const d = fake.others.get('deployments/default/mocka-canary') as any;
      expect(d.spec.selector.matchLabels).to.deep.equal({ app: 'mocka', version: 'canary' });
      expect(d.spec.template.metadata.labels).to.deep.equal({ app: 'mocka', version: 'canary', 'istio.service.tag': 'gray' });
      expect(d.spec.template.spec.containers[0].image).to.equal('registry.local/mocka:2.0');
      expect(d.spec.replicas).to.equal(1);
      expect(d.metadata.annotations).to.deep.equal({
        'kubectl-gray.io/canary': 'true', 'kubectl-gray.io/version': 'canary', 'kubectl-gray.io/base': 'mocka',
        'kubectl-gray.io/subset': 'canary', 'kubectl-gray.io/destinationrule': 'default/mocka',
      });
      // Again: nothing to do.
      expect((await run(fake, ['canary', 'mocka', '--image', 'registry.local/mocka:2.0'])).stdout)
        .to.equal('destinationrule.networking.istio.io/mocka unchanged\ndeployment.apps/mocka-canary unchanged\n');
    });

    it('accepts a base selecting by app only, and says once why that is safe', () => {
      const base = loadFixture('mock-chain.yaml').find((o) => o.metadata.name === 'mocka' && o.kind === 'Deployment') as any;
      base.spec.selector.matchLabels = { app: 'mocka' };
      const { deployment, warnings } = canaryDeployment(base, { image: 'x', version: 'canary', replicas: 1 });
      expect(deployment.spec.selector).to.deep.equal({ matchLabels: { app: 'mocka', version: 'canary' } });
      expect(warnings).to.deep.equal(['Warning: Deployment default/mocka selects pods by app=mocka, which also matches the canary\'s pods. ' +
        'That is safe: a ReplicaSet adopts only pods that have no controller, and the canary\'s pods belong to the canary\'s ReplicaSet; ' +
        'the canary\'s own selector (app=mocka,version=canary) never matches the base\'s pods.']);
    });

    it('refuses matchExpressions that no canary selector can satisfy, and asks for --container with several', () => {
      const base = loadFixture('mock-chain.yaml').find((o) => o.metadata.name === 'mocka' && o.kind === 'Deployment') as any;
      base.spec.selector = { matchLabels: { app: 'mocka' }, matchExpressions: [{ key: 'istio.service.tag', operator: 'DoesNotExist' }] };
      expect(() => canaryDeployment(base, { image: 'x', version: 'canary', replicas: 1 }))
        .to.throw('Deployment default/mocka spec.selector.matchExpressions (istio.service.tag DoesNotExist) cannot hold for the canary\'s pods');
      base.spec.selector = { matchExpressions: [{ key: 'app', operator: 'In', values: ['mocka'] }, { key: 'version', operator: 'In', values: ['base', 'v1'] }] };
      expect(canaryDeployment(base, { image: 'x', version: 'canary', replicas: 1 }).deployment.spec.selector)
        .to.deep.equal({ matchLabels: { version: 'canary' }, matchExpressions: [{ key: 'app', operator: 'In', values: ['mocka'] }] });
      base.spec.template.spec.containers.push({ name: 'sidecar', image: 'log:1' });
      expect(() => canaryDeployment(base, { image: 'x', version: 'canary', replicas: 1 })).to.throw('runs 2 containers (app, sidecar); say which one gets the new image with --container NAME');
      expect(canaryDeployment(base, { image: 'x', version: 'canary', replicas: 1, container: 'sidecar' }).deployment.spec.template.spec.containers.map((c) => c.image))
        .to.deep.equal(['registry.local/gray-workload:dev', 'x']);
    });

    it('--delete takes routes off first, then the subset, then the workload', async () => {
      const fake = chain();
      const original = structuredClone(rule(fake, 'mocka').spec);
      await run(fake, ['canary', 'mocka', '--image', 'registry.local/mocka:2.0']);
      await run(fake, ['set-weight', 'mocka', 'canary=20']);
      await run(fake, ['match-header', 'mocka', 'x-tester=yes', '--subset', 'canary']);
      fake.log.length = 0;
      const r = await run(fake, ['canary', 'mocka', '--delete']);
      expect(r.code, r.stderr).to.equal(0);
      expect(fake.log).to.deep.equal(['replace virtualservices/default/mocka', 'replace destinationrules/default/mocka', 'delete deployments/default/mocka-canary']);
      expect(fake.vs('mocka').spec.http).to.deep.equal([{ route: [{ destination: { host: 'mocka', subset: 'base' }, weight: 100 }], timeout: '5s' }]);
      expect(rule(fake, 'mocka').spec).to.deep.equal(original);
    });

    it('creates a DestinationRule when the service has none, and --delete removes exactly that', async () => {
      const fake = chain();
      fake.destinationRules.splice(fake.destinationRules.findIndex((d) => d.metadata.name === 'mockb'), 1);
      fake.add({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'mockb', namespace: 'default' }, spec: { host: 'other' } });
      const r = await run(fake, ['canary', 'mockb', '--image', 'registry.local/mockb:2.0', '--name', 'mockb-next']);
      expect(r.stdout).to.equal('destinationrule.networking.istio.io/mockb-gray created\ndeployment.apps/mockb-next created\n');
      expect(rule(fake, 'mockb-gray').spec).to.deep.equal({ host: 'mockb', subsets: [{ name: 'canary', labels: { version: 'canary', 'istio.service.tag': 'gray' } }] });
      const d = await run(fake, ['canary', 'mockb', '--delete', '--name', 'mockb-next']);
      expect(d.stdout).to.equal('virtualservice.networking.istio.io/mockb unchanged\ndestinationrule.networking.istio.io/mockb-gray deleted\ndeployment.apps/mockb-next deleted\n');
      expect(fake.destinationRules.map((x) => x.metadata.name)).to.deep.equal(['mocka', 'mockb']);
    });
  });

  describe('lane', () => {
    async function withCanaries() {
      const fake = chain();
      for (const s of ['mocka', 'mockb']) await run(fake, ['canary', s, '--image', `registry.local/${s}:2.0`]);
      fake.pods.push(
        { namespace: 'default', name: 'mocka-c', labels: { app: 'mocka', version: 'canary', 'istio.service.tag': 'gray' }, ready: true },
        { namespace: 'default', name: 'mockb-c', labels: { app: 'mockb', version: 'canary', 'istio.service.tag': 'gray' }, ready: true },
      );
      return fake;
    }

    it('create puts a header route before each default route; delete restores the specs exactly', async () => {
      const fake = await withCanaries();
      const before = { a: spec(fake, 'mocka'), b: spec(fake, 'mockb') };
      const r = await run(fake, ['lane', 'create', 'gray', '--header', 'my-request-id=canary', '--services', 'mocka,mockb']);
      expect(r.code, r.stderr).to.equal(0);
      for (const s of ['mocka', 'mockb']) {
        expect(fake.vs(s).spec.http![0]).to.deep.equal({
          name: 'gray-lane-gray', match: [{ headers: { 'my-request-id': { exact: 'canary' } } }], route: [{ destination: { host: s, subset: 'canary' } }],
          ...(s === 'mocka' ? { timeout: '5s' } : {}),
        });
        expect(fake.vs(s).spec.http).to.have.length(2);
      }
      const writes = fake.writes.length;
      expect((await run(fake, ['lane', 'create', 'gray', '--header', 'my-request-id=canary', '--services', 'mocka,mockb'])).stdout)
        .to.equal('virtualservice.networking.istio.io/mocka unchanged\nvirtualservice.networking.istio.io/mockb unchanged\n');
      expect(fake.writes.length).to.equal(writes);
      const status = await run(fake, ['lane', 'status', 'gray']);
      expect(status).to.deep.equal({
        code: 0, stderr: '',
        stdout: 'Lane gray in default: requests with my-request-id: canary\n\n' +
          'HOP   SERVICE   ROUTE                            SUBSET   READY   STATE\n' +
          '1     mocka     http[0] before default http[1]   canary   1/1     on canary\n' +
          '2     mockb     http[0] before default http[1]   canary   1/1     on canary\n',
      });
      expect((await run(fake, ['lane', 'delete', 'gray'])).code).to.equal(0);
      expect(spec(fake, 'mocka')).to.deep.equal(before.a);
      expect(spec(fake, 'mockb')).to.deep.equal(before.b);
      expect(fake.vs('mocka').metadata.annotations!['lane.kubectl-gray.io/gray']).to.equal(undefined);
    });

    it('a service without the canary subset falls back to its default route, never a 503', async () => {
      const fake = chain();
      await run(fake, ['canary', 'mocka', '--image', 'registry.local/mocka:2.0']);
      const r = await run(fake, ['lane', 'create', 'gray', '--header', 'my-request-id=canary', '--services', 'mocka,mockb']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.equal('Note: mockb has no subset "canary"; marked requests stay on its default route.\n');
      expect(fake.vs('mockb').spec.http).to.have.length(1);
      const status = await run(fake, ['lane', 'status', 'gray', '-o', 'json']);
      expect(JSON.parse(status.stdout).hops.map((h: { state: string }) => h.state)).to.deep.equal(['no ready pod: 503 no healthy upstream', 'falls back to the default route']);
      expect(status.code).to.equal(3);
    });

    it('plans every hop before writing: a missing VirtualService changes nothing', async () => {
      const fake = await withCanaries();
      const writes = fake.writes.length;
      const r = await run(fake, ['lane', 'create', 'gray', '--header', 'my-request-id=canary', '--services', 'mocka,mockc']);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.contain('no VirtualService routes to mockc (mockc.default.svc.cluster.local)');
      expect(fake.writes.length).to.equal(writes);
    });

    it('checks its arguments', async () => {
      expect((await run(chain(), ['lane', 'create', 'gray', '--services', 'mocka'])).stderr).to.contain('lane create needs --header HEADER=VALUE');
      expect((await run(chain(), ['lane', 'create', 'Bad_Name', '--header', 'a=b', '--services', 'mocka'])).stderr).to.contain('lane name "Bad_Name"');
      expect((await run(chain(), ['lane', 'frob', 'gray'])).stderr).to.contain('Invalid values');
      expect((await run(chain(), ['lane', 'delete', 'nothing'])).stderr).to.contain('no lane "nothing" in namespace default');
    });
  });

  describe('the README walkthrough, on a layout as real clusters have it (test/fixtures/shapes/gateway-star.yaml)', () => {
    it('canary of <app>-base, a lane over every way in, status per hop, then undo in safe order: everything back as it was', async () => {
      const fake = new FakeCluster('chain', loadFixture('shapes/gateway-star.yaml', 'chain'));
      const before = { vs: structuredClone(fake.virtualServices.map((v) => v.spec)), dr: structuredClone(fake.destinationRules.map((d) => d.spec)) };
      for (const s of ['mocka', 'mockb']) {
        fake.pods.push({ namespace: 'chain', name: `${s}-base-pod`, labels: { app: s, version: 'base' }, ready: true });
        const r = await run(fake, ['canary', `${s}-base`, '--image', `registry.local/${s}:2.0`, '--subset', 'version-canary', '-n', 'chain']);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.equal(`destinationrule.networking.istio.io/dr-${s} configured\ndeployment.apps/${s}-canary created\n`);
        fake.pods.push({ namespace: 'chain', name: `${s}-canary-pod`, labels: { app: s, version: 'canary', 'istio.service.tag': 'gray' }, ready: true });
      }
      const status = await run(fake, ['status', 'mocka', '-n', 'chain']);
      expect(status.stdout).to.contain('Traffic to mocka: 2 way(s) in\n' +
        'VIRTUALSERVICE     VIA                          ROUTES TO IT\n' +
        'chain/vs-gateway   gateway chain/shop-gateway   http[0] general\n' +
        'chain/vs-mocka     mesh                         http[0] general\n');
      const lane = await run(fake, ['lane', 'create', 'gray', '--header', 'my-request-id=canary', '--services', 'mocka,mockb', '--subset', 'version-canary', '-n', 'chain']);
      expect(lane.code, lane.stderr).to.equal(0);
      expect(lane.stdout.split('\n').filter((l) => l.startsWith('virtualservice'))).to.deep.equal([
        'virtualservice.networking.istio.io/vs-gateway configured', 'virtualservice.networking.istio.io/vs-mocka configured', 'virtualservice.networking.istio.io/vs-mockb configured']);
      expect(fake.vs('vs-gateway', 'chain').spec.http![0]).to.deep.equal({
        name: 'gray-lane-gray', match: [{ headers: { 'my-request-id': { exact: 'canary' } } }],
        route: [{ destination: { host: 'mocka', port: { number: 8080 }, subset: 'version-canary' } }],
      });
      const hops = await run(fake, ['lane', 'status', 'gray', '-n', 'chain']);
      expect(hops).to.deep.equal({
        code: 0, stderr: '',
        stdout: 'Lane gray in chain: requests with my-request-id: canary\n\n' +
          'HOP   SERVICE   VIRTUALSERVICE     ROUTE                            SUBSET           READY   STATE\n' +
          '1     mocka     chain/vs-gateway   http[0] before default http[1]   version-canary   1/1     on canary\n' +
          '1     mocka     chain/vs-mocka     http[0] before default http[1]   version-canary   1/1     on canary\n' +
          '2     mockb     chain/vs-mockb     http[0] before default http[1]   version-canary   1/1     on canary\n',
      });
      for (const args of [['lane', 'delete', 'gray'], ['canary', 'mocka-base', '--delete'], ['canary', 'mockb-base', '--delete']]) {
        const r = await run(fake, [...args, '-n', 'chain']);
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(0);
      }
      expect(fake.virtualServices.map((v) => v.spec)).to.deep.equal(before.vs);
      expect(fake.destinationRules.map((d) => d.spec)).to.deep.equal(before.dr);
      expect([...fake.others.keys()]).to.deep.equal(['deployments/chain/mocka-base', 'deployments/chain/mockb-base']);
    });
  });

  describe('color', () => {
    it('creates, updates and deletes its EnvoyFilter in istio-system', async () => {
      const fake = chain();
      const r = await run(fake, ['color', 'pc', '--when', 'agent=pc', '--set', 'my-request-id=canary', '--else', 'my-request-id=base']);
      expect(r).to.deep.equal({ code: 0, stdout: 'envoyfilter.networking.istio.io/pc created\n', stderr: '' });
      const f = fake.others.get('envoyfilters/istio-system/pc') as any;
      expect(f.spec.workloadSelector).to.deep.equal({ labels: { istio: 'ingressgateway' } });
      expect((await run(fake, ['color', 'pc', '--when', 'agent=pc', '--set', 'my-request-id=canary', '--else', 'my-request-id=base'])).stdout)
        .to.equal('envoyfilter.networking.istio.io/pc unchanged\n');
      expect((await run(fake, ['color', 'pc', '--percent', '10', '--by', 'header:x-user-id', '--set', 'my-request-id=canary'])).stdout)
        .to.equal('envoyfilter.networking.istio.io/pc configured\n');
      expect((await run(fake, ['color', 'delete', 'pc'])).stdout).to.equal('envoyfilter.networking.istio.io/pc deleted\n');
      expect(fake.others.has('envoyfilters/istio-system/pc')).to.equal(false);
    });

    it('explains what is missing or contradictory', async () => {
      const fake = chain();
      expect((await run(fake, ['color', 'x', '--set', 'my-request-id=canary'])).stderr).to.contain('say who is coloured: --when HEADER=VALUE, or --percent N --by');
      expect((await run(fake, ['color', 'x', '--when', 'a=b', '--set', 'h=1', '--else', 'other=2'])).stderr).to.contain('--else sets other but --set sets h');
      expect((await run(fake, ['color', 'x', '--percent', '10', '--set', 'h=1'])).stderr).to.contain('--percent needs --by');
      expect((await run(fake, ['color', 'x', '--percent', '150', '--by', 'header:u', '--set', 'h=1'])).stderr).to.contain('--percent "150"');
    });
  });
});

