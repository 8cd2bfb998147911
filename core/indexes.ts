// Lookups the webhook makes on every review, over thousands of objects. Indexes are built once per
// array and remembered by the array's identity: callers that hand over the same snapshot until
// something changes (the webhook's caches do) pay for an index once, not per review.
import { resolveHost } from './hosts.js';
import { destinationsOf } from './destinations.js';
import { type DestinationRule, type VirtualService, namespaceOf } from './model.js';

/** One WeakMap per kind of index: two indexes of the same array must not find each other's. */
const byHostIndexes = new WeakMap<readonly VirtualService[], Map<string, VirtualService[]>>();
const byDestinationIndexes = new WeakMap<readonly VirtualService[], Map<string, VirtualService[]>>();

/** Groups items under every key `keysOf` gives them; built once per array (by identity), in `memo`. */
function indexed<T>(memo: WeakMap<readonly T[], Map<string, T[]>>, items: readonly T[], keysOf: (item: T) => Iterable<string>): Map<string, T[]> {
  let index = memo.get(items);
  if (!index) {
    index = new Map();
    for (const item of items) {
      for (const key of new Set(keysOf(item))) {
        const list = index.get(key) ?? [];
        list.push(item);
        index.set(key, list);
      }
    }
    memo.set(items, index);
  }
  return index;
}

/** One namespace's DestinationRules: by resolved host, and those whose host is a wildcard ("*", "*.example.com"). */
export interface NamespaceRules {
  exact: Map<string, DestinationRule[]>;
  wildcard: DestinationRule[];
}

const byNamespaceAndHost = new WeakMap<readonly DestinationRule[], Map<string, NamespaceRules>>();

/** Where a DestinationRule sits in that index: its namespace, and its resolved host or undefined for a wildcard. */
function placeOf(dr: DestinationRule): { ns: string; host: string | undefined } {
  const ns = namespaceOf(dr);
  const host = dr.spec?.host ?? '';
  return { ns, host: host.startsWith('*') ? undefined : resolveHost(host, ns) };
}

/** The list a DestinationRule at this place belongs to, made when `create`. */
function rulesAt(index: Map<string, NamespaceRules>, { ns, host }: { ns: string; host: string | undefined }, create: boolean): DestinationRule[] | undefined {
  let rules = index.get(ns);
  if (!rules) {
    if (!create) return undefined;
    index.set(ns, rules = { exact: new Map(), wildcard: [] });
  }
  if (host === undefined) return rules.wildcard;
  let list = rules.exact.get(host);
  if (!list && create) rules.exact.set(host, list = []);
  return list;
}

/** DestinationRules by namespace, then by host: a lookup reads the rules for its host, not the whole namespace. */
export function destinationRulesByNamespaceAndHost(drs: readonly DestinationRule[]): Map<string, NamespaceRules> {
  let index = byNamespaceAndHost.get(drs);
  if (!index) {
    index = new Map();
    for (const dr of drs) rulesAt(index, placeOf(dr), true)!.push(dr);
    byNamespaceAndHost.set(drs, index);
  }
  return index;
}

/** The resolved hosts a VirtualService routes or mirrors to. */
function destinationKeys(vs: VirtualService): string[] {
  return [...new Set(destinationsOf(vs).filter(({ destination }) => typeof destination.host === 'string')
    .map(({ destination }) => resolveHost(destination.host, namespaceOf(vs))))];
}

/** The resolved hosts a VirtualService defines (spec.hosts). */
function hostKeys(vs: VirtualService): string[] {
  return [...new Set((Array.isArray(vs.spec?.hosts) ? vs.spec.hosts : []).map((h) => resolveHost(String(h), namespaceOf(vs))))];
}

/** VirtualServices by every resolved host they route or mirror to. */
export function virtualServicesByDestinationHost(vss: readonly VirtualService[]): Map<string, VirtualService[]> {
  return indexed(byDestinationIndexes, vss, destinationKeys);
}

/** VirtualServices by each host they define (spec.hosts, resolved). */
export function virtualServicesByHost(vss: readonly VirtualService[]): Map<string, VirtualService[]> {
  return indexed(byHostIndexes, vss, hostKeys);
}

