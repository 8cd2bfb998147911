// Who else manages an Istio object, from the markers each project itself writes or reads. Pure: the
// plugin hands over the object and the controllers' objects (read only when their CRDs are served).
//
// - Flagger: the VirtualService and DestinationRules it generates carry an ownerReference to its
//   Canary (apiVersion flagger.app/v1beta1, kind Canary, controller true).
// - Argo Rollouts: a Rollout names them under spec.strategy.canary.trafficRouting.istio
//   (virtualService.name or virtualServices[].name, destinationRule.name), "name" or "name.namespace".
// - OpenKruise Rollouts: a Rollout (spec.strategy.canary.trafficRoutings[]) or a TrafficRouting
//   (spec.objectRef[]) lists them in customNetworkRefs {apiVersion, kind, name}, in its own namespace.
// - Argo CD: annotation argocd.argoproj.io/tracking-id (annotation tracking, the default since 2.x
//   installs chose it and in 3.x), or the instance label app.kubernetes.io/instance (label tracking).
// - Helm: label app.kubernetes.io/managed-by: Helm with annotations meta.helm.sh/release-name/-namespace.
import { type KubeObject, namespaceOf } from './model.js';

export interface Controllers {
  /** argoproj.io Rollouts; undefined when that CRD is not served. */
  argoRollouts?: readonly KubeObject[];
  /** rollouts.kruise.io Rollouts and TrafficRoutings; undefined when not served. */
  kruiseRollouts?: readonly KubeObject[];
  kruiseTrafficRoutings?: readonly KubeObject[];
  /** Argo CD's Application CRD is served (label tracking only means Argo CD when it is). */
  argoCd?: boolean;
  /** Argo CD's settings (ConfigMap argocd-cm), when readable: its tracking method and instance label. */
  argoCdSettings?: { trackingMethod?: string; instanceLabelKey?: string };
  /** Argo CD Applications this user can read (to tell self-heal from manual sync). */
  argoApplications?: readonly KubeObject[];
}

export interface Owner {
  who: string;
  /** A controller that rewrites the object continuously: an edit would be fought over. */
  fights: boolean;
  /** What will happen to the edit, and what to do instead. */
  message: string;
}

export const ARGOCD_TRACKING_ANNOTATION = 'argocd.argoproj.io/tracking-id';
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const HELM_RELEASE_ANNOTATION = 'meta.helm.sh/release-name';
export const HELM_NAMESPACE_ANNOTATION = 'meta.helm.sh/release-namespace';

type Json = Record<string, unknown>;
const at = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Json)[k] : undefined), o);
const list = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

/** Argo Rollouts' "name" or "name.namespace". */
function argoRef(raw: unknown, rolloutNs: string): string | undefined {
  if (typeof raw !== 'string' || !raw) return undefined;
  const [name, ns] = raw.split('.');
  return `${ns || rolloutNs}/${name}`;
}

function argoRolloutRefs(rollout: KubeObject, kind: 'VirtualService' | 'DestinationRule'): string[] {
  const istio = at(rollout, 'spec', 'strategy', 'canary', 'trafficRouting', 'istio');
  const ns = namespaceOf(rollout);
  if (kind === 'DestinationRule') return [argoRef(at(istio, 'destinationRule', 'name'), ns)].filter((x): x is string => !!x);
  return [at(istio, 'virtualService', 'name'), ...list(at(istio, 'virtualServices')).map((v) => v['name'])]
    .map((n) => argoRef(n, ns)).filter((x): x is string => !!x);
}

function kruiseRefs(obj: KubeObject, kind: string): string[] {
  const ns = namespaceOf(obj);
  const groups = obj.kind === 'TrafficRouting' ? list(at(obj, 'spec', 'objectRef')) : list(at(obj, 'spec', 'strategy', 'canary', 'trafficRoutings'));
  return groups.flatMap((g) => list(g['customNetworkRefs']))
    .filter((r) => r['kind'] === kind && typeof r['name'] === 'string')
    .map((r) => `${ns}/${String(r['name'])}`);
}

