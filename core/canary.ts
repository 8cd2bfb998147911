// Canary workloads: a copy of a base Deployment with a new image, labelled so that a DestinationRule
// subset (and nothing else) selects its pods. Pure: the plugin reads and writes the objects.
import { CANARY_ANNOTATION, GRAY_TAG_LABEL, GRAY_TAG_VALUE, VERSION_ANNOTATION } from './deployment-labels.js';
import { IntentError } from './errors.js';
import { type DestinationRule, type KubeObject, type Subset, clone, describeObject } from './model.js';

export const BASE_ANNOTATION = 'kubectl-gray.io/base';

export interface Container { name?: string; image?: string; [k: string]: unknown }

export interface Deployment extends KubeObject {
  spec: {
    replicas?: number;
    selector: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
    template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown }; spec: { containers: Container[]; [k: string]: unknown } };
    [k: string]: unknown;
  };
}

export interface CanaryIntent {
  image: string;
  /** The version label of the canary pods. */
  version: string;
  replicas: number;
  /** Which container gets the new image (default: the first). */
  container?: string;
  /** The canary Deployment's name (default: <app label>-<version>). */
  name?: string;
  /** The subset that selects the canary's pods (default: the version). */
  subset?: string;
}

export const SUBSET_ANNOTATION = 'kubectl-gray.io/subset';
export const RULE_ANNOTATION = 'kubectl-gray.io/destinationrule';
export const CREATED_RULE_ANNOTATION = 'kubectl-gray.io/created-destinationrule';

export interface Expression { key: string; operator: string; values?: string[] }
export interface LabelSelector { matchLabels?: Record<string, string>; matchExpressions?: unknown[] }

/** Kubernetes label-selector semantics (matchLabels AND every matchExpression). */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return byLabels && ((selector.matchExpressions ?? []) as Expression[]).every((e) => {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    switch (e.operator) {
      case 'In': return has && (e.values ?? []).includes(labels[e.key]!);
      case 'NotIn': return !has || !(e.values ?? []).includes(labels[e.key]!);
      case 'Exists': return has;
      case 'DoesNotExist': return !has;
      default: return false;
    }
  });
}

function describeSelector(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of (selector.matchExpressions ?? []) as Expression[]) parts.push(`${e.key} ${e.operator}${e.values ? ` (${e.values.join(',')})` : ''}`);
  return parts.join(',') || 'nothing';
}

/** The app a Deployment serves: its pods' app label (app.kubernetes.io/name as a fallback). */
export function appOf(base: Deployment): string | undefined {
  const labels = base.spec?.template?.metadata?.labels ?? {};
  return labels['app'] ?? labels['app.kubernetes.io/name'];
}

export function canaryName(base: Deployment, intent: Pick<CanaryIntent, 'name' | 'version'>): string {
  return intent.name ?? `${appOf(base) ?? base.metadata.name}-${intent.version}`;
}

export function canarySubset(name: string, version: string): Subset {
  return { name, labels: { version, [GRAY_TAG_LABEL]: GRAY_TAG_VALUE } };
}

export interface CanaryWorkload {
  deployment: Deployment;
  /** Said once: why the base's selector matching the canary's pods is safe. */
  warnings: string[];
}

/**
 * The canary Deployment for a base one: the base's pod template with the new image, pods labelled
 * version=<version> and istio.service.tag=gray, and a selector of its own — the base's, with any
 * condition on version replaced by version=<version> — so the canary never selects the base's pods.
 * The base's selector may still match the canary's pods (a selector by app alone does): that is safe,
 * because a ReplicaSet only adopts pods without a controller, and the canary's pods have one.
 */
