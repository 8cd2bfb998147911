// Finding the kubeconfig: never a silent fallback to localhost:8080, and the context's namespace.
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadKubeConfig } from '../../plugin/kube/config.js';
import { tempDir } from '../support/temp.js';

const CONFIG = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: u, user: {token: t}}]
contexts:
- {name: shop, context: {cluster: c, user: u, namespace: shop}}
- {name: plain, context: {cluster: c, user: u}}
current-context: shop
`;

describe('plugin/kube/config', () => {
  const home = tempDir('home');
  const file = join(home, 'config.yaml');
  writeFileSync(file, CONFIG);

  it('says where it looked when there is no configuration at all', () => {
    expect(() => loadKubeConfig({}, { HOME: home, KUBECONFIG: '/nowhere/a' }))
      .to.throw(`no kubeconfig found (looked at $KUBECONFIG /nowhere/a, ${join(home, '.kube', 'config')}); pass --kubeconfig or set KUBECONFIG`);
  });

  it('takes --kubeconfig, then $KUBECONFIG; the namespace from -n, else the context, else default', () => {
    expect(loadKubeConfig({ kubeconfig: file }, { HOME: home }).namespace).to.equal('shop');
    expect(loadKubeConfig({}, { HOME: home, KUBECONFIG: file }).namespace).to.equal('shop');
    expect(loadKubeConfig({ kubeconfig: file, namespace: 'other' }, { HOME: home }).namespace).to.equal('other');
    expect(loadKubeConfig({ kubeconfig: file, context: 'plain' }, { HOME: home }).namespace).to.equal('default');
  });

  it('names a missing file or context and the ones that exist', () => {
    expect(() => loadKubeConfig({ kubeconfig: join(home, 'nope') }, { HOME: home })).to.throw(`--kubeconfig ${join(home, 'nope')}: no such file`);
    expect(() => loadKubeConfig({ kubeconfig: file, context: 'prod' }, { HOME: home })).to.throw('context "prod" does not exist (contexts: shop, plain)');
  });
});
