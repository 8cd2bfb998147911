// Plans for set-weight over the Gateway API's mesh routes: the same weights in every route whose parent is the
// Service, one change per route. Pure.
import { IntentError } from '../errors.js';
import { resolveHost, serviceName, serviceNamespace } from '../hosts.js';
import { type VirtualService, namespaceOf } from '../model.js';
import { type Change, type Plan, change } from '../plan.js';
import type { WeightIntent } from '../weights.js';
import { type GatewayRoute, describeRoute, sharesOf } from './model.js';
import { type ServiceName, routesFor, ruleKind, setRouteWeights } from './routes.js';

/** The Service a command names (NAME, NAME.NAMESPACE or its FQDN), as a Gateway API parent. */
export function serviceOf(service: string, namespace: string): ServiceName {
  const fqdn = resolveHost(service, namespace);
  return { namespace: serviceNamespace(fqdn) ?? namespace, name: serviceName(fqdn) };
}

/** The mesh VirtualServices for the same host: a second model Istio would pick one of without a word. */
export function meshVirtualServicesFor(service: ServiceName, all: readonly VirtualService[]): VirtualService[] {
  const fqdn = resolveHost(service.name, service.namespace);
  return all.filter((vs) => (vs.spec.gateways?.length ? vs.spec.gateways : ['mesh']).includes('mesh')
    && (vs.spec.hosts ?? []).some((h) => resolveHost(h, namespaceOf(vs)) === fqdn));
}

/** Refuses to guess when both models route the Service; says what each is. */
export function requireOneModel(service: ServiceName, routes: readonly GatewayRoute[], virtualServices: readonly VirtualService[]): void {
  const vss = meshVirtualServicesFor(service, virtualServices);
  if (routes.length === 0 || vss.length === 0) return;
  throw new IntentError(`${service.namespace}/${service.name} is routed by both ${routes.map(describeRoute).join(', ')} and VirtualService ${vss.map((v) => `${namespaceOf(v)}/${v.metadata.name}`).join(', ')}: `
    + 'Istio uses one of them and ignores the other, so kubectl gray will not guess which you mean. Keep one model per Service: delete the one not in use');
}

export interface GatewayWeightRequest {
  service: string;
  namespace: string;
  intents: readonly WeightIntent[];
  keepZero?: boolean;
}

/** "v1=90 v2=10": a rule's backends as set-weight names them (the version after SERVICE-). */
function describeWeights(route: GatewayRoute, service: string): string | undefined {
  const rule = route.spec.rules?.find((r) => ruleKind(r) === 'general' && r.backendRefs?.length);
  if (!rule) return undefined;
  const shares = sharesOf(rule);
  return rule.backendRefs!.map((b, i) => `${b.name.startsWith(`${service}-`) ? b.name.slice(service.length + 1) : b.name}=${Math.round(shares[i]!)}`).join(' ');
}

export function planGatewayWeights(routes: readonly GatewayRoute[], virtualServices: readonly VirtualService[], req: GatewayWeightRequest): Plan {
  const service = serviceOf(req.service, req.namespace);
  const mine = routesFor(routes, service);
  requireOneModel(service, mine, virtualServices);
  const changes: Change[] = mine.map((r) => change(r, setRouteWeights(r, service, req.intents, { keepZero: req.keepZero }), 'reweighted'));
  if (!mine.some((r) => r.spec.rules?.some((rule) => ruleKind(rule) === 'general' && rule.backendRefs?.length))) {
    throw new IntentError(`${mine.map(describeRoute).join(', ')} ${mine.length === 1 ? 'has' : 'have'} no rule that carries all of ${service.name}'s calls (every rule matches headers or query parameters): nothing to reweight`);
  }
  // Back to the weights of before, the versions this change adds at 0.
  const before = mine.map((r) => describeWeights(r, service.name)).find(Boolean) ?? '';
  const added = req.intents.filter((w) => !` ${before}`.includes(` ${w.subset}=`)).map((w) => `${w.subset}=0`);
  return { changes, undo: `kubectl gray set-weight ${req.service} ${[before, ...added].filter(Boolean).join(' ')} -n ${req.namespace}`, notes: [] };
}
