// core/plain-yaml.ts against js-yaml (what analyze used alone before): for every text, the reader gives
// exactly js-yaml's documents or gives up; it never reads a text js-yaml refuses. Texts: the repository's
// manifests and chart files, hand-written edge cases, the analyze corpus written out in many styles by js-yaml
// and by the yaml package, and seeded random edits of all of those.
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_SCHEMA, dump, loadAll } from 'js-yaml';
import { stringify } from 'yaml';
import { loadPlainYaml } from '../../core/plain-yaml.js';
import { buildCorpus } from '../support/corpus.js';
import { ROOT } from '../support/fixtures.js';

type Read = { ok: true; docs: unknown[] } | { ok: false; error: string };

function jsYaml(text: string): Read {
  try {
    return { ok: true, docs: loadAll(text, undefined, { schema: CORE_SCHEMA, json: true }) };
  } catch (err) {
    return { ok: false, error: (err as Error).message.split('\n')[0]! };
  }
}

/** Asserts the property; returns whether the reader read the text. */
function agrees(text: string, label: string): boolean {
  const plain = loadPlainYaml(text);
  if (plain === undefined) return false;
  const js = jsYaml(text);
  expect(js.ok, `${label}: the reader read a text js-yaml refuses (${js.ok ? '' : js.error}):\n${text}`).to.equal(true);
  expect(plain, `${label}:\n${text}`).to.deep.equal((js as { docs: unknown[] }).docs);
  return true;
}

function filesUnder(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) filesUnder(path, out);
    else if (/\.(ya?ml|json)$/.test(name)) out.push(path);
  }
  return out;
}

