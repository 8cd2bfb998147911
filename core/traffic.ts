// What "SERVICE" means on a real cluster: every VirtualService that routes to it (mesh, gateway-bound,
// both, delegate children), and in each, which routes carry the service's general traffic. Pure.
//
// The route-selection rule (README, "Which routes a command edits"):
// - A route carries the service when one of its destinations resolves to the service's host.
// - It is GENERAL when every match entry uses only uri, method, authority, port, gateways (plus
//   the modifiers name, ignoreUriCase, scheme) or it has no match at all: it carries whoever comes
//   that way. set-weight, switch, mirror and rollback edit every general route of the service.
// - It is TARGETED when a match looks at the request's identity (headers, cookies, query
//   parameters, source labels/namespace, ...): someone chose those requests on purpose, so it is left
//   alone unless --route NAME picks it.
// - It is OWNED when kubectl-gray added it (name starts with gray-): only rollback and the command
//   that made it touch it.
// match-header, match-cookie and lane put their route just before each general route, narrowed by
// that route's own match, so a marked request takes the same path it would have taken unmarked.
import { IntentError } from './errors.js';
import { resolveHost } from './hosts.js';
import {
  type Destination, type HTTPMatchRequest, type HTTPRoute, type RouteDestination, type VirtualService, canonicalJson, clone, describeObject, namespaceOf, objectKey,
} from './model.js';
import { setWeight } from './ops/set-weight.js';
import { isCatchAll } from './validate.js';
import { type WeightIntent, apportion } from './weights.js';

/** Match keys that say where a request goes, not who sends it. */
export const GENERAL_MATCH_KEYS = ['uri', 'method', 'authority', 'port', 'gateways', 'name', 'ignoreUriCase', 'scheme'] as const;

export type RouteKind = 'general' | 'targeted' | 'owned';

export interface RouteChoice {
  index: number;
  name?: string;
  kind: RouteKind;
}

export interface Way {
  /** "mesh" (sidecars) and/or "ns/gateway" names the VirtualService is bound to. */
  gateways: string[];
  /** The root VirtualService ("ns/name") when this one is a delegate child. */
  delegateOf?: string;
}

export interface EntryPoint {
  vs: VirtualService;
  ways: Way[];
  /** HTTP routes with a destination to the service, in order. */
  routes: RouteChoice[];
  /** tcp/tls routes to the service: shown, never edited. */
  otherRoutes: string[];
}

export function serviceFqdn(service: string, namespace: string): string {
  return resolveHost(service, namespace);
}

/** A destination of this VirtualService that resolves to the service. */
export function isServiceDestination(vs: VirtualService, d: { host?: string } | undefined, fqdn: string): boolean {
  return !!d && typeof d.host === 'string' && resolveHost(d.host, namespaceOf(vs)) === fqdn;
}

export function carriesService(vs: VirtualService, route: HTTPRoute, fqdn: string): boolean {
  return (route.route ?? []).some((d) => isServiceDestination(vs, d?.destination, fqdn));
}

/** Routes kubectl-gray adds carry this name prefix, so rollback knows which ones are its own. */
export const OWNED_ROUTE_PREFIX = 'gray-';

export function routeKind(route: HTTPRoute): RouteKind {
  if ((route.name ?? '').startsWith(OWNED_ROUTE_PREFIX)) return 'owned';
  if (isCatchAll(route)) return 'general';
  const general = (route.match ?? []).every((m) => Object.keys(m ?? {}).every((k) => (GENERAL_MATCH_KEYS as readonly string[]).includes(k)));
  return general ? 'general' : 'targeted';
}

function gatewaysOf(vs: VirtualService): string[] {
  const ns = namespaceOf(vs);
  const list = vs.spec.gateways && vs.spec.gateways.length > 0 ? vs.spec.gateways : ['mesh'];
  return list.map((g) => (g === 'mesh' || g.includes('/') ? g : `${ns}/${g}`));
}

