// Fuzz at the edge: generated requests to a locally started webhook (bench/fuzz/server.ts, a separate
// process) over TLS on loopback: malformed JSON, wrong kinds and versions, objects at and over the body
// limit, deep nesting, wrong field types, unicode, wrong methods, paths and media types. Every reply
// must be a well-formed AdmissionReview (with the request's uid) or a 4xx; the server must not crash;
// its peak RSS must stay under the chart's memory limit. Prints requests/s and peak RSS.
//
//   node dist/bench/fuzz/run.js                 CI's short run (20,000 requests, at most 120 s)
//   node dist/bench/fuzz/run.js --long          200,000 requests, at most 30 minutes
//   node dist/bench/fuzz/run.js --count N --seconds S --seed N --concurrency N
// Bounded by count and time; deterministic for a seed (the request mix, not the timing).
import { fork } from 'node:child_process';
import { Agent, request } from 'node:https';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BODY_LIMIT } from '../../webhook/server.js';

const here = dirname(fileURLToPath(import.meta.url));

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const LONG = process.argv.includes('--long');
const COUNT = Number(flag('count') ?? (LONG ? 200_000 : 20_000));
const SECONDS = Number(flag('seconds') ?? (LONG ? 1800 : 120));
const SEED = Number(flag('seed') ?? 14);
const CONCURRENCY = Number(flag('concurrency') ?? 16);
/** The chart's memory limit: a webhook above it would be killed. */
const RSS_LIMIT = 512 * 1024 * 1024;

// A small, fast, seeded PRNG (mulberry32).
let state = SEED >>> 0;
function random(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
const chance = (p: number) => random() < p;

const UNICODE = ['reviews', 'ré-views', 'レビュー', '👀', 'a\u0000b', '\u202etxet', 'zero\u200bwidth', '\ud800', '\udfff', 'x'.repeat(300), '', ' ', 'v1/../v2', '%00', '"quoted"', '\\', 'ＶＩ'];
const SUBSETS = ['v1', 'v2', 'v3', 'v4', 'canary', 'base', 'V1', '-bad', 'a.b', ...UNICODE];
const HOSTS = ['reviews', 'ratings', 'reviews.shop-0.svc.cluster.local', '*', '*.example.com', 'a..b', ...UNICODE];
const NAMESPACES = ['shop-0', 'shop-1', 'default', 'kube-system', ...UNICODE];

function randomScalar(): unknown {
  return pick<() => unknown>([() => int(1000) - 500, () => random() * 1e308, () => pick(UNICODE), () => true, () => null, () => -0, () => 2 ** 53 + 1, () => '1e999'])();
}

/** Any JSON value, up to a depth. */
function randomJson(depth: number): unknown {
  if (depth <= 0 || chance(0.4)) return randomScalar();
  if (chance(0.5)) return Array.from({ length: int(4) }, () => randomJson(depth - 1));
  return Object.fromEntries(Array.from({ length: int(4) }, () => [pick([...UNICODE, 'spec', 'metadata', 'http', 'route', 'weight', 'subsets', 'constructor', 'toString', 'hasOwnProperty']), randomJson(depth - 1)]));
}

function virtualService(): Record<string, any> {
  const routes = Array.from({ length: 1 + int(4) }, () => ({
    destination: { host: pick(HOSTS), ...(chance(0.8) ? { subset: pick(SUBSETS) } : {}) },
    ...(chance(0.8) ? { weight: pick([0, 10, 20, 50, 90, 100, -1, 101, 33]) } : {}),
  }));
  return {
    apiVersion: pick(['networking.istio.io/v1', 'networking.istio.io/v1beta1', 'networking.istio.io/v1alpha3', 'v1', undefined]),
    kind: pick(['VirtualService', 'VirtualService', 'DestinationRule', 'Gateway', undefined]),
    metadata: { name: pick(['reviews', 'ratings', ...UNICODE]), namespace: pick(NAMESPACES), ...(chance(0.2) ? { labels: { [pick(UNICODE)]: pick(UNICODE) } } : {}) },
    spec: {
      hosts: [pick(HOSTS)],
      ...(chance(0.1) ? { gateways: ['mesh'] } : {}),
      http: Array.from({ length: 1 + int(3) }, () => ({
        ...(chance(0.3) ? { name: pick(UNICODE) } : {}),
        ...(chance(0.3) ? { match: [{ headers: { [pick(['end-user', 'x y', 'ü', ':authority', ''])]: pick([{ exact: pick(UNICODE) }, { regex: pick(['(a', '.*', 'a{1000000}', '(?=x)', '\\p{L}+', '']) }, { prefix: 'x' }]) } }] } : {}),
        route: routes,
        ...(chance(0.1) ? { mirror: { host: pick(HOSTS), subset: pick(SUBSETS) }, mirrorPercentage: { value: pick([0, 50, 100, 150, -1, 'x']) } } : {}),
      })),
    },
  };
}

function destinationRule(): Record<string, any> {
  return {
    apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule',
    metadata: { name: pick(['reviews', 'ratings', ...UNICODE]), namespace: pick(NAMESPACES) },
    spec: {
      host: pick(HOSTS),
      subsets: Array.from({ length: int(5) }, () => ({ name: pick(SUBSETS), labels: { version: pick(SUBSETS) } })),
      ...(chance(0.2) ? { exportTo: [pick(['.', '*', 'shop-1', ''])] } : {}),
    },
  };
}

/** Replaces one node somewhere in the value with a value of another type. */
function wrongType(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > 8) return randomJson(2);
  const keys = Object.keys(value as object);
  if (keys.length === 0) return randomScalar();
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  const key = pick(keys);
  copy[key] = chance(0.3) ? randomJson(2) : wrongType(copy[key], depth + 1);
  return copy;
}

