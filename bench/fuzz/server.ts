// The fuzz target: the real webhook app over TLS on loopback, caches holding a 1,000 + 1,000 object mesh,
// the process metrics on. It reports its address, then answers "stats" with its RSS and peak RSS.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { DEFAULT_POLICY } from '../../core/policy.js';
import { staticCache } from '../../webhook/cache.js';
import { generateCa, generateServing } from '../../webhook/certs.js';
import { Metrics } from '../../webhook/metrics.js';
import { buildServer } from '../../webhook/server.js';
import { TLS_MIN_VERSION } from '../../webhook/tls.js';
import { world } from '../webhook/world.js';

/** Peak resident set size (VmHWM) and the current one, from /proc; falls back to memoryUsage. */
function memory(): { rss: number; peakRss: number } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kib = (key: string) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'))?.[1] ?? 0) * 1024;
    return { rss: kib('VmRSS'), peakRss: kib('VmHWM') };
  } catch {
    const rss = process.memoryUsage().rss;
    return { rss, peakRss: rss };
  }
}

const ca = generateCa();
const serving = generateServing(ca, { dnsNames: ['localhost'], ips: ['127.0.0.1'] });
const mesh = world();
const virtualServices = mesh.virtualServices.slice(0, 1000);
const destinationRules = mesh.destinationRules.slice(0, 1000);
const app = buildServer({
  cache: staticCache(virtualServices, destinationRules),
  policy: () => DEFAULT_POLICY,
  metrics: new Metrics({ processMetrics: true }),
  // The fresh-list confirmation answers from the same mesh, as a quick API server would.
  freshVirtualServices: async () => virtualServices,
  settleWaitsMs: [1],
  fastify: { https: { cert: serving.cert, key: serving.key, minVersion: TLS_MIN_VERSION }, logger: false, keepAliveTimeout: 65_000 },
});
await app.listen({ host: '127.0.0.1', port: 0 });
const port = (app.server.address() as AddressInfo).port;
process.send!({ port, ca: ca.cert, ...memory() });
process.on('message', (m) => {
  if (m === 'stats') process.send!(memory());
  if (m === 'stop') void app.close().then(() => process.exit(0));
});
