// The rule catalogue shared by the plugin, the webhook and `analyze`. A code never changes meaning;
// new rules get new codes. "policy" rules are kubectl-gray's own stance, stricter than Istio, and
// can be set to warn or off; the others mirror what Istio itself refuses and are always enforced.

export type Severity = 'error' | 'warning';
export type RuleMode = 'enforce' | 'warn' | 'audit' | 'off';

export interface RuleInfo {
  code: string;
  severity: Severity;
  /** False for rules Istio (or the API server) enforces too: no policy can relax them. */
  relaxable: boolean;
  /**
   * Who refuses it besides us: `istio` (istiod's validation), `kubernetes` (the API server, from the CRD schema,
   * with kubectl's strict field validation), `kubectl-gray` (ours alone, stricter than both).
   */
  source?: 'istio' | 'kubernetes' | 'kubectl-gray';
  summary: string;
  /** The `istioctl analyze` message that reports the same thing, where one does (IST0101, ...). */
  istio?: string;
}

export const RULES = {
  'weight-total': { code: 'GRAY101', severity: 'error', relaxable: true, source: 'kubectl-gray',
    summary: 'route weights must total exactly 100 (kubectl-gray policy; Istio >= 1.15 treats them as relative shares)' },
  'weight-negative': { code: 'GRAY102', severity: 'error', relaxable: false, source: 'istio', summary: 'a route weight is negative' },
  'weight-all-zero': { code: 'GRAY103', severity: 'error', relaxable: false, source: 'istio',
    summary: 'every destination of a multi-destination route has weight 0' },
  'subset-undefined': { code: 'GRAY104', severity: 'error', relaxable: true, source: 'kubectl-gray',
    summary: 'a route or mirror names a subset no DestinationRule for its host defines (istioctl IST0101)' },
  'regex-invalid': { code: 'GRAY105', severity: 'error', relaxable: false, source: 'istio',
    summary: 'a regex match is empty, too long or not valid RE2 (the dialect Envoy uses)' },
  'mirror-percentage': { code: 'GRAY106', severity: 'error', relaxable: false, source: 'istio',
    summary: 'mirrorPercentage.value is outside [0, 100]' },
  'subset-name': { code: 'GRAY107', severity: 'error', relaxable: false, source: 'istio',
    summary: 'a subset name is not a DNS-1123 label' },
  'route-unreachable': { code: 'GRAY108', severity: 'warning', relaxable: true, source: 'kubectl-gray', istio: 'IST0130',
    summary: 'a route comes after a catch-all route and can never match' },
  'subset-duplicate': { code: 'GRAY109', severity: 'error', relaxable: false, source: 'istio',
    summary: 'a DestinationRule defines the same subset name twice' },
  'subset-in-use': { code: 'GRAY110', severity: 'error', relaxable: true, source: 'kubectl-gray',
    summary: 'a subset that a VirtualService still routes to is being removed' },
  'destinationrule-in-use': { code: 'GRAY111', severity: 'error', relaxable: true, source: 'kubectl-gray',
    summary: 'a DestinationRule whose subsets a VirtualService still routes to is being deleted' },
  'mirror-conflict': { code: 'GRAY112', severity: 'error', relaxable: false, source: 'istio',
    summary: 'a route sets both mirror and mirrors' },
  'header-name': { code: 'GRAY113', severity: 'error', relaxable: false, source: 'istio',
    summary: 'a header match names a header that is not a valid HTTP token' },
  'namespace-forbidden': { code: 'GRAY201', severity: 'error', relaxable: true, source: 'kubectl-gray',
    summary: 'gray changes are forbidden in this namespace by admin policy' },
  'weight-step': { code: 'GRAY202', severity: 'error', relaxable: true, source: 'kubectl-gray',
    summary: 'one change moves more traffic than admin policy allows' },
  'release-freeze': { code: 'GRAY203', severity: 'error', relaxable: true, source: 'kubectl-gray',
    summary: 'releases are frozen by admin policy at this time' },
  'weight-change-too-soon': { code: 'GRAY204', severity: 'error', relaxable: true, source: 'kubectl-gray',
    summary: 'a weight change comes sooner after the last one than admin policy allows (by the time the webhook stamped)' },
  'weight-zero-to-hundred': { code: 'GRAY205', severity: 'error', relaxable: true, source: 'kubectl-gray',
    summary: 'one change takes a destination from 0 % to 100 % of a route, which admin policy forbids' },
  'weights-stamp': { code: 'GRAY206', severity: 'error', relaxable: false, source: 'kubectl-gray',
    summary: 'the time of the last weight change (kubectl-gray.io/weights-changed-at) is the webhook\'s to write' },
  // The CRD schema (what the API server checks), found by analyze; the first two are hints for known mistakes.
  'destination-misplaced': { code: 'GRAY301', severity: 'error', relaxable: false, source: 'kubernetes',
    summary: 'host/subset/port written beside destination: instead of under it' },
  'match-level': { code: 'GRAY302', severity: 'error', relaxable: false, source: 'kubernetes',
    summary: 'exact/prefix/regex written at the wrong level of a match' },
  'schema-unknown-field': { code: 'GRAY303', severity: 'error', relaxable: false, source: 'kubernetes',
    summary: 'a field the CRD schema does not define (pruned by the API server, refused by kubectl\'s strict field validation)' },
  'schema-type': { code: 'GRAY304', severity: 'error', relaxable: false, source: 'kubernetes',
    summary: 'a field has the wrong type' },
  'schema-enum': { code: 'GRAY305', severity: 'error', relaxable: false, source: 'kubernetes',
    summary: 'a field is not one of its allowed values' },
  'schema-required': { code: 'GRAY306', severity: 'error', relaxable: false, source: 'kubernetes',
    summary: 'a required field is missing' },
  'schema-value': { code: 'GRAY307', severity: 'error', relaxable: false, source: 'kubernetes',
    summary: 'a value breaks a CRD limit (range, length, pattern, one-of, or a CEL rule)' },
  'schema-version': { code: 'GRAY308', severity: 'error', relaxable: false, source: 'kubernetes',
    summary: 'an Istio kind/apiVersion the pinned CRDs do not serve' },
  'weight-lone-destination': { code: 'GRAY309', severity: 'warning', relaxable: true, source: 'kubectl-gray',
    summary: 'a weight other than 100 on a route\'s only destination (it gets all traffic anyway)' },
  // Istio's own checks beyond the schema (istiod's validation), as kubectl-gray phrases them.
  'destination-required': { code: 'GRAY401', severity: 'error', relaxable: false, source: 'istio',
    summary: 'a route entry has no destination (often: its fields are indented beside destination:)' },
  'host-invalid': { code: 'GRAY402', severity: 'error', relaxable: false, source: 'istio',
    summary: 'a host is not a valid (wildcard) DNS name, is * where that is not allowed, or is duplicated' },
  'duration-invalid': { code: 'GRAY403', severity: 'error', relaxable: false, source: 'istio',
    summary: 'a duration is under 1ms, not at millisecond precision, or unreadable' },
  'retries-invalid': { code: 'GRAY404', severity: 'error', relaxable: false, source: 'istio',
    summary: 'a retry policy Istio refuses (negative or zero attempts with settings, unknown retryOn)' },
  'fault-invalid': { code: 'GRAY405', severity: 'error', relaxable: false, source: 'istio',
    summary: 'a fault injection Istio refuses (no abort or delay, bad percentage or status)' },
  'route-action': { code: 'GRAY406', severity: 'error', relaxable: false, source: 'istio',
    summary: 'route, redirect and directResponse (and rewrite, fault) combined in a way Istio refuses, or none given' },
  'delegate-invalid': { code: 'GRAY407', severity: 'error', relaxable: false, source: 'istio',
    summary: 'a delegate VirtualService (no hosts) with gateways, tcp or tls, or a delegate inside a delegate' },
  'port-invalid': { code: 'GRAY408', severity: 'error', relaxable: false, source: 'istio',
    summary: 'a port number outside 1..65535' },
  'redirect-rewrite-invalid': { code: 'GRAY409', severity: 'error', relaxable: false, source: 'istio',
    summary: 'a redirect, rewrite or direct response Istio refuses' },
  'header-operation-invalid': { code: 'GRAY410', severity: 'error', relaxable: false, source: 'istio',
    summary: 'a header add/set/remove Istio refuses (empty or pseudo name, Host, bad value)' },
  'gateway-invalid': { code: 'GRAY411', severity: 'error', relaxable: false, source: 'istio',
    summary: 'a Gateway server, port, host or TLS setting Istio refuses' },
  'traffic-policy-invalid': { code: 'GRAY412', severity: 'error', relaxable: false, source: 'istio',
    summary: 'a DestinationRule traffic policy Istio refuses' },
  'envoyfilter-invalid': { code: 'GRAY413', severity: 'error', relaxable: false, source: 'istio',
    summary: 'an EnvoyFilter patch Istio refuses (missing applyTo, patch, operation or value; mismatched match)' },
  'export-to-invalid': { code: 'GRAY414', severity: 'error', relaxable: false, source: 'istio',
    summary: 'exportTo has duplicates or mixes * with namespaces' },
  'label-invalid': { code: 'GRAY415', severity: 'error', relaxable: false, source: 'istio',
    summary: 'a label key or value that is not a valid Kubernetes label' },
  'match-invalid': { code: 'GRAY416', severity: 'error', relaxable: false, source: 'istio',
    summary: 'a match Istio refuses (empty prefix, bad gateway or namespace name, JWT claims outside a gateway)' },
  'cors-invalid': { code: 'GRAY417', severity: 'error', relaxable: false, source: 'istio',
    summary: 'a CORS policy Istio refuses' },
  'istio-warning': { code: 'GRAY418', severity: 'warning', relaxable: true, source: 'istio',
    summary: 'something Istio accepts with a warning (deprecated or ignored settings)' },
  // How objects fit together, as istioctl analyze checks it (core/analyzers/). Errors in analyze where Istio's
  // analyzer says Error; the webhook and the edit commands only warn (the missing object may come next).
  'virtualservice-shadowed': { code: 'GRAY501', severity: 'error', relaxable: true, source: 'istio', istio: 'IST0109',
    summary: 'two mesh VirtualServices define the same host: Istio uses one and ignores the other' },
  'destination-host-unknown': { code: 'GRAY502', severity: 'error', relaxable: true, source: 'istio', istio: 'IST0101',
    summary: 'a destination host that no Service or ServiceEntry defines, or one not exported to the VirtualService\'s namespace' },
  'destination-port-unknown': { code: 'GRAY503', severity: 'error', relaxable: true, source: 'istio', istio: 'IST0101',
    summary: 'a destination port the Service does not have' },
  // A warning, where istioctl says Error: Istio routes a destination without a port on every port of the service,
  // which is what most routes to a Service with an http and a metrics port mean.
  'destination-port-required': { code: 'GRAY504', severity: 'warning', relaxable: true, source: 'istio', istio: 'IST0112',
    summary: 'a destination without a port on a Service with several ports' },
  'gateway-unknown': { code: 'GRAY505', severity: 'error', relaxable: true, source: 'istio', istio: 'IST0101',
    summary: 'a VirtualService bound to a Gateway that does not exist' },
  'gateway-host-unserved': { code: 'GRAY506', severity: 'warning', relaxable: true, source: 'istio', istio: 'IST0132',
    summary: 'a VirtualService host that none of its Gateway\'s servers serve' },
  'match-unreachable': { code: 'GRAY507', severity: 'warning', relaxable: true, source: 'istio', istio: 'IST0130',
    summary: 'a route that can never match: an earlier route matches everything it does' },
  'match-ineffective': { code: 'GRAY508', severity: 'warning', relaxable: true, source: 'istio', istio: 'IST0131',
    summary: 'a match that an earlier route\'s match already covers' },
  'ingress-bypasses-subsets': { code: 'GRAY509', severity: 'warning', relaxable: true, source: 'istio', istio: 'IST0140',
    summary: 'a gateway VirtualService sends a host straight to the service while a mesh VirtualService splits it by subset: outside traffic bypasses the split' },
  'subset-no-pods': { code: 'GRAY510', severity: 'warning', relaxable: true, source: 'istio', istio: 'IST0173',
    summary: 'a DestinationRule subset whose labels select no pod of its service' },
  'jwt-claim-without-authn': { code: 'GRAY511', severity: 'error', relaxable: true, source: 'istio', istio: 'IST0149',
    summary: 'routing on JWT claims with no RequestAuthentication for the gateway\'s pods' },
  // The Gateway API's mesh routes (HTTPRoute, GRPCRoute with a Service parent): what the CRD's schema lets through
  // and istiod accepts, yet breaks or silently drops traffic (core/gateway-api/rules.ts).
  'route-backend-unknown': { code: 'GRAY601', severity: 'error', relaxable: true, source: 'kubectl-gray',
    summary: 'a backendRef names a Service, or a port of it, that does not exist (Istio keeps the route and answers 500 for that share)' },
  'route-weights-zero': { code: 'GRAY602', severity: 'error', relaxable: true, source: 'kubectl-gray',
    summary: 'every backend of a route rule has weight 0 (Istio answers 500 to all of its calls)' },
  'route-model-conflict': { code: 'GRAY603', severity: 'error', relaxable: true, source: 'kubectl-gray',
    summary: 'a mesh VirtualService and an HTTPRoute or GRPCRoute route the same Service: Istio uses one and silently ignores the other' },
  'route-proxyless-rejected': { code: 'GRAY604', severity: 'error', relaxable: true, source: 'kubectl-gray',
    summary: 'a match proxyless gRPC clients cannot take (a PathPrefix other than /, a GRPCRoute method match on the service alone): on a Service that speaks gRPC they reject every route of it' },
  'route-parent-group': { code: 'GRAY605', severity: 'warning', relaxable: true, source: 'kubectl-gray',
    summary: 'a Service parent without group: "" (stored as gateway.networking.k8s.io, which istiod ignores: traffic goes to every version)' },
  'route-parent-unknown': { code: 'GRAY606', severity: 'warning', relaxable: true, source: 'kubectl-gray',
    summary: 'a parent Service that does not exist (the route does nothing)' },
  'route-weights-mixed': { code: 'GRAY607', severity: 'warning', relaxable: true, source: 'kubectl-gray',
    summary: 'explicit and omitted weights in one route rule (an omitted weight is 1, not the rest)' },
  'version-service-in-use': { code: 'GRAY608', severity: 'error', relaxable: true, source: 'kubectl-gray',
    summary: 'a Service that an HTTPRoute or GRPCRoute still sends to is being deleted' },
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
  /** The admin policy that asked for it ("ClusterGrayPolicy prod"), for the policy rules. */
  policy?: string;
  /**
   * Set when admin policy lets it pass (the rule's audit mode, or an exemption): kept only to be recorded (the audit
   * log, an Event, a metric), never shown or counted as a problem.
   */
  relaxed?: { by: 'audit' | 'exemption'; policy: string; reason?: string };
}

