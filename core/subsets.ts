// Which DestinationRules a route's destination sees, the way Istio looks them up: the client's
// (VirtualService's) namespace first, then the service's namespace, then the Istio root namespace.

import { hostMatches, ISTIO_ROOT_NAMESPACE, resolveHost, serviceNamespace } from './hosts.js';
import { destinationRulesByNamespaceAndHost } from './indexes.js';
import { type DestinationRule, namespaceOf, objectKey } from './model.js';

export interface SubsetLookup {
  /** DestinationRules that apply, most specific namespace first. */
  rules: DestinationRule[];
  /** Subset names they define, in order of appearance; a name defined twice counts once (the first wins). */
  subsets: string[];
}

function visibleFrom(dr: DestinationRule, clientNamespace: string): boolean {
  const exportTo = dr.spec.exportTo;
  if (!exportTo || exportTo.length === 0 || exportTo.includes('*')) return true;
  const drNs = namespaceOf(dr);
  return exportTo.some((e) => (e === '.' ? drNs === clientNamespace : e === clientNamespace));
}

/** Looks up as if the rule named `key` ("namespace/name") were `with` instead (or absent, if undefined). */
export interface Replacement {
  key: string;
  with: DestinationRule | undefined;
}

export function lookupSubsets(
  hostFqdn: string,
  clientNamespace: string,
  destinationRules: readonly DestinationRule[],
  replacement?: Replacement,
  rootNamespace = ISTIO_ROOT_NAMESPACE,
): SubsetLookup {
  const order = [clientNamespace, serviceNamespace(hostFqdn), rootNamespace].filter((n): n is string => !!n);
  const index = destinationRulesByNamespaceAndHost(destinationRules);
  const rules: DestinationRule[] = [];
  const applies = (dr: DestinationRule, ns: string) => visibleFrom(dr, clientNamespace) && hostMatches(resolveHost(dr.spec?.host ?? '', ns), hostFqdn);
  for (const ns of new Set(order)) {
    const inNs = index.get(ns);
    // An exact host beats a wildcard within one namespace; within each, the order of the list (the rule that
    // stands in for another comes last, as if just added).
    const extra = replacement?.with && namespaceOf(replacement.with) === ns ? replacement.with : undefined;
    const extraIsWildcard = !!extra && (extra.spec?.host ?? '').startsWith('*');
    for (const [group, wildcard] of [[inNs?.exact.get(hostFqdn) ?? [], false], [inNs?.wildcard ?? [], true]] as const) {
      for (const dr of group) {
        if (replacement && objectKey(dr) === replacement.key) continue;
        if (applies(dr, ns)) rules.push(dr);
      }
      if (extra && extraIsWildcard === wildcard && applies(extra, ns)) rules.push(extra);
    }
  }
  const subsets: string[] = [];
  for (const dr of rules) {
    for (const s of dr.spec.subsets ?? []) if (s?.name && !subsets.includes(s.name)) subsets.push(s.name);
  }
  return { rules, subsets };
}
