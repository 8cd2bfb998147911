// bench/scale: whether a command's cost follows the service it touches, not the size of the cluster. The local
// cluster is filled with N VirtualServices and N DestinationRules that have nothing to do with reviews (namespaces
// scale-0, scale-1, ..., 1,000 of each kind per namespace, through the admission webhook like any write), and for
// each N the same rows as bench/plugin are timed: set-weight against `kubectl patch --type=json` of the same
// change, status against `kubectl get vs,dr,pods -n bookinfo`, the peak RSS of set-weight; beside them
// `analyze` of a folder holding bookinfo.yaml and the same N + N objects as YAML, and the webhook's RSS and
// p99 admission latency (its histogram's deltas over 300 server-side dry-run updates of reviews, at the
// histogram's bucket resolution; and the dry-run round trip as the client sees it).
//
// Every row runs once per round, rounds interleaved, medians of BENCH_RUNS rounds (default 11) after two
// warm-up rounds; analyze is the median of 3. Needs `make cluster-up` (this script applies Bookinfo itself).
//
//   node dist/bench/scale/run.js            N = 0, 2000, 10000
//   node dist/bench/scale/run.js --huge     adds 50000 (or SCALE_HUGE=1)
//   SCALE_N=0,2000 node dist/bench/scale/run.js
//   node dist/bench/scale/run.js --clean    deletes the scale-* namespaces and exits
//
// Filling is incremental: what an earlier run created stays (going from 2k to 10k creates the 8k missing; a
// smaller N deletes the surplus). SCALE_PARALLEL (default 32) requests in flight while filling.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, type RequestOptions, request } from 'node:https';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { median } from '../median.js';
import { type Row, measureRounds, peakRssMiB } from '../rounds.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const RUNS = Math.max(1, Number(process.env['BENCH_RUNS'] ?? 11));
const PARALLEL = Math.max(1, Number(process.env['SCALE_PARALLEL'] ?? 32));
const HUGE = process.argv.includes('--huge') || process.env['SCALE_HUGE'] === '1';
const CLEAN = process.argv.includes('--clean');
const NS_LIST = (process.env['SCALE_N'] ? process.env['SCALE_N'].split(',').map((s) => Number(s.trim())) : [0, 2000, 10000, ...(HUGE ? [50000] : [])]);
if (NS_LIST.some((n) => !Number.isInteger(n) || n < 0)) throw new Error(`SCALE_N: not a list of counts: ${process.env['SCALE_N']}`);
// Ascending, so each fill only adds to the last.
const COUNTS = [...new Set(NS_LIST)].sort((a, b) => a - b);

const plugin = join(root, 'bin', 'kubectl-gray');
const kubeconfig = process.env['KUBECONFIG'] ?? join(root, '.cluster', 'kubeconfig');
const kubectl = process.env['KUBECTL'] ?? (existsSync(join(root, 'test', 'cluster', 'bin', 'kubectl')) ? join(root, 'test', 'cluster', 'bin', 'kubectl') : 'kubectl');
const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: kubeconfig };
const NS = 'bookinfo';
const bookinfo = join(root, 'test', 'fixtures', 'bookinfo.yaml');

const PER_NS = 1000;
const BENCH_LABEL = 'kubectl-gray.io/bench';
const SELECTOR = `${BENCH_LABEL}=scale`;
const ISTIO = '/apis/networking.istio.io/v1';
const KINDS = [
  { resource: 'destinationrules', make: destinationRule },
  { resource: 'virtualservices', make: virtualService },
] as const;
const DRY_RUNS = 300;

// ---- a REST client with many sockets (kube/rest.ts keeps one: right for a command, too slow for a fill) ----

interface Reply { status: number; text: string; ms: number }

class Api {
  private agent!: Agent;
  private headers: Record<string, string> = {};
  private refreshed = 0;
  private readonly server: URL;

  constructor(private readonly kc: KubeConfig, private readonly sockets: number) {
    this.server = new URL(kc.getCurrentCluster()!.server);
    if (this.server.protocol !== 'https:') throw new Error(`${this.server}: this benchmark speaks https only`);
  }

