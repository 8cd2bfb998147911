// Lanes over the Gateway API's mesh routes: for each service of the chain routed by HTTPRoutes or GRPCRoutes, a
// rule of the lane's (gray-lane-NAME) before each general rule sends marked calls to the lane's version Service
// (SERVICE-SUBSET); a service without that version keeps marked calls on its general rules (it never fails them).
// The lane's record sits on each route, as on VirtualServices. Pure.
import { type Lane, LANE_ANNOTATION_PREFIX, type LaneRecord, type LaneRequest, laneRouteName } from '../lane.js';
import { type KubeObject, clone, jsonEqual, namespaceOf, objectKey } from '../model.js';
import { type Change, change } from '../plan.js';
import { recordChange } from '../history.js';
import { isCopyOf } from '../traffic.js';
import type { GatewayRoute } from './model.js';
import { withMarkedRules } from './plan.js';
import { versionBackendName } from './routes.js';

export interface GatewayHop {
  service: string;
  routes: readonly GatewayRoute[];
}

/** The lane's rules and record on every route of the chain's Gateway API services; notes for those that fall back. */
export function planGatewayLaneCreate(hops: readonly GatewayHop[], services: readonly KubeObject[], lane: Lane, chain: readonly string[], req: LaneRequest): { changes: Change[]; notes: string[] } {
  const working = new Map<string, { before: GatewayRoute; next: GatewayRoute; fallbacks: string[] }>();
  const notes: string[] = [];
  for (const { service, routes } of hops) {
    for (const route of routes) {
      const key = `${route.kind}/${objectKey(route)}`;
      const w = working.get(key) ?? { before: route, next: route, fallbacks: [] };
      const backend = versionBackendName(service, lane.subset);
      const exists = services.some((s) => namespaceOf(s) === namespaceOf(route) && s.metadata.name === backend);
      w.next = withMarkedRules(w.next, service, laneRouteName(lane.name), { name: lane.header, value: lane.value }, exists ? lane.subset : undefined);
      if (!exists) {
        w.fallbacks.push(service);
        notes.push(`Note: ${service} has no version Service ${backend}; marked requests stay on its default rules.`);
      }
      working.set(key, w);
    }
  }
  const changes = [...working.values()].map((w) => {
    const record: LaneRecord = { header: lane.header, value: lane.value, subset: lane.subset, services: [...chain], ...(w.fallbacks.length ? { fallbacks: w.fallbacks } : {}) };
    const key = LANE_ANNOTATION_PREFIX + lane.name;
    const next = clone(w.next);
    next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [key]: JSON.stringify(record) };
    if (jsonEqual(next.spec, w.before.spec) && w.before.metadata.annotations?.[key] === next.metadata.annotations[key]) return change(w.before, w.before, 'unchanged', () => true);
    return change(w.before, recordChange(w.before, next, `lane create ${lane.name}`, req.now, req.plan), 'configured', () => false);
  });
  return { changes, notes: [...new Set(notes)] };
}

/** The routes a lane touched: its record or its rules. */
export function gatewayLaneMembers(routes: readonly GatewayRoute[], lane: string): GatewayRoute[] {
  return routes.filter((r) => r.metadata.annotations?.[LANE_ANNOTATION_PREFIX + lane] || (r.spec.rules ?? []).some((rule) => isCopyOf(rule.name, laneRouteName(lane))));
}

export function planGatewayLaneDelete(routes: readonly GatewayRoute[], lane: string, req: LaneRequest): Change[] {
  return gatewayLaneMembers(routes, lane).map((route) => {
    const next = clone(route);
    next.spec.rules = (next.spec.rules ?? []).filter((r) => !isCopyOf(r.name, laneRouteName(lane)));
    if (next.metadata.annotations) delete next.metadata.annotations[LANE_ANNOTATION_PREFIX + lane];
    return change(route, recordChange(route, next, `lane delete ${lane}`, req.now, req.plan), 'configured', () => false);
  });
}
