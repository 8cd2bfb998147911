// The shape of what the rule engine reads, checked at the edge. The API server validates objects against
// their CRD's schema before a validating webhook sees them, so a wrong type here means a cluster without
// Istio's schemas, a broken client or an attack: the webhook names the field instead of failing inside the
// rules (found by bench/fuzz). Only the fields kubectl-gray reads are checked; anything else may be anything.
import { fieldOf } from '../../core/schema/validate.js';

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

/** The first field whose type is not what the rules read, as "path: expected X, got Y"; undefined when all fit. */
export function shapeProblem(value: unknown, shape: Shape, path = ''): string | undefined {
  return problemAt(value, shape, path ? [path] : []);
}

/**
 * The walk behind shapeProblem, on every review: the path is a stack of segments, written out only for the
 * field that does not fit (building a string per field visited was a third of a review's judgement).
 */
function problemAt(value: unknown, shape: Shape, at: Array<string | number>): string | undefined {
  if (shape === 'any') return undefined;
  if (shape === 'object-or-null') return value === null || isObject(value) ? undefined : `${pathOf(at)}: expected an object or null, got ${describe(value)}`;
  if (shape === 'string' || shape === 'number') return typeof value === shape && (shape === 'string' || Number.isFinite(value)) ? undefined : `${pathOf(at)}: expected a ${shape}, got ${describe(value)}`;
  if ('array' in shape) {
    if (!Array.isArray(value)) return `${pathOf(at)}: expected an array, got ${describe(value)}`;
    for (let i = 0; i < value.length; i++) {
      const p = problemWithin(value[i], shape.array, at, i);
      if (p) return p;
    }
    return undefined;
  }
  if (!isObject(value)) return `${pathOf(at)}: expected an object, got ${describe(value)}`;
  if ('map' in shape) {
    for (const key of Object.keys(value)) {
      const p = problemWithin(value[key], shape.map, at, key);
      if (p) return p;
    }
    return undefined;
  }
  for (const key of shape.required ?? []) {
    if (!(key in value)) return `${pathOf([...at, key])}: required`;
  }
  for (const key in shape.object) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    const p = problemWithin(value[key], shape.object[key]!, at, key);
    if (p) return p;
  }
  return undefined;
}

/** problemAt one level down: `segment` is on the path while the value under it is walked. */
function problemWithin(value: unknown, shape: Shape, at: Array<string | number>, segment: string | number): string | undefined {
  at.push(segment);
  const p = problemAt(value, shape, at);
  at.pop();
  return p;
}

const pathOf = (at: ReadonlyArray<string | number>) => fieldOf(at) || '(the object)';
