// Handlers: AdmissionRequest in, AdmissionResponse out. No HTTP, no JSON text, no I/O: the caches
// are read through a snapshot function and the clock is passed in.
import { type AdmissionInput, reviewIstioObject } from '../../core/admission.js';
import { planDeploymentLabels, type DeploymentLike } from '../../core/deployment-labels.js';
import { type GatewayAdmissionInput, reviewGatewayObject } from '../../core/gateway-api/admission.js';
import { GATEWAY_GROUP, type GatewayRoute } from '../../core/gateway-api/model.js';
import { type DestinationRule, type KubeObject, type VirtualService, jsonEqual } from '../../core/model.js';
import { indexLabelChanges } from '../../core/route-index.js';
import { WEIGHTS_CHANGED_ANNOTATION, stampFor } from '../../core/trusted-time.js';
import { POLICY_GROUP, type Policy, type Requester, applyPolicy, parsePolicyObject } from '../../core/policy.js';
import { IntentError } from '../../core/errors.js';
import { type Finding, RULES, type RuleInfo, errorsOf, exemptionNote, formatFinding, relaxedOutcome, warningsOf } from '../../core/rules.js';
import { checkVirtualServiceBesideRoutes } from '../../core/gateway-api/rules.js';
import { type AdmissionRequest, type AdmissionResponse, type JsonPatchOp, allowed, denied, patched, pointerSegment } from './review.js';
import { SHAPES, shapeProblem } from './shape.js';

export interface IstioSnapshot {
  virtualServices(): readonly VirtualService[];
  destinationRules(): readonly DestinationRule[];
}

export interface Decision {
  response: AdmissionResponse;
  findings: Finding[];
}

const ISTIO_KINDS = new Set(['VirtualService', 'DestinationRule']);

/** Warnings kubectl prints one per line; the object is already named by kubectl, so lead with the rule. */
function warningText(f: Finding): string {
  const istio = (RULES[f.rule] as RuleInfo).istio;
  return `${f.code} ${f.rule}${istio ? ` (${istio})` : ''}: ${f.field}: ${f.problem}`;
}

// Some API servers omit apiVersion/kind inside the embedded objects of older reviews: restore them.
function complete(o: AdmissionRequest['object'], req: AdmissionRequest): AdmissionRequest['object'] {
  return o && (o.apiVersion == null || o.kind == null)
    ? { ...o, apiVersion: o.apiVersion ?? `${req.kind.group}/${req.kind.version}`, kind: o.kind ?? req.kind.kind } : o;
}

// Objects of the wrong shape never reach a webhook through an API server with Istio's schemas; name the field.
function problemOf(o: AdmissionRequest['object'], req: AdmissionRequest): string | undefined {
  if (o == null) return undefined;
  const shape = SHAPES[typeof (o as { kind?: unknown }).kind === 'string' ? (o as { kind: string }).kind : req.kind.kind];
  return shape && shapeProblem(o, shape);
}

export function validateIstio(req: AdmissionRequest, store: IstioSnapshot, policy: Policy, now: Date): Decision {
  if (req.kind?.group !== 'networking.istio.io' || !ISTIO_KINDS.has(req.kind.kind)) {
    return { response: allowed(req.uid), findings: [] };
  }
  const objectProblem = problemOf(req.object, req);
  if (objectProblem) {
    return { response: { uid: req.uid, allowed: false, status: { code: 400, reason: 'BadRequest', message: `kubectl-gray cannot judge this ${req.kind.kind}: ${objectProblem}` } }, findings: [] };
  }
  // A malformed old object (stored before a schema existed) is not held against the change. Of a VirtualService
  // update the rules read the old spec only to compare it (any JSON will do) unless a weight-step or freeze policy
  // is set: then its routes and its recorded stable subset are read too.
  const oldIsRead = req.kind.kind !== 'VirtualService' || req.operation !== 'UPDATE' || policy.maxWeightStep !== undefined || policy.freezeWindows.length > 0
    || policy.forbidZeroToHundred === true || policy.minSecondsBetweenWeightChanges !== undefined;
  const oldObject = oldIsRead && problemOf(req.oldObject, req) ? null : req.oldObject;
  if (req.operation === 'DELETE' && !oldObject && req.oldObject != null) return { response: allowed(req.uid), findings: [] };
  const input: AdmissionInput = {
    operation: req.operation,
    object: complete(req.object, req),
    oldObject: complete(oldObject, req),
    virtualServices: store.virtualServices(),
    destinationRules: store.destinationRules(),
    policy,
    now,
  };
  const requester = requesterOf(req);
  if (requester) input.requester = requester;
  return decide(req, reviewIstioObject(input));
}

