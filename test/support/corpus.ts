// The analyze corpus: valid Istio objects (a combinatorial family of VirtualServices, DestinationRules, Gateways
// and EnvoyFilters), each mutated field by field with values whose verdict we determined from Istio's validation
// source (pkg/config/validation), plus hand-written classics. Every entry says whether istiod allows or denies it.
// Deterministic: the same entries in the same order on every run.
import type { KubeObject } from '../../core/model.js';

export type Verdict = 'allow' | 'deny';

export interface CorpusEntry {
  name: string;
  object: KubeObject;
  expect: Verdict;
}

type Path = Array<string | number>;
type Json = Record<string, unknown>;

/** Field classes and the values tried on each, with Istio's verdict. */
const MUTATIONS: Record<string, Array<[unknown, Verdict]>> = {
  tcpIdle: [['1ms', 'allow'], ['0s', 'allow'], ['0.5ms', 'allow'], ['1500us', 'deny'], ['abc', 'deny']],
  drPort: [[80, 'allow'], [0, 'allow']],
  duration: [['1ms', 'allow'], ['2s', 'allow'], ['1h30m', 'allow'], ['0.5ms', 'deny'], ['1500us', 'deny'], ['0s', 'deny'], ['abc', 'deny']],
  port: [[80, 'allow'], [65535, 'allow'], [0, 'deny'], [65536, 'deny']],
  destHost: [['reviews', 'allow'], ['reviews.shop.svc.cluster.local', 'allow'], ['*.example.com', 'allow'], ['*', 'deny'], ['bad_host', 'deny'], ['a..b', 'deny'], ['x.123', 'deny']],
  subset: [['v2', 'allow'], ['V2-canary', 'allow'], ['v_2', 'deny'], ['-v2', 'deny'], ['v2.1', 'deny']],
  weight: [[0, 'allow'], [37, 'allow'], [-1, 'deny']],
  regex: [['.*', 'allow'], ['^/api/v[0-9]+', 'allow'], ['(', 'deny'], ['a(?=b)', 'deny'], ['(a)\\1', 'deny'], ['', 'deny']],
  headerPrefix: [['x', 'allow'], ['', 'deny']],
  uriPrefix: [['/', 'allow'], ['', 'allow']],
  mirrorPct: [[0, 'allow'], [50.5, 'allow'], [100, 'allow'], [100.1, 'deny'], [-1, 'deny']],
  faultPct: [[0, 'allow'], [0.0001, 'allow'], [100, 'allow'], [0.00001, 'deny'], [100.5, 'deny'], [-3, 'deny']],
  httpStatus: [[200, 'allow'], [503, 'allow'], [199, 'deny'], [601, 'deny']],
  retryOn: [['5xx', 'allow'], ['gateway-error,connect-failure,503', 'allow'], ['5xx,bogus', 'deny'], ['5xx, reset', 'deny']],
  attempts: [[3, 'allow'], [-1, 'deny']],
  redirectCode: [[301, 'allow'], [308, 'allow'], [200, 'deny'], [400, 'deny']],
  exportTo: [[['.'], 'allow'], [['*'], 'allow'], [['.', 'other'], 'allow'], [['*', 'shop'], 'deny'], [['a', 'a'], 'deny']],
  labelValue: [['v1', 'allow'], ['a.b_c-d', 'allow'], ['-bad', 'deny'], ['has space', 'deny']],
  percent: [[0, 'allow'], [100, 'allow'], [101, 'deny']],
  gatewayHost: [['*', 'allow'], ['shop.example.com', 'allow'], ['*.example.com', 'allow'], ['shop', 'deny'], ['sh*p.example.com', 'deny'], ['ns/shop.example.com', 'allow']],
  serverTlsMode: [['SIMPLE', 'allow'], ['MUTUAL', 'allow'], ['ISTIO_MUTUAL', 'deny']],
  protocol: [['HTTP', 'allow'], ['HTTP2', 'allow'], ['GRPC', 'allow'], ['FTP', 'deny']],
  applyTo: [['HTTP_FILTER', 'allow'], ['CLUSTER', 'deny']],
};

