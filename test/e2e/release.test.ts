// The release as users get it (dist/release, `make release`): the archives and their checksums, the krew manifest
// (checked by krew's own validator, which downloads every platform's archive), the plugin installed by krew, and
// completion through the real kubectl's `__complete`, with names read from the cluster.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, readdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, fixturePath } from '../support/fixtures.js';
import { registry } from '../support/helm.js';
import { CLUSTER_BIN, KREW_BIN, KREW_ROOT, RELEASE_DIR, VERSION, hostArchive } from '../support/krew.js';
import { apply, freshNamespace, kubectl } from '../support/kubectl.js';
import { tempDir } from '../support/temp.js';

const run = promisify(execFile);
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Lists an archive's members, and reads one. */
async function members(archive: string): Promise<string[]> {
  return (await run('tar', ['-tzf', archive])).stdout.trim().split('\n').sort();
}
async function member(archive: string, name: string): Promise<Buffer> {
  return (await run('tar', ['-xzOf', archive, name], { encoding: 'buffer', maxBuffer: 1 << 28 })).stdout as unknown as Buffer;
}

/** cobra's answer: the candidates (without descriptions) and the directive. */
async function completeWith(...words: string[]): Promise<{ values: string[]; directive: string }> {
  const r = await kubectl(['__complete', 'gray', ...words]);
  expect(r.code, r.stderr).to.equal(0);
  const lines = r.stdout.trimEnd().split('\n');
  return { values: lines.slice(0, -1).map((l) => l.split('\t')[0]!), directive: lines.at(-1)! };
}

