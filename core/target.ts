// Which VirtualService and which route an operator means by a service name.
import { IntentError } from './errors.js';
import { resolveHost } from './hosts.js';
import { type HTTPRoute, type VirtualService, describeObject, namespaceOf } from './model.js';
import { isCatchAll } from './validate.js';

export function virtualServicesForHost(service: string, namespace: string, all: readonly VirtualService[]): VirtualService[] {
  const wanted = resolveHost(service, namespace);
  return all.filter((vs) => (vs.spec?.hosts ?? []).some((h) => resolveHost(h, namespaceOf(vs)) === wanted));
}

export function findVirtualService(
  service: string,
  namespace: string,
  all: readonly VirtualService[],
  vsName?: string,
): VirtualService {
  if (vsName) {
    const byName = all.find((vs) => vs.metadata.name === vsName && namespaceOf(vs) === namespace);
    if (!byName) throw new IntentError(`VirtualService ${namespace}/${vsName} not found`);
    return byName;
  }
  const matches = virtualServicesForHost(service, namespace, all.filter((vs) => namespaceOf(vs) === namespace));
  if (matches.length === 0) {
    throw new IntentError(
      `no VirtualService in namespace ${namespace} has host ${service} (${resolveHost(service, namespace)}); ` +
      'check the name and -n/--namespace, or name one with --vs NAME');
  }
  if (matches.length > 1) {
    throw new IntentError(
      `${matches.length} VirtualServices route host ${resolveHost(service, namespace)} (${matches.map(describeObject).join(', ')}); ` +
      'Istio merges them in an undefined order. Pick one with --vs NAME');
  }
  return matches[0]!;
}

/** Index of the HTTP route to edit: the named one, else the catch-all (the route with no match). */
export function selectRoute(vs: VirtualService, routeName?: string): number {
  const http: HTTPRoute[] = vs.spec?.http ?? [];
  const names = http.map((r, i) => r.name ?? `#${i} (unnamed)`).join(', ') || 'none';
  if (routeName) {
    const i = http.findIndex((r) => r.name === routeName);
    if (i < 0) throw new IntentError(`${describeObject(vs)} has no HTTP route named "${routeName}" (routes: ${names})`);
    return i;
  }
  const i = http.findIndex((r) => isCatchAll(r));
  if (i < 0) {
    throw new IntentError(`${describeObject(vs)} has no catch-all HTTP route (one without match); pick a route with --route NAME (routes: ${names})`);
  }
  return i;
}

/** The host new destinations of a route get: the route's own, else the VirtualService's first. */
export function routeHost(vs: VirtualService, routeIndex: number): string {
  const route = vs.spec.http?.[routeIndex];
  const fromRoute = route?.route?.find((d) => d?.destination?.host)?.destination.host;
  const host = fromRoute ?? vs.spec.hosts?.[0];
  if (!host) throw new IntentError(`${describeObject(vs)} spec.http[${routeIndex}] has no destination host to reuse and spec.hosts is empty`);
  return host;
}