// mulberry32: a seeded PRNG, so a failure names a text that can be made again.
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EDGE_CASES = [
  '', '\n', '\n\n', ' \n', '# c\n', '---\n', '---', '---\n---\n', 'a: 1\n---', 'a: 1\n---\n# c', '\n\n---\na: 1', '# c\n---\na: 1',
  'a: 1\n--- \nb: 1', 'a: 1\n---   # c\nb: 1', '--- a: 1', '---a: 1', 'a: ---', '- ---', '---\n- a', 'a: 1\n...\n', '%YAML 1.2\n---\na: 1',
  'a: 1\n  b: 2', 'a:\n    b: 1\n  c: 2', 'a: b: c', 'a: x\n y', 'a: b:', 'k: 1.0\n1.0: a\ntrue: b\n~: c\nnull: d\n.inf: e\n-.inf: f\n.nan: g',
  'a: 007\nb: 08\nc: -0\nd: +5\ne: 1e3\nf: .5\ng: 5.\nh: .inf\ni: 0x1F\nj: 1_000\nk: -.INF\nl: .NaN\nm: 1e999\nn: 12345678901234567890\no: +.5e-3\np: 1.20.1\nq: 0o17\nr: 0b101',
  'a: True\nb: FALSE\nc: yes\nd: no\ne: on\nf: Null\ng: NULL\nh: ~\ni: nul',
  'a: |\n  x\n\n  y\n\n\nb: 1', 'a: >\n  x\n  y\n\n  z\n', 'a: >-\n  x\n   y\n  z\n', 'a: |+\n  x\n\n', 'a: |\n\n  x\n', 'a: |-\n    x\n   y\n',
  'a: |\n  x', 'a: >\n\n  x\n\n\n  y\n  z\n\n', 'a: >\n  x\n\n   y\n  z', 'a: |\n  x\n # c\n  y', 'a: |\n  x\n# c\nb: 1', 'a: |\n  # not a comment\n  run\n',
  'a: |2\n   x\n', 'a: |\nb: 1', 'a: |\n    x\n  \n    y\n', 'a: |+\n  x\n\n---\nb: 1', 'a: >+\n  x\n\n\n', 'a: |  # c\n  x\n', 'a: | x\n', 'a: >-\n\n\n',
  '- |\n  text\n- x', '- name: a\n  script: |\n    run\n  other: b', 'a:\n  - b\n  -  c\n  - d: 1\n    e: 2', '- a\n-\n- - b\n  - c\n', 'a:\n- 1\n- 2\nb: 3',
  '- a:\n  - 1\n  b: 2', '- a\nb: 1', 'a:\n  b\n  c', '- a\n  b', '-\n  a: 1\n-\n  - x', '- \n- x', '-   name: a\n    value: b', '  a: 1\n  b: 2', '- - - x',
  'a: [1, b, {c: d}, ]', 'a: {}', 'a: [ ]', 'a: [,]', 'a: [a, , b]', 'a: {b}', 'a: {b: }', 'a: {b:c}', 'a: [a: b]', 'a: [http://x]', 'a: {"k": "v", \'q\': [1, [2, {}]]}',
  'a: [1, 2] # c', 'a: [1, 2] x', 'a: [1, # c\n  2]', 'a: [\n  1, 2]', 'a: {b: [x, y], c: {d: e}}', 'a: [-1, +2, .5, -x, "-"]', 'a: [true, null, ~, 1.0, "1.0"]',
  'a: "x\\ty\\u00e9"', "a: 'it''s'", 'a: "\\x41\\N\\_\\0\\e\\L\\P\\U0001F600\\/ \\ "', 'a: "\\q"', 'a: "x\\\n  y"', 'a: "x\n  y"', "a: 'x\n  y'", 'a: "b" # c', 'a: "b"x',
  '"a\\"b": 1', "'a''b': 1", '"a": b', '"a" : b', '"a":b', '? a\n: b', 'a: x #c\nb: x#y', 'a:\nb:\n', 'key with space: v', 'a:#c', 'a: # c\n  b: 1',
  'a: x\n\n  # c\nb: y', 'a:\n  # c\n  b: 1', 'a:  b  ', 'a: 1\nb: |\n  x\n', 'a: &x 1\nb: *x', 'a: !!str 1', 'a: @x', 'a: `x`', 'a: %x', 'a: ?x', 'a: :x', 'a: -',
  'a: - b', 'a: ? b', 'a: 1\na: 2', '__proto__: 1', 'a: {__proto__: 1}', '<<: 1', 'a\tb: 1', 'a: 1\r\nb: 2\r\n', '\uFEFFa: 1', 'a: é\nb: 日本\nc: "😀"',
  'image: docker.io/istio/examples-bookinfo-reviews-v1:1.20.1', 'regex: ^/api/v[0-9]+', 'a: b,c', 'a: x]', 'a: x}', 'a: [x', 'a: {x', 'a: "', "a: '", 'a: \'x\'\'',
  // Other Unicode spaces are content to YAML, not indentation or separation.
  'a: x\u00a0', '\u00a0a: 1', 'a:\u00a0x', '- \u00a0x', 'a: [x\u00a0]', 'a: {k\u00a0: v}', 'a: |\n  x\n\u00a0\n', 'a: x \u00a0', 'a: x\u2028y', '\u3000- x',
  'a: "\\U0011FFFF"', 'a: "\\uD800"', '-: x', '?: x', ':x: y', 'a: [a b, c  d ,e]', 'a: {k  : v}', 'a: [x #c]', 'a: {b: c} #d',
  '1: a\n2: b', 'true: 1\nfalse: 2', '- 1\n- 1.5\n- -0.0\n- 1e2', 'a:\n  b:\n    c:\n      d: 1\n  e: 2\nf: 3', 'a: 1\n  # deeper comment\nb: 2',
];

