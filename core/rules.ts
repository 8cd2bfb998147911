// The rule catalogue shared by the plugin, the webhook and `analyze`. A code never changes meaning;
// new rules get new codes. "policy" rules are kubectl-gray's own stance, stricter than Istio, and
// can be set to warn or off; the others mirror what Istio itself refuses and are always enforced.

export type Severity = 'error' | 'warning';
export type RuleMode = 'enforce' | 'warn' | 'off';

export interface RuleInfo {
  code: string;
  severity: Severity;
  /** False for rules Istio enforces too: no policy can relax them. */
  relaxable: boolean;
  summary: string;
}

export const RULES = {
  'weight-total': { code: 'GRAY101', severity: 'error', relaxable: true,
    summary: 'route weights must total exactly 100 (kubectl-gray policy; Istio >= 1.15 treats them as relative shares)' },
  'weight-negative': { code: 'GRAY102', severity: 'error', relaxable: false, summary: 'a route weight is negative' },
  'weight-all-zero': { code: 'GRAY103', severity: 'error', relaxable: false,
    summary: 'every destination of a multi-destination route has weight 0' },
  'subset-undefined': { code: 'GRAY104', severity: 'error', relaxable: true,
    summary: 'a route or mirror names a subset no DestinationRule for its host defines (istioctl IST0101)' },
  'regex-invalid': { code: 'GRAY105', severity: 'error', relaxable: false,
    summary: 'a regex match is empty, too long or not valid RE2 (the dialect Envoy uses)' },
  'mirror-percentage': { code: 'GRAY106', severity: 'error', relaxable: false,
    summary: 'mirrorPercentage.value is outside [0, 100]' },
  'subset-name': { code: 'GRAY107', severity: 'error', relaxable: false,
    summary: 'a subset name is not a DNS-1123 label' },
  'route-unreachable': { code: 'GRAY108', severity: 'warning', relaxable: true,
    summary: 'a route comes after a catch-all route and can never match' },
  'subset-duplicate': { code: 'GRAY109', severity: 'error', relaxable: false,
    summary: 'a DestinationRule defines the same subset name twice' },
  'subset-in-use': { code: 'GRAY110', severity: 'error', relaxable: true,
    summary: 'a subset that a VirtualService still routes to is being removed' },
  'destinationrule-in-use': { code: 'GRAY111', severity: 'error', relaxable: true,
    summary: 'a DestinationRule whose subsets a VirtualService still routes to is being deleted' },
  'mirror-conflict': { code: 'GRAY112', severity: 'error', relaxable: false,
    summary: 'a route sets both mirror and mirrors' },
  'header-name': { code: 'GRAY113', severity: 'error', relaxable: false,
    summary: 'a header match names a header that is not a valid HTTP token' },
  'namespace-forbidden': { code: 'GRAY201', severity: 'error', relaxable: true,
    summary: 'gray changes are forbidden in this namespace by admin policy' },
  'weight-step': { code: 'GRAY202', severity: 'error', relaxable: true,
    summary: 'one change moves more traffic than admin policy allows' },
  'release-freeze': { code: 'GRAY203', severity: 'error', relaxable: true,
    summary: 'releases are frozen by admin policy at this time' },
} as const satisfies Record<string, RuleInfo>;

export type RuleName = keyof typeof RULES;

export interface Finding {
  rule: RuleName;
  code: string;
  severity: Severity;
  /** "VirtualService default/reviews" */
  object: string;
  /** "spec.http[0].route[1].weight" */
  field: string;
  problem: string;
  fix: string;
}

export function finding(rule: RuleName, object: string, field: string, problem: string, fix: string): Finding {
  const info = RULES[rule];
  return { rule, code: info.code, severity: info.severity, object, field, problem, fix };
}

/** One line, the same in the plugin, the webhook's denial and analyze's report. */
export function formatFinding(f: Finding): string {
  return `${f.code} ${f.rule}: ${f.object} ${f.field}: ${f.problem}. Fix: ${f.fix}`;
}

export function errorsOf(findings: Finding[]): Finding[] {
  return findings.filter((f) => f.severity === 'error');
}

export function warningsOf(findings: Finding[]): Finding[] {
  return findings.filter((f) => f.severity === 'warning');
}

/** Applies per-rule modes: warn demotes an error to a warning, off drops it. Istio's own rules stay. */
export function applyModes(findings: Finding[], modes: Partial<Record<RuleName, RuleMode>>): Finding[] {
  const out: Finding[] = [];
  for (const f of findings) {
    const mode = modes[f.rule];
    if (!mode || !RULES[f.rule].relaxable || mode === 'enforce') out.push(f);
    else if (mode === 'warn') out.push({ ...f, severity: 'warning' });
  }
  return out;
}
