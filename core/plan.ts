// One way to change a cluster: a command turns its intent and one read of the cluster into a plan — an
// ordered list of object changes — which is checked as a whole (each change sees the ones before it),
// shown, and only then written. Pure: the plugin reads, executes and prints.
import { reviewIstioObject } from './admission.js';
import { reviewGatewayObject } from './gateway-api/admission.js';
import { isGatewayRoute } from './gateway-api/model.js';
import { IntentError } from './errors.js';
import { HISTORY_ANNOTATION, recordChange, rememberStableSubset } from './history.js';
import { stampWeights } from './trusted-time.js';
import {
  type DestinationRule, type KubeObject, type VirtualService, canonicalJson, describeObject, isDestinationRule, isVirtualService, namespaceOf, objectKey,
} from './model.js';
import type { Policy, Requester } from './policy.js';
import type { Finding } from './rules.js';

export type Resource = 'deployments' | 'destinationrules' | 'virtualservices' | 'envoyfilters' | 'httproutes' | 'grpcroutes' | 'services';

export const KIND_GROUP: Record<Resource, string> = {
  deployments: 'deployment.apps',
  destinationrules: 'destinationrule.networking.istio.io',
  virtualservices: 'virtualservice.networking.istio.io',
  envoyfilters: 'envoyfilter.networking.istio.io',
  httproutes: 'httproute.gateway.networking.k8s.io',
  grpcroutes: 'grpcroute.gateway.networking.k8s.io',
  services: 'service',
};

export type Action = 'create' | 'update' | 'delete' | 'unchanged';

export interface Change {
  resource: Resource;
  namespace: string;
  name: string;
  action: Action;
  /** The object as read (absent for a create). */
  before?: KubeObject;
  /** The object to write (absent for a delete). */
  after?: KubeObject;
  /** Past tense for the result line: "reweighted", "configured", ... */
  verb: string;
}

export interface Plan {
  changes: Change[];
  /** The one command that takes back everything this plan writes. */
  undo: string;
  /** Things the user should know (printed once, on stderr). */
  notes: string[];
}

export function resourceOf(obj: KubeObject): Resource {
  switch (obj.kind) {
    case 'Deployment': return 'deployments';
    case 'DestinationRule': return 'destinationrules';
    case 'VirtualService': return 'virtualservices';
    case 'EnvoyFilter': return 'envoyfilters';
    case 'HTTPRoute': return 'httproutes';
    case 'GRPCRoute': return 'grpcroutes';
    case 'Service': return 'services';
    default: throw new Error(`kubectl-gray does not write ${obj.kind}`);
  }
}

export function changeRef(c: Change): string {
  return `${KIND_GROUP[c.resource]}/${c.name}`;
}

/** A change from what was read to what is wanted: create, update, delete or nothing. */
export function change(before: KubeObject | undefined, after: KubeObject | undefined, verb: string, same: (a: KubeObject, b: KubeObject) => boolean = sameSpec): Change {
  const subject = (after ?? before)!;
  const action: Action = !before ? 'create' : !after ? 'delete' : same(before, after) ? 'unchanged' : 'update';
  return { resource: resourceOf(subject), namespace: namespaceOf(subject), name: subject.metadata.name, action, before, after, verb: action === 'unchanged' ? 'unchanged' : verb };
}

function sameSpec(a: KubeObject, b: KubeObject): boolean {
  return canonicalJson({ spec: a['spec'], labels: a.metadata.labels ?? {}, annotations: a.metadata.annotations ?? {} })
    === canonicalJson({ spec: b['spec'], labels: b.metadata.labels ?? {}, annotations: b.metadata.annotations ?? {} });
}

/** What an edit can change on a VirtualService: the spec, labels and annotations (the history itself aside). */
export function ownedState(vs: VirtualService): string {
  const { [HISTORY_ANNOTATION]: _history, ...annotations } = vs.metadata.annotations ?? {};
  return canonicalJson({ spec: vs.spec, labels: vs.metadata.labels ?? {}, annotations });
}

export interface VsChangeOptions {
  /** How the change reads in history, e.g. "set-weight v2=10". */
  change: string;
  verb: string;
  now: Date;
  plan: string;
  /** The subset that served before the release started (recorded once, for rollback). */
  stable?: string;
  /** Skip history (undo records its own entry). */
  history?: boolean;
}

const routeCount = (vs: VirtualService): number => (vs.spec.http?.length ?? 0) + (vs.spec.tcp?.length ?? 0) + (vs.spec.tls?.length ?? 0);

/**
 * A VirtualService edit as a change, with the stable subset and a history entry recorded. An edit that would
 * take a VirtualService's last route away (rollback or lane delete where kubectl-gray's routes are all that is
 * left, after someone removed the general route by hand) is refused here, with what to do, rather than
 * planned: Istio refuses a VirtualService without routes (GRAY406), so no plan may contain one.
 */