/** The roots that delegate to a child VirtualService (Istio: route[].delegate {name, namespace}). */
function delegateRoots(child: VirtualService, all: readonly VirtualService[]): VirtualService[] {
  return all.filter((root) => (root.spec.http ?? []).some((r) => {
    const d = r['delegate'] as { name?: string; namespace?: string } | undefined;
    return !!d && d.name === child.metadata.name && (d.namespace ?? namespaceOf(root)) === namespaceOf(child);
  }));
}

/**
 * Every VirtualService through which traffic reaches the service: mesh ones that list it in hosts,
 * gateway-bound ones (hosts "*" or domains) that route to it, and delegate children that route to it.
 */
export function entryPoints(fqdn: string, all: readonly VirtualService[]): EntryPoint[] {
  const out: EntryPoint[] = [];
  for (const vs of all) {
    const ns = namespaceOf(vs);
    const http = vs.spec.http ?? [];
    const routes: RouteChoice[] = [];
    http.forEach((r, index) => {
      if (r && carriesService(vs, r, fqdn)) routes.push({ index, name: r.name, kind: routeKind(r) });
    });
    const otherRoutes: string[] = [];
    for (const kind of ['tcp', 'tls'] as const) {
      (vs.spec[kind] ?? []).forEach((r, i) => {
        if ((r.route ?? []).some((d) => isServiceDestination(vs, d?.destination, fqdn))) otherRoutes.push(`spec.${kind}[${i}]`);
      });
    }
    const listsHost = (vs.spec.hosts ?? []).some((h) => resolveHost(h, ns) === fqdn);
    if (routes.length === 0 && otherRoutes.length === 0 && !listsHost) continue;
    const isDelegate = !vs.spec.hosts || vs.spec.hosts.length === 0;
    const ways: Way[] = isDelegate
      ? delegateRoots(vs, all).map((root) => ({ gateways: gatewaysOf(root), delegateOf: objectKey(root) }))
      : [{ gateways: gatewaysOf(vs) }];
    out.push({ vs, ways, routes, otherRoutes });
  }
  return out;
}

/** "mesh", "gateway istio-system/bookinfo-gateway", "delegate of ns/root (gateway ...)". */
export function describeWays(ways: readonly Way[]): string {
  if (ways.length === 0) return 'delegate, but no root VirtualService delegates to it (no traffic)';
  return ways.map((w) => {
    const gws = w.gateways.map((g) => (g === 'mesh' ? 'mesh' : `gateway ${g}`)).join(', ');
    return w.delegateOf ? `delegate of ${w.delegateOf} (${gws})` : gws;
  }).join('; ');
}

export interface Target {
  service: string;
  namespace: string;
  /** Narrows to one VirtualService: "name" (in the namespace) or "ns/name". */
  vsName?: string;
}

/** The entry points a command works on; an error names what was looked for and how to pick. */
export function resolveEntryPoints(target: Target, all: readonly VirtualService[]): EntryPoint[] {
  const fqdn = serviceFqdn(target.service, target.namespace);
  if (target.vsName) {
    const key = target.vsName.includes('/') ? target.vsName : `${target.namespace}/${target.vsName}`;
    const vs = all.find((v) => objectKey(v) === key);
    if (!vs) throw new IntentError(`VirtualService ${key} not found`);
    if (!target.service) return [{ vs, ways: [{ gateways: gatewaysOf(vs) }], routes: [], otherRoutes: [] }];
    const found = entryPoints(fqdn, all).find((e) => e.vs === vs);
    if (!found) throw new IntentError(`${describeObject(vs)} does not route to ${target.service} (${fqdn})`);
    return [found];
  }
  const found = entryPoints(fqdn, all);
  if (found.length === 0) {
    throw new IntentError(
      `no VirtualService routes to ${target.service} (${fqdn}): none lists it in hosts or sends an HTTP route to it; ` +
      'check the name and -n/--namespace, or name one with --vs NAME');
  }
  return found;
}

