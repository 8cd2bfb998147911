// A compact, plain-text account of where a VirtualService's HTTP traffic goes.
import type { HTTPMatchRequest, HTTPRoute, StringMatch, VirtualService } from '../../core/model.js';
import { isCatchAll } from '../../core/validate.js';
import { effectiveShares } from '../../core/weights.js';

export function describeMatch(route: HTTPRoute): string {
  if (isCatchAll(route)) return '*';
  return (route.match ?? []).map(describeMatchRequest).join(' OR ');
}

function describeStringMatch(sm: StringMatch | undefined): string {
  if (!sm || typeof sm !== 'object') return '?';
  if (sm.exact !== undefined) return `= ${sm.exact}`;
  if (sm.prefix !== undefined) return `^= ${sm.prefix}`;
  if (sm.regex !== undefined) return `~ ${sm.regex}`;
  return 'present';
}

function describeMatchRequest(m: HTTPMatchRequest): string {
  const parts: string[] = [];
  if (m.uri) parts.push(`uri ${describeStringMatch(m.uri)}`);
  for (const [name, sm] of Object.entries(m.headers ?? {})) parts.push(`${name} ${describeStringMatch(sm)}`);
  for (const key of Object.keys(m)) {
    if (!['uri', 'headers', 'name'].includes(key)) parts.push(key);
  }
  return parts.join(' AND ') || '*';
}

export function describeRoutes(vs: VirtualService): string {
  const lines: string[] = [];
  (vs.spec.http ?? []).forEach((route, i) => {
    const label = route.name ?? (isCatchAll(route) ? 'default' : `#${i}`);
    const percents = effectiveShares((route.route ?? []).map((d) => d.weight));
    const dests = (route.route ?? []).map((d, j) => `${d.destination?.subset ?? d.destination?.host}=${round(percents[j]!)}%`).join(' ');
    const mirror = route.mirror ? ` mirror ${route.mirror.subset ?? route.mirror.host} ${route.mirrorPercentage?.value ?? 100}%` : '';
    lines.push(`  http[${i}] ${label} (${describeMatch(route)}): ${dests || 'no route'}${mirror}`);
  });
  return lines.length ? `${lines.join('\n')}\n` : '';
}

export function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
