// The route index: labels the webhook keeps on every VirtualService, one per service host it defines or sends
// traffic to, so that "every route that reaches reviews" is a label-selected list the API server answers from its
// watch cache, under the caller's own RBAC, and sends only those objects, instead of the whole cluster's.
// (DestinationRules need none: Istio looks them up in three namespaces, which a reader lists directly.)
//
//   routes.kubectl-gray.io/reviews.bookinfo.svc.cluster.local: "true"   a host, resolved in the object's namespace
//   routes.kubectl-gray.io/wildcard: "true"                             a wildcard host ("*.bookinfo.svc.cluster.local", "*")
//   kubectl-gray.io/route-index: "v1"                                   this object's labels are kept (the format's version)
//
// A label selector cannot OR two keys, so wildcard hosts share one key and a reader fetches those objects too
// (they are few) and matches them itself. The webhook owns every label under ROUTE_LABEL_PREFIX: it adds, replaces
// and removes them to match the spec on every write, and fixes objects written while it was away.
import { createHash } from 'node:crypto';
import { destinationsOf } from './destinations.js';
import { resolveHost } from './hosts.js';
import { type KubeObject, type VirtualService, jsonEqual, namespaceOf } from './model.js';

export const ROUTE_LABEL_PREFIX = 'routes.kubectl-gray.io/';
export const WILDCARD_LABEL = `${ROUTE_LABEL_PREFIX}wildcard`;
export const INDEXED_LABEL = 'kubectl-gray.io/route-index';
export const INDEX_VERSION = 'v1';

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** The label key for a host: the host itself where it is a valid label name (63 characters at most), else a hash of it. */
export function hostLabelKey(host: string): string {
  if (host === '*' || host.startsWith('*.')) return WILDCARD_LABEL;
  const name = host.toLowerCase();
  // "wildcard" is taken; a resolved host always has a dot, so only a literal host could be that word.
  return ROUTE_LABEL_PREFIX + (LABEL_NAME.test(name) && name !== 'wildcard' ? name : `h-${createHash('sha256').update(name).digest('hex').slice(0, 40)}`);
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
export function indexLabels(o: VirtualService): Record<string, string> {
  const out: Record<string, string> = { [INDEXED_LABEL]: INDEX_VERSION };
  for (const h of indexedHosts(o)) out[hostLabelKey(h)] = 'true';
  return out;
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

/** Label selectors that, together, find every object about these hosts: one per host, and the wildcard one. */
export function indexSelectors(hosts: Iterable<string>): string[] {
  return [...new Set([...hosts].map(hostLabelKey).concat(WILDCARD_LABEL))];
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
