// bench/plugin: what a kubectl-gray command costs, as ratios against what it is compared with, measured in
// the same run: --help, version and analyze against `kubectl version --client` (what users compare a plugin's
// start-up with), beside bare `node -e ""` (the floor of any Node program);
// set-weight (a real write through the webhook) against `kubectl patch --type=json` of the same change;
// status against `kubectl get` of the same objects; and the peak RSS of set-weight.
//
// Every row runs once per round, rounds interleaved, so load from other processes falls on all rows alike;
// medians of BENCH_RUNS rounds (default 21) after two warm-up rounds.
// The cluster rows need a running control plane with Bookinfo in namespace bookinfo (make cluster-up, then
// this script applies what it needs). BENCH_COMPARE=path/to/another/kubectl-gray adds its rows (e.g. a build
// of an older commit), so a change can be measured against the previous version in the same run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Row, measureRounds, peakRssMiB } from '../rounds.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const RUNS = Math.max(1, Number(process.env['BENCH_RUNS'] ?? 21));
const plugin = join(root, 'bin', 'kubectl-gray');
const compare = process.env['BENCH_COMPARE'];
const kubeconfig = process.env['KUBECONFIG'] ?? join(root, '.cluster', 'kubeconfig');
const kubectl = process.env['KUBECTL'] ?? (existsSync(join(root, 'test', 'cluster', 'bin', 'kubectl')) ? join(root, 'test', 'cluster', 'bin', 'kubectl') : 'kubectl');
const NS = 'bookinfo';
const bookinfo = join(root, 'test', 'fixtures', 'bookinfo.yaml');

const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: kubeconfig };

function clusterReady(): boolean {
  if (!existsSync(kubeconfig)) return false;
  const ok = spawnSync(kubectl, ['--kubeconfig', kubeconfig, 'get', '--raw', '/readyz'], { stdio: 'ignore' });
  if (ok.status !== 0) return false;
  // Bookinfo in its namespace, and reviews with v1 and v2 in the catch-all route (the state the edits toggle).
  const k = (...args: string[]) => spawnSync(kubectl, ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8' });
  k('create', 'namespace', NS);
  const applied = k('apply', '-n', NS, '-f', bookinfo);
  if (applied.status !== 0) throw new Error(`applying ${bookinfo}: ${applied.stderr}`);
  const pods = join(root, 'test', 'fixtures', 'bookinfo-pods.yaml');
  if (existsSync(pods)) k('apply', '-n', NS, '-f', pods);
  const set = spawnSync(plugin, ['set-weight', 'reviews', 'v2=10', '-n', NS], { env, encoding: 'utf8' });
  if (set.status !== 0) throw new Error(`preparing reviews: ${set.stderr}`);
  return true;
}

function table(title: string, rows: Row[], figures: Map<string, number>): void {
  console.log(`\n${title}`);
  console.log(`${'command'.padEnd(58)}${'median'.padStart(9)}   ratio`);
  for (const row of rows) {
    const ms = figures.get(row.name)!;
    const ratio = row.vs ? `${(ms / figures.get(row.vs)!).toFixed(2)}x ${row.vs}` : '(baseline)';
    console.log(`${row.name.padEnd(58)}${`${ms.toFixed(0)} ms`.padStart(9)}   ${ratio}`);
  }
}

const node = process.execPath;
const NODE = 'node -e ""';
const KUBECTL_VERSION = 'kubectl version --client';
const PATCH = 'kubectl patch --type=json (same change)';
const GET = `kubectl get vs,dr,pods -n ${NS}`;
const startup: Row[] = [{ name: NODE, argv: () => [node, '-e', ''] }, { name: KUBECTL_VERSION, argv: () => [kubectl, 'version', '--client'] }];
const cluster: Row[] = [];
const executables: Array<[string, string]> = [['kubectl-gray', plugin], ...(compare ? [[`compare: ${compare}`, compare] as [string, string]] : [])];
for (const [label, bin] of executables) {
  startup.push(
    { name: `${label} --help`, vs: KUBECTL_VERSION, argv: () => [bin, '--help'] },
    { name: `${label} version`, vs: KUBECTL_VERSION, argv: () => [bin, 'version'] },
    { name: `${label} analyze bookinfo.yaml`, vs: KUBECTL_VERSION, argv: () => [bin, 'analyze', bookinfo] },
  );
}
const withCluster = clusterReady();
if (withCluster) {
  // kubectl's own change of the catch-all route's weights, the same edit set-weight makes.
  const patch = (v2: number) => JSON.stringify([
    { op: 'test', path: '/spec/http/0/route/1/destination/subset', value: 'v2' },
    { op: 'replace', path: '/spec/http/0/route/0/weight', value: 100 - v2 },
    { op: 'replace', path: '/spec/http/0/route/1/weight', value: v2 },
  ]);
  cluster.push({ name: PATCH, argv: (i) => [kubectl, 'patch', 'virtualservice', 'reviews', '-n', NS, '--type=json', '-p', patch(i % 2 ? 10 : 20)] });
  cluster.push({ name: GET, argv: () => [kubectl, 'get', 'virtualservices,destinationrules,pods', '-n', NS] });
  // Each writer sets values no other writer leaves, so every run is a real change (a write, admission, istiod's
  // push), never a no-op against what the row before it just wrote.
  executables.forEach(([label, bin], k) => {
    const [a, b] = [30 + 20 * k, 40 + 20 * k];
    cluster.push({ name: `${label} set-weight reviews v2=${a}|v2=${b}`, vs: PATCH, argv: (i) => [bin, 'set-weight', 'reviews', `v2=${i % 2 ? a : b}`, '-n', NS] });
    cluster.push({ name: `${label} status reviews`, vs: GET, argv: () => [bin, 'status', 'reviews', '-n', NS], ok: [0, 3] });
  });
}

console.log(`kubectl-gray benchmark: medians of ${RUNS} interleaved rounds; node ${process.version}${withCluster ? '' : '; no cluster (make cluster-up): cluster rows skipped'}`);
const rows = [...startup, ...cluster];
table('', rows, measureRounds(rows, env, RUNS));
if (withCluster) {
  for (const [label, bin] of executables) {
    const rss = Array.from({ length: 5 }, (_, i) => peakRssMiB([bin, 'set-weight', 'reviews', `v2=${i % 2 ? 20 : 10}`, '-n', NS], env) ?? NaN);
    console.log(`${`${label} set-weight: peak RSS (max of 5)`.padEnd(58)}${`${Math.max(...rss).toFixed(0)} MiB`.padStart(9)}`);
  }
  spawnSync(plugin, ['set-weight', 'reviews', 'v2=10', '-n', NS], { env });
}
