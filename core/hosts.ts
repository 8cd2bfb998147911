// Host names the way Istio resolves them: a name without a dot is short for
// NAME.<namespace of the object that says it>.svc.cluster.local; anything with a dot is literal.

export const CLUSTER_DOMAIN = 'svc.cluster.local';
export const ISTIO_ROOT_NAMESPACE = 'istio-system';

export function resolveHost(host: string, objectNamespace: string): string {
  const literal = host === '*' || host.includes('.') || host.includes(':') || /^\d+$/.test(host);
  return literal ? host : `${host}.${objectNamespace}.${CLUSTER_DOMAIN}`;
}

const SERVICE_SUFFIX = `.${CLUSTER_DOMAIN}`;

/** The namespace of an in-cluster service FQDN, or undefined for external and wildcard hosts. */
export function serviceNamespace(fqdn: string): string | undefined {
  if (!fqdn.endsWith(SERVICE_SUFFIX)) return undefined;
  // NAME.NAMESPACE before the suffix, exactly one dot (every lookup of every review asks: no split).
  const end = fqdn.length - SERVICE_SUFFIX.length;
  const dot = fqdn.indexOf('.');
  if (dot >= end || fqdn.indexOf('.', dot + 1) !== end) return undefined;
  return fqdn.slice(0, dot) === '*' ? undefined : fqdn.slice(dot + 1, end);
}

/** The short service name of an in-cluster FQDN ("reviews" for reviews.default.svc.cluster.local). */
export function serviceName(fqdn: string): string {
  return fqdn.split('.')[0] ?? fqdn;
}

/** Whether a (possibly wildcard) host pattern covers a concrete host: "*.default.svc.cluster.local". */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === host || pattern === '*') return true;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
  return false;
}