/** Which routes of an entry point set-weight/switch/mirror/rollback edit: the general ones, or --route NAME. */
export function chosenRoutes(entry: EntryPoint, routeName?: string): number[] {
  if (routeName) return entry.routes.filter((r) => r.name === routeName).map((r) => r.index);
  return entry.routes.filter((r) => r.kind === 'general').map((r) => r.index);
}

/** Refuses when no entry point has a route to edit, listing the candidates and the flag that picks one. */
export const PICK_ROUTE = 'Pick one with --route NAME';
export const NEEDS_GENERAL = 'a marked route goes just before a general route; give the service one (a route without header, cookie, query or source matches)';

export function requireRoutes(entries: readonly EntryPoint[], service: string, routeName?: string, fix = PICK_ROUTE): void {
  if (entries.some((e) => chosenRoutes(e, routeName).length > 0)) return;
  const candidates = entries.flatMap((e) => e.routes.map((r) => `${describeObject(e.vs)} spec.http[${r.index}]${r.name ? ` "${r.name}"` : ' (unnamed)'} (${r.kind})`));
  if (routeName) {
    throw new IntentError(`no HTTP route named "${routeName}" sends traffic to ${service}; routes to it: ${candidates.join('; ') || 'none'}`);
  }
  throw new IntentError(
    `no general route sends traffic to ${service} (every route to it matches on headers, cookies, query or source, or was added by kubectl gray); ` +
    `candidates: ${candidates.join('; ') || 'none'}. ${fix[0]!.toUpperCase()}${fix.slice(1)}`);
}

// ---- editing a route for one service only ----------------------------------------------------

/** The destination new subsets of the service copy: its host spelling and port, as the route has them. */
function templateOf(vs: VirtualService, route: HTTPRoute, fqdn: string): Destination {
  const d = (route.route ?? []).find((x) => isServiceDestination(vs, x?.destination, fqdn))?.destination;
  if (!d) throw new IntentError(`${describeObject(vs)}: a route has no destination to ${fqdn}`);
  const { subset: _subset, ...rest } = d;
  return clone(rest) as Destination;
}

/** Integer shares (total 100) of a route's destinations, as Envoy reads the weights. */
function normalizedShares(dests: readonly RouteDestination[]): number[] {
  if (dests.length === 1) return [100];
  return apportion(100, dests.map((d) => Math.max(0, typeof d.weight === 'number' ? d.weight : 0)));
}

/**
 * Replaces the service's destinations of route `index` with `next` (computed from the service's own
 * destinations with shares in percent of the service's traffic). The service keeps its share of the route;
 * other services' destinations keep theirs. Every route written totals 100 (or is a single destination).
 */
function editServiceShare(
  vs: VirtualService, index: number, fqdn: string,
  compute: (own: RouteDestination[], template: Destination) => RouteDestination[],
  options: { keepZero?: boolean } = {},
): VirtualService {
  const next = clone(vs);
  const route = next.spec.http?.[index];
  if (!route) throw new IntentError(`${describeObject(vs)} has no spec.http[${index}]`);
  const dests = route.route ?? [];
  const shares = normalizedShares(dests);
  const mine = dests.map((d, i) => ({ d, share: shares[i]!, own: isServiceDestination(vs, d?.destination, fqdn) }));
  const total = mine.filter((x) => x.own).reduce((a, x) => a + x.share, 0);
  const template = templateOf(vs, route, fqdn);
  // The service's own destinations with their percent of the service's traffic (integers totalling 100).
  const ownShares = mine.filter((x) => x.own).map((x) => x.share);
  const exact = total > 0 ? apportion(100, ownShares) : ownShares.map(() => 0);
  const ownIn = mine.filter((x) => x.own).map((x, i) => ({ ...x.d, weight: exact[i]! }));
  const computed = compute(ownIn, template);
  const lone = mine.every((x) => x.own);
  const scaled = lone ? computed.map((d) => d.weight ?? 0) : apportion(total, computed.map((d) => d.weight ?? 0));
  const ownOut = computed.map((d, i) => ({ ...d, weight: scaled[i]! }));
  const result: RouteDestination[] = [];
  let placed = false;
  for (const x of mine) {
    if (!x.own) result.push(lone ? x.d : { ...x.d, weight: x.share });
    else if (!placed) { result.push(...ownOut); placed = true; }
  }
  route.route = options.keepZero ? result : result.filter((d) => d.weight !== 0);
  if (route.route.length === 0) throw new IntentError('every destination would get 0%; give one subset a positive percent');
  return next;
}

