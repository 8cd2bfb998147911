// bench/webhook: reviews/s, p50/p99 latency and RSS of the webhook with full caches, driven over TLS
// keep-alive from this (separate) process, each review type against a trivial always-allow route on the same
// server, fed the same bodies, in short blocks alternating with it. Loopback only; bounded by request count.
import { fork } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from '../median.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 16);
const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 33000);

interface Ready { port: number; ca: string; rss: number }

const child = fork(join(here, 'server.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const next = <T>() => new Promise<T>((resolve) => child.once('message', (m) => resolve(m as T)));
const ready = await next<Ready>();
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca: ready.ca });

const reviewsDir = join(root, 'bench', 'reviews');
const recorded = readdirSync(reviewsDir).filter((f) => f.endsWith('.json')).sort()
  .map((f) => ({ name: f.replace(/\.json$/, ''), body: readFileSync(join(reviewsDir, f)) }));

function post(path: string, body: Buffer): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: ready.port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const reply = JSON.parse(Buffer.concat(chunks).toString());
        if (res.statusCode !== 200 || !reply.response?.allowed) return reject(new Error(`${path}: ${res.statusCode} ${JSON.stringify(reply).slice(0, 300)}`));
        resolve(Number(process.hrtime.bigint() - started) / 1e6);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Throughput and latency as the client sees them, and the server process's CPU time per review. */
interface Figures { perSecond: number; p50: number; p99: number; serverMicros: number }

async function serverCpuMicros(): Promise<number> {
  child.send('cpu');
  return (await next<{ cpuMicros: number }>()).cpuMicros;
}

/** What one or more measured stretches of requests add up to. */
class Tally {
  readonly latencies: number[] = [];
  seconds = 0;
  cpuMicros = 0;

  figures(): Figures {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
    return { perSecond: sorted.length / this.seconds, p50: q(0.5), p99: q(0.99), serverMicros: this.cpuMicros / sorted.length };
  }
}

async function measure(pick: (i: number) => { path: string; body: Buffer }, count: number, into = new Tally()): Promise<Tally> {
  let issued = 0;
  const cpuBefore = await serverCpuMicros();
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (issued < count) {
      const { path, body } = pick(issued++);
      into.latencies.push(await post(path, body));
    }
  }));
  into.seconds += Number(process.hrtime.bigint() - started) / 1e9;
  into.cpuMicros += await serverCpuMicros() - cpuBefore;
  return into;
}

const pathFor = (name: string) => (name.startsWith('deployment') ? '/mutate' : '/validate');
const ROUNDS = Math.max(1, Number(process.env['BENCH_ROUNDS'] ?? 11));
const PER_ROUND = Math.max(200, Math.floor(REQUESTS / ROUNDS));

// Warm up the JIT and the TLS sessions on every route before anything counts.
for (let i = 0; i < 3; i++) {
  await measure((n) => ({ path: '/allow', body: recorded[n % recorded.length]!.body }), 1000);
  await measure((n) => ({ path: pathFor(recorded[n % recorded.length]!.name), body: recorded[n % recorded.length]!.body }), 1000);
}

// Each review type against always-allow of the very same body (receiving, parsing and answering a review
// costs with its size, so a large review compared with small ones would be charged for its size). The machine's
// load drifts during a run (other tenants, within a second), so each round of a row alternates short blocks of
// the two, BLOCK requests each, and compares their sums: both sides see the same moments of the machine. The
// median of the rounds' ratios is the figure.
const BLOCK = Math.max(50, Number(process.env['BENCH_BLOCK'] ?? 250));
interface Row { name: string; pick: () => { path: string; body: Buffer }; allow: () => { path: string; body: Buffer } }
const rowsToRun: Row[] = recorded.map((r) => ({ name: r.name, pick: () => ({ path: pathFor(r.name), body: r.body }), allow: () => ({ path: '/allow', body: r.body }) }));
let m = 0;
let a = 0;
rowsToRun.push({
  name: 'mix of all recorded reviews',
  pick: () => { const r = recorded[m++ % recorded.length]!; return { path: pathFor(r.name), body: r.body }; },
  allow: () => ({ path: '/allow', body: recorded[a++ % recorded.length]!.body }),
});
const results = new Map<string, { route: Figures[]; allow: Figures[]; ratio: number[]; cpuRatio: number[] }>(
  rowsToRun.map((r) => [r.name, { route: [], allow: [], ratio: [], cpuRatio: [] }]));
for (let round = 0; round < ROUNDS; round++) {
  for (const row of rowsToRun) {
    const res = results.get(row.name)!;
    const route = new Tally();
    const allowed = new Tally();
    for (let done = 0, block = 0; done < PER_ROUND; done += BLOCK, block++) {
      const n = Math.min(BLOCK, PER_ROUND - done);
      // Which goes first alternates, so neither side always follows the other.
      if ((round + block) % 2 === 0) {
        await measure(row.allow, n, allowed);
        await measure(row.pick, n, route);
      } else {
        await measure(row.pick, n, route);
        await measure(row.allow, n, allowed);
      }
    }
    const r = route.figures();
    const al = allowed.figures();
    res.route.push(r);
    res.allow.push(al);
    res.ratio.push(r.perSecond / al.perSecond);
    res.cpuRatio.push(al.serverMicros / r.serverMicros);
  }
}
child.send('rss');
const { rss } = await next<{ rss: number }>();

const pad = (s: string, n: number) => s.padEnd(n);
console.log(`webhook benchmark: 5,000 VirtualServices + 5,000 DestinationRules cached; ${CONCURRENCY} keep-alive TLS connections; node ${process.version}`);
console.log(`${ROUNDS} rounds of ${PER_ROUND} reviews per route, in blocks of ${BLOCK} alternating with always-allow of the same bodies; medians of the rounds`);
console.log('ratio: reviews/s against always-allow/s (client and server share the 2 cores); server CPU: the server process\'s CPU time per review, and always-allow\'s over the route\'s');
console.log(`${pad('route', 32)}${pad('reviews/s', 11)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('always-allow/s', 16)}${pad('ratio', 8)}`
  + `${pad('server µs', 11)}${pad('allow µs', 10)}${pad('CPU ratio', 11)}ratios of the rounds`);
for (const row of rowsToRun) {
  const res = results.get(row.name)!;
  const f = (xs: Figures[], k: keyof Figures) => median(xs.map((x) => x[k]));
  console.log(`${pad(row.name, 32)}${pad(f(res.route, 'perSecond').toFixed(0), 11)}${pad(f(res.route, 'p50').toFixed(2), 9)}${pad(f(res.route, 'p99').toFixed(2), 9)}`
    + `${pad(f(res.allow, 'perSecond').toFixed(0), 16)}${pad(median(res.ratio).toFixed(2), 8)}`
    + `${pad(f(res.route, 'serverMicros').toFixed(0), 11)}${pad(f(res.allow, 'serverMicros').toFixed(0), 10)}${pad(median(res.cpuRatio).toFixed(2), 11)}`
    + `${res.ratio.map((r) => r.toFixed(2)).join(' ')}`);
}
console.log(`server RSS: ${(ready.rss / 2 ** 20).toFixed(0)} MiB with caches loaded, ${(rss / 2 ** 20).toFixed(0)} MiB after the run`);
child.send('stop');
agent.destroy();
