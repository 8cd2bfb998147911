// Istio's own checks of a DestinationRule beyond the schema (subset names and duplicates live in core/validate.ts).
import { type DestinationRule, namespaceOf } from '../model.js';
import type { Finding } from '../rules.js';
import { parseDuration } from '../schema/duration.js';
import { type Obj, Report, checkExportTo, checkLabels, fqdnProblem, isIpAddress, isObj, list, num, str, wildcardDomainProblem } from './common.js';

const POLICY_FIELDS = ['outlierDetection', 'connectionPool', 'loadBalancer', 'tls', 'portLevelSettings', 'tunnel', 'proxyProtocol', 'retryBudget'];
const FIX = 'see the DestinationRule TrafficPolicy reference';

function isPrime(x: number): boolean {
  if (x !== 0 && x < 4) return true;
  if (x % 2 === 0) return false;
  for (let f = 3; f * f <= x; f += 2) if (x % f === 0) return false;
  return true;
}

function wrapped(v: unknown): number {
  return typeof v === 'number' ? v : isObj(v) ? num(v['value']) : 0;
}

function checkOutlier(r: Report, o: unknown, field: string): void {
  if (!isObj(o)) return;
  r.duration(o['baseEjectionTime'], `${field}.baseEjectionTime`);
  r.duration(o['interval'], `${field}.interval`);
  if (num(o['consecutiveErrors']) !== 0) r.add('istio-warning', `${field}.consecutiveErrors`, 'consecutiveErrors is deprecated', 'use consecutiveGatewayErrors or consecutive5xxErrors');
  if (o['splitExternalLocalOriginErrors'] !== true && wrapped(o['consecutiveLocalOriginFailures']) > 0) {
    r.add('traffic-policy-invalid', `${field}.consecutiveLocalOriginFailures`, 'consecutiveLocalOriginFailures is set but splitExternalLocalOriginErrors is not true', 'set splitExternalLocalOriginErrors: true, or drop it');
  }
  for (const k of ['maxEjectionPercent', 'minHealthPercent']) {
    const v = num(o[k]);
    if (v < 0 || v > 100) r.add('traffic-policy-invalid', `${field}.${k}`, `${k} ${v} is not in range 0..100`, 'use a percentage from 0 to 100');
  }
}

function checkConnectionPool(r: Report, p: unknown, field: string): void {
  if (!isObj(p)) return;
  if (!isObj(p['http']) && !isObj(p['tcp'])) return r.add('traffic-policy-invalid', field, 'a connection pool needs http or tcp settings', 'add http: or tcp:, or remove connectionPool');
  const http = p['http'];
  if (isObj(http)) {
    for (const k of ['http1MaxPendingRequests', 'http2MaxRequests', 'maxRequestsPerConnection', 'maxRetries', 'maxConcurrentStreams']) {
      if (num(http[k]) < 0) r.add('traffic-policy-invalid', `${field}.http.${k}`, `${k} must be non-negative`, FIX);
    }
    r.duration(http['idleTimeout'], `${field}.http.idleTimeout`);
    if (http['h2UpgradePolicy'] === 'UPGRADE' && http['useClientProtocol'] === true) {
      r.add('traffic-policy-invalid', `${field}.http.useClientProtocol`, 'useClientProtocol cannot be true when h2UpgradePolicy is UPGRADE', 'drop one of them');
    }
  }
  const tcp = p['tcp'];
  if (isObj(tcp)) {
    if (num(tcp['maxConnections']) < 0) r.add('traffic-policy-invalid', `${field}.tcp.maxConnections`, 'maxConnections must be non-negative', FIX);
    r.duration(tcp['connectTimeout'], `${field}.tcp.connectTimeout`);
    r.duration(tcp['maxConnectionDuration'], `${field}.tcp.maxConnectionDuration`);
    // A tcp idleTimeout under 1ms (0s) disables the timeout; Istio only judges longer ones.
    const idle = parseDuration(str(tcp['idleTimeout']));
    if (tcp['idleTimeout'] !== undefined && !(idle !== undefined && Math.trunc(idle) === 0)) r.duration(tcp['idleTimeout'], `${field}.tcp.idleTimeout`);
    if (isObj(tcp['tcpKeepalive'])) {
      r.duration(tcp['tcpKeepalive']['time'], `${field}.tcp.tcpKeepalive.time`);
      r.duration(tcp['tcpKeepalive']['interval'], `${field}.tcp.tcpKeepalive.interval`);
    }
  }
  return undefined;
}