function nested(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

interface Case { name: string; method: string; path: string; contentType: string; body: Buffer | string; uid?: string; expect: 'review-or-4xx' | '4xx' | 'review' }

let uidCounter = 0;
function admissionReview(object: unknown, oldObject: unknown, operation: string, kind = 'VirtualService'): { body: Record<string, any>; uid: string } {
  const uid = `fuzz-${++uidCounter}`;
  return {
    uid,
    body: {
      apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
      request: {
        uid, kind: { group: 'networking.istio.io', version: pick(['v1', 'v1beta1', 'v1alpha3']), kind },
        resource: { group: 'networking.istio.io', version: 'v1', resource: kind === 'DestinationRule' ? 'destinationrules' : 'virtualservices' },
        name: 'reviews', namespace: pick(NAMESPACES), operation, userInfo: { username: pick(UNICODE) },
        object, oldObject, dryRun: chance(0.2),
      },
    },
  };
}

const PATHS = ['/validate', '/validate', '/validate', '/selfcheck', '/mutate'];

function generate(i: number): Case {
  const path = pick(PATHS);
  const json = (name: string, value: unknown, uid?: string, expect: Case['expect'] = 'review-or-4xx'): Case =>
    ({ name, method: 'POST', path, contentType: 'application/json', body: JSON.stringify(value), ...(uid ? { uid } : {}), expect });
  // Bodies at and over the limit are costly (8 MiB each): one in 2,500 of each.
  if (i % 2500 === 1250) {
    const r = admissionReview(virtualService(), null, 'CREATE');
    const text = JSON.stringify(r.body);
    r.body['request'].object.metadata.annotations = { big: 'x'.repeat(BODY_LIMIT - text.length - 100) };
    return json('at-body-limit', r.body, r.uid, 'review');
  }
  if (i % 2500 === 2499) {
    const r = admissionReview(virtualService(), null, 'CREATE');
    r.body['request'].object.metadata.annotations = { big: 'y'.repeat(BODY_LIMIT + int(1024)) };
    return json('over-body-limit', r.body, undefined, '4xx');
  }
  const roll = random();
  if (roll < 0.3) {
    const dr = chance(0.35);
    const op = pick(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);
    const make = dr ? destinationRule : virtualService;
    const r = admissionReview(op === 'DELETE' ? null : make(), op === 'CREATE' ? null : make(), op, dr ? 'DestinationRule' : 'VirtualService');
    return json('generated-review', r.body, r.uid, 'review');
  }
  if (roll < 0.5) {
    const r = admissionReview(virtualService(), chance(0.5) ? destinationRule() : null, pick(['CREATE', 'UPDATE', 'DELETE']), pick(['VirtualService', 'DestinationRule']));
    return json('wrong-field-types', wrongType(r.body));
  }
  if (roll < 0.6) {
    const r = admissionReview(virtualService(), null, 'CREATE');
    const variants: Array<() => unknown> = [
      () => ({ ...r.body, apiVersion: pick(['admission.k8s.io/v1beta1', 'v1', '', 1, null]) }),
      () => ({ ...r.body, kind: pick(['AdmissionReviewX', 'Status', '', null]) }),
      () => ({ ...r.body, request: { ...r.body['request'], kind: { group: pick(['', 'apps', 'networking.istio.io']), version: pick(['v1', 'v2']), kind: pick(['Pod', 'Deployment', 'VirtualService', 'EnvoyFilter']) } } }),
      () => ({ ...r.body, request: { ...r.body['request'], kind: pick([null, 'VirtualService', [], {}]) } }),
      () => ({ ...r.body, request: { ...r.body['request'], uid: pick([null, 1, {}, '']) } }),
      () => ({ ...r.body, request: undefined, response: { uid: 'x', allowed: true } }),
      () => [r.body],
      () => randomJson(4),
    ];
    return json('wrong-kind-or-version', pick(variants)());
  }
  if (roll < 0.72) {
    const r = admissionReview(virtualService(), null, 'CREATE');
    const text = JSON.stringify(r.body);
    const variants: Array<() => string | Buffer> = [
      () => text.slice(0, int(text.length)),
      () => text.replace(/[:,]/, pick(['', ';', '::'])),
      () => `${text}garbage`,
      () => text.replace('{', '{,'),
      () => Buffer.from(Array.from({ length: int(200) }, () => int(256))),
      () => Buffer.concat([Buffer.from(text.slice(0, 50)), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from(text.slice(50))]),
      () => '',
      () => 'null',
      () => '"AdmissionReview"',
      () => '{"__proto__":{"polluted":true},"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}',
      () => '{"constructor":{"prototype":{"polluted":true}}}',
      () => text.replace('"uid"', '"uid","uid"'),
    ];
    if (chance(0.05)) return { name: 'byte-order-mark', method: 'POST', path, contentType: 'application/json', body: `\ufeff${text}`, expect: 'review-or-4xx' };
    return { name: 'malformed-json', method: 'POST', path, contentType: 'application/json', body: pick(variants)(), expect: '4xx' };
  }
  if (roll < 0.8) {
    const depth = pick([64, 512, 5_000, 50_000, 200_000]);
    if (chance(0.5)) return { name: 'deep-nesting-raw', method: 'POST', path, contentType: 'application/json', body: nested(depth, pick(['array', 'object'])), expect: 'review-or-4xx' };
    // Nesting inside a well-formed review's object: the rule engine walks it.
    const r = admissionReview(virtualService(), null, 'CREATE');
    const text = JSON.stringify(r.body).replace('"spec":{', `"spec":{"deep":${nested(Math.min(depth, 20_000), 'array')},`);
    return { name: 'deep-nesting-in-object', method: 'POST', path, contentType: 'application/json', body: text, uid: r.uid, expect: 'review-or-4xx' };
  }
  if (roll < 0.9) {
    const vs = virtualService();
    vs['metadata'].name = pick(UNICODE) + pick(UNICODE);
    vs['spec'].http[0].route[0].destination.subset = pick(UNICODE);
    const r = admissionReview(vs, null, 'CREATE');
    // JSON.stringify escapes lone surrogates; send some raw (invalid UTF-8 once encoded) too.
    return json('unicode', r.body, r.uid, 'review');
  }
  const variants: Array<() => Case> = [
    () => ({ name: 'wrong-method', method: pick(['GET', 'PUT', 'DELETE', 'PATCH']), path, contentType: 'application/json', body: '{}', expect: '4xx' }),
    () => ({ name: 'wrong-path', method: 'POST', path: pick(['/', '/validate/', '/validatex', '/v%ZZ', `/${'a'.repeat(5000)}`, '/metrics']), contentType: 'application/json', body: '{}', expect: '4xx' }),
    () => ({ name: 'wrong-media-type', method: 'POST', path, contentType: pick(['text/plain', 'application/x-www-form-urlencoded', 'application/yaml', 'multipart/form-data; boundary=x', '']), body: 'kind: AdmissionReview', expect: '4xx' }),
  ];
  return pick(variants)();
}

interface Ready { port: number; ca: string; rss: number; peakRss: number }
interface Stats { rss: number; peakRss: number }

const child = fork(join(here, 'server.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
let exited: string | undefined;
child.on('exit', (code, signal) => { exited = `server exited (code ${code}, signal ${signal})`; });
const next = <T>() => new Promise<T>((resolve) => child.once('message', (m) => resolve(m as T)));
const ready = await next<Ready>();
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca: ready.ca });

function send(c: Case): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const body = typeof c.body === 'string' ? Buffer.from(c.body) : c.body;
    const req = request({
      host: '127.0.0.1', port: ready.port, path: c.path, method: c.method, agent,
      headers: { ...(c.contentType ? { 'content-type': c.contentType } : {}), 'content-length': body.length },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('no reply within 30 s')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Why a reply is wrong, or undefined when it is right. */
function judge(c: Case, status: number, body: Buffer): string | undefined {
  const is4xx = status >= 400 && status < 500;
  if (c.expect === '4xx') return is4xx ? undefined : `expected a 4xx, got ${status}`;
  if (c.expect === 'review-or-4xx' && is4xx) return undefined;
  if (status !== 200) return `expected 200 with a review${c.expect === 'review-or-4xx' ? ' or a 4xx' : ''}, got ${status}: ${body.toString().slice(0, 200)}`;
  let reply: any;
  try {
    reply = JSON.parse(body.toString());
  } catch {
    return 'a 200 whose body is not JSON';
  }
  const r = reply?.response;
  if (reply?.apiVersion !== 'admission.k8s.io/v1' || reply?.kind !== 'AdmissionReview' || !r) return `not an AdmissionReview: ${body.toString().slice(0, 200)}`;
  if (typeof r.uid !== 'string' || (c.uid !== undefined && r.uid !== c.uid)) return `uid ${JSON.stringify(r.uid)} is not the request's ${c.uid}`;
  if (typeof r.allowed !== 'boolean') return 'response.allowed is not a boolean';
  if (!r.allowed && (typeof r.status?.code !== 'number' || typeof r.status?.message !== 'string')) return 'a refusal without status.code and status.message';
  if (r.status?.code >= 500) return `an internal error review (${r.status.code}: ${r.status.message})`;
  if (r.patch !== undefined && (r.patchType !== 'JSONPatch' || !Array.isArray(JSON.parse(Buffer.from(r.patch, 'base64').toString())))) return 'a patch that is not a base64 JSON Patch';
  if (r.warnings !== undefined && (!Array.isArray(r.warnings) || r.warnings.some((w: unknown) => typeof w !== 'string'))) return 'warnings that are not strings';
  return undefined;
}

const failures = new Map<string, { count: number; example: string }>();
const byCase = new Map<string, number>();
const timeByCase = new Map<string, number>();
let sent = 0;
let peakRss = ready.peakRss;
const started = Date.now();
const deadline = started + SECONDS * 1000;
const sampler = setInterval(() => {
  if (exited) return;
  child.send('stats');
  void next<Stats>().then((s) => { peakRss = Math.max(peakRss, s.peakRss); });
}, 1000);

await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
  while (sent < COUNT && Date.now() < deadline && !exited) {
    const i = sent++;
    const c = generate(i);
    byCase.set(c.name, (byCase.get(c.name) ?? 0) + 1);
    let problem: string | undefined;
    const t0 = Date.now();
    try {
      const { status, body } = await send(c);
      problem = judge(c, status, body);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A body over the limit may be cut off while still being sent, once the 413 is on its way.
      problem = c.name === 'over-body-limit' && (code === 'ECONNRESET' || code === 'EPIPE') ? undefined : `no reply: ${(err as Error).message}`;
    }
    timeByCase.set(c.name, (timeByCase.get(c.name) ?? 0) + Date.now() - t0);
    if (problem) {
      const key = `${c.name}: ${problem.slice(0, 120)}`;
      const f = failures.get(key) ?? { count: 0, example: `${c.method} ${c.path} ${c.contentType} ${(typeof c.body === 'string' ? c.body : c.body.toString('latin1')).slice(0, 300)}` };
      f.count += 1;
      failures.set(key, f);
    }
  }
}));
clearInterval(sampler);
const seconds = (Date.now() - started) / 1000;

