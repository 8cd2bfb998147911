// Lookups the webhook makes on every review, over thousands of objects. Indexes are built once per
// array and remembered by the array's identity: callers that hand over the same snapshot until
// something changes (the webhook's caches do) pay for an index once, not per review.
import { resolveHost } from './hosts.js';
import { type DestinationRule, type Destination, type VirtualService, namespaceOf } from './model.js';

const byNamespaceCache = new WeakMap<readonly DestinationRule[], Map<string, DestinationRule[]>>();
const byHostCache = new WeakMap<readonly VirtualService[], Map<string, VirtualService[]>>();

export function destinationRulesByNamespace(drs: readonly DestinationRule[]): Map<string, DestinationRule[]> {
  let index = byNamespaceCache.get(drs);
  if (!index) {
    index = new Map();
    for (const dr of drs) {
      const ns = namespaceOf(dr);
      const list = index.get(ns) ?? [];
      list.push(dr);
      index.set(ns, list);
    }
    byNamespaceCache.set(drs, index);
  }
  return index;
}

/** VirtualServices by every resolved host they route or mirror to. */
export function virtualServicesByDestinationHost(vss: readonly VirtualService[]): Map<string, VirtualService[]> {
  let index = byHostCache.get(vss);
  if (!index) {
    index = new Map();
    for (const vs of vss) {
      const ns = namespaceOf(vs);
      const hosts = new Set<string>();
      const add = (d: Destination | undefined) => { if (d && typeof d.host === 'string') hosts.add(resolveHost(d.host, ns)); };
      for (const kind of ['http', 'tcp', 'tls'] as const) {
        for (const r of (vs.spec?.[kind] ?? []) as Array<{ route?: Array<{ destination?: Destination }>; mirror?: Destination; mirrors?: unknown[] }>) {
          for (const d of r?.route ?? []) add(d?.destination);
          add(r?.mirror);
          for (const m of (Array.isArray(r?.mirrors) ? r.mirrors : []) as Array<{ destination?: Destination }>) add(m?.destination);
        }
      }
      for (const h of hosts) {
        const list = index.get(h) ?? [];
        list.push(vs);
        index.set(h, list);
      }
    }
    byHostCache.set(vss, index);
  }
  return index;
}

/** The VirtualServices that could be routing through a DestinationRule's host. */
export function virtualServicesUsing(dr: DestinationRule, vss: readonly VirtualService[]): readonly VirtualService[] {
  const host = resolveHost(dr.spec?.host ?? '', namespaceOf(dr));
  if (host.includes('*')) return vss; // a wildcard rule can serve many hosts: look at everything
  return virtualServicesByDestinationHost(vss).get(host) ?? [];
}

