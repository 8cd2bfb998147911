// One plan then writes: ownership, partial failures, conflicts across several VirtualServices, and the
// owners' real markers (Flagger, Argo Rollouts, OpenKruise Rollouts, Argo CD, Helm).
import { expect } from 'chai';
import type { KubeObject } from '../../core/model.js';
import { ownersOf } from '../../core/ownership.js';
import { run } from '../support/run.js';
import { SHAPES, shapeCluster } from '../support/shapes.js';

const gatewayStar = () => shapeCluster(SHAPES[0]!);
const withCanary = async () => {
  const fake = gatewayStar();
  expect((await run(fake, ['canary', 'mocka-base', '--image', 'x:2', '--subset', 'version-canary', '-n', 'shop'])).code).to.equal(0);
  return fake;
};

describe('plans', () => {
  describe('ownership', () => {
    const vs = (metadata: Record<string, unknown>): KubeObject => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'vs-mocka', namespace: 'shop', ...metadata } });

    it('reads each project\'s own markers', () => {
      expect(ownersOf(vs({ ownerReferences: [{ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', name: 'mocka', controller: true }] }), {}).map((o) => [o.who, o.fights]))
        .to.deep.equal([['Flagger Canary shop/mocka', true]]);
      const rollout: KubeObject = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'mocka', namespace: 'shop' },
        spec: { strategy: { canary: { trafficRouting: { istio: { virtualServices: [{ name: 'other' }, { name: 'vs-mocka', routes: ['primary'] }], destinationRule: { name: 'dr-mocka.shop' } } } } } } };
      expect(ownersOf(vs({}), { argoRollouts: [rollout] }).map((o) => o.who)).to.deep.equal(['Argo Rollouts Rollout shop/mocka']);
      expect(ownersOf({ ...vs({}), kind: 'DestinationRule', metadata: { name: 'dr-mocka', namespace: 'shop' } }, { argoRollouts: [rollout] })).to.have.length(1);
      const kruise: KubeObject = { apiVersion: 'rollouts.kruise.io/v1beta1', kind: 'Rollout', metadata: { name: 'r', namespace: 'shop' },
        spec: { strategy: { canary: { trafficRoutings: [{ service: 'mocka', customNetworkRefs: [{ apiVersion: 'networking.istio.io/v1alpha3', kind: 'VirtualService', name: 'vs-mocka' }] }] } } } };
      const routing: KubeObject = { apiVersion: 'rollouts.kruise.io/v1alpha1', kind: 'TrafficRouting', metadata: { name: 'tr', namespace: 'shop' },
        spec: { objectRef: [{ service: 'mocka', customNetworkRefs: [{ apiVersion: 'networking.istio.io/v1alpha3', kind: 'VirtualService', name: 'vs-mocka' }] }] } };
      expect(ownersOf(vs({}), { kruiseRollouts: [kruise], kruiseTrafficRoutings: [routing] }).map((o) => o.who)).to.deep.equal(['OpenKruise Rollout shop/r', 'OpenKruise TrafficRouting shop/tr']);
      expect(ownersOf(vs({ annotations: { 'argocd.argoproj.io/tracking-id': 'shop-app:networking.istio.io/VirtualService:shop/vs-mocka' } }), {}).map((o) => [o.who, o.fights]))
        .to.deep.equal([['Argo CD application shop-app', false]]);
      // The instance label means Argo CD only where Argo CD runs, and not on a Helm-managed object.
      expect(ownersOf(vs({ labels: { 'app.kubernetes.io/instance': 'shop-app' } }), {})).to.deep.equal([]);
      expect(ownersOf(vs({ labels: { 'app.kubernetes.io/instance': 'shop-app' } }), { argoCd: true }).map((o) => o.who)).to.deep.equal(['Argo CD application shop-app']);
      const helm = vs({ labels: { 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/instance': 'shop' }, annotations: { 'meta.helm.sh/release-name': 'shop', 'meta.helm.sh/release-namespace': 'shop' } });
      expect(ownersOf(helm, { argoCd: true }).map((o) => o.who)).to.deep.equal(['Helm release shop/shop']);
    });

    it('Argo CD: its settings decide what the instance label means; the Application\'s sync policy what happens', () => {
      const labelled = vs({ labels: { 'argocd.argoproj.io/instance': 'shop-app', 'app.kubernetes.io/instance': 'chart' } });
      expect(ownersOf(labelled, { argoCd: true, argoCdSettings: { instanceLabelKey: 'argocd.argoproj.io/instance' } }).map((o) => o.who)).to.deep.equal(['Argo CD application shop-app']);
      expect(ownersOf(labelled, { argoCd: true, argoCdSettings: { trackingMethod: 'annotation+label' } })).to.deep.equal([]);
      const app = (syncPolicy: unknown): KubeObject => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'shop-app', namespace: 'argocd' }, spec: { syncPolicy } });
      const tracked = vs({ annotations: { 'argocd.argoproj.io/tracking-id': 'shop-app:networking.istio.io/VirtualService:shop/vs-mocka' } });
      expect(ownersOf(tracked, { argoApplications: [app({ automated: { selfHeal: true } })] })[0]!.message).to.contain('it syncs automatically with self-heal, so it reverts this edit within moments');
      expect(ownersOf(tracked, { argoApplications: [app({ automated: {} })] })[0]!.message).to.contain('the edit lasts until the next change in Git, which reverts it');
      expect(ownersOf(tracked, { argoApplications: [app(undefined)] })[0]!.message).to.contain('it syncs by hand: the application shows OutOfSync');
    });

    it('a controller that fights back: refused, exit 3, nothing written; --force edits with a warning', async () => {
      const fake = await withCanary();
      fake.served.set('argoproj.io/v1alpha1', ['rollouts', 'analysisruns']);
      fake.custom.push({ groupVersion: 'argoproj.io/v1alpha1', resource: 'rollouts', object: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'mocka', namespace: 'shop' },
        spec: { strategy: { canary: { trafficRouting: { istio: { virtualService: { name: 'vs-mocka' } } } } } } } });
      const writes = fake.writes.length;
      const r = await run(fake, ['set-weight', 'mocka', 'version-canary=10', '-n', 'shop']);
      expect(r.code).to.equal(3);
      expect(r.stderr).to.equal('error: refused: another controller manages what this would change; nothing was changed:\n' +
        '  VirtualService shop/vs-mocka is driven by Argo Rollouts Rollout shop/mocka (spec.strategy.canary.trafficRouting.istio); the controller resets its weights. Use kubectl argo rollouts instead\n' +
        '  (--force edits anyway; the controller may undo it)\n');
      expect(fake.writes.length).to.equal(writes);
      const forced = await run(fake, ['set-weight', 'mocka', 'version-canary=10', '-n', 'shop', '--force']);
      expect(forced.code).to.equal(0);
      expect(forced.stderr).to.contain('Warning: VirtualService shop/vs-mocka is driven by Argo Rollouts Rollout shop/mocka');
    });

    it('the Rollout CRD absent: no look for Rollouts; GitOps and Helm: a warning saying what will happen', async () => {
      const fake = await withCanary();
      fake.custom.push({ groupVersion: 'argoproj.io/v1alpha1', resource: 'rollouts', object: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'mocka', namespace: 'shop' },
        spec: { strategy: { canary: { trafficRouting: { istio: { virtualService: { name: 'vs-mocka' } } } } } } } });
      fake.vs('vs-gateway', 'shop').metadata.labels = { 'app.kubernetes.io/managed-by': 'Helm' };
      fake.vs('vs-gateway', 'shop').metadata.annotations = { 'meta.helm.sh/release-name': 'edge', 'meta.helm.sh/release-namespace': 'shop' };
      fake.vs('vs-mocka', 'shop').metadata.annotations = { 'argocd.argoproj.io/tracking-id': 'mocka:networking.istio.io/VirtualService:shop/vs-mocka' };
      // Argo CD runs, its settings are readable, but nobody may list its Applications: the general message.
      fake.served.set('argoproj.io/v1alpha1', ['applications']);
      fake.others.set('configmaps/argocd/argocd-cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'argocd-cm', namespace: 'argocd' }, data: { 'application.resourceTrackingMethod': 'annotation' } });
      const r = await run(fake, ['set-weight', 'mocka', 'version-canary=10', '-n', 'shop']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.equal(
        'Warning: VirtualService shop/vs-gateway belongs to Helm release shop/edge: the next helm upgrade puts back what the chart renders. Change the chart\'s values for it to last\n' +
        'Warning: VirtualService shop/vs-mocka is tracked by Argo CD application mocka (annotation argocd.argoproj.io/tracking-id): with self-heal it reverts this edit at the next sync, otherwise the application shows OutOfSync. Make the change in Git for it to last\n');
    });
  });

  describe('writes', () => {
    it('a failure half-way stops, names what was written and the one command that undoes it', async () => {
      const fake = await withCanary();
      fake.failWrite = 'virtualservices/shop/vs-mocka';
      const r = await run(fake, ['set-weight', 'mocka', 'version-canary=10', '-n', 'shop']);
      expect(r.code).to.equal(1);
      const lines = r.stderr.split('\n');
      expect(lines[0]).to.equal('error: stopped after 1 of 2 write(s).');
      expect(lines[1]).to.equal('  written: virtualservice.networking.istio.io/vs-gateway (shop)');
      expect(lines[2]).to.equal('  not written: virtualservice.networking.istio.io/vs-mocka (shop)');
      expect(lines[3]).to.match(/^ {2}to undo what was written: kubectl gray undo mocka --plan \S+ -n shop$/);
      expect(lines[4]).to.equal('Error from server (InternalError): etcdserver: request timed out');
      const gatewayBefore = structuredClone(fake.vs('vs-gateway', 'shop').spec.http);
      fake.failWrite = undefined;
      const undo = await run(fake, lines[3]!.replace(/^.*kubectl gray /, '').split(' '));
      expect(undo.code, undo.stderr).to.equal(0);
      expect(fake.vs('vs-gateway', 'shop').spec.http).to.not.deep.equal(gatewayBefore);
      expect(fake.vs('vs-gateway', 'shop').spec.http![0]!.route).to.deep.equal([{ destination: { host: 'mocka', subset: 'version-base', port: { number: 8080 } } }]);
    });

    it('canary: a failed workload write leaves the subset, and says canary --delete undoes it', async () => {
      const fake = gatewayStar();
      fake.failWrite = 'deployments/shop/mocka-canary';
      const r = await run(fake, ['canary', 'mocka-base', '--image', 'x:2', '--subset', 'version-canary', '-n', 'shop']);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.contain('  written: destinationrule.networking.istio.io/dr-mocka (shop)\n  not written: deployment.apps/mocka-canary (shop)\n' +
        '  to undo what was written: kubectl gray canary mocka-base --delete --subset version-canary -n shop\n');
      fake.failWrite = undefined;
      expect((await run(fake, ['canary', 'mocka-base', '--delete', '--subset', 'version-canary', '-n', 'shop'])).code).to.equal(0);
      expect(fake.destinationRules.find((d) => d.metadata.name === 'dr-mocka')!.spec.subsets!.map((s) => s.name)).to.deep.equal(['version-base']);
    });

    it('a conflict on the second VirtualService re-reads and re-plans; the first is not written twice', async () => {
      const fake = await withCanary();
      let raced = false;
      fake.beforeWrite = (f) => {
        if (raced || !f.log.some((l) => l.includes('vs-gateway'))) return;
        raced = true; // someone edits vs-mocka between our read and our write
        const other = f.virtualServices.find((v) => v.metadata.name === 'vs-mocka')!;
        other.metadata.labels = { touched: 'yes' };
        other.metadata.resourceVersion = '9999';
      };
      const r = await run(fake, ['set-weight', 'mocka', 'version-canary=10', '-n', 'shop']);
      expect(r.code, r.stderr).to.equal(0);
      expect(fake.log.filter((l) => l.includes('virtualservices'))).to.deep.equal(['replace virtualservices/shop/vs-gateway', 'replace virtualservices/shop/vs-mocka']);
      expect(fake.vs('vs-mocka', 'shop').metadata.labels).to.deep.equal({ touched: 'yes' });
      expect(fake.vs('vs-mocka', 'shop').spec.http![0]!.route!.map((d) => d.weight)).to.deep.equal([90, 10]);
    });

    it('the plan is checked as a whole: a lane to a subset the plan does not add is refused before any write', async () => {
      const fake = gatewayStar();
      const r = await run(fake, ['set-weight', 'mocka', 'nope=10', '-n', 'shop']);
      expect(r.code).to.equal(3);
      expect(r.stderr).to.contain('GRAY104 subset-undefined: VirtualService shop/vs-gateway');
      expect(r.stderr).to.contain('GRAY104 subset-undefined: VirtualService shop/vs-mocka');
      expect(fake.log).to.deep.equal([]);
    });

    it('-o yaml prints the objects of the plan (a List when there are several)', async () => {
      const fake = await withCanary();
      const r = await run(fake, ['set-weight', 'mocka', 'version-canary=10', '-n', 'shop', '--dry-run=client', '-o', 'yaml']);
      expect(r.stdout).to.match(/^apiVersion: v1\nkind: List\nitems:\n/);
      expect(r.stdout.match(/kind: VirtualService/g)).to.have.length(2);
    });
  });
});