// Still alive and healthy after all of it?
let alive = !exited;
if (alive) {
  try {
    alive = (await send({ name: 'health', method: 'GET', path: '/healthz', contentType: '', body: '', expect: '4xx' })).status === 200;
  } catch {
    alive = false;
  }
}
if (!exited) {
  child.send('stats');
  peakRss = Math.max(peakRss, (await next<Stats>()).peakRss);
  child.send('stop');
}
agent.destroy();

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`;
console.log(`fuzz: ${sent} requests in ${seconds.toFixed(1)} s = ${Math.round(sent / seconds)} requests/s over TLS (${CONCURRENCY} connections, seed ${SEED})`);
console.log(`fuzz: server peak RSS ${mib(peakRss)} (limit ${mib(RSS_LIMIT)}); ${alive ? 'alive and healthy at the end' : exited ?? 'not healthy at the end'}`);
console.log(`fuzz: mix (count, mean ms) ${[...byCase].sort().map(([k, v]) => `${k}=${v}/${((timeByCase.get(k) ?? 0) / v).toFixed(1)}`).join(' ')}`);
for (const [key, f] of failures) console.log(`fuzz: FAILED ${f.count}x ${key}\n      e.g. ${f.example}`);
const failed = failures.size > 0 || !alive || peakRss > RSS_LIMIT || sent < Math.min(COUNT, 1000);
console.log(failed ? 'fuzz: FAILED' : 'fuzz: every reply was a well-formed AdmissionReview or a 4xx');
process.exit(failed ? 1 : 0);
