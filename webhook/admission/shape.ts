// The shape of what the rule engine reads, checked at the edge. The API server validates objects against
// their CRD's schema before a validating webhook sees them, so a wrong type here means a cluster without
// Istio's schemas, a broken client or an attack: the webhook names the field instead of failing inside the
// rules (found by bench/fuzz). Only the fields kubectl-gray reads are checked; anything else may be anything.
import { fieldOf } from '../../core/schema/field.js';

type Shape = 'string' | 'number' | 'any' | 'object-or-null' | { object: Record<string, Shape>; required?: string[] } | { array: Shape } | { map: Shape };

const stringMatch: Shape = { object: { exact: 'string', prefix: 'string', regex: 'string' } };
const destination: Shape = { object: { host: 'string', subset: 'string', port: { object: { number: 'number' } } }, required: ['host'] };
const routeDestination: Shape = { object: { destination, weight: 'number' } }; // a missing destination is GRAY401's to explain
const httpMatch: Shape = { object: { name: 'string', uri: stringMatch, headers: { map: stringMatch }, withoutHeaders: { map: stringMatch }, queryParams: { map: stringMatch } } };
const httpRoute: Shape = { object: {
  name: 'string', match: { array: httpMatch }, route: { array: routeDestination }, mirror: destination,
  mirrors: { array: { object: { destination, percentage: { object: { value: 'number' } } } } }, mirrorPercentage: { object: { value: 'number' } },
} };
const tcpRoute: Shape = { object: { match: { array: 'any' }, route: { array: routeDestination } } };
const metadata: Shape = { object: { name: 'string', namespace: 'string', resourceVersion: 'string', labels: { map: 'string' }, annotations: { map: 'string' } } };
const strings: Shape = { array: 'string' };

/** The AdmissionRequest fields the handlers and the log read (found by bench/fuzz: `{"toString": 1}` as a version). */
export const REQUEST_SHAPE: Shape = { object: {
  uid: 'string', kind: { object: { group: 'string', version: 'string', kind: 'string' }, required: ['group', 'version', 'kind'] },
  name: 'string', namespace: 'string', operation: 'string', userInfo: { object: { username: 'string' } },
  object: 'object-or-null', oldObject: 'object-or-null',
}, required: ['uid', 'kind', 'operation'] };

export const SHAPES: Record<string, Shape> = {
  VirtualService: { object: { apiVersion: 'string', kind: 'string', metadata, spec: { object: {
    hosts: strings, gateways: strings, exportTo: strings, http: { array: httpRoute }, tcp: { array: tcpRoute }, tls: { array: tcpRoute },
  } } }, required: ['metadata', 'spec'] },
  DestinationRule: { object: { apiVersion: 'string', kind: 'string', metadata, spec: { object: {
    host: 'string', exportTo: strings, subsets: { array: { object: { name: 'string', labels: { map: 'string' } }, required: ['name'] } },
  }, required: ['host'] } }, required: ['metadata', 'spec'] },
};

const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks a value; the path is a stack of segments, written out only for the field that does not fit. */
type Check = (value: unknown, at: Array<string | number>) => string | undefined;

/**
 * Each shape is turned once into a tree of small checks, one per node, each of one kind: on every review they
 * walk the object (and the old one where the rules read it). A generic walk that asked each node which kind it
 * was cost a third of the review's judgement.
 */
const compiled = new WeakMap<object, Check>();

function compile(shape: Shape): Check {
  if (shape === 'any') return () => undefined;
  if (shape === 'object-or-null') return (v, at) => (v === null || isObject(v) ? undefined : misfit(at, 'an object or null', v));
  if (shape === 'string') return (v, at) => (typeof v === 'string' ? undefined : misfit(at, 'a string', v));
  if (shape === 'number') return (v, at) => (typeof v === 'number' && Number.isFinite(v) ? undefined : misfit(at, 'a number', v));
  const known = compiled.get(shape);
  if (known) return known;
  const check = 'array' in shape ? arrayCheck(compile(shape.array))
    : 'map' in shape ? mapCheck(compile(shape.map))
      : objectCheck(shape.object, shape.required ?? []);
  compiled.set(shape, check);
  return check;
}

// Array and map checks are generated too, each its own function: a single closure shared by every array in
// every shape had one call site for all their item checks, which V8 could not inline.
// Keys come from the shapes above (this file's constants), never from input.
function arrayCheck(item: Check): Check {
  const make = new Function('misfit', 'item', `return function checkArray(v, at) {
  if (!Array.isArray(v)) return misfit(at, "an array", v);
  for (let i = 0; i < v.length; i++) { at.push(i); const p = item(v[i], at); at.pop(); if (p) return p; }
  return undefined;
};`);
  return make(misfit, item) as Check;
}

/** A map's entries in for-in order, which is Object.keys's order: JSON objects inherit no enumerable keys. */
function mapCheck(entry: Check): Check {
  const make = new Function('isObject', 'misfit', 'entry', `return function checkMap(v, at) {
  if (!isObject(v)) return misfit(at, "an object", v);
  for (const key in v) { at.push(key); const p = entry(v[key], at); at.pop(); if (p) return p; }
  return undefined;
};`);
  return make(isObject, misfit, entry) as Check;
}

/**
 * An object's check is generated as straight-line code, one property read per field the shape names, in the
 * shape's order: each read is a site of its own that sees one layout of object (the API server's), where one
 * loop reading every field through a variable key saw them all and was most of the walk.
 */
function objectCheck(fields: Record<string, Shape>, required: readonly string[]): Check {
  const keys = Object.keys(fields);
  const lines = ['if (!isObject(v)) return misfit(at, "an object", v);'];
  for (const key of required) lines.push(`if (!(${JSON.stringify(key)} in v)) return requiredAt(at, ${JSON.stringify(key)});`);
  keys.forEach((key, i) => {
    const k = JSON.stringify(key);
    // What reads undefined is absent: JSON has no undefined, and a JSON object inherits none of these keys.
    lines.push(`x = v[${k}]; if (x !== undefined) { at.push(${k}); p = checks[${i}](x, at); at.pop(); if (p) return p; }`);
  });
  lines.push('return undefined;');
  const make = new Function('isObject', 'misfit', 'requiredAt', 'checks', `return function check(v, at) { let x, p;\n${lines.join('\n')}\n};`);
  return make(isObject, misfit, requiredAt, keys.map((k) => compile(fields[k]!))) as Check;
}

/** The first field whose type is not what the rules read, as "path: expected X, got Y"; undefined when all fit. */
export function shapeProblem(value: unknown, shape: Shape, path = ''): string | undefined {
  return compile(shape)(value, path ? [path] : []);
}

const requiredAt = (at: ReadonlyArray<string | number>, key: string) => `${pathOf([...at, key])}: required`;
const misfit = (at: ReadonlyArray<string | number>, expected: string, got: unknown) => `${pathOf(at)}: expected ${expected}, got ${describe(got)}`;
const pathOf = (at: ReadonlyArray<string | number>) => fieldOf(at) || '(the object)';