export function finding(rule: RuleName, object: string, field: string, problem: string, fix: string): Finding {
  const info = RULES[rule];
  return { rule, code: info.code, severity: info.severity, object, field, problem, fix };
}

/** One line, the same in the plugin, the webhook's denial and analyze's report. */
export function formatFinding(f: Finding): string {
  const istio = (RULES[f.rule] as RuleInfo).istio;
  return `${f.code} ${f.rule}${istio ? ` (${istio})` : ''}: ${f.object} ${f.field}: ${f.problem}. Fix: ${f.fix}`;
}

export function errorsOf(findings: Finding[]): Finding[] {
  return findings.filter((f) => f.severity === 'error' && !f.relaxed);
}

export function warningsOf(findings: Finding[]): Finding[] {
  return findings.filter((f) => f.severity === 'warning' && !f.relaxed);
}

/** What admin policy made of a finding it let pass. */
export function relaxedOutcome(f: Finding): 'audited' | 'exempted' | undefined {
  return f.relaxed && (f.relaxed.by === 'audit' ? 'audited' : 'exempted');
}

/** The warning for a finding an exemption let pass: the same from the plugin and the webhook. */
export function exemptionNote(f: Finding): string {
  return `${f.code} ${f.rule}: passed by an exemption of ${f.relaxed?.policy} (${f.relaxed?.reason}): ${f.problem}`;
}

/** What stands: the findings admin policy did not let pass. */
export function standing<T extends Finding>(findings: readonly T[]): T[] {
  return findings.filter((f) => !f.relaxed);
}