  /** Credentials again every minute: an exec or OIDC token can expire during a long fill. */
  private async credentials(): Promise<void> {
    if (Date.now() - this.refreshed < 60_000) return;
    const opts: RequestOptions = {};
    await this.kc.applyToHTTPSOptions(opts);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (typeof v === 'string') headers[k] = v;
    if (opts.auth) headers['Authorization'] = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    this.headers = headers;
    if (!this.agent) {
      const made = opts.agent instanceof Agent ? opts.agent.options : {};
      this.agent = new Agent({ ...made, ca: opts.ca, cert: opts.cert, key: opts.key, keepAlive: true, maxSockets: this.sockets });
    }
    this.refreshed = Date.now();
  }

  async call(method: string, path: string, body?: unknown, accept = 'application/json', contentType = 'application/json'): Promise<Reply> {
    await this.credentials();
    const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const started = process.hrtime.bigint();
    return new Promise<Reply>((resolve, reject) => {
      const req = request(new URL(path, this.server), {
        method, agent: this.agent, timeout: 60_000,
        headers: { ...this.headers, Accept: accept, 'User-Agent': 'kubectl-gray-bench-scale', ...(payload ? { 'Content-Type': contentType, 'Content-Length': payload.length } : {}) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), ms: Number(process.hrtime.bigint() - started) / 1e6 }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 60 s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** A call that must succeed (2xx, or one of `ok`); the parsed body. */
  async json<T>(method: string, path: string, body?: unknown, ok: number[] = [], accept?: string): Promise<T> {
    const r = await this.call(method, path, body, accept);
    if ((r.status < 200 || r.status >= 300) && !ok.includes(r.status)) throw new Error(`${method} ${path}: HTTP ${r.status} ${r.text.slice(0, 400)}`);
    return (r.text ? JSON.parse(r.text) : undefined) as T;
  }

  close(): void {
    this.agent?.destroy();
  }
}

// ---- the objects: realistic, unrelated to reviews ----------------------------------------------------------

const nsOf = (i: number) => `scale-${Math.floor(i / PER_NS)}`;
const team = (i: number) => `team-${['payments', 'search', 'catalog', 'identity', 'checkout', 'ledger', 'media'][i % 7]}`;

function meta(i: number): object {
  return {
    name: `svc-${i}`, namespace: nsOf(i),
    labels: { [BENCH_LABEL]: 'scale', app: `svc-${i}`, team: team(i), tier: i % 3 ? 'backend' : 'frontend' },
    annotations: {
      owner: `${team(i)}@example.com`,
      'scale.kubectl-gray.io/description': `Routing for svc-${i}: a canary of v2 beside v1, owned by ${team(i)}; generated by bench/scale.`,
    },
  };
}

function destinationRule(i: number): object {
  const host = `svc-${i}`;
  return {
    apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: meta(i),
    spec: {
      host,
      trafficPolicy: {
        connectionPool: { tcp: { maxConnections: 100 + (i % 50), connectTimeout: '3s' }, http: { http1MaxPendingRequests: 64, maxRequestsPerConnection: 10 } },
        loadBalancer: { simple: i % 2 ? 'LEAST_REQUEST' : 'ROUND_ROBIN' },
        outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50 },
      },
      subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }],
    },
  };
}

function virtualService(i: number): object {
  const host = `svc-${i}`;
  return {
    apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: meta(i),
    spec: {
      hosts: [host],
      http: [{
        name: 'primary',
        match: [{ headers: { [i % 2 ? 'x-tenant' : 'x-user-group']: { prefix: `g${i % 10}-` } } }],
        route: [
          { destination: { host, subset: 'v1', port: { number: 9080 } }, weight: 90 },
          { destination: { host, subset: 'v2', port: { number: 9080 } }, weight: 10 },
        ],
        retries: { attempts: 3, perTryTimeout: '2s', retryOn: '5xx,reset,connect-failure' },
        timeout: '10s',
      }],
    },
  };
}

// ---- filling ------------------------------------------------------------------------------------------------

async function pool<T>(items: readonly T[], parallel: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

/** A write that may meet a busy server: 429, 5xx and dropped connections are tried again, a few times. */
async function write(api: Api, method: string, path: string, body: unknown, ok: number[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    let r: Reply | undefined;
    let failure: string;
    try {
      r = await api.call(method, path, body);
      if ((r.status >= 200 && r.status < 300) || ok.includes(r.status)) return;
      failure = `HTTP ${r.status} ${r.text.slice(0, 400)}`;
    } catch (err) {
      failure = (err as Error).message;
    }
    const transient = !r || r.status === 429 || r.status >= 500;
    if (!transient || attempt >= 5) throw new Error(`${method} ${path}: ${failure}`);
    await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
  }
}

// items is null, not [], in an empty PartialObjectMetadataList.
interface ListMeta { items: null | Array<{ metadata: { name: string; deletionTimestamp?: string } }>; metadata: { continue?: string; remainingItemCount?: number } }
const METADATA = 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json';

async function names(api: Api, path: string): Promise<Set<string>> {
  const out = new Set<string>();
  let token: string | undefined;
  do {
    const page = await api.json<ListMeta>('GET', `${path}${path.includes('?') ? '&' : '?'}limit=1000${token ? `&continue=${encodeURIComponent(token)}` : ''}`, undefined, [], METADATA);
    for (const item of page.items ?? []) out.add(item.metadata.name);
    token = page.metadata.continue || undefined;
  } while (token);
  return out;
}

/** Objects of a kind in a namespace, without reading them: the first page's size and remainingItemCount. */
async function count(api: Api, ns: string, resource: string): Promise<number> {
  const page = await api.json<ListMeta>('GET', `${ISTIO}/namespaces/${ns}/${resource}?limit=1`, undefined, [], METADATA);
  const first = page.items?.length ?? 0;
  if (!page.metadata.continue) return first;
  return page.metadata.remainingItemCount !== undefined ? first + page.metadata.remainingItemCount : (await names(api, `${ISTIO}/namespaces/${ns}/${resource}`)).size;
}

async function scaleNamespaces(api: Api): Promise<Map<string, boolean>> {
  const list = await api.json<ListMeta>('GET', `/api/v1/namespaces?labelSelector=${encodeURIComponent(SELECTOR)}`, undefined, [], METADATA);
  return new Map((list.items ?? []).map((n) => [n.metadata.name, !!n.metadata.deletionTimestamp]));
}

async function untilGone(api: Api, namespaces: string[], what: string): Promise<void> {
  const started = Date.now();
  let last = 0;
  for (;;) {
    const left = [...(await scaleNamespaces(api)).keys()].filter((n) => namespaces.includes(n));
    if (!left.length) return;
    if (Date.now() - started > 30 * 60_000) throw new Error(`${what}: ${left.length} namespaces still there after 30 minutes`);
    if (Date.now() - last > 5_000) {
      process.stderr.write(`${what}: waiting for ${left.length} namespace(s) to go (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
      last = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

async function clean(api: Api): Promise<void> {
  const namespaces = [...(await scaleNamespaces(api)).keys()];
  const started = Date.now();
  await pool(namespaces, 8, (ns) => write(api, 'DELETE', `/api/v1/namespaces/${ns}`, undefined, [404]));
  await untilGone(api, namespaces, 'clean');
  process.stderr.write(`clean: ${namespaces.length} namespace(s) deleted in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

interface Fill { created: number; deleted: number; seconds: number; settled?: number }

/** Makes the cluster hold exactly objects 0..n-1 of each kind: creates what is missing, deletes the rest. */
async function fill(api: Api, n: number): Promise<Fill> {
  const started = Date.now();
  const wanted = Math.ceil(n / PER_NS);
  let found = await scaleNamespaces(api);
  // A namespace still terminating (an earlier --clean) refuses new objects: let it finish first.
  const terminating = [...found].filter(([, t]) => t).map(([name]) => name);
  if (terminating.length) await untilGone(api, terminating, `fill N=${n}`);
  found = await scaleNamespaces(api);
  const surplus = [...found.keys()].filter((ns) => Number(ns.slice('scale-'.length)) >= wanted);

  const create: Record<string, number[]> = { destinationrules: [], virtualservices: [] };
  const remove: Record<string, Array<[string, string]>> = { destinationrules: [], virtualservices: [] };
  for (let k = 0; k < wanted; k++) {
    const ns = `scale-${k}`;
    if (!found.has(ns)) await write(api, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { [BENCH_LABEL]: 'scale' } } }, [409]);
    const lo = k * PER_NS;
    const hi = Math.min(n, lo + PER_NS);
    for (const { resource } of KINDS) {
      if (found.has(ns) && (await count(api, ns, resource)) === hi - lo) continue;
      const have = found.has(ns) ? await names(api, `${ISTIO}/namespaces/${ns}/${resource}`) : new Set<string>();
      for (let i = lo; i < hi; i++) if (!have.delete(`svc-${i}`)) create[resource]!.push(i);
      for (const name of have) remove[resource]!.push([ns, name]);
    }
  }

  const total = create['destinationrules']!.length + create['virtualservices']!.length;
  let done = 0;
  let lastDone = 0;
  let lastAt = Date.now();
  const progress = setInterval(() => {
    const now = Date.now();
    process.stderr.write(`fill N=${n}: ${done}/${total} objects, ${((done - lastDone) / ((now - lastAt) / 1000)).toFixed(0)}/s\n`);
    lastDone = done;
    lastAt = now;
  }, 5_000);
  try {
    // Every DestinationRule before any VirtualService: the webhook refuses a route to a subset it has not seen.
    for (const { resource, make } of KINDS) {
      await pool(create[resource]!, PARALLEL, async (i) => {
        await write(api, 'POST', `${ISTIO}/namespaces/${nsOf(i)}/${resource}`, make(i), [409]);
        done++;
      });
    }
  } finally {
    clearInterval(progress);
  }
  // The surplus goes routes first (the webhook refuses to delete a DestinationRule a route still uses).
  let deleted = 0;
  for (const { resource } of [...KINDS].reverse()) {
    await pool(remove[resource]!, PARALLEL, async ([ns, name]) => {
      await write(api, 'DELETE', `${ISTIO}/namespaces/${ns}/${resource}/${name}`, undefined, [404]);
      deleted++;
    });
  }
  if (surplus.length) {
    for (const ns of surplus) {
      deleted += (await count(api, ns, 'virtualservices')) + (await count(api, ns, 'destinationrules'));
      await write(api, 'DELETE', `/api/v1/namespaces/${ns}`, undefined, [404]);
    }
    await untilGone(api, surplus, `fill N=${n}`);
  }
  const seconds = (Date.now() - started) / 1000;
  if (total || deleted) process.stderr.write(`fill N=${n}: ${total} created, ${deleted} deleted in ${seconds.toFixed(1)} s (${(total / seconds).toFixed(0)} objects/s)\n`);
  return { created: total, deleted, seconds };
}

/**
 * After a fill the control plane is still busy (istiod digests the new objects, the webhook's caches and route
 * index catch up): wait, at most two minutes, for a 2 s window in which the machine's cores are 80 % idle.
 */
async function settle(n: number): Promise<number> {
  if (!existsSync('/proc/stat')) return 0;
  const ticks = () => {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { idle: cpu[3]! + (cpu[4] ?? 0), total: cpu.reduce((a, b) => a + b, 0) };
  };
  const started = Date.now();
  let last = ticks();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const now = ticks();
    const idle = (now.idle - last.idle) / Math.max(1, now.total - last.total);
    last = now;
    if (idle >= 0.8 || Date.now() - started > 120_000) {
      const waited = (Date.now() - started) / 1000;
      process.stderr.write(`N=${n}: waited ${waited.toFixed(0)} s for the machine to settle (${(idle * 100).toFixed(0)} % idle)\n`);
      return waited;
    }
  }
}

// ---- the commands --------------------------------------------------------------------------------------------

const setWeight = (v2: number) => [plugin, 'set-weight', 'reviews', `v2=${v2}`, '-n', NS];
// kubectl's own change of the catch-all route's weights, the same edit set-weight makes.
const patch = (v2: number) => [kubectl, 'patch', 'virtualservice', 'reviews', '-n', NS, '--type=json', '-p', JSON.stringify([
  { op: 'test', path: '/spec/http/0/route/1/destination/subset', value: 'v2' },
  { op: 'replace', path: '/spec/http/0/route/0/weight', value: 100 - v2 },
  { op: 'replace', path: '/spec/http/0/route/1/weight', value: v2 },
])];
// Each writer sets values the other never leaves, so every run of either is a real change (a write, admission,
// istiod's push), never a no-op against what the other just wrote.
const ROWS: Row[] = [
  { name: 'set-weight', argv: (i) => setWeight(i % 2 ? 30 : 40) },
  { name: 'patch', argv: (i) => patch(i % 2 ? 10 : 20) },
  { name: 'status', argv: () => [plugin, 'status', 'reviews', '-n', NS], ok: [0, 3] },
  { name: 'get', argv: () => [kubectl, 'get', 'virtualservices,destinationrules,pods', '-n', NS] },
];

function prepareBookinfo(): void {
  const k = (...args: string[]) => spawnSync(kubectl, ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8' });
  if (k('get', '--raw', '/readyz').status !== 0) throw new Error(`no cluster at ${kubeconfig} (make cluster-up)`);
  // Bookinfo in its namespace, and reviews with v1 and v2 in the catch-all route (the state the edits toggle).
  k('create', 'namespace', NS);
  const applied = k('apply', '-n', NS, '-f', bookinfo);
  if (applied.status !== 0) throw new Error(`applying ${bookinfo}: ${applied.stderr}`);
  const set = spawnSync(plugin, setWeight(10).slice(1), { env, encoding: 'utf8' });
  if (set.status !== 0) throw new Error(`preparing reviews: ${set.stderr}`);
}

interface Analyze { ms: number; exit: number }

/** The N + N objects as YAML, 1,000 to a file, beside bookinfo.yaml (so N=0 analyzes something too). */
function analyzeDir(n: number): string {
  const dir = mkdtempSync(join(tmpdir(), `bench-scale-${n}-`));
  copyFileSync(bookinfo, join(dir, 'bookinfo.yaml'));
  for (const { resource, make } of KINDS) {
    for (let lo = 0; lo < n; lo += PER_NS) {
      const docs: string[] = [];
      for (let i = lo; i < Math.min(n, lo + PER_NS); i++) docs.push(stringify(make(i), { lineWidth: 0 }));
      writeFileSync(join(dir, `${resource}-${String(lo / PER_NS).padStart(3, '0')}.yaml`), docs.join('---\n'));
    }
  }
  return dir;
}

function analyze(dir: string): Analyze {
  const runs: number[] = [];
  let exit = 0;
  for (let i = 0; i < 3; i++) {
    const started = process.hrtime.bigint();
    const r = spawnSync(plugin, ['analyze', dir], { env, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], timeout: 15 * 60_000, maxBuffer: 64 << 20 });
    runs.push(Number(process.hrtime.bigint() - started) / 1e6);
    // Findings make a non-zero exit; a crash is a signal, or a stack trace on stderr.
    if (r.status === null || /^\s+at .+:\d+:\d+\)?$/m.test(r.stderr) || /FATAL ERROR|out of memory/i.test(r.stderr)) {
      throw new Error(`analyze ${dir}: crashed (${r.status ?? r.signal})\n${r.stderr.slice(-2000)}`);
    }
    exit = r.status;
  }
  return { ms: median(runs), exit };
}

// ---- the webhook ---------------------------------------------------------------------------------------------

interface Endpoint { name: string; scrape: () => Promise<string> }
interface WebhookFigures { replicas: string[]; rssMiB: number[]; heapMiB: number[]; p99ms: Array<number | undefined>; reviews: number[]; clientP99ms: number; clientP50ms: number }

interface ClientConfig { url?: string; caBundle?: string; service?: { namespace: string; name: string; port?: number } }
interface WebhookConfigurations { items: Array<{ metadata: { name: string }; webhooks?: Array<{ name: string; clientConfig: ClientConfig }> }> }

function fetchDirect(url: URL, ca: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`${url}: HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer in 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * The webhook's replicas, each with its /metrics: a webhook registered by URL (the local cluster's host process)
 * is asked directly; one behind a Service (the chart) through the API server's pod proxy, pod by pod.
 */
async function webhookEndpoints(api: Api): Promise<Endpoint[]> {
  const configs = await api.json<WebhookConfigurations>('GET', `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations?labelSelector=${encodeURIComponent('kubectl-gray.io/policy=true')}`);
  const out = new Map<string, Endpoint>();
  for (const config of configs.items) {
    for (const hook of config.webhooks ?? []) {
      if (hook.name !== 'istio.validate.kubectl-gray.io') continue;
      const { url, caBundle, service } = hook.clientConfig;
      if (url) {
        const metrics = new URL('/metrics', url);
        const ca = caBundle ? Buffer.from(caBundle, 'base64').toString('utf8') : undefined;
        out.set(metrics.href, { name: metrics.host, scrape: () => fetchDirect(metrics, ca) });
      } else if (service) {
        const svc = await api.json<{ spec: { selector?: Record<string, string>; ports: Array<{ port: number; targetPort?: number | string }> } }>('GET', `/api/v1/namespaces/${service.namespace}/services/${service.name}`);
        const port = svc.spec.ports.find((p) => p.port === (service.port ?? 443)) ?? svc.spec.ports[0]!;
        const selector = Object.entries(svc.spec.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
        const pods = await api.json<{ items: Array<{ metadata: { name: string }; status: { phase?: string }; spec: { containers: Array<{ ports?: Array<{ name?: string; containerPort: number }> }> } }> }>(
          'GET', `/api/v1/namespaces/${service.namespace}/pods?labelSelector=${encodeURIComponent(selector)}`);
        for (const pod of pods.items.filter((p) => p.status.phase === 'Running')) {
          const target = port.targetPort ?? port.port;
          const number = typeof target === 'number' ? target : pod.spec.containers.flatMap((c) => c.ports ?? []).find((p) => p.name === target)?.containerPort;
          const path = `/api/v1/namespaces/${service.namespace}/pods/https:${pod.metadata.name}:${number}/proxy/metrics`;
          out.set(path, {
            name: pod.metadata.name,
            scrape: async () => {
              const r = await api.call('GET', path, undefined, 'text/plain');
              if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status} ${r.text.slice(0, 400)}`);
              return r.text;
            },
          });
        }
      }
    }
  }
  return [...out.values()];
}

