// Plans for the commands that change a service's traffic over the Gateway API's mesh routes: the same edit in every
// route whose parent is the Service, one change per route, each with a history entry and the stable version
// recorded when a release starts (the annotations VirtualServices carry). Pure.
import { IntentError } from '../errors.js';
import { STABLE_ANNOTATION, recordChange, rememberStableSubset } from '../history.js';
import { resolveHost, serviceName, serviceNamespace } from '../hosts.js';
import { type VirtualService, clone, describeObject, jsonEqual } from '../model.js';
import { type HeaderMatchIntent, routeName } from '../ops/match.js';
import { type Change, type Plan, change } from '../plan.js';
import { re2Quote } from '../re2.js';
import { isCopyOf } from '../traffic.js';
import type { WeightIntent } from '../weights.js';
import { type GatewayRoute, type HeaderMatch, type RouteFilter, type RouteRule, mirrorBackend, weightOf } from './model.js';
import { type ServiceName, meshVirtualServicesFor, routesFor, ruleKind, setRouteWeights, siblingPort, versionBackendName } from './routes.js';

/** The Service a command names (NAME, NAME.NAMESPACE or its FQDN), as a Gateway API parent. */
export function serviceOf(service: string, namespace: string): ServiceName {
  const fqdn = resolveHost(service, namespace);
  return { namespace: serviceNamespace(fqdn) ?? namespace, name: serviceName(fqdn) };
}

/** What is wrong when both models route the Service: each named, as the edits refuse it and status warns of it. */
export function bothModels(service: ServiceName, routes: readonly GatewayRoute[], vss: readonly VirtualService[]): string {
  return `${service.namespace}/${service.name} is routed by both ${routes.map(describeObject).join(', ')} and ${vss.map(describeObject).join(', ')}: `
    + 'Istio uses one of them and ignores the other';
}

/** Refuses to guess when both models route the Service; says what each is. */
export function requireOneModel(service: ServiceName, routes: readonly GatewayRoute[], virtualServices: readonly VirtualService[]): void {
  const vss = meshVirtualServicesFor(service, virtualServices);
  if (routes.length === 0 || vss.length === 0) return;
  throw new IntentError(`${bothModels(service, routes, vss)}, so kubectl gray will not guess which you mean. Keep one model per Service: delete the one not in use`);
}

export interface GatewayRequest {
  service: string;
  namespace: string;
  /** How the change reads in history, e.g. "set-weight v2=10". */
  change: string;
  verb: string;
  now: Date;
  plan: string;
}

/** A general rule with backends: what set-weight, switch, mirror and the marked rules work on. */
const isEditable = (rule: RouteRule) => ruleKind(rule) === 'general' && !!rule.backendRefs?.length;
const generalRules = (route: GatewayRoute) => (route.spec.rules ?? []).filter(isEditable);

/** The version a route's first general rule sends everything to, if one (the stable one when a release starts). */
function soleVersion(route: GatewayRoute, service: string): string | undefined {
  const live = (generalRules(route)[0]?.backendRefs ?? []).filter((b) => weightOf(b) > 0);
  if (live.length !== 1) return undefined;
  return live[0]!.name.startsWith(`${service}-`) ? live[0]!.name.slice(service.length + 1) : live[0]!.name;
}

/**
 * The same edit on every route of the service. `edit` returns the route as it should be (the same object when
 * nothing changes). A release's first change records the version that served before it (for rollback).
 */
function planEdit(routes: readonly GatewayRoute[], virtualServices: readonly VirtualService[], req: GatewayRequest,
  edit: (route: GatewayRoute, service: ServiceName) => GatewayRoute, options: { recordStable?: boolean } = {}): Plan {
  const service = serviceOf(req.service, req.namespace);
  const mine = routesFor(routes, service);
  requireOneModel(service, mine, virtualServices);
  if (!mine.some((r) => generalRules(r).length > 0)) {
    throw new IntentError(`${mine.map(describeObject).join(', ')} ${mine.length === 1 ? 'has' : 'have'} no rule that carries all of ${service.name}'s calls `
      + '(every rule matches headers or query parameters, or was added by kubectl gray): give the route one with backends first');
  }
  const changes: Change[] = mine.map((before) => {
    const edited = edit(before, service);
    if (jsonEqual(edited.spec, before.spec)) return change(before, before, req.verb, () => true);
    let next = options.recordStable ? rememberStableSubset(edited, soleVersion(before, service.name)) : edited;
    next = recordChange(before, next, req.change, req.now, req.plan);
    return change(before, next, req.verb, () => false);
  });
  return { changes, undo: `kubectl gray undo ${req.service} --plan ${req.plan} -n ${req.namespace}`, notes: [] };
}

/** set-weight (and switch: one version at 100). */
export function planGatewayWeights(routes: readonly GatewayRoute[], virtualServices: readonly VirtualService[], req: GatewayRequest,
  intents: readonly WeightIntent[], options: { keepZero?: boolean } = {}): Plan {
  return planEdit(routes, virtualServices, req, (route, service) => setRouteWeights(route, service, intents, options), { recordStable: true });
}

