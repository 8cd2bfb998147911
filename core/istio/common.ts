// Building blocks of Istio's own validation (istiod's, beyond the CRD schema), written from its documented
// behaviour in pkg/config/validation: DNS names, ports, labels, durations, exportTo, header operations.
// Each check returns problems as plain strings; the kind-specific files turn them into findings.
import { type KubeObject, describeObject } from '../model.js';
import { type Finding, type RuleName, finding } from '../rules.js';
import { durationProblem } from '../schema/duration.js';

/** The hint plugin, webhook and analyze all give for a route entry with no destination (issue 15). */
export const DESTINATION_REQUIRED = {
  problem: 'the route entry has no destination (Istio: "destination is required"); a common cause is host/subset indented beside destination: instead of under it',
  fix: 'indent host: (and subset:, port:) under destination:, e.g. "- destination: {host: reviews, subset: v1}" with weight: beside destination:',
};

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

export function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

/** Collects findings for one object. */
export class Report {
  readonly findings: Finding[] = [];
  constructor(readonly subject: KubeObject) {}
  add(rule: RuleName, field: string, problem: string, fix: string): void {
    // Most objects have nothing to report: the object is named only for a finding.
    this.findings.push(finding(rule, describeObject(this.subject), field, problem, fix));
  }
  duration(value: unknown, field: string): void {
    if (value === undefined || value === null) return;
    const p = durationProblem(value);
    if (p) this.add('duration-invalid', field, p, 'write a duration of at least 1ms in whole milliseconds, e.g. 250ms, 2s, 1m');
  }
  /** `field` may be a function, for callers that name the field only when there is a finding. */
  port(value: unknown, field: string | (() => string)): void {
    if (typeof value !== 'number') return;
    if (!(value >= 1 && value <= 65535)) {
      this.add('port-invalid', typeof field === 'string' ? field : field(), `port ${value} is outside 1..65535`, 'use a port from 1 to 65535');
    }
  }
}

const DNS1123_LABEL = /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const WILDCARD_LABEL = /^(\*|(\*|\*-)?[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)$/;

export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

function dnsLabelsProblem(domain: string): string | undefined {
  const parts = domain.split('.');
  const tld = parts[parts.length - 1]!;
  if (/^[-+]?\d+$/.test(tld)) return `domain name "${domain}" invalid (top level domain "${tld}" cannot be all-numeric)`;
  for (let i = 0; i < parts.length; i++) {
    if (i === parts.length - 1 && parts[i] === '') return undefined;
    if (!isDns1123Label(parts[i]!)) return `domain name "${domain}" invalid (label "${parts[i]}" invalid)`;
  }
  return undefined;
}

function preconditions(name: string): string | undefined {
  if (name.length > 255) return `domain name "${name.slice(0, 40)}…" too long (max 255)`;
  if (name.length === 0) return 'empty domain name not allowed';
  return undefined;
}

export function fqdnProblem(name: string): string | undefined {
  return preconditions(name) ?? dnsLabelsProblem(name);
}

/** A DNS name whose first label may be a wildcard ("*", "*.example.com", "*-foo.bar"). */
export const wildcardDomainProblem: (domain: string) => string | undefined = judgeWildcardDomain;

function judgeWildcardDomain(domain: string): string | undefined {
  const pre = preconditions(domain);
  if (pre) return pre;
  const dot = domain.indexOf('.');
  const first = dot < 0 ? domain : domain.slice(0, dot);
  if (!(first.length <= 63 && WILDCARD_LABEL.test(first))) return `domain name "${domain}" invalid (label "${first}" invalid)`;
  return dot < 0 ? undefined : dnsLabelsProblem(domain.slice(dot + 1));
}

export function isIpAddress(s: string): boolean {
  if (/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s)) return s.split('.').every((p) => Number(p) <= 255 && !(p.length > 1 && p.startsWith('0')));
  if (!s.includes(':') || !/^[0-9a-fA-F:.]+$/.test(s)) return false;
  const double = s.split('::').length - 1;
  if (double > 1) return false;
  const groups = s.split(':').filter((g) => g !== '');
  const last = groups[groups.length - 1] ?? '';
  const v4 = last.includes('.');
  if (v4 && !isIpAddress(last)) return false;
  const count = groups.length + (v4 ? 1 : 0);
  return groups.every((g) => g.includes('.') || /^[0-9a-fA-F]{1,4}$/.test(g)) && (double === 1 ? count < 8 : count === 8);
}

