// bench/webhook: reviews/s, p50/p99 latency and RSS of the webhook with full caches, driven over TLS
// keep-alive from this (separate) process, against a trivial always-allow route on the same server
// measured in the same run. Loopback only; bounded by request count.
import { fork } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 16);
const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 4000);

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

interface Figures { perSecond: number; p50: number; p99: number }

async function measure(pick: (i: number) => { path: string; body: Buffer }, count: number): Promise<Figures> {
  const latencies: number[] = [];
  let issued = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (issued < count) {
      const { path, body } = pick(issued++);
      latencies.push(await post(path, body));
    }
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return { perSecond: count / seconds, p50: q(0.5), p99: q(0.99) };
}

const pathFor = (name: string) => (name.startsWith('deployment') ? '/mutate' : '/validate');
const rows: Array<[string, Figures]> = [];
// Warm up the JIT and the TLS sessions on both routes before anything counts.
await measure((i) => ({ path: '/allow', body: recorded[i % recorded.length]!.body }), 1000);
await measure((i) => ({ path: pathFor(recorded[i % recorded.length]!.name), body: recorded[i % recorded.length]!.body }), 1000);

const allow = (i: number) => ({ path: '/allow', body: recorded[i % recorded.length]!.body });
const baselineBefore = await measure(allow, REQUESTS);
rows.push(['always-allow (baseline, first)', baselineBefore]);
// Each review type also against always-allow of the very same body, measured just before and just after it:
// receiving, parsing and answering a review costs with its size, so a large review compared with the mixed
// baseline would be charged for its size, not for the judgement.
const own = new Map<string, number>();
for (const r of recorded) {
  const before = await measure(() => ({ path: '/allow', body: r.body }), REQUESTS / 2);
  rows.push([r.name, await measure(() => ({ path: pathFor(r.name), body: r.body }), REQUESTS / 2)]);
  const after = await measure(() => ({ path: '/allow', body: r.body }), REQUESTS / 2);
  own.set(r.name, (before.perSecond + after.perSecond) / 2);
}
const mix = await measure((i) => { const r = recorded[i % recorded.length]!; return { path: pathFor(r.name), body: r.body }; }, REQUESTS);
rows.push(['mix of all recorded reviews', mix]);
// The baseline again, last: the ratio uses the mean of both, so drift during the run cancels out.
const baselineAfter = await measure(allow, REQUESTS);
rows.push(['always-allow (baseline, last)', baselineAfter]);
const baseline = { perSecond: (baselineBefore.perSecond + baselineAfter.perSecond) / 2 };
child.send('rss');
const { rss } = await next<{ rss: number }>();

const pad = (s: string, n: number) => s.padEnd(n);
console.log(`webhook benchmark: 5,000 VirtualServices + 5,000 DestinationRules cached; ${CONCURRENCY} keep-alive TLS connections; node ${process.version}`);
console.log(`${pad('route', 36)}${pad('reviews/s', 12)}${pad('p50 ms', 10)}${pad('p99 ms', 10)}${pad('vs baseline (mixed bodies)', 28)}vs always-allow, same body`);
for (const [name, f] of rows) {
  const same = own.get(name);
  console.log(`${pad(name, 36)}${pad(f.perSecond.toFixed(0), 12)}${pad(f.p50.toFixed(2), 10)}${pad(f.p99.toFixed(2), 10)}${pad((f.perSecond / baseline.perSecond).toFixed(2), 28)}${same ? (f.perSecond / same).toFixed(2) : ''}`);
}
console.log(`server RSS: ${(ready.rss / 2 ** 20).toFixed(0)} MiB with caches loaded, ${(rss / 2 ** 20).toFixed(0)} MiB after the run`);
child.send('stop');
agent.destroy();
