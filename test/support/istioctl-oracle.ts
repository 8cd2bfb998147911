// The oracle of analyze's cross-object checks: istioctl analyze, built from the istio.io/istio module the test
// mesh's istiod is built from (test/cluster/build-istio.sh), run over the same file as `kubectl gray analyze`.
// Both sides are reduced to "CODE Kind namespace/name" pairs for the IST codes our rule catalogue names, and
// compared code by code.
//
// istioctl reads Services, Pods, Nodes and Namespaces only from a cluster: with --use-kube=false it drops them from
// the files and skips every analyzer that needs them (destination hosts and ports, IST0112, IST0140, IST0149,
// IST0173). A case holding any of those kinds is run against a stand-in API server on loopback that serves them
// (the Istio objects still come from the file); any other case runs with --use-kube=false. Our side runs as users
// run it: `kubectl gray analyze FILE`, or for a cluster case `analyze --cluster -A FILE` against the same stand-in.
//
// A hand-written case (test/fixtures/analyze-corpus/*.yaml) says in a `# istioctl: ...` comment line what istioctl
// reports for it, in the compared codes only: "CODE Kind ns/name" pairs joined by "; ", or "nothing".
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import type { KubeObject } from '../../core/model.js';
import { RULES, type RuleInfo } from '../../core/rules.js';
import { readYaml, toYaml } from '../../core/yaml.js';
import { ROOT, fixturePath } from './fixtures.js';
import { KREW_BIN } from './krew.js';
import { tempDir } from './temp.js';

export const ISTIOCTL = join(ROOT, 'test', 'cluster', 'bin', 'istioctl');
export const CORPUS_DIR = fixturePath('analyze-corpus');
/** The plugin as users get it: the copy krew installed in the e2e run, else the release executable. */
const PLUGIN = [join(KREW_BIN, 'kubectl-gray'), join(ROOT, 'bin', 'kubectl-gray')].find((p) => existsSync(p)) ?? join(ROOT, 'bin', 'kubectl-gray');

/** Our codes that report what an IST code does without naming it in the catalogue. */
const ALSO_ISTIO: Record<string, string> = { GRAY104: 'IST0101' };

/** The IST codes compared: every one the rule catalogue names, and those of ALSO_ISTIO. */
export const COMPARED_CODES: ReadonlySet<string> = new Set([
  ...Object.values(RULES as Record<string, RuleInfo>).flatMap((r) => (r.istio ? [r.istio] : [])),
  ...Object.values(ALSO_ISTIO),
]);

/**
 * istioctl messages under a compared code that no rule of ours stands for: a Gateway whose selector matches no pod
 * (IST0101 on the Gateway, from its cluster-only port check).
 */
const NOT_OURS = [/^Referenced selector not found/];

/** The kinds istioctl takes only from a cluster. */
const CLUSTER_KINDS = new Set(['Service', 'Pod', 'Node', 'Namespace']);
const CLUSTER_SCOPED = new Set(['Node', 'Namespace']);

export interface OracleCase {
  name: string;
  file: string;
  /** What the case's `# istioctl:` line says istioctl reports (hand-written cases only). */
  expected?: string[];
}

export interface CaseResult {
  name: string;
  mode: 'files' | 'cluster';
  istioctl: string[];
  ours: string[];
  expected?: string[];
}

// ---- the corpus -------------------------------------------------------------------------------------------------

/** The `# istioctl:` line of a hand-written case, as pairs. */
export function expectedPairs(text: string): string[] | undefined {
  const line = /^# istioctl: (.*)$/m.exec(text)?.[1]?.trim();
  if (line === undefined) return undefined;
  return line === 'nothing' ? [] : line.split(';').map((p) => p.trim()).filter(Boolean).sort();
}

export function loadCorpus(dir = CORPUS_DIR): OracleCase[] {
  return readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => {
    const file = join(dir, f);
    return { name: basename(f, '.yaml'), file, expected: expectedPairs(readFileSync(file, 'utf8')) };
  });
}