/**
 * A VirtualService's review once more, with what the Gateway API's routes say of it (GRAY603), read for it by the
 * server: the same response the findings would have given together.
 */
export function besideRoutes(req: AdmissionRequest, decision: Decision, routes: readonly GatewayRoute[], policy: Policy): Decision {
  const vs = complete(req.object, req) as VirtualService | null | undefined;
  const extra = vs ? applyPolicy(checkVirtualServiceBesideRoutes(vs, routes), policy, requesterOf(req), new Date()) : [];
  return extra.length === 0 ? decision : decide(req, [...decision.findings, ...extra]);
}

/** Whether a VirtualService review could put a second model on a Service: a create, or new hosts or gateways. */
export function mayMeetRoutes(req: AdmissionRequest): boolean {
  if (req.kind?.group !== 'networking.istio.io' || req.kind.kind !== 'VirtualService' || !req.object) return false;
  if (req.operation === 'CREATE') return true;
  const spec = (o: unknown) => ((o as { spec?: { hosts?: unknown; gateways?: unknown } } | null | undefined)?.spec ?? {});
  return req.operation === 'UPDATE' && !(jsonEqual(spec(req.object).hosts ?? null, spec(req.oldObject).hosts ?? null)
    && jsonEqual(spec(req.object).gateways ?? null, spec(req.oldObject).gateways ?? null));
}

/** Who asks, as the API server authenticated them. */
export function requesterOf(req: AdmissionRequest): Requester | undefined {
  return req.userInfo?.username ? { username: req.userInfo.username, groups: req.userInfo.groups ?? [] } : undefined;
}

/** Findings to a response: allowed (with warnings) unless an error stands, then denied naming every one. */
function decide(req: AdmissionRequest, findings: Finding[]): Decision {
  if (findings.length === 0) return { response: allowed(req.uid), findings };
  const warnings = [...warningsOf(findings).map(warningText),
    ...findings.filter((f) => f.relaxed?.by === 'exemption').map(exemptionNote)];
  const errors = errorsOf(findings);
  const message = `kubectl-gray refused it (${errors.length} problem${errors.length > 1 ? 's' : ''}):\n${errors.map(formatFinding).join('\n')}`;
  const response = errors.length === 0 ? allowed(req.uid, warnings) : denied(req.uid, message, warnings);
  return { response: { ...response, auditAnnotations: auditAnnotations(findings) }, findings };
}

/**
 * Every finding, refused, warned, audited or let through by an exemption, in the API server's audit log (where the
 * real user stands beside it): one key per rule (the API server prefixes the webhook's name:
 * istio.validate.kubectl-gray.io/weight-total), its outcome and the finding's line as its value.
 */
function auditAnnotations(findings: readonly Finding[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of findings) {
    const line = `${relaxedOutcome(f) ?? f.severity} ${formatFinding(f)}${f.relaxed ? ` [${f.relaxed.policy}${f.relaxed.reason ? `: ${f.relaxed.reason}` : ''}]` : f.policy ? ` [${f.policy}]` : ''}`.slice(0, 1000);
    out[f.rule] = out[f.rule] ? `${out[f.rule]}; ${line}`.slice(0, 4000) : line;
  }
  return out;
}

/** A ClusterGrayPolicy or GrayPolicy being written. */
export function isPolicyReview(req: AdmissionRequest): boolean {
  return req.kind?.group === POLICY_GROUP && (req.kind.kind === 'ClusterGrayPolicy' || req.kind.kind === 'GrayPolicy');
}

/**
 * What the CRD's schema cannot say of a policy (a time zone that does not exist, a cron schedule that does not
 * parse, an exemption from a rule Istio enforces): refused here, with every problem named, rather than skipped later.
 */
export function validatePolicyObject(req: AdmissionRequest): Decision {
  if (req.operation === 'DELETE' || !req.object) return { response: allowed(req.uid), findings: [] };
  try {
    parsePolicyObject(complete(req.object, req));
    return { response: allowed(req.uid), findings: [] };
  } catch (err) {
    if (!(err instanceof IntentError)) throw err;
    return { response: denied(req.uid, `kubectl-gray refused it: ${err.message}`), findings: [] };
  }
}

