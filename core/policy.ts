// Admin policy: what cluster admins add on top of the rules. It comes as objects (a cluster-scoped
// ClusterGrayPolicy with a namespaceSelector, a namespaced GrayPolicy) and, until those are known, as the chart's
// default file. Every policy that applies to a namespace counts and the strictest setting wins, so a namespaced
// policy can only tighten. Plain data and pure functions: the webhook, the plugin and analyze merge the same way.
import { IntentError } from './errors.js';
import { type FreezeWindow, windowProblems } from './freeze-windows.js';
import { type Finding, type RuleMode, type RuleName, RULES } from './rules.js';

export type { FreezeWindow } from './freeze-windows.js';

export const POLICY_GROUP = 'policy.kubectl-gray.io';
export const POLICY_VERSION = 'v1alpha1';
export const POLICY_API_VERSION = `${POLICY_GROUP}/${POLICY_VERSION}`;

/** Who an exemption is for, as RBAC names subjects. */
export interface Subject {
  kind: 'User' | 'Group' | 'ServiceAccount';
  name: string;
  /** ServiceAccount only. */
  namespace?: string;
}

/** Subjects who may pass some rules until a time, for a reason; only in cluster-scoped policy. */
export interface Exemption {
  subjects: Subject[];
  rules: RuleName[];
  /** ISO 8601; the exemption ends then. */
  expires: string;
  reason: string;
  policy?: string;
}

