// Plans for the commands that change a service's routes: the same edit in every VirtualService through
// which traffic reaches the service, one change per VirtualService. Pure.
import { IntentError } from './errors.js';
import { STABLE_ANNOTATION } from './history.js';
import { type VirtualService, clone, describeObject } from './model.js';
import { type Change, type Plan, vsChange } from './plan.js';
import {
  NEEDS_GENERAL, type EntryPoint, type MarkedRoute, chosenRoutes, clearServiceMirror, requireRoutes, resolveEntryPoints, routeKind, serviceFqdn,
  carriesService, soleServiceSubset, switchService, withMarkedRoutes, withoutOwnedRoutesOf,
} from './traffic.js';

export interface ServiceRequest {
  service: string;
  namespace: string;
  vsName?: string;
  /** Edit the routes with this name instead of the general ones. */
  routeName?: string;
  /** How the change reads in history, e.g. "set-weight v2=10". */
  change: string;
  verb: string;
  now: Date;
  plan: string;
}

export function undoCommand(req: ServiceRequest): string {
  return `kubectl gray undo ${req.service} --plan ${req.plan} -n ${req.namespace}`;
}

function finish(req: ServiceRequest, changes: Change[], notes: string[]): Plan {
  return { changes, undo: undoCommand(req), notes };
}

function entriesFor(all: readonly VirtualService[], req: ServiceRequest): EntryPoint[] {
  return resolveEntryPoints({ service: req.service, namespace: req.namespace, vsName: req.vsName }, all);
}

/**
 * The same route edit on every chosen route (general routes, or --route NAME) of every entry point.
 * `op` edits one route of one VirtualService for the service; it may decline a route by returning undefined.
 */
export function planRouteEdit(
  all: readonly VirtualService[], req: ServiceRequest,
  op: (vs: VirtualService, index: number, fqdn: string) => VirtualService | undefined,
  options: { recordStable?: boolean; skipped?: (vs: VirtualService, index: number) => string; stableFallback?: string } = {},
): Plan {
  const fqdn = serviceFqdn(req.service, req.namespace);
  const entries = entriesFor(all, req);
  requireRoutes(entries, req.service, req.routeName);
  const changes: Change[] = [];
  const notes: string[] = [];
  for (const entry of entries) {
    const indexes = chosenRoutes(entry, req.routeName);
    if (indexes.length === 0) continue;
    let next = entry.vs;
    for (const i of indexes) {
      const edited = op(next, i, fqdn);
      if (edited) next = edited;
      else if (options.skipped) notes.push(`Note: ${options.skipped(entry.vs, i)}`);
    }
    const stable = options.recordStable ? soleServiceSubset(entry.vs, indexes[0]!, fqdn) ?? options.stableFallback : undefined;
    changes.push(vsChange(entry.vs, next, { change: req.change, verb: req.verb, now: req.now, plan: req.plan, stable }));
  }
  return finish(req, changes, notes);
}

/** match-header, match-cookie: a marked route before each general route of the service, in every entry point. */
export function planMarkedRoutes(all: readonly VirtualService[], req: ServiceRequest, marked: MarkedRoute): Plan {
  const fqdn = serviceFqdn(req.service, req.namespace);
  const entries = entriesFor(all, req);
  requireRoutes(entries, req.service, undefined, NEEDS_GENERAL);
  const changes = entries.filter((e) => chosenRoutes(e).length > 0).map((e) => {
    const stable = soleServiceSubset(e.vs, chosenRoutes(e)[0]!, fqdn);
    return vsChange(e.vs, withMarkedRoutes(e.vs, fqdn, marked), { change: req.change, verb: req.verb, now: req.now, plan: req.plan, stable });
  });
  return finish(req, changes, []);
}

/** rollback: the service's gray routes go, mirrors to it stop, its general routes return to the stable subset. */
export function planRollback(all: readonly VirtualService[], req: ServiceRequest, to?: string): Plan {
  const fqdn = serviceFqdn(req.service, req.namespace);
  const entries = entriesFor(all, req);
  requireRoutes(entries.map((e) => ({ ...e, routes: e.routes.filter((r) => r.kind !== 'owned') })), req.service);
  const changes: Change[] = [];
  for (const entry of entries) {
    let next = withoutOwnedRoutesOf(entry.vs, fqdn);
    const general = (next.spec.http ?? []).map((r, i) => ({ r, i })).filter(({ r }) => carriesService(next, r, fqdn) && routeKind(r) === 'general').map(({ i }) => i);
    if (general.length === 0 && (next.spec.http ?? []).length === (entry.vs.spec.http ?? []).length) continue;
    const stable = to ?? entry.vs.metadata.annotations?.[STABLE_ANNOTATION];
    if (general.length > 0 && !stable) {
      throw new IntentError(`${describeObject(entry.vs)} has no recorded stable subset (annotation ${STABLE_ANNOTATION}); name it with --to SUBSET`);
    }
    for (const i of general) next = switchService(clearServiceMirror(next, i, fqdn), i, fqdn, stable!);
    next = clone(next);
    if (next.metadata.annotations) delete next.metadata.annotations[STABLE_ANNOTATION];
    changes.push(vsChange(entry.vs, next, { change: req.change, verb: req.verb, now: req.now, plan: req.plan }));
  }
  return finish(req, changes, []);
}
