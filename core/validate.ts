// The checks themselves: plain functions from objects to findings. They never throw on odd input:
// a malformed object yields findings (or nothing) so that the webhook can always answer.

import { resolveHost } from './hosts.js';
import {
  type Destination, type DestinationRule, type HTTPRoute, type RouteDestination, type StringMatch, type VirtualService,
  describeObject, jsonEqual, namespaceOf, objectKey,
} from './model.js';
import { type DestinationSlot, type RouteKind, ROUTE_KINDS, destinationField, destinationsOf, visitDestinations } from './destinations.js';
import { virtualServicesUsing } from './indexes.js';
import { re2Problem } from './re2.js';
import { isDns1123Label, matchHeaderNameProblem } from './istio/common.js';
import { type Finding, finding } from './rules.js';
import { lookupSubsets } from './subsets.js';

export interface VirtualServiceContext {
  /** Every DestinationRule the VirtualService could see (its namespace, the services', the root's). */
  destinationRules: readonly DestinationRule[];
}

/** A match-less route (or one with an empty match entry) catches every request. */
export function isCatchAll(route: HTTPRoute): boolean {
  const match = route.match;
  if (!Array.isArray(match) || match.length === 0) return true;
  return match.some((m) => !m || !hasKeyBesidesName(m));
}

function hasKeyBesidesName(m: object): boolean {
  for (const key in m) if (key !== 'name' && Object.prototype.hasOwnProperty.call(m, key)) return true;
  return false;
}

/**
 * Every check of a VirtualService on its own and against the DestinationRules it can see. Every review passes
 * here, so its routes are walked once for all the checks, and the names of the object and of fields are written
 * out only for a finding. Findings come grouped by check (weights, matches, mirrors, subsets, reachability), each
 * group in the order of the routes.
 */
export function checkVirtualService(vs: VirtualService, ctx: VirtualServiceContext): Finding[] {
  const weights: Finding[] = [];
  const matches: Finding[] = [];
  const mirrors: Finding[] = [];
  const subsets: Finding[] = [];
  const unreachable: Finding[] = [];
  const ns = namespaceOf(vs);
  for (const kind of ROUTE_KINDS) {
    const routes = vs.spec?.[kind];
    if (!Array.isArray(routes)) continue;
    let catchAll = -1;
    for (let index = 0; index < routes.length; index++) {
      const route = routes[index] as HTTPRoute | null | undefined;
      if (!route || typeof route !== 'object') continue;
      checkRouteWeights(vs, kind, index, Array.isArray(route.route) ? route.route : [], weights);
      visitDestinations(route, kind, (d, slot, position) => checkSubsetDefined(vs, ns, d, kind, index, slot, position, ctx, subsets));
      if (kind !== 'http') continue;
      checkRouteMatches(vs, index, route.match, matches);
      checkRouteMirrors(vs, index, route, mirrors);
      if (catchAll >= 0) {
        const name = route.name ? ` "${route.name}"` : '';
        unreachable.push(finding('route-unreachable', describeObject(vs), `spec.http[${index}]`,
          `route${name} comes after the catch-all route spec.http[${catchAll}] and can never match`,
          `move it before spec.http[${catchAll}] (kubectl gray match-header inserts routes in the right place)`));
      } else if (isCatchAll(route)) {
        catchAll = index;
      }
    }
  }
  return weights.concat(matches, mirrors, subsets, unreachable);
}

function checkRouteWeights(vs: VirtualService, kind: RouteKind, index: number, dests: RouteDestination[], out: Finding[]): void {
  let total = 0;
  let anyNonZero = false;
  for (let i = 0; i < dests.length; i++) {
    const weight = dests[i]?.weight;
    if (typeof weight !== 'number') continue;
    total += weight;
    if (weight !== 0) anyNonZero = true;
    if (weight < 0) {
      out.push(finding('weight-negative', describeObject(vs), `spec.${kind}[${index}].route[${i}].weight`, `weight ${weight} is negative`,
        'use a weight between 0 and 100'));
    }
  }
  if (dests.length < 2) return; // a single destination takes all traffic whatever its weight
  const field = `spec.${kind}[${index}].route`;
  if (!anyNonZero) {
    out.push(finding('weight-all-zero', describeObject(vs), field, `all ${dests.length} destinations have weight 0, so no traffic can be sent`,
      'give at least one destination a positive weight'));
  } else if (total !== 100) {
    const parts = dests.map((d) => `${d?.destination?.subset ?? d?.destination?.host ?? '?'}=${typeof d?.weight === 'number' ? d.weight : 0}`).join(', ');
    out.push(finding('weight-total', describeObject(vs), field,
      `weights total ${total} (${parts}), not 100; Istio itself would accept this as relative shares, but kubectl-gray policy requires exactly 100 so that every weight reads as a percentage`,
      `make the weights add up to 100, e.g. with kubectl gray set-weight`));
  }
}

