// The view model behind `kubectl gray status`: where each route sends traffic and which pods stand
// behind each subset. Pure: the plugin gathers objects and pods, this decides what they mean.
import { resolveHost, serviceName, serviceNamespace } from './hosts.js';
import { type DestinationRule, type HTTPMatchRequest, type VirtualService, namespaceOf, objectKey } from './model.js';
import { routeFindings } from './analyzers/index.js';
import { selects } from './analyzers/inventory.js';
import { shadowingOf } from './analyzers/shadowed.js';
import { type Finding } from './rules.js';
import { lookupSubsets } from './subsets.js';
import { checkVirtualService, isCatchAll } from './validate.js';
import { effectiveShares } from './weights.js';

export interface PodInfo {
  name: string;
  labels: Record<string, string>;
  ready: boolean;
}

export interface StatusInput {
  destinationRules: readonly DestinationRule[];
  /** Service selectors by "namespace/name"; undefined when the Service does not exist. */
  serviceSelectors: ReadonlyMap<string, Record<string, string> | undefined>;
  /** Pods by namespace. */
  pods: ReadonlyMap<string, readonly PodInfo[]>;
  /** The VirtualServices read beside it: for a second one of its host, and gateway routes that skip its split. */
  virtualServices?: readonly VirtualService[];
}

export interface DestinationStatus {
  host: string;
  subset?: string;
  /** The share Envoy sends (weights are relative shares). */
  percent: number;
}

export interface RouteStatus {
  index: number;
  name?: string;
  catchAll: boolean;
  match?: HTTPMatchRequest[];
  destinations: DestinationStatus[];
  mirror?: DestinationStatus;
}

export interface SubsetStatus {
  host: string;
  subset: string;
  defined: boolean;
  /** "namespace/name" of the DestinationRule that defines it. */
  destinationRule?: string;
  labels: Record<string, string>;
  pods: number;
  ready: number;
  /** Some route sends live traffic here. */
  routed: boolean;
  /** Routed, but no ready pod: Envoy answers 503 no healthy upstream. */
  risk: boolean;
}

export interface EntryStatus {
  /** The service asked about. */
  service: string;
  /** How traffic reaches this VirtualService: "mesh", "gateway ns/name", "delegate of ns/root (...)". */
  via: string;
  /** Its HTTP routes to the service and how commands treat them (route-selection rule). */
  routes: Array<{ index: number; name?: string; kind: 'general' | 'targeted' | 'owned' }>;
  /** tcp/tls routes to the service (never edited). */
  otherRoutes: string[];
}

export interface ServiceStatus {
  namespace: string;
  virtualService: string;
  hosts: string[];
  /** Set when status was asked about a service: this VirtualService as one of its entry points. */
  entry?: EntryStatus;
  routes: RouteStatus[];
  subsets: SubsetStatus[];
  /** "namespace/name" of the mesh VirtualService Istio uses instead of this one for one of its hosts. */
  shadowedBy?: string;
  findings: Finding[];
}

export function buildStatus(vs: VirtualService, input: StatusInput): ServiceStatus {
  const ns = namespaceOf(vs);
  const routes: RouteStatus[] = (vs.spec.http ?? []).map((r, index) => {
    const dests = r.route ?? [];
    const pct = effectiveShares(dests.map((d) => d.weight));
    return {
      index,
      name: r.name,
      catchAll: isCatchAll(r),
      match: r.match,
      destinations: dests.map((d, i) => ({ host: resolveHost(d.destination?.host ?? '', ns), subset: d.destination?.subset, percent: pct[i]! })),
      mirror: r.mirror ? { host: resolveHost(r.mirror.host, ns), subset: r.mirror.subset, percent: r.mirrorPercentage?.value ?? 100 } : undefined,
    };
  });

  const subsets = new Map<string, SubsetStatus>();
  const key = (host: string, subset: string) => `${host}#${subset}`;
  const hosts = new Set<string>([
    ...(vs.spec.hosts ?? []).map((h) => resolveHost(h, ns)),
    ...routes.flatMap((r) => r.destinations.map((d) => d.host)),
  ]);
  for (const host of hosts) {
    const { rules } = lookupSubsets(host, ns, input.destinationRules);
    for (const dr of rules) {
      for (const s of dr.spec.subsets ?? []) {
        if (!s?.name || subsets.has(key(host, s.name))) continue;
        subsets.set(key(host, s.name), {
          host, subset: s.name, defined: true, destinationRule: objectKey(dr),
          labels: s.labels ?? {}, pods: 0, ready: 0, routed: false, risk: false,
        });
      }
    }
  }
  for (const r of routes) {
    for (const d of [...r.destinations.filter((x) => x.percent > 0), ...(r.mirror ? [r.mirror] : [])]) {
      if (!d.subset) continue;
      const k = key(d.host, d.subset);
      const entry = subsets.get(k) ?? { host: d.host, subset: d.subset, defined: false, labels: {}, pods: 0, ready: 0, routed: false, risk: false };
      if (d !== r.mirror) entry.routed = true;
      subsets.set(k, entry);
    }
  }
  for (const s of subsets.values()) {
    const svcNs = serviceNamespace(s.host);
    if (!svcNs || !s.defined) continue;
    const selector = input.serviceSelectors.get(`${svcNs}/${serviceName(s.host)}`);
    const pods = (input.pods.get(svcNs) ?? []).filter((p) => selects({ ...(selector ?? {}), ...s.labels }, p.labels));
    s.pods = pods.length;
    s.ready = pods.filter((p) => p.ready).length;
  }
  for (const s of subsets.values()) s.risk = s.routed && (!s.defined || s.ready === 0);

  const others = input.virtualServices ?? [vs];
  const shadowing = shadowingOf(vs, others);
  return {
    namespace: ns,
    virtualService: vs.metadata.name,
    hosts: vs.spec.hosts ?? [],
    routes,
    subsets: [...subsets.values()],
    ...(shadowing ? { shadowedBy: objectKey(shadowing.by) } : {}),
    findings: [...checkVirtualService(vs, { destinationRules: input.destinationRules }), ...routeFindings(vs, others)],
  };
}