/** Which class a leaf belongs to, from its path. */
function classify(path: Path): string | undefined {
  const key = String(path[path.length - 1]);
  const parent = String(path[path.length - 2] ?? '');
  const grand = String(path[path.length - 3] ?? '');
  if (key === 'idleTimeout' && parent === 'tcp') return 'tcpIdle';
  if (key === 'number' && parent === 'port' && path.includes('portLevelSettings')) return 'drPort';
  if (['timeout', 'perTryTimeout', 'fixedDelay', 'baseEjectionTime', 'interval', 'connectTimeout', 'idleTimeout', 'maxConnectionDuration', 'backoff'].includes(key)) return 'duration';
  if (key === 'number' && parent === 'port') return 'port';
  if (key === 'host' && parent === 'destination') return 'destHost';
  if (key === 'subset') return 'subset';
  if (key === 'weight') return 'weight';
  if (key === 'regex' && grand !== 'withoutHeaders') return 'regex';
  if (key === 'prefix') return parent === 'uri' ? 'uriPrefix' : grand === 'headers' ? 'headerPrefix' : undefined;
  if (key === 'value' && parent === 'mirrorPercentage') return 'mirrorPct';
  if (key === 'value' && parent === 'percentage' && (grand === 'abort' || grand === 'delay')) return 'faultPct';
  if (key === 'httpStatus' || (key === 'status' && parent === 'directResponse')) return 'httpStatus';
  if (key === 'retryOn') return 'retryOn';
  if (key === 'attempts') return 'attempts';
  if (key === 'redirectCode') return 'redirectCode';
  if (key === 'exportTo') return 'exportTo';
  if (parent === 'labels' && grand.startsWith('subsets') === false && path.includes('subsets')) return 'labelValue';
  if (key === 'maxEjectionPercent' || key === 'minHealthPercent') return 'percent';
  if (parent === 'hosts' && path.includes('servers')) return 'gatewayHost';
  if (key === 'mode' && parent === 'tls' && path.includes('servers')) return 'serverTlsMode';
  if (key === 'protocol' && parent === 'port' && path.includes('servers')) return 'protocol';
  if (key === 'applyTo') return 'applyTo';
  return undefined;
}

function leaves(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string') && classify(path)) out.push(path);
    else value.forEach((v, i) => leaves(v, [...path, i], out));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) leaves(v, [...path, k], out);
  } else if (classify(path)) {
    out.push(path);
  }
  return out;
}

function setAt(obj: Json, path: Path, value: unknown): Json {
  const copy = structuredClone(obj);
  let cur: Record<string | number, unknown> = copy;
  for (const p of path.slice(0, -1)) cur = cur[p] as Record<string | number, unknown>;
  cur[path[path.length - 1]!] = value;
  return copy;
}

function meta(name: string, namespace = 'shop'): { name: string; namespace: string } {
  return { name, namespace };
}

function vs(name: string, spec: Json): KubeObject {
  return { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: meta(name), spec } as KubeObject;
}

function dr(name: string, spec: Json): KubeObject {
  return { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: meta(name), spec } as KubeObject;
}

