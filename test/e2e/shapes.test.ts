// Real-world layouts on the real API server, with the harness's webhook judging every write: a gateway
// VirtualService with hosts "*" beside a mesh one, and a root-namespace DestinationRule reached from
// another namespace by FQDN. On the node's real controller manager, the claim the canary command makes
// (the base's ReplicaSet never adopts the canary's pods) is watched on real ReplicaSets for a minute.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { DestinationRule, VirtualService } from '../../core/model.js';
import { fixturePath } from '../support/fixtures.js';
import { apply, eventually, freshNamespace, getJson, k, kubectl, waitForPods } from '../support/kubectl.js';

const WORKLOAD = 'registry.local/gray-workload:dev'; // the only image on the node; canaries run it too

const gray = (ns: string, ...args: string[]) => kubectl(['gray', ...args, '-n', ns]);
const vs = (ns: string, name: string) => getJson<VirtualService>(ns, 'virtualservice', name);
const dr = (ns: string, name: string) => getJson<DestinationRule>(ns, 'destinationrule', name);

/**
 * Applies a layout, DestinationRules first (the webhook judges a VirtualService against what its caches hold).
 * A layout whose objects name their own namespaces is applied as it is.
 */
async function applyLayout(ns: string, yaml: string): Promise<void> {
  const target = /[{\s,]namespace: /.test(yaml) ? undefined : ns;
  const docs = yaml.split(/^---$/m);
  const rules = docs.filter((d) => /kind: DestinationRule/.test(d));
  const rest = docs.filter((d) => !/kind: DestinationRule/.test(d));
  if (rules.length) await apply(target, rules.join('---\n'));
  await eventually(() => apply(target, rest.join('---\n')), 30_000);
}

describe('e2e: real-world layouts', function () {
  this.timeout(180_000);

  it('gateway "*" + mesh: status shows both ways in; canary, set-weight, rollback and delete cover both', async () => {
    const ns = await freshNamespace('shapes');
    await applyLayout(ns, readFileSync(fixturePath('shapes/gateway-star.yaml'), 'utf8'));
    const original = { gw: (await vs(ns, 'vs-gateway')).spec, mesh: (await vs(ns, 'vs-mocka')).spec, dr: (await dr(ns, 'dr-mocka')).spec };

    const status = await gray(ns, 'status', 'mocka');
    expect(status.stdout).to.contain('Traffic to mocka: 2 way(s) in');
    expect(status.stdout).to.contain(`VirtualService ${ns}/vs-gateway   hosts: *   via: gateway ${ns}/shop-gateway`);
    expect(status.stdout).to.contain(`VirtualService ${ns}/vs-mocka   hosts: mocka   via: mesh`);

    const canary = await gray(ns, 'canary', 'mocka-base', '--image', WORKLOAD, '--subset', 'version-canary');
    expect(canary.code, canary.stderr).to.equal(0);
    expect(canary.stdout).to.equal('destinationrule.networking.istio.io/dr-mocka configured\ndeployment.apps/mocka-canary created\n');
    expect(canary.stderr).to.contain(`Warning: Deployment ${ns}/mocka-base selects pods by app=mocka, which also matches the canary's pods. That is safe`);
    const d = await getJson<any>(ns, 'deployment', 'mocka-canary');
    expect(d.spec.selector.matchLabels).to.deep.equal({ app: 'mocka', version: 'canary' });

    const dry = await gray(ns, 'set-weight', 'mocka', 'version-canary=10', '--dry-run=client');
    expect(dry.code, dry.stderr).to.equal(0);
    expect(dry.stdout).to.contain(`+++ virtualservice.networking.istio.io/vs-gateway (${ns}) (planned)`);
    expect(dry.stdout).to.contain(`+++ virtualservice.networking.istio.io/vs-mocka (${ns}) (planned)`);
    expect((await vs(ns, 'vs-gateway')).spec).to.deep.equal(original.gw);

    const set = await gray(ns, 'set-weight', 'mocka', 'version-canary=10');
    expect(set.code, set.stderr).to.equal(0);
    expect((await vs(ns, 'vs-gateway')).spec.http![0]!.route).to.deep.equal([
      { destination: { host: 'mocka', subset: 'version-base', port: { number: 8080 } }, weight: 90 },
      { destination: { host: 'mocka', port: { number: 8080 }, subset: 'version-canary' }, weight: 10 },
    ]);
    expect((await vs(ns, 'vs-mocka')).spec.http![0]!.route!.map((r) => [r.destination.subset, r.weight])).to.deep.equal([['version-base', 90], ['version-canary', 10]]);

    // One undo takes back the change on both ways in; then the canary goes, subset after routes.
    const undo = await gray(ns, 'undo', 'mocka');
    expect(undo.code, undo.stderr).to.equal(0);
    expect((await vs(ns, 'vs-gateway')).spec).to.deep.equal(original.gw);
    const del = await gray(ns, 'canary', 'mocka-base', '--delete');
    expect(del.code, del.stderr).to.equal(0);
    expect(del.stdout).to.equal('virtualservice.networking.istio.io/vs-gateway unchanged\nvirtualservice.networking.istio.io/vs-mocka unchanged\n' +
      'destinationrule.networking.istio.io/dr-mocka configured\ndeployment.apps/mocka-canary deleted\n');
    expect((await dr(ns, 'dr-mocka')).spec).to.deep.equal(original.dr);
    expect((await vs(ns, 'vs-gateway')).spec.http).to.deep.equal(original.gw.http);
    expect((await vs(ns, 'vs-mocka')).spec.http).to.deep.equal(original.mesh.http);
  });

  it('root-namespace DestinationRule with exportTo, reached from another namespace by FQDN', async () => {
    const ns = await freshNamespace('shapes');
    const front = await freshNamespace('front');
    const yaml = readFileSync(fixturePath('shapes/root-namespace.yaml'), 'utf8')
      .replace(/namespace: shop/g, `namespace: ${ns}`).replace(/\.shop\.svc/g, `.${ns}.svc`)
      .replace(/namespace: frontend/g, `namespace: ${front}`).replace(/ratings-global/g, `ratings-${ns}`)
      .replace(/image: "registry\.local\/[^"]+"/g, `image: "${WORKLOAD}"`);
    await applyLayout(ns, yaml);
    const canary = await gray(ns, 'canary', 'ratings-base', '--image', WORKLOAD, '--subset', 'version-canary');
    expect(canary.code, canary.stderr).to.equal(0);
    expect(canary.stdout).to.contain(`destinationrule.networking.istio.io/ratings-${ns} configured`);
    expect((await dr('istio-system', `ratings-${ns}`)).spec.subsets!.map((s) => s.name)).to.deep.equal(['version-base', 'version-canary']);
    const set = await gray(ns, 'set-weight', 'ratings', 'version-canary=5');
    expect(set.code, set.stderr).to.equal(0);
    expect((await vs(front, 'frontend-edge')).spec.http![0]!.route!.map((r) => [r.destination.subset, r.weight])).to.deep.equal([['version-base', 95], ['version-canary', 5]]);
    expect((await vs(ns, 'ratings')).spec.tcp).to.deep.equal([{ match: [{ port: 9900 }], route: [{ destination: { host: 'ratings', port: { number: 9900 } } }] }]);
    expect((await gray(ns, 'rollback', 'ratings')).code).to.equal(0);
    expect((await gray(ns, 'canary', 'ratings-base', '--delete')).code).to.equal(0);
    expect((await dr('istio-system', `ratings-${ns}`)).spec.subsets!.map((s) => s.name)).to.deep.equal(['version-base']);
    // Routes off the subsets first: the webhook refuses deleting a DestinationRule that routes still use.
    await k('delete', 'virtualservice', 'ratings', '-n', ns);
    await k('delete', 'virtualservice', 'frontend-edge', '-n', front);
    await k('delete', 'destinationrule', `ratings-${ns}`, '-n', 'istio-system');
  });

  it('on a real controller manager, a canary beside a base selecting by app only: both keep their pods and replica counts for a minute', async function () {
    this.timeout(300_000); // a minute of watching, after four pods start on a busy node
    const ns = await freshNamespace('adopt');
    await applyLayout(ns, readFileSync(fixturePath('shapes/gateway-star.yaml'), 'utf8'));
    await waitForPods(ns, 'app=mocka', 2);
    expect((await gray(ns, 'canary', 'mocka-base', '--image', WORKLOAD, '--subset', 'version-canary', '--replicas', '2')).code).to.equal(0);
    await waitForPods(ns, 'app=mocka', 4);
    type Owned = { metadata: { uid: string; name: string; labels?: Record<string, string>; ownerReferences?: Array<{ kind: string; name: string }> } };
    const snapshot = async () => {
      const pods = (await getJson<{ items: Owned[] }>(ns, 'pods', '-l', 'app=mocka')).items;
      const sets = (await getJson<{ items: Array<Owned & { status: { replicas?: number } }> }>(ns, 'replicasets')).items;
      const setOwner = new Map(sets.map((r) => [r.metadata.name, r.metadata.ownerReferences?.[0]?.name]));
      const deployments = await Promise.all(['mocka-base', 'mocka-canary'].map(async (d) => (await getJson<{ status: { replicas?: number } }>(ns, 'deployment', d)).status.replicas));
      return {
        pods: pods.map((p) => `${p.metadata.labels?.['version']}:${p.metadata.uid}:${setOwner.get(p.metadata.ownerReferences?.[0]?.name ?? '')}`).sort(),
        replicas: deployments,
      };
    };
    const first = await snapshot();
    expect(first.replicas).to.deep.equal([2, 2]);
    // Every pod is owned through the ReplicaSet of its own Deployment: base pods by mocka-base, canary pods by mocka-canary.
    expect(first.pods.map((p) => `${p.split(':')[0]}:${p.split(':')[2]}`).sort()).to.deep.equal(['base:mocka-base', 'base:mocka-base', 'canary:mocka-canary', 'canary:mocka-canary']);
    // For a minute, nothing adopts, deletes or replaces anybody's pods (a ReplicaSet adopts only orphans).
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 5_000)); // sampling interval of an observation, not a wait for a condition
      expect(await snapshot()).to.deep.equal(first);
    }
  });
});
