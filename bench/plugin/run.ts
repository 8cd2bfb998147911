// bench/plugin: start-up cost of kubectl-gray, as ratios against `node -e ""` (the floor any Node
// CLI pays) measured in the same run. The dry-run case needs a running control plane (make cluster-up).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const RUNS = Number(process.env['BENCH_RUNS'] ?? 20);
const plugin = join(root, 'bin', 'kubectl-gray');
const kubeconfig = process.env['KUBECONFIG'] ?? join(root, '.cluster', 'kubeconfig');

function median(cmd: string, args: string[]): number | undefined {
  const times: number[] = [];
  for (let i = 0; i < RUNS + 2; i++) {
    const started = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: 'ignore' });
    if (r.status !== 0) return undefined;
    if (i >= 2) times.push(Number(process.hrtime.bigint() - started) / 1e6); // two warm-up runs
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const base = median(process.execPath, ['-e', ''])!;
const rows: Array<[string, number | undefined]> = [
  ['node -e "" (baseline)', base],
  ['kubectl-gray --help', median(plugin, ['--help'])],
  ['kubectl-gray analyze (offline, Bookinfo)', median(plugin, ['analyze', join(root, 'test', 'fixtures', 'bookinfo.yaml')])],
];
if (existsSync(kubeconfig)) {
  rows.push(['kubectl-gray set-weight --dry-run=client', median(plugin, ['set-weight', 'reviews', 'v2=10', '-n', 'bookinfo', '--dry-run=client'])]);
}
console.log(`plugin start-up, median of ${RUNS} runs (node ${process.version})`);
for (const [name, ms] of rows) {
  console.log(`${name.padEnd(44)}${ms === undefined ? 'skipped (needs make demo first)' : `${ms.toFixed(0).padStart(5)} ms  ${(ms / base).toFixed(2)}x baseline`}`);
}
