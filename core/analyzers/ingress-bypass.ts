// A gateway VirtualService that sends a host straight to the service (no subset) while a mesh VirtualService
// splits the same host by subset (IST0140): requests from outside skip the split, so a canary at 10 % in the mesh
// gets a third of the outside traffic, or whatever the Service's endpoints give it.
import { destinationsOf } from '../destinations.js';
import { resolveHost } from '../hosts.js';
import { type VirtualService, describeObject, namespaceOf, objectKey } from '../model.js';
import { type Finding, finding } from '../rules.js';
import { gatewaysOf, isMeshBound } from './inventory.js';

/** Mesh VirtualServices by each of their hosts that they route to subsets of. */
export function subsetSplits(virtualServices: readonly VirtualService[]): Map<string, VirtualService[]> {
  const out = new Map<string, VirtualService[]>();
  for (const vs of virtualServices) {
    if (!isMeshBound(vs)) continue;
    const ns = namespaceOf(vs);
    const hosts = new Set((vs.spec.hosts ?? []).map((h) => resolveHost(String(h), ns)));
    for (const { destination } of destinationsOf(vs)) {
      if (typeof destination.host !== 'string' || !destination.subset) continue;
      const host = resolveHost(destination.host, ns);
      if (hosts.has(host) && !(out.get(host) ?? []).includes(vs)) out.set(host, [...(out.get(host) ?? []), vs]);
    }
  }
  return out;
}

export function checkIngressBypass(virtualServices: readonly VirtualService[]): Array<{ object: VirtualService; finding: Finding }> {
  const splits = subsetSplits(virtualServices);
  const out: Array<{ object: VirtualService; finding: Finding }> = [];
  for (const vs of virtualServices) {
    const gateways = gatewaysOf(vs).filter((g) => g !== 'mesh');
    if (gateways.length === 0) continue;
    const ns = namespaceOf(vs);
    for (const ref of destinationsOf(vs)) {
      const d = ref.destination;
      // HTTP routes, as Istio's check: a mirror is a copy, not a way in.
      if (typeof d.host !== 'string' || d.subset || !ref.field.startsWith('spec.http[') || !ref.field.endsWith('destination')) continue;
      for (const split of splits.get(resolveHost(d.host, ns)) ?? []) {
        if (split === vs) continue;
        out.push({ object: vs, finding: finding('ingress-bypasses-subsets', describeObject(vs), `${ref.field}.subset`,
          `requests through ${gateways.join(', ')} go to ${d.host} without a subset, so they skip the subset split of VirtualService ${objectKey(split)}`,
          `route to the same subsets here (kubectl gray set-weight changes both), or add the gateway to ${objectKey(split)}'s gateways and route from there`) });
      }
    }
  }
  return out;
}
