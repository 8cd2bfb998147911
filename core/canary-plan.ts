// The plans behind `canary`: create (subset first, then the workload) and delete (routes off the
// subset, then the subset, then the workload), for any Deployment and any DestinationRule naming. Pure.
import {
  CREATED_RULE_ANNOTATION, type CanaryIntent, type Deployment, RULE_ANNOTATION, SUBSET_ANNOTATION, canaryDeployment, canaryName,
  canarySubset, newDestinationRule, selectorMatches, withSubset, withoutSubset,
} from './canary.js';
import { IntentError } from './errors.js';
import { resolveHost, serviceNamespace } from './hosts.js';
import { type DestinationRule, type VirtualService, canonicalJson, describeObject, objectKey } from './model.js';
import { type Change, type Plan, change, vsChange } from './plan.js';
import { lookupSubsets } from './subsets.js';
import { entryPoints, withoutServiceSubset } from './traffic.js';

export interface CanarySnapshot {
  base: Deployment;
  /** The canary Deployment if it exists already. */
  existing?: Deployment;
  virtualServices: readonly VirtualService[];
  destinationRules: readonly DestinationRule[];
  /** The service's selector, when the Service exists (to tell which subsets select the canary's pods). */
  serviceSelector?: Record<string, string>;
}

export interface CanaryRequest {
  service: string;
  namespace: string;
  now: Date;
  plan: string;
}

/** The DestinationRule that defines the service's subsets, seen from the service's namespace, whatever its name. */
export function ruleOf(service: string, namespace: string, rules: readonly DestinationRule[]): DestinationRule | undefined {
  const fqdn = resolveHost(service, namespace);
  return lookupSubsets(fqdn, serviceNamespace(fqdn) ?? namespace, rules).rules.find((r) => !r.spec.host.startsWith('*'));
}

/** The flags that name a canary again (for the command that undoes a plan). */
export function canaryFlags(intent: Pick<CanaryIntent, 'version' | 'name' | 'subset'>): string {
  return `${intent.version !== 'canary' ? ` --version ${intent.version}` : ''}${intent.name ? ` --name ${intent.name}` : ''}${intent.subset && intent.subset !== intent.version ? ` --subset ${intent.subset}` : ''}`;
}

export function planCanaryCreate(snap: CanarySnapshot, intent: CanaryIntent, req: CanaryRequest): Plan {
  const { deployment, warnings } = canaryDeployment(snap.base, intent);
  const subsetName = intent.subset ?? intent.version;
  const subset = canarySubset(subsetName, intent.version);
  const notes = [...warnings];
  const current = ruleOf(req.service, req.namespace, snap.destinationRules);
  let rule: DestinationRule;
  let created = false;
  if (current) {
    rule = withSubset(current, subset);
    // A subset of the user's that selects by app alone would take the canary's pods into it.
    const podLabels = deployment.spec.template.metadata?.labels ?? {};
    for (const s of current.spec.subsets ?? []) {
      if (s.name === subsetName) continue;
      if (selectorMatches({ matchLabels: { ...(snap.serviceSelector ?? {}), ...(s.labels ?? {}) } }, podLabels)) {
        notes.push(`Warning: subset "${s.name}" of ${describeObject(current)} selects ${Object.entries(s.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || 'every pod of the service'}, which includes the canary's pods: its traffic would reach the canary too. Give it a version label`);
      }
    }
  } else {
    const taken = snap.destinationRules.some((d) => (d.metadata.namespace ?? req.namespace) === req.namespace && d.metadata.name === req.service);
    rule = newDestinationRule(req.service, req.namespace, [subset], taken ? `${req.service}-gray` : req.service);
    created = true;
  }
  const workload = workloadChange(snap, deployment, {
    [SUBSET_ANNOTATION]: subsetName,
    [RULE_ANNOTATION]: objectKey(rule),
    ...(created || snap.existing?.metadata.annotations?.[CREATED_RULE_ANNOTATION] === 'true' ? { [CREATED_RULE_ANNOTATION]: 'true' } : {}),
  });
  const changes: Change[] = [change(current, rule, current ? 'configured' : 'created'), workload];
  return { changes, notes, undo: `kubectl gray canary ${snap.base.metadata.name} --delete${canaryFlags(intent)} -n ${req.namespace}` };
}

