// The cross-object checks, as istioctl analyze makes them: how objects fit together, over everything given.
// Each is a plain function over the inventory; this runs them all. The webhook, the edit commands and status
// run the ones that need only VirtualServices, for one VirtualService at a time (`routeFindings`).
import { destinationsOf } from '../destinations.js';
import { resolveHost } from '../hosts.js';
import { virtualServicesByHost } from '../indexes.js';
import { type KubeObject, type VirtualService, namespaceOf, objectKey } from '../model.js';
import type { Finding, RuleName } from '../rules.js';
import { checkDestinationHosts } from './destination-hosts.js';
import { checkGateways } from './gateways.js';
import { checkIngressBypass } from './ingress-bypass.js';
import { gatewaysOf, inventoryOf, isMeshBound } from './inventory.js';
import { checkJwtClaims } from './jwt-claims.js';
import { checkMatches } from './matches.js';
import { checkShadowed, sameHostNeighbours } from './shadowed.js';
import { checkSubsetPods } from './subset-pods.js';

export interface ObjectFinding {
  object: KubeObject;
  finding: Finding;
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
  const key = objectKey(vs);
  // Another mesh VirtualService for one of its hosts: a pair one of which Istio ignores.
  const near = new Set<VirtualService>(isMeshBound(vs) ? sameHostNeighbours(vs, all) : []);
  // Bound to a gateway: the mesh VirtualServices of the hosts it sends to, whose subset split it may skip.
  if (gatewaysOf(vs).some((g) => g !== 'mesh')) {
    const byHost = virtualServicesByHost(all);
    for (const { destination: d } of destinationsOf(vs)) {
      if (typeof d.host !== 'string') continue;
      for (const v of byHost.get(resolveHost(d.host, ns)) ?? []) if (objectKey(v) !== key) near.add(v);
    }
  }
  // Alone with its hosts (nearly every review): nothing to clash with.
  const own = checkMatches(vs);
  if (near.size === 0) return own;
  const candidates = [...near, vs];
  return [...checkShadowed(candidates), ...checkIngressBypass(candidates)].filter((x) => x.object === vs).map((x) => x.finding).concat(own);
}

/** `complete`: the objects are the whole cluster (analyze --cluster), so what is absent does not exist. */
export function crossObjectFindings(objects: readonly KubeObject[], complete = false): ObjectFinding[] {
  const inv = inventoryOf(objects, complete);
  return [
    ...checkShadowed(inv.virtualServices),
    ...inv.virtualServices.flatMap((vs) => checkMatches(vs).map((finding) => ({ object: vs, finding }))),
    ...checkIngressBypass(inv.virtualServices),
    ...checkDestinationHosts(inv),
    ...checkGateways(inv),
    ...checkSubsetPods(inv),
    ...checkJwtClaims(inv),
  ];
}
