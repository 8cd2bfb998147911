#!/usr/bin/env node
// Assembles a single-layer OCI image archive from a root filesystem folder, without a container engine
// or registry: the layer is a deterministic tar of the folder, plus a config, a manifest and an index
// whose annotation names the image, which is what `ctr images import` needs to make it visible to the CRI.
//
//   oci-image.mjs --name registry.local/x:1 --rootfs DIR --out X.tar [--entrypoint '["/bin/x"]']
//                 [--cmd '["serve"]'] [--env K=V]... [--workdir /app] [--user 65532:65532]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    name: { type: 'string' }, rootfs: { type: 'string' }, out: { type: 'string' },
    entrypoint: { type: 'string' }, cmd: { type: 'string' }, env: { type: 'string', multiple: true },
    workdir: { type: 'string' }, user: { type: 'string' },
  },
});
for (const required of ['name', 'rootfs', 'out']) {
  if (!values[required]) { console.error(`oci-image: --${required} is required`); process.exit(2); }
}

const work = mkdtempSync(join(tmpdir(), 'oci-image-'));
const blobs = join(work, 'layout', 'blobs', 'sha256');
mkdirSync(blobs, { recursive: true });
const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
const blob = (buf) => { const digest = sha256(buf); writeFileSync(join(blobs, digest), buf); return { digest: `sha256:${digest}`, size: buf.length }; };

// Same bytes for the same tree: sorted names, fixed owner and time.
const layerPath = join(work, 'layer.tar');
execFileSync('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', values.rootfs, '-cf', layerPath, '.']);
const layerBytes = readFileSync(layerPath);
const layer = blob(layerBytes);

const config = {
  architecture: 'amd64', os: 'linux', created: '1970-01-01T00:00:00Z',
  config: {
    ...(values.entrypoint ? { Entrypoint: JSON.parse(values.entrypoint) } : {}),
    ...(values.cmd ? { Cmd: JSON.parse(values.cmd) } : {}),
    Env: ['PATH=/usr/local/bin:/usr/bin:/bin', ...(values.env ?? [])],
    ...(values.workdir ? { WorkingDir: values.workdir } : {}),
    ...(values.user ? { User: values.user } : {}),
  },
  rootfs: { type: 'layers', diff_ids: [layer.digest] },
};
const configDesc = blob(Buffer.from(JSON.stringify(config)));
const manifest = {
  schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...configDesc },
  layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
};
const manifestDesc = blob(Buffer.from(JSON.stringify(manifest)));
const tag = values.name.slice(values.name.lastIndexOf(':') + 1);
writeFileSync(join(work, 'layout', 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
writeFileSync(join(work, 'layout', 'index.json'), JSON.stringify({
  schemaVersion: 2,
  manifests: [{
    mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifestDesc,
    platform: { architecture: 'amd64', os: 'linux' },
    annotations: { 'io.containerd.image.name': values.name, 'org.opencontainers.image.ref.name': tag },
  }],
}));
execFileSync('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', join(work, 'layout'), '-cf', values.out, '.']);
rmSync(work, { recursive: true, force: true });
console.log(`${values.name} ${manifestDesc.digest} (${(layerBytes.length / 1048576).toFixed(1)} MiB)`);