/** The family of valid VirtualServices. */
function baseVirtualServices(): KubeObject[] {
  const out: KubeObject[] = [];
  const hosts = [['reviews'], ['reviews.shop.svc.cluster.local'], ['api.example.com'], ['reviews', 'ratings.shop.svc.cluster.local']];
  const splits: Array<Array<[string, number]>> = [[['v1', 100]], [['v1', 90], ['v2', 10]], [['v1', 50], ['v2', 30], ['v3', 20]]];
  const extras: Array<[string, Json]> = [
    ['plain', {}],
    ['retries', { retries: { attempts: 3, perTryTimeout: '2s', retryOn: '5xx,connect-failure' } }],
    ['fault', { fault: { abort: { httpStatus: 503, percentage: { value: 10 } }, delay: { fixedDelay: '5s', percentage: { value: 20 } } } }],
    ['timeout', { timeout: '10s' }],
    ['mirror', { mirror: { host: 'reviews', subset: 'v2' }, mirrorPercentage: { value: 20 } }],
    ['match', { match: [{ uri: { prefix: '/api' }, headers: { 'end-user': { exact: 'jason' }, 'x-tier': { prefix: 'gold' } } }, { uri: { regex: '^/v[0-9]+/.*' } }] }],
    ['headers', { headers: { request: { set: { 'x-gray': 'on' } }, response: { remove: ['x-internal'] } } }],
    ['cors', { corsPolicy: { allowOrigins: [{ exact: 'https://example.com' }], allowMethods: ['GET', 'POST'], maxAge: '24h' } }],
  ];
  hosts.forEach((h, hi) => splits.forEach((split, si) => extras.forEach(([label, extra]) => {
    const route = { ...extra, route: split.map(([subset, weight]) => ({ destination: { host: 'reviews', subset, port: { number: 9080 } }, weight })) };
    const http = 'match' in extra ? [route, { route: [{ destination: { host: 'reviews', subset: 'v1' } }] }] : [route];
    out.push(vs(`vs-${hi}-${si}-${label}`, { hosts: h, ...(hi === 2 ? { gateways: ['istio-system/public'] } : {}), http, exportTo: ['.'] }));
  })));
  out.push(vs('vs-redirect', { hosts: ['old.example.com'], gateways: ['istio-system/public'], http: [{ redirect: { uri: '/new', authority: 'new.example.com', redirectCode: 301 } }] }));
  out.push(vs('vs-direct', { hosts: ['reviews'], http: [{ directResponse: { status: 503, body: { string: 'maintenance' } } }] }));
  out.push(vs('vs-tcp', { hosts: ['db'], tcp: [{ match: [{ port: 5432 }], route: [{ destination: { host: 'db', port: { number: 5432 } } }] }] }));
  out.push(vs('vs-tls', { hosts: ['*.example.com'], gateways: ['istio-system/public'], tls: [{ match: [{ port: 443, sniHosts: ['api.example.com'] }], route: [{ destination: { host: 'api', port: { number: 8443 } } }] }] }));
  return out;
}

function baseDestinationRules(): KubeObject[] {
  const out: KubeObject[] = [];
  const policies: Array<[string, Json | undefined]> = [
    ['none', undefined],
    ['outlier', { outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50, minHealthPercent: 10 } }],
    ['pool', { connectionPool: { tcp: { maxConnections: 100, connectTimeout: '3s', idleTimeout: '1h' }, http: { http1MaxPendingRequests: 10, idleTimeout: '60s' } } }],
    ['lb', { loadBalancer: { simple: 'LEAST_REQUEST' } }],
    ['tls', { tls: { mode: 'ISTIO_MUTUAL' } }],
    ['port', { portLevelSettings: [{ port: { number: 9080 }, loadBalancer: { simple: 'ROUND_ROBIN' } }] }],
  ];
  for (const host of ['reviews', 'reviews.shop.svc.cluster.local', '*.example.com']) {
    for (const [label, policy] of policies) {
      out.push(dr(`dr-${out.length}-${label}`, {
        host,
        ...(policy ? { trafficPolicy: policy } : {}),
        subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }, { name: 'v3', labels: { version: 'v3' } }],
        exportTo: ['.'],
      }));
    }
  }
  return out;
}

function baseGateways(): KubeObject[] {
  return [
    { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: meta('public'), spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] } },
    { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: meta('secure'), spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['shop.example.com'], tls: { mode: 'SIMPLE', credentialName: 'shop-cert' } }] } },
  ] as KubeObject[];
}

function baseEnvoyFilters(): KubeObject[] {
  return [{
    apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: meta('lua'), spec: {
      workloadSelector: { labels: { istio: 'ingressgateway' } },
      configPatches: [{
        applyTo: 'HTTP_FILTER',
        match: { context: 'GATEWAY', listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } } } },
        patch: { operation: 'INSERT_BEFORE', value: { name: 'envoy.filters.http.lua', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', inlineCode: 'function envoy_on_request(h) end' } } },
      }],
    },
  } as KubeObject];
}