/** A route of the service as the old single-service operations see it: its own destinations only. */
function soloVs(vs: VirtualService, index: number, own: RouteDestination[]): VirtualService {
  const solo = clone(vs);
  solo.spec.http = (solo.spec.http ?? []).map((r, i) => (i === index ? { ...r, route: own } : r));
  return solo;
}

export interface WeightOptions {
  keepZero?: boolean;
  /** The subset that destinations without one stand for (a route to the bare host reaches every version). */
  base?: string;
}

/** set-weight on one route, for one service: its named subsets get those percents of the service's share. */
export function setServiceWeight(vs: VirtualService, index: number, fqdn: string, intents: readonly WeightIntent[], options: WeightOptions = {}): VirtualService {
  const next = reweight(vs, index, fqdn, intents, options);
  // In a route shared with other services the service's share is scaled to whole weights; when the named
  // subsets already have exactly the weights asked for, the rest is left as it is (running twice changes nothing).
  const before = vs.spec.http?.[index]?.route ?? [];
  const weightOf = (dests: readonly RouteDestination[], subset: string) => dests
    .filter((d) => isServiceDestination(vs, d?.destination, fqdn) && d.destination.subset === subset).reduce((a, d) => a + (d.weight ?? 0), 0);
  const total = before.reduce((a, d) => a + (typeof d.weight === 'number' ? d.weight : 0), 0);
  const after = next.spec.http?.[index]?.route ?? [];
  if (before.length > 1 && total === 100 && !before.some((d) => !d.destination?.subset && isServiceDestination(vs, d.destination, fqdn))
    && intents.every((w) => weightOf(before, w.subset) === weightOf(after, w.subset))
    && (options.keepZero || !before.some((d) => d.weight === 0))) {
    return vs;
  }
  return next;
}

/** A route to the bare host reaches every version: set-weight cannot tell which subset the rest stays on. */
function bareHost(vs: VirtualService, index: number, fqdn: string): IntentError {
  return new IntentError(
    `${describeObject(vs)} spec.http[${index}] sends ${fqdn} traffic to the bare host (every version's pods), so the rest of the traffic has no subset to stay on; ` +
    'name it with --base SUBSET (e.g. the subset your stable pods are in)');
}

function reweight(vs: VirtualService, index: number, fqdn: string, intents: readonly WeightIntent[], options: WeightOptions): VirtualService {
  if (!onlyService(vs, index, fqdn)) return reweightShared(vs, index, fqdn, intents, options);
  return editServiceShare(vs, index, fqdn, (own, template) => {
    const bare = own.filter((d) => !d.destination.subset);
    if (bare.length > 0) {
      if (!options.base) throw bareHost(vs, index, fqdn);
      for (const d of bare) d.destination = { ...d.destination, subset: options.base };
    }
    // The per-route arithmetic of set-weight, over the service's own destinations; new ones copy the
    // host spelling and port the route already uses for the service.
    const had = new Set(own.map((d) => d.destination.subset));
    const solo = soloVs(vs, index, own);
    return setWeight(solo, index, intents, { keepZero: true }).spec.http![index]!.route!
      .map((d) => (had.has(d.destination.subset) ? d : { ...d, destination: { ...template, subset: d.destination.subset } }));
  }, { keepZero: options.keepZero });
}

/**
 * set-weight in a route shared with other services: the service keeps its share T of the route; each named
 * subset gets round(percent x T / 100) of it (the same every time, whatever the rest looks like), the
 * service's other subsets share what is left in their current proportion.
 */
