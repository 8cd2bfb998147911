// Precompiles the schema bundle (core/schema/istio-crds.json) into core/schema/istio-validators.ts: one ES
// module of Ajv standalone validator functions, one per distinct schema, plus the kind index, so analyze
// validates without compiling anything at run time (compiling costs about a second per kind on a busy machine).
// The code is what Ajv compiles at run time with the same options (allErrors, formats int32/double/byte, the
// x-gray-cel keyword); its run-time pieces come from core/schema/cel.ts and ajv/dist/runtime/*, imported as ES
// modules so both the tsc output and the esbuild bundle run it without require().
//
// Run by `npm run build` after gen-istio-schema.mjs; needs only the committed bundle (no Go). The output is made
// by every build and never committed; its header's fingerprints let a build skip the seconds of compiling when
// nothing it is made from changed.
// Usage: node scripts/gen-istio-validators.mjs [--check | --force]
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BUNDLE_PATH = join(root, 'core/schema/istio-crds.json');
export const VALIDATORS_PATH = join(root, 'core/schema/istio-validators.ts');
const AJV_VERSION = createRequire(import.meta.url)('ajv/package.json').version;
// Loaded on use (the fingerprint check in the unit tests needs none of it).
let Ajv, standaloneCode, _, stringify;

async function loadAjv() {
  const ajvModule = (await import('ajv')).default;
  const standaloneModule = (await import('ajv/dist/standalone/index.js')).default;
  Ajv = ajvModule.default ?? ajvModule;
  standaloneCode = standaloneModule.default ?? standaloneModule;
  ({ _, stringify } = ajvModule);
}

/** The formats' types (the validate functions live in core/schema/cel.ts; these stand-ins only compile). */
const FORMAT_TYPES = { int32: 'number', double: 'number', byte: 'string' };
const stand = () => true;

function newAjv() {
  const ajv = new Ajv({
    allErrors: true, strict: false, validateFormats: true, inlineRefs: false,
    code: { source: true, esm: true, formats: _`formats`, lines: true },
  });
  for (const [name, type] of Object.entries(FORMAT_TYPES)) ajv.addFormat(name, { type, validate: stand });
  // A failed check reports { keyword: 'x-gray-cel', message: the CRD rule's message, params: { check } } at the
  // value's path, each failed check in order: what a validate-function keyword reported when we compiled at run time.
  ajv.addKeyword({
    keyword: 'x-gray-cel',
    code(cxt) {
      const cel = cxt.gen.scopeValue('func', { ref: stand, code: _`celProblem` });
      for (const c of cxt.schema) {
        const check = c.v === undefined ? { k: c.k } : { k: c.k, v: c.v };
        cxt.gen.if(_`${cel}(${stringify(check)}, ${cxt.data})`, () => cxt.error(false, { check: c.k, message: c.m }));
      }
    },
    error: {
      message: ({ params }) => params.message,
      params: ({ params }) => _`{check: ${params.check}}`,
    },
  });
  return ajv;
}

