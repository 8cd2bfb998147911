import { IntentError } from '../errors.js';
import { type HTTPMatchRequest, type HTTPRoute, type StringMatch, type VirtualService, canonicalJson, clone, describeObject } from '../model.js';
import { re2Quote } from '../re2.js';
import { routeHost, selectRoute } from '../target.js';

/** Routes kubectl-gray adds carry this name prefix, so rollback knows which ones are its own. */
export const OWNED_ROUTE_PREFIX = 'gray-';

export type MatchKind = 'exact' | 'prefix' | 'regex';

export interface HeaderMatchIntent {
  header: string;
  value: string;
  kind: MatchKind;
  subset: string;
  /** What the route's name says about the match (default: header-value). */
  label?: string;
}

/** "end-user=jason" -> ["end-user", "jason"]; the value may itself contain "=". */
export function parseHeaderPair(token: string, what = 'NAME=VALUE'): [string, string] {
  const i = token.indexOf('=');
  if (i <= 0) throw new IntentError(`"${token}": expected ${what}, e.g. end-user=jason`);
  return [token.slice(0, i), token.slice(i + 1)];
}

/** The regex on the Cookie header that finds NAME=VALUE anywhere among the cookies. */
export function cookieRegex(name: string, value: string): string {
  return `^(.*;\\s*)?${re2Quote(name)}=${re2Quote(value)}(\\s*;.*)?$`;
}

export function cookieIntent(name: string, value: string, subset: string): HeaderMatchIntent {
  return { header: 'cookie', value: cookieRegex(name, value), kind: 'regex', subset, label: `cookie-${name}-${value}` };
}

function routeName(intent: HeaderMatchIntent): string {
  const slug = (intent.label ?? `${intent.header}-${intent.value}`).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  return `${OWNED_ROUTE_PREFIX}${intent.subset}-${slug}`.slice(0, 63).replace(/-$/, '');
}

function sameMatch(a: HTTPMatchRequest[] | undefined, b: HTTPMatchRequest[]): boolean {
  return canonicalJson(a ?? null) === canonicalJson(b);
}

/**
 * Sends requests carrying the header to a subset, through a route placed just before the catch-all.
 * Running it again with the same match replaces that route's destination instead of adding a copy.
 */
export function matchHeader(vs: VirtualService, intent: HeaderMatchIntent): VirtualService {
  if (!intent.header) throw new IntentError('the header name is empty');
  const next = clone(vs);
  const http: HTTPRoute[] = (next.spec.http ??= []);
  const catchAll = selectRoute(next);
  const stringMatch: StringMatch = { [intent.kind]: intent.value };
  const match: HTTPMatchRequest[] = [{ headers: { [intent.header.toLowerCase()]: stringMatch } }];
  const destination = { host: routeHost(vs, catchAll), subset: intent.subset };
  const existing = http.findIndex((r) => sameMatch(r.match, match));
  if (existing >= 0) {
    http[existing] = { ...http[existing], route: [{ destination }] };
    return next;
  }
  if (http.some((r) => r.name === routeName(intent))) {
    throw new IntentError(`${describeObject(vs)} already has a route named ${routeName(intent)} with a different match`);
  }
  http.splice(catchAll, 0, { name: routeName(intent), match, route: [{ destination }] });
  return next;
}