describe('plain YAML reader (analyze)', () => {
  it('reads the edge cases exactly as js-yaml does, or leaves them to it', () => {
    for (const text of EDGE_CASES) agrees(text, JSON.stringify(text));
  });

  it('reads the repository\'s manifests and chart files, or leaves them to js-yaml', () => {
    const files = [...filesUnder(join(ROOT, 'test', 'fixtures')), ...filesUnder(join(ROOT, 'charts'))];
    expect(files.length).to.be.greaterThan(10);
    const read = files.filter((f) => agrees(readFileSync(f, 'utf8'), f));
    // The manifests users write are the point: every fixture manifest is read here, not handed on.
    const manifests = files.filter((f) => f.includes(`${join('test', 'fixtures')}`) && f.endsWith('.yaml'));
    expect(manifests.filter((f) => !read.includes(f)), 'fixture manifests left to js-yaml').to.deep.equal([]);
  });

  it('reads the analyze corpus written out in many styles, and agrees on every random edit of it', function () {
    this.timeout(60_000);
    const random = prng(20261203);
    const int = (n: number) => Math.floor(random() * n);
    // Every 16th entry: each of the corpus's object families, in a few seconds on a busy machine.
    const objects = buildCorpus().filter((_, k) => k % 16 === 0).map((e) => e.object);
    const texts: string[] = [];
    let read = 0;
    let tried = 0;
    objects.forEach((o, k) => {
      const styles = [
        dump(o),
        dump(o, { flowLevel: 1 + (k % 4), lineWidth: -1 }),
        dump(o, { quotingType: '"', forceQuotes: k % 2 === 0, noCompatMode: true }),
        dump(o, { indent: 4, noArrayIndent: true, lineWidth: 20 }),
        stringify(o),
        stringify(o, { indentSeq: false, collectionStyle: k % 3 === 0 ? 'flow' : 'any', lineWidth: 0 }),
        stringify(o, { defaultStringType: (['QUOTE_DOUBLE', 'QUOTE_SINGLE', 'BLOCK_LITERAL', 'BLOCK_FOLDED'] as const)[k % 4], defaultKeyType: 'PLAIN', indent: 3 }),
      ];
      for (const [s, text] of styles.entries()) {
        tried++;
        if (agrees(text, `corpus ${k} style ${s}`)) read++;
        texts.push(text);
      }
    });
    // Several objects in one file, as kubectl and helm write them.
    for (let k = 0; k + 3 < texts.length; k += 7) {
      const many = ['---\n', '', '# Source: chart/templates/x.yaml\n'].map((lead, j) => lead + texts[k + j]).join('---\n');
      tried++;
      if (agrees(many, `corpus file at ${k}`)) read++;
      texts.push(many);
    }
    // Block styles and plain key/value manifests are most of it: most texts must be read (else analyze is slow again).
    expect(read / tried, `${read} of ${tried} texts read`).to.be.greaterThan(0.6);

    const EDITS = [' ', '  ', '-', ':', ': ', '#', ' #', '"', "'", '[', ']', '{', '}', ',', '|', '>', '\n', '\n  ', '- ', '?', '&', '*', '!', '\\', '---\n', 'x'];
    let edited = 0;
    for (const text of [...texts, ...EDGE_CASES]) {
      for (let n = 0; n < 3; n++) {
        const at = int(text.length + 1);
        let mutated: string;
        switch (int(4)) {
          case 0: mutated = text.slice(0, at) + EDITS[int(EDITS.length)] + text.slice(at); break;
          case 1: mutated = text.slice(0, at) + text.slice(at + 1 + int(3)); break;
          case 2: {
            const lines = text.split('\n');
            const j = int(lines.length);
            lines[j] = ' '.repeat(1 + int(3)) + lines[j];
            mutated = lines.join('\n');
            break;
          }
          default: {
            const lines = text.split('\n');
            const j = int(lines.length);
            lines[j] = lines[j]!.replace(/^ {1,2}/, '');
            mutated = lines.join('\n');
          }
        }
        if (agrees(mutated, `edit of ${JSON.stringify(text.slice(0, 60))}`)) edited++;
      }
    }
    expect(edited, 'edited texts read').to.be.greaterThan(100);
  });
});