function objectsOf(file: string): KubeObject[] {
  return (readYaml(readFileSync(file, 'utf8')) as KubeObject[]).filter((o) => o && typeof o === 'object' && typeof o.kind === 'string');
}

/** The two default a missing namespace differently (istioctl with -A: none at all; ours: default): a case names each. */
function checkNamespaces(name: string, objects: readonly KubeObject[]): void {
  const bare = objects.filter((o) => !CLUSTER_SCOPED.has(o.kind) && !o.metadata?.namespace);
  if (bare.length > 0) throw new Error(`case ${name}: ${bare.map((o) => `${o.kind} ${o.metadata?.name}`).join(', ')} without metadata.namespace`);
}

// ---- the two sides ----------------------------------------------------------------------------------------------

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end; a non-zero exit is an answer here (analyze exits 3 on errors, istioctl's text output 79), not a throw. */
function runTool(cmd: string, args: string[], timeoutMs = 60_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 16 << 20, timeout: timeoutMs, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') reject(new Error(`${basename(cmd)} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}

interface IstioctlMessage {
  code: string;
  message?: string;
  origin?: string;
}

export const isClusterCase = (objects: readonly KubeObject[]) => objects.some((o) => CLUSTER_KINDS.has(o.kind));

export async function istioctlPairs(file: string, objects: readonly KubeObject[], standIn: ClusterStandIn): Promise<string[]> {
  const cluster = isClusterCase(objects);
  // -A: istioctl otherwise reports on one namespace only. In files mode an empty kubeconfig keeps any real one out.
  const target = cluster ? ['--kubeconfig', standIn.kubeconfig(objects.filter((o) => CLUSTER_KINDS.has(o.kind)))] : ['--use-kube=false', '--kubeconfig', standIn.emptyKubeconfig];
  const ran = await runTool(ISTIOCTL, ['analyze', ...target, '-A', '-o', 'json', '--timeout', '20s', file]);
  let messages: IstioctlMessage[];
  try {
    messages = JSON.parse(ran.stdout) as IstioctlMessage[];
  } catch {
    throw new Error(`istioctl analyze ${file} (exit ${ran.code}) printed no JSON: ${ran.stdout.slice(0, 300)}\n${ran.stderr.slice(0, 600)}`);
  }
  const pairs = messages.filter((m) => COMPARED_CODES.has(m.code) && !NOT_OURS.some((re) => re.test(m.message ?? ''))).map((m) => `${m.code} ${m.origin ?? '?'}`);
  return [...new Set(pairs)].sort();
}

interface OurFinding {
  code: string;
  object: string;
  istio?: string;
}

/** Our pairs for a case: the plugin on the file, or, for a cluster case, the objects judged as the whole cluster. */
/** Ours as users run it: `analyze FILE`, or for a cluster case `analyze --cluster -A FILE` against the stand-in. */
export function ourPairs(file: string, objects: readonly KubeObject[], cluster: boolean, standIn: ClusterStandIn): Promise<string[]> {
  return cluster
    ? pluginPairs(file, ['--cluster', '-A', '--kubeconfig', standIn.kubeconfig(objects.filter((o) => CLUSTER_KINDS.has(o.kind)))])
    : pluginPairs(file, []);
}

function pairsOf(findings: readonly OurFinding[]): string[] {
  const pairs = findings.flatMap((f) => {
    const code = f.istio ?? ALSO_ISTIO[f.code];
    return code && COMPARED_CODES.has(code) ? [`${code} ${f.object}`] : [];
  });
  return [...new Set(pairs)].sort();
}

async function pluginPairs(file: string, flags: readonly string[]): Promise<string[]> {
  const ran = await runTool(PLUGIN, ['analyze', file, '-o', 'json', ...flags]);
  let report: { findings: OurFinding[]; unreadable: unknown[] };
  try {
    report = JSON.parse(ran.stdout) as typeof report;
  } catch {
    throw new Error(`kubectl gray analyze ${file} (exit ${ran.code}) printed no JSON: ${ran.stdout.slice(0, 300)}\n${ran.stderr.slice(0, 600)}`);
  }
  if (report.unreadable.length > 0) throw new Error(`kubectl gray analyze could not read ${file}: ${JSON.stringify(report.unreadable)}`);
  return pairsOf(report.findings);
}

export async function runCase(c: OracleCase, standIn: ClusterStandIn): Promise<CaseResult> {
  const objects = objectsOf(c.file);
  checkNamespaces(c.name, objects);
  const cluster = isClusterCase(objects);
  const [istioctl, ours] = await Promise.all([istioctlPairs(c.file, objects, standIn), ourPairs(c.file, objects, cluster, standIn)]);
  return { name: c.name, mode: cluster ? 'cluster' : 'files', istioctl, ours, ...(c.expected ? { expected: c.expected } : {}) };
}

/** Runs cases `width` at a time (each runs both tools at once), in the order given. */
export async function runCases(cases: readonly OracleCase[], standIn: ClusterStandIn, width = 2): Promise<CaseResult[]> {
  const results: CaseResult[] = new Array(cases.length);
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      results[i] = await runCase(cases[i]!, standIn);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, cases.length) }, worker));
  return results;
}

