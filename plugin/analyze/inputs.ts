// What analyze reads: files, directories (recursive: *.yaml, *.yml, *.json), "-" for standard input; every
// document of a multi-document file, Lists unwrapped; each object keeps where it came from so findings can
// point at a line and column. YAML is read as kubectl reads it (core/yaml.ts). A real repository holds more than
// manifests: a file that cannot be read is reported with where and why and the rest is still analyzed; Helm
// templates and files without a Kubernetes object are skipped and counted.
import type { LineCounter, Node } from 'yaml';
import { isMap, isPair, isScalar, isSeq } from 'yaml';
import type { KubeObject } from '../../core/model.js';
import { documentValue, parseYaml, yamlError } from '../../core/yaml.js';

export interface Source {
  /** The path as given (or found under a directory), "-" for standard input. */
  file: string;
  /** Maps a finding's field ("spec.http[0].route[1].weight") to a 1-based line and column. */
  locate(field: string): { line: number; column: number };
}

/** Something analyze could not read: the file, where, and why. */
export interface Unreadable {
  file: string;
  line: number;
  column: number;
  problem: string;
}

/** A file that is plainly not a manifest, and why analyze left it out. */
export interface SkippedFile {
  file: string;
  reason: string;
}

export interface Loaded {
  objects: KubeObject[];
  sources: Source[];
  files: string[];
  unreadable: Unreadable[];
  skippedFiles: SkippedFile[];
}

export interface InputFs {
  readFile(path: string): Promise<string>;
  /** The entries of a directory, or undefined when the path is not one. */
  listDirectory?(path: string): Promise<string[] | undefined>;
}

const EXTENSIONS = /\.(ya?ml|json)$/i;

/** Expands directories (recursively, sorted, manifests only); files are taken as given. */
export async function expandInputs(paths: readonly string[], fs: InputFs): Promise<string[]> {
  const out: string[] = [];
  const walk = async (path: string, top: boolean): Promise<void> => {
    const entries = path === '-' || !fs.listDirectory ? undefined : await fs.listDirectory(path);
    if (!entries) {
      if (top || EXTENSIONS.test(path)) out.push(path);
      return;
    }
    for (const name of [...entries].sort()) {
      if (name.startsWith('.')) continue;
      await walk(`${path.replace(/\/+$/, '')}/${name}`, false);
    }
  };
  for (const p of paths) await walk(p, true);
  return out;
}

/** Walks a YAML node along a field path; map keys may themselves hold dots, so the longest matching key wins. */
function locateIn(root: Node | null | undefined, field: string, lc: LineCounter): { line: number; column: number } {
  let node: Node | null | undefined = root;
  let pos = node?.range?.[0] ?? 0;
  let rest = field;
  while (rest.length > 0 && node) {
    if (isSeq(node)) {
      const m = /^\[(\d+)\]\.?/.exec(rest);
      const item = m ? node.items[Number(m[1])] as Node | undefined : undefined;
      if (!m || !item) break;
      node = item;
      pos = item.range?.[0] ?? pos;
      rest = rest.slice(m[0].length);
    } else if (isMap(node)) {
      let best: { key: string; pair: (typeof node.items)[number] } | undefined;
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : '';
        const fits = rest === key || rest.startsWith(`${key}.`) || rest.startsWith(`${key}[`);
        if (fits && (!best || key.length > best.key.length)) best = { key, pair };
      }
      if (!best) break;
      pos = (best.pair.key as Node | null)?.range?.[0] ?? pos;
      node = best.pair.value as Node | null;
      rest = rest.slice(best.key.length).replace(/^\./, '');
    } else {
      break;
    }
  }
  const p = lc.linePos(pos);
  return { line: p.line, column: p.col };
}