interface Scrape { rss: number; heap: number; buckets: Map<number, number> }

function parseMetrics(text: string): Scrape {
  const buckets = new Map<number, number>();
  let rss = NaN;
  let heap = NaN;
  for (const line of text.split('\n')) {
    if (line.startsWith('process_resident_memory_bytes ')) rss = Number(line.split(' ')[1]);
    if (line.startsWith('nodejs_heap_size_used_bytes ')) heap = Number(line.split(' ')[1]);
    const m = /^kubectl_gray_admission_duration_seconds_bucket\{(.*)\} (\S+)$/.exec(line);
    if (m && /webhook="validate"/.test(m[1]!)) {
      const le = /le="([^"]+)"/.exec(m[1]!)![1]!;
      buckets.set(le === '+Inf' ? Infinity : Number(le), Number(m[2]));
    }
  }
  return { rss, heap, buckets };
}

/** p99 from two readings of a cumulative histogram: the upper bound of the bucket that holds it. */
function p99FromBuckets(before: Map<number, number>, after: Map<number, number>): { p99?: number; reviews: number } {
  const les = [...after.keys()].sort((a, b) => a - b);
  const delta = (le: number) => (after.get(le) ?? 0) - (before.get(le) ?? 0);
  const total = delta(Infinity);
  if (!total) return { reviews: 0 };
  return { p99: les.find((le) => delta(le) >= 0.99 * total)! * 1000, reviews: total };
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
}

