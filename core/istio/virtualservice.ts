// Istio's own checks of a VirtualService beyond the schema, those core/validate.ts does not already make
// (weights, regexes, mirror percentage and conflict, header names and subset names live there).
import { type VirtualService, namespaceOf } from '../model.js';
import type { Finding } from '../rules.js';
import {
  DESTINATION_REQUIRED, JWT_CLAIM_PREFIX, type Obj, Report, checkExportTo, checkGatewayNames, checkHeaderOperations, checkLabels,
  ipSubnetProblem, isDns1123Label, isIpAddress, isObj, list, num, percentageProblem, str, wildcardDomainProblem,
} from './common.js';
import { re2Problem } from '../re2.js';

const RETRY_ON = new Set([
  '5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'retriable-4xx', 'refused-stream',
  'retriable-status-codes', 'retriable-headers', 'envoy-ratelimited', 'http3-post-connect-failure',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
]);
const GRPC_STATUS = new Set([
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE',
  'DATA_LOSS', 'UNAUTHENTICATED',
]);
const CORS_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', '*']);
/** Go's http.StatusText knows these codes; retryOn accepts any of them. */
const HTTP_STATUS = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308,
  400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424,
  425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

/** Does the host pattern a cover b or b cover a (Istio's host.Name.Matches)? */
function hostsOverlap(a: string, b: string): boolean {
  const wa = a.startsWith('*');
  const wb = b.startsWith('*');
  if (!wa && !wb) return a === b;
  if (wa && wb) return a.length > b.length ? a.endsWith(b.slice(1)) : b.endsWith(a.slice(1));
  return wa ? b.endsWith(a.slice(1)) : a.endsWith(b.slice(1));
}

/** Istio's SubsetOf: every host matched by `sni` is matched by `host`. */
function hostSubsetOf(sni: string, host: string): boolean {
  if (host === '*' || sni === host) return true;
  if (host.startsWith('*')) return sni.endsWith(host.slice(1)) && (!sni.startsWith('*') || sni.length >= host.length);
  return false;
}

function set(v: unknown): boolean {
  return v !== undefined && v !== null;
}

// Every review checks every destination and few have a problem: `at` writes out the field's name only for a finding.
function checkDestination(r: Report, d: unknown, at: () => string): void {
  if (!isObj(d)) return;
  const host = d['host'];
  if (typeof host === 'string') {
    const p = host === '*' ? 'a destination cannot be "*"' : wildcardDomainProblem(host);
    if (p) r.add('host-invalid', `${at()}.host`, p, 'name the service, e.g. reviews or reviews.shop.svc.cluster.local');
  } else if (host === undefined) {
    r.add('host-invalid', `${at()}.host`, 'empty domain name not allowed', 'set destination.host to the service name');
  }
  const port = d['port'];
  if (isObj(port)) r.port(num(port['number']), () => `${at()}.port.number`);
}

/** The route entries at `field` (a route's route:), whose names are written out only for a finding. */
function checkRouteDestinations(r: Report, entries: unknown, field: () => string, http: boolean): void {
  const items = list(entries);
  for (let i = 0; i < items.length; i++) {
    const e = items[i];
    const f = () => `${field()}[${i}]`;
    if (!isObj(e)) {
      r.add('destination-required', `${f()}.destination`, DESTINATION_REQUIRED.problem, DESTINATION_REQUIRED.fix);
      continue;
    }
    const destination = e['destination'];
    if (!set(destination)) r.add('destination-required', `${f()}.destination`, DESTINATION_REQUIRED.problem, DESTINATION_REQUIRED.fix);
    if (http && e['headers'] !== undefined) checkHeaderOperations(r, e['headers'], `${f()}.headers`);
    if (isObj(destination)) checkDestination(r, destination, () => `${f()}.destination`);
  }
}

function stringMatchProblem(sm: unknown, allowEmptyPrefix: boolean): string | undefined {
  if (!isObj(sm)) return undefined;
  if (sm['prefix'] === '' && !allowEmptyPrefix) return 'a prefix match cannot be empty';
  return undefined;
}

const EMPTY_PREFIX_FIX = 'drop the match (it then matches everything) or give a prefix';

