// The cross-object checks, as istioctl analyze makes them: how objects fit together, over everything given.
// Each is a plain function over the inventory; this runs them all. The webhook and the edit commands run the
// ones that need only VirtualServices (`routeChecks`): those are what its caches hold.
import { destinationsOf } from '../destinations.js';
import { resolveHost } from '../hosts.js';
import { virtualServicesByDestinationHost, virtualServicesByHost } from '../indexes.js';
import { type KubeObject, type VirtualService, namespaceOf, objectKey } from '../model.js';
import type { Finding, RuleName } from '../rules.js';
import { checkDestinationHosts } from './destination-hosts.js';
import { checkGateways } from './gateways.js';
import { checkIngressBypass } from './ingress-bypass.js';
import { inventoryOf } from './inventory.js';
import { checkJwtClaims } from './jwt-claims.js';
import { checkMatches } from './matches.js';
import { checkShadowed } from './shadowed.js';
import { checkSubsetPods } from './subset-pods.js';

export interface ObjectFinding {
  object: KubeObject;
  finding: Finding;
}

/** Checks that need VirtualServices alone: two for one mesh host, matches that decide nothing, ingress bypasses. */
export function routeChecks(virtualServices: readonly VirtualService[]): ObjectFinding[] {
  return [
    ...checkShadowed(virtualServices),
    ...virtualServices.flatMap((vs) => checkMatches(vs).map((finding) => ({ object: vs, finding }))),
    ...checkIngressBypass(virtualServices),
  ];
}

/** The rules of these checks: the per-object judgement (core/admission.ts) reports them as warnings only. */
export const CROSS_OBJECT_RULES: ReadonlySet<RuleName> = new Set<RuleName>([
  'virtualservice-shadowed', 'destination-host-unknown', 'destination-port-unknown', 'destination-port-required', 'gateway-unknown',
  'gateway-host-unserved', 'match-unreachable', 'match-ineffective', 'ingress-bypasses-subsets', 'subset-no-pods', 'jwt-claim-without-authn',
]);

/**
 * The route checks' findings about one VirtualService among the others (its new version replacing its old one):
 * for an admission review, an edit and status. Only the VirtualServices that share a host with it are looked at,
 * through the indexes, so a review's cost does not grow with the cluster.
 */
export function routeFindings(vs: VirtualService, all: readonly VirtualService[]): Finding[] {
  const ns = namespaceOf(vs);
  const hosts = (Array.isArray(vs.spec?.hosts) ? vs.spec.hosts : []).map((h) => resolveHost(String(h), ns));
  const destinations = destinationsOf(vs).flatMap(({ destination: d }) => (typeof d.host === 'string' ? [resolveHost(d.host, ns)] : []));
  const byHost = virtualServicesByHost(all);
  const byDestination = virtualServicesByDestinationHost(all);
  const key = objectKey(vs);
  const near = new Set<VirtualService>([
    ...hosts.flatMap((h) => [...(byHost.get(h) ?? []), ...(byDestination.get(h) ?? [])]),
    ...destinations.flatMap((h) => byHost.get(h) ?? []),
  ].filter((v) => objectKey(v) !== key));
  // Alone with its hosts (nearly every review): nothing to clash with.
  if (near.size === 0) return checkMatches(vs);
  const candidates = [...near, vs];
  return [...checkShadowed(candidates), ...checkIngressBypass(candidates)].filter((x) => x.object === vs).map((x) => x.finding)
    .concat(checkMatches(vs));
}

/** `complete`: the objects are the whole cluster (analyze --cluster), so what is absent does not exist. */
export function crossObjectFindings(objects: readonly KubeObject[], complete = false): ObjectFinding[] {
  const inv = inventoryOf(objects, complete);
  return [
    ...routeChecks(inv.virtualServices),
    ...checkDestinationHosts(inv),
    ...checkGateways(inv),
    ...checkSubsetPods(inv),
    ...checkJwtClaims(inv),
  ];
}