interface VirtualService { metadata: { resourceVersion: string }; spec: { http: Array<{ route: Array<{ destination: { subset?: string }; weight?: number }> }> } }

async function webhook(api: Api): Promise<WebhookFigures> {
  const endpoints = await webhookEndpoints(api);
  if (!endpoints.length) throw new Error('no kubectl-gray validating webhook registered (validatingwebhookconfigurations labelled kubectl-gray.io/policy=true)');
  const before = await Promise.all(endpoints.map(async (e) => parseMetrics(await e.scrape())));
  // Server-side dry runs of a real weight change: admitted (and judged) in full, stored never.
  const path = `${ISTIO}/namespaces/${NS}/virtualservices/reviews`;
  const client: number[] = [];
  for (let i = 0; i < DRY_RUNS; i++) {
    const vs = await api.json<VirtualService>('GET', path);
    const route = vs.spec.http[0]!.route;
    const v2 = route[1]!.weight === 10 ? 20 : 10;
    route[0]!.weight = 100 - v2;
    route[1]!.weight = v2;
    const r = await api.call('PUT', `${path}?dryRun=All`, vs);
    if (r.status !== 200) throw new Error(`dry-run PUT ${path}: HTTP ${r.status} ${r.text.slice(0, 400)}`);
    client.push(r.ms);
  }
  const after = await Promise.all(endpoints.map(async (e) => parseMetrics(await e.scrape())));
  const p99s = after.map((a, i) => p99FromBuckets(before[i]!.buckets, a.buckets));
  return {
    replicas: endpoints.map((e) => e.name), rssMiB: after.map((a) => a.rss / 2 ** 20), heapMiB: after.map((a) => a.heap / 2 ** 20), p99ms: p99s.map((p) => p.p99), reviews: p99s.map((p) => p.reviews),
    clientP99ms: percentile(client, 0.99), clientP50ms: median(client),
  };
}

