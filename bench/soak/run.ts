// Soak (issue 14, item 2): a steady stream of admissions through the API server to the chart's webhook
// while (a) a CA rotation is forced and (b) one webhook pod (the Lease holder) is deleted. Counts failed
// admissions (must be zero) and checks afterwards that both replicas' caches agree (the
// kubectl_gray_cache_objects and kubectl_gray_cache_digest metrics of each pod, read through the API
// server's pod proxy). Bounded by count and time. Needs a cluster where the chart runs (a node):
//
//   KUBECONFIG=... node dist/bench/soak/run.js [--namespace kubectl-gray-system] [--release kubectl-gray]
//       [--rate 30] [--seconds 180] [--long]          (--long: 900 s)
//
// Each admission is one of: a server-side dry-run create of a valid VirtualService (must be allowed), of one
// whose weights total 90 (must be refused by istio.validate.kubectl-gray.io with GRAY101: proof the webhook
// answered, whatever the failurePolicy), or a real create of a valid VirtualService (the caches change).
import { X509Certificate } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiError } from '../../kube/errors.js';
import { KubeRest } from '../../kube/rest.js';
import { retryOnConflict } from '../../kube/retry.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const LONG = process.argv.includes('--long');
const NAMESPACE = flag('namespace') ?? process.env['NAMESPACE'] ?? 'kubectl-gray-system';
const RELEASE = flag('release') ?? 'kubectl-gray';
const RATE = Number(flag('rate') ?? 30);
const SECONDS = Number(flag('seconds') ?? (LONG ? 900 : 180));
const MAX_IN_FLIGHT = 100;
const WEBHOOK = RELEASE.includes('kubectl-gray') ? `${RELEASE}-webhook` : `${RELEASE}-kubectl-gray-webhook`;
const CONFIG = RELEASE.includes('kubectl-gray') ? RELEASE : `${RELEASE}-kubectl-gray`;
const SELECTOR = `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component=webhook`;

