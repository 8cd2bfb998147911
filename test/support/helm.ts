// Runs the harness's helm against the e2e cluster with its own cache and config folders, returning the
// exit code and output instead of throwing, so tests can assert on refusals too.
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './fixtures.js';
import { KUBECONFIG } from './kubectl.js';

const HELM = join(ROOT, 'test', 'cluster', 'bin', 'helm');
export const CHART = join(ROOT, 'charts', 'kubectl-gray');
const run = promisify(execFile);

export async function helm(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(HELM, args, { env: { ...process.env, KUBECONFIG, HELM_CACHE_HOME: join(tmpdir(), 'gray-helm-cache'), HELM_CONFIG_HOME: join(tmpdir(), 'gray-helm-config') } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code || 1, stdout: e.stdout, stderr: e.stderr };
  }
}