export function ipSubnetProblem(subnet: string): string | undefined {
  if ((subnet.match(/\//g) ?? []).length === 1) {
    const [ip, bits] = subnet.split('/') as [string, string];
    const max = ip.includes(':') ? 128 : 32;
    if (!isIpAddress(ip) || !/^\d+$/.test(bits) || Number(bits) > max) return `${subnet} is not a valid CIDR block`;
    return undefined;
  }
  return isIpAddress(subnet) ? undefined : `${subnet} is not a valid IP address`;
}

// Kubernetes label syntax, as Istio's labels.Instance.Validate checks it.
const QUALIFIED = '(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_KEY = new RegExp(`^((?:[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)*)/)?(${QUALIFIED})$`);
const LABEL_VALUE = new RegExp(`^(${QUALIFIED})?$`);

/** What is wrong with a label key, if anything. */
const labelKeyProblem = (k: string): string | undefined => {
  const m = LABEL_KEY.exec(k);
  if (!m) return `invalid label key "${k}"`;
  if (m[1] && m[1].length - 1 > 253) return `invalid label key "${k}" (DNS prefix is too long)`;
  if (m[2]!.length > 63) return `invalid label key "${k}" (name is too long)`;
  return undefined;
};
const labelValueValid = (v: string) => LABEL_VALUE.test(v);

const NO_PROBLEMS: readonly string[] = Object.freeze([]);

export function labelsProblems(labels: unknown): readonly string[] {
  if (!isObj(labels)) return NO_PROBLEMS;
  let out: string[] | undefined;
  for (const k in labels) {
    const v = labels[k];
    const keyProblem = labelKeyProblem(k);
    if (keyProblem) (out ??= []).push(keyProblem);
    if (typeof v === 'string' && !labelValueValid(v)) (out ??= []).push(`invalid label value "${v}"`);
  }
  return out ?? NO_PROBLEMS;
}

export function checkLabels(r: Report, labels: unknown, field: string): void {
  for (const p of labelsProblems(labels)) {
    r.add('label-invalid', field, p, 'use letters, digits, "-", "_" and "." (keys may have a DNS prefix and "/"), at most 63 characters');
  }
}

/** Istio's exportTo rules: no duplicates (". " counts as the own namespace), "*" alone, valid names. */
export function checkExportTo(r: Report, exportTo: unknown, namespace: string, field = 'spec.exportTo', withSelector = false): void {
  const entries = list(exportTo).map(str);
  if (entries.length === 0) return;
  const seen = new Set<string>();
  for (const e of entries) {
    const key = e === '.' ? namespace : e;
    if (seen.has(key)) {
      r.add('export-to-invalid', field, key !== e ? `"." and the object's own namespace ${namespace} are both listed` : `"${e}" is listed twice`, 'list each namespace once');
      continue;
    }
    if (key !== '*' && key !== '.' && !isDns1123Label(key)) {
      r.add('export-to-invalid', field, `"${e}" is not ".", "*" or a namespace name`, 'use ".", "*" or namespace names');
      continue;
    }
    seen.add(key);
  }
  if (withSelector && seen.size > 0) {
    if (!seen.has(namespace)) r.add('export-to-invalid', field, 'a DestinationRule with a workloadSelector cannot be exported beyond its own namespace', 'use exportTo: ["."]');
    else if (seen.size > 1) r.add('export-to-invalid', field, 'a DestinationRule with a workloadSelector cannot have several exportTo entries', 'use exportTo: ["."]');
  }
  if (seen.has('*') && entries.length > 1) r.add('export-to-invalid', field, '"*" is listed with other namespaces', 'use "*" alone, or only names');
}

/** A `<namespace>/<name>` gateway reference, or a legacy name; Istio stops at the first name without a slash. */
export function checkGatewayNames(r: Report, names: unknown, field: string): void {
  const all = list(names);
  for (let i = 0; i < all.length; i++) {
    const name = str(all[i]);
    const f = `${field}[${i}]`;
    const slash = name.indexOf('/');
    if (slash < 0) {
      if (name.includes('.')) {
        const [n, ns] = name.split('.');
        r.add('istio-warning', f, `legacy gateway name format "${name}"`, `prefer <namespace>/<name>: "${ns}/${n}"`);
      }
      const p = fqdnProblem(name);
      if (p) r.add('match-invalid', f, `gateway ${p}`, 'name a gateway as <namespace>/<name>, or mesh');
      return;
    }
    const ns = name.slice(0, slash);
    const gw = name.slice(slash + 1);
    if (!ns || !gw) r.add('match-invalid', f, 'namespace and gateway name cannot be empty', 'write <namespace>/<name>');
    if (!isDns1123Label(ns)) r.add('match-invalid', f, `invalid namespace "${ns}" in gateway "${name}"`, 'use a namespace name');
    if (!isDns1123Label(gw)) r.add('match-invalid', f, `invalid gateway name "${gw}" in "${name}"`, 'use the Gateway object\'s name');
  }
}

const TOKEN = /^[!#$%&'*+\-.^_`|~A-Za-z0-9]+$/;
export const PSEUDO_HEADERS = new Set([':method', ':scheme', ':authority', ':path', ':status']);
export const JWT_CLAIM_PREFIX = '@request.auth.claims.';

/**
 * Istio's rule for a header name in a match: a token, one of the HTTP/2 pseudo-headers, or a JWT claim
 * (remembered: every review of a VirtualService repeats the header names of the last).
 */
export const matchHeaderNameProblem: (name: string) => string | undefined = judgeMatchHeaderName;

function judgeMatchHeaderName(name: string): string | undefined {
  if (name === '') return 'header name cannot be empty';
  if (name.startsWith(JWT_CLAIM_PREFIX) || PSEUDO_HEADERS.has(name)) return undefined;
  return TOKEN.test(name) ? undefined : `"${name}" is not a valid HTTP header name`;
}

export function isTokenHeader(name: string): boolean {
  return TOKEN.test(name);
}

/** Envoy's header value formatter: no control characters, "%" escaped as "%%" or opening a %VARIABLE%. */
export function headerValueProblem(value: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000A-\u001F\u007F]/.test(value)) return `header value ${JSON.stringify(value)} has control characters`;
  let inVar = false;
  let depth = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (!inVar) {
      if (c !== '%') continue;
      if (i + 1 >= value.length) return `header value ${JSON.stringify(value)} has an unescaped %`;
      if (value[i + 1] === '%') { i++; continue; }
      inVar = true;
    } else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '%' && depth <= 0) inVar = false;
  }
  return inVar ? `header value ${JSON.stringify(value)} has an unterminated %VARIABLE%` : undefined;
}