export function canaryDeployment(base: Deployment, intent: CanaryIntent): CanaryWorkload {
  const baseName = base.metadata.name;
  const selector: LabelSelector = base.spec?.selector ?? {};
  const baseLabels = base.spec?.template?.metadata?.labels ?? {};
  if (baseLabels['version'] === intent.version || selector.matchLabels?.['version'] === intent.version) {
    throw new IntentError(`${describeObject(base)} is already version ${intent.version}; give the canary another --version`);
  }
  const containers = base.spec.template.spec.containers ?? [];
  const index = intent.container ? containers.findIndex((c) => c.name === intent.container) : 0;
  if (index < 0 || !containers[index]) {
    throw new IntentError(`${describeObject(base)} has no container ${intent.container ?? '#0'} (containers: ${containers.map((c) => c.name).join(', ')}); pick one with --container`);
  }
  if (!intent.container && containers.length > 1) {
    throw new IntentError(`${describeObject(base)} runs ${containers.length} containers (${containers.map((c) => c.name).join(', ')}); say which one gets the new image with --container NAME`);
  }
  const podLabels = { ...baseLabels, version: intent.version, [GRAY_TAG_LABEL]: GRAY_TAG_VALUE };
  const expressions = ((selector.matchExpressions ?? []) as Expression[]).filter((e) => e.key !== 'version');
  const canarySelector: LabelSelector = {
    matchLabels: { ...(selector.matchLabels ?? {}), version: intent.version },
    ...(expressions.length ? { matchExpressions: expressions } : {}),
  };
  for (const e of expressions) {
    if (!selectorMatches({ matchExpressions: [e] }, podLabels)) {
      throw new IntentError(
        `${describeObject(base)} spec.selector.matchExpressions (${e.key} ${e.operator}${e.values ? ` ${e.values.join(',')}` : ''}) cannot hold for the canary's pods ` +
        `(labels ${Object.entries(podLabels).map(([k, v]) => `${k}=${v}`).join(',')}), so no selector separates the two; ` +
        'change the base\'s selector (selectors are immutable: recreate the Deployment) or label the canary differently');
    }
  }
  if (selectorMatches(canarySelector, baseLabels)) {
    throw new IntentError(`${describeObject(base)}'s pods would match the canary's selector ${describeSelector(canarySelector)}; they cannot be told apart`);
  }
  const warnings: string[] = [];
  if (selectorMatches(selector, podLabels)) {
    warnings.push(
      `Warning: ${describeObject(base)} selects pods by ${describeSelector(selector)}, which also matches the canary's pods. ` +
      'That is safe: a ReplicaSet adopts only pods that have no controller, and the canary\'s pods belong to the canary\'s ReplicaSet; ' +
      `the canary's own selector (${describeSelector(canarySelector)}) never matches the base's pods.`);
  }
  const spec = clone(base.spec);
  spec.replicas = intent.replicas;
  spec.selector = canarySelector as Deployment['spec']['selector'];
  spec.template.metadata = { ...spec.template.metadata, labels: podLabels };
  spec.template.spec.containers[index] = { ...containers[index]!, image: intent.image };
  const deployment: Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: canaryName(base, intent),
      namespace: base.metadata.namespace,
      labels: { ...(base.metadata.labels ?? {}), version: intent.version, [GRAY_TAG_LABEL]: GRAY_TAG_VALUE },
      // The version annotation tells the mutating webhook the same version the labels carry.
      annotations: { [CANARY_ANNOTATION]: 'true', [VERSION_ANNOTATION]: intent.version, [BASE_ANNOTATION]: baseName },
    },
    spec,
  };
  return { deployment, warnings };
}

/** The DestinationRule with the subset added (or its labels updated); a no-op when it is already there. */
export function withSubset(dr: DestinationRule, subset: Subset): DestinationRule {
  const next = clone(dr);
  const subsets = (next.spec.subsets ??= []);
  const i = subsets.findIndex((s) => s.name === subset.name);
  if (i >= 0) subsets[i] = { ...subsets[i], labels: subset.labels };
  else subsets.push(subset);
  return next;
}

export function withoutSubset(dr: DestinationRule, name: string): DestinationRule {
  const next = clone(dr);
  next.spec.subsets = (next.spec.subsets ?? []).filter((s) => s.name !== name);
  return next;
}

export function newDestinationRule(service: string, namespace: string, subsets: Subset[], name = service): DestinationRule {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'kubectl-gray' } },
    spec: { host: service, subsets },
  };
}
