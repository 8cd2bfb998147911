// How analyze's findings are printed: human text (file:line:column first, like compilers), JSON, or SARIF 2.1.0
// for code-scanning pages. Pure formatting: a view model in, text out.
import type { AnalyzedFinding, AnalyzeResult } from '../../core/analyze.js';
import { RULES, type RuleInfo, type RuleName, type Severity, formatFinding } from '../../core/rules.js';
import type { Loaded, SkippedFile, Unreadable } from './inputs.js';

export interface Located extends AnalyzedFinding {
  file: string;
  line: number;
  column: number;
}

export interface Report {
  findings: Located[];
  istio: number;
  skipped: number;
  files: number;
  /** What could not be read (the rest was analyzed): analyze then exits 2. */
  unreadable: Unreadable[];
  /** Files that are plainly not manifests (Helm templates, files without a Kubernetes object). */
  skippedFiles: SkippedFile[];
  /**
   * With --cluster: the namespace whose findings are reported (undefined: every namespace, -A) and the number of
   * files put on top of the live objects. `istio` then counts the Istio objects of that scope.
   */
  live?: { namespace: string | undefined; filesOnTop: number };
}

export function locate(result: AnalyzeResult, loaded: Pick<Loaded, 'sources' | 'files' | 'unreadable' | 'skippedFiles'>): Report {
  const { sources, files } = loaded;
  const order = new Map(files.map((f, i) => [f, i]));
  const findings = result.findings.map((f) => {
    const source = sources[f.index]!;
    return { ...f, file: source.file, ...source.locate(f.field) };
  });
  // A live object's findings (analyze --cluster: no file, line 0) come first, by object.
  findings.sort((a, b) => ((order.get(a.file) ?? -1) - (order.get(b.file) ?? -1)) || a.line - b.line || a.column - b.column
    || a.object.localeCompare(b.object) || a.code.localeCompare(b.code));
  return { findings, istio: result.istio, skipped: result.skipped, files: files.length, unreadable: loaded.unreadable, skippedFiles: loaded.skippedFiles };
}

export function atOrAbove(findings: readonly Located[], failOn: Severity): Located[] {
  return failOn === 'warning' ? [...findings] : findings.filter((f) => f.severity === 'error');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function summaryLine(r: Report): string {
  const errors = r.findings.filter((f) => f.severity === 'error').length;
  const warnings = r.findings.length - errors;
  const scope = r.live ? liveScopeLine(r, r.live) : `${plural(r.istio, 'Istio object')} from ${plural(r.files - r.skippedFiles.length, 'file')}`
    + `${r.skipped ? `; ${plural(r.skipped, 'other object')} skipped` : ''}${r.skippedFiles.length ? `; ${plural(r.skippedFiles.length, 'file')} without manifests skipped` : ''}`;
  const verdict = r.findings.length === 0 ? `No problems found in ${scope}.` : `${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${scope}.`;
  const unreadable = new Set(r.unreadable.map((u) => u.file)).size;
  return unreadable ? `${verdict} ${plural(unreadable, 'file')} could not be read in full.` : verdict;
}

/** "7 Istio objects in namespace shop (live cluster, 1 file on top)". */
function liveScopeLine(r: Report, live: NonNullable<Report['live']>): string {
  const files = [
    ...(live.filesOnTop ? [`${plural(live.filesOnTop, 'file')} on top`] : []),
    ...(r.skippedFiles.length ? [`${plural(r.skippedFiles.length, 'file')} without manifests skipped`] : []),
  ];
  return `${plural(r.istio, 'Istio object')} ${live.namespace === undefined ? 'in all namespaces' : `in namespace ${live.namespace}`} (live cluster${files.length ? `, ${files.join(', ')}` : ''})`;
}

/** What --cluster analyzed, in words: "live cluster, namespace shop, files on top". */
function liveScope(live: NonNullable<Report['live']>): string {
  return `live cluster, ${live.namespace === undefined ? 'all namespaces' : `namespace ${live.namespace}`}${live.filesOnTop ? ', files on top' : ''}`;
}

export function renderText(r: Report): string {
  const unreadable = r.unreadable.map((u) => `${u.file}:${u.line}:${u.column}: could not be read: ${u.problem}`);
  // A live object has no file position: "cluster: error ...", the finding names the object.
  const lines = r.findings.map((f) => `${f.file}${f.line ? `:${f.line}:${f.column}` : ''}: ${f.severity} ${formatFinding(f)}`);
  return [...unreadable, ...lines, summaryLine(r)].join('\n') + '\n';
}

export function renderJson(r: Report): string {
  // istio: the istioctl analyze message code of the same finding, where there is one.
  const findings = r.findings.map(({ index: _index, ...f }) => ({ ...f, ...((RULES[f.rule] as RuleInfo).istio ? { istio: (RULES[f.rule] as RuleInfo).istio } : {}) }));
  const errors = findings.filter((f) => f.severity === 'error').length;
  return `${JSON.stringify({
    findings,
    unreadable: r.unreadable,
    skippedFiles: r.skippedFiles,
    summary: { errors, warnings: findings.length - errors, istioObjects: r.istio, skippedObjects: r.skipped, files: r.files, unreadableFiles: new Set(r.unreadable.map((u) => u.file)).size,
      // --cluster: the scope in words, and as data (namespace null: every namespace, -A).
      ...(r.live ? { scope: liveScope(r.live), namespace: r.live.namespace ?? null, filesOnTop: r.live.filesOnTop } : {}) },
  }, null, 2)}\n`;
}

/** A file path as a SARIF artifact URI: relative paths stay relative (to the checkout), "-" is stdin. */
function artifactUri(file: string): string {
  if (file === '-') return 'stdin';
  return encodeURI(file.replace(/\\/g, '/').replace(/^\.\//, ''));
}

export function renderSarif(r: Report, toolVersion: string): string {
  const used = [...new Set(r.findings.map((f) => f.rule))].sort((a, b) => RULES[a].code.localeCompare(RULES[b].code));
  const ruleIndex = new Map<RuleName, number>(used.map((name, i) => [name, i]));
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'kubectl-gray',
          version: toolVersion,
          rules: used.map((name) => ({
            id: RULES[name].code,
            name,
            shortDescription: { text: RULES[name].summary },
            defaultConfiguration: { level: RULES[name].severity },
            properties: { source: RULES[name].source ?? 'kubectl-gray' },
          })),
        },
      },
      results: r.findings.map((f) => ({
        ruleId: f.code,
        ruleIndex: ruleIndex.get(f.rule),
        level: f.severity,
        message: { text: `${f.object} ${f.field}: ${f.problem}. Fix: ${f.fix}` },
        locations: [{
          // A live object's finding (analyze --cluster) has no line to point at: SARIF regions start at 1.
          physicalLocation: {
            artifactLocation: { uri: artifactUri(f.file) },
            ...(f.line > 0 ? { region: { startLine: f.line, startColumn: f.column } } : {}),
          },
          logicalLocations: [{ fullyQualifiedName: `${f.object} ${f.field}` }],
        }],
      })),
      // What could not be read, as the tool's own notifications: the run did not see everything.
      invocations: [{
        executionSuccessful: r.unreadable.length === 0,
        toolExecutionNotifications: r.unreadable.map((u) => ({
          level: 'error',
          message: { text: `could not be read: ${u.problem}` },
          locations: [{ physicalLocation: { artifactLocation: { uri: artifactUri(u.file) }, region: { startLine: u.line, startColumn: u.column } } }],
        })),
      }],
      columnKind: 'utf16CodeUnits',
    }],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