export function vsChange(before: VirtualService, edited: VirtualService, o: VsChangeOptions): Change {
  if (ownedState(before) === ownedState(edited)) return change(before, before, o.verb, () => true);
  if (routeCount(edited) === 0 && routeCount(before) > 0) {
    const removed = (before.spec.http ?? []).map((r, i) => (r.name ? `"${r.name}"` : `http[${i}]`)).join(', ');
    throw new IntentError(`${describeObject(before)} would be left with no route: the routes this command removes (${removed}) are all it has, `
      + `and Istio refuses a VirtualService without routes. Give it a route of its own first, or delete it if nothing should reach the service `
      + `through it (kubectl delete virtualservice ${before.metadata.name} -n ${namespaceOf(before)})`);
  }
  // The time of a weight change, as the webhook's mutating entry stamps it (it stamps it again with its own clock).
  let next = stampWeights(before, rememberStableSubset(edited, o.stable), o.now);
  if (o.history !== false) next = recordChange(before, next, o.change, o.now, o.plan);
  return change(before, next, o.verb, () => false);
}

/** Make-before-break: subsets are added before routes use them; routes leave a subset before it goes. */
function phase(c: Change): number {
  const route = c.resource === 'virtualservices' || c.resource === 'httproutes' || c.resource === 'grpcroutes';
  // A version Service is to a Gateway API route what a subset is to a VirtualService.
  if (c.resource === 'services') return c.action === 'delete' ? 3 : 0;
  if (c.action === 'delete') return route ? 2 : c.resource === 'destinationrules' ? 3 : 4;
  if (c.resource === 'destinationrules') {
    const had = new Set(((c.before?.['spec'] as DestinationRule['spec'] | undefined)?.subsets ?? []).map((s) => s.name));
    const has = new Set(((c.after?.['spec'] as DestinationRule['spec'] | undefined)?.subsets ?? []).map((s) => s.name));
    return [...had].some((n) => !has.has(n)) ? 3 : 0;
  }
  if (route) return 2;
  return 1;
}

export function ordered(changes: readonly Change[]): Change[] {
  return changes.map((c, i) => ({ c, i })).sort((a, b) => phase(a.c) - phase(b.c) || a.i - b.i).map(({ c }) => c);
}

export interface ClusterState {
  virtualServices: readonly VirtualService[];
  destinationRules: readonly DestinationRule[];
  /** For plans that edit Gateway API routes: the Services of the namespaces they name. */
  services?: readonly KubeObject[];
}

function replaced<T extends KubeObject>(list: readonly T[], key: string, next: T | undefined): T[] {
  const out = list.filter((o) => objectKey(o) !== key);
  if (next) out.push(next);
  return out;
}

/** Applies a plan's changes in order to the state (what the cluster holds once the plan is written). */
export function applyPlan(state: ClusterState, changes: readonly Change[]): ClusterState {
  let { virtualServices, destinationRules } = state;
  const { services } = state;
  for (const c of changes) {
    if (c.action === 'unchanged') continue;
    const key = `${c.namespace}/${c.name}`;
    if (c.resource === 'virtualservices') virtualServices = replaced(virtualServices, key, c.after as VirtualService | undefined);
    if (c.resource === 'destinationrules') destinationRules = replaced(destinationRules, key, c.after as DestinationRule | undefined);
  }
  return { virtualServices, destinationRules, ...(services ? { services } : {}) };
}

/**
 * The whole plan under the shared rules, in write order: each Istio object is judged against the cluster
 * as the changes before it leave it, so a subset the plan adds satisfies a route the plan adds after it,
 * and a subset the plan removes is checked against routes as the plan left them.
 */
export function checkPlan(changes: readonly Change[], state: ClusterState, policyOf: Policy | ((namespace: string) => Policy), now: Date, requester?: Requester): Finding[] {
  const findings: Finding[] = [];
  let current = state;
  for (const c of changes) {
    const policy = typeof policyOf === 'function' ? policyOf(c.namespace) : policyOf;
    if (c.action !== 'unchanged' && (isVirtualService(c.after ?? c.before) || isDestinationRule(c.after ?? c.before))) {
      findings.push(...reviewIstioObject({
        operation: c.action === 'create' ? 'CREATE' : c.action === 'delete' ? 'DELETE' : 'UPDATE',
        object: c.after ?? null, oldObject: c.before ?? null,
        virtualServices: current.virtualServices, destinationRules: current.destinationRules, policy, now, ...(requester ? { requester } : {}),
      }));
    }
    if (c.action !== 'unchanged' && isGatewayRoute(c.after ?? c.before)) {
      findings.push(...reviewGatewayObject({
        operation: c.action === 'create' ? 'CREATE' : c.action === 'delete' ? 'DELETE' : 'UPDATE',
        object: c.after ?? null, oldObject: c.before ?? null, services: current.services, virtualServices: current.virtualServices, policy, now, ...(requester ? { requester } : {}),
      }));
    }
    current = applyPlan(current, [c]);
  }
  return findings;
}
