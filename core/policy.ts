// Admin policy: what a cluster admin adds on top of the rules. Plain data, so the webhook's config
// file, the chart's values and tests all describe it the same way; new knobs are new optional keys.
import { IntentError } from './errors.js';
import { type RuleMode, type RuleName, RULES } from './rules.js';

export interface FreezeWindow {
  /** ISO 8601 instants; the window is [start, end). */
  start: string;
  end: string;
  reason?: string;
}

export interface Policy {
  /** Per-rule mode: enforce (refuse), warn (allow with a warning), off. Istio's own rules ignore this. */
  rules: Partial<Record<RuleName, RuleMode>>;
  /** Namespaces where gray changes (VirtualService/DestinationRule edits) are refused. */
  forbiddenNamespaces: string[];
  /** The most traffic, in percentage points, one change may move to or from a destination. */
  maxWeightStep?: number;
  /**
   * The least time, in seconds, between two weight changes of the same VirtualService, by the time the webhook
   * stamps on each (core/trusted-time.ts), never a time the client wrote.
   */
  minSecondsBetweenWeightChanges?: number;
  /** Refuse a change that takes a destination from 0 % to 100 % of a route at once (a release must step). */
  forbidZeroToHundred?: boolean;
  freezeWindows: FreezeWindow[];
}

export const DEFAULT_POLICY: Policy = { rules: {}, forbiddenNamespaces: [], freezeWindows: [] };

const MODES: RuleMode[] = ['enforce', 'warn', 'off'];
const KEYS = ['rules', 'forbiddenNamespaces', 'maxWeightStep', 'minSecondsBetweenWeightChanges', 'forbidZeroToHundred', 'freezeWindows'];

/** Checks a policy read from YAML/JSON; every problem is reported at once, with its path. */
export function parsePolicy(raw: unknown): Policy {
  if (raw === undefined || raw === null) return structuredClone(DEFAULT_POLICY);
  const problems: string[] = [];
  const o = raw as Record<string, unknown>;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new IntentError('policy: expected a mapping');
  for (const key of Object.keys(o)) if (!KEYS.includes(key)) problems.push(`[${key}] unknown key (known: ${KEYS.join(', ')})`);
  const rules: Policy['rules'] = {};
  for (const [name, mode] of Object.entries((o['rules'] as Record<string, unknown>) ?? {})) {
    if (!(name in RULES)) problems.push(`[rules.${name}] unknown rule (known: ${Object.keys(RULES).join(', ')})`);
    else if (!MODES.includes(mode as RuleMode)) problems.push(`[rules.${name}] "${String(mode)}" is not one of ${MODES.join(', ')}`);
    else if (!RULES[name as RuleName].relaxable && mode !== 'enforce') problems.push(`[rules.${name}] Istio itself refuses this; it cannot be relaxed`);
    else rules[name as RuleName] = mode as RuleMode;
  }
  const forbidden = o['forbiddenNamespaces'] ?? [];
  if (!Array.isArray(forbidden) || forbidden.some((n) => typeof n !== 'string')) problems.push('[forbiddenNamespaces] expected a list of namespace names');
  const step = o['maxWeightStep'] ?? undefined; // null (YAML ~, Helm's default) means no limit
  if (step !== undefined && (typeof step !== 'number' || step < 1 || step > 100)) problems.push(`[maxWeightStep] "${String(step)}" must be a number from 1 to 100`);
  const interval = o['minSecondsBetweenWeightChanges'] ?? undefined; // null: none
  if (interval !== undefined && (typeof interval !== 'number' || !Number.isInteger(interval) || interval < 1)) problems.push(`[minSecondsBetweenWeightChanges] "${String(interval)}" must be a whole number of seconds, at least 1`);
  const zeroToHundred = o['forbidZeroToHundred'] ?? false;
  if (typeof zeroToHundred !== 'boolean') problems.push(`[forbidZeroToHundred] "${String(zeroToHundred)}" must be true or false`);
  const windows = (o['freezeWindows'] ?? []) as FreezeWindow[];
  if (!Array.isArray(windows)) problems.push('[freezeWindows] expected a list of {start, end, reason}');
  else windows.forEach((w, i) => {
    if (Number.isNaN(Date.parse(w?.start)) || Number.isNaN(Date.parse(w?.end))) problems.push(`[freezeWindows[${i}]] start and end must be ISO 8601 times`);
    else if (Date.parse(w.end) <= Date.parse(w.start)) problems.push(`[freezeWindows[${i}]] end must come after start`);
  });
  if (problems.length > 0) throw new IntentError(`policy has ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  return {
    rules, forbiddenNamespaces: forbidden as string[], maxWeightStep: step as number | undefined, freezeWindows: Array.isArray(windows) ? windows : [],
    ...(interval !== undefined ? { minSecondsBetweenWeightChanges: interval as number } : {}), ...(zeroToHundred === true ? { forbidZeroToHundred: true } : {}),
  };
}
