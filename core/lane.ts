// Lanes: one request header, propagated by the applications, keeps a marked request on the canary
// subset of every service in a chain. Per service this is one route before the default route.
import { IntentError } from './errors.js';
import { type HTTPRoute, type VirtualService, canonicalJson, clone, describeObject } from './model.js';
import { OWNED_ROUTE_PREFIX } from './ops/match.js';
import { routeHost, selectRoute } from './target.js';

export interface Lane {
  name: string;
  header: string;
  value: string;
  subset: string;
}

export const LANE_ANNOTATION_PREFIX = 'lane.kubectl-gray.io/';

export function laneRouteName(lane: string): string {
  return `${OWNED_ROUTE_PREFIX}lane-${lane}`;
}

export function validateLaneName(name: string): void {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 40) {
    throw new IntentError(`lane name "${name}": use at most 40 lowercase letters, digits and dashes`);
  }
}

/** Adds (or refreshes) the lane's route just before the catch-all route; the rest stays as it was. */
export function withLaneRoute(vs: VirtualService, lane: Lane): VirtualService {
  const next = clone(vs);
  const http: HTTPRoute[] = (next.spec.http ??= []);
  const name = laneRouteName(lane.name);
  const route: HTTPRoute = {
    name,
    match: [{ headers: { [lane.header]: { exact: lane.value } } }],
    route: [{ destination: { host: routeHost(vs, selectRoute(vs)), subset: lane.subset } }],
  };
  const existing = http.findIndex((r) => r.name === name);
  if (existing >= 0) {
    http[existing] = route;
  } else {
    const clash = http.findIndex((r) => canonicalJson(r.match) === canonicalJson(route.match));
    if (clash >= 0) throw new IntentError(`${describeObject(vs)} spec.http[${clash}] already matches ${lane.header}: ${lane.value}; remove it or pick another header value`);
    http.splice(selectRoute(next), 0, route);
  }
  next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [LANE_ANNOTATION_PREFIX + lane.name]: JSON.stringify({ header: lane.header, value: lane.value, subset: lane.subset }) };
  return next;
}

export function withoutLaneRoute(vs: VirtualService, lane: string): VirtualService {
  const next = clone(vs);
  next.spec.http = (next.spec.http ?? []).filter((r) => r.name !== laneRouteName(lane));
  if (next.metadata.annotations) delete next.metadata.annotations[LANE_ANNOTATION_PREFIX + lane];
  return next;
}

export function laneOf(vs: VirtualService, lane: string): Omit<Lane, 'name'> | undefined {
  const raw = vs.metadata.annotations?.[LANE_ANNOTATION_PREFIX + lane];
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as Omit<Lane, 'name'>;
  } catch {
    return undefined;
  }
}