function reweightShared(vs: VirtualService, index: number, fqdn: string, intents: readonly WeightIntent[], options: WeightOptions): VirtualService {
  const next = clone(vs);
  const route = next.spec.http![index]!;
  const dests = route.route ?? [];
  const shares = normalizedShares(dests);
  const template = templateOf(vs, route, fqdn);
  const own = dests.map((d, i) => ({ d: clone(d), share: shares[i]! })).filter(({ d }) => isServiceDestination(vs, d.destination, fqdn));
  for (const x of own) {
    if (x.d.destination.subset) continue;
    if (!options.base) throw bareHost(vs, index, fqdn);
    x.d.destination = { ...x.d.destination, subset: options.base };
  }
  const total = own.reduce((a, x) => a + x.share, 0);
  const named = new Map(intents.map((w) => [w.subset, Math.round((w.percent * total) / 100)]));
  let over = [...named.values()].reduce((a, b) => a + b, 0) - total;
  for (const [k, v] of [...named.entries()].sort((a, b) => b[1] - a[1])) {
    if (over <= 0) break;
    const cut = Math.min(v, over);
    named.set(k, v - cut);
    over -= cut;
  }
  const others = own.filter((x) => !named.has(x.d.destination.subset!));
  const rest = total - [...named.values()].reduce((a, b) => a + b, 0);
  if (others.length === 0 && rest > 0) {
    throw new IntentError(`${intents.map((w) => `${w.subset}=${w.percent}`).join(' ')} leaves ${rest} of ${describeObject(vs)} spec.http[${index}]'s weight for ${fqdn} with nowhere to go; name the subset that takes the rest`);
  }
  const restWeights = apportion(rest, others.map((x) => x.share));
  const ownOut: RouteDestination[] = own.map((x) => ({ ...x.d, weight: named.get(x.d.destination.subset!) ?? restWeights[others.indexOf(x)]! }));
  for (const w of intents) {
    if (!own.some((x) => x.d.destination.subset === w.subset)) ownOut.push({ destination: { ...template, subset: w.subset }, weight: named.get(w.subset)! });
  }
  const result: RouteDestination[] = [];
  let placed = false;
  dests.forEach((d, i) => {
    if (!isServiceDestination(vs, d?.destination, fqdn)) result.push({ ...d, weight: shares[i]! });
    else if (!placed) { result.push(...ownOut); placed = true; }
  });
  route.route = options.keepZero ? result : result.filter((d) => d.weight !== 0);
  if (route.route.length === 0) throw new IntentError('every destination would get 0%; give one subset a positive percent');
  return next;
}

/** switch on one route: the service's share goes to one subset. */
export function switchService(vs: VirtualService, index: number, fqdn: string, subset: string): VirtualService {
  return editServiceShare(vs, index, fqdn, (own, template) => {
    const kept = own.find((d) => d.destination.subset === subset) ?? { destination: { ...template, subset } };
    return [{ ...kept, weight: 100 }];
  });
}

/** Whether every destination of the route is the service (mirroring a shared route would copy others' requests). */
export function onlyService(vs: VirtualService, index: number, fqdn: string): boolean {
  const dests = vs.spec.http?.[index]?.route ?? [];
  return dests.length > 0 && dests.every((d) => isServiceDestination(vs, d?.destination, fqdn));
}

export function mirrorService(vs: VirtualService, index: number, fqdn: string, subset: string, percent?: number): VirtualService {
  const next = clone(vs);
  const route = next.spec.http![index]!;
  if (Array.isArray(route.mirrors) && route.mirrors.length > 0) {
    throw new IntentError(`${describeObject(vs)} spec.http[${index}] uses mirrors[] (several mirrors); edit it by hand or remove mirrors first`);
  }
  const dests = route.route ?? [];
  if (dests.length === 1 && dests[0]?.destination?.subset === subset) {
    throw new IntentError(`${describeObject(vs)} spec.http[${index}] already sends all traffic to ${subset}; mirror to another subset`);
  }
  route.mirror = { ...templateOf(vs, route, fqdn), subset };
  route.mirrorPercentage = { value: percent ?? 100 };
  delete route['mirror_percent'];
  return next;
}

