// Prints a Gateway API mesh route's status: Istio's verdict, then each rule's backends with their share and pods.
import type { GatewayRouteStatus } from '../../core/gateway-api/status.js';
import { type GatewayRoute, type RouteMatch, sharesOf } from '../../core/gateway-api/model.js';
import { formatFinding } from '../../core/rules.js';
import type { Io } from '../context.js';
import { round } from './routes.js';
import { bar, paint } from './status.js';
import { table } from './table.js';


/** "path ^= /api, header end-user = jason" (the matches of one rule, OR between them). */
function describeMatches(matches: readonly unknown[] | undefined): string {
  if (!matches?.length) return '*';
  return (matches as RouteMatch[]).map((m) => {
    const parts: string[] = [];
    if (m.path) parts.push(`path ${m.path.type === 'Exact' ? '=' : m.path.type === 'RegularExpression' ? '~' : '^='} ${m.path.value ?? '/'}`);
    if (typeof m.method === 'string') parts.push(`method ${m.method}`);
    else if (m.method) parts.push(`method ${[m.method.service, m.method.method].filter(Boolean).join('/')}`);
    for (const h of m.headers ?? []) parts.push(`header ${h.name} ${h.type === 'RegularExpression' ? '~' : '='} ${h.value}`);
    for (const q of m.queryParams ?? []) parts.push(`query ${q.name} ${q.type === 'RegularExpression' ? '~' : '='} ${q.value}`);
    return parts.join(', ') || '*';
  }).join(' OR ');
}

/** Each rule of a route with its backends' shares, as set-weight prints after a write: "  rules[1] (*): reviews-v1=90% reviews-v2=10%". */
export function describeRouteRules(route: GatewayRoute): string {
  return (route.spec.rules ?? []).map((rule, i) => {
    const shares = sharesOf(rule);
    const backends = (rule.backendRefs ?? []).map((b, j) => `${b.name}=${round(shares[j]!)}%`).join(' ') || '(no backends)';
    return `  rules[${i}]${rule.name ? ` ${rule.name}` : ''} (${describeMatches(rule.matches)}): ${backends}\n`;
  }).join('');
}

export function renderGatewayRouteStatus(io: Io, s: GatewayRouteStatus): void {
  io.out(`${paint(io, '1', `${s.kind} ${s.namespace}/${s.name}`)}   parent: Service ${s.parent}\n`);
  const verdict = s.istio.silent
    ? paint(io, '31', s.istio.silent)
    : `${s.istio.conditions.map((c) => `${c.type}=${c.status}${c.status === 'True' ? '' : ` (${c.reason ?? ''}${c.message ? `: ${c.message}` : ''})`}`).join(', ') || 'no conditions'}`
      + (s.istio.current ? '' : paint(io, '33', ' (for an older generation: istiod has not yet taken the latest change)'));
  io.out(`Istio: ${verdict}\n\n`);
  const rows: string[][] = [];
  for (const r of s.rules) {
    const label = r.name ?? `rules[${r.index}]`;
    const match = describeMatches(r.matches);
    r.backends.forEach((b, i) => {
      const pods = b.pods === undefined ? '-' : `${b.ready}/${b.pods}`;
      const mark = b.risk ? paint(io, '31', '  ! no ready pod: its calls fail') : '';
      rows.push([i === 0 ? label : '', i === 0 ? match : '', b.name, `${round(b.percent)}%`, bar(b.percent), pods + mark]);
    });
    if (r.backends.length === 0) rows.push([label, match, '(no backends)', '', '', '']);
  }
  io.out(table(['RULE', 'MATCH', 'BACKEND', 'WEIGHT', '', 'READY'], rows));
  const edited = s.rules.filter((r) => r.kind === 'general').map((r) => r.name ?? `rules[${r.index}]`);
  const alone = s.rules.filter((r) => r.kind !== 'general').map((r) => r.name ?? `rules[${r.index}]`);
  io.out(`\nset-weight edits: ${edited.join(', ') || 'none'}${alone.length ? `; left alone (they match headers or query parameters): ${alone.join(', ')}` : ''}\n`);
  if (s.findings.length > 0) {
    io.out('\n');
    for (const f of s.findings) io.out(`${f.severity === 'error' ? paint(io, '31', 'Error') : paint(io, '33', 'Warning')}: ${formatFinding(f)}\n`);
  }
}
