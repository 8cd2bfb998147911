// The route index: labels the webhook keeps on every VirtualService, one per service host it defines or sends
// traffic to, so that "every route that reaches reviews" is a label-selected list the API server answers from its
// watch cache, under the caller's own RBAC, and sends only those objects, instead of the whole cluster's.
// (DestinationRules need none: Istio looks them up in three namespaces, which a reader lists directly.)
//
//   routes.kubectl-gray.io/reviews.bookinfo.svc.cluster.local: "true"   a host, resolved in the object's namespace
//   kubectl-gray.io/route-index: "v1"                                   its labels are kept (the format's version)
//   kubectl-gray.io/route-index: "v1-wildcard"                          the same, and it has a wildcard host
//
// A wildcard host ("*.bookinfo.svc.cluster.local", "*") has no label of its own: a label selector cannot OR two keys,
// so a reader asks for `kubectl-gray.io/route-index notin (v1)` and gets, in one answer, the VirtualServices with a
// wildcard host (few; it matches them itself) and any the index has missed (then it reads them all). The webhook
// owns every label under ROUTE_LABEL_PREFIX and INDEXED_LABEL: it sets them to match the spec on every write, and
// fixes VirtualServices written while it was away.
import { createHash } from 'node:crypto';
import { destinationsOf } from './destinations.js';
import { resolveHost } from './hosts.js';
import { type KubeObject, type VirtualService, jsonEqual, namespaceOf, objectKey } from './model.js';

export const ROUTE_LABEL_PREFIX = 'routes.kubectl-gray.io/';
export const INDEXED_LABEL = 'kubectl-gray.io/route-index';
export const INDEXED = 'v1';
export const INDEXED_WILDCARD = 'v1-wildcard';
/** The VirtualServices a reader must fetch besides those labelled with its hosts: wildcard hosts, and any not indexed. */
export const NOT_PLAINLY_INDEXED = `${INDEXED_LABEL} notin (${INDEXED})`;

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const isWildcard = (host: string) => host === '*' || host.startsWith('*.');

/** The label key for a host: the host itself where it is a valid label name (63 characters at most), else a hash of it. */
export function hostLabelKey(host: string): string {
  const name = host.toLowerCase();
  return ROUTE_LABEL_PREFIX + (LABEL_NAME.test(name) ? name : `h-${createHash('sha256').update(name).digest('hex').slice(0, 40)}`);
}

/** The hosts a VirtualService is about: its hosts and every destination's, resolved in its namespace. */
export function indexedHosts(vs: VirtualService): Set<string> {
  const ns = namespaceOf(vs);
  const hosts = new Set<string>();
  const add = (h: unknown) => { if (typeof h === 'string' && h) hosts.add(resolveHost(h, ns)); };
  for (const h of Array.isArray(vs.spec?.hosts) ? vs.spec.hosts : []) add(h);
  for (const { destination } of destinationsOf(vs)) add(destination.host);
  return hosts;
}

/** Every index label the VirtualService should carry, with its value. */
export function indexLabels(vs: VirtualService): Record<string, string> {
  const hosts = [...indexedHosts(vs)];
  const out: Record<string, string> = { [INDEXED_LABEL]: hosts.some(isWildcard) ? INDEXED_WILDCARD : INDEXED };
  for (const h of hosts) if (!isWildcard(h)) out[hostLabelKey(h)] = 'true';
  return out;
}

/** Whether this VirtualService carries the index's labels (as of its last write through the webhook). */
export function isIndexed(vs: VirtualService): boolean {
  const v = vs.metadata.labels?.[INDEXED_LABEL];
  return v === INDEXED || v === INDEXED_WILDCARD;
}

/** The label changes that bring a VirtualService's index labels in line with its spec: null removes; empty when it is. */
export function indexLabelChanges(o: VirtualService): Record<string, string | null> {
  const want = indexLabels(o);
  const have = o.metadata?.labels ?? {};
  const changes: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(want)) if (have[k] !== v) changes[k] = v;
  for (const k of Object.keys(have)) if (k.startsWith(ROUTE_LABEL_PREFIX) && !(k in want)) changes[k] = null;
  return changes;
}