/** ajv/dist/runtime/NAME helpers the code calls through require(), as ES module imports instead. */
function withImports(code) {
  const names = new Map();
  const body = code.replace(/require\("ajv\/dist\/runtime\/(\w+)"\)\.default/g, (_m, name) => {
    names.set(name, `ajv_${name}`);
    return `ajv_${name}`;
  });
  if (/\brequire\(/.test(body)) throw new Error('gen-istio-validators: the generated code still calls require()');
  const imports = [...names].sort().map(([name, id]) =>
    `import ${id}Module from 'ajv/dist/runtime/${name}.js';\nconst ${id} = ${id}Module.default ?? ${id}Module;`);
  return { imports, body };
}

/** What the module is made from: the bundle, this script and Ajv's version (recorded in its header). */
export function inputsLine(bundleJson) {
  const sha = (text) => createHash('sha256').update(text).digest('hex');
  return `// Inputs: istio-crds.json sha256 ${sha(bundleJson)}, gen-istio-validators.mjs sha256 ${sha(readFileSync(fileURLToPath(import.meta.url), 'utf8'))}, Ajv ${AJV_VERSION}.`;
}

/** The header's last line: the sha256 of everything after the header, so a hand edit shows. */
export function bodyLine(body) {
  return `// Body sha256 ${createHash('sha256').update(body).digest('hex')}.`;
}

// Ajv writes a schema out as one function, every nested schema inline: DestinationRule's traffic policy (twice,
// at the top and per subset, with its load balancer four times over) made a 375 KB function that a command
// compiles whole, or deserialises whole from a code cache, though most DestinationRules use a fraction of it.
// So nested object schemas of some size become definitions the schema refers to ($ref, not inlined): one
// function each, written once however often the schema repeats it, and compiled only when an object has the
// field. Nothing under oneOf/anyOf/allOf/not moves: the findings group a oneOf's errors by its schema path.
const MIN_DEFINITION_CHARS = 400;
const SCHEMA_MAPS = new Set(['properties', 'patternProperties']);
const SCHEMA_VALUES = new Set(['items', 'additionalProperties']);
const COMBINATORS = new Set(['oneOf', 'anyOf', 'allOf', 'not']);

export function withDefinitions(schema) {
  const definitions = {};
  const names = new Map(); // a nested schema's JSON -> its definition's name
  const share = (node) => {
    const json = JSON.stringify(node);
    if (json.length < MIN_DEFINITION_CHARS || !node || typeof node !== 'object' || Array.isArray(node) || node.type !== 'object') return node;
    let name = names.get(json);
    if (!name) {
      name = `d${names.size}`;
      names.set(json, name);
      definitions[name] = node;
    }
    return { $ref: `#/definitions/${name}` };
  };
  // Bottom-up: a schema is measured with its own nested schemas already moved out.
  const visit = (node) => {
    if (Array.isArray(node)) return node.map(visit);
    if (!node || typeof node !== 'object') return node;
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      if (COMBINATORS.has(k)) out[k] = v;
      else if (SCHEMA_MAPS.has(k) && v && typeof v === 'object') out[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, share(visit(s))]));
      else if (SCHEMA_VALUES.has(k) && v && typeof v === 'object') out[k] = share(visit(v));
      else out[k] = visit(v);
    }
    return out;
  };
  const root = visit(schema);
  return names.size === 0 ? root : { ...root, definitions };
}

/** The module's text for a bundle's text (compiles every schema: a few seconds). */
export async function validatorsText(bundleJson) {
  await loadAjv();
  const bundle = JSON.parse(bundleJson);
  const ajv = newAjv();
  const exports = {};
  bundle.schemas.forEach((schema, id) => {
    ajv.addSchema(withDefinitions(schema), `s${id}`);
    exports[`s${id}`] = `s${id}`;
  });
  const code = standaloneCode(ajv, exports).replace(/^"use strict";\n?/, '');
  const { imports, body } = withImports(code);
  const text = [
    "import type { ValidateFunction } from 'ajv';",
    "import { celProblem, formats } from './cel.js';",
    ...imports,
    body.trim(),
    `/** The schema bundle's validators, by schema index. */`,
    `export const validators: ValidateFunction[] = [${bundle.schemas.map((_s, id) => `s${id}`).join(', ')}];`,
    '/** "group/version/Kind" → index into validators. */',
    `export const kinds: Record<string, number> = ${JSON.stringify(bundle.kinds)};`,
    `export const source: string = ${JSON.stringify(bundle.source)};`,
    '',
  ].join('\n');
  return [
    '// @ts-nocheck',
    '// GENERATED by scripts/gen-istio-validators.mjs (Ajv standalone code) from core/schema/istio-crds.json; do not edit.',
    inputsLine(bundleJson),
    bodyLine(text),
    text,
  ].join('\n');
}

/** The header's two fingerprint lines and the body of a module text (see inputsLine, bodyLine). */
export function splitHeader(moduleText) {
  const lines = moduleText.split('\n');
  return { inputs: lines[2], body: lines[3], text: lines.slice(4).join('\n') };
}

/** Whether a module text is intact (its body matches its hash) and made from these inputs. */
export function upToDate(moduleText, bundleJson) {
  const { inputs, body, text } = splitHeader(moduleText);
  return inputs === inputsLine(bundleJson) && body === bodyLine(text);
}

async function main() {
  const args = process.argv.slice(2);
  const bundleJson = readFileSync(BUNDLE_PATH, 'utf8');
  const current = existsSync(VALIDATORS_PATH) ? readFileSync(VALIDATORS_PATH, 'utf8') : '';
  // A build regenerates only when the fingerprints say the inputs changed (compiling takes a few seconds);
  // --force regenerates anyway, --check compares the full output.
  if (!args.includes('--force') && !args.includes('--check') && upToDate(current, bundleJson)) return;
  const text = await validatorsText(bundleJson);
  if (args.includes('--check')) {
    if (current !== text) {
      console.error('gen-istio-validators: core/schema/istio-validators.ts is out of date; run node scripts/gen-istio-validators.mjs');
      process.exitCode = 1;
    }
    return;
  }
  if (current !== text) writeFileSync(VALIDATORS_PATH, text);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
