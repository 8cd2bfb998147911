// A reader for the YAML that manifests are written in: block mappings and sequences, one-line flow
// collections, plain, quoted and block scalars, comments and document markers, with js-yaml's core schema
// (null, bool, int, float). It exists for analyze's start-up: js-yaml reads a character at a time through
// small functions, which costs ~3 ms for a 5 KB file when the code is cold, as it is in every short run; this
// works a line at a time with string methods, and allocates little (a run that stays in V8's first young
// generation needs no scavenge). It gives exactly what js-yaml's loadAll(text, { schema: CORE_SCHEMA, json: true })
// gives, or undefined for anything it does not read (multi-line plain or quoted scalars, anchors, tags, tabs,
// directives, odd indentation, errors): the caller then asks js-yaml, so an error is still reported by a full
// parser. test/unit/plain-yaml.test.ts compares the two. YAML's white space is the space character alone here
// (tabs are left to js-yaml); other Unicode spaces are content, as they are to js-yaml.

/** Thrown inside the reader when the text leaves the subset; loadPlainYaml turns it into undefined. */
const OUTSIDE = new Error('outside the plain YAML subset');

const MAX_DEPTH = 100;
const SPACE = 32;

// Regular expressions live here (a literal in a function body is a new object at every evaluation), and only
// for what is rare: a cold regular expression costs its compilation, then its compilation to machine code.
const MARKER = /^---( +(#.*)?)?$/;
const BLOCK_HEADER = /^([|>])([-+]?)( +#.*| *)$/;
const HEX = /^[0-9a-fA-F]+$/;
const FLOAT = /^(?:[-+]?[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9]+(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

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

/** Where a scalar or flow collection read from a line ends (one per line read: no result objects). */
const cursor = { at: 0 };

/** The documents in text, as js-yaml's loadAll with CORE_SCHEMA and json: true reads them; undefined when unsure. */
export function loadPlainYaml(text: string): unknown[] | undefined {
  // Tabs, carriage returns, a byte-order mark; directives and "..." (below): js-yaml's.
  if (text.includes('\t') || text.includes('\r') || text.includes('\uFEFF')) return undefined;
  const raw = text.split('\n');
  if (raw[raw.length - 1] === '') raw.pop();
  const col: number[] = [];
  const rest: string[] = [];
  // Documents: the lines between "---" markers. Content before the first marker that is only comments and
  // blank lines belongs to the first marked document.
  const starts: number[] = [];
  for (let j = 0; j < raw.length; j++) {
    const line = raw[j]!;
    const n = spaces(line, 0);
    col.push(n);
    rest.push(n === 0 ? line : line.slice(n));
    if (n === 0 && (line.charCodeAt(0) === 37 /* % */ || line.startsWith('...'))) return undefined;
    if (n === 0 && line.startsWith('---')) {
      if (!MARKER.test(line)) return undefined; // content on the marker line
      starts.push(j);
    }
  }
  const lines: Lines = { col, text: rest, raw, i: 0, end: 0 };
  const docs: unknown[] = [];
  try {
    for (let k = -1; k < starts.length; k++) {
      // k = -1: the lines before the first marker (all of them when there is none).
      const marked = k >= 0;
      lines.i = marked ? starts[k]! + 1 : 0;
      lines.end = k + 1 < starts.length ? starts[k + 1]! : raw.length;
      skipInsignificant(lines);
      if (lines.i >= lines.end) {
        // An empty document after a marker is null; before the first marker it is no document. An unmarked
        // text of comments alone: js-yaml's answer depends on its length; left to it.
        if (marked) docs.push(null);
        else if (starts.length === 0) throw OUTSIDE;
        continue;
      }
      docs.push(blockNode(lines, lines.col[lines.i]!, -1, 0));
      skipInsignificant(lines);
      if (lines.i < lines.end) throw OUTSIDE;
    }
  } catch (err) {
    if (err === OUTSIDE) return undefined;
    throw err;
  }
  return docs;
}

/** The index of the first character at or after i that is not a space. */
function spaces(t: string, i: number): number {
  while (t.charCodeAt(i) === SPACE) i++;
  return i;
}

/** t without its trailing spaces. */
function trimSpacesEnd(t: string): string {
  let end = t.length;
  while (end > 0 && t.charCodeAt(end - 1) === SPACE) end--;
  return end === t.length ? t : t.slice(0, end);
}

/** Whether t holds nothing from i on but spaces and, after at least one space, a comment. */
function nothingAfter(t: string, i: number): boolean {
  const j = spaces(t, i);
  return j === t.length || (j > i && t.charCodeAt(j) === 35 /* # */);
}

function skipInsignificant(l: Lines): void {
  while (l.i < l.end && (l.text[l.i] === '' || l.text[l.i]!.charCodeAt(0) === 35 /* # */)) l.i++;
}

function isEntry(t: string): boolean {
  return t === '-' || t.startsWith('- ');
}

/** The node whose first line is the current one, starting at column at; its parent's column is parent. */
function blockNode(l: Lines, at: number, parent: number, depth: number): unknown {
  if (depth > MAX_DEPTH) throw OUTSIDE;
  const t = l.text[l.i]!;
  if (isEntry(t)) return sequence(l, at, depth);
  if (keyEnd(t) >= 0) return mapping(l, at, depth);
  const value = inlineValue(l, t, 0, parent);
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
    if (nothingAfter(t, 1)) {
      l.i++;
      items.push(nested(l, at, false, depth));
      // js-yaml takes an entry indented less than an empty one into the same sequence: left to it.
      skipInsignificant(l);
      if (l.i < l.end && l.col[l.i]! < at && isEntry(l.text[l.i]!)) throw OUTSIDE;
    } else {
      // "- key: value": the entry's content is a node at its own column, as if the dash were a space.
      const start = spaces(t, 1);
      const c = at + start;
      l.col[l.i] = c;
      l.text[l.i] = t.slice(start);
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
    const end = keyEnd(t);
    if (end < 0) throw OUTSIDE;
    const name = keyName(t, end);
    if (name === '__proto__') throw OUTSIDE;
    if (nothingAfter(t, end + 1)) {
      l.i++;
      object[name] = nested(l, at, true, depth);
    } else {
      object[name] = inlineValue(l, t, spaces(t, end + 1), at);
      continuesNot(l, at);
    }
  }
  return object;
}

/**
 * Where the colon after a mapping key at the start of t is ("name:", "'quoted': ", ...), or -1 when t does not
 * start with a key this reader takes.
 */
function keyEnd(t: string): number {
  const q = t.charCodeAt(0);
  if (q === 34 /* " */ || q === 39 /* ' */) {
    if (quoted(t, 0) === undefined) return -1;
    const colon = cursor.at;
    return t.charCodeAt(colon) === 58 /* : */ && (colon + 1 === t.length || t.charCodeAt(colon + 1) === SPACE) ? colon : -1;
  }
  let colon = t.indexOf(': ');
  if (colon < 0 && t.endsWith(':')) colon = t.length - 1;
  if (colon <= 0) return -1;
  // A comment before the colon, a key that is not a plain scalar, or one with flow or quote characters: not read.
  if (t.charCodeAt(colon - 1) === SPACE || colon > 1024) return -1;
  if (!plainStart(t)) return -1;
  for (let i = 0; i < colon; i++) {
    switch (t.charCodeAt(i)) {
      case 91: case 93: case 123: case 125: case 44: case 34: case 39: return -1; // [ ] { } , " '
      case SPACE: if (t.charCodeAt(i + 1) === 35 /* # */) return -1;
    }
  }
  // "-", "?" or ":" alone before the colon is an indicator, not a key.
  return colon === 1 && !plainStart(t.slice(0, 1)) ? -1 : colon;
}

/** The name of the key keyEnd found: a quoted key's value, or a plain one resolved and made a string, as js-yaml does. */
function keyName(t: string, end: number): string {
  const q = t.charCodeAt(0);
  if (q === 34 /* " */ || q === 39 /* ' */) return quoted(t, 0)!;
  return String(resolvePlain(t.slice(0, end)));
}

/** Whether a plain scalar may start as s does: no indicator first ("-", "?" and ":" only before a non-space). */
function plainStart(s: string): boolean {
  switch (s.charCodeAt(0)) {
    case 45: case 63: case 58: // - ? :
      return s.length > 1 && s.charCodeAt(1) !== SPACE;
    case 44: case 91: case 93: case 123: case 125: case 35: case 38: case 42: case 33: case 124: case 62:
    case 39: case 34: case 37: case 64: case 96: // , [ ] { } # & * ! | > ' " % @ `
      return false;
    default:
      return true;
  }
}

/** The value written from t[from] on, after "key: " or "- " (a block scalar reads the lines below too). */
function inlineValue(l: Lines, t: string, from: number, parent: number): unknown {
  const c = t.charCodeAt(from);
  if (c === 124 /* | */ || c === 62 /* > */) return blockScalar(l, from === 0 ? t : t.slice(from), parent);
  let value: unknown;
  if (c === 34 /* " */ || c === 39 /* ' */) {
    value = quoted(t, from);
    if (value === undefined) throw OUTSIDE;
  } else if (c === 91 /* [ */ || c === 123 /* { */) {
    value = flow(t, from, 0);
  } else {
    const s = from === 0 ? t : t.slice(from);
    if (!plainStart(s)) throw OUTSIDE;
    const hash = s.indexOf(' #');
    const plain = trimSpacesEnd(hash < 0 ? s : s.slice(0, hash));
    // "a: b: c" and a trailing colon are errors in YAML: js-yaml reports them.
    if (plain.includes(': ') || plain.endsWith(':')) throw OUTSIDE;
    l.i++;
    return resolvePlain(plain);
  }
  if (!nothingAfter(t, cursor.at)) throw OUTSIDE;
  l.i++;
  return value;
}

/** "|", "|-", "|+", ">", ">-", ">+" and the lines indented past the parent's column. */
function blockScalar(l: Lines, header: string, parent: number): string {
  const h = BLOCK_HEADER.exec(header);
  // An indentation indicator, text after the header, a document that is a block scalar: js-yaml's.
  if (!h || parent < 0) throw OUTSIDE;
  l.i++;
  const first = l.i;
  let indent = -1;
  for (; l.i < l.end; l.i++) {
    const n = l.col[l.i]!;
    if (n === l.raw[l.i]!.length) continue; // blank
    if (indent < 0) {
      if (n <= parent) break;
      indent = n;
    } else if (n < indent) break;
  }
  if (indent < 0) throw OUTSIDE; // no content: js-yaml's
  const lines: string[] = [];
  for (let j = first; j < l.i; j++) {
    const line = l.raw[j]!;
    // A blank line with more spaces than the content's indentation: what it holds depends on where it is.
    if (l.col[j] === line.length && line.length > indent) throw OUTSIDE;
    lines.push(line.length <= indent ? '' : line.slice(indent));
  }
  let trailing = 0;
  while (trailing < lines.length && lines[lines.length - 1 - trailing] === '') trailing++;
  lines.length -= trailing;
  let text: string;
  if (h[1] === '|') text = lines.join('\n');
  else {
    // Folded: a line break between two lines becomes a space; blank lines stay line breaks. More-indented
    // lines keep their breaks, a rule left to js-yaml.
    text = '';
    let blanks = 0;
    let started = false;
    for (const line of lines) {
      if (line === '') {
        blanks++;
        continue;
      }
      if (line.charCodeAt(0) === SPACE) throw OUTSIDE;
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

/** A quoted scalar starting at t[from], closed on the same line: its value (cursor.at: the index after it). */
function quoted(t: string, from: number): string | undefined {
  if (t.charCodeAt(from) === 39 /* ' */) {
    let value = '';
    let i = from + 1;
    for (;;) {
      const close = t.indexOf("'", i);
      if (close < 0) return undefined;
      value += t.slice(i, close);
      if (t.charCodeAt(close + 1) !== 39) {
        cursor.at = close + 1;
        return value;
      }
      value += "'";
      i = close + 2;
    }
  }
  let value = '';
  let i = from + 1;
  for (let j = i; j < t.length; j++) {
    const c = t.charCodeAt(j);
    if (c === 34 /* " */) {
      cursor.at = j + 1;
      return value + t.slice(i, j);
    }
    if (c !== 92 /* \ */) continue;
    value += t.slice(i, j);
    const e = t[j + 1];
    if (e === undefined) return undefined; // a line continuation
    const digits = HEX_DIGITS[e];
    if (digits) {
      const hex = t.slice(j + 2, j + 2 + digits);
      const code = parseInt(hex, 16);
      if (hex.length !== digits || !HEX.test(hex) || code > 0x10ffff) return undefined;
      value += String.fromCodePoint(code);
      j += 1 + digits;
    } else {
      const char = ESCAPES[e];
      if (char === undefined) return undefined;
      value += char;
      j += 1;
    }
    i = j + 1;
  }
  return undefined;
}

/** A flow collection ("[a, b]", "{k: v}") on one line from t[from]: its value (cursor.at: the index after it). */
function flow(t: string, from: number, depth: number): unknown {
  if (depth > MAX_DEPTH) throw OUTSIDE;
  const isList = t.charCodeAt(from) === 91 /* [ */;
  const close = isList ? 93 /* ] */ : 125 /* } */;
  const items: unknown[] | undefined = isList ? [] : undefined;
  const object: Record<string, unknown> | undefined = isList ? undefined : {};
  let i = from + 1;
  for (;;) {
    i = spaces(t, i);
    if (t.charCodeAt(i) === close) {
      cursor.at = i + 1;
      return isList ? items : object;
    }
    let key: string | undefined;
    if (!isList) {
      key = String(flowScalar(t, i, true));
      i = spaces(t, cursor.at);
      if (t.charCodeAt(i) !== 58 /* : */ || t.charCodeAt(i + 1) !== SPACE) throw OUTSIDE; // "{a}", "{a:b}": js-yaml's
      if (key === '__proto__') throw OUTSIDE;
      i = spaces(t, i + 1);
    }
    const c = t.charCodeAt(i);
    const value = c === 91 /* [ */ || c === 123 /* { */ ? flow(t, i, depth + 1) : flowScalar(t, i, false);
    if (items) items.push(value);
    else object![key!] = value;
    i = spaces(t, cursor.at);
    const next = t.charCodeAt(i);
    if (next === 44 /* , */) i++;
    else if (next !== close) throw OUTSIDE;
  }
}

/** A quoted or plain scalar inside a flow collection; a plain one ends at , [ ] { } or a comment. */
function flowScalar(t: string, i: number, isKey: boolean): unknown {
  const q = t.charCodeAt(i);
  if (q === 34 /* " */ || q === 39 /* ' */) {
    const value = quoted(t, i);
    if (value === undefined) throw OUTSIDE;
    return value;
  }
  let end = i;
  for (; end < t.length; end++) {
    const c = t.charCodeAt(end);
    // , [ ] { }, a comment, or a key's ": " (a colon elsewhere is left to js-yaml below)
    if (c === 44 || c === 91 || c === 93 || c === 123 || c === 125) break;
    if (c === SPACE && t.charCodeAt(end + 1) === 35 /* # */) throw OUTSIDE;
    if (isKey && c === 58 /* : */ && (t.charCodeAt(end + 1) === SPACE || end + 1 === t.length)) break;
  }
  const s = t.slice(i, end);
  const plain = trimSpacesEnd(s);
  // Empty entries, indicators, other colons (URLs and single pairs read differently in flow), a space before a
  // key's colon: js-yaml's.
  if (plain === '' || !plainStart(plain) || plain.includes(':') || (isKey && plain !== s)) throw OUTSIDE;
  cursor.at = i + plain.length;
  return resolvePlain(plain);
}

/** A plain scalar's value in the core schema, with js-yaml's rules (null, bool, int, float, else a string). */
function resolvePlain(s: string): unknown {
  switch (s) {
    case '~': case 'null': case 'Null': case 'NULL': return null;
    case 'true': case 'True': case 'TRUE': return true;
    case 'false': case 'False': case 'FALSE': return false;
  }
  const c = s.charCodeAt(0);
  // Everything numeric starts with a digit, a sign or a dot.
  if (!(c >= 48 && c <= 57) && c !== 45 && c !== 43 && c !== 46) return s;
  const signed = c === 45 || c === 43;
  const first = signed ? 1 : 0;
  const base = s.charCodeAt(first + 1);
  // binary, octal, hexadecimal: js-yaml's
  if (s.charCodeAt(first) === 48 /* 0 */ && (base === 98 || base === 111 || base === 120)) throw OUTSIDE;
  let decimal = s.length > first;
  for (let i = first; i < s.length && decimal; i++) decimal = s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57;
  if (decimal) {
    const digits = signed ? s.slice(1) : s;
    if (digits.length > 15) throw OUTSIDE;
    return digits === '0' ? 0 : (c === 45 ? -1 : 1) * parseInt(digits, 10);
  }
  if (!FLOAT.test(s)) return s;
  const unsigned = (signed ? s.slice(1) : s).toLowerCase();
  const sign = c === 45 ? -1 : 1;
  if (unsigned === '.inf') return sign * Infinity;
  if (unsigned === '.nan') return NaN;
  const n = parseFloat(unsigned);
  return Number.isFinite(n) ? sign * n : s;
}
