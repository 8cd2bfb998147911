// YAML as kubectl reads it. kubectl turns a manifest into JSON with sigs.k8s.io/yaml, which reads YAML 1.1:
// `yes`/`no`/`on`/`off` are booleans, `0644` is octal, `<<: *base` merges, `1_000` is a number. The yaml package
// reads the same with its YAML 1.1 schema, less what sigs.k8s.io/yaml leaves as strings: timestamps and
// base-60 numbers (`12:30:00`). Every YAML text the plugin and the webhook read goes through here.
// What still differs from kubectl is listed in README (and found by test/unit/yaml.test.ts against the real one).
import { type Document, LineCounter, type Tags, parseAllDocuments, stringify } from 'yaml';

/** YAML 1.1 types sigs.k8s.io/yaml does not resolve (timestamps, base 60): it keeps such scalars as strings. */
const leftAsString = (t: Tags[number]) =>
  typeof t === 'object' && (t.tag === 'tag:yaml.org,2002:timestamp' || ('format' in t && t.format === 'TIME'));

/** Integers Go's strconv reads (sigs.k8s.io/yaml hands it every plain scalar) and YAML 1.1 does not: 0o17, 0X1F. */
const goPrefixedInt = {
  tag: 'tag:yaml.org,2002:int',
  format: 'GO',
  default: true,
  test: /^[-+]?0(?:[oO][0-7_]+|X[0-9a-fA-F_]+)$/,
  resolve: (text: string) => {
    const digits = Number(text.replace(/^[-+]/, '').replace(/_/g, '').toLowerCase());
    return text.startsWith('-') ? -digits : digits;
  },
};

/**
 * YAML 1.1's plain float, less "." alone (and "-.", "+."), which the yaml package reads as NaN and Go as the string
 * ".": `exportTo: [.]` is everyday Istio.
 */
const FLOAT = 'tag:yaml.org,2002:float';
const isLooseFloat = (t: Tags[number]) => typeof t === 'object' && t.tag === FLOAT && !('format' in t && t.format) && t.test?.test('.') === true;
const plainFloat = {
  tag: FLOAT,
  default: true,
  test: /^[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)$/,
  resolve: (text: string) => Number.parseFloat(text.replace(/_/g, '')),
};

export const KUBECTL_YAML = {
  version: '1.1',
  merge: true,
  // What the reader would only warn about (a map used as a key) is not printed on a command's stderr.
  logLevel: 'error',
  // Later keys win, as when kubectl decodes a map with a repeated key (the API server's strict field
  // validation then warns); analyze reports it with its own rule.
  uniqueKeys: false,
  customTags: (tags: Tags) => [...tags.filter((t) => !leftAsString(t) && !isLooseFloat(t)), plainFloat, goPrefixedInt],
} as const;

/** Anchors may be used, but not to build a "billion laughs": as many alias expansions as a real manifest needs. */
const MAX_ALIAS_COUNT = 1000;

export interface YamlDocuments {
  documents: Document[];
  lineCounter: LineCounter;
}

/** Every document of a text, with node positions; the caller checks each document's errors. */
export function parseYaml(text: string): YamlDocuments {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { ...KUBECTL_YAML, lineCounter });
  return { documents: Array.isArray(parsed) ? parsed : [], lineCounter };
}

/** A document's value as kubectl would send it; .inf and .nan throw, as kubectl cannot put them in JSON. */
export function documentValue(document: Document): unknown {
  const value: unknown = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  const finite = (v: unknown): void => {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`${v} (.inf or .nan) is not a number JSON can hold; quote it if it is text`);
    if (v && typeof v === 'object') for (const item of Object.values(v)) finite(item);
  };
  finite(value);
  return value;
}

export class YamlError extends Error {
  constructor(readonly line: number, readonly column: number, readonly problem: string) {
    super(`line ${line}, column ${column}: ${problem}`);
  }
}

/** The first syntax error of a document, with its position; undefined when it reads. */
export function yamlError(document: Document, lineCounter: LineCounter): YamlError | undefined {
  const err = document.errors[0];
  if (!err) return undefined;
  const at = err.linePos?.[0] ?? lineCounter.linePos(err.pos[0]);
  // The message ends with the position (" at line 2, column 1:") and a code frame; the caller says where.
  return new YamlError(at.line, at.col, err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''));
}

/** Every document's value; a syntax error throws a YamlError naming where. Empty documents are left out. */
export function readYaml(text: string): unknown[] {
  const { documents, lineCounter } = parseYaml(text);
  const values: unknown[] = [];
  for (const document of documents) {
    const err = yamlError(document, lineCounter);
    if (err) throw err;
    const value = documentValue(document);
    if (value !== null && value !== undefined) values.push(value);
  }
  return values;
}

/**
 * YAML that kubectl reads back as the same value: a string kubectl would read as something else (`"yes"`, `"0644"`,
 * `"0o17"`) is quoted. Block style, no line folding, no anchors for repeated values.
 */
export function toYaml(value: unknown): string {
  return stringify(value, { ...KUBECTL_YAML, aliasDuplicateObjects: false, lineWidth: 0 });
}
