import { IntentError } from '../errors.js';
import { type VirtualService, clone, describeObject } from '../model.js';
import { isCatchAll } from '../validate.js';
import { setWeight } from './set-weight.js';

/**
 * Takes a subset out of every route of a VirtualService, the first step of removing it (routes first,
 * then the subset, then the workload): match routes that only lead to it go, weighted routes give its
 * share to their other destinations in proportion, and mirrors to it stop.
 */
export function withoutSubsetInRoutes(vs: VirtualService, subset: string): VirtualService {
  let next = clone(vs);
  const only = (r: { route?: Array<{ destination?: { subset?: string } }> }) =>
    (r.route ?? []).length > 0 && (r.route ?? []).every((d) => d.destination?.subset === subset);
  const catchAllOnly = (next.spec.http ?? []).findIndex((r) => isCatchAll(r) && only(r));
  if (catchAllOnly >= 0) {
    throw new IntentError(`${describeObject(vs)} spec.http[${catchAllOnly}] sends all default traffic to ${subset}; switch it to another subset first (kubectl gray switch)`);
  }
  next.spec.http = (next.spec.http ?? []).filter((r) => !only(r));
  for (let i = 0; i < next.spec.http!.length; i++) {
    const route = next.spec.http![i]!;
    if (route.mirror?.subset === subset) {
      delete route.mirror;
      delete route.mirrorPercentage;
    }
    if ((route.route ?? []).some((d) => d.destination?.subset === subset)) next = setWeight(next, i, [{ subset, percent: 0 }]);
  }
  return next;
}
