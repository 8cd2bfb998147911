// The Kubernetes Gateway API's mesh routes (GAMMA) as plain data: an HTTPRoute or GRPCRoute whose parent is a
// Service routes every call to that Service. Only the fields kubectl-gray reads or writes are typed; the index
// signatures keep everything else through a round trip.
import type { KubeObject } from '../model.js';

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';
export const GATEWAY_VERSION = 'v1';
export const GATEWAY_API_VERSION = `${GATEWAY_GROUP}/${GATEWAY_VERSION}`;

export type GatewayRouteKind = 'HTTPRoute' | 'GRPCRoute';
export const GATEWAY_ROUTE_RESOURCES = { HTTPRoute: 'httproutes', GRPCRoute: 'grpcroutes' } as const;

export interface ParentReference {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  sectionName?: string;
  [field: string]: unknown;
}

export interface BackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  /** Relative to the rule's other backends, 0..1,000,000; 1 when omitted. */
  weight?: number;
  [field: string]: unknown;
}

export interface HeaderMatch {
  type?: 'Exact' | 'RegularExpression';
  name: string;
  value: string;
  [field: string]: unknown;
}

/** An HTTPRoute match (path, method, headers, queryParams) or a GRPCRoute match (method, headers). */
export interface RouteMatch {
  path?: { type?: 'Exact' | 'PathPrefix' | 'RegularExpression'; value?: string };
  method?: string | { type?: 'Exact' | 'RegularExpression'; service?: string; method?: string };
  headers?: HeaderMatch[];
  queryParams?: HeaderMatch[];
  [field: string]: unknown;
}

export interface RouteFilter {
  type?: string;
  [field: string]: unknown;
}

export interface RouteRule {
  name?: string;
  matches?: RouteMatch[];
  backendRefs?: BackendRef[];
  filters?: RouteFilter[];
  [field: string]: unknown;
}

/** The backend a RequestMirror filter copies calls to; undefined for any other filter. */
export function mirrorBackend(filter: RouteFilter): string | undefined {
  return filter.type === 'RequestMirror' ? (filter['requestMirror'] as { backendRef?: { name?: string } } | undefined)?.backendRef?.name : undefined;
}

export interface RouteCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

export interface RouteParentStatus {
  parentRef: ParentReference;
  controllerName?: string;
  conditions?: RouteCondition[];
}

export interface GatewayRoute extends KubeObject {
  kind: GatewayRouteKind;
  spec: { parentRefs?: ParentReference[]; hostnames?: string[]; rules?: RouteRule[]; [field: string]: unknown };
  status?: { parents?: RouteParentStatus[] };
}

export function isGatewayRoute(obj: unknown): obj is GatewayRoute {
  const o = obj as KubeObject | undefined;
  return !!o && (o.kind === 'HTTPRoute' || o.kind === 'GRPCRoute') && typeof o.apiVersion === 'string' && o.apiVersion.startsWith(`${GATEWAY_GROUP}/`);
}

/** A parent that is a Service: kind Service in the core group, which the API spells "" (and only so). */
export function isServiceParent(ref: ParentReference): boolean {
  return ref.kind === 'Service' && ref.group === '';
}

/**
 * A Service parent written without `group: ""`: the API server stores it with the default group,
 * gateway.networking.k8s.io, which has no Service kind, so istiod ignores the route without a word.
 */
export function isMisgroupedServiceParent(ref: ParentReference): boolean {
  return ref.kind === 'Service' && (ref.group === undefined || ref.group === GATEWAY_GROUP);
}

/** A backend that is a Service (the default kind, in the core group). */
export function isServiceBackend(ref: BackendRef): boolean {
  return (ref.kind ?? 'Service') === 'Service' && (ref.group ?? '') === '';
}

/** A backend's weight as the API reads it: 1 when omitted. */
export function weightOf(ref: BackendRef): number {
  return typeof ref.weight === 'number' ? ref.weight : 1;
}

/** Each backend's percent of its rule's traffic (Istio drops weight-0 backends; all 0 answers 500). */
export function sharesOf(rule: RouteRule): number[] {
  const weights = (rule.backendRefs ?? []).map((b) => Math.max(0, weightOf(b)));
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => (total > 0 ? (100 * w) / total : 0));
}
