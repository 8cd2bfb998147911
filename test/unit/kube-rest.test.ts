// The REST client against a real TLS server: one keep-alive connection for a command, no discovery request
// for an Istio version it can simply ask for, and a fallback to discovery on an older control plane.
import { expect } from 'chai';
import { runCli } from '../../plugin/cli.js';
import type { CommandContext } from '../../plugin/context.js';
import { connectCluster } from '../../plugin/kube/connect.js';
import { takeBackExtraCaCerts } from '../../kube/extra-ca.js';
import type { KubeObject } from '../../core/model.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeApiServer, startFakeApiServer } from '../support/fake-apiserver.js';
import { bookinfo } from '../support/fixtures.js';
import { FIXED_NOW } from '../support/run.js';

const objects = (): KubeObject[] => bookinfo('shop').objects.map((o) => ({ ...o, metadata: { ...o.metadata, resourceVersion: '7' } }));

async function gray(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const ctx: CommandContext = {
    io: { out: (t) => { stdout += t; }, err: (t) => { stderr += t; }, color: false },
    connect: async (flags) => connectCluster(flags),
    now: () => FIXED_NOW,
    readFile: async () => { throw new Error('no files here'); },
  };
  const code = await runCli(args, ctx);
  return { code, stdout, stderr };
}

const SET_WEIGHT_OUT = 'virtualservice.networking.istio.io/reviews reweighted\n  http[0] default (*): v1=90% v2=10%\n';

describe('kube/rest + plugin/kube/cluster against a TLS API server', function () {
  this.timeout(60_000); // key generation on a busy machine
  const servers: FakeApiServer[] = [];
  const start = async (options?: { istioVersion?: string }) => {
    const api = await startFakeApiServer(objects(), options);
    servers.push(api);
    return api;
  };
  after(async () => { await Promise.all(servers.map((s) => s.close())); });

  it('set-weight: policy, VirtualServices, the visible DestinationRules and one write, on one connection', async () => {
    const api = await start();
    const r = await gray(['set-weight', 'reviews', 'v2=10', '-n', 'shop', '--kubeconfig', api.kubeconfig()]);
    expect(r).to.deep.equal({ code: 0, stdout: SET_WEIGHT_OUT, stderr: '' });
    expect([...api.requests].sort()).to.deep.equal([
      'GET /apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations',
      'GET /apis/networking.istio.io/v1/namespaces/istio-system/destinationrules',
      'GET /apis/networking.istio.io/v1/namespaces/shop/destinationrules',
      'GET /apis/networking.istio.io/v1/namespaces/shop/virtualservices',
      'PUT /apis/networking.istio.io/v1/namespaces/shop/virtualservices/reviews',
    ]);
    expect(api.requests.at(-1)).to.match(/^PUT /);
    expect(api.connections).to.equal(1);
  });

  it('an older control plane (v1beta1 only): v1 is tried once, then discovery, then everything at v1beta1', async () => {
    const api = await start({ istioVersion: 'v1beta1' });
    const r = await gray(['set-weight', 'reviews', 'v2=10', '-n', 'shop', '--kubeconfig', api.kubeconfig()]);
    expect(r).to.deep.equal({ code: 0, stdout: SET_WEIGHT_OUT, stderr: '' });
    const istio = api.requests.filter((q) => q.includes('networking.istio.io'));
    expect(istio.slice(0, 3)).to.deep.equal([
      'GET /apis/networking.istio.io/v1/namespaces/shop/virtualservices',
      'GET /apis/networking.istio.io/v1',
      'GET /apis/networking.istio.io/v1beta1',
    ]);
    expect(istio.slice(3).every((q) => q.includes('/v1beta1/'))).to.equal(true);
    expect(api.requests.filter((q) => q === 'GET /apis/networking.istio.io/v1beta1')).to.have.length(1);
    expect(api.connections).to.equal(1);
  });

  it('a missing object is NotFound, not a reason to look for another version', async () => {
    const api = await start();
    const r = await gray(['set-weight', 'nosuch', 'v2=10', '-n', 'shop', '--vs', 'nosuch', '--kubeconfig', api.kubeconfig()]);
    expect(r.code).to.not.equal(0);
    expect(api.requests.some((q) => q === 'GET /apis/networking.istio.io/v1')).to.equal(false);
  });

  it('a cluster without a CA in the kubeconfig: trusts the extra CA file the launcher handed over, as Node would', async () => {
    const api = await start();
    const noCa = api.kubeconfig({ caData: false });
    const refused = await gray(['set-weight', 'reviews', 'v2=10', '-n', 'shop', '--dry-run=server', '--kubeconfig', noCa]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(/^error: Unable to connect to the server 127\.0\.0\.1:\d+: /);

    const dir = mkdtempSync(join(tmpdir(), 'gray-ca-'));
    writeFileSync(join(dir, 'extra.pem'), api.ca.cert);
    const env: NodeJS.ProcessEnv = { KUBECTL_GRAY_EXTRA_CA_CERTS: join(dir, 'extra.pem') };
    takeBackExtraCaCerts(env);
    expect(env).to.deep.equal({ NODE_EXTRA_CA_CERTS: join(dir, 'extra.pem') }); // back for child processes
    const r = await gray(['set-weight', 'reviews', 'v2=10', '-n', 'shop', '--dry-run=server', '--kubeconfig', noCa]);
    expect(r).to.deep.equal({ code: 0, stdout: SET_WEIGHT_OUT.replace('reweighted', 'reweighted (server dry run)'), stderr: '' });
  });
});