// ---- the comparison ---------------------------------------------------------------------------------------------

const codeOf = (pair: string) => pair.split(' ', 1)[0]!;
const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The codes on which the two sides differ for a case. */
export function disagreeingCodes(r: CaseResult): string[] {
  return [...COMPARED_CODES].filter((code) => !sameSet(r.istioctl.filter((p) => codeOf(p) === code), r.ours.filter((p) => codeOf(p) === code))).sort();
}

export interface AgreementRow {
  code: string;
  /** Cases where either side reports the code. */
  either: number;
  /** Of those, cases where both report the same pairs. */
  agree: number;
  istioctlOnly: number;
  oursOnly: number;
}

export function agreement(results: readonly CaseResult[]): AgreementRow[] {
  return [...COMPARED_CODES].sort().map((code) => {
    const row: AgreementRow = { code, either: 0, agree: 0, istioctlOnly: 0, oursOnly: 0 };
    for (const r of results) {
      const theirs = r.istioctl.filter((p) => codeOf(p) === code);
      const ours = r.ours.filter((p) => codeOf(p) === code);
      if (theirs.length === 0 && ours.length === 0) continue;
      row.either++;
      if (sameSet(theirs, ours)) row.agree++;
      else if (ours.length === 0) row.istioctlOnly++;
      else if (theirs.length === 0) row.oursOnly++;
    }
    return row;
  });
}

export function agreementTable(rows: readonly AgreementRow[], cases: number): string {
  const percent = (r: AgreementRow) => (r.either === 0 ? '-' : `${Math.round((100 * r.agree) / r.either)}%`);
  const lines = rows.map((r) => [r.code, String(r.either), String(r.agree), percent(r), String(r.istioctlOnly), String(r.oursOnly)]);
  const header = ['code', 'reported', 'agree', 'agreement', 'istioctl only', 'ours only'];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [`${cases} cases; "reported": cases where either side reports the code`, fmt(header), ...lines.map(fmt)].join('\n');
}

/** What differs in a case, one line a pair, for a failure message. */
export function describeDifference(r: CaseResult): string {
  const theirs = new Set(r.istioctl);
  const ours = new Set(r.ours);
  const only = (a: Set<string>, b: Set<string>) => [...a].filter((p) => !b.has(p));
  return [...only(theirs, ours).map((p) => `istioctl only: ${p}`), ...only(ours, theirs).map((p) => `ours only: ${p}`)].join('; ');
}

// ---- the stand-in API server ------------------------------------------------------------------------------------

export interface ClusterStandIn {
  /** A kubeconfig whose cluster serves these objects (and nothing else). */
  kubeconfig(objects: readonly KubeObject[]): string;
  /** A kubeconfig with no cluster, for --use-kube=false. */
  emptyKubeconfig: string;
  close(): Promise<void>;
}

