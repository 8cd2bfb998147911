// `canary` where a Service is routed by the Gateway API: the version is a Service of its own, so the canary gets
// its Deployment and its version Service (the parent's ports, the parent's selector narrowed to the canary's
// version label); --delete takes the routes off it first, then the Service (when kubectl gray made it), then the
// Deployment. Pure.
import { type CanaryIntent, type Deployment, SUBSET_ANNOTATION, canaryDeployment, canaryName } from '../canary.js';
import { type CanaryRequest, canaryFlags, workloadChange } from '../canary-plan.js';
import { IntentError } from '../errors.js';
import { type KubeObject, clone, describeObject, jsonEqual } from '../model.js';
import { type Change, type Plan, change } from '../plan.js';
import { recordChange } from '../history.js';
import { type GatewayRoute, type RouteFilter, type RouteRule, isServiceBackend, mirrorBackend } from './model.js';
import { ruleKind, setRouteWeights, versionBackendName } from './routes.js';

/** The annotation on a canary Deployment naming its version Service. */
export const VERSION_SERVICE_ANNOTATION = 'kubectl-gray.io/version-service';
const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'kubectl-gray' };

export interface GatewayCanarySnapshot {
  base: Deployment;
  existing?: Deployment;
  /** The Service's routes (their parent is the Service). */
  routes: readonly GatewayRoute[];
  /** The parent Service, and every Service of the namespace (the version Service may exist). */
  parent?: KubeObject;
  services: readonly KubeObject[];
}

type ServiceSpec = { selector?: Record<string, string>; ports?: Array<Record<string, unknown>>; [field: string]: unknown };

/** A version Service: the parent's ports (named and typed as they are), its selector with the version label. */
export function versionService(parent: KubeObject, name: string, version: string): KubeObject {
  const spec = (parent['spec'] ?? {}) as ServiceSpec;
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name, namespace: parent.metadata.namespace, labels: { ...MANAGED_BY } },
    spec: { selector: { ...(spec.selector ?? {}), version }, ports: (spec.ports ?? []).map(({ nodePort: _n, ...p }) => p) },
  };
}

export function planGatewayCanaryCreate(snap: GatewayCanarySnapshot, intent: CanaryIntent, req: CanaryRequest): Plan {
  if (!snap.parent) throw new IntentError(`no Service ${req.namespace}/${req.service}: the routes' parent must exist before a version of it`);
  const { deployment, warnings } = canaryDeployment(snap.base, intent);
  const name = versionBackendName(req.service, intent.subset ?? intent.version);
  const current = snap.services.find((s) => s.metadata.name === name);
  const wanted = versionService(snap.parent, name, intent.version);
  const notes = [...warnings];
  let serviceChange: Change;
  if (current && current.metadata.labels?.['app.kubernetes.io/managed-by'] !== 'kubectl-gray') {
    // The user's own version Service: used as it is, never rewritten.
    notes.push(`Note: ${describeObject(current)} exists and was not made by kubectl gray; the canary's pods must match its selector`);
    serviceChange = change(current, current, 'unchanged', () => true);
  } else {
    const next = current ? { ...current, metadata: { ...current.metadata, labels: { ...current.metadata.labels, ...MANAGED_BY } }, spec: { ...(current['spec'] as object), ...(wanted['spec'] as object) } } : wanted;
    serviceChange = change(current, next, current ? 'configured' : 'created', (a, b) => jsonEqual(a['spec'], b['spec']));
  }
  const workload = workloadChange(snap, deployment, { [SUBSET_ANNOTATION]: intent.subset ?? intent.version, [VERSION_SERVICE_ANNOTATION]: name });
  return { changes: [serviceChange, workload], notes, undo: `kubectl gray canary ${snap.base.metadata.name} --delete${canaryFlags(intent)} -n ${req.namespace}` };
}

/** A route with nothing sent to the version: its share to the rule's other backends, its own rules and mirrors gone. */
function withoutVersion(route: GatewayRoute, service: string, backend: string, version: string): GatewayRoute {
  const sendsTo = (rule: RouteRule) => (rule.backendRefs ?? []).some((b) => isServiceBackend(b) && b.name === backend);
  const mirrorsTo = (f: RouteFilter) => mirrorBackend(f) === backend;
  const next = clone(route);
  next.spec.rules = (next.spec.rules ?? [])
    .filter((r) => !(ruleKind(r) === 'owned' && (r.backendRefs ?? []).every((b) => b.name === backend)))
    .map((r) => (r.filters?.some(mirrorsTo) ? { ...r, filters: r.filters.filter((f) => !mirrorsTo(f)) } : r));
  for (const [i, rule] of (next.spec.rules ?? []).entries()) {
    if (!sendsTo(rule)) continue;
    if ((rule.backendRefs ?? []).every((b) => b.name === backend)) {
      throw new IntentError(`${describeObject(route)} spec.rules[${i}] sends everything to ${backend}: move it to another version first (kubectl gray set-weight ${service} <version>=100)`);
    }
    if (ruleKind(rule) === 'targeted') next.spec.rules![i] = { ...rule, backendRefs: rule.backendRefs!.filter((b) => b.name !== backend) };
  }
  return setRouteWeights(next, { namespace: route.metadata.namespace ?? 'default', name: service }, [{ subset: version, percent: 0 }]);
}

export function planGatewayCanaryDelete(snap: GatewayCanarySnapshot, intent: Pick<CanaryIntent, 'version' | 'name' | 'subset'>, req: CanaryRequest): Plan {
  const existing = snap.existing;
  const name = existing?.metadata.annotations?.[VERSION_SERVICE_ANNOTATION] ?? versionBackendName(req.service, intent.subset ?? intent.version);
  const version = name.slice(req.service.length + 1);
  const changes: Change[] = [];
  // 1. Routes: nothing sent to the version any more.
  for (const route of snap.routes) {
    const next = withoutVersion(route, req.service, name, version);
    changes.push(jsonEqual(next.spec, route.spec) ? change(route, route, 'unchanged', () => true)
      : change(route, recordChange(route, next, `canary ${snap.base.metadata.name} --delete`, req.now, req.plan), 'configured', () => false));
  }
  // 2. The version Service, when kubectl gray made it.
  const svc = snap.services.find((s) => s.metadata.name === name);
  if (svc?.metadata.labels?.['app.kubernetes.io/managed-by'] === 'kubectl-gray') changes.push(change(svc, undefined, 'deleted'));
  // 3. The workload.
  if (existing) {
    if (existing.metadata.annotations?.['kubectl-gray.io/canary'] !== 'true') throw new IntentError(`${describeObject(existing)} was not made by kubectl gray canary; not deleting it`);
    changes.push(change(existing, undefined, 'deleted'));
  }
  if (!existing && !changes.some((c) => c.action !== 'unchanged')) {
    throw new IntentError(`no canary of ${describeObject(snap.base)}: deployment ${canaryName(snap.base, { name: intent.name, version: intent.version })} not found and nothing routes to ${name}`);
  }
  return { changes, notes: [], undo: `kubectl gray undo ${req.service} --plan ${req.plan} -n ${req.namespace}` };
}
