// What the cross-object checks look at: the objects given (files, the live cluster, or both), sorted by kind, one
// object per namespace/name (a later file's object replaces an earlier one, as kubectl apply would). Files alone
// are rarely the whole picture: a check that needs to know that something does not exist runs only on the live
// cluster (`complete`), or, for Gateways and Pods, when some are given.
import { type DestinationRule, type KubeObject, type VirtualService, isDestinationRule, isVirtualService, namespaceOf } from '../model.js';

export interface Inventory {
  /** Everything that exists is here (analyze --cluster): what is absent does not exist. */
  complete: boolean;
  virtualServices: readonly VirtualService[];
  destinationRules: readonly DestinationRule[];
  services: readonly KubeObject[];
  serviceEntries: readonly KubeObject[];
  gateways: readonly KubeObject[];
  pods: readonly KubeObject[];
  requestAuthentications: readonly KubeObject[];
}

/** The API group of an apiVersion ("" for the core group's "v1"). */
export const groupOf = (apiVersion: string | undefined) => (apiVersion?.includes('/') ? apiVersion.split('/')[0]! : '');

export function inventoryOf(given: readonly KubeObject[], complete = false): Inventory {
  const latest = new Map<string, KubeObject>();
  for (const o of given) latest.set(`${groupOf(o.apiVersion)}/${o.kind}/${namespaceOf(o)}/${o.metadata?.name}`, o);
  const objects = [...latest.values()];
  const of = (kind: string, group: (g: string) => boolean) => objects.filter((o) => o.kind === kind && group(groupOf(o.apiVersion)));
  const istio = (g: string) => g.endsWith('istio.io');
  return {
    complete,
    virtualServices: objects.filter(isVirtualService) as VirtualService[],
    destinationRules: objects.filter(isDestinationRule) as DestinationRule[],
    services: of('Service', (g) => g === ''),
    serviceEntries: of('ServiceEntry', istio),
    gateways: of('Gateway', istio),
    // What will run: the pods given, and the pods a Deployment's template makes (files hold Deployments, not pods).
    pods: [...of('Pod', (g) => g === ''), ...of('Deployment', (g) => g === 'apps').map(templatePod)],
    requestAuthentications: of('RequestAuthentication', istio),
  };
}

/** A Deployment as the pod its template makes, named after it. */
function templatePod(d: KubeObject): KubeObject {
  const template = (d['spec'] as { template?: { metadata?: { labels?: unknown } } } | undefined)?.template;
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${d.metadata.name} (Deployment)`, namespace: namespaceOf(d), labels: labelsOf(template?.metadata?.labels) } };
}

/** The gateways a VirtualService is bound to, "mesh" when none is named. */
export function gatewaysOf(vs: VirtualService): string[] {
  const gateways = (vs.spec as { gateways?: unknown }).gateways;
  return Array.isArray(gateways) && gateways.length > 0 ? gateways.map(String) : ['mesh'];
}

export const isMeshBound = (vs: VirtualService) => gatewaysOf(vs).includes('mesh');

/** Labels as a map of strings (pods, selectors); anything else reads as none. */
export function labelsOf(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
}

export const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);