/** What istioctl analyze watches, as the kind its list and watch answers carry. */
const RESOURCES: Record<string, { apiVersion: string; kind: string }> = {
  services: { apiVersion: 'v1', kind: 'Service' },
  pods: { apiVersion: 'v1', kind: 'Pod' },
  nodes: { apiVersion: 'v1', kind: 'Node' },
  namespaces: { apiVersion: 'v1', kind: 'Namespace' },
  secrets: { apiVersion: 'v1', kind: 'Secret' },
  configmaps: { apiVersion: 'v1', kind: 'ConfigMap' },
  deployments: { apiVersion: 'apps/v1', kind: 'Deployment' },
  customresourcedefinitions: { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' },
  mutatingwebhookconfigurations: { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration' },
  validatingwebhookconfigurations: { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration' },
};

/**
 * A read-only API server of a few objects per case (each case has a path prefix of its own, so cases run side by
 * side): lists, watches (with the initial events and the bookmark that ends them, which client-go's watch-list asks
 * for) and gets. No Istio CRDs are served, so istioctl takes every Istio object from the file.
 */
export async function startClusterStandIn(): Promise<ClusterStandIn> {
  const dir = tempDir('istioctl-oracle');
  const cases = new Map<string, KubeObject[]>();
  const server = createServer((req, res) => answer(req, res, cases));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const emptyKubeconfig = join(dir, 'empty.kubeconfig');
  writeFileSync(emptyKubeconfig, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
  let count = 0;
  return {
    emptyKubeconfig,
    kubeconfig(objects) {
      const id = String(++count);
      cases.set(id, objects.map((o) => ({ ...o, metadata: { ...o.metadata, resourceVersion: '1', uid: `${id}-${o.kind}-${o.metadata.namespace ?? ''}-${o.metadata.name}` } })));
      const path = join(dir, `case-${id}.kubeconfig`);
      writeFileSync(path, toYaml({
        apiVersion: 'v1', kind: 'Config', 'current-context': 'stand-in',
        // client-node takes a plain-HTTP server only with TLS verification off (there is no TLS to verify).
        clusters: [{ name: 'stand-in', cluster: { server: `http://127.0.0.1:${port}/case/${id}`, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'stand-in', user: {} }],
        contexts: [{ name: 'stand-in', context: { cluster: 'stand-in', user: 'stand-in', namespace: 'default' } }],
      }));
      return path;
    },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

function answer(req: IncomingMessage, res: ServerResponse, cases: ReadonlyMap<string, KubeObject[]>): void {
  const url = new URL(req.url ?? '/', 'http://stand-in');
  const [, prefix, id, ...path] = url.pathname.split('/');
  const objects = prefix === 'case' ? cases.get(id ?? '') : undefined;
  // /api/v1/... or /apis/GROUP/VERSION/...
  const rest = path[0] === 'api' ? path.slice(2) : path[0] === 'apis' ? path.slice(3) : undefined;
  if (!objects || !rest || req.method !== 'GET') return notFound(res);
  const namespaced = rest[0] === 'namespaces' && rest.length >= 3;
  const [resource, name] = namespaced ? [rest[2]!, rest[3]] : [rest[0]!, rest[1]];
  const namespace = namespaced ? rest[1] : undefined;
  const served = RESOURCES[resource];
  if (!served) return notFound(res);
  const items = objects.filter((o) => o.kind === served.kind && (namespace === undefined || o.metadata.namespace === namespace));
  if (name !== undefined) {
    const found = items.find((o) => o.metadata.name === name)
      // istioctl first checks that its namespace exists.
      ?? (served.kind === 'Namespace' ? { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } : undefined);
    return found ? json(res, found) : notFound(res);
  }
  // The CRD watcher asks for metadata only.
  const metadataOnly = String(req.headers.accept).includes('as=PartialObjectMetadata');
  const kind = metadataOnly ? { apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata' } : served;
  if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') {
    res.writeHead(200, { 'content-type': 'application/json' });
    if (url.searchParams.get('sendInitialEvents') === 'true') {
      for (const item of items) res.write(`${JSON.stringify({ type: 'ADDED', object: item })}\n`);
      const end = { ...kind, metadata: { resourceVersion: '1', annotations: { 'k8s.io/initial-events-end': 'true' } } };
      res.write(`${JSON.stringify({ type: 'BOOKMARK', object: end })}\n`);
    }
    return; // left open, as a watch is, until istioctl exits
  }
  json(res, { apiVersion: kind.apiVersion, kind: `${kind.kind}List`, metadata: { resourceVersion: '1' }, items });
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ apiVersion: 'v1', kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 }));
}

// ---- generated cases --------------------------------------------------------------------------------------------

export interface GeneratedCase {
  name: string;
  family: string;
  objects: KubeObject[];
}

/** Writes generated cases as files (in a temporary directory) for both tools to read. */
export function writeGenerated(cases: readonly GeneratedCase[]): OracleCase[] {
  const dir = tempDir('istioctl-oracle-cases');
  return cases.map((c, i) => {
    const file = join(dir, `${String(i).padStart(4, '0')}-${c.family}.yaml`);
    writeFileSync(file, `# ${c.name}\n${c.objects.map((o) => toYaml(o)).join('---\n')}`);
    return { name: c.name, file };
  });
}

/** Every `every`-th case of each family, so that a slice still covers each. */
export function sliceOf(cases: readonly GeneratedCase[], every: number): GeneratedCase[] {
  const seen = new Map<string, number>();
  return cases.filter((c) => {
    const n = seen.get(c.family) ?? 0;
    seen.set(c.family, n + 1);
    return n % every === 0;
  });
}

// The generator: small families of cases, each the product of a few variations (host spelled short, as
// name.namespace or in full; namespaces; exportTo; the order of matches; where a Gateway and its hosts live).
// A case's name spells its variations, so it stays the same from run to run.

type HostForm = 'short' | 'dotted' | 'fqdn';
const HOST_FORMS: HostForm[] = ['short', 'dotted', 'fqdn'];

function hostIn(form: HostForm, name: string, namespace: string): string {
  return form === 'short' ? name : form === 'dotted' ? `${name}.${namespace}` : `${name}.${namespace}.svc.cluster.local`;
}

const NET = 'networking.istio.io/v1';

function object(apiVersion: string, kind: string, namespace: string | undefined, name: string, rest: Record<string, unknown>, metadata: Record<string, unknown> = {}): KubeObject {
  return { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}), ...metadata }, ...rest };
}

function exportTo(value: string | undefined): Record<string, unknown> {
  return value === undefined ? {} : { exportTo: value.split(',') };
}

function virtualService(namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  return object(NET, 'VirtualService', namespace, name, { spec });
}

function destination(host: string, subset?: string, port?: number): Record<string, unknown> {
  return { host, ...(subset ? { subset } : {}), ...(port ? { port: { number: port } } : {}) };
}

function destinationRule(namespace: string, host: string, subsets: string[]): KubeObject {
  return object(NET, 'DestinationRule', namespace, host.split('.')[0]!, { spec: { host, subsets: subsets.map((s) => ({ name: s, labels: { version: s } })) } });
}

function service(namespace: string, name: string, ports: number[], exportToAnnotation?: string): KubeObject {
  const annotations = exportToAnnotation === undefined ? {} : { annotations: { 'networking.istio.io/exportTo': exportToAnnotation } };
  return object('v1', 'Service', namespace, name, {
    spec: { selector: { app: name }, ports: ports.map((port, i) => ({ name: i === 0 ? 'http' : `http-${port}`, port })) },
  }, annotations);
}

function pod(namespace: string, name: string, labels: Record<string, string>): KubeObject {
  return object('v1', 'Pod', namespace, name, { spec: { containers: [{ name: 'app', image: 'registry.local/app:1' }] } }, { labels });
}

function gateway(namespace: string, name: string, hosts: string[]): KubeObject {
  return object(NET, 'Gateway', namespace, name, {
    spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts }] },
  });
}