/** The VirtualServices that could be routing through a DestinationRule's host. */
export function virtualServicesUsing(dr: DestinationRule, vss: readonly VirtualService[]): readonly VirtualService[] {
  const host = resolveHost(dr.spec?.host ?? '', namespaceOf(dr));
  if (host.includes('*')) return vss; // a wildcard rule can serve many hosts: look at everything
  return virtualServicesByDestinationHost(vss).get(host) ?? [];
}

/** Puts `item` under `key`: in the place of `old` where that is there (an update keeps its place, as in the cache's own order), else last. */
function putIn<T>(index: Map<string, T[]>, key: string, item: T, old: T | undefined): void {
  const list = index.get(key);
  if (!list) return void index.set(key, [item]);
  const at = old === undefined ? -1 : list.indexOf(old);
  if (at >= 0) list[at] = item; else list.push(item);
}

function takeOut<T>(index: Map<string, T[]>, key: string, item: T): void {
  const list = index.get(key);
  const at = list?.indexOf(item) ?? -1;
  if (at < 0) return;
  list!.splice(at, 1);
  if (list!.length === 0) index.delete(key);
}

/**
 * The same indexes, kept one object at a time by the webhook's caches (a watch event changes a few entries) and
 * lent to each array the caches hand out (adopt): a review after a write used to rebuild them over the whole
 * cluster, 170 ms at 50,000 + 50,000. They may then be a moment ahead of the array, as the next array will be.
 */
export class LiveIndexes {
  private readonly byHost = new Map<string, VirtualService[]>();
  private readonly byDestination = new Map<string, VirtualService[]>();
  private readonly virtualServices = new Map<string, { vs: VirtualService; hosts: string[]; destinations: string[] }>();
  private readonly rules = new Map<string, NamespaceRules>();
  private readonly destinationRules = new Map<string, DestinationRule>();

  setVirtualService(key: string, vs: VirtualService): void {
    const old = this.virtualServices.get(key);
    const entry = { vs, hosts: hostKeys(vs), destinations: destinationKeys(vs) };
    for (const [index, keys, oldKeys] of [[this.byHost, entry.hosts, old?.hosts], [this.byDestination, entry.destinations, old?.destinations]] as const) {
      for (const k of oldKeys ?? []) if (!keys.includes(k)) takeOut(index, k, old!.vs);
      for (const k of keys) putIn(index, k, vs, old?.vs);
    }
    this.virtualServices.set(key, entry);
  }

  deleteVirtualService(key: string): void {
    const old = this.virtualServices.get(key);
    if (!old) return;
    for (const k of old.hosts) takeOut(this.byHost, k, old.vs);
    for (const k of old.destinations) takeOut(this.byDestination, k, old.vs);
    this.virtualServices.delete(key);
  }

  setDestinationRule(key: string, dr: DestinationRule): void {
    const old = this.destinationRules.get(key);
    const place = placeOf(dr);
    const list = rulesAt(this.rules, place, true)!;
    const at = old ? list.indexOf(old) : -1;
    if (at >= 0) {
      list[at] = dr;
    } else {
      if (old) this.deleteDestinationRule(key);
      rulesAt(this.rules, place, true)!.push(dr);
    }
    this.destinationRules.set(key, dr);
  }

  deleteDestinationRule(key: string): void {
    const old = this.destinationRules.get(key);
    if (!old) return;
    const place = placeOf(old);
    const list = rulesAt(this.rules, place, false);
    const at = list?.indexOf(old) ?? -1;
    if (at >= 0) list!.splice(at, 1);
    const rules = this.rules.get(place.ns);
    if (rules && place.host !== undefined && rules.exact.get(place.host)?.length === 0) rules.exact.delete(place.host);
    if (rules && rules.exact.size === 0 && rules.wildcard.length === 0) this.rules.delete(place.ns);
    this.destinationRules.delete(key);
  }

  clearVirtualServices(): void {
    this.byHost.clear();
    this.byDestination.clear();
    this.virtualServices.clear();
  }

  clearDestinationRules(): void {
    this.rules.clear();
    this.destinationRules.clear();
  }

  /** Lends the indexes to an array of the VirtualServices they hold. */
  adoptVirtualServices(vss: readonly VirtualService[]): void {
    byHostIndexes.set(vss, this.byHost);
    byDestinationIndexes.set(vss, this.byDestination);
  }

  adoptDestinationRules(drs: readonly DestinationRule[]): void {
    byNamespaceAndHost.set(drs, this.rules);
  }
}
