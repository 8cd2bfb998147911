// Matches that never decide anything (IST0130, IST0131): a match identical to one of an earlier route, a URI
// prefix inside an earlier route's prefix with the same other conditions, and a route whose every match is used
// by earlier routes; for tcp and tls, a route after one that matches everything (http has GRAY108 for that,
// core/validate.ts). A match's name is a label, not a condition: it does not count.
import { ROUTE_KINDS } from '../destinations.js';
import { type VirtualService, canonicalJson, describeObject } from '../model.js';
import { type Finding, finding } from '../rules.js';

type Match = Record<string, unknown>;

const isMatch = (m: unknown): m is Match => !!m && typeof m === 'object' && !Array.isArray(m);
const prefixOf = (m: Match) => ((m['uri'] as { prefix?: unknown } | undefined)?.prefix as string | undefined);
/** A match without its URI and name: what must be equal for one prefix to cover another. */
const restOf = (m: Match) => canonicalJson(Object.fromEntries(Object.entries(m).filter(([k]) => k !== 'uri' && k !== 'name')));
const label = (kind: string, i: number, route: Record<string, unknown>) => `${kind}[${i}]${typeof route['name'] === 'string' ? ` (${route['name']})` : ''}`;

export function checkMatches(vs: VirtualService): Finding[] {
  const out: Finding[] = [];
  const object = describeObject(vs);
  for (const kind of ROUTE_KINDS) {
    const routes = (vs.spec as Record<string, unknown>)[kind];
    // Two matches at least, or nothing can repeat or cover another (most VirtualServices: one catch-all route).
    if (!Array.isArray(routes) || routes.length < 2) continue;
    const seen = new Map<string, number>();
    const prefixes: Array<{ route: number; prefix: string; rest: string }> = [];
    let catchAll = false;
    routes.forEach((route: Record<string, unknown> | null, i) => {
      const matches = Array.isArray(route?.['match']) ? (route['match'] as unknown[]).filter(isMatch) : [];
      if (route && catchAll && kind !== 'http') {
        out.push(finding('match-unreachable', object, `spec.${kind}[${i}]`,
          `route ${label(kind, i, route)} can never match: an earlier ${kind} route matches everything`,
          'remove the route, or move it before the route without a match'));
        return;
      }
      if (!route || matches.length === 0 || catchAll) {
        catchAll ||= !!route && matches.length === 0;
        return; // what follows an http catch-all is GRAY108's
      }
      let used = 0;
      matches.forEach((m, k) => {
        const key = restOf(m) + canonicalJson(m['uri'] ?? null);
        const earlier = seen.get(key);
        const prefix = kind === 'http' ? prefixOf(m) : undefined;
        const covering = prefix === undefined ? undefined : prefixes.find((p) => p.prefix !== prefix && prefix.startsWith(p.prefix) && p.rest === restOf(m));
        if (earlier !== undefined) {
          used += 1;
          out.push(finding('match-ineffective', object, `spec.${kind}[${i}].match[${k}]`,
            `the same match as route ${label(kind, earlier, routes[earlier])}, which comes first and takes every request it matches`,
            'remove the match, or move the route before the one that takes its requests'));
        } else if (covering) {
          out.push(finding('match-ineffective', object, `spec.${kind}[${i}].match[${k}]`,
            `URI prefix "${prefix}" is inside prefix "${covering.prefix}" of route ${label(kind, covering.route, routes[covering.route])}, which comes first with the same other conditions`,
            'put the longer prefix first, or remove it'));
        }
        if (earlier === undefined) seen.set(key, i);
        if (prefix !== undefined) prefixes.push({ route: i, prefix, rest: restOf(m) });
      });
      if (used === matches.length) {
        out.push(finding('match-unreachable', object, `spec.${kind}[${i}]`,
          `route ${label(kind, i, route)} can never match: earlier routes use every one of its matches`,
          'remove the route, or move it before the routes that take its requests'));
      }
    });
  }
  return out;
}