/** What Argo CD will do with a hand edit, from the Application's sync policy when it can be read. */
function argoOutcome(app: string, applications: readonly KubeObject[] | undefined): string {
  // An Application in another namespace than Argo CD's is tracked as "<namespace>_<name>".
  const [ns, name] = app.includes('_') ? app.split('_') as [string, string] : [undefined, app];
  const found = (applications ?? []).find((a) => a.metadata.name === name && (!ns || namespaceOf(a) === ns));
  if (!found) return 'with self-heal it reverts this edit at the next sync, otherwise the application shows OutOfSync';
  const automated = at(found, 'spec', 'syncPolicy', 'automated') as { selfHeal?: boolean } | undefined;
  if (automated?.selfHeal) return 'it syncs automatically with self-heal, so it reverts this edit within moments';
  if (automated) return 'it syncs automatically without self-heal: the edit lasts until the next change in Git, which reverts it';
  return 'it syncs by hand: the application shows OutOfSync, and the next sync reverts this edit';
}

export function ownersOf(obj: KubeObject, controllers: Controllers): Owner[] {
  const out: Owner[] = [];
  const key = `${namespaceOf(obj)}/${obj.metadata.name}`;
  const what = `${obj.kind} ${key}`;
  const refs = (obj.metadata['ownerReferences'] ?? []) as Array<{ apiVersion?: string; kind?: string; name?: string }>;
  for (const r of Array.isArray(refs) ? refs : []) {
    if (r.kind === 'Canary' && (r.apiVersion ?? '').startsWith('flagger.app/')) {
      out.push({ who: `Flagger Canary ${namespaceOf(obj)}/${r.name}`, fights: true,
        message: `${what} is generated by Flagger Canary ${r.name}; Flagger rewrites it on every analysis step. Change the Canary instead` });
    }
  }
  if (obj.kind === 'VirtualService' || obj.kind === 'DestinationRule') {
    for (const ro of controllers.argoRollouts ?? []) {
      if (argoRolloutRefs(ro, obj.kind).includes(key)) {
        out.push({ who: `Argo Rollouts Rollout ${namespaceOf(ro)}/${ro.metadata.name}`, fights: true,
          message: `${what} is driven by Argo Rollouts Rollout ${namespaceOf(ro)}/${ro.metadata.name} (spec.strategy.canary.trafficRouting.istio); the controller resets its weights. Use kubectl argo rollouts instead` });
      }
    }
    for (const ro of [...(controllers.kruiseRollouts ?? []), ...(controllers.kruiseTrafficRoutings ?? [])]) {
      if (kruiseRefs(ro, obj.kind).includes(key)) {
        out.push({ who: `OpenKruise ${ro.kind} ${namespaceOf(ro)}/${ro.metadata.name}`, fights: true,
          message: `${what} is driven by OpenKruise ${ro.kind} ${namespaceOf(ro)}/${ro.metadata.name} (customNetworkRefs); the controller rewrites its routes during a rollout. Change the ${ro.kind} instead` });
      }
    }
  }
  const labels = obj.metadata.labels ?? {};
  const annotations = obj.metadata.annotations ?? {};
  const tracking = annotations[ARGOCD_TRACKING_ANNOTATION];
  const helm = labels[MANAGED_BY_LABEL] === 'Helm' && !!annotations[HELM_RELEASE_ANNOTATION];
  // Label tracking: the instance label (application.instanceLabelKey) names the app, unless argocd-cm says
  // the tracking method is annotation or annotation+label (then the label is only informational).
  const labelKey = controllers.argoCdSettings?.instanceLabelKey || INSTANCE_LABEL;
  const method = controllers.argoCdSettings?.trackingMethod;
  const byLabel = controllers.argoCd && (!method || method === 'label') && labels[labelKey] && !(helm && labelKey === INSTANCE_LABEL);
  const app = tracking ? tracking.split(':')[0]! : byLabel ? labels[labelKey]! : undefined;
  if (app) {
    const how = tracking ? `annotation ${ARGOCD_TRACKING_ANNOTATION}` : `label ${labelKey}=${app}`;
    out.push({ who: `Argo CD application ${app}`, fights: false, message: `${what} is tracked by Argo CD application ${app} (${how}): ${argoOutcome(app, controllers.argoApplications)}. Make the change in Git for it to last` });
  }
  if (helm) {
    const release = `${annotations[HELM_NAMESPACE_ANNOTATION] ?? namespaceOf(obj)}/${annotations[HELM_RELEASE_ANNOTATION]}`;
    out.push({ who: `Helm release ${release}`, fights: false,
      message: `${what} belongs to Helm release ${release}: the next helm upgrade puts back what the chart renders. Change the chart's values for it to last` });
  }
  return out;
}