/** Match `j` of the http route at `route`; the match's field name is written out only for a finding. */
function checkMatch(r: Report, m: unknown, route: string, j: number, gatewayBound: boolean): void {
  if (!isObj(m)) return;
  const at = () => `${route}.match[${j}]`;
  for (const key of ['scheme', 'method', 'authority'] as const) {
    const p = stringMatchProblem(m[key], false);
    if (p) r.add('match-invalid', `${at()}.${key}`, p, EMPTY_PREFIX_FIX);
  }
  for (const group of ['headers', 'withoutHeaders', 'queryParams'] as const) {
    const entries = m[group];
    if (!isObj(entries)) continue;
    for (const name in entries) {
      const sm = entries[name];
      const f = () => `${at()}.${group}.${name}`;
      if (sm === null && group === 'headers') r.add('match-invalid', f(), `header match ${name} cannot be null`, 'give it {exact: ...}, {prefix: ...} or {regex: ...}');
      const p = stringMatchProblem(sm, false);
      if (p) r.add('match-invalid', f(), p, EMPTY_PREFIX_FIX);
      if (group !== 'queryParams' && name.startsWith(JWT_CLAIM_PREFIX) && !gatewayBound) {
        r.add('match-invalid', f(), 'routing on JWT claims works only for VirtualServices bound to a gateway', 'add the gateway to spec.gateways, or match on a header');
      }
    }
  }
  if (typeof m['port'] === 'number' && m['port'] !== 0) r.port(m['port'], () => `${at()}.port`);
  if (m['sourceLabels'] !== undefined) checkLabels(r, m['sourceLabels'], `${at()}.sourceLabels`);
  if (m['gateways'] !== undefined) checkGatewayNames(r, m['gateways'], `${at()}.gateways`);
  const ns = str(m['sourceNamespace']);
  if (ns && !isDns1123Label(ns)) r.add('match-invalid', `${at()}.sourceNamespace`, `sourceNamespace "${ns}" is not a namespace name`, 'use a namespace name');
}

function checkFault(r: Report, fault: unknown, field: string): void {
  if (!isObj(fault)) return;
  const fix = 'give abort or delay a percentage of 0 or within [0.0001, 100], and a valid status or delay';
  if (!set(fault['abort']) && !set(fault['delay'])) r.add('fault-invalid', field, 'a fault needs an abort and/or a delay', 'add abort: {httpStatus: 503, percentage: {value: 10}} or delay: {fixedDelay: 5s, percentage: {value: 10}}');
  const abort = fault['abort'];
  if (isObj(abort)) {
    const p = percentageProblem(abort['percentage']);
    if (p) r.add('fault-invalid', `${field}.abort.percentage`, p, fix);
    if (set(abort['grpcStatus'])) {
      if (!GRPC_STATUS.has(str(abort['grpcStatus']))) r.add('fault-invalid', `${field}.abort.grpcStatus`, `gRPC status "${str(abort['grpcStatus'])}" is not supported`, 'use a gRPC status name such as UNAVAILABLE or NOT_FOUND');
    } else if (set(abort['http2Error'])) {
      r.add('fault-invalid', `${field}.abort.http2Error`, 'HTTP/2 abort fault injection is not supported yet', 'use httpStatus or grpcStatus');
    } else if (set(abort['httpStatus'])) {
      const s = num(abort['httpStatus']);
      if (s < 200 || s > 600) r.add('fault-invalid', `${field}.abort.httpStatus`, `HTTP status ${s} is not in range 200-599`, 'use a status from 200 to 599');
    } else {
      r.add('istio-warning', `${field}.abort`, 'abort configured, but no error type set', 'set httpStatus or grpcStatus');
    }
  }
  const delay = fault['delay'];
  if (isObj(delay)) {
    const p = percentageProblem(delay['percentage']);
    if (p) r.add('fault-invalid', `${field}.delay.percentage`, p, fix);
    if (set(delay['fixedDelay'])) r.duration(delay['fixedDelay'], `${field}.delay.fixedDelay`);
    else if (set(delay['exponentialDelay'])) {
      r.duration(delay['exponentialDelay'], `${field}.delay.exponentialDelay`);
      r.add('fault-invalid', `${field}.delay.exponentialDelay`, 'exponentialDelay is not supported yet', 'use fixedDelay');
    }
  }
}