const kc = new KubeConfig();
kc.loadFromDefault();
const rest = new KubeRest(kc, 15_000);
// KubeRest keeps one connection per client; the stream spreads over several so that admissions overlap as
// they do from many users.
const pool = Array.from({ length: 8 }, () => new KubeRest(kc, 15_000));
const log = (msg: string) => console.log(`soak ${new Date().toISOString().slice(11, 23)} ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

interface Pod { metadata: { name: string; uid: string; deletionTimestamp?: string }; status: { podIP?: string; conditions?: Array<{ type: string; status: string }> } }
const ready = (p: Pod) => !p.metadata.deletionTimestamp && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
async function webhookPods(): Promise<Pod[]> {
  return (await rest.request<{ items: Pod[] }>('GET', `/api/v1/namespaces/${NAMESPACE}/pods?labelSelector=${encodeURIComponent(SELECTOR)}`)).body.items;
}

const vs = (name: string, namespace: string, weights: [number, number]) => ({
  apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace },
  spec: { hosts: ['reviews'], http: [{ route: [
    { destination: { host: 'reviews', subset: 'v1' }, weight: weights[0] },
    { destination: { host: 'reviews', subset: 'v2' }, weight: weights[1] },
  ] }] },
});

// --- set up ----------------------------------------------------------------------------------------------
const shop = `gray-soak-${process.pid}`;
const pods0 = await webhookPods();
log(`webhook pods: ${pods0.map((p) => `${p.metadata.name}${ready(p) ? '' : ' (not ready)'}`).join(', ')}`);
if (pods0.filter(ready).length < 2) throw new Error(`need 2 ready webhook pods in ${NAMESPACE} (${SELECTOR}); is the chart installed?`);
const config = (await rest.request<{ webhooks: Array<{ name: string; failurePolicy: string }> }>('GET', `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${CONFIG}`)).body;
log(`validating webhook failurePolicy: ${config.webhooks.map((w) => `${w.name}=${w.failurePolicy}`).join(', ')}`);
await rest.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: shop } });
await rest.request('POST', `/apis/networking.istio.io/v1/namespaces/${shop}/destinationrules`, {
  apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'reviews', namespace: shop },
  spec: { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] },
});
// The caches see the DestinationRule: a valid VirtualService is allowed.
await until('the webhook caches to see the DestinationRule', async () => {
  await rest.request('POST', `/apis/networking.istio.io/v1/namespaces/${shop}/virtualservices?dryRun=All`, vs('probe', shop, [90, 10]));
  return true;
}, 60_000);

// --- the stream ------------------------------------------------------------------------------------------
type Kind = 'dry-valid' | 'dry-invalid' | 'create';
const counts = { sent: 0, ok: 0, failed: 0 };
const failures = new Map<string, number>();
const latencies: number[] = [];
let inFlight = 0;
let created = 0;

async function admit(n: number): Promise<void> {
  const kind: Kind = n % 5 === 4 ? 'create' : n % 2 === 0 ? 'dry-valid' : 'dry-invalid';
  const name = kind === 'create' ? `soak-${++created}` : `dry-${n}`;
  const path = `/apis/networking.istio.io/v1/namespaces/${shop}/virtualservices${kind === 'create' ? '' : '?dryRun=All'}`;
  const started = Date.now();
  let problem: string | undefined;
  try {
    await pool[n % pool.length]!.request('POST', path, vs(name, shop, kind === 'dry-invalid' ? [80, 10] : [90, 10]));
    if (kind === 'dry-invalid') problem = 'a known-bad VirtualService was allowed (the webhook was bypassed)';
  } catch (err) {
    const refusedByUs = err instanceof ApiError && err.serverMessage.includes('admission webhook "istio.validate.kubectl-gray.io" denied the request') && err.serverMessage.includes('GRAY101');
    if (kind !== 'dry-invalid' || !refusedByUs) {
      problem = err instanceof ApiError ? `${err.status} ${err.reason}: ${err.serverMessage.slice(0, 160)}` : String((err as Error).message).slice(0, 160);
    }
  }
  latencies.push(Date.now() - started);
  if (problem) {
    counts.failed += 1;
    const key = `${kind}: ${problem}`;
    failures.set(key, (failures.get(key) ?? 0) + 1);
    if (failures.get(key) === 1) log(`FAILED ${key}`);
  } else {
    counts.ok += 1;
  }
}

async function forceRotation(): Promise<void> {
  const path = `/api/v1/namespaces/${NAMESPACE}/secrets/${WEBHOOK}-certs`;
  type Secret = { metadata: { annotations?: Record<string, string>; resourceVersion?: string }; data: Record<string, string> };
  const before = (await rest.request<Secret>('GET', path)).body.data['ca.crt'];
  const t0 = Date.now();
  await retryOnConflict(async () => {
    const s = (await rest.request<Secret>('GET', path)).body;
    s.metadata.annotations = { ...s.metadata.annotations, 'kubectl-gray.io/rotate-ca': new Date().toISOString() };
    await rest.request('PUT', path, s);
  });
  log('(a) CA rotation requested (annotation kubectl-gray.io/rotate-ca on the Secret)');
  const done = await until('the serving certificate under the new CA', async () => {
    const data = (await rest.request<Secret>('GET', path)).body.data;
    const ca = Buffer.from(data['ca.crt']!, 'base64').toString();
    if (data['ca.crt'] === before) return undefined;
    const tls = new X509Certificate(Buffer.from(data['tls.crt']!, 'base64').toString());
    return tls.verify(new X509Certificate(ca).publicKey) ? true : undefined;
  }, 120_000);
  if (done) log(`(a) the leader rotated the CA and re-signed the serving certificate in ${((Date.now() - t0) / 1000).toFixed(1)} s; replicas take it up within a few seconds`);
}

async function deleteLeader(): Promise<void> {
  const lease = (await rest.request<{ spec: { holderIdentity?: string } }>('GET', `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases/${WEBHOOK}-leader`)).body;
  const victim = lease.spec.holderIdentity ?? (await webhookPods())[0]!.metadata.name;
  const t0 = Date.now();
  await rest.request('DELETE', `/api/v1/namespaces/${NAMESPACE}/pods/${victim}`);
  log(`(b) deleted webhook pod ${victim} (the Lease holder)`);
  const holder = await until('another replica to take the Lease', async () => {
    const l = (await rest.request<{ spec: { holderIdentity?: string } }>('GET', `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases/${WEBHOOK}-leader`)).body;
    return l.spec.holderIdentity && l.spec.holderIdentity !== victim ? l.spec.holderIdentity : undefined;
  }, 60_000);
  log(`(b) ${holder} holds the Lease after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await until('two ready webhook pods again', async () => ((await webhookPods()).filter(ready).length === 2 ? true : undefined), 180_000, 1000);
  log(`(b) two ready webhook pods again after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

const started = Date.now();
const end = started + SECONDS * 1000;
const interval = 1000 / RATE;
const events: Array<Promise<void>> = [];
let rotationAt = started + (SECONDS * 1000) / 3;
let deletionAt = started + (2 * SECONDS * 1000) / 3;
const pending: Array<Promise<unknown>> = [];
log(`stream: ${RATE}/s for ${SECONDS} s into namespace ${shop}`);
for (let n = 0; Date.now() < end; n++) {
  const due = started + n * interval;
  if (due > Date.now()) await sleep(due - Date.now());
  if (Date.now() >= rotationAt) { rotationAt = Infinity; events.push(forceRotation().catch((err) => { counts.failed += 1; log(`FAILED rotation: ${err}`); })); }
  if (Date.now() >= deletionAt) { deletionAt = Infinity; events.push(deleteLeader().catch((err) => { counts.failed += 1; log(`FAILED pod deletion: ${err}`); })); }
  if (inFlight >= MAX_IN_FLIGHT) { counts.failed += 1; failures.set('the API server fell behind (too many admissions in flight)', (failures.get('the API server fell behind (too many admissions in flight)') ?? 0) + 1); continue; }
  counts.sent += 1;
  inFlight += 1;
  const p = admit(n).finally(() => { inFlight -= 1; });
  pending.push(p);
  if (pending.length > 1000) pending.splice(0, 500);
  if (n % (RATE * 30) === 0 && n > 0) log(`${counts.sent} sent, ${counts.ok} ok, ${counts.failed} failed`);
}
await Promise.all([...pending, ...events]);
const seconds = (Date.now() - started) / 1000;

// --- caches agree ----------------------------------------------------------------------------------------
async function cacheFigures(pod: Pod): Promise<string> {
  const text = (await rest.request<string>('GET', `/api/v1/namespaces/${NAMESPACE}/pods/https:${pod.metadata.name}:8443/proxy/metrics`)).body;
  return String(text).split('\n').filter((l) => /^kubectl_gray_cache_(objects|digest)\{/.test(l)).sort().join(' ');
}
let agreement = 'not checked';
try {
  agreement = await until('both replicas\' caches to agree', async () => {
    const pods = (await webhookPods()).filter(ready);
    if (pods.length !== 2) return undefined;
    const [a, b] = await Promise.all(pods.map(cacheFigures));
    return a && a === b ? a : undefined;
  }, 60_000, 1000);
  log(`caches agree: ${agreement}`);
} catch (err) {
  counts.failed += 1;
  log(`FAILED caches do not agree: ${(err as Error).message}`);
}

await rest.request('DELETE', `/api/v1/namespaces/${shop}`).catch(() => undefined);
latencies.sort((a, b) => a - b);
const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
log(`${counts.sent} admissions in ${seconds.toFixed(0)} s (${(counts.sent / seconds).toFixed(1)}/s; p50 ${q(0.5)} ms, p99 ${q(0.99)} ms): ${counts.ok} as expected, ${counts.failed} failed`);
for (const [k, v] of failures) log(`  ${v}x ${k}`);
console.log(counts.failed === 0 ? 'soak: zero failed admissions' : 'soak: FAILED');
process.exit(counts.failed === 0 ? 0 : 1);
