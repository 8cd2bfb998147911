// Reproducible archives and OCI image layouts, without a container engine: the same files give the same bytes
// (sorted names, numeric root owner, no times, no group or other write bits; gzip without a name or time), so an
// image built twice from the same inputs has the same digest.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const EPOCH = '1970-01-01T00:00:00Z';

/** A tar of `entries` (default: everything) under `dir`. */
export function tarOf(dir, entries = ['.']) {
  return execFileSync('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '--mode=go-w', '--format=gnu',
    '-C', dir, '-cf', '-', ...entries], { maxBuffer: 1 << 30 });
}

export const gzipOf = (bytes) => execFileSync('gzip', ['-n', '-6'], { input: bytes, maxBuffer: 1 << 30 });

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/**
 * Writes an OCI image layout into `out` (emptied first): one layer per root filesystem folder, in order, gzipped
 * unless `gzip: false`; `config` is the image's run-time config (Entrypoint, User, ...). Returns the manifest's
 * digest and each layer's size as stored.
 * @param {string} out
 * @param {{ layers: Array<{ rootfs: string, createdBy: string }>, config: object, gzip?: boolean, refName: string,
 *   imageName: string, annotations?: Record<string, string> }} image
 */
export function writeOciLayout(out, image) {
  const blobs = join(out, 'blobs', 'sha256');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(blobs, { recursive: true });
  const writeBlob = (bytes) => {
    const hex = sha256(bytes);
    writeFileSync(join(blobs, hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.length };
  };
  const gzip = image.gzip !== false;
  const layers = image.layers.map(({ rootfs }) => {
    const tar = tarOf(rootfs);
    return { diffId: `sha256:${sha256(tar)}`, ...writeBlob(gzip ? gzipOf(tar) : tar) };
  });
  const config = writeBlob(Buffer.from(JSON.stringify({
    created: EPOCH, architecture: 'amd64', os: 'linux',
    config: image.config,
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: image.layers.map((l) => ({ created: EPOCH, created_by: l.createdBy })),
  })));
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: layers.map((l) => ({ mediaType: `application/vnd.oci.image.layer.v1.tar${gzip ? '+gzip' : ''}`, digest: l.digest, size: l.size })),
    ...(image.annotations ? { annotations: image.annotations } : {}),
  };
  const manifestBlob = writeBlob(Buffer.from(JSON.stringify(manifest)));
  writeFileSync(join(out, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(out, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{
      mediaType: manifest.mediaType, ...manifestBlob, platform: { architecture: 'amd64', os: 'linux' },
      // containerd's import names the image by the first; OCI tools by the second.
      annotations: { 'io.containerd.image.name': image.imageName, 'org.opencontainers.image.ref.name': image.refName },
    }],
  }));
  return { digest: manifestBlob.digest, layers: layers.map((l) => ({ size: l.size })) };
}