function product<T extends Record<string, readonly unknown[]>>(axes: T): { [K in keyof T]: T[K][number] }[] {
  let rows: Record<string, unknown>[] = [{}];
  for (const [key, values] of Object.entries(axes)) rows = rows.flatMap((row) => values.map((v) => ({ ...row, [key]: v })));
  return rows as { [K in keyof T]: T[K][number] }[];
}

function named(family: string, params: Record<string, unknown>, objects: KubeObject[]): GeneratedCase {
  const spelled = Object.entries(params).map(([k, v]) => `${k}=${v === undefined ? '-' : String(v)}`).join(',');
  return { name: `gen/${family}/${spelled}`, family, objects };
}

/** Two mesh VirtualServices for reviews (in shop), the second in the same or another namespace. */
function shadowCases(): GeneratedCase[] {
  const exports = [undefined, '.', '*', 'web'];
  return product({ a: ['short', 'fqdn'] as HostForm[], b: ['short', 'fqdn'] as HostForm[], bns: ['shop', 'web'], ax: exports, bx: exports }).map((p) => named('shadow', p, [
    virtualService('shop', 'reviews-a', { hosts: [hostIn(p.a, 'reviews', 'shop')], ...exportTo(p.ax), http: [{ route: [{ destination: destination('reviews') }] }] }),
    virtualService(p.bns, 'reviews-b', { hosts: [hostIn(p.b, 'reviews', 'shop')], ...exportTo(p.bx), http: [{ route: [{ destination: destination('reviews.shop.svc.cluster.local') }] }] }),
  ]));
}