const REGEX_FIX = 'write the pattern in RE2 syntax (no lookaround, no backreferences)';
const MATCH_FIELDS = ['uri', 'scheme', 'method', 'authority'] as const;
const MATCH_GROUPS = ['headers', 'withoutHeaders', 'queryParams'] as const;

/** The finding for a string match whose regex RE2 would refuse, if it is one. */
function regexFinding(m: StringMatch | undefined, vs: VirtualService, field: () => string): Finding | undefined {
  if (!m || typeof m !== 'object' || typeof m.regex !== 'string') return undefined;
  const problem = re2Problem(m.regex);
  return problem ? finding('regex-invalid', describeObject(vs), `${field()}.regex`, problem, REGEX_FIX) : undefined;
}

function checkRouteMatches(vs: VirtualService, r: number, matches: unknown, out: Finding[]): void {
  if (!Array.isArray(matches)) return;
  for (let j = 0; j < matches.length; j++) {
    const m = matches[j] as Record<string, unknown> | null | undefined;
    if (!m || typeof m !== 'object') continue;
    const base = () => `spec.http[${r}].match[${j}]`;
    for (const key of MATCH_FIELDS) {
      const sm = m[key] as StringMatch | undefined;
      if (sm === undefined) continue;
      const bad = regexFinding(sm, vs, () => `${base()}.${key}`);
      if (bad) out.push(bad);
    }
    for (const group of MATCH_GROUPS) {
      const entries = m[group] as Record<string, StringMatch> | undefined;
      if (!entries || typeof entries !== 'object') continue;
      for (const name in entries) {
        if (!Object.prototype.hasOwnProperty.call(entries, name)) continue;
        const sm = entries[name];
        const field = () => `${base()}.${group}.${name}`;
        const nameProblem = group === 'queryParams' ? undefined : matchHeaderNameProblem(name);
        if (nameProblem) {
          out.push(finding('header-name', describeObject(vs), field(), nameProblem,
            'use letters, digits and -_.!#$%&\'*+^`|~ only (or one of :method, :scheme, :authority, :path, :status)'));
        }
        // In withoutHeaders, regex "*" means "present" and is not a regex.
        if (group === 'withoutHeaders' && sm?.regex === '*') continue;
        const bad = regexFinding(sm, vs, field);
        if (bad) out.push(bad);
      }
    }
  }
}

function checkRouteMirrors(vs: VirtualService, r: number, route: HTTPRoute, out: Finding[]): void {
  if (route.mirror && Array.isArray(route.mirrors) && route.mirrors.length > 0) {
    out.push(finding('mirror-conflict', describeObject(vs), `spec.http[${r}]`, 'sets both mirror and mirrors', 'keep one of them'));
  }
  const value = route.mirrorPercentage?.value;
  if (typeof value === 'number' && (value < 0 || value > 100)) {
    out.push(finding('mirror-percentage', describeObject(vs), `spec.http[${r}].mirrorPercentage.value`, `${value} is outside [0, 100]`,
      'use a percentage between 0 and 100'));
  }
}

function subsetNameFinding(name: string, object: string, field: string): Finding {
  return finding('subset-name', object, field, `"${name}" is not a DNS-1123 label`,
    'use at most 63 letters, digits and dashes, starting and ending with a letter or digit');
}

