// A plan as a per-object diff (what --dry-run=client prints): unified-diff hunks over the YAML of what
// kubectl gray reads and writes (metadata it owns, and the spec), three lines of context.
import { HISTORY_ANNOTATION, readHistory } from '../../core/history.js';
import type { KubeObject, VirtualService } from '../../core/model.js';
import { type Change, changeRef } from '../../core/plan.js';
import { toYaml } from '../../core/yaml.js';

function view(obj: KubeObject | undefined): string[] {
  if (!obj) return [];
  const annotations = { ...(obj.metadata.annotations ?? {}) };
  // The history is one long JSON string: show how many entries it holds, not the string.
  if (annotations[HISTORY_ANNOTATION]) annotations[HISTORY_ANNOTATION] = `<${readHistory(obj as VirtualService).length} entries>`;
  const metadata: Record<string, unknown> = { name: obj.metadata.name, namespace: obj.metadata.namespace };
  if (obj.metadata.labels && Object.keys(obj.metadata.labels).length) metadata['labels'] = obj.metadata.labels;
  if (Object.keys(annotations).length) metadata['annotations'] = annotations;
  return toYaml({ metadata, spec: obj['spec'] }).trimEnd().split('\n');
}

/** Longest-common-subsequence line diff: ' ', '-', '+' per line. */
export function lineDiff(a: string[], b: string[]): Array<[' ' | '-' | '+', string]> {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: Array<[' ' | '-' | '+', string]> = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) { out.push([' ', a[i]!]); i++; j++; }
    else if (j < m && (i >= n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) { out.push(['+', b[j]!]); j++; }
    else { out.push(['-', a[i]!]); i++; }
  }
  return out;
}

function hunks(lines: Array<[' ' | '-' | '+', string]>, context = 3): string[] {
  const keep = new Set<number>();
  lines.forEach(([op], i) => {
    if (op === ' ') return;
    for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k++) keep.add(k);
  });
  const out: string[] = [];
  let last = -1;
  for (const i of [...keep].sort((x, y) => x - y)) {
    if (last >= 0 && i > last + 1) out.push('  ...');
    out.push(`${lines[i]![0]} ${lines[i]![1]}`);
    last = i;
  }
  return out;
}

export function renderChangeDiff(c: Change): string {
  const ref = `${changeRef(c)} (${c.namespace})`;
  if (c.action === 'unchanged') return `= ${ref} unchanged\n`;
  const head = `--- ${ref} ${c.action === 'create' ? '(absent)' : '(as read)'}\n+++ ${ref} ${c.action === 'delete' ? '(deleted)' : '(planned)'}\n`;
  return head + hunks(lineDiff(view(c.before), view(c.after))).join('\n') + '\n';
}