function checkLoadBalancer(r: Report, lb: unknown, field: string): void {
  if (!isObj(lb)) return;
  const ch = lb['consistentHash'];
  if (isObj(ch)) {
    const cookie = ch['httpCookie'];
    if (isObj(cookie)) {
      if (!str(cookie['name'])) r.add('traffic-policy-invalid', `${field}.consistentHash.httpCookie.name`, 'httpCookie needs a name', 'name the cookie');
      const names = new Set<string>();
      list(cookie['attributes']).forEach((a, i) => {
        const n = isObj(a) ? str(a['name']) : '';
        if (!n) r.add('traffic-policy-invalid', `${field}.consistentHash.httpCookie.attributes[${i}].name`, 'cookie attribute name cannot be empty', 'name it');
        else if (names.has(n)) r.add('traffic-policy-invalid', `${field}.consistentHash.httpCookie.attributes[${i}].name`, `duplicate cookie attribute ${n}`, 'list it once');
        names.add(n);
      });
    }
    const ring = num(ch['minimumRingSize']);
    if (ring !== 0) {
      r.add('istio-warning', `${field}.consistentHash.minimumRingSize`, 'minimumRingSize is deprecated', 'use ringHash: {minimumRingSize: N}');
      if (isObj(ch['maglev']) || isObj(ch['ringHash'])) r.add('traffic-policy-invalid', `${field}.consistentHash`, 'minimumRingSize and maglev/ringHash are both set', 'keep one');
    }
    if (isObj(ch['maglev'])) {
      const size = num(ch['maglev']['tableSize']);
      const f = `${field}.consistentHash.maglev.tableSize`;
      if (size === 0) r.add('traffic-policy-invalid', f, 'maglev needs a tableSize', 'use a prime such as 65537');
      if (size >= 5000011) r.add('traffic-policy-invalid', f, 'tableSize must be less than 5000011', 'use a prime such as 65537');
      if (!isPrime(size)) r.add('traffic-policy-invalid', f, `tableSize ${size} is not a prime number`, 'use a prime such as 65537');
    }
  }
  if (isObj(lb['localityLbSetting']) && isObj(lb['zoneAwareLbSetting'])) r.add('traffic-policy-invalid', field, 'localityLbSetting and zoneAwareLbSetting are both set', 'keep one');
  const warm = lb['warmup'];
  if (isObj(warm)) {
    if (warm['duration'] === undefined) r.add('traffic-policy-invalid', `${field}.warmup.duration`, 'warmup needs a duration', 'set duration, e.g. 60s');
    else r.duration(warm['duration'], `${field}.warmup.duration`);
    if (wrapped(warm['minimumPercent']) > 100) r.add('traffic-policy-invalid', `${field}.warmup.minimumPercent`, 'minimumPercent must be at most 100', 'use 0..100');
    if (warm['aggression'] !== undefined && wrapped(warm['aggression']) <= 0) r.add('traffic-policy-invalid', `${field}.warmup.aggression`, 'aggression must be greater than 0', 'use e.g. 1.0');
  }
}

function checkTls(r: Report, tls: unknown, field: string, namespace: string): void {
  if (!isObj(tls)) return;
  const mode = str(tls['mode']);
  const cred = str(tls['credentialName']);
  if (cred.startsWith('configmap://')) {
    const rest = cred.slice('configmap://'.length);
    const ns = rest.includes('/') ? rest.split('/')[0] : namespace;
    if (ns !== namespace) r.add('traffic-policy-invalid', `${field}.credentialName`, `a configmap:// credentialName must be in the DestinationRule's namespace ${namespace}`, 'use a ConfigMap in the same namespace');
  }
  if (wrapped(tls['insecureSkipVerify']) || tls['insecureSkipVerify'] === true) {
    if (mode === 'SIMPLE' && (str(tls['caCertificates']) || cred || tls['subjectAltNames'] !== undefined)) r.add('traffic-policy-invalid', field, 'caCertificates, credentialName or subjectAltNames with insecureSkipVerify', 'drop insecureSkipVerify or the verification settings');
    if (mode === 'MUTUAL' && (str(tls['caCertificates']) || tls['subjectAltNames'] !== undefined)) r.add('traffic-policy-invalid', field, 'caCertificates or subjectAltNames with insecureSkipVerify', 'drop insecureSkipVerify or the verification settings');
  }
  if ((mode === 'SIMPLE' || mode === 'MUTUAL') && cred) {
    if (str(tls['clientCertificate']) || str(tls['caCertificates']) || str(tls['privateKey']) || str(tls['caCrl'])) r.add('traffic-policy-invalid', field, 'certificate files are set together with credentialName', 'use credentialName alone');
    return;
  }
  if (mode === 'MUTUAL') {
    if (!str(tls['clientCertificate'])) r.add('traffic-policy-invalid', `${field}.clientCertificate`, 'mutual TLS needs a client certificate', 'set clientCertificate or credentialName, or use ISTIO_MUTUAL');
    if (!str(tls['privateKey'])) r.add('traffic-policy-invalid', `${field}.privateKey`, 'mutual TLS needs a private key', 'set privateKey or credentialName, or use ISTIO_MUTUAL');
  }
}

