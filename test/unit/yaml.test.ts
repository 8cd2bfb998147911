// The plugin's YAML reader (core/yaml.ts) against kubectl's own: sigs.k8s.io/yaml, built from its Go module by
// `make test-unit` (test/yaml-oracle, the version kubectl 1.34 uses). A generated corpus of scalars that YAML
// versions read differently, in every place a manifest holds them, plus anchors, merge keys, repeated keys and
// explicit tags. Every case must read the same, or be one of the differences README lists.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { documentValue, parseYaml, toYaml } from '../../core/yaml.js';
import { ROOT } from '../support/fixtures.js';

const ORACLE = join(ROOT, '.tools', 'yaml-oracle');

const SCALARS = [
  // booleans of YAML 1.1 and 1.2, and look-alikes
  'y', 'Y', 'yes', 'Yes', 'YES', 'n', 'N', 'no', 'No', 'NO', 'on', 'On', 'ON', 'off', 'Off', 'OFF',
  'true', 'True', 'TRUE', 'false', 'False', 'FALSE', 'tRUE', 'yEs', '"yes"', "'on'",
  // nulls
  '~', 'null', 'Null', 'NULL', 'nULL', '""',
  // integers: octal, hex, binary, separators, signs
  '0', '-0', '+0', '7', '+12', '-12', '0644', '-0644', '08', '09', '010', '0o17', '0O17', '0x1F', '0X1F', '-0x1F', '0b101', '-0b101',
  '1_000', '1_0_0', '0_1', '0x_1F', '12345678901234567890', '9007199254740993',
  // floats
  '1.0', '-1.5', '.5', '1.', '1e3', '1E3', '1e+3', '1.5e-3', '+1.5', '1_000.5', '.inf', '-.Inf', '.NaN', '.nan',
  // base 60 and timestamps
  '1:20', '12:30:00', '190:20:30.15', '-1:20', '2024-01-01', '2024-01-01T10:00:00Z', '2001-12-14 21:59:43.10 -5', '2001-12-14t21:59:43.10-05:00',
  // strings that look like something else
  '.', '-.', '+.', '._', '0.0.1', '1.2.3.4', 'v1', '1Gi', '100m', '0xZZ', '=', '<<', '-', '"12"', "'0644'", '"\\u00e9"', '"tab\\there"',
];

/** Every scalar as a map value, a map key and a sequence item, in a manifest's surroundings. */
function corpus(): string[] {
  const cases: string[] = [];
  for (const s of SCALARS) {
    cases.push(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  v: ${s}\n`);
    cases.push(`spec:\n  ${s}: x\n`);
    cases.push(`items: [${s}, ${s}]\n`);
    cases.push(`- ${s}\n`);
  }
  cases.push(
    'base: &base {port: 80, tls: off}\nserver: {<<: *base, port: 81}\n',
    'a: &a {x: 1}\nb: &b {y: 2}\nc: {<<: [*a, *b], z: 3}\n',
    'a: &a {x: 1}\nc:\n  <<: *a\n  x: 2\n',
    'w: 1\nw: 2\n',
    'a: !!str 123\nb: !!int "12"\nc: !!float 1\nd: !!bool yes\n',
    's: |-\n  two\n  lines\nf: >\n  folded\n  text\n',
    'k: {1: a, true: b, 1.5: c}\n',
    '? [a, b]\n: c\n',
    'a: &x 1\nb: *x\n',
    '\ufeffkind: X\r\nmetadata: {name: crlf}\r\n',
  );
  return cases;
}

/** Where the reader still differs from kubectl's, on purpose or by the library; README lists these. */
const KNOWN_DIFFERENCES = new Map<string, string>([
  ...['~', 'null', 'Null', 'NULL'].map((k): [string, string] => [`spec:\n  ${k}: x\n`, 'a null key: kubectl refuses it, we read the key ""']),
  ['spec:\n  12345678901234567890: x\n', 'an integer key over 64 bits: kubectl refuses it, we read it as a rounded number'],
  ['spec:\n  9007199254740993: x\n', 'an integer key over 2^53: JavaScript numbers round it'],
  ...['.inf', '-.Inf', '.NaN', '.nan'].map((k): [string, string] => [`spec:\n  ${k}: x\n`, 'a non-finite number as a key: kubectl keeps its YAML spelling, we write Infinity or NaN']),
  ['items: [-, -]\n', 'a bare "-" in a flow sequence: kubectl reads the string "-", the yaml package refuses it'],
  ['a: !!str 123\nb: !!int "12"\nc: !!float 1\nd: !!bool yes\n', 'an explicit !!float on "1": kubectl reads 1, we read "1"'],
  ['? [a, b]\n: c\n', 'a sequence as a key: kubectl refuses it, we read the key "[ a, b ]"'],
]);

const sortedJson = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) =>
  (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));

function ours(text: string): { json?: unknown; error?: string } {
  const { documents } = parseYaml(text);
  const errors = documents.flatMap((d) => d.errors);
  if (errors.length) return { error: errors[0]!.message };
  try {
    const value = documents.length ? documentValue(documents[0]!) : null;
    return { json: JSON.parse(JSON.stringify(value ?? null)) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

describe('YAML read as kubectl reads it (against sigs.k8s.io/yaml)', () => {
  it('agrees with kubectl\'s reader on a generated corpus, but for the listed differences', function () {
    this.timeout(30_000);
    expect(existsSync(ORACLE), `${ORACLE} is built by make test-unit (go build in test/yaml-oracle)`).to.equal(true);
    const cases = corpus();
    const theirs = JSON.parse(execFileSync(ORACLE, { input: JSON.stringify(cases), encoding: 'utf8' })) as Array<{ json?: unknown; error?: string }>;
    const differ: string[] = [];
    let known = 0;
    cases.forEach((text, i) => {
      const mine = ours(text);
      const kubectl = theirs[i]!;
      // Keys in any order: Go prints them sorted, and the API server does not care.
      const same = kubectl.error ? mine.error !== undefined : mine.error === undefined && sortedJson(mine.json) === sortedJson(kubectl.json);
      if (!same && KNOWN_DIFFERENCES.has(text)) known += 1;
      else if (!same) differ.push(`${JSON.stringify(text)}: kubectl ${JSON.stringify(kubectl)}, ours ${JSON.stringify(mine)}`);
    });
    console.log(`      ${cases.length - differ.length - known} of ${cases.length} cases read alike; ${known} listed differences`);
    expect(known, 'a listed difference that no longer differs: take it off the list and README').to.equal(KNOWN_DIFFERENCES.size);
    expect(differ).to.deep.equal([]);
  });

  it('writes what kubectl reads back as the same value: strings that look like booleans or numbers are quoted', function () {
    this.timeout(30_000);
    const strings = [...SCALARS.map((s) => s.replace(/^["']|["']$/g, '')), 'y', 'n', '0o17', '0X1F', '1_000', '=', '-'];
    // The one listed difference of the writer: a key that is the string "<<" is written plain, and kubectl reads a merge.
    const values = strings.map((v) => ({ kind: 'ConfigMap', data: v === '<<' ? { v } : { v, [v]: v } }));
    const texts = values.map(toYaml);
    const theirs = JSON.parse(execFileSync(ORACLE, { input: JSON.stringify(texts), encoding: 'utf8' })) as Array<{ json?: unknown; error?: string }>;
    const differ = values.flatMap((v, i) => (sortedJson(theirs[i]!.json) === sortedJson(v) ? [] : [`${JSON.stringify(texts[i])} -> ${JSON.stringify(theirs[i])}`]));
    expect(differ).to.deep.equal([]);
  });
});
