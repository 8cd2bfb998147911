// Turns the pinned Istio CRDs (istio.io/api's kubernetes/customresourcedefinitions.gen.yaml) into the compact
// schema bundle analyze validates with: core/schema/istio-crds.json. Descriptions and status schemas go, every
// version with the same schema shares one entry, and the Kubernetes structural-schema extensions become plain
// JSON Schema (Ajv, draft-07) plus a few named CEL checks:
//   - an object with properties and no x-kubernetes-preserve-unknown-fields gets additionalProperties: false
//     (the API server prunes such fields, or refuses them under kubectl's strict field validation);
//   - x-kubernetes-int-or-string becomes "an integer or a string";
//   - nullable: true adds "null" to the type (the API server drops other nulls before validating);
//   - x-kubernetes-validations: the CEL rules we recognise become x-gray-cel entries (see core/schema/cel.ts);
//     the rest are counted in the bundle's "celSkipped" and left to the API server.
//
// Run by `npm run build`. Without Go or the module (an offline build), it keeps the committed bundle.
// Usage: node scripts/gen-istio-schema.mjs [--check] [--crds FILE]
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BUNDLE_PATH = join(root, 'core/schema/istio-crds.json');

/** The istio.io/api version the local cluster pins (test/cluster/versions.env). */
export function pinnedApiVersion() {
  const env = readFileSync(join(root, 'test/cluster/versions.env'), 'utf8');
  const m = /^ISTIO_API_VERSION=(\S+)$/m.exec(env);
  if (!m) throw new Error('test/cluster/versions.env has no ISTIO_API_VERSION');
  return m[1];
}

/** The CRD file: $ISTIO_CRD_FILE, else the module Go downloads; undefined when neither is available. */
export function findCrdFile(version = pinnedApiVersion()) {
  if (process.env.ISTIO_CRD_FILE) return process.env.ISTIO_CRD_FILE;
  try {
    const out = execFileSync('go', ['mod', 'download', '-json', `istio.io/api@v${version}`], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 120_000, cwd: root,
    });
    const file = join(JSON.parse(out).Dir, 'kubernetes/customresourcedefinitions.gen.yaml');
    return existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

const KEEP = new Set([
  'type', 'properties', 'items', 'additionalProperties', 'required', 'enum', 'format', 'minimum', 'maximum',
  'exclusiveMinimum', 'exclusiveMaximum', 'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems',
  'maxProperties', 'minProperties', 'oneOf', 'anyOf', 'allOf', 'not', 'uniqueItems',
]);

/** The CEL rules we check ourselves, by their exact text; everything else is left to the API server. */
export function celCheck(rule) {
  const r = rule.replace(/\s+/g, ' ').trim();
  if (r === "duration(self) >= duration('1ms')") return { k: 'duration-min', v: '1ms' };
  if (r === '0 < self && self <= 65535') return { k: 'port' };
  if (r === '!self.contains("*")') return { k: 'no-wildcard' };
  if (r === 'self != "*"') return { k: 'not-star' };
  if (r === 'self.size() == 0') return { k: 'empty' };
  if (r === 'self.all(key, key.size() != 0)') return { k: 'keys-non-empty' };
  if (r === 'self.all(key, !key.contains("*"))') return { k: 'keys-no-wildcard' };
  if (r.startsWith('self.all(key, size(key) < 63 && key.matches(')) return { k: 'keys-label' };
  if (r === 'self.all(key, 0 < int(key) && int(key) <= 65535)') return { k: 'keys-port' };
  if (r === 'self.all(l1, self.exists_one(l2, l1.number == l2.number))') return { k: 'unique-number' };
  if (r === 'has(self.address) || has(self.network)') return { k: 'any-of', v: ['address', 'network'] };
  if (r === 'has(self.wasm) != has(self.lua)') return { k: 'exactly-one', v: ['wasm', 'lua'] };
  // "(has(self.a) ? 1 : 0) + (has(self.b) ? 1 : 0) <= 1": at most one of them.
  const parts = /^(\(has\(self\.\w+\) \? 1 : 0\)(?: \+ \(has\(self\.\w+\) \? 1 : 0\))+) <= 1$/.exec(r);
  if (parts) return { k: 'at-most-one', v: [...parts[1].matchAll(/has\(self\.(\w+)\)/g)].map((m) => m[1]) };
  return undefined;
}

/** One OpenAPI v3 structural schema node -> compact JSON Schema. */
function convert(node, stats) {
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (!KEEP.has(key)) continue;
    if (key === 'properties') out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v, stats)]));
    else if (key === 'items' || key === 'not' || (key === 'additionalProperties' && typeof value === 'object')) out[key] = convert(value, stats);
    else if (key === 'oneOf' || key === 'anyOf' || key === 'allOf') out[key] = value.map((v) => convert(v, stats));
    else out[key] = value;
  }
  if (node['x-kubernetes-int-or-string']) {
    delete out.type;
    out.type = ['integer', 'string'];
  }
  if (node.type === 'object' && node.properties && !node['x-kubernetes-preserve-unknown-fields'] && node.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  if (node.nullable && typeof out.type === 'string') out.type = [out.type, 'null'];
  const cel = [];
  for (const v of node['x-kubernetes-validations'] ?? []) {
    const check = celCheck(v.rule);
    if (check) cel.push({ ...check, m: v.message ?? v.rule });
    else {
      stats.skipped.add(v.rule.replace(/\s+/g, ' ').trim());
      stats.skippedCount++;
    }
    stats.total++;
  }
  if (cel.length > 0) out['x-gray-cel'] = cel;
  return out;
}