/** A review of a Gateway API mesh route, or of a Service's delete (which a route may still send to). */
export function isGatewayReview(req: AdmissionRequest): boolean {
  return (req.kind?.group === GATEWAY_GROUP && (req.kind.kind === 'HTTPRoute' || req.kind.kind === 'GRPCRoute'))
    || (req.kind?.group === '' && req.kind.kind === 'Service' && req.operation === 'DELETE');
}

/** What a Gateway review is judged against, read for it (webhook/server.ts): undefined where it could not be known. */
export interface GatewayWorld {
  services?: readonly KubeObject[];
  gatewayRoutes?: readonly GatewayRoute[];
  virtualServices: readonly VirtualService[];
}

export function validateGateway(req: AdmissionRequest, world: GatewayWorld, policy: Policy, now: Date): Decision {
  const input: GatewayAdmissionInput = {
    operation: req.operation, object: complete(req.object, req), oldObject: complete(req.oldObject, req), policy, now, ...world,
  };
  const requester = requesterOf(req);
  if (requester) input.requester = requester;
  return decide(req, reviewGatewayObject(input));
}

/** The mutating entry: canary labels on new Deployments; on VirtualServices the route index's labels and the time of the last weight change. */
export function mutate(req: AdmissionRequest, now = new Date()): Decision {
  if (req.kind?.group === 'networking.istio.io' && req.kind.kind === 'VirtualService') return mutateRouteIndex(req, now);
  return mutateDeployment(req);
}

/**
 * Keeps the route index's labels (core/route-index.ts) in line with the spec being written, and stamps the time of
 * a weight change with this clock (core/trusted-time.ts): any other write keeps the stamp it had.
 */
export function mutateRouteIndex(req: AdmissionRequest, now = new Date()): Decision {
  const o = complete(req.object, req) as VirtualService | null | undefined;
  if ((req.operation !== 'CREATE' && req.operation !== 'UPDATE') || !o?.metadata || typeof o.metadata !== 'object') return { response: allowed(req.uid), findings: [] };
  const ops = labelOps('/metadata/labels', o.metadata.labels, indexLabelChanges(o));
  const before = req.operation === 'UPDATE' && !problemOf(req.oldObject, req) ? complete(req.oldObject, req) as VirtualService : undefined;
  const annotations = o.metadata.annotations && typeof o.metadata.annotations === 'object' ? o.metadata.annotations : undefined;
  // An update whose old object cannot be read keeps what it says (the validating entry judges it).
  const stamp = problemOf(o, req) || (req.operation === 'UPDATE' && !before) ? annotations?.[WEIGHTS_CHANGED_ANNOTATION] : stampFor(before, o, now);
  if (stamp !== annotations?.[WEIGHTS_CHANGED_ANNOTATION]) ops.push(...labelOps('/metadata/annotations', annotations, { [WEIGHTS_CHANGED_ANNOTATION]: stamp ?? null }));
  return { response: patched(req.uid, ops), findings: [] };
}

/** JSON patch operations that set (or, for null, remove) keys of the map at `path` (labels, annotations), which may not exist yet. */
function labelOps(path: string, labels: Record<string, string> | undefined, changes: Record<string, string | null>): JsonPatchOp[] {
  const entries = Object.entries(changes);
  if (entries.length === 0) return [];
  if (!labels || typeof labels !== 'object') return [{ op: 'add', path, value: Object.fromEntries(entries.filter(([, v]) => v !== null)) }];
  return entries.map(([k, v]) => (v === null
    ? { op: 'remove', path: `${path}/${pointerSegment(k)}` }
    : { op: k in labels ? 'replace' : 'add', path: `${path}/${pointerSegment(k)}`, value: v }));
}

export function mutateDeployment(req: AdmissionRequest): Decision {
  if (req.kind?.kind !== 'Deployment' || req.operation !== 'CREATE' || !req.object) return { response: allowed(req.uid), findings: [] };
  const d = req.object as DeploymentLike;
  const plan = planDeploymentLabels(d);
  const ops: JsonPatchOp[] = d.spec?.template?.metadata || Object.keys(plan.set).length === 0
    ? labelOps('/spec/template/metadata/labels', d.spec?.template?.metadata?.labels, plan.set)
    : [{ op: 'add', path: '/spec/template/metadata', value: { labels: plan.set } }];
  return { response: patched(req.uid, ops, plan.warnings), findings: [] };
}