/** A destination's subset must be a DNS label that a DestinationRule the VirtualService sees defines. */
function checkSubsetDefined(
  vs: VirtualService, ns: string, destination: Destination, kind: RouteKind, index: number, slot: DestinationSlot, position: number,
  ctx: VirtualServiceContext, out: Finding[],
): void {
  const { subset, host: shortHost } = destination;
  if (!subset || typeof shortHost !== 'string') return;
  const field = () => `${destinationField(kind, index, slot, position)}.subset`;
  if (!isDns1123Label(subset)) {
    out.push(subsetNameFinding(subset, describeObject(vs), field()));
    return;
  }
  const host = resolveHost(shortHost, ns);
  const { rules, subsets } = lookupSubsets(host, ns, ctx.destinationRules);
  if (subsets.includes(subset)) return;
  if (rules.length === 0) {
    out.push(finding('subset-undefined', describeObject(vs), field(),
      `routes to subset "${subset}" of host ${host}, but no DestinationRule for that host defines any subset`,
      `create a DestinationRule for ${host} with subset "${subset}" and apply it before this VirtualService (a webhook cannot see objects later in the same apply)`));
  } else {
    const names = rules.map(objectKey).join(', ');
    out.push(finding('subset-undefined', describeObject(vs), field(),
      `routes to subset "${subset}" of host ${host}, which DestinationRule ${names} does not define (defined: ${subsets.join(', ') || 'none'})`,
      `add subset "${subset}" to DestinationRule ${names} first, or route to one of: ${subsets.join(', ') || 'none'}`));
  }
}

export function checkDestinationRule(dr: DestinationRule): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  const subsets = dr.spec?.subsets ?? [];
  for (let i = 0; i < subsets.length; i++) {
    const name = subsets[i]?.name;
    if (typeof name !== 'string') continue;
    if (!isDns1123Label(name)) out.push(subsetNameFinding(name, describeObject(dr), `spec.subsets[${i}].name`));
    if (seen.has(name)) {
      out.push(finding('subset-duplicate', describeObject(dr), `spec.subsets[${i}].name`, `subset "${name}" is defined twice`,
        'remove or rename one of them'));
    }
    seen.add(name);
  }
  return out;
}

/**
 * The usual update (a subset added, labels or a traffic policy changed): the same host, seen from the same
 * namespaces, still defining every subset it defined. Every lookup that found a subset in it still does.
 */
function keepsEverySubset(previous: DestinationRule, next: DestinationRule): boolean {
  if (namespaceOf(previous) !== namespaceOf(next) || previous.spec?.host !== next.spec?.host) return false;
  if (!jsonEqual(previous.spec?.exportTo ?? null, next.spec?.exportTo ?? null)) return false;
  const names = new Set((next.spec?.subsets ?? []).map((s) => s?.name));
  return (previous.spec?.subsets ?? []).every((s) => !s?.name || names.has(s.name));
}

/**
 * A DestinationRule update (next defined) or delete (next undefined) must not take away a subset that a
 * VirtualService still routes to, unless another DestinationRule it sees still defines that subset.
 */
export function checkSubsetRemoval(
  previous: DestinationRule,
  next: DestinationRule | undefined,
  virtualServices: readonly VirtualService[],
  destinationRules: readonly DestinationRule[],
): Finding[] {
  if (next && keepsEverySubset(previous, next)) return [];
  const object = describeObject(previous);
  const key = objectKey(previous);
  const isPrevious = (d: DestinationRule) => objectKey(d) === key;
  const lost = new Map<string, string[]>(); // subset -> users
  for (const vs of virtualServicesUsing(previous, virtualServices)) {
    const ns = namespaceOf(vs);
    for (const ref of destinationsOf(vs)) {
      const { destination } = ref;
      if (!destination.subset || typeof destination.host !== 'string') continue;
      const host = resolveHost(destination.host, ns);
      const had = lookupSubsets(host, ns, destinationRules, { key, with: previous });
      if (!had.rules.some(isPrevious) || !had.subsets.includes(destination.subset)) continue;
      if (lookupSubsets(host, ns, destinationRules, { key, with: next }).subsets.includes(destination.subset)) continue;
      const users = lost.get(destination.subset) ?? [];
      users.push(`${describeObject(vs)} ${ref.field}`);
      lost.set(destination.subset, users);
    }
  }
  const out: Finding[] = [];
  for (const [subset, users] of lost) {
    const first = users.slice(0, 3).join('; ') + (users.length > 3 ? `; and ${users.length - 3} more` : '');
    if (next) {
      const index = (previous.spec.subsets ?? []).findIndex((s) => s?.name === subset);
      out.push(finding('subset-in-use', object, `spec.subsets[${index}]`,
        `removing subset "${subset}" would break routes that still use it: ${first}`,
        `move those routes off "${subset}" first (kubectl gray set-weight or switch), then remove the subset`));
    } else {
      out.push(finding('destinationrule-in-use', object, 'metadata.name',
        `deleting it would leave subset "${subset}" undefined while routes still use it: ${first}`,
        `move those routes off "${subset}" first, then delete the DestinationRule`));
    }
  }
  return out;
}