function checkTunnel(r: Report, t: unknown, field: string): void {
  if (!isObj(t)) return;
  const protocol = str(t['protocol']);
  if (protocol && protocol !== 'CONNECT' && protocol !== 'POST') r.add('traffic-policy-invalid', `${field}.protocol`, 'tunnel protocol must be CONNECT or POST', 'use CONNECT or POST');
  const host = str(t['targetHost']);
  if (fqdnProblem(host) && !isIpAddress(host)) r.add('traffic-policy-invalid', `${field}.targetHost`, `tunnel target host "${host}" is not an FQDN or IP address`, 'name the tunnel endpoint');
  const port = num(t['targetPort']);
  if (!(port >= 1 && port <= 65535)) r.add('port-invalid', `${field}.targetPort`, `port ${port} is outside 1..65535`, 'use a port from 1 to 65535');
}

function checkPolicy(r: Report, policy: unknown, field: string, namespace: string, portLevel = false): void {
  if (policy === undefined || policy === null) return;
  if (!isObj(policy)) return;
  const fields = portLevel ? ['outlierDetection', 'connectionPool', 'loadBalancer', 'tls'] : POLICY_FIELDS;
  if (!fields.some((k) => policy[k] !== undefined && policy[k] !== null)) {
    return r.add('traffic-policy-invalid', field, `${portLevel ? 'a port traffic policy' : 'a traffic policy'} needs at least one setting`, 'add a setting or remove it');
  }
  if (!portLevel && policy['tunnel'] !== undefined && policy['proxyProtocol'] !== undefined) {
    return r.add('traffic-policy-invalid', field, 'tunnel and proxyProtocol cannot be set together', 'keep one');
  }
  checkOutlier(r, policy['outlierDetection'], `${field}.outlierDetection`);
  checkConnectionPool(r, policy['connectionPool'], `${field}.connectionPool`);
  checkLoadBalancer(r, policy['loadBalancer'], `${field}.loadBalancer`);
  checkTls(r, policy['tls'], `${field}.tls`, namespace);
  if (!portLevel) {
    list(policy['portLevelSettings']).forEach((p, i) => {
      const f = `${field}.portLevelSettings[${i}]`;
      if (!isObj(p)) return r.add('traffic-policy-invalid', f, 'a port traffic policy may not be null', 'remove the empty entry');
      if (!isObj(p['port'])) r.add('traffic-policy-invalid', `${f}.port`, 'a port traffic policy needs a port', 'set port: {number: N}');
      return checkPolicy(r, p, f, namespace, true);
    });
    checkTunnel(r, policy['tunnel'], `${field}.tunnel`);
  }
  return undefined;
}

export function checkIstioDestinationRule(dr: DestinationRule): Finding[] {
  const r = new Report(dr);
  const spec: Obj = isObj(dr.spec) ? dr.spec as Obj : {};
  const ns = namespaceOf(dr);
  const host = str(spec['host']);
  const p = wildcardDomainProblem(host);
  if (p) r.add('host-invalid', 'spec.host', p, 'name the service, e.g. reviews or reviews.shop.svc.cluster.local');
  checkPolicy(r, spec['trafficPolicy'], 'spec.trafficPolicy', ns);
  list(spec['subsets']).forEach((s, i) => {
    const f = `spec.subsets[${i}]`;
    if (!isObj(s)) return r.add('traffic-policy-invalid', f, 'a subset may not be null', 'remove the empty entry');
    if (typeof s['name'] !== 'string') r.add('subset-name', `${f}.name`, 'subset name cannot be empty', 'name the subset, e.g. v1');
    checkLabels(r, s['labels'], `${f}.labels`);
    return checkPolicy(r, s['trafficPolicy'], `${f}.trafficPolicy`, ns);
  });
  const selector = isObj(spec['workloadSelector']) ? spec['workloadSelector'] : undefined;
  checkExportTo(r, spec['exportTo'], ns, 'spec.exportTo', !!selector);
  if (selector) checkLabels(r, selector['matchLabels'], 'spec.workloadSelector.matchLabels');
  return r.findings;
}
