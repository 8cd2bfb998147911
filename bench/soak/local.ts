// The soak without a node: two real webhook processes (dist/webhook/main.js serve, as the chart runs them:
// self-managed certificates, a Lease, --failure-policy=Fail) against an in-process stand-in for the API
// server that keeps objects (test/support/fake-rest.ts), serves the informers' list and watch, and calls
// the webhooks over TLS as kube-apiserver does: to the Service's replicas in turn, trusting only the
// configuration's caBundle, honouring each entry's failurePolicy, namespaceSelector and objectSelector.
// It checks what only the whole program shows: fail-open until the self-check, then fail-closed; one
// certificate owner; a forced CA rotation and a replica's SIGTERM under a stream of admissions, with zero
// failed admissions. Loopback only; bounded in time.
//
//   node dist/bench/soak/local.js [--seconds 40] [--rate 40]
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiError } from '../../kube/errors.js';
import { FakeRest } from '../../test/support/fake-rest.js';
import { tempDir } from '../../test/support/temp.js';

const here = dirname(fileURLToPath(import.meta.url));
const MAIN = join(here, '..', '..', 'webhook', 'main.js');
function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const SECONDS = Number(flag('seconds') ?? 40);
const RATE = Number(flag('rate') ?? 40);
const NS = 'kubectl-gray-system';
const SHOP = 'shop';
const log = (m: string) => console.log(`local-soak ${new Date().toISOString().slice(11, 23)} ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// --- the stand-in API server -----------------------------------------------------------------------------
const store = new FakeRest();
const VWC = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/kubectl-gray';
const entry = (name: string, path: string, extra: object) => ({
  name, failurePolicy: 'Ignore', sideEffects: 'None', admissionReviewVersions: ['v1'], timeoutSeconds: 5,
  clientConfig: { service: { name: 'kubectl-gray-webhook', namespace: NS, path, port: 443 } }, ...extra,
});
store.put(VWC, { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'kubectl-gray' }, webhooks: [
  entry('istio.validate.kubectl-gray.io', '/validate', { namespaceSelector: { notIn: [NS, 'kube-system'] } }),
  entry('selfcheck.kubectl-gray.io', '/selfcheck', { namespaceSelector: { in: [NS] }, objectSelector: { 'kubectl-gray.io/self-check': 'true' } }),
] });
store.put('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/kubectl-gray', { metadata: { name: 'kubectl-gray' }, webhooks: [entry('deployments.mutate.kubectl-gray.io', '/mutate', {})] });
store.put(`/apis/networking.istio.io/v1/namespaces/${SHOP}/destinationrules/reviews`, {
  apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'reviews', namespace: SHOP },
  spec: { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] },
});

/** The Service's endpoints: the ready replicas' ports, called in turn. */
const endpoints: number[] = [];
let turn = 0;
const agents = new Map<string, Agent>();
const webhookCalls = { ok: 0, failed: 0 };

function callWebhook(caBundle: string, path: string, review: object): Promise<any> {
  if (endpoints.length === 0) return Promise.reject(new Error('no endpoints available for service "kubectl-gray-webhook"'));
  const port = endpoints[turn++ % endpoints.length]!;
  let agent = agents.get(caBundle);
  if (!agent) agents.set(caBundle, agent = new Agent({ keepAlive: true, ca: Buffer.from(caBundle, 'base64').toString() }));
  const body = Buffer.from(JSON.stringify(review));
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, method: 'POST', agent, servername: `kubectl-gray-webhook.${NS}.svc`,
      headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(Buffer.concat(chunks).toString())) : reject(new Error(`webhook answered ${res.statusCode}`))));
    });
    req.setTimeout(5000, () => req.destroy(new Error('webhook timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Validating admission for a VirtualService create, as kube-apiserver runs it. */
async function admit(namespace: string, object: any): Promise<void> {
  const config = store.get(VWC);
  for (const w of config.webhooks) {
    const sel = w.namespaceSelector ?? {};
    if (sel.in && !sel.in.includes(namespace)) continue;
    if (sel.notIn && sel.notIn.includes(namespace)) continue;
    if (w.objectSelector && !Object.entries(w.objectSelector).every(([k, v]) => object.metadata?.labels?.[k] === v)) continue;
    let answer: any;
    try {
      answer = await callWebhook(w.clientConfig.caBundle ?? '', w.clientConfig.service.path, {
        apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
        request: { uid: `u-${Math.random()}`, kind: { group: 'networking.istio.io', version: 'v1', kind: 'VirtualService' }, operation: 'CREATE', namespace, name: object.metadata.name, object, dryRun: true },
      });
      webhookCalls.ok += 1;
    } catch (err) {
      webhookCalls.failed += 1;
      if (w.failurePolicy === 'Ignore') continue;
      throw new ApiError(500, 'InternalError', `Internal error occurred: failed calling webhook "${w.name}": ${(err as Error).message}`);
    }
    if (!answer.response.allowed) throw new ApiError(answer.response.status?.code ?? 403, 'Forbidden', `admission webhook "${w.name}" denied the request: ${answer.response.status?.message}`);
  }
}

const listOf = (plural: string) => ({ apiVersion: 'networking.istio.io/v1', kind: 'List', metadata: { resourceVersion: '1' },
  items: store.list('/apis/networking.istio.io/v1/namespaces').filter((o) => o.kind?.toLowerCase() + 's' === plural) });

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
  const url = new URL(req.url!, 'http://x');
  const send = (status: number, obj: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(obj)); };
  const cluster = /^\/apis\/networking\.istio\.io\/v1\/(virtualservices|destinationrules)$/.exec(url.pathname);
  if (cluster) {
    if (url.searchParams.get('watch')) { res.writeHead(200, { 'content-type': 'application/json' }); res.flushHeaders(); return; } // a watch that never says anything
    return send(200, listOf(cluster[1]!));
  }
  try {
    const vsCreate = /^\/apis\/networking\.istio\.io\/v1\/namespaces\/([^/]+)\/virtualservices$/.exec(url.pathname);
    if (req.method === 'POST' && vsCreate) {
      await admit(vsCreate[1]!, body);
      if (url.searchParams.get('dryRun') === 'All') return send(201, body);
    }
    const r = await store.request(req.method!, `${url.pathname}`, body);
    send(r.status, r.body);
  } catch (err) {
    const e = err instanceof ApiError ? err : new ApiError(500, 'InternalError', String(err));
    send(e.status, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: e.serverMessage, reason: e.reason, code: e.status });
  }
}

const api = createServer((req, res) => { handle(req, res).catch((err) => { res.writeHead(500); res.end(String(err)); }); });
await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
const apiPort = (api.address() as AddressInfo).port;
const dir = tempDir('local-soak');
const kubeconfig = join(dir, 'kubeconfig');
writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters: [{name: fake, cluster: {server: "http://127.0.0.1:${apiPort}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: x}}]\ncontexts: [{name: c, context: {cluster: fake, user: u}}]\ncurrent-context: c\n`);

