// Runs the harness's helm against the e2e cluster with its own cache and config folders, returning the
// exit code and output instead of throwing, so tests can assert on refusals too.
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './fixtures.js';
import { VERSION } from './krew.js';
import { CLUSTER_DIR, CLUSTER_SCRIPTS, KUBECONFIG, k } from './kubectl.js';

const HELM = join(ROOT, 'test', 'cluster', 'bin', 'helm');
/** The chart's source: for rendering and linting its templates. */
export const CHART = join(ROOT, 'charts', 'kubectl-gray');

/** The local registry beside the cluster (test/cluster/registry-up.sh). */
export const registry = () => `127.0.0.1:${readFileSync(join(CLUSTER_DIR, 'registry-port'), 'utf8').trim()}`;

/**
 * The released chart as README tells users to install it, from the registry the release was pushed to
 * (`helm install kubectl-gray oci://REGISTRY/charts/kubectl-gray --version VERSION`); plain HTTP on loopback.
 */
export const releasedChart = (): string[] => [`oci://${registry()}/charts/kubectl-gray`, '--version', VERSION, '--plain-http'];
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

/**
 * For the describe block it is called in: the chart's webhook (a release named kubectl-gray in `namespace`) judges
 * alone. The harness's host-process webhook steps aside before, and is registered again after the release is
 * uninstalled.
 */
export function chartWebhookAlone(namespace: string): void {
  before(async () => {
    await k('delete', 'validatingwebhookconfiguration,mutatingwebhookconfiguration', 'kubectl-gray-harness', '--ignore-not-found');
    await k('delete', 'apiservice', 'v1alpha1.query.kubectl-gray.io', '--ignore-not-found');
    // The chart installs the policy CRDs itself (Helm will not adopt the harness's); kept on uninstall, they are
    // deleted here before each install, and webhook-up.sh applies them again after.
    await k('delete', 'crd', 'clustergraypolicies.policy.kubectl-gray.io', 'graypolicies.policy.kubectl-gray.io', '--ignore-not-found', '--wait', '--timeout=120s');
  });
  after(async function () {
    this.timeout(180_000);
    await helm('uninstall', 'kubectl-gray', '-n', namespace, '--wait');
    execFileSync(join(CLUSTER_SCRIPTS, 'webhook-up.sh'), { env: { ...process.env, CLUSTER_DIR }, stdio: 'ignore' });
  });
}
