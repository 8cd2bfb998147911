import { IntentError } from '../errors.js';
import { type VirtualService, clone, describeObject } from '../model.js';
import { routeHost } from '../target.js';

/** Blue-green: the route sends 100% to one subset and every other destination leaves it. */
export function switchTo(vs: VirtualService, routeIndex: number, subset: string): VirtualService {
  const next = clone(vs);
  const route = next.spec.http?.[routeIndex];
  if (!route) throw new IntentError(`${describeObject(vs)} has no spec.http[${routeIndex}]`);
  const existing = (route.route ?? []).find((d) => d.destination?.subset === subset);
  const kept = existing ?? { destination: { host: routeHost(vs, routeIndex), subset } };
  route.route = [{ ...kept, weight: 100 }];
  return next;
}
