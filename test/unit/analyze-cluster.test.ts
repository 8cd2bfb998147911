// analyze --cluster: the live objects of every namespace, the files on top, findings for the namespace asked for
// (or all with -A); reads only; a refused list is a clear error.
import { expect } from 'chai';
import type { KubeObject } from '../../core/model.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { bookinfo } from '../support/fixtures.js';
import { run } from '../support/run.js';

const toV4 = (namespace: string): KubeObject => ({
  apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'reviews', namespace },
  spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v4' } }] }] },
});
const DR_WITH_V4 = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets: [{name: v1, labels: {version: v1}}, {name: v4, labels: {version: v4}}]
`;

function cluster(): FakeCluster {
  const fake = new FakeCluster('shop', bookinfo('shop').objects);
  fake.virtualServices = fake.virtualServices.filter((v) => v.metadata.name !== 'reviews');
  fake.add(toV4('shop'));
  fake.add(toV4('web'));
  fake.pods.push({ name: 'reviews-v4-1', namespace: 'shop', labels: { app: 'reviews', version: 'v4' }, ready: true });
  return fake;
}

describe('kubectl gray analyze --cluster', () => {
  it('judges the live objects of the namespace with everything they reach; a file on top replaces a live object', async () => {
    const fake = cluster();
    const r = await run(fake, ['analyze', '--cluster']);
    expect(r.code).to.equal(3);
    expect(r.stdout.split('\n').filter((l) => l.includes('GRAY104'))).to.deep.equal([
      'cluster: error GRAY104 subset-undefined: VirtualService shop/reviews spec.http[0].route[0].destination.subset: routes to subset "v4" of host reviews.shop.svc.cluster.local, which DestinationRule shop/reviews does not define (defined: v1, v2, v3). Fix: add subset "v4" to DestinationRule shop/reviews first, or route to one of: v1, v2, v3',
    ]);
    expect(r.stdout).to.contain('(live cluster, namespace shop)');
    // The change that fixes it, checked before it is applied: the file's DestinationRule replaces the live one.
    const fixed = await run(fake, ['analyze', '--cluster', 'dr.yaml', '-o', 'json'], { 'dr.yaml': DR_WITH_V4 });
    const report = JSON.parse(fixed.stdout);
    expect(report.findings.filter((f: { code: string }) => f.code === 'GRAY104')).to.deep.equal([]);
    expect(report.summary.scope).to.equal('live cluster, namespace shop, files on top');
    expect([fake.writes.length, fake.log]).to.deep.equal([0, []]);
  });

  it('-n picks the namespace reported, -A reports all; without --cluster, files are required', async () => {
    const fake = cluster();
    const web = await run(fake, ['analyze', '--cluster', '-n', 'web', '-o', 'json']);
    const objects = (r: { stdout: string }) => [...new Set(JSON.parse(r.stdout).findings.filter((f: { code: string }) => f.code === 'GRAY104').map((f: { object: string }) => f.object))];
    expect(objects(web)).to.deep.equal(['VirtualService web/reviews']);
    expect(objects(await run(fake, ['analyze', '--cluster', '-A', '-o', 'json']))).to.deep.equal(['VirtualService shop/reviews', 'VirtualService web/reviews']);
    const none = await run(fake, ['analyze']);
    expect([none.code, none.stderr.split('\n')[0]]).to.deep.equal([2, 'error: give the files or directories to analyze (- for standard input), or --cluster for the live cluster']);
  });

  it('a list the user may not make is a clear error, exit 1', async () => {
    const fake = cluster();
    fake.namespacedOnly = true;
    const r = await run(fake, ['analyze', '--cluster']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain('Error from server (Forbidden)').and.contain('analyze --cluster lists').and.contain('in every namespace: ask for list on it cluster-wide (a ClusterRole), or analyze files without --cluster');
  });

  it('reads what is served: Gateways and RequestAuthentications when their APIs exist, nothing when they do not', async () => {
    const fake = cluster();
    fake.add({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'edge', namespace: 'shop' },
      spec: { hosts: ['shop.example.com'], gateways: ['istio-system/public'], http: [{ route: [{ destination: { host: 'productpage', subset: 'v1' } }] }] } });
    const missing = JSON.parse((await run(fake, ['analyze', '--cluster', '-o', 'json'])).stdout);
    expect(missing.findings.filter((f: { code: string }) => f.code === 'GRAY505').map((f: { object: string }) => f.object)).to.deep.equal(['VirtualService shop/edge']);
    fake.served.set('networking.istio.io/v1', ['gateways']);
    fake.custom.push({ groupVersion: 'networking.istio.io/v1', resource: 'gateways', object: { apiVersion: 'networking.istio.io/v1', kind: 'Gateway',
      metadata: { name: 'public', namespace: 'istio-system' }, spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*/*'] }] } } });
    const present = JSON.parse((await run(fake, ['analyze', '--cluster', '-o', 'json'])).stdout);
    expect(present.findings.filter((f: { code: string }) => f.code === 'GRAY505')).to.deep.equal([]);
  });
});