/** Label selectors for the VirtualServices labelled with these hosts, one per host (wildcards have none). */
export function hostSelectors(hosts: Iterable<string>): string[] {
  return [...new Set([...hosts].filter((h) => !isWildcard(h)).map(hostLabelKey))];
}

const isIndexLabel = (key: string) => key === INDEXED_LABEL || key.startsWith(ROUTE_LABEL_PREFIX);

/**
 * Whether an update changes nothing but the index's labels (the webhook labelling an object written without it):
 * no policy applies to that, not even a freeze, or the index could not be kept during one.
 */
export function onlyIndexLabelsChange(before: KubeObject, after: KubeObject): boolean {
  const rest = (o: KubeObject) => Object.fromEntries(Object.entries(o.metadata?.labels ?? {}).filter(([k]) => !isIndexLabel(k)));
  return jsonEqual(before['spec'], after['spec']) && jsonEqual(before.metadata?.annotations ?? {}, after.metadata?.annotations ?? {})
    && jsonEqual(rest(before), rest(after));
}

/**
 * The route query: the same answer as the labels, from the webhook's RouteTable, served through the API server
 * (webhook/route-query.ts) and asked by the plugin (plugin/kube/cluster.ts):
 * GET /apis/query.kubectl-gray.io/v1alpha1/namespaces/NAMESPACE/serviceroutes/HOST.
 */
export const QUERY_GROUP = 'query.kubectl-gray.io';
export const QUERY_VERSION = 'v1alpha1';
export const SERVICE_ROUTES = 'serviceroutes';

/** Where RouteTable keeps every VirtualService with a wildcard host (no host is "*" plus a space). */
const WILDCARD_KEY = '* ';

/**
 * VirtualServices by the hosts they are about (indexedHosts), kept up to date one object at a time: the webhook's
 * cache changes it with each watch event, so a question costs a few lookups, never a pass over the cluster.
 */
export class RouteTable {
  private readonly byHost = new Map<string, Map<string, VirtualService>>();
  private readonly keysOf = new Map<string, string[]>();

  constructor(virtualServices: Iterable<VirtualService> = []) {
    for (const vs of virtualServices) this.set(vs);
  }

  set(vs: VirtualService): void {
    const key = objectKey(vs);
    this.delete(key);
    const keys = [...new Set([...indexedHosts(vs)].map((h) => (isWildcard(h) ? WILDCARD_KEY : h.toLowerCase())))];
    for (const k of keys) {
      let those = this.byHost.get(k);
      if (!those) this.byHost.set(k, those = new Map());
      those.set(key, vs);
    }
    this.keysOf.set(key, keys);
  }

  clear(): void {
    this.byHost.clear();
    this.keysOf.clear();
  }

  /** Forgets the VirtualService with this namespace/name key. */
  delete(key: string): void {
    for (const k of this.keysOf.get(key) ?? []) {
      const those = this.byHost.get(k)!;
      those.delete(key);
      if (those.size === 0) this.byHost.delete(k);
    }
    this.keysOf.delete(key);
  }

  /**
   * The VirtualServices a reader of these hosts' routes needs: what the label-selected reads return where the index
   * is kept (plugin/apply.ts Reads), i.e. those about the hosts, those about the other hosts they name (a
   * VirtualService for reviews that also sends to ratings is checked against ratings' routes), and every one with a
   * wildcard host.
   */
  about(hosts: Iterable<string>): VirtualService[] {
    const found = new Map<string, VirtualService>();
    const add = (k: string) => { for (const [key, vs] of this.byHost.get(k) ?? []) found.set(key, vs); };
    const asked = new Set([...hosts].filter((h) => !isWildcard(h)).map((h) => h.toLowerCase()));
    add(WILDCARD_KEY);
    for (const h of asked) add(h);
    const named = new Set([...found.keys()].flatMap((key) => this.keysOf.get(key)!).filter((k) => k !== WILDCARD_KEY));
    for (const h of named) if (!asked.has(h)) add(h);
    return [...found.values()];
  }
}
