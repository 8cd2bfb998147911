// Which DestinationRules a route's destination sees, the way Istio looks them up: the client's
// (VirtualService's) namespace first, then the service's namespace, then the Istio root namespace.

import { hostMatches, ISTIO_ROOT_NAMESPACE, resolveHost, serviceNamespace } from './hosts.js';
import { destinationRulesByNamespaceAndHost } from './indexes.js';
import { type DestinationRule, namespaceOf, objectKey } from './model.js';

export interface SubsetLookup {
  /** DestinationRules that apply, most specific namespace first. */
  readonly rules: readonly DestinationRule[];
  /** Subset names they define, in order of appearance; a name defined twice counts once (the first wins). */
  readonly subsets: readonly string[];
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
  const index = destinationRulesByNamespaceAndHost(destinationRules);
  const rules: DestinationRule[] = [];
  const serviceNs = serviceNamespace(hostFqdn);
  // Every review makes a lookup per destination: the three namespaces are walked without building a list of them.
  for (let step = 0; step < 3; step++) {
    const ns = step === 0 ? clientNamespace : step === 1 ? serviceNs : rootNamespace;
    if (!ns || (step >= 1 && ns === clientNamespace) || (step === 2 && ns === serviceNs)) continue;
    const inNs = index.get(ns);
    // An exact host beats a wildcard within one namespace; within each, the order of the list (the rule that
    // stands in for another comes last, as if just added).
    const extra = replacement?.with && namespaceOf(replacement.with) === ns ? replacement.with : undefined;
    const extraIsWildcard = !!extra && (extra.spec?.host ?? '').startsWith('*');
    collect(rules, inNs?.exact.get(hostFqdn), extra && !extraIsWildcard ? extra : undefined, ns, hostFqdn, clientNamespace, replacement);
    collect(rules, inNs?.wildcard, extraIsWildcard ? extra : undefined, ns, hostFqdn, clientNamespace, replacement);
  }
  const subsets: string[] = [];
  for (const dr of rules) {
    for (const s of dr.spec.subsets ?? []) if (s?.name && !subsets.includes(s.name)) subsets.push(s.name);
  }
  return { rules, subsets };
}

/** Appends the rules of `group` (then `extra`) in namespace `ns` that apply to the host from the client's namespace. */
function collect(
  into: DestinationRule[], group: readonly DestinationRule[] | undefined, extra: DestinationRule | undefined,
  ns: string, hostFqdn: string, clientNamespace: string, replacement: Replacement | undefined,
): void {
  for (const dr of group ?? []) {
    if (replacement && objectKey(dr) === replacement.key) continue;
    if (applies(dr, ns, hostFqdn, clientNamespace)) into.push(dr);
  }
  if (extra && applies(extra, ns, hostFqdn, clientNamespace)) into.push(extra);
}

function applies(dr: DestinationRule, ns: string, hostFqdn: string, clientNamespace: string): boolean {
  return visibleFrom(dr, clientNamespace) && hostMatches(resolveHost(dr.spec?.host ?? '', ns), hostFqdn);
}