/** A route from shop to a Service that may live elsewhere, exported (or not) by annotation. */
function hostCases(): GeneratedCase[] {
  return product({ vsx: [undefined, '.', 'web'], svcns: ['shop', 'web'], svcx: [undefined, '.', 'shop', 'web', 'shop,web'], form: HOST_FORMS }).map((p) => named('host', p, [
    service(p.svcns, 'reviews', [9080], p.svcx),
    virtualService('shop', 'reviews', { hosts: ['reviews.example.com'], ...exportTo(p.vsx), http: [{ route: [{ destination: destination(hostIn(p.form, 'reviews', p.svcns)) }] }] }),
  ]));
}

/** A route to a ServiceEntry host (a Service present, so hosts are checked). */
function serviceEntryCases(): GeneratedCase[] {
  return product({ sens: ['shop', 'web'], sex: [undefined, '.', 'shop', 'web'], vsx: [undefined, '.'], wildcard: [false, true] }).map((p) => named('serviceentry', p, [
    service('shop', 'frontend', [8080]),
    object(NET, 'ServiceEntry', p.sens, 'partner', {
      spec: { hosts: [p.wildcard ? '*.partner.example' : 'api.partner.example'], ...exportTo(p.sex), location: 'MESH_EXTERNAL', resolution: 'DNS', ports: [{ number: 443, name: 'tls', protocol: 'TLS' }] },
    }),
    virtualService('shop', 'partner', { hosts: ['api.partner.example'], ...exportTo(p.vsx), tls: [{ match: [{ port: 443, sniHosts: ['api.partner.example'] }], route: [{ destination: destination('api.partner.example') }] }] }),
  ]));
}

/** Destination ports against a Service with one or two ports, in http, tcp and mirror destinations. */
function portCases(): GeneratedCase[] {
  return product({ ports: ['9080', '9080+9090'], port: [undefined, 9080, 7000], route: ['http', 'tcp', 'mirror'] }).map((p) => {
    const d = destination('reviews', undefined, p.port);
    const spec = p.route === 'tcp' ? { tcp: [{ route: [{ destination: d }] }] }
      : p.route === 'mirror' ? { http: [{ route: [{ destination: destination('ratings') }], mirror: d }] }
        : { http: [{ route: [{ destination: d }] }] };
    return named('port', p, [
      service('shop', 'reviews', p.ports.split('+').map(Number)),
      service('shop', 'ratings', [9080]),
      virtualService('shop', 'reviews', { hosts: ['reviews.example.com'], ...spec }),
    ]);
  });
}