function checkRetries(r: Report, retries: unknown, field: string): void {
  if (!isObj(retries)) return;
  const attempts = num(retries['attempts']);
  if (attempts < 0) r.add('retries-invalid', `${field}.attempts`, `attempts ${attempts} is negative`, 'use 0 (no retries) or more');
  if (attempts === 0 && (set(retries['perTryTimeout']) || str(retries['retryOn']) !== '' || set(retries['retryRemoteLocalities']))) {
    r.add('retries-invalid', `${field}.attempts`, 'retry settings are given but attempts is 0 (or missing), which disables retries', 'set attempts: to the number of retries (e.g. 3), or remove the retry settings');
  }
  r.duration(retries['perTryTimeout'], `${field}.perTryTimeout`);
  r.duration(retries['backoff'], `${field}.backoff`);
  const retryOn = str(retries['retryOn']);
  if (retryOn !== '') {
    for (const policy of retryOn.split(',')) {
      const code = /^[-+]?\d+$/.test(policy) ? Number(policy) : NaN;
      if (!HTTP_STATUS.has(code) && !RETRY_ON.has(policy)) {
        r.add('retries-invalid', `${field}.retryOn`, `"${policy}" is not a valid retryOn policy`, `use a comma-separated list of Envoy retry conditions (e.g. 5xx,connect-failure,retriable-4xx) or HTTP status codes, without spaces`);
      }
    }
  }
}

function checkRedirect(r: Report, redirect: unknown, matches: unknown, field: string): void {
  if (!isObj(redirect)) return;
  const uri = str(redirect['uri']);
  const prefixRewrite = str(redirect['prefixRewrite']);
  const fix = 'see the HTTPRedirect reference: give uri or prefixRewrite (not both), authority, scheme http/https, a 3xx code';
  if (uri && prefixRewrite) return r.add('redirect-rewrite-invalid', field, 'a redirect may only set one of uri and prefixRewrite', fix);
  if (prefixRewrite) {
    for (const m of list(matches)) {
      if (isObj(m) && isObj(m['uri']) && !('prefix' in (m['uri'] as Obj))) {
        return r.add('redirect-rewrite-invalid', `${field}.prefixRewrite`, 'prefixRewrite needs every uri match of the route to be a prefix match', 'match uri with prefix:');
      }
    }
  }
  if (!uri && !prefixRewrite && !str(redirect['authority']) && !set(redirect['port']) && !set(redirect['derivePort']) && !str(redirect['scheme'])) {
    return r.add('redirect-rewrite-invalid', field, 'a redirect must set uri, authority, scheme or port', fix);
  }
  const code = num(redirect['redirectCode']);
  if (code !== 0 && (code < 300 || code > 399)) return r.add('redirect-rewrite-invalid', `${field}.redirectCode`, `${code} is not a 3xx redirect code`, 'use 301, 302, 303, 307 or 308');
  const scheme = str(redirect['scheme']);
  if (scheme && scheme !== 'http' && scheme !== 'https') return r.add('redirect-rewrite-invalid', `${field}.scheme`, `scheme "${scheme}" is not http or https`, 'use http or https');
  if (typeof redirect['port'] === 'number' && redirect['port'] > 0) r.port(redirect['port'], `${field}.port`);
  return undefined;
}

function checkRewrite(r: Report, rewrite: unknown, field: string): void {
  if (!isObj(rewrite)) return;
  const uri = str(rewrite['uri']);
  const regex = rewrite['uriRegexRewrite'];
  if (uri && set(regex)) return r.add('redirect-rewrite-invalid', field, 'a rewrite may only set one of uri and uriRegexRewrite', 'keep one of them');
  if (!uri && !set(regex) && !str(rewrite['authority'])) return r.add('redirect-rewrite-invalid', field, 'a rewrite must set uri, uriRegexRewrite or authority', 'set one, or remove rewrite');
  if (isObj(regex)) {
    const match = str(regex['match']);
    if (!match || !str(regex['rewrite'])) return r.add('redirect-rewrite-invalid', `${field}.uriRegexRewrite`, 'uriRegexRewrite needs both match and rewrite', 'set both');
    const p = match.length > 1024 ? 'the regex is longer than 1024 characters' : re2Problem(match);
    if (p) r.add('regex-invalid', `${field}.uriRegexRewrite.match`, p, 'write the pattern in RE2 syntax (no lookaround, no backreferences)');
  }
  return undefined;
}

function checkDirectResponse(r: Report, dr: unknown, field: string): void {
  if (!isObj(dr)) return;
  const body = dr['body'];
  if (isObj(body)) {
    const size = typeof body['string'] === 'string' ? Buffer.byteLength(body['string']) : typeof body['bytes'] === 'string' ? Math.floor((body['bytes'].length * 3) / 4) : 0;
    if (size > 1024 * 1024) r.add('redirect-rewrite-invalid', `${field}.body`, 'a direct response body must be under 1MB', 'serve large bodies from a service');
    else if (size > 100 * 1024) r.add('istio-warning', `${field}.body`, 'a large direct response body may slow the control plane', 'serve large bodies from a service');
  }
  const status = num(dr['status']);
  if (status < 200 || status > 600) r.add('redirect-rewrite-invalid', `${field}.status`, `HTTP status ${status} is not in range 200-599`, 'use a status from 200 to 599');
}

