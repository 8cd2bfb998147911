// Admin policy as objects on the real cluster: real users and groups (impersonated by the admin, held to RBAC),
// a prod and a dev namespace with different ClusterGrayPolicies, a namespaced GrayPolicy that can only tighten,
// a freeze window, an exemption that expires, the records of its use (the API server's audit log, an Event, the
// metric), and freeze windows in a time zone across a daylight saving change on a clock the test controls.
import { expect } from 'chai';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { type AddressInfo, type Server, type Socket, connect as netConnect, createServer } from 'node:net';
import { join } from 'node:path';
import { vsYaml } from '../support/admissions.js';
import { ROOT, fixturePath } from '../support/fixtures.js';
import { CLUSTER_DIR, apply, eventually, getJson, k, kubectl } from '../support/kubectl.js';
import { tempDir } from '../support/temp.js';

const BOOKINFO = readFileSync(fixturePath('bookinfo.yaml'), 'utf8');
const RUN = `${process.pid}`;
const ALICE = ['--as', 'alice', '--as-group', 'sre-oncall'];
const BOB = ['--as', 'bob', '--as-group', 'devs'];
const gray = (...args: string[]) => kubectl(['gray', ...args]);
const weights = async (ns: string) => (await getJson<{ spec: { http: Array<{ route: Array<{ weight?: number }> }> } }>(ns, 'vs', 'reviews')).spec.http[0]!.route.map((r) => r.weight ?? 100);