/** A subset route against a DestinationRule that may live elsewhere and spell its host differently. */
function subsetCases(): GeneratedCase[] {
  return product({ drns: ['shop', 'web'], drhost: ['short', 'fqdn'] as HostForm[], dest: HOST_FORMS, subset: ['v1', 'v3'], route: ['http', 'tcp', 'mirror'] }).map((p) => {
    const d = destination(hostIn(p.dest, 'reviews', 'shop'), p.subset);
    const spec = p.route === 'tcp' ? { tcp: [{ route: [{ destination: d }] }] }
      : p.route === 'mirror' ? { http: [{ route: [{ destination: destination('reviews', 'v1') }], mirror: d }] }
        : { http: [{ route: [{ destination: d }] }] };
    return named('subset', p, [
      destinationRule(p.drns, hostIn(p.drhost, 'reviews', 'shop'), ['v1', 'v2']),
      virtualService('shop', 'reviews', { hosts: ['reviews'], ...spec }),
    ]);
  });
}

const HTTP_MATCHES: Record<string, Record<string, unknown> | undefined> = {
  any: undefined,
  api: { uri: { prefix: '/api' } },
  apiv2: { uri: { prefix: '/api/v2' } },
  exact: { uri: { exact: '/api' } },
  canary: { uri: { prefix: '/api' }, headers: { 'x-canary': { exact: '1' } } },
  post: { uri: { prefix: '/api' }, method: { exact: 'POST' } },
  getv2: { uri: { prefix: '/api/v2' }, method: { exact: 'GET' } },
};

const TCP_MATCHES: Record<string, Record<string, unknown> | undefined> = { any: undefined, p9000: { port: 9000 }, p9001: { port: 9001 } };

/** Two routes in every order of a few matches (the same twice included). */
function matchCases(): GeneratedCase[] {
  const http = product({ first: Object.keys(HTTP_MATCHES), then: Object.keys(HTTP_MATCHES) }).map((p) => named('match', p, [
    virtualService('shop', 'reviews', {
      hosts: ['reviews'],
      http: [p.first, p.then].map((m, i) => ({ ...(HTTP_MATCHES[m] ? { match: [HTTP_MATCHES[m]] } : {}), route: [{ destination: destination('reviews', `v${i + 1}`) }] })),
    }),
    destinationRule('shop', 'reviews', ['v1', 'v2']),
  ]));
  const tcp = product({ first: Object.keys(TCP_MATCHES), then: Object.keys(TCP_MATCHES) }).map((p) => named('match-tcp', p, [
    virtualService('shop', 'db', {
      hosts: ['db'],
      tcp: [p.first, p.then].map((m, i) => ({ ...(TCP_MATCHES[m] ? { match: [TCP_MATCHES[m]] } : {}), route: [{ destination: destination('db', `v${i + 1}`) }] })),
    }),
    destinationRule('shop', 'db', ['v1', 'v2']),
  ]));
  return [...http, ...tcp];
}

/** A VirtualService in shop bound to a Gateway that lives in shop or istio-system, referred to one way or another. */
function gatewayCases(): GeneratedCase[] {
  const hosts = ['*', 'shop.example.com', '*.example.com', './shop.example.com', 'shop/shop.example.com', 'web/shop.example.com', '*/shop.example.com', 'api.example.com'];
  return product({ ref: ['short', 'qualified', 'absent'], gwns: ['shop', 'istio-system'], server: hosts }).map((p) => {
    const ref = p.ref === 'short' ? 'public' : p.ref === 'qualified' ? `${p.gwns}/public` : `${p.gwns}/private`;
    return named('gateway', p, [
      gateway(p.gwns, 'public', [p.server]),
      virtualService('shop', 'shop', { hosts: ['shop.example.com'], gateways: [ref], http: [{ route: [{ destination: destination('frontend') }] }] }),
    ]);
  });
}