/** Hand-written classics: the mistakes people make, with Istio's verdict. */
function classics(): CorpusEntry[] {
  const c = (name: string, expect: Verdict, object: KubeObject): CorpusEntry => ({ name: `classic/${name}`, object, expect });
  const route = (http: Json[]) => vs('classic', { hosts: ['reviews'], http });
  return [
    c('destination-beside', 'deny', route([{ route: [{ destination: null, host: 'reviews', subset: 'v1', weight: 50 } as Json] }])),
    c('no-route', 'deny', route([{ match: [{ uri: { prefix: '/' } }] }])),
    c('route-and-redirect', 'deny', route([{ redirect: { uri: '/x' }, route: [{ destination: { host: 'reviews' } }] }])),
    c('redirect-and-direct', 'deny', route([{ redirect: { uri: '/x' }, directResponse: { status: 200 } }])),
    c('rewrite-with-direct', 'deny', route([{ rewrite: { uri: '/x' }, directResponse: { status: 200 } }])),
    c('retry-on-without-attempts', 'deny', route([{ retries: { retryOn: '5xx' }, route: [{ destination: { host: 'reviews' } }] }])),
    c('fault-empty', 'deny', route([{ fault: {}, route: [{ destination: { host: 'reviews' } }] }])),
    c('fault-exponential', 'deny', route([{ fault: { delay: { exponentialDelay: '1s' } }, route: [{ destination: { host: 'reviews' } }] }])),
    c('weights-all-zero', 'deny', route([{ route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: 0 }, { destination: { host: 'reviews', subset: 'v2' }, weight: 0 }] }])),
    c('weights-90-is-fine-for-istio', 'allow', route([{ route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: 80 }, { destination: { host: 'reviews', subset: 'v2' }, weight: 10 }] }])),
    c('mirror-and-mirrors', 'deny', route([{ mirror: { host: 'reviews' }, mirrors: [{ destination: { host: 'reviews' } }], route: [{ destination: { host: 'reviews' } }] }])),
    c('mesh-wildcard-host', 'deny', vs('classic', { hosts: ['*'], http: [{ route: [{ destination: { host: 'reviews' } }] }] })),
    c('duplicate-hosts', 'deny', vs('classic', { hosts: ['a.example.com', '*.example.com'], gateways: ['istio-system/public'], http: [{ route: [{ destination: { host: 'reviews' } }] }] })),
    c('delegate-with-gateways', 'deny', vs('classic', { gateways: ['istio-system/public'], http: [{ route: [{ destination: { host: 'reviews' } }] }] })),
    c('delegate-with-tcp', 'deny', vs('classic', { tcp: [{ route: [{ destination: { host: 'reviews' } }] }] })),
    c('root-with-route', 'deny', route([{ delegate: { name: 'child' }, route: [{ destination: { host: 'reviews' } }] }])),
    c('jwt-claims-on-mesh', 'deny', route([{ match: [{ headers: { '@request.auth.claims.group': { exact: 'beta' } } }], route: [{ destination: { host: 'reviews' } }] }])),
    c('pseudo-header-path', 'allow', route([{ match: [{ headers: { ':path': { prefix: '/api' } } }], route: [{ destination: { host: 'reviews' } }] }])),
    c('pseudo-header-unknown', 'deny', route([{ match: [{ headers: { ':foo': { exact: 'x' } } }], route: [{ destination: { host: 'reviews' } }] }])),
    c('without-headers-star', 'allow', route([{ match: [{ withoutHeaders: { 'x-canary': { regex: '*' } } }], route: [{ destination: { host: 'reviews' } }] }])),
    c('no-routes-at-all', 'deny', vs('classic', { hosts: ['reviews'] })),
    c('tls-without-match', 'deny', vs('classic', { hosts: ['a.example.com'], gateways: ['istio-system/public'], tls: [{ route: [{ destination: { host: 'a' } }] }] })),
    c('sni-not-in-hosts', 'deny', vs('classic', { hosts: ['a.example.com'], gateways: ['istio-system/public'], tls: [{ match: [{ sniHosts: ['b.example.com'] }], route: [{ destination: { host: 'a' } }] }] })),
    c('set-host-header', 'allow', route([{ headers: { request: { set: { host: 'x' } } }, route: [{ destination: { host: 'reviews' } }] }])),
    c('remove-host-header', 'deny', route([{ headers: { request: { remove: ['Host'] } }, route: [{ destination: { host: 'reviews' } }] }])),
    c('header-value-percent', 'deny', route([{ headers: { response: { add: { 'x-a': '100%' } } }, route: [{ destination: { host: 'reviews' } }] }])),
    c('header-value-escaped', 'allow', route([{ headers: { response: { add: { 'x-a': '100%%' } } }, route: [{ destination: { host: 'reviews' } }] }])),
    c('authority-twice', 'deny', route([{ rewrite: { authority: 'a' }, headers: { request: { set: { ':authority': 'b' } } }, route: [{ destination: { host: 'reviews' } }] }])),
    c('rewrite-empty', 'deny', route([{ rewrite: {}, route: [{ destination: { host: 'reviews' } }] }])),
    c('cors-method-lowercase', 'deny', route([{ corsPolicy: { allowMethods: ['get'] }, route: [{ destination: { host: 'reviews' } }] }])),
    c('dr-empty-policy', 'deny', dr('classic', { host: 'reviews', trafficPolicy: {} })),
    c('dr-duplicate-subset', 'deny', dr('classic', { host: 'reviews', subsets: [{ name: 'v1' }, { name: 'v1' }] })),
    c('dr-pool-empty', 'deny', dr('classic', { host: 'reviews', trafficPolicy: { connectionPool: {} } })),
    c('dr-maglev-not-prime', 'deny', dr('classic', { host: 'reviews', trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x', maglev: { tableSize: 65536 } } } } })),
    c('dr-mutual-no-cert', 'deny', dr('classic', { host: 'reviews', trafficPolicy: { tls: { mode: 'MUTUAL' } } })),
    c('dr-local-origin', 'deny', dr('classic', { host: 'reviews', trafficPolicy: { outlierDetection: { consecutiveLocalOriginFailures: 3 } } })),
    c('gw-no-servers', 'deny', { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: meta('g'), spec: { servers: [] } } as KubeObject),
    c('gw-https-no-tls', 'deny', { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: meta('g'), spec: { servers: [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['*'] }] } } as KubeObject),
    c('gw-http-redirect-only', 'allow', { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: meta('g'), spec: { servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'], tls: { httpsRedirect: true } }] } } as KubeObject),
    c('gw-dup-port-name', 'deny', { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: meta('g'), spec: { servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }, { port: { number: 8080, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] } } as KubeObject),
    c('ef-missing-patch', 'deny', { apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: meta('e'), spec: { configPatches: [{ applyTo: 'HTTP_FILTER' }] } } as KubeObject),
    c('ef-no-value', 'deny', { apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: meta('e'), spec: { configPatches: [{ applyTo: 'CLUSTER', patch: { operation: 'MERGE' } }] } } as KubeObject),
    c('ef-remove', 'allow', { apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: meta('e'), spec: { configPatches: [{ applyTo: 'CLUSTER', patch: { operation: 'REMOVE' } }] } } as KubeObject),
  ];
}

export function buildCorpus(): CorpusEntry[] {
  const out: CorpusEntry[] = classics();
  for (const base of [...baseVirtualServices(), ...baseDestinationRules(), ...baseGateways(), ...baseEnvoyFilters()]) {
    out.push({ name: `${base.kind}/${base.metadata.name}`, object: base, expect: 'allow' });
    for (const path of leaves(base)) {
      const cls = classify(path)!;
      if (cls === 'protocol' && base.metadata.name === 'secure') continue; // HTTPS with TLS: the protocol decides more than the value
      for (const [value, expect] of MUTATIONS[cls]!) {
        const object = setAt(base as unknown as Json, path, value) as unknown as KubeObject;
        out.push({ name: `${base.kind}/${base.metadata.name} ${path.join('.')}=${JSON.stringify(value)}`, object, expect });
      }
    }
  }
  return out;
}
