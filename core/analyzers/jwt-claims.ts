// Routing on JWT claims (@request.auth.claims.*) needs a RequestAuthentication that covers the gateway's pods
// (IST0149): without one the claims are never set, and the route never matches. Runs only when the gateway's
// pods are given (analyze --cluster, or pods in the files).
import { ISTIO_ROOT_NAMESPACE } from '../hosts.js';
import { type KubeObject, type VirtualService, describeObject, namespaceOf } from '../model.js';
import { type Finding, finding } from '../rules.js';
import { type Inventory, gatewaysOf, labelsOf, selects } from './inventory.js';

const CLAIM = /^@request\.auth\.claims[.[]/;

function claimKey(vs: VirtualService): { key: string; field: string } | undefined {
  for (const [i, route] of (vs.spec.http ?? []).entries()) {
    for (const [k, m] of (route?.match ?? []).entries()) {
      for (const where of ['headers', 'withoutHeaders'] as const) {
        const key = Object.keys((m as Record<string, object> | undefined)?.[where] ?? {}).find((h) => CLAIM.test(h));
        if (key) return { key, field: `spec.http[${i}].match[${k}].${where}` };
      }
    }
  }
  return undefined;
}

const covers = (ra: KubeObject, pod: KubeObject) =>
  selects(labelsOf((ra['spec'] as { selector?: { matchLabels?: unknown } } | undefined)?.selector?.matchLabels), labelsOf(pod.metadata.labels));

export function checkJwtClaims(inv: Inventory): Array<{ object: VirtualService; finding: Finding }> {
  if (!inv.complete && inv.pods.length === 0) return [];
  const out: Array<{ object: VirtualService; finding: Finding }> = [];
  for (const vs of inv.virtualServices) {
    const claim = claimKey(vs);
    if (!claim) continue;
    for (const ref of gatewaysOf(vs).filter((g) => g !== 'mesh')) {
      const [namespace, name] = ref.includes('/') ? ref.split('/', 2) as [string, string] : [namespaceOf(vs), ref];
      const gateway = inv.gateways.find((g) => namespaceOf(g) === namespace && g.metadata.name === name);
      if (!gateway) continue;
      const selector = labelsOf((gateway['spec'] as { selector?: unknown } | undefined)?.selector);
      const uncovered = inv.pods.filter((p) => selects(selector, labelsOf(p.metadata.labels)))
        .filter((p) => !inv.requestAuthentications.some((ra) => [ISTIO_ROOT_NAMESPACE, namespaceOf(p)].includes(namespaceOf(ra)) && covers(ra, p)));
      if (uncovered.length === 0) continue;
      out.push({ object: vs, finding: finding('jwt-claim-without-authn', describeObject(vs), claim.field,
        `routes on JWT claim ${claim.key} through Gateway ${namespace}/${name}, but no RequestAuthentication covers its pod${uncovered.length > 1 ? 's' : ''} ${uncovered.map((p) => `${namespaceOf(p)}/${p.metadata.name}`).join(', ')}: the claim is never set and the route never matches`,
        `apply a RequestAuthentication selecting the gateway's pods (in ${ISTIO_ROOT_NAMESPACE} or their namespace) before routing on claims`) });
    }
  }
  return out;
}
