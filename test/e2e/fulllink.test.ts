// Scenarios 6 and 7 on the real API server, with the harness's webhook judging every write:
// canary workloads for mocka and mockb, a lane across them, colouring at the gateway, and undo.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { DestinationRule, VirtualService } from '../../core/model.js';
import { fixturePath } from '../support/fixtures.js';
import { apply, freshNamespace, getJson, k, kubectl, waitForPods } from '../support/kubectl.js';

const WORKLOAD = 'registry.local/gray-workload:dev'; // the canary runs the test workload too, at version canary

const CHAIN = readFileSync(fixturePath('mock-chain.yaml'), 'utf8');
const gray = (ns: string, ...args: string[]) => kubectl(['gray', ...args, '-n', ns]);
const vs = (ns: string, name: string) => getJson<VirtualService>(ns, 'virtualservice', name);
const dr = (ns: string, name: string) => getJson<DestinationRule>(ns, 'destinationrule', name);

describe('e2e: full-link gray on a real API server', function () {
  this.timeout(120_000);

  it('canary, lane create/status/delete across mocka -> mockb, then canary removal: every object back as it was', async () => {
    const ns = await freshNamespace('chain');
    await apply(ns, CHAIN);
    const original = { va: (await vs(ns, 'mocka')).spec, vb: (await vs(ns, 'mockb')).spec, da: (await dr(ns, 'mocka')).spec, db: (await dr(ns, 'mockb')).spec };

    for (const s of ['mocka', 'mockb']) {
      const r = await gray(ns, 'canary', s, '--image', WORKLOAD);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.equal(`destinationrule.networking.istio.io/${s} configured\ndeployment.apps/${s}-canary created\n`);
      const d = await getJson<any>(ns, 'deployment', `${s}-canary`);
      expect(d.spec.selector.matchLabels).to.deep.equal({ app: s, version: 'canary' });
      expect(d.spec.template.metadata.labels).to.deep.equal({ app: s, version: 'canary', 'istio.service.tag': 'gray' });
      expect(d.spec.template.spec.containers[0].image).to.equal(WORKLOAD);
      expect((await dr(ns, s)).spec.subsets!.map((x) => x.name)).to.deep.equal(['base', 'canary']);
    }
    // Real pods: two base replicas and one canary per service, Ready by their probes.
    for (const s of ['mocka', 'mockb']) {
      await waitForPods(ns, `app=${s},version=base`, 2);
      await waitForPods(ns, `app=${s},version=canary,istio.service.tag=gray`, 1);
    }

    const create = await gray(ns, 'lane', 'create', 'gray', '--header', 'my-request-id=canary', '--services', 'mocka,mockb');
    expect(create.code, create.stderr).to.equal(0);
    for (const s of ['mocka', 'mockb']) {
      const http = (await vs(ns, s)).spec.http!;
      expect(http.map((r) => r.name ?? 'default')).to.deep.equal(['gray-lane-gray', 'default']);
      expect(http[0]!.match).to.deep.equal([{ headers: { 'my-request-id': { exact: 'canary' } } }]);
      expect(http[0]!.route).to.deep.equal([{ destination: { host: s, subset: 'canary' } }]);
    }
    // Re-running create changes nothing.
    const rv = (await vs(ns, 'mocka')).metadata.resourceVersion;
    expect((await gray(ns, 'lane', 'create', 'gray', '--header', 'my-request-id=canary', '--services', 'mocka,mockb')).code).to.equal(0);
    expect((await vs(ns, 'mocka')).metadata.resourceVersion).to.equal(rv);

    const status = await gray(ns, 'lane', 'status', 'gray');
    expect(status.code, status.stdout + status.stderr).to.equal(0);
    expect(status.stdout).to.match(/1\s+mocka\s+http\[0\] before default http\[1\]\s+canary\s+1\/1\s+on canary/);
    expect(status.stdout).to.match(/2\s+mockb\s+http\[0\] before default http\[1\]\s+canary\s+1\/1\s+on canary/);

    // While a route uses the canary subset, the webhook refuses removing it by hand.
    const early = await kubectl(['patch', 'dr', 'mockb', '-n', ns, '--type=json', '-p', '[{"op":"remove","path":"/spec/subsets/1"}]']);
    expect(early.code).to.not.equal(0);
    expect(early.stderr).to.contain('GRAY110 subset-in-use');

    expect((await gray(ns, 'lane', 'delete', 'gray')).code).to.equal(0);
    expect((await vs(ns, 'mocka')).spec).to.deep.equal(original.va);
    expect((await vs(ns, 'mockb')).spec).to.deep.equal(original.vb);

    for (const s of ['mocka', 'mockb']) {
      const r = await gray(ns, 'canary', s, '--delete');
      expect(r.code, r.stderr).to.equal(0);
      expect((await kubectl(['get', 'deployment', `${s}-canary`, '-n', ns])).code).to.not.equal(0);
    }
    expect((await dr(ns, 'mocka')).spec).to.deep.equal(original.da);
    expect((await dr(ns, 'mockb')).spec).to.deep.equal(original.db);
  });

  it('colour at the gateway: the EnvoyFilter is accepted by Istio\'s CRD schema, updated in place and deleted', async () => {
    const create = await kubectl(['gray', 'color', 'pc-users', '--when', 'agent=pc', '--set', 'my-request-id=canary', '--else', 'my-request-id=base']);
    expect(create.code, create.stderr).to.equal(0);
    expect(create.stdout).to.equal('envoyfilter.networking.istio.io/pc-users created\n');
    const stored = await getJson<any>('istio-system', 'envoyfilter', 'pc-users');
    const lua: string = stored.spec.configPatches[0].patch.value.typed_config.inlineCode;
    expect(lua).to.contain('if headers:get("agent") == "pc" then');
    expect(stored.spec.configPatches[0].match.context).to.equal('GATEWAY');
    const sticky = await kubectl(['gray', 'color', 'pc-users', '--percent', '10', '--by', 'cookie:uid', '--set', 'my-request-id=canary', '--else', 'my-request-id=base', '-o', 'yaml']);
    expect(sticky.code, sticky.stderr).to.equal(0);
    expect(sticky.stdout).to.contain('bucket < 10');
    const dry = await kubectl(['gray', 'color', 'other', '--when', 'a=b', '--set', 'x=y', '--dry-run=server']);
    expect(dry.code, dry.stderr).to.equal(0);
    expect((await kubectl(['get', 'envoyfilter', 'other', '-n', 'istio-system'])).code).to.not.equal(0);
    expect((await kubectl(['gray', 'color', 'delete', 'pc-users'])).stdout).to.equal('envoyfilter.networking.istio.io/pc-users deleted\n');
    expect((await kubectl(['get', 'envoyfilter', 'pc-users', '-n', 'istio-system'])).code).to.not.equal(0);
  });

  it('refuses to overwrite an EnvoyFilter it did not make', async () => {
    await apply('istio-system', 'apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: hand-made}\nspec:\n  workloadSelector: {labels: {istio: ingressgateway}}\n');
    const r = await kubectl(['gray', 'color', 'hand-made', '--when', 'a=b', '--set', 'x=y']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('EnvoyFilter istio-system/hand-made exists and was not made by kubectl gray; pick another name');
    expect(await k('get', 'envoyfilter', 'hand-made', '-n', 'istio-system', '-o', 'jsonpath={.metadata.labels}')).to.equal('');
  });
});
