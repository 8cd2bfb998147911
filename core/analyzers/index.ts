// The cross-object checks, as istioctl analyze makes them: how objects fit together, over everything given.
// Each is a plain function over the inventory; this runs them all. The webhook and the edit commands run the
// ones that need only VirtualServices (`routeChecks`): those are what its caches hold.
import type { KubeObject, VirtualService } from '../model.js';
import type { Finding } from '../rules.js';
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
