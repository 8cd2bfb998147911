// The shape of what the rule engine reads, checked at the edge with Ajv. The API server validates objects against
// their CRD's schema before a validating webhook sees them, so a wrong type here means a cluster without Istio's
// schemas, a broken client or an attack: the webhook names the field instead of failing inside the rules (found by
// bench/fuzz). Only the fields kubectl-gray reads are checked; anything else may be anything.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { fieldOf, segmentsOf, valueAt } from '../../core/schema/field.js';

type Schema = Record<string, unknown>;

const object = (properties: Record<string, Schema>, required?: string[]): Schema =>
  ({ type: 'object', properties, ...(required ? { required } : {}) });
const array = (items: Schema): Schema => ({ type: 'array', items });
const map = (values: Schema): Schema => ({ type: 'object', additionalProperties: values });
const STRING = { type: 'string' };
const NUMBER = { type: 'number' };
const STRINGS = array(STRING);

const stringMatch = object({ exact: STRING, prefix: STRING, regex: STRING });
const destination = object({ host: STRING, subset: STRING, port: object({ number: NUMBER }) }, ['host']);
const routeDestination = object({ destination, weight: NUMBER }); // a missing destination is GRAY401's to explain
const httpMatch = object({ name: STRING, uri: stringMatch, headers: map(stringMatch), withoutHeaders: map(stringMatch), queryParams: map(stringMatch) });
const httpRoute = object({
  name: STRING, match: array(httpMatch), route: array(routeDestination), mirror: destination,
  mirrors: array(object({ destination, percentage: object({ value: NUMBER }) })), mirrorPercentage: object({ value: NUMBER }),
});
const tcpRoute = object({ match: { type: 'array' }, route: array(routeDestination) });
const metadata = object({ name: STRING, namespace: STRING, resourceVersion: STRING, labels: map(STRING), annotations: map(STRING) });

/** The AdmissionRequest fields the handlers and the log read (found by bench/fuzz: `{"toString": 1}` as a version). */
const REQUEST = object({
  uid: STRING, kind: object({ group: STRING, version: STRING, kind: STRING }, ['group', 'version', 'kind']),
  name: STRING, namespace: STRING, operation: STRING, userInfo: object({ username: STRING }),
  object: { type: ['object', 'null'] }, oldObject: { type: ['object', 'null'] },
}, ['uid', 'kind', 'operation']);

const OBJECTS: Record<string, Schema> = {
  VirtualService: object({ apiVersion: STRING, kind: STRING, metadata, spec: object({
    hosts: STRINGS, gateways: STRINGS, exportTo: STRINGS, http: array(httpRoute), tcp: array(tcpRoute), tls: array(tcpRoute),
  }) }, ['metadata', 'spec']),
  DestinationRule: object({ apiVersion: STRING, kind: STRING, metadata, spec: object({
    host: STRING, exportTo: STRINGS, subsets: array(object({ name: STRING, labels: map(STRING) }, ['name'])),
  }, ['host']) }, ['metadata', 'spec']),
};

// One error is enough (the first, as the API server names one); no coercion, no defaults: the review is read as sent.
const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });

export const REQUEST_SHAPE = ajv.compile(REQUEST);
export const SHAPES: Record<string, ValidateFunction> = Object.fromEntries(Object.entries(OBJECTS).map(([kind, s]) => [kind, ajv.compile(s)]));

const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);
const EXPECTED: Record<string, string> = { string: 'a string', number: 'a number', array: 'an array', object: 'an object', 'object,null': 'an object or null' };

/** The first field whose type is not what the rules read, as "path: expected X, got Y"; undefined when all fit. */
export function shapeProblem(value: unknown, validate: ValidateFunction, path = ''): string | undefined {
  if (validate(value)) return undefined;
  const error = validate.errors![0]!;
  const segments = segmentsOf(error.instancePath);
  const at = [...(path ? [path] : []), ...segments];
  if (error.keyword === 'required') return `${pathOf([...at, (error.params as { missingProperty: string }).missingProperty])}: required`;
  return `${pathOf(at)}: expected ${EXPECTED[String(expectedType(error))] ?? String(expectedType(error))}, got ${describe(valueAt(value, segments))}`;
}

const expectedType = (error: ErrorObject) => (error.params as { type: string | string[] }).type;
const pathOf = (at: ReadonlyArray<string | number>) => fieldOf(at) || '(the object)';
