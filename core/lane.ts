// Lanes: one request header, propagated by the applications, keeps a marked request on the canary
// subset of every service in a chain. Per service and per way in, a route before each general route.
import { IntentError } from './errors.js';
import { resolveHost } from './hosts.js';
import { type DestinationRule, type VirtualService, clone, namespaceOf, objectKey } from './model.js';
import { type Change, type Plan, vsChange } from './plan.js';
import { lookupSubsets } from './subsets.js';
import { NEEDS_GENERAL, OWNED_ROUTE_PREFIX, carriesService, chosenRoutes, isCopyOf, routeKind, requireRoutes, resolveEntryPoints, withMarkedRoutes, withoutMarkedRoutes } from './traffic.js';

export interface Lane {
  name: string;
  header: string;
  value: string;
  subset: string;
}

/** What a lane records on each VirtualService it touches (annotation lane.kubectl-gray.io/NAME). */
export interface LaneRecord {
  header: string;
  value: string;
  subset: string;
  services: string[];
  /** Services of this VirtualService without the subset: marked requests stay on their general routes. */
  fallbacks?: string[];
  /** Older records: the whole VirtualService falls back. */
  fallback?: boolean;
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

/** Adds (or refreshes) the lane's routes for one service, just before each of its general routes. */
export function withLaneRoute(vs: VirtualService, fqdn: string, lane: Lane): VirtualService {
  return withMarkedRoutes(vs, fqdn, { name: laneRouteName(lane.name), match: { headers: { [lane.header]: { exact: lane.value } } }, subset: lane.subset });
}

/** Whether a route is one of the lane's (NAME, NAME-k, NAME-<service>, NAME-<service>-k). */
export function isLaneRoute(routeName: string | undefined, lane: string): boolean {
  const base = laneRouteName(lane);
  if (!routeName) return false;
  if (isCopyOf(routeName, base)) return true;
  return routeName.startsWith(`${base}-`) && /^[a-z0-9-]+$/.test(routeName.slice(base.length + 1)) && !/^\d/.test(routeName.slice(base.length + 1));
}

export function withoutLaneRoute(vs: VirtualService, lane: string): VirtualService {
  const next = clone(vs);
  next.spec.http = (next.spec.http ?? []).filter((r) => !isLaneRoute(r.name, lane));
  if (next.metadata.annotations) delete next.metadata.annotations[LANE_ANNOTATION_PREFIX + lane];
  return next;
}

export function laneOf(vs: VirtualService, lane: string): LaneRecord | undefined {
  const raw = vs.metadata.annotations?.[LANE_ANNOTATION_PREFIX + lane];
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as LaneRecord;
  } catch {
    return undefined;
  }
}

export interface LaneRequest {
  namespace: string;
  now: Date;
  plan: string;
}

/**
 * Every hop planned before any is written (`services`: the chain's services routed by VirtualServices; `chain`: the
 * whole chain, as recorded): for each service, every way in gets the lane's
 * route before its general routes — or, where the service has no such subset, nothing (the lane falls
 * back to the general route; it never 503s).
 */
export function planLaneCreate(all: readonly VirtualService[], rules: readonly DestinationRule[], lane: Lane, services: string[], req: LaneRequest,
  chain: readonly string[] = services): Plan {
  const working = new Map<string, { before: VirtualService; next: VirtualService; fallbacks: string[]; services: string[] }>();
  const notes: string[] = [];
  for (const service of services) {
    const fqdn = resolveHost(service, req.namespace);
    const entries = resolveEntryPoints({ service, namespace: req.namespace }, all);
    requireRoutes(entries, service, undefined, NEEDS_GENERAL);
    let fellBack = false;
    for (const entry of entries.filter((e) => chosenRoutes(e).length > 0)) {
      const key = objectKey(entry.vs);
      const w = working.get(key) ?? { before: entry.vs, next: entry.vs, fallbacks: [], services: [] };
      const { subsets } = lookupSubsets(fqdn, namespaceOf(entry.vs), rules);
      if (subsets.includes(lane.subset)) {
        w.next = withLaneRoute(w.next, fqdn, lane);
      } else {
        w.next = withoutMarkedRoutes(w.next, fqdn, laneRouteName(lane.name));
        w.fallbacks.push(service);
        fellBack = true;
      }
      w.services.push(service);
      working.set(key, w);
    }
    if (fellBack) notes.push(`Note: ${service} has no subset "${lane.subset}"; marked requests stay on its default route.`);
  }
  const changes: Change[] = [];
  for (const w of working.values()) {
    const record: LaneRecord = { header: lane.header, value: lane.value, subset: lane.subset, services: [...chain], ...(w.fallbacks.length ? { fallbacks: w.fallbacks } : {}) };
    const next = clone(w.next);
    next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [LANE_ANNOTATION_PREFIX + lane.name]: JSON.stringify(record) };
    changes.push(vsChange(w.before, next, { change: `lane create ${lane.name}`, verb: 'configured', now: req.now, plan: req.plan }));
  }
  return { changes, notes: [...new Set(notes)], undo: `kubectl gray lane delete ${lane.name} -n ${req.namespace}` };
}

export function laneMembers(all: readonly VirtualService[], lane: string): VirtualService[] {
  return all.filter((vs) => laneOf(vs, lane) || (vs.spec.http ?? []).some((r) => isLaneRoute(r.name, lane)));
}

export function planLaneDelete(all: readonly VirtualService[], lane: string, req: LaneRequest): Plan {
  const members = laneMembers(all, lane);
  if (members.length === 0) throw new IntentError(`no lane "${lane}" in namespace ${req.namespace}`);
  const record = members.map((m) => laneOf(m, lane)).find(Boolean);
  const changes = members.map((vs) => vsChange(vs, withoutLaneRoute(vs, lane), { change: `lane delete ${lane}`, verb: 'configured', now: req.now, plan: req.plan }));
  const undo = record ? `kubectl gray lane create ${lane} --header ${record.header}=${record.value} --services ${record.services.join(',')}${record.subset !== 'canary' ? ` --subset ${record.subset}` : ''} -n ${req.namespace}` : `kubectl gray lane delete ${lane} -n ${req.namespace}`;
  return { changes, notes: [], undo };
}

/** The lane's route and the general route it precedes, for one service in one VirtualService. */
export function laneHop(vs: VirtualService, fqdn: string, lane: string): { laneIndex: number; generalIndex: number } {
  const http = vs.spec.http ?? [];
  const laneIndex = http.findIndex((r) => isLaneRoute(r.name, lane) && carriesService(vs, r, fqdn));
  const generalIndex = http.findIndex((r) => carriesService(vs, r, fqdn) && routeKind(r) === 'general');
  return { laneIndex, generalIndex };
}