/** One policy's settings, or the merge of every policy that applies to a namespace. */
export interface Policy {
  /** Per-rule mode: enforce (refuse), warn (allow, warn the user), audit (allow, record only), off. Istio's own rules ignore this. */
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
  exemptions?: Exemption[];
  /** Once merged: which policy each setting comes from ("ClusterGrayPolicy prod"), by setting name or "rules.<rule>". */
  sources?: Record<string, string>;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

export interface PolicyObject {
  apiVersion?: string;
  kind: 'ClusterGrayPolicy' | 'GrayPolicy';
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec: Policy & { namespaceSelector?: LabelSelector };
}

export const DEFAULT_POLICY: Policy = { rules: {}, forbiddenNamespaces: [], freezeWindows: [] };

/** From the least strict to the most: the merge keeps the later one. */
const MODES: RuleMode[] = ['off', 'audit', 'warn', 'enforce'];
const LIMITS = ['maxWeightStep', 'minSecondsBetweenWeightChanges', 'forbidZeroToHundred', 'freezeWindows'];
const KEYS = {
  file: ['rules', 'forbiddenNamespaces', ...LIMITS, 'exemptions'],
  cluster: ['namespaceSelector', 'rules', 'forbiddenNamespaces', ...LIMITS, 'exemptions'],
  namespaced: ['rules', ...LIMITS],
};
type Scope = keyof typeof KEYS;

/** Checks a policy read from YAML/JSON (the chart's file, or an object's spec); every problem at once, with its path. */
export function parsePolicy(raw: unknown, scope: Scope = 'file'): Policy {
  if (raw === undefined || raw === null) return structuredClone(DEFAULT_POLICY);
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new IntentError('policy: expected a mapping');
  const problems: string[] = [];
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (KEYS[scope].includes(key)) continue;
    const hint = scope === 'namespaced' && KEYS.cluster.includes(key) ? ' (only a ClusterGrayPolicy sets it: a namespace may tighten its limits, never choose who passes them)' : '';
    problems.push(`[${key}] unknown key${hint} (known: ${KEYS[scope].join(', ')})`);
  }
  const rules: Policy['rules'] = {};
  const modes = o['rules'] ?? {};
  if (typeof modes !== 'object' || Array.isArray(modes)) problems.push('[rules] expected a mapping of rule name to mode');
  else for (const [name, mode] of Object.entries(modes as Record<string, unknown>)) {
    const rule = ruleNamed(name);
    if (!rule) problems.push(`[rules.${name}] unknown rule (known: ${Object.keys(RULES).join(', ')})`);
    else if (!MODES.includes(mode as RuleMode)) problems.push(`[rules.${name}] "${String(mode)}" is not one of enforce, warn, audit, off`);
    else if (!RULES[rule].relaxable && mode !== 'enforce') problems.push(`[rules.${name}] Istio itself refuses this; it cannot be relaxed`);
    else rules[rule] = mode as RuleMode;
  }
  const forbidden = o['forbiddenNamespaces'] ?? [];
  if (!Array.isArray(forbidden) || forbidden.some((n) => typeof n !== 'string')) problems.push('[forbiddenNamespaces] expected a list of namespace names');
  const step = o['maxWeightStep'] ?? undefined; // null (YAML ~, Helm's default) means no limit
  if (step !== undefined && (typeof step !== 'number' || step < 1 || step > 100)) problems.push(`[maxWeightStep] "${String(step)}" must be a number from 1 to 100`);
  const interval = o['minSecondsBetweenWeightChanges'] ?? undefined; // null: none
  if (interval !== undefined && (typeof interval !== 'number' || !Number.isInteger(interval) || interval < 1)) problems.push(`[minSecondsBetweenWeightChanges] "${String(interval)}" must be a whole number of seconds, at least 1`);
  const zeroToHundred = o['forbidZeroToHundred'] ?? false;
  if (typeof zeroToHundred !== 'boolean') problems.push(`[forbidZeroToHundred] "${String(zeroToHundred)}" must be true or false`);
  const windows = o['freezeWindows'] ?? [];
  if (!Array.isArray(windows)) problems.push('[freezeWindows] expected a list of {start, end, reason} or {schedule, duration, timeZone, reason}');
  else windows.forEach((w, i) => problems.push(...windowProblems(w).map((p) => `[freezeWindows[${i}]] ${p}`)));
  const exemptions = o['exemptions'] ?? [];
  if (!Array.isArray(exemptions)) problems.push('[exemptions] expected a list of {subjects, rules, expires, reason}');
  else exemptions.forEach((e, i) => problems.push(...exemptionProblems(e).map((p) => `[exemptions[${i}]] ${p}`)));
  if (problems.length > 0) throw new IntentError(`policy has ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  return {
    rules, forbiddenNamespaces: forbidden as string[], freezeWindows: windows as FreezeWindow[],
    ...(step !== undefined ? { maxWeightStep: step as number } : {}),
    ...(interval !== undefined ? { minSecondsBetweenWeightChanges: interval as number } : {}),
    ...(zeroToHundred === true ? { forbidZeroToHundred: true } : {}),
    ...((exemptions as Exemption[]).length > 0 ? { exemptions: (exemptions as Exemption[]).map((e) => ({ ...e, rules: e.rules.map((r) => ruleNamed(r)!) })) } : {}),
  };
}

/** A rule by its name or its code (GRAY202). */
function ruleNamed(name: string): RuleName | undefined {
  if (name in RULES) return name as RuleName;
  return (Object.keys(RULES) as RuleName[]).find((r) => RULES[r].code === name);
}

function exemptionProblems(e: unknown): string[] {
  if (!e || typeof e !== 'object' || Array.isArray(e)) return ['expected {subjects, rules, expires, reason}'];
  const o = e as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(o)) if (!['subjects', 'rules', 'expires', 'reason'].includes(key)) problems.push(`${key}: unknown key (known: subjects, rules, expires, reason)`);
  const subjects = o['subjects'];
  if (!Array.isArray(subjects) || subjects.length === 0) problems.push('subjects: list at least one {kind: User|Group|ServiceAccount, name}');
  else subjects.forEach((s: Record<string, unknown>, i) => {
    if (!s || !['User', 'Group', 'ServiceAccount'].includes(s['kind'] as string) || typeof s['name'] !== 'string' || s['name'] === '') problems.push(`subjects[${i}]: needs kind (User, Group or ServiceAccount) and name`);
    else if (s['kind'] === 'ServiceAccount' && typeof s['namespace'] !== 'string') problems.push(`subjects[${i}]: a ServiceAccount needs its namespace`);
  });
  const rules = o['rules'];
  if (!Array.isArray(rules) || rules.length === 0) problems.push('rules: list the rules it relaxes (names or codes)');
  else for (const r of rules) {
    const rule = typeof r === 'string' ? ruleNamed(r) : undefined;
    if (!rule) problems.push(`rules: unknown rule "${String(r)}"`);
    else if (!RULES[rule].relaxable) problems.push(`rules: ${r}: Istio itself refuses this; no one can be exempted from it`);
  }
  if (typeof o['expires'] !== 'string' || Number.isNaN(Date.parse(o['expires']))) problems.push('expires: an ISO 8601 time is required (exemptions end)');
  if (typeof o['reason'] !== 'string' || o['reason'].trim() === '') problems.push('reason: required (it goes into every record of the exemption\'s use)');
  return problems;
}

/** A ClusterGrayPolicy or GrayPolicy as read from the cluster or a file: its spec checked for its scope. */
export function parsePolicyObject(raw: unknown): PolicyObject {
  const o = raw as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown }; spec?: Record<string, unknown> };
  if (o?.kind !== 'ClusterGrayPolicy' && o?.kind !== 'GrayPolicy') throw new IntentError(`expected a ClusterGrayPolicy or GrayPolicy, got ${String(o?.kind ?? 'no kind')}`);
  const name = typeof o.metadata?.name === 'string' ? o.metadata.name : '';
  const scope = o.kind === 'ClusterGrayPolicy' ? 'cluster' : 'namespaced';
  try {
    const spec: PolicyObject['spec'] = parsePolicy(o.spec ?? {}, scope);
    const selector = o.spec?.['namespaceSelector'];
    if (selector !== undefined) spec.namespaceSelector = selector as LabelSelector;
    const metadata: PolicyObject['metadata'] = { name, ...(typeof o.metadata?.namespace === 'string' && scope === 'namespaced' ? { namespace: o.metadata.namespace } : {}) };
    return { apiVersion: POLICY_API_VERSION, kind: o.kind, metadata, spec };
  } catch (err) {
    throw err instanceof IntentError ? new IntentError(`${o.kind} ${name}: ${err.message}`) : err;
  }
}

/** The policy objects of a file's YAML documents (empty documents skipped). */
export function parsePolicyDocuments(docs: readonly unknown[]): PolicyObject[] {
  return docs.filter((d) => d != null).map(parsePolicyObject);
}

/** "ClusterGrayPolicy prod", "GrayPolicy shop/tight". */
export function policyName(p: PolicyObject): string {
  if (p.metadata.name === FILE_POLICY) return 'the policy file';
  return p.kind === 'GrayPolicy' ? `GrayPolicy ${p.metadata.namespace ?? ''}/${p.metadata.name}` : `ClusterGrayPolicy ${p.metadata.name}`;
}

export function selectorMatches(selector: LabelSelector | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const ok = e.operator === 'In' ? has && (e.values ?? []).includes(labels[e.key]!)
      : e.operator === 'NotIn' ? !has || !(e.values ?? []).includes(labels[e.key]!)
        : e.operator === 'Exists' ? has : !has;
    if (!ok) return false;
  }
  return true;
}

/** The policies that apply to a namespace: the cluster-scoped ones whose selector matches its labels, and its own. */
export function policiesFor(objects: readonly PolicyObject[], namespace: string, labels: Readonly<Record<string, string>>): PolicyObject[] {
  return objects.filter((p) => (p.kind === 'ClusterGrayPolicy' ? selectorMatches(p.spec.namespaceSelector, labels) : p.metadata.namespace === namespace));
}

/**
 * Every policy that applies, merged: the strictest mode per rule (a namespaced policy's mode counts only where it is
 * stricter than the cluster's, unset counting as enforce), the smallest step, the longest soak, every freeze window,
 * every forbidden namespace, and exemptions from cluster-scoped policies alone.
 */
export function mergePolicies(applicable: readonly PolicyObject[]): Policy {
  const merged: Policy = { rules: {}, forbiddenNamespaces: [], freezeWindows: [], sources: {} };
  const sources = merged.sources!;
  const ordered = [...applicable].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'ClusterGrayPolicy' ? -1 : 1));
  for (const p of ordered) {
    const name = policyName(p);
    const s = p.spec;
    for (const [rule, mode] of Object.entries(s.rules) as Array<[RuleName, RuleMode]>) {
      const current = merged.rules[rule] ?? (p.kind === 'GrayPolicy' ? 'enforce' : undefined);
      if (current === undefined || MODES.indexOf(mode) > MODES.indexOf(current)) {
        merged.rules[rule] = mode;
        sources[`rules.${rule}`] = name;
      }
    }
    if (p.kind === 'ClusterGrayPolicy') {
      for (const ns of s.forbiddenNamespaces) if (!merged.forbiddenNamespaces.includes(ns)) merged.forbiddenNamespaces.push(ns);
      if (s.forbiddenNamespaces.length > 0) sources['forbiddenNamespaces'] ??= name;
      if (s.exemptions?.length) (merged.exemptions ??= []).push(...s.exemptions.map((e) => ({ ...e, policy: name })));
    }
    if (s.maxWeightStep !== undefined && (merged.maxWeightStep === undefined || s.maxWeightStep < merged.maxWeightStep)) {
      merged.maxWeightStep = s.maxWeightStep;
      sources['maxWeightStep'] = name;
    }
    const soak = s.minSecondsBetweenWeightChanges;
    if (soak !== undefined && (merged.minSecondsBetweenWeightChanges === undefined || soak > merged.minSecondsBetweenWeightChanges)) {
      merged.minSecondsBetweenWeightChanges = soak;
      sources['minSecondsBetweenWeightChanges'] = name;
    }
    if (s.forbidZeroToHundred && !merged.forbidZeroToHundred) {
      merged.forbidZeroToHundred = true;
      sources['forbidZeroToHundred'] = name;
    }
    merged.freezeWindows.push(...s.freezeWindows.map((w) => ({ ...w, policy: name })));
  }
  return merged;
}

const FILE_POLICY = '\0file';

/** A policy file (the chart's default, analyze --policy) as a cluster-wide policy object. */
export function fileAsPolicy(policy: Policy): PolicyObject {
  return { kind: 'ClusterGrayPolicy', metadata: { name: FILE_POLICY }, spec: policy };
}

/** Who makes a change, as the API server authenticated them. */
export interface Requester {
  username: string;
  groups: readonly string[];
}

function subjectIs(s: Subject, who: Requester): boolean {
  if (s.kind === 'User') return who.username === s.name;
  if (s.kind === 'Group') return who.groups.includes(s.name);
  return who.username === `system:serviceaccount:${s.namespace}:${s.name}`;
}

/** The exemption that lets this requester pass this rule now, if one does. */
export function exemptionFor(policy: Policy, rule: RuleName, who: Requester | undefined, now: Date): Exemption | undefined {
  if (!who || !policy.exemptions || !RULES[rule].relaxable) return undefined;
  return policy.exemptions.find((e) => e.rules.includes(rule) && Date.parse(e.expires) > now.getTime() && e.subjects.some((s) => subjectIs(s, who)));
}

/**
 * Admin policy over findings: per-rule modes (warn demotes an error to a warning, audit and an exemption let it pass
 * but keep it for the record, off drops it) and exemptions for the requester. Istio's own rules always stand.
 */
export function applyPolicy(findings: Finding[], policy: Pick<Policy, 'rules' | 'exemptions' | 'sources'>, who?: Requester, now?: Date): Finding[] {
  if (findings.length === 0) return findings;
  const out: Finding[] = [];
  for (const f of findings) {
    const mode = RULES[f.rule].relaxable ? policy.rules[f.rule] ?? 'enforce' : 'enforce';
    if (mode === 'off') continue;
    const exemption = now ? exemptionFor(policy as Policy, f.rule, who, now) : undefined;
    if (exemption) out.push({ ...f, relaxed: { by: 'exemption', policy: exemption.policy ?? 'none', reason: `${exemption.reason}; until ${exemption.expires}` } });
    else if (mode === 'audit') out.push({ ...f, relaxed: { by: 'audit', policy: policy.sources?.[`rules.${f.rule}`] ?? 'none' } });
    else if (mode === 'warn') out.push({ ...f, severity: 'warning', ...(policy.sources?.[`rules.${f.rule}`] ? { policy: policy.sources[`rules.${f.rule}`] } : {}) });
    else out.push(f);
  }
  return out;
}