function checkCors(r: Report, cors: unknown, field: string): void {
  if (!isObj(cors)) return;
  const fix = 'see the CorsPolicy reference';
  list(cors['allowOrigins']).forEach((o, i) => {
    if (!isObj(o)) return;
    const value = str(o['exact']) || str(o['prefix']) || str(o['regex']);
    if (!value) r.add('cors-invalid', `${field}.allowOrigins[${i}]`, 'an allowed origin needs a non-empty exact, prefix or regex', 'e.g. {exact: https://example.com}');
    else if (typeof o['regex'] === 'string') {
      const p = re2Problem(o['regex']);
      if (p) r.add('regex-invalid', `${field}.allowOrigins[${i}].regex`, p, 'write the pattern in RE2 syntax (no lookaround, no backreferences)');
    }
  });
  list(cors['allowMethods']).forEach((m, i) => {
    if (!CORS_METHODS.has(str(m))) r.add('cors-invalid', `${field}.allowMethods[${i}]`, `"${str(m)}" is not a supported HTTP method`, 'use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, CONNECT, TRACE or *, in capitals');
  });
  for (const key of ['allowHeaders', 'exposeHeaders'] as const) {
    list(cors[key]).forEach((h, i) => {
      const name = str(h);
      if (name === '' || (name !== '*' && !/^[!#$%&'*+\-.^_`|~A-Za-z0-9]+$/.test(name))) r.add('cors-invalid', `${field}.${key}[${i}]`, `"${name}" is not a valid header name`, fix);
    });
  }
  if (set(cors['maxAge'])) {
    r.duration(cors['maxAge'], `${field}.maxAge`);
    const text = str(cors['maxAge']);
    if (/\./.test(text) || /ms|us|\u00b5s|ns/.test(text)) r.add('cors-invalid', `${field}.maxAge`, 'maxAge is accurate only to seconds', 'write whole seconds, e.g. 24h or 600s');
  }
}

function checkHttpRoute(r: Report, route: Obj, field: string, delegateVs: boolean): void {
  const has = (k: string) => set(route[k]);
  const routes = list(route['route']);
  if (has('delegate') && !delegateVs) {
    if (has('redirect')) r.add('delegate-invalid', `${field}.redirect`, `root route ${str(route['name'])} delegates, so it cannot redirect`, 'remove redirect or delegate');
    if (routes.length > 0) r.add('delegate-invalid', `${field}.route`, `root route ${str(route['name'])} delegates, so it cannot have route`, 'remove route or delegate');
  } else {
    if (delegateVs && has('delegate')) r.add('delegate-invalid', `${field}.delegate`, 'a delegate VirtualService cannot delegate again', 'route directly');
    const fix = 'give a route exactly one of route, redirect and directResponse (fault and rewrite only with route)';
    if (has('redirect')) {
      if (routes.length > 0) r.add('route-action', field, 'sets both route and redirect', fix);
      if (has('fault')) r.add('route-action', field, 'sets both fault and redirect', fix);
      if (has('rewrite')) r.add('route-action', field, 'sets both rewrite and redirect', fix);
      if (has('directResponse')) r.add('route-action', field, 'sets both directResponse and redirect', fix);
    } else if (has('directResponse')) {
      if (routes.length > 0) r.add('route-action', field, 'sets both route and directResponse', fix);
      if (has('fault')) r.add('route-action', field, 'sets both fault and directResponse', fix);
      if (has('rewrite')) r.add('route-action', field, 'sets both rewrite and directResponse', fix);
    } else if (routes.length === 0) {
      r.add('route-action', field, 'has no route, redirect or directResponse', 'add route: with at least one destination');
    }
  }
  // Most routes set few of these: the field names are written out only for those present.
  if (route['headers'] !== undefined) checkHeaderOperations(r, route['headers'], `${field}.headers`);
  if (route['corsPolicy'] !== undefined) checkCors(r, route['corsPolicy'], `${field}.corsPolicy`);
  if (route['fault'] !== undefined) checkFault(r, route['fault'], `${field}.fault`);
  if (set(route['mirrorPercent'])) {
    const v = num(route['mirrorPercent']);
    if (v > 100) r.add('mirror-percentage', `${field}.mirrorPercent`, `mirrorPercent ${v} is above 100`, 'use mirrorPercentage: {value: N} with N in [0, 100]');
    r.add('istio-warning', `${field}.mirrorPercent`, 'mirrorPercent is deprecated', 'use mirrorPercentage: {value: N}');
  }
  if (route['mirror'] !== undefined) checkDestination(r, route['mirror'], () => `${field}.mirror`);
  list(route['mirrors']).forEach((m, i) => {
    const f = `${field}.mirrors[${i}]`;
    if (!isObj(m) || !set(m['destination'])) {
      r.add('destination-required', `${f}.destination`, 'the mirror has no destination', 'write destination: with host: (and subset:) under it');
      return;
    }
    checkDestination(r, m['destination'], () => `${f}.destination`);
    const v = isObj(m['percentage']) ? num(m['percentage']['value']) : undefined;
    if (v !== undefined && (v < 0 || v > 100)) r.add('mirror-percentage', `${f}.percentage.value`, `${v} is outside [0, 100]`, 'use a percentage between 0 and 100');
  });
  if (route['redirect'] !== undefined) checkRedirect(r, route['redirect'], route['match'], `${field}.redirect`);
  if (route['directResponse'] !== undefined) checkDirectResponse(r, route['directResponse'], `${field}.directResponse`);
  if (route['retries'] !== undefined) checkRetries(r, route['retries'], `${field}.retries`);
  if (route['rewrite'] !== undefined) checkRewrite(r, route['rewrite'], `${field}.rewrite`);
  if (route['rewrite'] !== undefined || route['headers'] !== undefined) checkAuthorityRewrite(r, route, field);
  checkRouteDestinations(r, route['route'], () => `${field}.route`, true);
  if (route['timeout'] != null) r.duration(route['timeout'], `${field}.timeout`);
}

function checkAuthorityRewrite(r: Report, route: Obj, field: string): void {
  let current = isObj(route['rewrite']) ? str(route['rewrite']['authority']) : '';
  const request = isObj(route['headers']) && isObj(route['headers']['request']) ? route['headers']['request'] as Obj : {};
  for (const op of ['set', 'add']) {
    for (const [k, v] of Object.entries(isObj(request[op]) ? request[op] as Obj : {})) {
      const lower = k.toLowerCase();
      if (lower !== ':authority' && lower !== 'host') continue;
      if (current) return r.add('redirect-rewrite-invalid', `${field}.headers.request.${op}.${k}`, `the authority is rewritten twice ("${current}" and "${str(v)}")`, 'rewrite the authority in one place');
      current = str(v);
    }
  }
  return undefined;
}

function checkL4Match(r: Report, m: unknown, field: string): void {
  if (!isObj(m)) return r.add('match-invalid', field, 'a match may not be null', 'remove the empty entry');
  list(m['destinationSubnets']).forEach((s, i) => {
    const p = ipSubnetProblem(str(s));
    if (p) r.add('match-invalid', `${field}.destinationSubnets[${i}]`, p, 'use an IP address or CIDR block such as 10.0.0.0/16');
  });
  if (typeof m['port'] === 'number' && m['port'] !== 0) r.port(m['port'], `${field}.port`);
  checkLabels(r, m['sourceLabels'], `${field}.sourceLabels`);
  checkGatewayNames(r, m['gateways'], `${field}.gateways`);
  return undefined;
}

export function checkIstioVirtualService(vs: VirtualService): Finding[] {
  const r = new Report(vs);
  const spec: Obj = isObj(vs.spec) ? vs.spec as Obj : {};
  const hosts = list(spec['hosts']).map(str);
  const gateways = list(spec['gateways']).map(str);
  const delegate = hosts.length === 0;
  if (delegate) {
    if (gateways.length > 0) r.add('delegate-invalid', 'spec.gateways', 'a delegate VirtualService (no hosts) cannot name gateways', 'remove gateways (the root VirtualService binds them), or add hosts');
    if (list(spec['tls']).length > 0) r.add('delegate-invalid', 'spec.tls', 'a delegate VirtualService (no hosts) cannot have tls routes', 'move them to a VirtualService with hosts');
    if (list(spec['tcp']).length > 0) r.add('delegate-invalid', 'spec.tcp', 'a delegate VirtualService (no hosts) cannot have tcp routes', 'move them to a VirtualService with hosts');
  }
  const boundToGateway = gateways.length > 0 && !gateways.includes('mesh');
  const appliesToMesh = !boundToGateway;
  if (gateways.length > 0) checkGatewayNames(r, spec['gateways'], 'spec.gateways');
  let allValid = true;
  const sni = list(spec['tls']).some((t) => isObj(t) && list(t['match']).some((m) => isObj(m) && list(m['sniHosts']).length > 0));
  hosts.forEach((h, i) => {
    const p = boundToGateway && sni && h.startsWith('outbound_') ? undefined : wildcardDomainProblem(h);
    if (p) {
      if (!isIpAddress(h)) {
        r.add('host-invalid', `spec.hosts[${i}]`, p, 'use a service name, an FQDN or a wildcard such as *.example.com');
        allValid = false;
      }
    } else if (appliesToMesh && h === '*') {
      r.add('host-invalid', `spec.hosts[${i}]`, 'host "*" is not allowed for a VirtualService that applies to the mesh', 'name the hosts, or bind the VirtualService to a gateway');
      allValid = false;
    }
  });
  if (allValid) {
    for (let i = 0; i < hosts.length; i++) {
      for (let j = i + 1; j < hosts.length; j++) {
        if (hostsOverlap(hosts[i]!, hosts[j]!)) r.add('host-invalid', `spec.hosts[${j}]`, `duplicate hosts ${hosts[i]} and ${hosts[j]}`, 'list each host once (a wildcard already covers the names under it)');
      }
    }
  }
  if (list(spec['http']).length === 0 && list(spec['tcp']).length === 0 && list(spec['tls']).length === 0) {
    r.add('route-action', 'spec', 'no http, tcp or tls routes', 'add at least one route');
  }
  const http = list(spec['http']);
  for (let i = 0; i < http.length; i++) {
    const h = http[i];
    const field = `spec.http[${i}]`;
    if (!isObj(h)) {
      r.add('route-action', field, 'an http route may not be null', 'remove the empty entry');
      continue;
    }
    const matches = list(h['match']);
    for (let j = 0; j < matches.length; j++) checkMatch(r, matches[j], field, j, boundToGateway);
    checkHttpRoute(r, h, field, delegate);
  }
  list(spec['tls']).forEach((t, i) => {
    const field = `spec.tls[${i}]`;
    if (!isObj(t)) return;
    const matches = list(t['match']);
    if (matches.length === 0) r.add('route-action', `${field}.match`, 'a tls route needs at least one match', 'add match: [{sniHosts: [...]}]');
    matches.forEach((m, j) => {
      const mf = `${field}.match[${j}]`;
      if (!isObj(m)) return checkL4Match(r, m, mf);
      const snis = list(m['sniHosts']).map(str);
      if (snis.length === 0) r.add('match-invalid', `${mf}.sniHosts`, 'a tls match needs at least one SNI host', 'list the SNI hosts it matches');
      snis.forEach((s, k) => {
        const sf = `${mf}.sniHosts[${k}]`;
        const p = wildcardDomainProblem(s);
        if (p) {
          if (isIpAddress(s)) r.add('istio-warning', sf, `SNI host ${s} is an IP address, which most clients do not send`, 'use a DNS name');
          else r.add('host-invalid', sf, p, 'use a DNS name');
          return;
        }
        if (!hosts.some((h) => hostSubsetOf(s, h))) r.add('host-invalid', sf, `SNI host "${s}" is not covered by any of the VirtualService's hosts (${hosts.join(', ')})`, 'add it to spec.hosts or fix the name');
      });
      return checkL4Match(r, { ...m, sniHosts: undefined }, mf);
    });
    if (list(t['route']).length === 0) r.add('route-action', `${field}.route`, 'a tls route needs a route', 'add route: with a destination');
    checkRouteDestinations(r, t['route'], () => `${field}.route`, false);
  });
  list(spec['tcp']).forEach((t, i) => {
    const field = `spec.tcp[${i}]`;
    if (!isObj(t)) return;
    list(t['match']).forEach((m, j) => checkL4Match(r, m, `${field}.match[${j}]`));
    if (list(t['route']).length === 0) r.add('route-action', `${field}.route`, 'a tcp route needs a route', 'add route: with a destination');
    checkRouteDestinations(r, t['route'], () => `${field}.route`, false);
  });
  checkExportTo(r, spec['exportTo'], namespaceOf(vs));
  return r.findings;
}
