// Percent arithmetic for set-weight: integer weights that always total exactly 100.
import { IntentError } from './errors.js';

export interface WeightIntent {
  subset: string;
  percent: number;
}

/** Parses "v2=10 v3=5"; each problem quotes the token that caused it. */
export function parseWeightIntents(tokens: readonly string[]): WeightIntent[] {
  if (tokens.length === 0) throw new IntentError('name at least one SUBSET=PERCENT, e.g. v2=10');
  const out: WeightIntent[] = [];
  for (const token of tokens) {
    const m = /^([^=\s]+)=(\d+)$/.exec(token);
    if (!m) throw new IntentError(`"${token}": expected SUBSET=PERCENT with an integer percent, e.g. v2=10`);
    const percent = Number(m[2]);
    if (percent > 100) throw new IntentError(`"${token}": percent must be between 0 and 100`);
    if (out.some((w) => w.subset === m[1])) throw new IntentError(`"${token}": subset ${m[1]} is named twice`);
    out.push({ subset: m[1]!, percent });
  }
  const total = out.reduce((a, w) => a + w.percent, 0);
  if (total > 100) throw new IntentError(`"${tokens.join(' ')}": percents total ${total}, more than 100`);
  return out;
}

/**
 * Splits `total` integer units over shares in proportion to `shares` (largest remainder; ties go to
 * the earlier entry). All-zero shares split evenly.
 */
export function apportion(total: number, shares: readonly number[]): number[] {
  if (shares.length === 0) return [];
  const sum = shares.reduce((a, b) => a + b, 0);
  const basis = sum > 0 ? shares : shares.map(() => 1);
  const basisSum = sum > 0 ? sum : shares.length;
  const exact = basis.map((s) => (total * s) / basisSum);
  const result = exact.map(Math.floor);
  let left = total - result.reduce((a, b) => a + b, 0);
  const order = exact
    .map((x, i) => ({ i, frac: x - Math.floor(x) }))
    .sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    result[i]! += 1;
    left -= 1;
  }
  return result;
}

/**
 * What Envoy does with weights (Istio >= 1.15 reads them as relative shares): each destination's percent
 * of traffic. A lone destination takes everything whatever its weight.
 */
export function effectiveShares(weights: ReadonlyArray<number | undefined>): number[] {
  if (weights.length === 1) return [100];
  const w = weights.map((x) => Math.max(0, x ?? 0));
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => (total > 0 ? (100 * x) / total : 0));
}
