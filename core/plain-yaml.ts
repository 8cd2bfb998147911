// A reader for the YAML that manifests are written in: block mappings and sequences, one-line flow
// collections, plain, quoted and block scalars, comments and document markers, with js-yaml's core schema
// (null, bool, int, float). It exists for analyze's start-up: js-yaml reads a character at a time through
// small functions, which costs ~3 ms for a 5 KB file when the code is cold, as it is in every short run; this
// works a line at a time with string methods. It gives exactly what js-yaml's
// loadAll(text, { schema: CORE_SCHEMA, json: true }) gives, or undefined for anything it does not read
// (multi-line plain or quoted scalars, anchors, tags, tabs, directives, odd indentation, errors): the caller
// then asks js-yaml, so an error is still reported by a full parser. test/unit/plain-yaml.test.ts compares the two.

/** Thrown inside the reader when the text leaves the subset; loadPlainYaml turns it into undefined. */
const OUTSIDE = new Error('outside the plain YAML subset');

const MAX_DEPTH = 100;

interface Lines {
  /** Where each line's content starts (a sequence entry's content once its "- " is read). */
  col: number[];
  /** Each line from col on. */
  text: string[];
  /** The lines as written (block scalars read these). */
  raw: string[];
  i: number;
  end: number;
}

/** The documents in text, as js-yaml's loadAll with CORE_SCHEMA and json: true reads them; undefined when unsure. */
export function loadPlainYaml(text: string): unknown[] | undefined {
  // Tabs, carriage returns, a byte-order mark, directives, document end markers: js-yaml's.
  if (/[\t\r\uFEFF]|^(%|\.\.\.)/m.test(text)) return undefined;
  const raw = text.split('\n');
  if (raw[raw.length - 1] === '') raw.pop();
  const col: number[] = [];
  const rest: string[] = [];
  for (const line of raw) {
    const n = line.length - line.trimStart().length;
    col.push(n);
    rest.push(line.slice(n));
  }
  // Documents: the lines between "---" markers. Content before the first marker that is only comments and
  // blank lines belongs to the first marked document.
  const starts: number[] = [];
  for (let j = 0; j < raw.length; j++) {
    if (!raw[j]!.startsWith('---')) continue;
    if (!/^---( +(#.*)?)?$/.test(raw[j]!)) return undefined; // content on the marker line
    starts.push(j);
  }
  const lines: Lines = { col, text: rest, raw, i: 0, end: 0 };
  const docs: unknown[] = [];
  try {
    const chunks: Array<[number, number, boolean]> = [];
    if (starts.length === 0) chunks.push([0, raw.length, false]);
    else {
      chunks.push([0, starts[0]!, false]);
      starts.forEach((s, k) => chunks.push([s + 1, starts[k + 1] ?? raw.length, true]));
    }
    for (const [from, to, marked] of chunks) {
      lines.i = from;
      lines.end = to;
      skipInsignificant(lines);
      if (lines.i >= to) {
        // An empty document after a marker is null; before the first marker it is no document. An unmarked
        // text of comments alone: js-yaml's answer depends on its length; left to it.
        if (marked) docs.push(null);
        else if (starts.length === 0) throw OUTSIDE;
        continue;
      }
      docs.push(blockNode(lines, lines.col[lines.i]!, -1, 0));
      skipInsignificant(lines);
      if (lines.i < to) throw OUTSIDE;
    }
  } catch (err) {
    if (err === OUTSIDE) return undefined;
    throw err;
  }
  return docs;
}

function skipInsignificant(l: Lines): void {
  while (l.i < l.end && (l.text[l.i] === '' || l.text[l.i]!.startsWith('#'))) l.i++;
}

function isEntry(t: string): boolean {
  return t === '-' || t.startsWith('- ');
}

/** The node whose first line is the current one, starting at column at; its parent's column is parent. */
function blockNode(l: Lines, at: number, parent: number, depth: number): unknown {
  if (depth > MAX_DEPTH) throw OUTSIDE;
  const t = l.text[l.i]!;
  if (isEntry(t)) return sequence(l, at, depth);
  if (keyOf(t)) return mapping(l, at, depth);
  const value = inlineValue(l, t, parent);
  continuesNot(l, parent);
  return value;
}

/** After a value on one line, a line indented past the parent's column would continue it: not read here. */
function continuesNot(l: Lines, parent: number): void {
  skipInsignificant(l);
  if (l.i < l.end && l.col[l.i]! > parent) throw OUTSIDE;
}

function sequence(l: Lines, at: number, depth: number): unknown[] {
  const items: unknown[] = [];
  for (;;) {
    skipInsignificant(l);
    if (l.i >= l.end || l.col[l.i]! < at) break;
    if (l.col[l.i]! > at) throw OUTSIDE;
    const t = l.text[l.i]!;
    if (!isEntry(t)) break; // a key of the mapping this sequence is the value of (both at one column)
    const after = t.slice(1);
    const content = after.trimStart();
    if (content === '' || content.startsWith('#')) {
      l.i++;
      items.push(nested(l, at, false, depth));
      // js-yaml takes an entry indented less than an empty one into the same sequence: left to it.
      skipInsignificant(l);
      if (l.i < l.end && l.col[l.i]! < at && isEntry(l.text[l.i]!)) throw OUTSIDE;
    } else {
      // "- key: value": the entry's content is a node at its own column, as if the dash were a space.
      const c = at + 1 + after.length - content.length;
      l.col[l.i] = c;
      l.text[l.i] = content;
      items.push(blockNode(l, c, at, depth + 1));
    }
  }
  return items;
}

/** The value of "key:" or "-" with nothing after it: the more indented node below, else null. */
function nested(l: Lines, parent: number, sequenceAtParent: boolean, depth: number): unknown {
  skipInsignificant(l);
  if (l.i >= l.end) return null;
  const c = l.col[l.i]!;
  if (c > parent) return blockNode(l, c, parent, depth + 1);
  // "key:" followed by "- item" at the key's own column: the sequence is the key's value.
  if (sequenceAtParent && c === parent && isEntry(l.text[l.i]!)) return sequence(l, c, depth + 1);
  return null;
}

function mapping(l: Lines, at: number, depth: number): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (;;) {
    skipInsignificant(l);
    if (l.i >= l.end || l.col[l.i]! < at) break;
    if (l.col[l.i]! > at) throw OUTSIDE;
    const t = l.text[l.i]!;
    const key = keyOf(t);
    if (!key) throw OUTSIDE;
    const rest = t.slice(key.end).trimStart();
    let value: unknown;
    if (rest === '' || rest.startsWith('#')) {
      l.i++;
      value = nested(l, at, true, depth);
    } else {
      value = inlineValue(l, rest, at);
      continuesNot(l, at);
    }
    if (key.name === '__proto__') throw OUTSIDE;
    object[key.name] = value;
  }
  return object;
}

/** A mapping key at the start of t ("name:", "'quoted': ", ...): its name and where its value starts. */
function keyOf(t: string): { name: string; end: number } | undefined {
  const q = t[0];
  if (q === '"' || q === "'") {
    const s = quoted(t, 0);
    if (!s || t[s.end] !== ':' || !(s.end + 1 === t.length || t[s.end + 1] === ' ')) return undefined;
    return { name: s.value, end: s.end + 1 };
  }
  let colon = t.indexOf(': ');
  if (colon < 0 && t.endsWith(':')) colon = t.length - 1;
  if (colon <= 0) return undefined;
  const name = t.slice(0, colon);
  // A comment before the colon, a key that is not a plain scalar, or one with flow or quote characters: not read.
  if (name.includes(' #') || name.endsWith(' ') || !plainStart(name) || /[[\]{},"']/.test(name) || name.length > 1024) return undefined;
  return { name: String(resolvePlain(name)), end: colon + 1 };
}

/** Whether a plain scalar may start as s does: no indicator first ("-", "?" and ":" only before a non-space). */
function plainStart(s: string): boolean {
  const c = s[0]!;
  if ('-?:'.includes(c)) return s.length > 1 && s[1] !== ' ';
  return !',[]{}#&*!|>\'"%@`'.includes(c);
}

/** The value written after "key: " or "- " on the current line (a block scalar reads the lines below too). */
function inlineValue(l: Lines, t: string, parent: number): unknown {
  const c = t[0]!;
  if (c === '|' || c === '>') return blockScalar(l, t, parent);
  let value: unknown;
  let end: number;
  if (c === '"' || c === "'") {
    const s = quoted(t, 0);
    if (!s) throw OUTSIDE;
    value = s.value;
    end = s.end;
  } else if (c === '[' || c === '{') {
    [value, end] = flow(t, 0, 0);
  } else {
    if (!plainStart(t)) throw OUTSIDE;
    const hash = t.indexOf(' #');
    const s = (hash < 0 ? t : t.slice(0, hash)).trimEnd();
    // "a: b: c" and a trailing colon are errors in YAML: js-yaml reports them.
    if (s.includes(': ') || s.endsWith(':')) throw OUTSIDE;
    l.i++;
    return resolvePlain(s);
  }
  const after = t.slice(end);
  if (after.trim() !== '' && !/^ +#/.test(after)) throw OUTSIDE;
  l.i++;
  return value;
}

/** "|", "|-", "|+", ">", ">-", ">+" and the lines indented past the parent's column. */
function blockScalar(l: Lines, header: string, parent: number): string {
  const h = /^([|>])([-+]?)( +#.*| *)$/.exec(header);
  // An indentation indicator, text after the header, a document that is a block scalar: js-yaml's.
  if (!h || parent < 0) throw OUTSIDE;
  l.i++;
  const body: string[] = [];
  let indent = -1;
  while (l.i < l.end) {
    const line = l.raw[l.i]!;
    const blank = line.trim() === '';
    if (!blank) {
      const n = l.col[l.i]!;
      if (indent < 0) {
        if (n <= parent) break;
        indent = n;
      } else if (n < indent) break;
    }
    body.push(line);
    l.i++;
  }
  if (indent < 0) throw OUTSIDE; // no content: js-yaml's
  // A blank line with more spaces than the content's indentation: what it holds depends on where it is.
  if (body.some((line) => line.trim() === '' && line.length > indent)) throw OUTSIDE;
  const lines = body.map((line) => line.slice(indent));
  let trailing = 0;
  while (trailing < lines.length && lines[lines.length - 1 - trailing] === '') trailing++;
  const core = lines.slice(0, lines.length - trailing);
  let text: string;
  if (h[1] === '|') text = core.join('\n');
  else {
    // Folded: a line break between two lines becomes a space; blank lines stay line breaks. More-indented
    // lines keep their breaks, a rule left to js-yaml.
    if (core.some((line) => line.startsWith(' '))) throw OUTSIDE;
    text = '';
    let blanks = 0;
    let started = false;
    for (const line of core) {
      if (line === '') {
        blanks++;
        continue;
      }
      text += started ? (blanks > 0 ? '\n'.repeat(blanks) : ' ') : '\n'.repeat(blanks);
      text += line;
      blanks = 0;
      started = true;
    }
  }
  if (h[2] === '-') return text;
  if (h[2] === '+') return `${text}\n${'\n'.repeat(trailing)}`;
  return `${text}\n`;
}

const ESCAPES: Record<string, string> = {
  '0': '\0', a: '\x07', b: '\b', t: '\t', '\t': '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b', ' ': ' ',
  '"': '"', '/': '/', '\\': '\\', N: '\x85', _: '\xa0', L: '\u2028', P: '\u2029',
};
const HEX_DIGITS: Record<string, number> = { x: 2, u: 4, U: 8 };

/** A quoted scalar starting at t[from], closed on the same line: its value and the index after it. */
function quoted(t: string, from: number): { value: string; end: number } | undefined {
  const q = t[from];
  let value = '';
  let i = from + 1;
  if (q === "'") {
    for (;;) {
      const close = t.indexOf("'", i);
      if (close < 0) return undefined;
      value += t.slice(i, close);
      if (t[close + 1] !== "'") return { value, end: close + 1 };
      value += "'";
      i = close + 2;
    }
  }
  for (;;) {
    const m = /["\\]/g;
    m.lastIndex = i;
    const hit = m.exec(t);
    if (!hit) return undefined;
    value += t.slice(i, hit.index);
    if (hit[0] === '"') return { value, end: hit.index + 1 };
    const e = t[hit.index + 1];
    if (e === undefined) return undefined; // a line continuation
    const digits = HEX_DIGITS[e];
    if (digits) {
      const hex = t.slice(hit.index + 2, hit.index + 2 + digits);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== digits) return undefined;
      value += String.fromCodePoint(parseInt(hex, 16));
      i = hit.index + 2 + digits;
    } else {
      const char = ESCAPES[e];
      if (char === undefined) return undefined;
      value += char;
      i = hit.index + 2;
    }
  }
}

/** A flow collection ("[a, b]", "{k: v}") on one line from t[from]: its value and the index after it. */
function flow(t: string, from: number, depth: number): [unknown, number] {
  if (depth > MAX_DEPTH) throw OUTSIDE;
  const close = t[from] === '[' ? ']' : '}';
  const items: unknown[] = [];
  const object: Record<string, unknown> = {};
  let i = from + 1;
  for (;;) {
    i = spaces(t, i);
    if (t[i] === close) return [close === ']' ? items : object, i + 1];
    let key: string | undefined;
    if (close === '}') {
      const [k, after] = flowScalar(t, i, true);
      i = spaces(t, after);
      if (t[i] !== ':' || t[i + 1] !== ' ') throw OUTSIDE; // "{a}", "{a:b}": js-yaml's
      key = String(k);
      i = spaces(t, i + 1);
    }
    let value: unknown;
    if (t[i] === '[' || t[i] === '{') [value, i] = flow(t, i, depth + 1);
    else [value, i] = flowScalar(t, i, false);
    if (key === undefined) items.push(value);
    else {
      if (key === '__proto__') throw OUTSIDE;
      object[key] = value;
    }
    i = spaces(t, i);
    if (t[i] === ',') i++;
    else if (t[i] !== close) throw OUTSIDE;
  }
}

function spaces(t: string, i: number): number {
  while (t[i] === ' ') i++;
  return i;
}

/** A quoted or plain scalar inside a flow collection; a plain one ends at , [ ] { } or a comment. */
function flowScalar(t: string, i: number, isKey: boolean): [unknown, number] {
  if (t[i] === '"' || t[i] === "'") {
    const s = quoted(t, i);
    if (!s) throw OUTSIDE;
    return [s.value, s.end];
  }
  const m = /[,[\]{}]| #/g;
  m.lastIndex = i;
  const hit = m.exec(t);
  const end = hit ? hit.index : t.length;
  let s = t.slice(i, end).trimEnd();
  if (isKey) {
    const colon = s.indexOf(': ');
    if (colon > 0) s = s.slice(0, colon); // "{key: value}": the key ends at its colon
    else if (s.endsWith(':')) s = s.slice(0, -1);
  }
  // Empty entries, indicators, colons (URLs and single pairs read differently in flow): js-yaml's.
  if (s === '' || s.endsWith(' ') || !plainStart(s) || s.includes(':') || (hit && hit[0] === ' #')) throw OUTSIDE;
  return [resolvePlain(s), i + s.length];
}

const FLOAT = /^(?:[-+]?[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9]+(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

/** A plain scalar's value in the core schema, with js-yaml's rules (null, bool, int, float, else a string). */
export function resolvePlain(s: string): unknown {
  switch (s) {
    case '~': case 'null': case 'Null': case 'NULL': return null;
    case 'true': case 'True': case 'TRUE': return true;
    case 'false': case 'False': case 'FALSE': return false;
  }
  const c = s.charCodeAt(0);
  // Everything numeric starts with a digit, a sign or a dot.
  if (!(c >= 48 && c <= 57) && c !== 45 && c !== 43 && c !== 46) return s;
  if (/^[-+]?0[box]/.test(s)) throw OUTSIDE; // binary, octal, hexadecimal: js-yaml's
  if (/^[-+]?[0-9]+$/.test(s)) {
    const sign = s[0] === '-' ? -1 : 1;
    const digits = /^[-+]/.test(s) ? s.slice(1) : s;
    if (digits.length > 15) throw OUTSIDE;
    return digits === '0' ? 0 : sign * parseInt(digits, 10);
  }
  if (!FLOAT.test(s)) return s;
  const lower = s.toLowerCase();
  const sign = lower[0] === '-' ? -1 : 1;
  const unsigned = /^[-+]/.test(lower) ? lower.slice(1) : lower;
  if (unsigned === '.inf') return sign * Infinity;
  if (unsigned === '.nan') return NaN;
  const n = parseFloat(unsigned);
  return Number.isFinite(n) ? sign * n : s;
}
