import { IntentError } from '../errors.js';
import type { StringMatch } from '../model.js';
import { re2Quote } from '../re2.js';
import { type MarkedRoute, OWNED_ROUTE_PREFIX } from '../traffic.js';

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

export function routeName(intent: HeaderMatchIntent): string {
  const slug = (intent.label ?? `${intent.header}-${intent.value}`).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  return `${OWNED_ROUTE_PREFIX}${intent.subset}-${slug}`.slice(0, 63).replace(/-$/, '');
}

/** The marked route a header intent asks for (every general route of the service gets one before it). */
export function markedRoute(intent: HeaderMatchIntent): MarkedRoute {
  if (!intent.header) throw new IntentError('the header name is empty');
  const stringMatch: StringMatch = { [intent.kind]: intent.value };
  return { name: routeName(intent), match: { headers: { [intent.header.toLowerCase()]: stringMatch } }, subset: intent.subset };
}
