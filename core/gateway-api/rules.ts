// The guardrails over the Gateway API's mesh routes: what the CRD's schema and istiod accept, yet breaks traffic or
// is silently ignored. The same calls serve the plugin (before it writes), analyze (files or the live cluster) and
// the webhook. Pure: the Services and VirtualServices a check needs come in `world`; where they are not known
// (undefined), the checks that need them are skipped rather than guessed.
import { isMeshBound } from '../analyzers/inventory.js';
import { resolveHost } from '../hosts.js';
import { type KubeObject, type VirtualService, describeObject, namespaceOf } from '../model.js';
import { re2Problem } from '../re2.js';
import { type Finding, finding } from '../rules.js';
import { type GatewayRoute, isMisgroupedServiceParent, isServiceBackend, isServiceParent } from './model.js';
import { meshVirtualServicesFor } from './routes.js';

export interface RouteWorld {
  /**
   * The Services known: every one of each namespace in which any is given (a namespace none is given for is not
   * known, and what the route names there is not checked). Undefined: none known.
   */
  services?: readonly KubeObject[];
  /** The VirtualServices (to find a second model for the same host), or undefined when not known. */
  virtualServices?: readonly VirtualService[];
}

interface ServicePort { port?: number; name?: string; appProtocol?: string }

const portsOf = (svc: KubeObject) => ((svc['spec'] as { ports?: ServicePort[] } | undefined)?.ports ?? []);

/** Istio's protocol selection: appProtocol grpc, else a port name grpc or grpc-*. */
function speaksGrpc(svc: KubeObject, port?: number): boolean {
  return portsOf(svc).some((p) => (port === undefined || p.port === port)
    && (p.appProtocol === 'grpc' || p.name === 'grpc' || (p.name ?? '').startsWith('grpc-')));
}

export function checkGatewayRoute(route: GatewayRoute, world: RouteWorld = {}): Finding[] {
  const out: Finding[] = [];
  const what = describeObject(route);
  const ns = namespaceOf(route);
  const known = new Set((world.services ?? []).map(namespaceOf));
  const service = (namespace: string, name: string) => world.services?.find((s) => namespaceOf(s) === namespace && s.metadata.name === name);

  const parents = route.spec.parentRefs ?? [];
  parents.forEach((p, i) => {
    const field = `spec.parentRefs[${i}]`;
    if (isMisgroupedServiceParent(p)) {
      out.push(finding('route-parent-group', what, `${field}.group`,
        `parent Service ${p.name} has group ${p.group === undefined ? '(omitted)' : `"${p.group}"`}, which the API server stores as ${p.group ?? 'gateway.networking.k8s.io'}: istiod ignores this route and calls go to every version`,
        'write group: "" (the core group) beside kind: Service'));
    } else if (isServiceParent(p) && known.has(p.namespace ?? ns) && !service(p.namespace ?? ns, p.name)) {
      out.push(finding('route-parent-unknown', what, `${field}.name`, `no Service ${p.namespace ?? ns}/${p.name}: this route routes nothing`,
        'name an existing Service, or create it first'));
    }
  });
  const meshParents = parents.filter(isServiceParent);

  (route.spec.rules ?? []).forEach((rule, r) => {
    const backends = rule.backendRefs ?? [];
    const explicit = backends.filter((b) => typeof b.weight === 'number');
    if (backends.length > 0 && explicit.length === backends.length && explicit.every((b) => b.weight === 0)) {
      out.push(finding('route-weights-zero', what, `spec.rules[${r}].backendRefs`, 'every backend has weight 0: Istio answers 500 to every call this rule takes',
        'give at least one backend a positive weight'));
    }
    if (explicit.length > 0 && explicit.length < backends.length) {
      out.push(finding('route-weights-mixed', what, `spec.rules[${r}].backendRefs`,
        `${backends.length - explicit.length} of ${backends.length} backends have no weight, which counts as 1 (not "the rest"): ${backends.map((b) => `${b.name}=${b.weight ?? '1 (omitted)'}`).join(', ')}`,
        'give every backend of the rule a weight'));
    }
    backends.forEach((b, i) => {
      if (!isServiceBackend(b) || !known.has(b.namespace ?? ns)) return;
      const target = service(b.namespace ?? ns, b.name);
      const field = `spec.rules[${r}].backendRefs[${i}]`;
      if (!target) {
        out.push(finding('route-backend-unknown', what, `${field}.name`, `no Service ${b.namespace ?? ns}/${b.name}: Istio answers 500 for its share of the calls`,
          `create Service ${b.name} (a version Service: the parent's ports, a selector with the version label) or remove the backend`));
      } else if (typeof b.port === 'number' && !portsOf(target).some((p) => p.port === b.port)) {
        out.push(finding('route-backend-unknown', what, `${field}.port`, `Service ${b.namespace ?? ns}/${b.name} has no port ${b.port} (it has ${portsOf(target).map((p) => p.port).join(', ') || 'none'})`,
          'use one of the Service\'s ports'));
      }
    });
    (rule.matches ?? []).forEach((m, j) => {
      const field = `spec.rules[${r}].matches[${j}]`;
      const regexes: Array<[string, string | undefined]> = [
        ...(m.path?.type === 'RegularExpression' ? [[`${field}.path.value`, m.path.value] as [string, string | undefined]] : []),
        ...[...(m.headers ?? []).map((h, k) => [`${field}.headers[${k}].value`, h.type === 'RegularExpression' ? h.value : undefined] as [string, string | undefined]),
          ...(m.queryParams ?? []).map((h, k) => [`${field}.queryParams[${k}].value`, h.type === 'RegularExpression' ? h.value : undefined] as [string, string | undefined])],
      ];
      for (const [at, pattern] of regexes) {
        const problem = pattern === undefined ? undefined : re2Problem(pattern);
        if (problem) out.push(finding('regex-invalid', what, at, problem, 'write an RE2 expression (no lookaround, no backreferences)'));
      }
      const grpcParent = meshParents.find((p) => { const s = service(p.namespace ?? ns, p.name); return s && speaksGrpc(s, p.port); });
      if (!grpcParent) return;
      const method = typeof m.method === 'object' ? m.method : undefined;
      if (route.kind === 'HTTPRoute' && m.path?.type === 'PathPrefix' && (m.path.value ?? '/') !== '/') {
        out.push(finding('route-proxyless-rejected', what, `${field}.path`,
          `Service ${grpcParent.name} speaks gRPC and a PathPrefix other than / becomes a path_separated_prefix, which proxyless gRPC clients refuse: they reject every route of ${grpcParent.name}, not this rule alone`,
          'match the path with type Exact or RegularExpression, or use a GRPCRoute with a method match'));
      } else if (route.kind === 'GRPCRoute' && method?.service && !method.method && method.type !== 'RegularExpression') {
        out.push(finding('route-proxyless-rejected', what, `${field}.method`,
          `a method match on the service ${method.service} alone becomes a path_separated_prefix, which proxyless gRPC clients refuse: they reject every route of ${grpcParent.name}`,
          'name the method too, or match with type RegularExpression'));
      }
    });
  });

  if (world.virtualServices) {
    for (const p of meshParents) {
      const [vs] = meshVirtualServicesFor({ namespace: p.namespace ?? ns, name: p.name }, world.virtualServices);
      if (vs) {
        out.push(finding('route-model-conflict', what, 'spec.parentRefs', `${describeObject(vs)} also routes ${resolveHost(p.name, p.namespace ?? ns)} in the mesh: Istio uses one of the two and ignores the other without a word`,
          `keep one model per Service: delete ${describeObject(vs)} (kubectl gray status ${p.name} shows both), or this route`));
      }
    }
  }
  return out;
}

