#!/usr/bin/env node
// Assembles a single-layer OCI image archive from a root filesystem folder, without a container engine or
// registry (scripts/oci.mjs makes the layout; the archive is its tar), for `ctr images import` to make it
// visible to the CRI.
//
//   oci-image.mjs --name registry.local/x:1 --rootfs DIR --out X.tar [--entrypoint '["/bin/x"]']
//                 [--cmd '["serve"]'] [--env K=V]... [--workdir /app] [--user 65532:65532]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { tarOf, writeOciLayout } from '../../../scripts/oci.mjs';

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
const { digest, layers } = writeOciLayout(join(work, 'layout'), {
  layers: [{ rootfs: values.rootfs, createdBy: `test/cluster/images/oci-image.mjs ${values.name}` }],
  gzip: false, // imported on this machine: compressing would only cost time
  config: {
    ...(values.entrypoint ? { Entrypoint: JSON.parse(values.entrypoint) } : {}),
    ...(values.cmd ? { Cmd: JSON.parse(values.cmd) } : {}),
    Env: ['PATH=/usr/local/bin:/usr/bin:/bin', ...(values.env ?? [])],
    ...(values.workdir ? { WorkingDir: values.workdir } : {}),
    ...(values.user ? { User: values.user } : {}),
  },
  imageName: values.name,
  refName: values.name.slice(values.name.lastIndexOf(':') + 1),
});
writeFileSync(values.out, tarOf(join(work, 'layout')));
rmSync(work, { recursive: true, force: true });
console.log(`${values.name} ${digest} (${(layers[0].size / 1048576).toFixed(1)} MiB)`);