// ---- the run -------------------------------------------------------------------------------------------------

interface Result {
  n: number;
  fill: Fill;
  times?: Map<string, number>;
  rss?: number;
  analyze?: Analyze;
  webhook?: WebhookFigures;
  error?: string;
}

const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const api = new Api(kc, PARALLEL);
const results: Result[] = [];
const dirs: string[] = [];
let failed = false;
try {
  if (CLEAN) {
    await clean(api);
  } else {
    prepareBookinfo();
    const server = await api.json<{ gitVersion: string }>('GET', '/version');
    for (const n of COUNTS) {
      let filled: Fill;
      try {
        filled = await fill(api, n);
      } catch (err) {
        // Without the cluster at this N, no larger N can be measured either: report what was.
        results.push({ n, fill: { created: 0, deleted: 0, seconds: 0 }, error: `fill: ${(err as Error).message}` });
        failed = true;
        process.stderr.write(`N=${n}: fill: ${(err as Error).message}\n`);
        break;
      }
      const result: Result = { n, fill: filled };
      results.push(result);
      if (result.fill.created || result.fill.deleted) result.fill.settled = await settle(n);
      try {
        if (n > 0) {
          // What one object weighs as the API server returns it (managedFields and the webhook's labels included).
          const sizes = await Promise.all(KINDS.map(async ({ resource }) => (await api.call('GET', `${ISTIO}/namespaces/scale-0/${resource}/svc-0`)).text.length));
          process.stderr.write(`N=${n}: one DestinationRule ${sizes[0]} B, one VirtualService ${sizes[1]} B as stored\n`);
        }
        process.stderr.write(`N=${n}: ${RUNS + 2} rounds of set-weight, patch, status, get\n`);
        result.times = measureRounds(ROWS, env, RUNS);
        const rss = Array.from({ length: 5 }, (_, i) => peakRssMiB(setWeight(i % 2 ? 20 : 10), env) ?? NaN);
        result.rss = Math.max(...rss);
        spawnSync(plugin, setWeight(10).slice(1), { env });
        process.stderr.write(`N=${n}: analyze\n`);
        const dir = analyzeDir(n);
        dirs.push(dir);
        result.analyze = analyze(dir);
        rmSync(dir, { recursive: true, force: true });
        process.stderr.write(`N=${n}: webhook (${DRY_RUNS} dry-run updates)\n`);
        result.webhook = await webhook(api);
      } catch (err) {
        result.error = (err as Error).message;
        failed = true;
        process.stderr.write(`N=${n}: ${result.error}\n`);
      }
    }

    const ms = (x: number | undefined) => (x === undefined ? '–' : `${x.toFixed(0)} ms`);
    const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? '–' : `${(a / b).toFixed(2)}×`);
    const bound = (x: number | undefined) => (x === undefined ? 'n/a' : x === Infinity ? '> 1 s' : `≤ ${x < 1 ? x.toFixed(1) : x.toFixed(0)} ms`);
    console.log(`\nkubectl-gray at scale: medians of ${RUNS} interleaved rounds; N VirtualServices + N DestinationRules unrelated to reviews`);
    console.log(`machine: ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; node ${process.version}; kube-apiserver ${server.gitVersion}\n`);
    console.log('| N | set-weight | kubectl patch | ratio | status reviews | kubectl get vs,dr,pods -n | ratio | plugin peak RSS | analyze DIR (N objects) | webhook RSS | webhook p99 | dry-run PUT p50 / p99 |');
    console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of results) {
      const t = r.times;
      const w = r.webhook;
      const cells = [
        r.n.toLocaleString('en'),
        ms(t?.get('set-weight')), ms(t?.get('patch')), ratio(t?.get('set-weight'), t?.get('patch')),
        ms(t?.get('status')), ms(t?.get('get')), ratio(t?.get('status'), t?.get('get')),
        r.rss === undefined || Number.isNaN(r.rss) ? '–' : `${r.rss.toFixed(0)} MiB`,
        r.analyze ? `${ms(r.analyze.ms)} (exit ${r.analyze.exit})` : '–',
        w ? w.rssMiB.map((m, i) => `${m.toFixed(0)} MiB (heap ${w.heapMiB[i]!.toFixed(0)})`).join(', ') : '–',
        w ? w.p99ms.map(bound).join(', ') : '–',
        w ? `${w.clientP50ms.toFixed(1)} / ${w.clientP99ms.toFixed(1)} ms` : '–',
      ];
      console.log(`| ${cells.join(' | ')} |${r.error ? ' failed' : ''}`);
    }
    console.log('\nwebhook p99: the admission histogram\'s bucket bound over the dry-run reviews (buckets 0.5, 1, 2.5, 5, 10 ms, ...), one figure per replica;');
    console.log('webhook RSS: read after the dry runs; a fill\'s burst of admissions leaves RSS high (V8 and malloc keep what they took), heap is what lives;');
    console.log('dry-run PUT: the whole round trip through the API server, its webhooks and istiod\'s validation, as this client sees it.');
    const replicas = results.find((r) => r.webhook)?.webhook?.replicas;
    if (replicas) console.log(`webhook replicas: ${replicas.join(', ')}`);
    for (const r of results) {
      const rate = r.fill.created ? `, ${(r.fill.created / r.fill.seconds).toFixed(0)} objects/s` : '';
      const settled = r.fill.settled === undefined ? '' : ` (then ${r.fill.settled.toFixed(0)} s to settle)`;
      console.log(`fill N=${r.n}: ${r.fill.created} created, ${r.fill.deleted} deleted in ${r.fill.seconds.toFixed(1)} s${rate}${settled}${r.webhook ? `; ${r.webhook.reviews.join(', ')} reviews in the histogram` : ''}`);
      if (r.error) console.log(`N=${r.n} failed: ${r.error.split('\n')[0]}`);
    }
  }
} catch (err) {
  failed = true;
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
} finally {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  api.close();
}
if (failed) process.exitCode = 1;