export function clearServiceMirror(vs: VirtualService, index: number, fqdn: string): VirtualService {
  const next = clone(vs);
  const route = next.spec.http![index]!;
  if (route.mirror && isServiceDestination(vs, route.mirror, fqdn)) {
    delete route.mirror;
    delete route.mirrorPercentage;
    delete route['mirror_percent'];
  }
  return next;
}

/** The single subset the service's share of a route goes to, if there is one. */
export function soleServiceSubset(vs: VirtualService, index: number, fqdn: string): string | undefined {
  const own = (vs.spec.http?.[index]?.route ?? []).filter((d) => isServiceDestination(vs, d?.destination, fqdn));
  const live = own.length === 1 ? own : own.filter((d) => (d.weight ?? 0) > 0);
  return live.length === 1 ? live[0]!.destination?.subset : undefined;
}

// ---- routes for marked requests ----------------------------------------------------------------

export interface MarkedRoute {
  /** The route's name; the k-th copy (k >= 2) is named NAME-k. */
  name: string;
  /** What marks a request: merged into every match entry of the general route it precedes. */
  match: HTTPMatchRequest;
  subset: string;
}

/** NAME itself, or its k-th copy NAME-k. */
export function isCopyOf(routeName: string | undefined, name: string): boolean {
  return routeName === name || (!!routeName && routeName.startsWith(`${name}-`) && /^\d+$/.test(routeName.slice(name.length + 1)));
}

/**
 * The name a marked route of this service gets: NAME, unless a VirtualService shared by several services
 * already has NAME for another one; then NAME-<service>.
 */
export function markedRouteName(vs: VirtualService, fqdn: string, name: string): string {
  const taken = (vs.spec.http ?? []).some((r) => isCopyOf(r.name, name) && !carriesService(vs, r, fqdn));
  return taken ? `${name}-${fqdn.split('.')[0]}`.slice(0, 63).replace(/-$/, '') : name;
}

function narrowed(general: HTTPRoute, mark: HTTPMatchRequest): HTTPMatchRequest[] {
  if (isCatchAll(general)) return [clone(mark)];
  return (general.match ?? []).map((m) => {
    const { name: _name, ...rest } = m;
    const merged: HTTPMatchRequest = { ...clone(rest), ...clone(mark) };
    if (rest.headers || mark.headers) merged.headers = { ...(rest.headers ?? {}), ...(mark.headers ?? {}) };
    return merged;
  });
}

/** Removes the service's routes a marked-route edit made (by name, or owned routes with the same match). */
export function withoutMarkedRoutes(vs: VirtualService, fqdn: string, name: string, sameMatchAs?: (r: HTTPRoute) => boolean): VirtualService {
  const next = clone(vs);
  const own = markedRouteName(vs, fqdn, name);
  next.spec.http = (next.spec.http ?? []).filter((r) => {
    if (!carriesService(vs, r, fqdn)) return true;
    return !isCopyOf(r.name, own) && !(sameMatchAs && routeKind(r) === 'owned' && sameMatchAs(r));
  });
  return next;
}

/**
 * Puts a route for marked requests just before each general route of the service: a copy of that route
 * (its rewrite, timeout, retries, ... so a marked request is served the same way) whose match also
 * requires the mark, and whose share for the service goes to `subset`. Running it again replaces them.
 */