/** The Gateway API's header match for an intent: exact or RE2 (a prefix becomes a regex; there is no prefix type). */
export function headerMatch(intent: HeaderMatchIntent): HeaderMatch {
  if (intent.kind === 'exact') return { name: intent.header, value: intent.value };
  return { type: 'RegularExpression', name: intent.header, value: intent.kind === 'prefix' ? `^${re2Quote(intent.value)}.*` : intent.value };
}

/**
 * match-header / match-cookie: before each general rule, a rule of kubectl gray's own (named gray-...) with the
 * same matches narrowed by the header, sending to the version. The Gateway API ranks a match with more headers
 * above one with fewer for the same path, so marked calls take it and the rest go on as before.
 */
export function planGatewayMatch(routes: readonly GatewayRoute[], virtualServices: readonly VirtualService[], req: GatewayRequest, intent: HeaderMatchIntent): Plan {
  return planEdit(routes, virtualServices, req, (route, service) => withMarkedRules(route, service.name, routeName(intent), headerMatch(intent), intent.subset), { recordStable: true });
}

/**
 * Before each general rule, a rule of kubectl gray's own named NAME (NAME-2, ... for the next ones: rule names are
 * unique in a route) with that rule's matches narrowed by the header, sending to the version; `version` undefined
 * only removes them. The same object back when nothing changes.
 */
export function withMarkedRules(route: GatewayRoute, service: string, name: string, header: HeaderMatch, version: string | undefined): GatewayRoute {
  const next = clone(route);
  const out: RouteRule[] = [];
  for (const rule of (next.spec.rules ?? []).filter((r) => !isCopyOf(r.name, name))) {
    if (version !== undefined && isEditable(rule)) {
      const port = siblingPort(rule);
      const k = out.filter((r) => isCopyOf(r.name, name)).length;
      out.push({
        name: k === 0 ? name : `${name}-${k + 1}`,
        matches: (rule.matches?.length ? rule.matches : [{}]).map((m) => ({ ...m, headers: [...(m.headers ?? []), header] })),
        backendRefs: [{ name: versionBackendName(service, version), ...(port !== undefined ? { port } : {}) }],
      });
    }
    out.push(rule);
  }
  next.spec.rules = out;
  return jsonEqual(next.spec, route.spec) ? route : next;
}

/** Whether a filter is a RequestMirror to a version of the service (the mirror kubectl gray sets and removes). */
function mirrorsService(filter: RouteFilter, service: string): boolean {
  const name = mirrorBackend(filter);
  return !!name && (name === service || name.startsWith(`${service}-`));
}

function withoutServiceMirror(rule: RouteRule, service: string): RouteRule {
  if (!rule.filters?.some((f) => mirrorsService(f, service))) return rule;
  const filters = rule.filters.filter((f) => !mirrorsService(f, service));
  const { filters: _gone, ...rest } = rule;
  return filters.length > 0 ? { ...rest, filters } : rest;
}

/**
 * mirror: every general rule copies a share of its calls to the version (a RequestMirror filter; the answers are
 * discarded), replacing a mirror to another version of the service; `version` undefined removes it. The API's
 * percent is whole; a share with decimals is written as a fraction of 100,000.
 */
export function planGatewayMirror(routes: readonly GatewayRoute[], virtualServices: readonly VirtualService[], req: GatewayRequest, version: string | undefined, percent = 100): Plan {
  return planEdit(routes, virtualServices, req, (route, service) => {
    const next = clone(route);
    next.spec.rules = (next.spec.rules ?? []).map((rule) => {
      if (!isEditable(rule)) return rule;
      const clean = withoutServiceMirror(rule, service.name);
      if (version === undefined) return clean;
      const port = siblingPort(rule);
      const share = Number.isInteger(percent) ? { percent } : { fraction: { numerator: Math.round(percent * 1000), denominator: 100_000 } };
      const mirror = { type: 'RequestMirror', requestMirror: { backendRef: { name: versionBackendName(service.name, version), ...(port !== undefined ? { port } : {}) }, ...share } };
      return { ...clean, filters: [...(clean.filters ?? []), mirror] };
    });
    return jsonEqual(next.spec, route.spec) ? route : next;
  }, { recordStable: version !== undefined });
}

/** rollback: kubectl gray's rules and mirrors go, every general rule sends everything to the stable version (or --to). */
export function planGatewayRollback(routes: readonly GatewayRoute[], virtualServices: readonly VirtualService[], req: GatewayRequest, to?: string): Plan {
  return planEdit(routes, virtualServices, req, (route, service) => {
    const stable = to ?? route.metadata.annotations?.[STABLE_ANNOTATION];
    if (!stable) throw new IntentError(`${describeObject(route)} has no recorded stable version (annotation ${STABLE_ANNOTATION}); name it with --to VERSION`);
    const next = clone(route);
    next.spec.rules = (next.spec.rules ?? []).filter((r) => ruleKind(r) !== 'owned').map((r) => withoutServiceMirror(r, service.name));
    const back = setRouteWeights(next, service, [{ subset: stable, percent: 100 }]);
    return jsonEqual(back.spec, route.spec) ? route : back;
  });
}
