// Checks an Istio object against the OpenAPI schema of its CRD (the pinned istio.io/api CRDs, compacted into
// istio-crds.json by scripts/gen-istio-schema.mjs) with Ajv, and turns Ajv's errors into findings that name
// the field, the problem and the fix. Known beginner mistakes get hints of their own. The validators are
// precompiled at build time (istio-validators.ts, by scripts/gen-istio-validators.mjs): nothing compiles here.
import type { ErrorObject } from 'ajv';
import { fieldOf, segmentsOf, valueAt } from './field.js';
import { kinds as KINDS, source, validators } from './istio-validators.js';
import { type KubeObject, describeObject } from '../model.js';
import { type Finding, type RuleName, finding } from '../rules.js';
import { DESTINATION_REQUIRED } from '../istio/common.js';

export const SCHEMA_SOURCE = source;

/** "networking.istio.io/v1" + "VirtualService" → whether the pinned CRDs know that group at all. */
export function isIstioApiGroup(apiVersion: unknown): boolean {
  return typeof apiVersion === 'string' && /^[a-z.]*istio\.io\//.test(apiVersion);
}

export function hasSchema(apiVersion: string, kind: string): boolean {
  return KINDS[`${apiVersion}/${kind}`] !== undefined;
}

/** A deep copy without null map values: the API server drops nulls of non-nullable fields before validating. */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value && typeof value === 'object') {
    // Built from entries, not by assignment: a "__proto__" key stays a key (a header may be named so).
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)]));
  }
  return value;
}

export { fieldOf };

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}

const DESTINATION_FIELDS = new Set(['host', 'subset', 'port']);
const STRING_MATCH = new Set(['exact', 'prefix', 'regex']);
const STRING_MATCH_FIELDS = ['uri', 'scheme', 'method', 'authority'];

/** Is this path a route entry (http/tcp/tls route[i], or an http mirrors[i]) whose destination belongs under it? */
function isRouteEntry(segments: ReadonlyArray<string | number>): boolean {
  const n = segments.length;
  return n >= 2 && typeof segments[n - 1] === 'number' && (segments[n - 2] === 'route' || segments[n - 2] === 'mirrors');
}

function isMatchEntry(segments: ReadonlyArray<string | number>): boolean {
  const n = segments.length;
  return n >= 2 && typeof segments[n - 1] === 'number' && segments[n - 2] === 'match';
}

/** The value a oneOf's branches are about: the fields each branch requires. */
function oneOfFields(schema: unknown): string[] {
  const branches = Array.isArray(schema) ? schema : [];
  const names = new Set<string>();
  for (const b of branches) for (const r of (b as { required?: string[] }).required ?? []) names.add(r);
  return [...names];
}

export function checkSchema(obj: KubeObject): Finding[] {
  const object = describeObject(obj);
  const id = KINDS[`${obj.apiVersion}/${obj.kind}`];
  if (id === undefined) {
    const served = Object.keys(KINDS).filter((k) => k.endsWith(`/${obj.kind}`)).map((k) => k.slice(0, k.lastIndexOf('/')));
    return [finding('schema-version', object, 'apiVersion',
      served.length > 0 ? `${obj.apiVersion} does not serve ${obj.kind}` : `${obj.kind} is not a kind of ${obj.apiVersion} in ${SCHEMA_SOURCE}`,
      served.length > 0 ? `use apiVersion ${served[0]}${served.length > 1 ? ` (also served: ${served.slice(1).join(', ')})` : ''}` : 'check the kind and apiVersion')];
  }
  const data = withoutNulls(obj);
  const validate = validators[id]!;
  if (validate(data)) return [];
  return findingsFromErrors(object, data, validate.errors ?? []);
}

