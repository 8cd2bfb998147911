// Admissions through the API server while something happens to the guardrails (a CA rotation, a lost replica,
// an upgrade): the stream, and what the tests read about the chart's webhook configuration.
import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiError } from '../../kube/errors.js';
import { KubeRest } from '../../kube/rest.js';
import { fixturePath } from './fixtures.js';
import { helm } from './helm.js';
import { KUBECONFIG, k } from './kubectl.js';

/** Bookinfo's routing objects only (no Deployments): what the chart's webhook judges. */
export const BOOKINFO_ROUTING = readFileSync(fixturePath('bookinfo.yaml'), 'utf8').split(/^---$/m)
  .filter((doc) => /^kind: (VirtualService|DestinationRule)$/m.test(doc)).join('---');
/** The chart's main validating entry, and its self-check entry. */
export const MAIN = 'istio.validate.kubectl-gray.io';
export const SELF_CHECK = 'selfcheck.kubectl-gray.io';
/** The Gateway API's entry: its routes and Service deletes, switched with MAIN. */
export const GATEWAY = 'gateway.validate.kubectl-gray.io';
/** The policy objects' entry (ClusterGrayPolicy, GrayPolicy). */
export const POLICY = 'policy.validate.kubectl-gray.io';

/** A VirtualService for reviews whose one route sends to these subsets with these weights. */
export const vsYaml = (routes: Array<[string, number]>, name = 'reviews') => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}}
spec:
  hosts: [reviews]
  http:
  - route:
${routes.map(([s, w]) => `    - {destination: {host: reviews, subset: ${s}}, weight: ${w}}`).join('\n')}
`;

/** Weights that total 90: refused by the webhook (GRAY101). */
export const badWeights = (name: string) => vsYaml([['v1', 80], ['v2', 10]], name);

/** The validating configuration's entries as name:failurePolicy. */
export async function failurePolicies(): Promise<string[]> {
  const config = JSON.parse(await k('get', 'validatingwebhookconfiguration', 'kubectl-gray', '-o', 'json'));
  return config.webhooks.map((w: { name: string; failurePolicy: string }) => `${w.name}:${w.failurePolicy}`);
}


/**
 * Admissions through the API server until `during` settles: server-side dry-run creates in `shop`, a valid
 * VirtualService (must be allowed) and one whose weights total 90 (must be refused by our webhook). Returns
 * what went wrong; [] is the goal.
 */
export async function admissionsDuring(shop: string, during: Promise<unknown>): Promise<{ sent: number; failures: string[] }> {
  const kc = new KubeConfig();
  kc.loadFromFile(KUBECONFIG);
  const rest = new KubeRest(kc);
  const vs = (name: string, weights: [number, number]) => ({
    apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace: shop },
    spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: weights[0] }, { destination: { host: 'reviews', subset: 'v2' }, weight: weights[1] }] }] },
  });
  let done = false;
  const settled = during.finally(() => { done = true; });
  const failures: string[] = [];
  let sent = 0;
  while (!done) {
    const n = sent++;
    const invalid = n % 2 === 1;
    try {
      await rest.request('POST', `/apis/networking.istio.io/v1/namespaces/${shop}/virtualservices?dryRun=All`, vs(`soak-${n}`, invalid ? [80, 10] : [90, 10]));
      if (invalid) failures.push(`#${n}: a known-bad VirtualService was allowed`);
    } catch (err) {
      const ours = err instanceof ApiError && err.serverMessage.includes(`admission webhook "${MAIN}" denied the request`) && err.serverMessage.includes('GRAY101');
      if (!invalid || !ours) failures.push(`#${n}: ${(err as Error).message.slice(0, 200)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await settled;
  return { sent, failures };
}

/** Every distinct state of the failurePolicies (one line each), read every 200 ms until `during` settles. */
export async function failurePoliciesDuring(during: Promise<unknown>): Promise<string[]> {
  const seen = new Set<string>();
  let done = false;
  const stop = () => { done = true; };
  during.then(stop, stop);
  while (!done) {
    seen.add((await failurePolicies()).join(' '));
    await new Promise((r) => setTimeout(r, 200));
  }
  return [...seen];
}

/**
 * `helm upgrade ARGS...` while admissions stream into `shop`: helm's result, the admissions that went wrong ([] is
 * the goal), and every state of the failurePolicies read meanwhile.
 */
export async function upgradeUnderAdmissions(shop: string, ...args: string[]) {
  const upgraded = helm('upgrade', ...args);
  const watched = failurePoliciesDuring(upgraded);
  const { sent, failures } = await admissionsDuring(shop, upgraded);
  return { helm: await upgraded, sent, failures, policies: await watched };
}
