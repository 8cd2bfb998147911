// What `kubectl gray status SERVICE` shows of a Gateway API mesh route: each rule's backends with their share and
// ready pods, and Istio's verdict (the route's status from istio.io/gateway-controller for the Service parent).
// Pure: the plugin reads, this decides, the renderer prints.
import { selects } from '../analyzers/inventory.js';
import type { PodInfo } from '../status.js';
import type { Finding } from '../rules.js';
import { type GatewayRoute, type RouteCondition, isServiceBackend, isServiceParent, sharesOf } from './model.js';
import { type ServiceName, namesService, routesService, ruleKind } from './routes.js';

export const ISTIO_GATEWAY_CONTROLLER = 'istio.io/gateway-controller';

export interface BackendStatus {
  name: string;
  namespace: string;
  port?: number;
  percent: number;
  /** Pods the backend Service selects, and how many are ready; undefined for a backend that is not a Service. */
  pods?: number;
  ready?: number;
  /** Takes a share and has no ready pod (or no Service): its calls fail. */
  risk: boolean;
}

export interface RuleStatus {
  index: number;
  name?: string;
  kind: 'general' | 'targeted' | 'owned';
  matches?: unknown[];
  backends: BackendStatus[];
}

export interface IstioVerdict {
  /** Accepted, ResolvedRefs (and any other condition istiod wrote) for the Service parent. */
  conditions: Array<Pick<RouteCondition, 'type' | 'status' | 'reason' | 'message'>>;
  /** Whether istiod has seen the route's current generation. */
  current: boolean;
  /** Said when istiod wrote nothing for the parent. */
  silent?: string;
}

export interface GatewayRouteStatus {
  kind: GatewayRoute['kind'];
  namespace: string;
  name: string;
  parent: string;
  istio: IstioVerdict;
  rules: RuleStatus[];
  findings: Finding[];
}

export interface GatewayStatusInput {
  /** "namespace/name" of each backend Service -> its selector (absent: no such Service). */
  serviceSelectors: ReadonlyMap<string, Record<string, string> | undefined>;
  pods: ReadonlyMap<string, readonly PodInfo[]>;
  findings?: Finding[];
}

function verdictOf(route: GatewayRoute, service: ServiceName): IstioVerdict {
  const parent = route.status?.parents?.find((p) => p.controllerName === ISTIO_GATEWAY_CONTROLLER && isServiceParent(p.parentRef)
    && namesService(p.parentRef, route, service));
  const generation = route.metadata['generation'] as number | undefined;
  if (!parent && !routesService(route, service)) {
    return { conditions: [], current: false,
      silent: `this route names Service ${service.name} as its parent without group "" (stored as gateway.networking.k8s.io): istiod ignores it, and calls to ${service.name} go to every version` };
  }
  if (!parent) {
    return { conditions: [], current: false,
      silent: `istiod has written nothing for parent Service ${service.namespace}/${service.name}: it has not taken this route (is istiod running, with the Gateway API's CRDs installed before it started or watched since?)` };
  }
  const conditions = (parent.conditions ?? []).map(({ type, status, reason, message }) => ({ type, status, ...(reason ? { reason } : {}), ...(message ? { message } : {}) }));
  const current = generation === undefined || (parent.conditions ?? []).every((c) => c.observedGeneration === undefined || c.observedGeneration >= generation);
  return { conditions, current };
}

export function buildGatewayRouteStatus(route: GatewayRoute, service: ServiceName, input: GatewayStatusInput): GatewayRouteStatus {
  const ns = route.metadata.namespace ?? 'default';
  const rules = (route.spec.rules ?? []).map((rule, index): RuleStatus => {
    const shares = sharesOf(rule);
    return {
      index, ...(rule.name ? { name: rule.name } : {}), kind: ruleKind(rule), ...(rule.matches?.length ? { matches: rule.matches } : {}),
      backends: (rule.backendRefs ?? []).map((b, i) => {
        const namespace = b.namespace ?? ns;
        const percent = shares[i]!;
        if (!isServiceBackend(b)) return { name: b.name, namespace, percent, risk: false };
        const key = `${namespace}/${b.name}`;
        const selector = input.serviceSelectors.get(key);
        const pods = selector ? (input.pods.get(namespace) ?? []).filter((p) => Object.keys(selector).length > 0 && selects(selector, p.labels)) : [];
        const ready = pods.filter((p) => p.ready).length;
        return { name: b.name, namespace, ...(b.port !== undefined ? { port: b.port } : {}), percent, pods: pods.length, ready, risk: percent > 0 && ready === 0 };
      }),
    };
  });
  return {
    kind: route.kind, namespace: ns, name: route.metadata.name, parent: `${service.namespace}/${service.name}`,
    istio: verdictOf(route, service), rules, findings: input.findings ?? [],
  };
}

/** Istio refused it, has not taken it, or a share has no ready pod. */
export function gatewayRouteDegraded(s: GatewayRouteStatus): boolean {
  return !!s.istio.silent || s.istio.conditions.some((c) => c.status === 'False')
    || s.rules.some((r) => r.backends.some((b) => b.risk)) || s.findings.some((f) => f.severity === 'error');
}
