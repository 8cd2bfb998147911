// The plugin as users get it: the end-to-end suite installs the release (dist/release, `make release`) with
// krew, from its manifest and archive, and runs every `kubectl gray ...` through the executable krew installed.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './fixtures.js';
import { tempDir } from './temp.js';

export const RELEASE_DIR = join(ROOT, 'dist', 'release');
export const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
export const CLUSTER_BIN = join(ROOT, 'test', 'cluster', 'bin');
/** krew's root for this run (krew's default is ~/.krew; a user's own is left alone). */
export const KREW_ROOT = join(tempDir('krew'), 'root');
export const KREW_BIN = join(KREW_ROOT, 'bin');
export const KREW_ENV = { KREW_ROOT, KREW_NO_UPGRADE_CHECK: '1' };

/** The archive krew installs on this machine. */
export const hostArchive = () => join(RELEASE_DIR, `kubectl-gray_${VERSION}_linux_${process.arch === 'arm64' ? 'arm64' : 'amd64'}.tar.gz`);

let installed: Promise<void> | undefined;

/**
 * `kubectl krew install --manifest --archive` (no network: krew checks the archive against the manifest's
 * sha256), then `kubectl gray completion install`, which writes the completion helper into krew's bin folder.
 */
export function installWithKrew(): Promise<void> {
  installed ??= (async () => {
    mkdirSync(KREW_ROOT, { recursive: true });
    const run = promisify(execFile);
    const env = { ...process.env, ...KREW_ENV, PATH: `${KREW_BIN}:${CLUSTER_BIN}:${process.env['PATH']}` };
    await run(join(CLUSTER_BIN, 'kubectl'), ['krew', 'install', `--manifest=${join(RELEASE_DIR, 'gray.yaml')}`, `--archive=${hostArchive()}`], { env });
    await run(join(CLUSTER_BIN, 'kubectl'), ['gray', 'completion', 'install'], { env });
  })();
  return installed;
}