function findingsFromErrors(object: string, data: unknown, errors: readonly ErrorObject[]): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  // A oneOf's own error explains the conflict; the errors of its branches only repeat it.
  const oneOfPaths = errors.filter((e) => e.keyword === 'oneOf').map((e) => e.schemaPath);
  for (const e of errors) {
    if (e.keyword !== 'oneOf' && oneOfPaths.some((p) => e.schemaPath.startsWith(`${p}/`))) continue;
    if (e.keyword === 'if' || e.keyword === 'anyOf' && errors.some((o) => o !== e && o.instancePath === e.instancePath && o.keyword === 'type')) continue;
    const f = toFinding(object, data, e);
    if (!f) continue;
    const key = `${f.rule} ${f.field} ${f.problem}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(f);
  }
  return out;
}

function toFinding(object: string, data: unknown, e: ErrorObject): Finding | undefined {
  const segments = segmentsOf(e.instancePath);
  const field = fieldOf(segments);
  const value = valueAt(data, segments);
  const make = (rule: RuleName, f: string, problem: string, fix: string) => finding(rule, object, f, problem, fix);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const where = fieldOf([...segments, key]);
      if (isRouteEntry(segments) && DESTINATION_FIELDS.has(key)) {
        const dest = valueAt(data, [...segments, 'destination']);
        return make('destination-misplaced', where,
          `"${key}" sits beside destination: instead of under it${dest === undefined ? ', so the destination is empty' : ''}`,
          `indent ${key} two more spaces so it is under destination: (only weight, headers stay beside destination)`);
      }
      if (STRING_MATCH.has(key) && isMatchEntry(segments)) {
        return make('match-level', where,
          `"${key}" must be inside the field it matches, not directly in the match`,
          `write e.g. uri: {${key}: ...} or headers: {NAME: {${key}: ...}}`);
      }
      if (STRING_MATCH.has(key) && segments.at(-1) === 'destination') {
        return make('match-level', where, `"${key}" is a string match; a destination has none`, 'move the match into the route\'s match: list');
      }
      return make('schema-unknown-field', where, `unknown field "${key}"`,
        `remove it or check its spelling and indentation (the API server drops it, and kubectl apply refuses it)`);
    }
    case 'type': {
      const expected = String((e.params as { type: string | string[] }).type).replace(',', ' or ');
      const parent = segments.at(-1);
      if (typeof value === 'string' && STRING_MATCH_FIELDS.includes(String(parent)) && isMatchEntry(segments.slice(0, -1))) {
        return make('match-level', field, `${parent} is a string match, not a string`,
          `write ${parent}: {exact: ${JSON.stringify(value)}} (or prefix: / regex:)`);
      }
      if (typeof value === 'string' && segments.length >= 2 && (segments.at(-2) === 'headers' || segments.at(-2) === 'queryParams' || segments.at(-2) === 'withoutHeaders') && isMatchEntry(segments.slice(0, -2))) {
        if (STRING_MATCH.has(String(parent))) {
          return make('match-level', field, `"${parent}" is read as a header name here`,
            `name the header first: ${segments.at(-2)}: {HEADER-NAME: {${parent}: ${JSON.stringify(value)}}}`);
        }
        return make('match-level', field, `a ${segments.at(-2)} entry is a string match, not a string`,
          `write ${parent}: {exact: ${JSON.stringify(value)}}`);
      }
      if (value === undefined && parent === 'destination') {
        return make('destination-required', field, 'the destination is empty', 'put host (and subset, port) under destination:');
      }
      const numeric = typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) && /integer|number/.test(expected);
      return make('schema-type', field, `expected ${expected}, got ${describeValue(value)}`,
        numeric ? `write ${value} without quotes` : `give it ${/^[aeiou]/.test(expected) ? 'an' : 'a'} ${expected}`);
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map(String);
      const near = allowed.find((a) => typeof value === 'string' && a.toLowerCase() === value.toLowerCase());
      return make('schema-enum', field, `${describeValue(value)} is not one of ${allowed.join(', ')}`,
        near ? `write ${near}` : `use one of ${allowed.join(', ')}`);
    }
    case 'required': {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      if (missing === 'destination' && isRouteEntry(segments)) {
        return make('destination-required', fieldOf([...segments, missing]), DESTINATION_REQUIRED.problem, DESTINATION_REQUIRED.fix);
      }
      return make('schema-required', fieldOf([...segments, missing]), `required field "${missing}" is missing`, `set ${missing}`);
    }
    case 'oneOf': {
      if (!value || typeof value !== 'object') return undefined; // the type error says it
      const names = oneOfFields(e.schema);
      const set = names.filter((n) => value && typeof value === 'object' && (value as Record<string, unknown>)[n] !== undefined);
      return make('schema-value', field, `sets ${set.length > 1 ? set.join(' and ') : 'a combination'} but only one of ${names.join(', ')} may be set`,
        `keep one of ${set.join(', ') || names.join(', ')}`);
    }
    case 'x-gray-cel':
      return make('schema-value', field,
        `${e.message ?? 'breaks a CEL rule'}${value !== undefined && typeof value !== 'object' ? ` (${describeValue(value)})` : ''}`,
        celFix((e.params as { check: string }).check));
    case 'minimum': case 'maximum': case 'exclusiveMinimum': case 'exclusiveMaximum':
      return make('schema-value', field, `${describeValue(value)} must be ${e.message}`, 'use a value within the range');
    case 'maxLength': case 'minLength': case 'maxItems': case 'minItems': case 'maxProperties': case 'minProperties':
      return make('schema-value', field, `must ${e.message?.replace(/^must /, '')}`, 'shorten or fill it to the limit');
    case 'pattern':
      return make('schema-value', field, `${describeValue(value)} does not match ${(e.params as { pattern: string }).pattern}`, 'use letters, digits and dashes as the pattern allows');
    case 'format':
      return make('schema-type', field, `${describeValue(value)} is not a valid ${(e.params as { format: string }).format}`,
        (e.params as { format: string }).format === 'int32' ? 'use a whole number that fits in 32 bits' : 'fix the value');
    case 'not':
      return make('schema-value', field, 'sets a combination of fields the CRD forbids', 'keep one of them');
    default:
      return make('schema-value', field, e.message ?? `breaks the CRD's ${e.keyword} rule`, 'fix the value');
  }
}

function celFix(check: string): string {
  switch (check) {
    case 'duration-min': return 'write a duration of at least 1ms, e.g. 500ms or 2s';
    case 'port': return 'use a port from 1 to 65535';
    case 'at-most-one': case 'exactly-one': return 'keep exactly one of them';
    case 'keys-label': return 'use label keys of letters, digits and dashes, under 63 characters';
    default: return 'fix the value as the message says';
  }
}
