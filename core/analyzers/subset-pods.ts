// A DestinationRule subset whose labels, with its Service's selector, select no pod (IST0173): a route to it
// answers 503 (no healthy upstream). Runs only when some Pod is given (analyze --cluster, or pods in the files).
import { resolveHost } from '../hosts.js';
import { type DestinationRule, describeObject, namespaceOf } from '../model.js';
import { type Finding, finding } from '../rules.js';
import { type Inventory, labelsOf, selects } from './inventory.js';

export function checkSubsetPods(inv: Inventory): Array<{ object: DestinationRule; finding: Finding }> {
  if (!inv.complete && inv.pods.length === 0) return [];
  const services = new Map(inv.services.map((s) => [`${s.metadata.name}.${namespaceOf(s)}.svc.cluster.local`, s]));
  const out: Array<{ object: DestinationRule; finding: Finding }> = [];
  for (const dr of inv.destinationRules) {
    const host = resolveHost(dr.spec?.host ?? '', namespaceOf(dr));
    const service = services.get(host);
    const selector = labelsOf((service?.['spec'] as { selector?: unknown } | undefined)?.selector);
    // Pods of the Service's namespace when the Service is known; of the rule's otherwise.
    const namespace = service ? namespaceOf(service) : namespaceOf(dr);
    const pods = inv.pods.filter((p) => namespaceOf(p) === namespace).map((p) => labelsOf(p.metadata.labels));
    (dr.spec?.subsets ?? []).forEach((subset, i) => {
      const wanted = { ...selector, ...labelsOf(subset?.labels) };
      if (Object.keys(wanted).length === 0 || pods.some((labels) => selects(wanted, labels))) return;
      out.push({ object: dr, finding: finding('subset-no-pods', describeObject(dr), `spec.subsets[${i}].labels`,
        `subset ${subset?.name ?? i} selects no pod in namespace ${namespace} (${Object.entries(wanted).map(([k, v]) => `${k}=${v}`).join(', ')}): a route to it answers 503`,
        'deploy the version (kubectl gray canary makes it), or correct the subset\'s labels') });
    });
  }
  return out;
}