/** Header add/set/remove on requests and responses (HTTPRoute.headers, HTTPRouteDestination.headers). */
export function checkHeaderOperations(r: Report, headers: unknown, field: string): void {
  if (!isObj(headers)) return;
  const fix = 'use an ordinary header name (not Host, not a ":" pseudo-header) and escape a literal % as %%';
  for (const side of ['request', 'response'] as const) {
    const ops = headers[side];
    if (!isObj(ops)) continue;
    for (const op of ['add', 'set'] as const) {
      for (const [name, value] of Object.entries(isObj(ops[op]) ? ops[op] as Obj : {})) {
        const f = `${field}.${side}.${op}.${name}`;
        const p = side === 'request' ? requestSetNameProblem(name) : operationNameProblem(name);
        if (p) r.add('header-operation-invalid', f, p, fix);
        const v = typeof value === 'string' ? headerValueProblem(value) : undefined;
        if (v) r.add('header-operation-invalid', f, v, fix);
      }
    }
    list(ops['remove']).forEach((name, i) => {
      const p = operationNameProblem(str(name));
      if (p) r.add('header-operation-invalid', `${field}.${side}.remove[${i}]`, p, fix);
    });
  }
}

function requestSetNameProblem(name: string): string | undefined {
  if (name === '') return 'header name cannot be empty';
  const lower = name.toLowerCase();
  if ((name.startsWith(':') || lower === 'host') && lower !== ':authority' && lower !== 'host') return `header "${name}" cannot have a ":" prefix`;
  return undefined;
}

function operationNameProblem(name: string): string | undefined {
  if (name === '') return 'header name cannot be empty';
  if (name.toLowerCase() === 'host') return 'the Host header cannot be set or removed here';
  if (name.startsWith(':')) return `header "${name}" cannot have a ":" prefix`;
  return undefined;
}

/** An Istio percentage (fault injection): 0, or within [0.0001, 100]. */
export function percentageProblem(p: unknown): string | undefined {
  if (!isObj(p)) return undefined;
  const v = num(p['value']);
  if (v < 0 || v > 100 || (v > 0 && v < 0.0001)) return `percentage ${v} is neither 0 nor within [0.0001, 100]`;
  return undefined;
}
