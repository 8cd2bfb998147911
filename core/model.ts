// Istio networking objects as plain data. Only the fields kubectl-gray reads or writes are typed;
// every object keeps an index signature so fields we do not own survive a round trip untouched.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface StringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
  [field: string]: unknown;
}

export interface HTTPMatchRequest {
  name?: string;
  uri?: StringMatch;
  headers?: Record<string, StringMatch>;
  [field: string]: unknown;
}

export interface Destination {
  host: string;
  subset?: string;
  port?: { number?: number };
  [field: string]: unknown;
}

export interface RouteDestination {
  destination: Destination;
  weight?: number;
  [field: string]: unknown;
}

export interface HTTPRoute {
  name?: string;
  match?: HTTPMatchRequest[];
  route?: RouteDestination[];
  mirror?: Destination;
  mirrors?: unknown[];
  mirrorPercentage?: { value?: number };
  [field: string]: unknown;
}

export interface TCPRoute {
  match?: unknown[];
  route?: RouteDestination[];
  [field: string]: unknown;
}

export interface VirtualServiceSpec {
  hosts?: string[];
  gateways?: string[];
  http?: HTTPRoute[];
  tcp?: TCPRoute[];
  tls?: TCPRoute[];
  exportTo?: string[];
  [field: string]: unknown;
}

export interface VirtualService extends KubeObject {
  spec: VirtualServiceSpec;
}

export interface Subset {
  name: string;
  labels?: Record<string, string>;
  [field: string]: unknown;
}

export interface DestinationRuleSpec {
  host: string;
  subsets?: Subset[];
  exportTo?: string[];
  [field: string]: unknown;
}

export interface DestinationRule extends KubeObject {
  spec: DestinationRuleSpec;
}

export const ISTIO_GROUP = 'networking.istio.io';
export const SERVED_VERSIONS = ['v1', 'v1beta1', 'v1alpha3'] as const;

const SERVED_API_VERSIONS = new Set(SERVED_VERSIONS.map((v) => `${ISTIO_GROUP}/${v}`));

export function isIstioNetworking(apiVersion: string | undefined): boolean {
  return typeof apiVersion === 'string' && SERVED_API_VERSIONS.has(apiVersion);
}

export function isVirtualService(obj: unknown): obj is VirtualService {
  const o = obj as KubeObject | undefined;
  return !!o && o.kind === 'VirtualService' && isIstioNetworking(o.apiVersion);
}

export function isDestinationRule(obj: unknown): obj is DestinationRule {
  const o = obj as KubeObject | undefined;
  return !!o && o.kind === 'DestinationRule' && isIstioNetworking(o.apiVersion);
}

/** "VirtualService default/reviews" — how messages name an object. */
export function describeObject(obj: KubeObject): string {
  const ns = obj.metadata.namespace ?? 'default';
  return `${obj.kind} ${ns}/${obj.metadata.name}`;
}

export function namespaceOf(obj: KubeObject): string {
  return obj.metadata.namespace ?? 'default';
}

/** "default/reviews": identifies an object of a known kind. */
export function objectKey(obj: KubeObject): string {
  return `${namespaceOf(obj)}/${obj.metadata.name}`;
}

/** Deep copy of a JSON-shaped value; every operation works on a copy so callers keep the original. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}

/**
 * Whether two JSON values are equal, key order aside: canonicalJson(a) === canonicalJson(b), without building
 * either string (the webhook compares a spec with its old version on every update) or any list of keys.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    // Two different strings or booleans never print alike; two numbers only when neither is finite (null).
    // A weight changed by an update lands here: no printing for it.
    if (typeof a === typeof b && (typeof a === 'string' || typeof a === 'boolean')) return false;
    if (typeof a === 'number' && typeof b === 'number') return !Number.isFinite(a) && !Number.isFinite(b);
    return canonicalJson(a) === canonicalJson(b); // other primitives: as JSON prints them (NaN is null, ...)
  }
  const isArray = Array.isArray(a);
  if (isArray !== Array.isArray(b)) return false;
  if (isArray) {
    const as = a as unknown[];
    const bs = b as unknown[];
    if (as.length !== bs.length) return false;
    for (let i = 0; i < as.length; i++) if (!jsonEqual(as[i] ?? null, bs[i] ?? null)) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let printedKeys = 0;
  for (const k in ao) {
    if (!Object.prototype.hasOwnProperty.call(ao, k) || !isPrinted(ao[k])) continue;
    printedKeys++;
    if (!Object.prototype.hasOwnProperty.call(bo, k) || !jsonEqual(ao[k], bo[k])) return false;
  }
  for (const k in bo) if (Object.prototype.hasOwnProperty.call(bo, k) && isPrinted(bo[k])) printedKeys--;
  return printedKeys === 0;
}

/** JSON.stringify leaves out properties whose value is undefined or a function. */
function isPrinted(v: unknown): boolean {
  return v !== undefined && typeof v !== 'function';
}

/** JSON with object keys sorted: the API server hands back custom objects with their keys reordered. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v);
}