// --- the replicas ----------------------------------------------------------------------------------------
interface Replica { name: string; port: number; child: ChildProcess; ready: boolean }
const replicas: Replica[] = [];
// Below Linux's ephemeral range (32768-60999): a port there can be taken by any outgoing connection between
// choosing it and the replica binding it, which is what happened on a busy machine. A replica that still
// finds its port taken is started again on the next one.
let nextPort = 10000 + Math.floor(Math.random() * 20000);
function spawnReplica(r: Replica): void {
  r.port = nextPort++;
  const child = spawn(process.execPath, [MAIN, 'serve', '--kubeconfig', kubeconfig, '--host', '127.0.0.1', '--port', String(r.port), '--namespace', NS,
    '--self-managed-certs', '--secret-name', 'kubectl-gray-webhook-certs', '--lease-name', 'kubectl-gray-webhook-leader', '--webhook-config-name', 'kubectl-gray',
    '--service-name', 'kubectl-gray-webhook', '--cert-dir', join(dir, r.name), '--failure-policy', 'Fail', '--log-level', 'warn', '--shutdown-delay-seconds', '3'],
  { env: { ...process.env, POD_NAME: r.name }, stdio: ['ignore', 'ignore', 'pipe'] });
  let portTaken = false;
  child.stderr!.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n')) {
      if (line.includes('EADDRINUSE')) portTaken = true;
      if (/leader|rotat|fail|Switch|switch|error|certificate/i.test(line)) log(`${r.name}: ${line.slice(0, 220)}`);
    }
  });
  child.on('exit', () => {
    if (!portTaken) return;
    log(`${r.name}: port ${r.port} was taken; starting again on another`);
    spawnReplica(r);
  });
  r.child = child;
}
function startReplica(name: string): Replica {
  const r = { name, port: 0, ready: false } as Replica;
  spawnReplica(r);
  replicas.push(r);
  return r;
}
/** Readiness probe → endpoints, as the kubelet and the endpoints controller do it. */
const prober = setInterval(() => {
  for (const r of replicas) {
    const req = httpsRequest({ host: '127.0.0.1', port: r.port, path: '/readyz', rejectUnauthorized: false }, (res) => {
      res.resume();
      r.ready = res.statusCode === 200;
    });
    req.on('error', () => { r.ready = false; });
    req.end();
  }
  endpoints.splice(0, endpoints.length, ...replicas.filter((r) => r.ready && r.child.exitCode === null).map((r) => r.port));
}, 500);

const failures: string[] = [];
const check = (ok: boolean, what: string) => { if (!ok) failures.push(what); log(`${ok ? 'ok' : 'FAILED'}: ${what}`); };
const policy = () => store.get(VWC).webhooks.map((w: any) => `${w.name}:${w.failurePolicy}`).join(' ');
async function until(what: string, cond: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) { if (await cond()) return true; await sleep(200); }
  log(`timed out: ${what}`);
  return false;
}