/** The routes that still send to a Service (deleting it would make their calls fail). */
export function routesSendingTo(routes: readonly GatewayRoute[], svc: KubeObject): Array<{ route: GatewayRoute; field: string }> {
  const out: Array<{ route: GatewayRoute; field: string }> = [];
  for (const route of routes) {
    (route.spec.rules ?? []).forEach((rule, r) => (rule.backendRefs ?? []).forEach((b, i) => {
      if (isServiceBackend(b) && b.name === svc.metadata.name && (b.namespace ?? namespaceOf(route)) === namespaceOf(svc) && (b.weight ?? 1) > 0) {
        out.push({ route, field: `spec.rules[${r}].backendRefs[${i}]` });
      }
    }));
  }
  return out;
}

/**
 * The other half of GRAY603: a mesh VirtualService written for a Service that a Gateway API route already routes
 * (found on the VirtualService; the route's own review finds it from the route's side).
 */
export function checkVirtualServiceBesideRoutes(vs: VirtualService, routes: readonly GatewayRoute[]): Finding[] {
  if (!isMeshBound(vs)) return [];
  const out: Finding[] = [];
  (vs.spec.hosts ?? []).forEach((h, i) => {
    const host = resolveHost(h, namespaceOf(vs));
    for (const route of routes) {
      const parent = (route.spec.parentRefs ?? []).find((p) => isServiceParent(p) && resolveHost(p.name, p.namespace ?? namespaceOf(route)) === host);
      if (!parent) continue;
      out.push(finding('route-model-conflict', describeObject(vs), `spec.hosts[${i}]`,
        `${describeObject(route)} already routes ${host} in the mesh: Istio uses one of the two and ignores the other without a word`,
        `keep one model per Service: route ${h} with ${describeObject(route)} (kubectl gray works on both), or delete it first`));
    }
  });
  return out;
}