/**
 * The canary Deployment as a change: created, or the one kubectl gray made before brought in line (its selector
 * cannot change; everything else becomes the canary's). One not made by kubectl gray is never taken over.
 */
export function workloadChange(snap: Pick<CanarySnapshot, 'existing'>, deployment: Deployment, annotations: Record<string, string>): Change {
  deployment.metadata.annotations = { ...deployment.metadata.annotations, ...annotations };
  // The API server fills in defaults on the template, so compare only what the canary sets.
  const ours = (d: Deployment) => canonicalJson({
    labels: d.spec.template.metadata?.labels, images: d.spec.template.spec.containers.map((c) => c.image), replicas: d.spec.replicas,
    annotations: d.metadata.annotations,
  });
  const existing = snap.existing;
  if (existing && existing.metadata.annotations?.['kubectl-gray.io/canary'] !== 'true') {
    throw new IntentError(`${describeObject(existing)} exists and was not made by kubectl gray canary; name the canary with --name`);
  }
  const desired: Deployment = existing
    ? { ...existing, metadata: { ...existing.metadata, labels: deployment.metadata.labels, annotations: { ...existing.metadata.annotations, ...deployment.metadata.annotations } }, spec: { ...deployment.spec, selector: existing.spec.selector } }
    : deployment;
  return change(existing, desired, existing ? 'configured' : 'created', (a, b) => ours(a as Deployment) === ours(b as Deployment));
}

export interface CanaryDeleteSnapshot extends Omit<CanarySnapshot, 'existing'> {
  existing?: Deployment;
}

export function planCanaryDelete(snap: CanaryDeleteSnapshot, intent: Pick<CanaryIntent, 'version' | 'name' | 'subset'>, req: CanaryRequest): Plan {
  const existing = snap.existing;
  const subsetName = existing?.metadata.annotations?.[SUBSET_ANNOTATION] ?? intent.subset ?? intent.version;
  const fqdn = resolveHost(req.service, req.namespace);
  const changes: Change[] = [];
  // 1. Routes: every VirtualService through which traffic reaches the service stops sending anything to the subset.
  for (const e of entryPoints(fqdn, snap.virtualServices)) {
    changes.push(vsChange(e.vs, withoutServiceSubset(e.vs, fqdn, subsetName), { change: `canary ${snap.base.metadata.name} --delete`, verb: 'configured', now: req.now, plan: req.plan }));
  }
  // 2. The subset (and the DestinationRule, if the canary created it and nothing else is left in it).
  const ruleKey = existing?.metadata.annotations?.[RULE_ANNOTATION];
  const rule = (ruleKey ? snap.destinationRules.find((d) => objectKey(d) === ruleKey) : undefined) ?? ruleOf(req.service, req.namespace, snap.destinationRules);
  if (rule && (rule.spec.subsets ?? []).some((s) => s.name === subsetName)) {
    const next = withoutSubset(rule, subsetName);
    const createdByUs = existing?.metadata.annotations?.[CREATED_RULE_ANNOTATION] === 'true' && rule.metadata.labels?.['app.kubernetes.io/managed-by'] === 'kubectl-gray';
    changes.push(createdByUs && (next.spec.subsets ?? []).length === 0 ? change(rule, undefined, 'deleted') : change(rule, next, 'configured'));
  }
  // 3. The workload.
  if (existing) {
    if (existing.metadata.annotations?.['kubectl-gray.io/canary'] !== 'true') {
      throw new IntentError(`${describeObject(existing)} was not made by kubectl gray canary; not deleting it`);
    }
    changes.push(change(existing, undefined, 'deleted'));
  }
  if (changes.every((c) => c.action === 'unchanged') && !existing) {
    throw new IntentError(`no canary of ${describeObject(snap.base)}: deployment ${canaryName(snap.base, { name: intent.name, version: intent.version })} not found and no subset "${subsetName}" to remove`);
  }
  const image = existing?.spec.template.spec.containers.map((c) => c.image).find((img, i) => img !== snap.base.spec.template.spec.containers[i]?.image);
  return {
    changes, notes: [],
    undo: image ? `kubectl gray canary ${snap.base.metadata.name} --image ${image}${canaryFlags(intent)} -n ${req.namespace}` : `kubectl gray undo ${req.service} --plan ${req.plan} -n ${req.namespace}`,
  };
}