log(`API server stand-in on 127.0.0.1:${apiPort}; starting two replicas`);
check(policy().includes('istio.validate.kubectl-gray.io:Ignore'), 'registered fail-open');
const t0 = Date.now();
startReplica('webhook-a');
startReplica('webhook-b');
check(await until('both ready', () => endpoints.length === 2, 60_000), 'both replicas ready');
if (failures.length > 0) {
  for (const r of replicas) r.child.kill('SIGKILL');
  process.exit(1);
}
check(await until('fail-closed', () => policy().includes('istio.validate.kubectl-gray.io:Fail'), 30_000), `fail-closed ${((Date.now() - t0) / 1000).toFixed(1)} s after start (${policy()})`);
const lease = () => store.get(`/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/kubectl-gray-webhook-leader`)?.spec?.holderIdentity;
check(['webhook-a', 'webhook-b'].includes(lease()), `one Lease holder: ${lease()}`);
// The Event is posted after the switch it reports: on a busy machine it can come a moment after the configuration.
check(await until('the fail-closed Event', () => store.list(`/api/v1/namespaces/${NS}/events`).some((e) => e.reason === 'WebhookFailClosed'), 30_000), 'an Event says fail-closed');

// The stream: valid creates must be allowed, weights totalling 90 refused by our webhook.
const counts = { sent: 0, failed: 0 };
const streamFailures = new Map<string, number>();
let streaming = true;
const stream = (async () => {
  const inflight = new Set<Promise<void>>();
  for (let n = 0; streaming; n++) {
    const invalid = n % 2 === 1;
    const object = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: `s-${n}`, namespace: SHOP },
      spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: invalid ? 80 : 90 }, { destination: { host: 'reviews', subset: 'v2' }, weight: 10 }] }] } };
    counts.sent += 1;
    const p = (async () => {
      try {
        await admit(SHOP, object);
        if (invalid) throw new Error('a known-bad VirtualService was allowed');
      } catch (err) {
        const ours = err instanceof ApiError && err.serverMessage.includes('admission webhook "istio.validate.kubectl-gray.io" denied the request') && err.serverMessage.includes('GRAY101');
        if (!(invalid && ours)) {
          counts.failed += 1;
          const key = (err as Error).message.slice(0, 160);
          streamFailures.set(key, (streamFailures.get(key) ?? 0) + 1);
        }
      }
    })();
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    await sleep(1000 / RATE);
  }
  await Promise.all(inflight);
})();

const SECRET = `/api/v1/namespaces/${NS}/secrets/kubectl-gray-webhook-certs`;
const caOf = () => store.get(SECRET).data['ca.crt'];
await sleep((SECONDS * 1000) / 4);
const oldCa = caOf();
const s = store.get(SECRET);
store.put(SECRET, { ...s, metadata: { ...s.metadata, annotations: { 'kubectl-gray.io/rotate-ca': 'now' } } });
log('(a) forced a CA rotation');
const bundleSize = () => (Buffer.from(store.get(VWC).webhooks[0].clientConfig.caBundle, 'base64').toString().match(/BEGIN CERTIFICATE/g) ?? []).length;
check(await until('rotated', () => caOf() !== oldCa && bundleSize() === 2, 30_000), '(a) new CA in the Secret and both CAs in the caBundle');

await sleep((SECONDS * 1000) / 4);
const victim = replicas.find((r) => r.name === lease())!;
log(`(b) SIGTERM to ${victim.name} (the Lease holder); a new replica starts`);
victim.child.kill('SIGTERM');
const replacement = startReplica('webhook-c');
check(await until('lease moved', () => lease() !== victim.name && !!lease(), 20_000), `(b) the Lease moved to ${lease()}`);
check(await until('replacement ready', () => endpoints.includes(replacement.port), 60_000), '(b) the new replica is ready');
check(await until('victim gone', () => victim.child.exitCode !== null, 30_000), `(b) ${victim.name} drained and exited (code ${victim.child.exitCode})`);

await sleep((SECONDS * 1000) / 4);
streaming = false;
await stream;
log(`stream: ${counts.sent} admissions at ${RATE}/s, ${counts.failed} failed; webhook calls ${webhookCalls.ok} ok, ${webhookCalls.failed} failed (only fail-open calls may fail)`);
for (const [k, v] of streamFailures) log(`  ${v}x ${k}`);
check(counts.failed === 0, 'zero failed admissions under rotation and replica loss');

clearInterval(prober);
for (const r of replicas) if (r.child.exitCode === null) r.child.kill('SIGKILL');
for (const a of agents.values()) a.destroy();
api.close();
api.closeAllConnections();
console.log(failures.length === 0 ? 'local-soak: all checks passed' : `local-soak: FAILED (${failures.length})`);
process.exit(failures.length === 0 ? 0 : 1);