describe('route selection at the edges', () => {
  it('no general route: set-weight names the candidates and --route; match-header says what it needs', async () => {
    const fake = shapeCluster(SHAPES[0]!);
    const gw = fake.vs('vs-gateway', 'shop');
    gw.spec.http![0]!.match = [{ headers: { 'x-beta': { exact: '1' } } }];
    const mesh = fake.vs('vs-mocka', 'shop');
    mesh.spec.http![0]!.match = [{ queryParams: { beta: { exact: '1' } } }];
    const sw = await run(fake, ['set-weight', 'mocka', 'version-base=50', '-n', 'shop']);
    expect([sw.code, sw.stderr.split('\n')[0]]).to.deep.equal([2, 'error: no general route sends traffic to mocka (every route to it matches on headers, cookies, query or source, or was added by kubectl gray); ' +
      'candidates: VirtualService shop/vs-gateway spec.http[0] (unnamed) (targeted); VirtualService shop/vs-mocka spec.http[0] (unnamed) (targeted). Pick one with --route NAME']);
    const mh = await run(fake, ['match-header', 'mocka', 'a=b', '--subset', 'version-base', '-n', 'shop']);
    expect(mh.stderr).to.contain('A marked route goes just before a general route; give the service one (a route without header, cookie, query or source matches)');
  });
});
