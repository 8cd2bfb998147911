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

/** One namespace's DestinationRules: by resolved host, and those whose host is a wildcard ("*", "*.example.com"). */
export interface NamespaceRules {
  exact: Map<string, DestinationRule[]>;
  wildcard: DestinationRule[];
}

const byNamespaceAndHost = new WeakMap<readonly DestinationRule[], Map<string, NamespaceRules>>();

/** DestinationRules by namespace, then by host: a lookup reads the rules for its host, not the whole namespace. */
export function destinationRulesByNamespaceAndHost(drs: readonly DestinationRule[]): Map<string, NamespaceRules> {
  let index = byNamespaceAndHost.get(drs);
  if (!index) {
    index = new Map();
    for (const dr of drs) {
      const ns = namespaceOf(dr);
      let rules = index.get(ns);
      if (!rules) index.set(ns, rules = { exact: new Map(), wildcard: [] });
      const host = dr.spec?.host ?? '';
      if (host.startsWith('*')) {
        rules.wildcard.push(dr);
      } else {
        const resolved = resolveHost(host, ns);
        const list = rules.exact.get(resolved);
        if (list) list.push(dr); else rules.exact.set(resolved, [dr]);
      }
    }
    byNamespaceAndHost.set(drs, index);
  }
  return index;
}

/** VirtualServices by every resolved host they route or mirror to. */
export function virtualServicesByDestinationHost(vss: readonly VirtualService[]): Map<string, VirtualService[]> {
  return indexed(vss, (vs) => destinationsOf(vs)
    .filter(({ destination }) => typeof destination.host === 'string')
    .map(({ destination }) => resolveHost(destination.host, namespaceOf(vs))));
}

/** VirtualServices by each host they define (spec.hosts, resolved). */
export function virtualServicesByHost(vss: readonly VirtualService[]): Map<string, VirtualService[]> {
  return indexed(vss, (vs) => (Array.isArray(vs.spec?.hosts) ? vs.spec.hosts : []).map((h) => resolveHost(String(h), namespaceOf(vs))));
}

/** The VirtualServices that could be routing through a DestinationRule's host. */
export function virtualServicesUsing(dr: DestinationRule, vss: readonly VirtualService[]): readonly VirtualService[] {
  const host = resolveHost(dr.spec?.host ?? '', namespaceOf(dr));
  if (host.includes('*')) return vss; // a wildcard rule can serve many hosts: look at everything
  return virtualServicesByDestinationHost(vss).get(host) ?? [];
}

