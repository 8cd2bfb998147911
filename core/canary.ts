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
  /** The version label of the canary pods and the name of its subset. */
  version: string;
  replicas: number;
  /** Which container gets the new image (default: the first). */
  container?: string;
}

export function canaryName(base: string): string {
  return `${base}-canary`;
}

export function canarySubset(version: string): Subset {
  return { name: version, labels: { version, [GRAY_TAG_LABEL]: GRAY_TAG_VALUE } };
}

/**
 * The canary Deployment for a base one. Its selector keeps the base's keys with version replaced, so
 * the two never select each other's pods; a base selector without a version key would select the
 * canary's pods too, and selectors cannot change after creation, so that is refused.
 */
export function canaryDeployment(base: Deployment, intent: CanaryIntent): Deployment {
  const name = base.metadata.name;
  const selector = base.spec?.selector?.matchLabels ?? {};
  if (!('version' in selector)) {
    throw new IntentError(
      `${describeObject(base)} selects pods by ${Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',') || 'nothing'} only, ` +
      'so it would also select the canary\'s pods. Add a version label to its selector (selectors are immutable: recreate it) and try again');
  }
  if (selector['version'] === intent.version) {
    throw new IntentError(`${describeObject(base)} is already version ${intent.version}; give the canary another --version`);
  }
  const containers = base.spec.template.spec.containers ?? [];
  const index = intent.container ? containers.findIndex((c) => c.name === intent.container) : 0;
  if (index < 0 || !containers[index]) {
    throw new IntentError(`${describeObject(base)} has no container ${intent.container ?? '#0'} (containers: ${containers.map((c) => c.name).join(', ')})`);
  }
  const spec = clone(base.spec);
  spec.replicas = intent.replicas;
  spec.selector = { ...spec.selector, matchLabels: { ...selector, version: intent.version } };
  spec.template.metadata = {
    ...spec.template.metadata,
    labels: { ...(spec.template.metadata?.labels ?? {}), version: intent.version, [GRAY_TAG_LABEL]: GRAY_TAG_VALUE },
  };
  spec.template.spec.containers[index] = { ...containers[index]!, image: intent.image };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: canaryName(name),
      namespace: base.metadata.namespace,
      labels: { ...(base.metadata.labels ?? {}), version: intent.version, [GRAY_TAG_LABEL]: GRAY_TAG_VALUE },
      // The version annotation tells the mutating webhook the same version the labels carry.
      annotations: { [CANARY_ANNOTATION]: 'true', [VERSION_ANNOTATION]: intent.version, [BASE_ANNOTATION]: name },
    },
    spec,
  };
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

export function newDestinationRule(service: string, namespace: string, subsets: Subset[]): DestinationRule {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: service, namespace, labels: { 'app.kubernetes.io/managed-by': 'kubectl-gray' } },
    spec: { host: service, subsets },
  };
}
