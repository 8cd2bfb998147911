// Whole-process timings for the benchmarks that compare commands: every row runs once per round, rounds
// interleaved (so load from other processes falls on all rows alike), medians after two warm-up rounds.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { median } from './median.js';

export interface Row {
  name: string;
  /** The row this one is divided by. */
  vs?: string;
  /** Arguments for round i (edits alternate between two states, so every run really writes). */
  argv: (i: number) => string[];
  /** Exit codes that count as a run (status exits 3 on a 503 risk). */
  ok?: number[];
}

/** One run's wall time in ms; a run that exits otherwise than `ok` throws with its stderr. */
export function timeOnce(argv: string[], env: NodeJS.ProcessEnv, ok = [0]): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (!ok.includes(r.status ?? -1)) throw new Error(`${argv.join(' ')}: exit ${r.status ?? r.signal}\n${r.stderr}`);
  return ms;
}

/** Each row's median over `runs` interleaved rounds, after two warm-up rounds. */
export function measureRounds(rows: readonly Row[], env: NodeJS.ProcessEnv, runs: number): Map<string, number> {
  const times = new Map<string, number[]>(rows.map((r) => [r.name, []]));
  for (let i = 0; i < runs + 2; i++) {
    for (const row of rows) {
      const ms = timeOnce(row.argv(i), env, row.ok);
      if (i >= 2) times.get(row.name)!.push(ms);
    }
  }
  return new Map([...times].map(([k, v]) => [k, median(v)]));
}

/** A run's peak resident memory in MiB, from GNU time (undefined where it is not installed). */
export function peakRssMiB(argv: string[], env: NodeJS.ProcessEnv): number | undefined {
  if (!existsSync('/usr/bin/time')) return undefined;
  const r = spawnSync('/usr/bin/time', ['-f', '%M', ...argv], { env, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const kb = Number(r.stderr.trim().split('\n').at(-1));
  return Number.isFinite(kb) ? kb / 1024 : undefined;
}
