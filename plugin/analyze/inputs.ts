// What analyze reads: files, directories (recursive: *.yaml, *.yml, *.json), "-" for standard input; every
// document of a multi-document file, Lists unwrapped; each object keeps where it came from so findings can
// point at a line and column (the yaml package's LineCounter gives node positions, worked out only for a file
// with findings).
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { type Document, LineCounter, type Node, isMap, isPair, isScalar, isSeq, parseAllDocuments } from 'yaml';
import { IntentError } from '../../core/errors.js';
import type { KubeObject } from '../../core/model.js';

export interface Source {
  /** The path as given (or found under a directory), "-" for standard input. */
  file: string;
  /** Maps a finding's field ("spec.http[0].route[1].weight") to a 1-based line and column. */
  locate(field: string): { line: number; column: number };
}

export interface Loaded {
  objects: KubeObject[];
  sources: Source[];
  files: string[];
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

/** Anchors, aliases and tags (or what looks like them): left to the yaml package, which bounds alias expansion. */
const BEYOND_PLAIN_YAML = /(^|[\s[{,:?-])[&*!]|\b0b[01]/m;

/**
 * Parses one file's text into objects, with a default namespace filled in. Plain YAML (no anchors, aliases or
 * tags) is read by js-yaml with the core schema, several times faster than the yaml package; positions come from
 * the yaml package only when a finding asks for one. Anything js-yaml refuses is
 * parsed by the yaml package, whose messages say where the text is wrong.
 */
export function loadText(text: string, file: string, namespace: string): { objects: KubeObject[]; sources: Source[] } {
  if (!BEYOND_PLAIN_YAML.test(text)) {
    let docs: unknown[] | undefined;
    try {
      docs = loadAll(text, undefined, { schema: CORE_SCHEMA, json: true });
    } catch {
      docs = undefined;
    }
    if (docs) {
      const objects: KubeObject[] = [];
      const sources: Source[] = [];
      let withPositions: Source[] | undefined;
      const located = (i: number) => (withPositions ??= loadWithPositions(text, file, namespace).sources)[i];
      for (const doc of docs) {
        collect(doc, undefined, namespace, (o) => {
          const i = objects.push(o) - 1;
          sources.push({ file, locate: (field) => located(i)?.locate(field) ?? { line: 1, column: 1 } });
        });
      }
      return { objects, sources };
    }
  }
  return loadWithPositions(text, file, namespace);
}

/** The Kubernetes objects in one document's value (Lists unwrapped), each with its YAML node when known. */
function collect(value: unknown, node: Node | null | undefined, namespace: string, found: (o: KubeObject, node: Node | null | undefined) => void): void {
  const o = value as KubeObject | null;
  if (!o || typeof o !== 'object' || Array.isArray(o)) return;
  if (o.kind && /List$/.test(o.kind) && Array.isArray(o['items'])) {
    // Without a node (js-yaml read it), the yaml package is not asked.
    const itemsNode = node && isMap(node) ? node.get('items', true) as Node | undefined : undefined;
    (o['items'] as unknown[]).forEach((item, i) => collect(item, itemsNode && isSeq(itemsNode) ? itemsNode.items[i] as Node : undefined, namespace, found));
    return;
  }
  if (!o.metadata || typeof o.metadata !== 'object') return;
  found({ ...o, metadata: { ...o.metadata, namespace: o.metadata.namespace ?? namespace } }, node);
}

/** The yaml package's reading: every object with its node, so that findings point at a line and column. */
export function loadWithPositions(text: string, file: string, namespace: string): { objects: KubeObject[]; sources: Source[] } {
  const lc = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter: lc, uniqueKeys: false });
  const docs: Document[] = Array.isArray(parsed) ? parsed : [];
  const objects: KubeObject[] = [];
  const sources: Source[] = [];
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) {
      const at = err.linePos?.[0];
      throw new IntentError(`${file}${at ? `:${at.line}:${at.col}` : ''}: not valid YAML: ${err.message.split('\n')[0]}`);
    }
    collect(doc.toJS({ maxAliasCount: 1000 }), doc.contents, namespace, (o, node) => {
      objects.push(o);
      sources.push({ file, locate: (field) => locateIn(node, field, lc) });
    });
  }
  return { objects, sources };
}

export async function loadInputs(paths: readonly string[], fs: InputFs, namespace: string): Promise<Loaded> {
  const files = await expandInputs(paths, fs);
  const objects: KubeObject[] = [];
  const sources: Source[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await fs.readFile(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new IntentError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message}`);
    }
    const loaded = loadText(text, file, namespace);
    objects.push(...loaded.objects);
    sources.push(...loaded.sources);
  }
  return { objects, sources, files };
}