describe('e2e: the release, installed with krew', function () {
  this.timeout(180_000);

  it('has an archive per platform built here, each with the executable and LICENSE, and a checksums file that verifies', async () => {
    const archives = readdirSync(RELEASE_DIR).filter((f) => f.endsWith('.tar.gz')).sort();
    expect(archives).to.deep.equal([`kubectl-gray_${VERSION}_linux_amd64.tar.gz`, `kubectl-gray_${VERSION}_linux_arm64.tar.gz`]);
    for (const a of archives) expect(await members(join(RELEASE_DIR, a))).to.deep.equal(['LICENSE', 'kubectl-gray']);
    const sums = await run('sha256sum', ['-c', `kubectl-gray_${VERSION}_checksums.txt`], { cwd: RELEASE_DIR });
    const shipped = [...archives, 'gray.yaml', `kubectl-gray-${VERSION}.tgz`, `kubectl-gray-webhook_${VERSION}.spdx.json`, `kubectl-gray-webhook_${VERSION}_oci.tar`];
    expect(readdirSync(RELEASE_DIR).sort()).to.deep.equal([...shipped, `kubectl-gray_${VERSION}_checksums.txt`].sort());
    expect(sums.stdout.trim().split('\n').sort()).to.deep.equal(shipped.filter((f) => f !== 'gray.yaml').map((f) => `${f}: OK`).sort());
    // The arm64 executable cannot run here: it is an aarch64 ELF file with the application injected (the SEA fuse set).
    const arm = await member(join(RELEASE_DIR, archives[1]!), 'kubectl-gray');
    expect(arm.readUInt16LE(18), 'ELF e_machine').to.equal(183); // EM_AARCH64
    expect(arm.includes('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1')).to.equal(true);
  });

  it('the webhook image: the same digest when built again; non-root, no shell or package manager; its SBOM names what it holds', async () => {
    const layout = join(ROOT, 'dist', 'image');
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
    const digest = index.manifests[0].digest as string;
    const again = tempDir('image');
    await run(process.execPath, ['scripts/build-image.mjs', '--out', join(again, 'layout'), '--sbom', join(again, 'sbom.json')], { cwd: ROOT });
    expect(JSON.parse(readFileSync(join(again, 'layout', 'index.json'), 'utf8')).manifests[0].digest).to.equal(digest);
    expect(readFileSync(join(again, 'sbom.json'), 'utf8')).to.equal(readFileSync(join(RELEASE_DIR, `kubectl-gray-webhook_${VERSION}.spdx.json`), 'utf8'));

    const blob = (d: string) => join(layout, 'blobs', 'sha256', d.replace('sha256:', ''));
    const manifest = JSON.parse(readFileSync(blob(digest), 'utf8'));
    const config = JSON.parse(readFileSync(blob(manifest.config.digest), 'utf8'));
    expect(config.config).to.include({ User: '65532:65532', WorkingDir: '/app' });
    expect(config.config.Entrypoint).to.deep.equal(['/usr/local/bin/node', '/app/webhook.mjs']);
    const files = (await Promise.all(manifest.layers.map((l: { digest: string }) => members(blob(l.digest))))).flat();
    expect(files).to.include.members(['./usr/local/bin/node', './app/webhook.mjs', './app/LICENSE', './etc/passwd']);
    expect(files.filter((f) => /(^|\/)(sh|bash|dash|busybox|apt|apt-get|dpkg|npm|npx)$/.test(f)), 'no shell or package manager').to.deep.equal([]);

    const sbom = JSON.parse(readFileSync(join(RELEASE_DIR, `kubectl-gray-webhook_${VERSION}.spdx.json`), 'utf8'));
    expect(sbom.spdxVersion).to.equal('SPDX-2.3');
    const names = sbom.packages.map((p: { name: string }) => p.name);
    expect(names).to.include.members(['node', 'libc6', 'libstdc++6', 'fastify', 'node-forge', '@kubernetes/client-node', 'prom-client', 'yargs']);
    expect(sbom.packages.find((p: { name: string }) => p.name === 'node').versionInfo).to.equal(readFileSync(join(ROOT, '.node-version'), 'utf8').trim());

    // Published to the registry beside the cluster by that digest.
    const pushed = await run(join(CLUSTER_BIN, 'crane'), ['digest', '--insecure', `${registry()}/kubectl-gray/webhook:${VERSION}`]);
    expect(pushed.stdout.trim()).to.equal(digest);
  });

  it('krew installed the plugin from the manifest and archive; kubectl finds that executable and no other', async () => {
    const list = await kubectl(['plugin', 'list']);
    expect(list.stdout.split('\n').filter((l) => l.includes('kubectl-gray'))).to.deep.equal([join(KREW_BIN, 'kubectl-gray')]);
    expect(realpathSync(join(KREW_BIN, 'kubectl-gray'))).to.equal(join(KREW_ROOT, 'store', 'gray', `v${VERSION}`, 'kubectl-gray'));
    const receipt = readFileSync(join(KREW_ROOT, 'receipts', 'gray.yaml'), 'utf8');
    expect(receipt).to.contain(`version: v${VERSION}`).and.contain(sha256(hostArchive()));
    expect((await kubectl(['gray', 'version'])).stdout).to.equal(`kubectl-gray ${VERSION}\n`);
  });

  it('passes krew\'s own manifest validator, which installs every platform from a (loopback) download server', async () => {
    const server = createServer((req, res) => {
      const file = join(RELEASE_DIR, basename(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
      try {
        res.writeHead(200, { 'Content-Length': statSync(file).size });
        createReadStream(file).pipe(res);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      // The manifest as the release page serves it, with the archives' address pointed at the loopback server.
      const manifest = readFileSync(join(RELEASE_DIR, 'gray.yaml'), 'utf8');
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const local = join(tempDir('manifest'), 'gray.yaml');
      writeFileSync(local, manifest.replace(/uri: \S+\/(kubectl-gray_[^/\s]+\.tar\.gz)/g, `uri: ${url}/$1`));
      expect(readFileSync(local, 'utf8').match(/uri: http:\/\/127\.0\.0\.1/g)).to.have.length(2);
      const r = await run(join(CLUSTER_BIN, 'validate-krew-manifest'), ['-manifest', local], { env: { ...process.env, PATH: `${CLUSTER_BIN}:${process.env['PATH']}` } });
      expect(r.stderr).to.contain('all 2 spec.platforms installed fine');
    } finally {
      server.close();
    }
  });

  it('completes through kubectl: commands, flags, and the services, subsets and namespaces of the cluster', async () => {
    const ns = await freshNamespace('complete');
    await apply(ns, readFileSync(fixturePath('bookinfo.yaml'), 'utf8'));
    expect((await completeWith('sw')).values).to.deep.equal(['switch']);
    expect(await completeWith('set-weight', '-n', ns, '--dr')).to.deep.equal({ values: ['--dry-run'], directive: ':4' });
    expect(await completeWith('set-weight', '-n', ns, '')).to.deep.equal({ values: ['ratings', 'reviews'], directive: ':4' });
    expect(await completeWith('set-weight', 'reviews', '-n', ns, '')).to.deep.equal({ values: ['v1=', 'v2=', 'v3='], directive: ':6' });
    expect(await completeWith('set-weight', 'reviews', 'v2=10', '-n', ns, '')).to.deep.equal({ values: ['v1=', 'v3='], directive: ':6' });
    expect(await completeWith('switch', '-n', ns, 'reviews', 'v')).to.deep.equal({ values: ['v1', 'v2', 'v3'], directive: ':4' });
    expect((await completeWith('status', '-n', '')).values).to.include(ns);
    expect(await completeWith('status', '-o', '')).to.deep.equal({ values: ['json', 'jsonpath=', 'wide', 'yaml'], directive: ':6' });
    // No cluster to ask: nothing to offer, and no error for the shell to print.
    expect(await completeWith('switch', '--kubeconfig', '/nonexistent', '')).to.deep.equal({ values: [], directive: ':4' });
  });
});