/** Template actions as Helm writes them ({{ .Values.x }}, {{- include ... }}, {{ end }}). */
const HELM_TEMPLATE = /\{\{-?\s*(?:[.$(]|(?:include|template|if|else|end|range|with|define|toYaml|tpl|default|quote)\b)/;

export interface LoadedText {
  objects: KubeObject[];
  sources: Source[];
  unreadable: Unreadable[];
  /** Why the whole file was left out, when it was. */
  skipped?: string;
}

/** Parses one file's text into objects, with a default namespace filled in. */
export function loadText(text: string, file: string, namespace: string): LoadedText {
  if (HELM_TEMPLATE.test(text)) return { objects: [], sources: [], unreadable: [], skipped: 'a Helm template (analyze what helm template renders: helm template ... | kubectl gray analyze -)' };
  const { documents, lineCounter } = parseYaml(text);
  const objects: KubeObject[] = [];
  const sources: Source[] = [];
  const unreadable: Unreadable[] = [];
  const others: Array<{ line: number; col: number }> = [];
  // Positions are needed only for the few objects with findings: the text is parsed again then, once, rather than
  // every file's YAML nodes kept (dozens of times the text's size; a directory of 20,000 objects took 555 MiB).
  let again: ReturnType<typeof parseYaml> | undefined;
  const nodeAt = (document: number, items: readonly number[]): Node | null | undefined => {
    again ??= parseYaml(text);
    let node = again.documents[document]?.contents as Node | null | undefined;
    for (const i of items) {
      const list = node && isMap(node) ? node.get('items', true) as Node | undefined : undefined;
      node = list && isSeq(list) ? list.items[i] as Node : undefined;
    }
    return node;
  };
  for (const [d, document] of documents.entries()) {
    const err = yamlError(document, lineCounter);
    if (err) {
      unreadable.push({ file, line: err.line, column: err.column, problem: `not valid YAML: ${err.problem}` });
      continue;
    }
    let value: unknown;
    try {
      value = documentValue(document);
    } catch (err) { // a value YAML can parse but not build, such as a merge of something that is not a map
      const at = lineCounter.linePos(document.contents?.range?.[0] ?? 0);
      unreadable.push({ file, line: at.line, column: at.col, problem: `not valid YAML: ${(err as Error).message}` });
      continue;
    }
    if (value === null || value === undefined) continue;
    const found = collect(value, [], namespace, (o, items) => {
      objects.push(o);
      sources.push({ file, locate: (field) => locateIn(nodeAt(d, items), field, again!.lineCounter) });
    });
    if (!found) others.push(lineCounter.linePos(document.contents?.range?.[0] ?? 0));
  }
  if (objects.length === 0) return unreadable.length === 0 && others.length > 0 ? { objects, sources, unreadable, skipped: 'no Kubernetes objects' } : { objects, sources, unreadable };
  // Among Kubernetes objects, a document that is not one is a mistake (kubectl apply refuses the file), wherever it stands.
  for (const at of others) unreadable.push({ file, line: at.line, column: at.col, problem: 'not a Kubernetes object: no apiVersion, kind and metadata (kubectl apply refuses it)' });
  unreadable.sort((a, b) => a.line - b.line || a.column - b.column);
  return { objects, sources, unreadable };
}

/** The Kubernetes objects in one document's value (Lists unwrapped), each with where it is: its item indexes. */
function collect(value: unknown, items: readonly number[], namespace: string, found: (o: KubeObject, items: readonly number[]) => void): boolean {
  const o = value as KubeObject | null;
  if (!o || typeof o !== 'object' || Array.isArray(o)) return false;
  if (o.kind && /List$/.test(o.kind) && Array.isArray(o['items'])) {
    (o['items'] as unknown[]).forEach((item, i) => collect(item, [...items, i], namespace, found));
    return true;
  }
  if (typeof o.kind !== 'string' || !o.metadata || typeof o.metadata !== 'object') return false;
  found({ ...o, metadata: { ...o.metadata, namespace: o.metadata.namespace ?? namespace } }, items);
  return true;
}

export async function loadInputs(paths: readonly string[], fs: InputFs, namespace: string): Promise<Loaded> {
  const files = await expandInputs(paths, fs);
  const loaded: Loaded = { objects: [], sources: [], files, unreadable: [], skippedFiles: [] };
  for (const file of files) {
    let text: string;
    try {
      text = await fs.readFile(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      loaded.unreadable.push({ file, line: 1, column: 1, problem: code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message });
      continue;
    }
    const one = loadText(text, file, namespace);
    loaded.objects.push(...one.objects);
    loaded.sources.push(...one.sources);
    loaded.unreadable.push(...one.unreadable);
    if (one.skipped) loaded.skippedFiles.push({ file, reason: one.skipped });
  }
  return loaded;
}