/** Pods for a subset, in the Service's namespace or another, labelled for it or not. */
function podCases(): GeneratedCase[] {
  const labels: Record<string, Record<string, string>> = {
    both: { app: 'reviews', version: 'v1' }, app: { app: 'reviews' }, version: { version: 'v1' }, other: { app: 'ratings', version: 'v1' },
  };
  return product({ podns: ['shop', 'web'], labels: Object.keys(labels) }).map((p) => named('pods', p, [
    service('shop', 'reviews', [9080]),
    destinationRule('shop', 'reviews', ['v1']),
    pod(p.podns, 'reviews-1', labels[p.labels]!),
  ]));
}

/** Routing on a JWT claim at a gateway, with a RequestAuthentication somewhere or nowhere. */
function jwtCases(): GeneratedCase[] {
  const authn = (where: string, podns: string): KubeObject[] => {
    const ra = (namespace: string, selector?: Record<string, string>) => object('security.istio.io/v1', 'RequestAuthentication', namespace, 'jwt', {
      spec: { ...(selector ? { selector: { matchLabels: selector } } : {}), jwtRules: [{ issuer: 'https://issuer.example', jwksUri: 'https://issuer.example/jwks' }] },
    });
    switch (where) {
      case 'root-all': return [ra('istio-system')];
      case 'root-match': return [ra('istio-system', { istio: 'ingressgateway' })];
      case 'root-other': return [ra('istio-system', { app: 'reviews' })];
      case 'podns': return [ra(podns, { istio: 'ingressgateway' })];
      case 'vsns': return [ra('shop', { istio: 'ingressgateway' })];
      default: return [];
    }
  };
  return product({ ra: ['none', 'root-all', 'root-match', 'root-other', 'podns', 'vsns'], podns: ['istio-system', 'gateways'], match: ['headers', 'withoutHeaders'] }).map((p) => named('jwt', p, [
    service('shop', 'frontend', [8080]),
    pod(p.podns, 'ingressgateway-1', { istio: 'ingressgateway' }),
    gateway('istio-system', 'public', ['*']),
    ...authn(p.ra, p.podns),
    virtualService('shop', 'shop', {
      hosts: ['shop.example.com'], gateways: ['istio-system/public'],
      http: [
        { match: [{ [p.match]: { '@request.auth.claims.group': { exact: 'beta' } } }], route: [{ destination: destination('frontend') }] },
        { route: [{ destination: destination('frontend') }] },
      ],
    }),
  ]));
}

/** A gateway VirtualService sending straight to a host a mesh VirtualService splits by subset. */
function bypassCases(): GeneratedCase[] {
  return product({ meshsubsets: [true, false], gwsubset: [undefined, 'v1'], meshhost: ['short', 'fqdn'] as HostForm[], gwdest: ['short', 'fqdn'] as HostForm[] }).map((p) => named('bypass', p, [
    service('shop', 'reviews', [9080]),
    pod('shop', 'reviews-v1', { app: 'reviews', version: 'v1' }),
    pod('shop', 'reviews-v2', { app: 'reviews', version: 'v2' }),
    destinationRule('shop', 'reviews', ['v1', 'v2']),
    gateway('shop', 'public', ['*']),
    virtualService('shop', 'reviews', {
      hosts: [hostIn(p.meshhost, 'reviews', 'shop')],
      http: [{ route: p.meshsubsets
        ? [{ destination: destination(hostIn(p.meshhost, 'reviews', 'shop'), 'v1'), weight: 90 }, { destination: destination(hostIn(p.meshhost, 'reviews', 'shop'), 'v2'), weight: 10 }]
        : [{ destination: destination(hostIn(p.meshhost, 'reviews', 'shop')) }] }],
    }),
    virtualService('shop', 'edge', { hosts: ['shop.example.com'], gateways: ['public'], http: [{ route: [{ destination: destination(hostIn(p.gwdest, 'reviews', 'shop'), p.gwsubset) }] }] }),
  ]));
}

/** Every generated case, family by family. */
export function generatedCases(): GeneratedCase[] {
  return [
    ...shadowCases(), ...hostCases(), ...serviceEntryCases(), ...portCases(), ...subsetCases(),
    ...matchCases(), ...gatewayCases(), ...podCases(), ...jwtCases(), ...bypassCases(),
  ];
}
