// What the mutating webhook does to a new Deployment: give its pods the labels Istio subsets select on.
// Pure: a Deployment in, the labels to set (and why not, if it cannot) out; the webhook makes the patch.

export const VERSION_ANNOTATION = 'kubectl-gray.io/version';
export const CANARY_ANNOTATION = 'kubectl-gray.io/canary';
export const GRAY_TAG_LABEL = 'istio.service.tag';
export const GRAY_TAG_VALUE = 'gray';

export interface DeploymentLike {
  metadata?: { name?: string; annotations?: Record<string, string> };
  spec?: {
    selector?: { matchLabels?: Record<string, string> };
    template?: { metadata?: { labels?: Record<string, string> }; spec?: { containers?: Array<{ image?: string }> } };
  };
}

export interface LabelPlan {
  /** Pod template labels to set (added or replaced). */
  set: Record<string, string>;
  warnings: string[];
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** The tag of an image reference: "repo/app:1.2" -> "1.2"; a digest or no tag gives undefined. */
export function imageTag(image: string | undefined): string | undefined {
  if (!image) return undefined;
  const withoutDigest = image.split('@')[0]!;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  return colon > lastSlash ? withoutDigest.slice(colon + 1) : undefined;
}

export function planDeploymentLabels(d: DeploymentLike): LabelPlan {
  const labels = d.spec?.template?.metadata?.labels ?? {};
  const selector = d.spec?.selector?.matchLabels ?? {};
  const annotations = d.metadata?.annotations ?? {};
  const plan: LabelPlan = { set: {}, warnings: [] };
  const name = d.metadata?.name ?? 'deployment';
  const canary = ['true', 'yes', '1'].includes((annotations[CANARY_ANNOTATION] ?? '').toLowerCase());

  if (canary) {
    const version = annotations[VERSION_ANNOTATION] || 'canary';
    setChecked(plan, labels, selector, 'version', version, name);
    if (labels[GRAY_TAG_LABEL] !== GRAY_TAG_VALUE) setChecked(plan, labels, selector, GRAY_TAG_LABEL, GRAY_TAG_VALUE, name);
    return plan;
  }
  if (!labels['app'] || labels['version']) return plan;
  const version = annotations[VERSION_ANNOTATION] || imageTag(d.spec?.template?.spec?.containers?.[0]?.image);
  if (!version) {
    plan.warnings.push(`kubectl-gray: ${name} has no version label and its first image has no tag; set annotation ${VERSION_ANNOTATION}`);
    return plan;
  }
  setChecked(plan, labels, selector, 'version', version, name);
  return plan;
}

function setChecked(plan: LabelPlan, labels: Record<string, string>, selector: Record<string, string>, key: string, value: string, name: string): void {
  if (labels[key] === value) return;
  if (value.length > 63 || !LABEL_VALUE.test(value)) {
    plan.warnings.push(`kubectl-gray: ${name}: "${value}" is not a valid label value; ${key} not set (set annotation ${VERSION_ANNOTATION})`);
    return;
  }
  // Changing a label the selector requires would make the Deployment invalid: leave it to the user.
  if (selector[key] !== undefined && selector[key] !== value) {
    plan.warnings.push(`kubectl-gray: ${name}: spec.selector requires ${key}=${selector[key]}; pod label ${key} left as it is`);
    return;
  }
  plan.set[key] = value;
}
