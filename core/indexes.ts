// Lookups the webhook makes on every review, over thousands of objects. Indexes are built once per
// array and remembered by the array's identity: callers that hand over the same snapshot until
// something changes (the webhook's caches do) pay for an index once, not per review.
import { resolveHost } from './hosts.js';
import { destinationsOf } from './destinations.js';
import { type DestinationRule, type VirtualService, namespaceOf } from './model.js';

const indexes = new WeakMap<readonly unknown[], Map<string, unknown[]>>();

/** Groups items under every key `keysOf` gives them; built once per array (by identity). */
function indexed<T>(items: readonly T[], keysOf: (item: T) => Iterable<string>): Map<string, T[]> {
  let index = indexes.get(items) as Map<string, T[]> | undefined;
  if (!index) {
    index = new Map();
    for (const item of items) {
      for (const key of new Set(keysOf(item))) {
        const list = index.get(key) ?? [];
        list.push(item);
        index.set(key, list);
      }
    }
    indexes.set(items, index);
  }
  return index;
}

export function destinationRulesByNamespace(drs: readonly DestinationRule[]): Map<string, DestinationRule[]> {
  return indexed(drs, (dr) => [namespaceOf(dr)]);
}

/** VirtualServices by every resolved host they route or mirror to. */
export function virtualServicesByDestinationHost(vss: readonly VirtualService[]): Map<string, VirtualService[]> {
  return indexed(vss, (vs) => destinationsOf(vs)
    .filter(({ destination }) => typeof destination.host === 'string')
    .map(({ destination }) => resolveHost(destination.host, namespaceOf(vs))));
}

/** The VirtualServices that could be routing through a DestinationRule's host. */
export function virtualServicesUsing(dr: DestinationRule, vss: readonly VirtualService[]): readonly VirtualService[] {
  const host = resolveHost(dr.spec?.host ?? '', namespaceOf(dr));
  if (host.includes('*')) return vss; // a wildcard rule can serve many hosts: look at everything
  return virtualServicesByDestinationHost(vss).get(host) ?? [];
}

