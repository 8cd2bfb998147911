// Prints the status view model. Bars make weights readable at a glance; colour only on a terminal.
import type { DestinationStatus, ServiceStatus } from '../../core/status.js';
import { formatFinding } from '../../core/rules.js';
import type { Io } from '../context.js';
import { describeMatch, round } from './routes.js';
import { table } from './table.js';

const BAR_WIDTH = 20;

export function bar(percent: number): string {
  const full = Math.round((percent / 100) * BAR_WIDTH);
  return '█'.repeat(full) + '░'.repeat(BAR_WIDTH - full);
}

export function paint(io: Io, code: string, text: string): string {
  return io.color ? `\x1b[${code}m${text}\x1b[0m` : text;
}

function destName(d: DestinationStatus, wide: boolean): string {
  const host = d.host.replace(/\.svc\.cluster\.local$/, '');
  if (!d.subset) return host;
  return wide ? `${d.subset} (${host})` : d.subset;
}

/** Every way traffic reaches the service, one line each (printed when there is more than one). */
export function renderEntryPoints(io: Io, statuses: readonly ServiceStatus[]): void {
  const rows = statuses.filter((s) => s.entry).map((s) => [
    `${s.namespace}/${s.virtualService}`, s.entry!.via,
    s.entry!.routes.map((r) => `http[${r.index}] ${r.kind}`).concat(s.entry!.otherRoutes).join(', ') || '-',
  ]);
  io.out(`${paint(io, '1', `Traffic to ${statuses[0]?.entry?.service ?? ''}`)}: ${rows.length} way(s) in\n`);
  io.out(table(['VIRTUALSERVICE', 'VIA', 'ROUTES TO IT'], rows));
  io.out('\n');
}

export function renderStatus(io: Io, status: ServiceStatus, wide: boolean): void {
  const via = status.entry ? `   via: ${status.entry.via}` : '';
  io.out(`${paint(io, '1', `VirtualService ${status.namespace}/${status.virtualService}`)}   hosts: ${status.hosts.join(', ') || '(delegate)'}${via}\n`);
  if (status.shadowedBy) io.out(paint(io, '31', `SHADOWED: Istio uses ${status.shadowedBy} for the same host and ignores this VirtualService there; edits to it change nothing\n`));
  io.out('\n');
  const rows: string[][] = [];
  for (const r of status.routes) {
    const label = r.name ?? (r.catchAll ? 'default' : `#${r.index}`);
    const match = r.catchAll ? '* (catch-all)' : describeMatch({ match: r.match });
    r.destinations.forEach((d, i) => {
      const risk = d.subset && status.subsets.find((s) => s.host === d.host && s.subset === d.subset)?.risk;
      const mark = risk && d.percent > 0 ? paint(io, '31', '  ! 503 risk') : '';
      rows.push([i === 0 ? label : '', i === 0 ? match : '', destName(d, wide), `${round(d.percent)}%`, bar(d.percent) + mark]);
    });
    if (r.destinations.length === 0) rows.push([label, match, '(no route)', '', '']);
    if (r.mirror) rows.push(['', '', `mirror → ${destName(r.mirror, wide)}`, `${round(r.mirror.percent)}%`, '(copies, answers discarded)']);
  }
  io.out(table(['ROUTE', 'MATCH', 'DESTINATION', 'WEIGHT', ''], rows));

  if (status.subsets.length > 0) {
    io.out('\n');
    const header = wide ? ['SUBSET', 'HOST', 'DESTINATIONRULE', 'LABELS', 'PODS', 'READY', ''] : ['SUBSET', 'LABELS', 'PODS', 'READY', ''];
    const subsetRows = status.subsets.map((s) => {
      const note = !s.defined ? paint(io, '31', 'undefined subset: 503 for every routed request')
        : s.risk ? paint(io, '31', 'routed but no ready pod: 503 no healthy upstream')
        : s.routed ? 'serving'
        : s.pods === 0 ? paint(io, '33', 'no pods: a route to it would answer 503') : '';
      const labels = Object.entries(s.labels).map(([k, v]) => `${k}=${v}`).join(',') || '-';
      const base = [s.subset, labels, String(s.pods), `${s.ready}/${s.pods}`, note];
      return wide ? [s.subset, s.host, s.destinationRule ?? '-', ...base.slice(1)] : base;
    });
    io.out(table(header, subsetRows));
  }
  if (status.entry) {
    const edited = status.entry.routes.filter((r) => r.kind === 'general').map((r) => `http[${r.index}]`);
    const alone = status.entry.routes.filter((r) => r.kind !== 'general').map((r) => `http[${r.index}] (${r.kind})`).concat(status.entry.otherRoutes.map((r) => `${r} (not http)`));
    io.out(`\nset-weight/switch/mirror/rollback edit: ${edited.join(', ') || 'none (use --route NAME)'}${alone.length ? `; left alone: ${alone.join(', ')}` : ''}\n`);
  }
  const problems = status.findings;
  if (problems.length > 0) {
    io.out('\n');
    for (const f of problems) io.out(`${f.severity === 'error' ? paint(io, '31', 'Error') : paint(io, '33', 'Warning')}: ${formatFinding(f)}\n`);
  }
}
