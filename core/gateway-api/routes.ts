// What SERVICE means in the Gateway API's mesh model, and the weight arithmetic over it. Pure.
//
// A route is about a Service when one of its parentRefs is that Service (kind Service, group ""): Istio then
// routes every call to the Service by it. A version is a Service of its own ("subset" v2 of reviews is the
// backend Service reviews-v2, as Istio's Bookinfo samples name them; a backend named exactly v2 counts too).
// The route-selection rule carries over from VirtualServices: a rule whose matches look only at the path or
// the method is GENERAL and carries whoever calls (set-weight edits it); one that matches headers or query
// parameters is TARGETED (left alone).
import { isMeshBound } from '../analyzers/inventory.js';
import { IntentError } from '../errors.js';
import { resolveHost } from '../hosts.js';
import { type VirtualService, clone, describeObject, jsonEqual, namespaceOf } from '../model.js';
import { OWNED_ROUTE_PREFIX } from '../traffic.js';
import { type WeightIntent, apportion } from '../weights.js';
import { type BackendRef, type GatewayRoute, type ParentReference, type RouteRule, isMisgroupedServiceParent, isServiceParent, weightOf } from './model.js';

export interface ServiceName {
  namespace: string;
  name: string;
}

/** Whether a parent of the route names the Service, by name and namespace (which defaults to the route's). */
export function namesService(parent: ParentReference, route: GatewayRoute, service: ServiceName): boolean {
  return parent.name === service.name && (parent.namespace ?? route.metadata.namespace ?? 'default') === service.namespace;
}

/** Whether the route's parents include the Service. */
export function routesService(route: GatewayRoute, service: ServiceName): boolean {
  return (route.spec.parentRefs ?? []).some((p) => isServiceParent(p) && namesService(p, route, service));
}

/** The mesh VirtualServices for the Service's host: a second model, of which Istio would use one without a word. */
export function meshVirtualServicesFor(service: ServiceName, all: readonly VirtualService[]): VirtualService[] {
  const fqdn = resolveHost(service.name, service.namespace);
  return all.filter((vs) => isMeshBound(vs) && (vs.spec.hosts ?? []).some((h) => resolveHost(h, namespaceOf(vs)) === fqdn));
}

/** The port a rule's backends name, for a backend added beside them. */
export function siblingPort(rule: RouteRule): number | undefined {
  return rule.backendRefs?.find((b) => typeof b.port === 'number')?.port;
}

/**
 * The routes that name the Service as a parent without `group: ""`: stored in the gateway group, ignored by istiod.
 * Not routes of the Service, but what a user looking at it needs to hear of.
 */
export function misgroupedRoutesFor(routes: readonly GatewayRoute[], service: ServiceName): GatewayRoute[] {
  return routes.filter((r) => (r.spec.parentRefs ?? []).some((p) => isMisgroupedServiceParent(p) && namesService(p, r, service)));
}

/** The routes about the Service, HTTPRoutes before GRPCRoutes, each kind by namespace and name. */
export function routesFor(routes: readonly GatewayRoute[], service: ServiceName): GatewayRoute[] {
  return routes.filter((r) => routesService(r, service))
    .sort((a, b) => a.kind.localeCompare(b.kind) || `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
}

/** OWNED (added by kubectl gray: named gray-...), GENERAL (path and method only, or no match) or TARGETED (headers, query parameters). */
export function ruleKind(rule: RouteRule): 'general' | 'targeted' | 'owned' {
  if ((rule.name ?? '').startsWith(OWNED_ROUTE_PREFIX)) return 'owned';
  return (rule.matches ?? []).every((m) => !m.headers?.length && !m.queryParams?.length) ? 'general' : 'targeted';
}

/** The backend of a rule that stands for a version of the service: named VERSION or SERVICE-VERSION. */
export function versionBackendName(service: string, version: string): string {
  return version.startsWith(`${service}-`) ? version : `${service}-${version}`;
}

function isVersion(backend: BackendRef, service: string, version: string): boolean {
  return backend.name === version || backend.name === versionBackendName(service, version);
}

/**
 * Gives the named versions exactly their percents in every general rule of the route; the other backends share
 * the rest in proportion to their current weights, and every weight is written as a percent (the rule then
 * reads the same in kubectl get). A version the rule does not send to yet is added, on the port its siblings
 * use. Returns the route unchanged (the same object) when the rules already say so.
 */
export function setRouteWeights(route: GatewayRoute, service: ServiceName, intents: readonly WeightIntent[], options: { keepZero?: boolean } = {}): GatewayRoute {
  const next = clone(route);
  let changed = false;
  (next.spec.rules ?? []).forEach((rule, i) => {
    if (ruleKind(rule) !== 'general' || !rule.backendRefs?.length) return;
    const reweighted = reweightRule(rule, service.name, intents, `${describeObject(route)} spec.rules[${i}]`, options);
    if (!jsonEqual(reweighted, rule.backendRefs)) {
      rule.backendRefs = reweighted;
      changed = true;
    }
  });
  return changed ? next : route;
}

function reweightRule(rule: RouteRule, service: string, intents: readonly WeightIntent[], where: string, options: { keepZero?: boolean }): BackendRef[] {
  const current = rule.backendRefs ?? [];
  const named = (b: BackendRef) => intents.find((w) => isVersion(b, service, w.subset));
  const others = current.filter((b) => !named(b));
  const remainder = 100 - intents.reduce((a, w) => a + w.percent, 0);
  if (remainder > 0 && others.length === 0) {
    throw new IntentError(`${intents.map((w) => `${w.subset}=${w.percent}`).join(' ')} leaves ${remainder}% with nowhere to go: ${where} has no other backend. ` +
      `Name the version that takes the rest, e.g. ${intents[0]!.subset}=${intents[0]!.percent} <other>=${remainder}`);
  }
  const rest = apportion(remainder, others.map((b) => Math.max(0, weightOf(b))));
  const port = siblingPort(rule);
  const out = current.map((b) => ({ ...b, weight: named(b)?.percent ?? rest[others.indexOf(b)]! }));
  for (const w of intents) {
    if (!current.some((b) => isVersion(b, service, w.subset))) out.push({ name: versionBackendName(service, w.subset), ...(port !== undefined ? { port } : {}), weight: w.percent });
  }
  const kept = options.keepZero ? out : out.filter((b) => b.weight !== 0);
  if (kept.length === 0) throw new IntentError('every backend would get 0%; give one version a positive percent');
  return kept;
}