export function withMarkedRoutes(vs: VirtualService, fqdn: string, marked: MarkedRoute): VirtualService {
  const sameMatch = (r: HTTPRoute) => {
    const generated = (vs.spec.http ?? []).filter((g) => carriesService(vs, g, fqdn) && routeKind(g) === 'general').map((g) => canonicalJson(narrowed(g, marked.match)));
    return generated.includes(canonicalJson(r.match ?? null));
  };
  let next = withoutMarkedRoutes(vs, fqdn, marked.name, sameMatch);
  const name = markedRouteName(next, fqdn, marked.name);
  const http = next.spec.http ?? [];
  const targets = http.map((r, i) => ({ r, i }))
    .filter(({ r }) => carriesService(next, r, fqdn) && routeKind(r) === 'general');
  if (targets.length === 0) return next;
  for (const { r } of targets) {
    const clash = http.findIndex((h) => routeKind(h) === 'targeted' && carriesService(next, h, fqdn) && canonicalJson(h.match ?? null) === canonicalJson(narrowed(r, marked.match)));
    if (clash >= 0) {
      throw new IntentError(`${describeObject(vs)} spec.http[${clash}]${http[clash]!.name ? ` "${http[clash]!.name}"` : ''} already matches these requests (a route kubectl gray did not add); edit it by hand, or choose another value`);
    }
  }
  const inserts = targets.map(({ r, i }, k) => {
    const { name: _n, match: _m, mirror: _mi, mirrors: _ms, mirrorPercentage: _mp, mirror_percent: _mpc, ...rest } = clone(r);
    const ordered: HTTPRoute = { name: k === 0 ? name : `${name}-${k + 1}`, match: narrowed(r, marked.match), ...rest };
    const holder = clone(next);
    holder.spec.http![i] = ordered;
    const routed = editServiceShare(holder, i, fqdn, (_own, template) => [{ destination: { ...template, subset: marked.subset }, weight: 100 }]).spec.http![i]!;
    if ((routed.route ?? []).length === 1) delete routed.route![0]!.weight;
    return { at: i, route: routed };
  });
  next = clone(next);
  for (const { at, route } of [...inserts].reverse()) next.spec.http!.splice(at, 0, route);
  return next;
}

/** Routes kubectl-gray added for the service (rollback drops them; others' stay). */
export function withoutOwnedRoutesOf(vs: VirtualService, fqdn: string): VirtualService {
  const next = clone(vs);
  next.spec.http = (next.spec.http ?? []).filter((r) => !(routeKind(r) === 'owned' && (carriesService(vs, r, fqdn) || isServiceDestination(vs, r.mirror, fqdn))));
  return next;
}

export function sameEntry(a: EntryPoint, b: VirtualService): boolean {
  return objectKey(a.vs) === objectKey(b);
}

/**
 * Takes one subset of the service out of every route (the first step of removing it: routes, then the
 * subset, then the workload): routes that only lead there go if kubectl gray added them, the service's
 * share in other routes goes to its other subsets in proportion, mirrors to it stop.
 */
export function withoutServiceSubset(vs: VirtualService, fqdn: string, subset: string): VirtualService {
  let next = clone(vs);
  const isIt = (d: RouteDestination | undefined) => isServiceDestination(vs, d?.destination, fqdn) && d?.destination.subset === subset;
  const http = next.spec.http ?? [];
  // Routes whose share of the service goes only to the subset cannot be re-weighted: they go if ours.
  const onlyIt = (r: HTTPRoute) => {
    const own = (r.route ?? []).filter((d) => isServiceDestination(vs, d?.destination, fqdn));
    return own.length > 0 && own.every(isIt);
  };
  const stuck = http.findIndex((r) => onlyIt(r) && routeKind(r) !== 'owned');
  if (stuck >= 0) {
    throw new IntentError(`${describeObject(vs)} spec.http[${stuck}]${http[stuck]!.name ? ` "${http[stuck]!.name}"` : ''} sends all of ${fqdn}'s traffic there to ${subset}; move it to another subset first (kubectl gray switch, or set-weight)`);
  }
  next.spec.http = http.filter((r) => !onlyIt(r));
  for (let i = 0; i < (next.spec.http ?? []).length; i++) {
    const route = next.spec.http![i]!;
    if (route.mirror && isServiceDestination(vs, route.mirror, fqdn) && route.mirror.subset === subset) {
      delete route.mirror;
      delete route.mirrorPercentage;
    }
    if ((route.route ?? []).some(isIt)) next = setServiceWeight(next, i, fqdn, [{ subset, percent: 0 }]);
  }
  return next;
}
