// The benchmark's server process: the real webhook app over TLS, caches loaded with 5,000 + 5,000
// objects, plus a trivial always-allow route on the same server as the baseline.
import type { AddressInfo } from 'node:net';
import { DEFAULT_POLICY } from '../../core/policy.js';
import { allowed, review } from '../../webhook/admission/review.js';
import { staticCache } from '../../webhook/cache.js';
import { generateCa, generateServing } from '../../webhook/certs.js';
import { buildServer } from '../../webhook/server.js';
import { TLS_MIN_VERSION } from '../../webhook/tls.js';
import { world } from './world.js';

const ca = generateCa();
const serving = generateServing(ca, { dnsNames: ['localhost'], ips: ['127.0.0.1'] });
const { virtualServices, destinationRules } = world();
const app = buildServer({
  cache: staticCache(virtualServices, destinationRules),
  policy: () => DEFAULT_POLICY,
  fastify: { https: { cert: serving.cert, key: serving.key, minVersion: TLS_MIN_VERSION }, logger: false, keepAliveTimeout: 65_000 },
});
app.post('/allow', async (request) => {
  const uid = (request.body as { request: { uid: string } }).request.uid;
  return review(allowed(uid));
});
await app.listen({ host: '127.0.0.1', port: 0 });
const port = (app.server.address() as AddressInfo).port;
process.send!({ port, ca: ca.cert, rss: process.memoryUsage().rss });
process.on('message', (m) => {
  if (m === 'rss') process.send!({ rss: process.memoryUsage().rss });
  if (m === 'cpu') { const { user, system } = process.cpuUsage(); process.send!({ cpuMicros: user + system }); }
  if (m === 'stop') void app.close().then(() => process.exit(0));
});