describe('e2e: admin policy objects', function () {
  this.timeout(180_000);
  let prod: string;
  let dev: string;
  const policies = [`e2e-prod-${RUN}`, `e2e-dev-${RUN}`, `e2e-freeze-${RUN}`, `e2e-weekend-${RUN}`];

  before(async () => {
    // The suite deletes fresh namespaces after each test; these live through the file.
    prod = `policy-prod-${RUN}`;
    dev = `policy-dev-${RUN}`;
    for (const ns of [prod, dev]) await k('create', 'namespace', ns);
    await k('label', 'namespace', prod, `e2e-env-${RUN}=prod`);
    await k('label', 'namespace', dev, `e2e-env-${RUN}=dev`);
    for (const ns of [prod, dev]) await apply(ns, BOOKINFO);
    // Two release engineers who may change routes and read the policies, and nothing more.
    await apply(undefined, `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: e2e-gray-editor-${RUN}}
rules:
- {apiGroups: [networking.istio.io], resources: [virtualservices, destinationrules], verbs: [get, list, watch, create, update, patch]}
- {apiGroups: [policy.kubectl-gray.io], resources: [clustergraypolicies, graypolicies], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [services, pods, namespaces], verbs: [get, list]}
- {apiGroups: [query.kubectl-gray.io], resources: ["*"], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: e2e-gray-editor-${RUN}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: e2e-gray-editor-${RUN}}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: bob}
`);
    await apply(undefined, `apiVersion: policy.kubectl-gray.io/v1alpha1
kind: ClusterGrayPolicy
metadata: {name: e2e-prod-${RUN}}
spec:
  namespaceSelector: {matchLabels: {e2e-env-${RUN}: prod}}
  maxWeightStep: 20
  forbidZeroToHundred: true
---
apiVersion: policy.kubectl-gray.io/v1alpha1
kind: ClusterGrayPolicy
metadata: {name: e2e-dev-${RUN}}
spec:
  namespaceSelector: {matchLabels: {e2e-env-${RUN}: dev}}
  maxWeightStep: 50
---
# The dev team tries to loosen its limit: a namespaced policy can only tighten.
apiVersion: policy.kubectl-gray.io/v1alpha1
kind: GrayPolicy
metadata: {name: loose, namespace: ${dev}}
spec:
  maxWeightStep: 100
  rules: {weight-step: "off"}
`);
  });

  after(async () => {
    await kubectl(['delete', 'clustergraypolicy', ...policies, '--ignore-not-found']);
    await kubectl(['delete', 'clusterrole,clusterrolebinding', `e2e-gray-editor-${RUN}`, '--ignore-not-found']);
    await kubectl(['delete', 'namespace', prod, dev, '--ignore-not-found', '--wait=false']);
  });

  it('the chart\'s default policy is a ClusterGrayPolicy; a typo or a time zone that does not exist is refused', async () => {
    const harness = JSON.parse(await k('get', 'clustergraypolicy', 'kubectl-gray-harness-default', '-o', 'json'));
    expect(harness.spec).to.deep.include({ forbiddenNamespaces: ['gray-forbidden'], rules: { 'weight-total': 'enforce' } });
    const typo = await kubectl(['apply', '-f', '-'], { input: `apiVersion: policy.kubectl-gray.io/v1alpha1\nkind: ClusterGrayPolicy\nmetadata: {name: typo-${RUN}}\nspec: {maxWeightStpe: 10}\n` });
    expect(typo.code).to.not.equal(0);
    expect(typo.stderr).to.contain('unknown field "spec.maxWeightStpe"');
    const zone = await kubectl(['apply', '-f', '-'], { input: `apiVersion: policy.kubectl-gray.io/v1alpha1\nkind: ClusterGrayPolicy\nmetadata: {name: zone-${RUN}}\nspec:\n  freezeWindows: [{schedule: "0 18 * * 5", duration: 62h, timeZone: Europe/Berln, reason: weekend}]\n` });
    expect(zone.code).to.not.equal(0);
    expect(zone.stderr).to.contain('admission webhook "policy.validate.kubectl-gray.io" denied the request: kubectl-gray refused it: ClusterGrayPolicy zone-');
    expect(zone.stderr).to.contain('timeZone: "Europe/Berln" is not an IANA time zone');
  });

  it('prod and dev namespaces get their own limits; the plugin refuses locally with the webhook\'s code, and a namespace cannot loosen', async () => {
    // The plugin reads the policies this user may read and refuses before writing, naming the policy and the steps.
    const local = await gray('set-weight', 'reviews', 'v2=30', '-n', prod, ...BOB);
    expect(local.code, local.stderr).to.equal(3);
    expect(local.stderr).to.match(/GRAY202 weight-step: VirtualService .*\/reviews spec\.http\[0\]\.route: moves 30 percentage points for v\d in one change; admin policy allows at most 20\. Fix: change the weights in steps of at most 20: /);
    expect(await weights(prod)).to.deep.equal([100]);
    // The same change by plain kubectl: the webhook refuses it with the same code.
    const plain = await kubectl(['apply', '-n', prod, ...BOB, '-f', '-'], { input: vsYaml([['v1', 70], ['v2', 30]]) });
    expect(plain.code).to.not.equal(0);
    expect(plain.stderr).to.contain('GRAY202 weight-step');
    expect(plain.stderr).to.contain('admin policy allows at most 20');
    expect((await gray('set-weight', 'reviews', 'v2=20', '-n', prod, ...BOB)).code).to.equal(0);
    // dev allows 50 at once, and its own GrayPolicy's "off" and 100 count for nothing.
    const loosened = await gray('set-weight', 'reviews', 'v2=60', '-n', dev, ...BOB);
    expect(loosened.code).to.equal(3);
    expect(loosened.stderr).to.contain('admin policy allows at most 50');
    expect((await gray('set-weight', 'reviews', 'v2=50', '-n', dev, ...BOB)).code).to.equal(0);
    // A namespace may tighten: its GrayPolicy's smaller step wins, named as the reason.
    await apply(dev, 'apiVersion: policy.kubectl-gray.io/v1alpha1\nkind: GrayPolicy\nmetadata: {name: tight}\nspec: {maxWeightStep: 10}\n');
    const tight = await eventually(async () => {
      const r = await kubectl(['apply', '-n', dev, ...BOB, '--dry-run=server', '-f', '-'], { input: vsYaml([['v1', 30], ['v2', 70]]) });
      expect(r.stderr).to.contain('admin policy allows at most 10');
      return r;
    }, 30_000, 250);
    expect(tight.code).to.not.equal(0);
    const explain = await gray('policy', 'explain', '-n', dev, ...BOB);
    expect(explain.stdout).to.contain(`Policies that apply in namespace ${dev}:`);
    expect(explain.stdout).to.match(new RegExp(`maxWeightStep +10 +GrayPolicy ${dev}/tight`));
  });

  it('a freeze stops a step forward but not a rollback; an exemption lets alice through until it expires, recorded in the audit log, an Event and the metric', async () => {
    const expires = new Date(Date.now() + 45_000).toISOString();
    await apply(undefined, `apiVersion: policy.kubectl-gray.io/v1alpha1
kind: ClusterGrayPolicy
metadata: {name: e2e-freeze-${RUN}}
spec:
  namespaceSelector: {matchLabels: {e2e-env-${RUN}: prod}}
  freezeWindows:
  - {start: "${new Date(Date.now() - 3600_000).toISOString()}", end: "${new Date(Date.now() + 3600_000).toISOString()}", reason: "e2e sale"}
  exemptions:
  - subjects: [{kind: Group, name: sre-oncall}]
    rules: [release-freeze]
    expires: "${expires}"
    reason: INC-42 hotfix
`);
    // prod is at 80/20 (the test before): bob may not step forward, but may always go back.
    const frozen = await eventually(async () => {
      const r = await kubectl(['apply', '-n', prod, ...BOB, '--dry-run=server', '-f', '-'], { input: vsYaml([['v1', 70], ['v2', 30]]) });
      expect(r.stderr).to.contain('GRAY203 release-freeze');
      return r;
    }, 30_000, 250);
    expect(frozen.stderr).to.contain(`(e2e sale) by ClusterGrayPolicy e2e-freeze-${RUN}`);
    const forward = await gray('set-weight', 'reviews', 'v2=30', '-n', prod, ...BOB);
    expect([forward.code, forward.stderr]).to.satisfy(([c, e]: [number, string]) => c === 3 && e.includes('GRAY203 release-freeze'));
    const back = await gray('rollback', 'reviews', '-n', prod, ...BOB);
    expect(back.code, back.stderr).to.equal(0);
    expect(await weights(prod)).to.deep.equal([100]);

    // alice is on call: exempt, told so, and recorded.
    const passed = await gray('set-weight', 'reviews', 'v2=20', '-n', prod, ...ALICE);
    expect(passed.code, passed.stderr).to.equal(0);
    expect(passed.stderr).to.contain(`Warning: GRAY203 release-freeze: passed by an exemption of ClusterGrayPolicy e2e-freeze-${RUN} (INC-42 hotfix; until ${expires})`);
    const audit = await eventually(async () => {
      const lines = readFileSync(join(CLUSTER_DIR, 'audit.log'), 'utf8').split('\n')
        .filter((l) => l.includes('istio.validate.kubectl-gray.io/release-freeze') && l.includes(`"namespace":"${prod}"`) && l.includes('"verb":"patch"'));
      expect(lines, `audit events of ${prod} with the annotation`).to.not.be.empty;
      return JSON.parse(lines.at(-1)!) as { user: { username: string }; impersonatedUser?: { username: string; groups: string[] }; annotations: Record<string, string> };
    }, 30_000, 250);
    expect(audit.impersonatedUser?.username ?? audit.user.username).to.equal('alice');
    expect(audit.annotations['istio.validate.kubectl-gray.io/release-freeze']).to.match(/^exempted GRAY203 release-freeze: .*\[ClusterGrayPolicy e2e-freeze-\d+: INC-42 hotfix; until /);
    const events = await eventually(async () => {
      const list = JSON.parse(await k('get', 'events', '-n', prod, '--field-selector', 'reason=GrayPolicyExemptionUsed', '-o', 'json')).items as Array<{ message: string; involvedObject: { kind: string; name: string } }>;
      expect(list).to.not.be.empty;
      return list;
    }, 30_000, 250);
    expect(events[0]!.involvedObject).to.include({ kind: 'VirtualService', name: 'reviews' });
    expect(events[0]!.message).to.match(/^UPDATE by alice: GRAY203 release-freeze: /);
    const port = readFileSync(join(CLUSTER_DIR, 'webhook-port'), 'utf8').trim();
    const metrics = execFileSync('curl', ['-sk', `https://127.0.0.1:${port}/metrics`], { encoding: 'utf8' });
    expect(metrics).to.match(new RegExp(`kubectl_gray_policy_results_total\\{policy="ClusterGrayPolicy e2e-freeze-${RUN}",rule="release-freeze",outcome="exempted"\\} [1-9]`));
    expect(metrics).to.match(new RegExp(`kubectl_gray_policy_results_total\\{policy="ClusterGrayPolicy e2e-freeze-${RUN}",rule="release-freeze",outcome="denied"\\} [1-9]`));

    // The exemption expires: alice is held to the freeze like everyone else, by the webhook and the plugin.
    await eventually(async () => {
      const r = await kubectl(['apply', '-n', prod, ...ALICE, '--dry-run=server', '-f', '-'], { input: vsYaml([['v1', 60], ['v2', 40]]) });
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.contain('denied the request');
      expect(r.stderr).to.contain('GRAY203 release-freeze');
    }, 90_000, 1_000);
    const late = await gray('set-weight', 'reviews', 'v2=40', '-n', prod, ...ALICE);
    expect(late.code, late.stderr + late.stdout).to.equal(3);
    expect(late.stderr).to.contain('GRAY203 release-freeze');
    await k('delete', 'clustergraypolicy', `e2e-freeze-${RUN}`);
  });

  it('a weekend freeze in Europe/Berlin across the spring daylight saving change, on a clock the test sets (--at)', async () => {
    await apply(undefined, `apiVersion: policy.kubectl-gray.io/v1alpha1
kind: ClusterGrayPolicy
metadata: {name: e2e-weekend-${RUN}}
spec:
  namespaceSelector: {matchLabels: {e2e-env-${RUN}: prod}}
  freezeWindows: [{schedule: "0 18 * * 5", duration: 62h, timeZone: Europe/Berlin, reason: weekend}]
`);
    // The cluster's own policies, read as bob may read them, judged at times the test chooses.
    const at = async (time: string) => JSON.parse((await gray('policy', 'explain', '-n', prod, '--at', time, '-o', 'json', ...BOB)).stdout) as { freezeWindows: Array<{ policy: string; now?: { start: string; end: string }; next?: { start: string } }> };
    const weekend = (r: Awaited<ReturnType<typeof at>>) => r.freezeWindows.find((w) => w.policy === `ClusterGrayPolicy e2e-weekend-${RUN}`)!;
    // Friday 26 March 2027, 17:59 in Berlin (CET, UTC+1): not yet; it starts at 18:00 CET, 17:00 UTC.
    const friday = weekend(await eventually(async () => {
      const r = await at('2027-03-26T17:59:00+01:00');
      expect(weekend(r), JSON.stringify(r)).to.not.equal(undefined);
      return r;
    }, 30_000, 250));
    expect(friday.now).to.equal(undefined);
    expect(friday.next!.start).to.equal('2027-03-26T17:00:00.000Z');
    // Sunday: the clocks went forward at 02:00. 62 hours after Friday 18:00 CET is Monday 09:00 CEST (07:00 UTC).
    expect(weekend(await at('2027-03-28T12:00:00+02:00')).now).to.deep.equal({ start: '2027-03-26T17:00:00.000Z', end: '2027-03-29T07:00:00.000Z' });
    expect(weekend(await at('2027-03-29T09:00:00+02:00')).now).to.equal(undefined);
    // The next one starts at 18:00 CEST, 16:00 UTC.
    expect(weekend(await at('2027-03-29T09:00:00+02:00')).next!.start).to.equal('2027-04-02T16:00:00.000Z');
    // policy test judges a release step against a policy file at a chosen time, written nowhere.
    const dir = tempDir('policy-test');
    const file = join(dir, 'weekend.yaml');
    writeFileSync(file, await k('get', 'clustergraypolicy', `e2e-weekend-${RUN}`, '-o', 'yaml'));
    const before = await weights(prod);
    const forward = `v2=${(before[1] ?? 0) + 10}`; // a step forward (going back is always allowed)
    const sunday = await gray('policy', 'test', '-f', file, '--at', '2027-03-28T12:00:00+02:00', '--', 'set-weight', 'reviews', forward, '-n', prod, ...BOB);
    expect(sunday.code, sunday.stderr + sunday.stdout).to.equal(3);
    expect(sunday.stderr).to.contain('GRAY203 release-freeze');
    const monday = await gray('policy', 'test', '-f', file, '--at', '2027-03-29T09:00:00+02:00', '--', 'set-weight', 'reviews', forward, '-n', prod, ...BOB);
    expect(monday.code, monday.stderr).to.equal(0);
    expect(await weights(prod)).to.deep.equal(before);
  });
});

/** A TCP door to the API server the test opens and shuts: shut, the API server is unreachable; opened again, it is back. */
class ApiDoor {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(readonly port: number, private readonly target: number) {}
  open(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = netConnect(this.target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    return new Promise((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }
  shut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe('e2e: the webhook never decides by no policy', function () {
  this.timeout(180_000);
  const ns = `policy-door-${RUN}`;
  let door: ApiDoor;
  let webhook: ChildProcess | undefined;
  let port = 0;
  const ca = () => readFileSync(join(CLUSTER_DIR, 'webhook-certs', 'ca.crt'));
  const get = (path: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, ca: ca(), servername: 'localhost' }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
  /** A weight step from 90/10 to 50/50 in `ns`, straight to this webhook (a dry run): its verdict. */
  const review = () => new Promise<{ allowed: boolean; message: string }>((resolve, reject) => {
    const vs = (v1: number, v2: number) => ({
      apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'reviews', namespace: ns, annotations: { 'kubectl-gray.io/stable-subset': 'v1' } },
      spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: v1 }, { destination: { host: 'reviews', subset: 'v2' }, weight: v2 }] }] },
    });
    const body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: {
      uid: 'door', kind: { group: 'networking.istio.io', version: 'v1', kind: 'VirtualService' }, operation: 'UPDATE', namespace: ns, name: 'reviews',
      userInfo: { username: 'bob', groups: ['devs'] }, dryRun: true, object: vs(50, 50), oldObject: vs(90, 10),
    } });
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/validate', method: 'POST', ca: ca(), servername: 'localhost', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        const r = JSON.parse(text).response as { allowed: boolean; status?: { message?: string } };
        resolve({ allowed: r.allowed, message: r.status?.message ?? '' });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
  /** The codes a review is refused with, or "allowed". */
  const judge = async () => {
    const r = await review();
    return r.allowed ? 'allowed' : r.message.match(/GRAY\d+/g)?.join(',') ?? `refused: ${r.message}`;
  };

  before(async () => {
    await k('create', 'namespace', ns);
    await k('label', 'namespace', ns, `e2e-door-${RUN}=yes`);
    await apply(ns, BOOKINFO);
    await apply(undefined, `apiVersion: policy.kubectl-gray.io/v1alpha1\nkind: ClusterGrayPolicy\nmetadata: {name: e2e-door-${RUN}}\nspec:\n  namespaceSelector: {matchLabels: {e2e-door-${RUN}: "yes"}}\n  maxWeightStep: 20\n`);
  });

  after(async () => {
    webhook?.kill('SIGKILL');
    await door?.shut();
    await kubectl(['delete', 'clustergraypolicy', `e2e-door-${RUN}`, '--ignore-not-found']);
    await kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
  });

  it('unreachable at start: not ready, and judging by the chart\'s default; then the objects; through an API server restart under load, never nothing', async () => {
    const dir = tempDir('door');
    const apiPort = Number(readFileSync(join(CLUSTER_DIR, 'api-port'), 'utf8').trim());
    door = new ApiDoor(await freePort(), apiPort);
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, readFileSync(join(CLUSTER_DIR, 'kubeconfig'), 'utf8').replace(`https://127.0.0.1:${apiPort}`, `https://127.0.0.1:${door.port}`));
    // The chart's default for this webhook: a freeze, so its verdicts say which policy they came from.
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, `freezeWindows: [{start: "${new Date(Date.now() - 3600_000).toISOString()}", end: "${new Date(Date.now() + 3600_000).toISOString()}", reason: default}]\n`);
    port = await freePort();
    webhook = spawn(process.execPath, [join(ROOT, 'dist', 'webhook', 'main.js'), 'serve', '--host', '127.0.0.1', '--port', String(port),
      '--cert-file', join(CLUSTER_DIR, 'webhook-certs', 'tls.crt'), '--key-file', join(CLUSTER_DIR, 'webhook-certs', 'tls.key'),
      '--policy', file, '--policy-objects', '--kubeconfig', kubeconfig, '--shutdown-delay-seconds', '0', '--log-level', 'warn'], { stdio: 'ignore' });
    await eventually(async () => expect((await get('/healthz')).status).to.equal(200), 30_000, 100);
    // The API server cannot be reached: not ready (so the API server sends it nothing), and asked anyway, it judges
    // by the chart's default, not by no policy.
    for (let i = 0; i < 5; i++) {
      expect(await get('/readyz')).to.deep.equal({ status: 503, body: 'not ready: caches not synced\n' });
      // (GRAY104 too: the subsets are not known either. It is refused, never let through.)
      expect((await judge()).split(',')).to.include('GRAY203');
      await new Promise((r) => setTimeout(r, 400));
    }
    // It comes up: ready once the policy objects are listed, and judged by them.
    await door.open();
    await eventually(async () => expect((await get('/readyz')).status).to.equal(200), 90_000, 250);
    expect(await judge()).to.equal('GRAY202');
    // The API server goes away and comes back while reviews keep coming: every one is judged by the last policy
    // known, and the watch resumes after (a new GrayPolicy is seen).
    const verdicts: string[] = [];
    let stop = false;
    const load = Promise.all(Array.from({ length: 8 }, async () => {
      while (!stop) verdicts.push(await judge());
    }));
    await new Promise((r) => setTimeout(r, 500));
    await door.shut();
    await new Promise((r) => setTimeout(r, 3000));
    await door.open();
    await apply(ns, 'apiVersion: policy.kubectl-gray.io/v1alpha1\nkind: GrayPolicy\nmetadata: {name: tighter}\nspec: {maxWeightStep: 5}\n');
    await eventually(async () => expect((await review()).message).to.contain('admin policy allows at most 5'), 90_000, 500);
    stop = true;
    await load;
    expect(verdicts.length).to.be.greaterThan(20);
    expect([...new Set(verdicts)]).to.deep.equal(['GRAY202']);
  });
});