/** Stable JSON: keys sorted, so the bundle only changes when the CRDs do. */
function stable(value) {
  if (Array.isArray(value)) return value.map(stable);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, stable(value[k])]));
  }
  return value;
}

/** The bundle for one CRD file's text. */
export function buildBundle(crdText, apiVersion) {
  const stats = { total: 0, skippedCount: 0, skipped: new Set() };
  const schemas = [];
  const index = new Map();
  const kinds = {};
  for (const crd of parseAllDocuments(crdText).map((d) => d.toJS())) {
    if (!crd || crd.kind !== 'CustomResourceDefinition') continue;
    const { group, names } = crd.spec;
    if (!group.endsWith('istio.io')) continue;
    for (const v of crd.spec.versions) {
      if (v.served === false) continue;
      const top = v.schema.openAPIV3Schema;
      const schema = convert({ ...top, properties: { spec: top.properties?.spec ?? { type: 'object' } } }, stats);
      schema.properties = {
        apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' },
        ...schema.properties,
        status: {},
      };
      schema.additionalProperties = false;
      const text = JSON.stringify(stable(schema));
      let id = index.get(text);
      if (id === undefined) {
        id = schemas.length;
        schemas.push(stable(schema));
        index.set(text, id);
      }
      kinds[`${group}/${v.name}/${names.kind}`] = id;
    }
  }
  return stable({
    source: `istio.io/api@v${apiVersion} kubernetes/customresourcedefinitions.gen.yaml`,
    celChecked: stats.total - stats.skippedCount,
    celSkipped: [...stats.skipped].sort(),
    kinds,
    schemas,
  });
}

export function bundleText(bundle) {
  return `${JSON.stringify(bundle)}\n`;
}

async function main() {
  const args = process.argv.slice(2);
  const crdArg = args.indexOf('--crds');
  const version = pinnedApiVersion();
  const file = crdArg >= 0 ? args[crdArg + 1] : findCrdFile(version);
  if (!file) {
    console.error(`gen-istio-schema: istio.io/api@v${version} is not available (no Go or no module proxy); keeping the committed ${BUNDLE_PATH.slice(root.length + 1)}`);
    return;
  }
  const text = bundleText(buildBundle(readFileSync(file, 'utf8'), version));
  const current = existsSync(BUNDLE_PATH) ? readFileSync(BUNDLE_PATH, 'utf8') : '';
  if (args.includes('--check')) {
    if (current !== text) {
      console.error('gen-istio-schema: core/schema/istio-crds.json is out of date; run node scripts/gen-istio-schema.mjs');
      process.exitCode = 1;
    }
    return;
  }
  if (current !== text) writeFileSync(BUNDLE_PATH, text);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
