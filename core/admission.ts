// The admission decision for Istio objects, as a pure function: the webhook feeds it the review and its
// caches, the plugin its own edit and what it read, analyze the files it was given. One verdict for all.
import {
  type DestinationRule, type KubeObject, type VirtualService, jsonEqual, describeObject, objectKey, isDestinationRule, isVirtualService, namespaceOf,
} from './model.js';
import { type Policy, type Requester, applyPolicy } from './policy.js';
import { describeWindow, freezeAt } from './freeze-windows.js';
import { routeFindings } from './analyzers/index.js';
import { onlyIndexLabelsChange } from './route-index.js';
import { type Finding, finding } from './rules.js';
import { checkDestinationRule, checkSubsetRemoval, checkVirtualService } from './validate.js';
import { STABLE_ANNOTATION } from './history.js';
import { WEIGHTS_CHANGED_ANNOTATION, lastWeightChange, stampProblem, weightsChanged } from './trusted-time.js';
import { effectiveShares } from './weights.js';
import { checkIstioDestinationRule } from './istio/destinationrule.js';
import { checkIstioVirtualService } from './istio/virtualservice.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionInput {
  operation: Operation;
  object?: KubeObject | null;
  oldObject?: KubeObject | null;
  /** The cluster as the caches see it (the object under review may be among them, in its old form). */
  virtualServices: readonly VirtualService[];
  destinationRules: readonly DestinationRule[];
  policy: Policy;
  now: Date;
  /** Who asks (the review's userInfo), when known: the cluster's clean-up controllers, and exemptions. */
  requester?: Requester;
}

/**
 * The cluster's own clean-up: the namespace controller emptying a namespace that is being deleted, and the
 * garbage collector removing objects whose owner is gone. Refusing them would leave a namespace Terminating
 * forever (it deletes DestinationRules before the VirtualServices that use them) for no one's benefit.
 */
export const CLEANUP_CONTROLLERS = new Set([
  'system:serviceaccount:kube-system:namespace-controller',
  'system:serviceaccount:kube-system:generic-garbage-collector',
]);

export function reviewIstioObject(input: AdmissionInput): Finding[] {
  const subject = (input.object ?? input.oldObject) as KubeObject | undefined;
  if (!subject || (!isVirtualService(subject) && !isDestinationRule(subject))) return [];
  if (input.operation === 'DELETE' && input.requester && CLEANUP_CONTROLLERS.has(input.requester.username)) return [];
  if (input.operation === 'UPDATE' && input.object && input.oldObject && onlyIndexLabelsChange(input.oldObject, input.object)) return [];
  let findings = policyFindings(subject, input);

  if (isVirtualService(subject) && input.operation !== 'DELETE') {
    const vs = input.object as VirtualService;
    // Metadata-only updates (labels, annotations) are not re-judged: an old problem must not block them.
    if (!(input.operation === 'UPDATE' && sameSpec(vs, input.oldObject))) {
      findings = findings.concat(checkVirtualService(vs, { destinationRules: input.destinationRules }), checkIstioVirtualService(vs));
      // How it fits with the other routes (a second mesh VirtualService for a host, matches that decide nothing, a
      // gateway route that skips a subset split): warnings here, never a refusal, as the other half of the pair
      // may be changed next.
      findings = findings.concat(routeFindings(vs, input.virtualServices).map((f) => ({ ...f, severity: 'warning' as const })));
    }
  }
  if (isDestinationRule(subject)) {
    const next = input.operation === 'DELETE' ? undefined : (input.object as DestinationRule);
    if (next && !(input.operation === 'UPDATE' && sameSpec(next, input.oldObject))) {
      findings = findings.concat(checkDestinationRule(next), checkIstioDestinationRule(next));
    }
    // Not for a create (analyze judges every DestinationRule as one: a search per object would grow with the square).
    const previous = input.operation === 'CREATE' ? undefined : (input.oldObject as DestinationRule | null | undefined)
      ?? input.destinationRules.find((d) => objectKey(d) === objectKey(subject));
    if (previous) {
      findings = findings.concat(checkSubsetRemoval(previous, next, input.virtualServices, input.destinationRules));
    }
  }
  return applyPolicy(findings, input.policy, input.requester, input.now);
}

function sameSpec(a: KubeObject, b: KubeObject | null | undefined): boolean {
  return !!b && jsonEqual(a['spec'], b['spec']);
}

/** Admin policy over any object a gray change writes: forbidden namespaces, freeze windows, the soak time, the 0 -> 100 ban, the weight step. */
export function policyFindings(subject: KubeObject, input: Pick<AdmissionInput, 'operation' | 'object' | 'oldObject' | 'policy' | 'now'>): Finding[] {
  const out: Finding[] = [];
  const sources = input.policy.sources ?? {};
  const by = (setting: string, f: Finding): Finding => (sources[setting] ? { ...f, policy: sources[setting] } : f);
  const ns = namespaceOf(subject);
  // Every review passes here and nearly none is refused by policy: the object is named only for a finding.
  const object = () => describeObject(subject);
  if (input.policy.forbiddenNamespaces.includes(ns)) {
    out.push(by('forbiddenNamespaces', finding('namespace-forbidden', object(), 'metadata.namespace',
      `gray changes are forbidden in namespace ${ns} by kubectl-gray admin policy${sources['forbiddenNamespaces'] ? ` (${sources['forbiddenNamespaces']})` : ''}`,
      'ask a cluster admin to lift it (forbiddenNamespaces)')));
  }
  // Going back is always allowed: a change that only returns traffic to the stable subset recorded when the
  // release started (rollback, an abort, undoing a step) passes freeze windows and step limits. Asked only when
  // one of them applies: the old object is read (and its shape checked, webhook/admission/handlers.ts) only then.
  let back: boolean | undefined;
  const goesBack = () => (back ??= isVirtualService(subject) && input.operation === 'UPDATE' && !!input.oldObject
    && movesBackToStable(input.oldObject as VirtualService, input.object as VirtualService));
  const now = input.now.getTime();
  for (const w of input.policy.freezeWindows) {
    const frozen = freezeAt(w, input.now);
    if (frozen && !goesBack()) {
      const f = finding('release-freeze', object(), 'metadata',
        `releases are frozen from ${frozen.start.toISOString()} to ${frozen.end.toISOString()}${w.reason ? ` (${w.reason})` : ''}${w.policy ? ` by ${w.policy}` : ''}${'schedule' in w ? `, window ${describeWindow({ ...w, reason: undefined })}` : ''}`,
        `wait until ${frozen.end.toISOString()} (going back to the stable subset is always allowed), or ask a cluster admin for an exemption`);
      out.push(w.policy ? { ...f, policy: w.policy } : f);
    }
  }
  const interval = input.policy.minSecondsBetweenWeightChanges;
  if (interval !== undefined && input.operation === 'UPDATE' && isVirtualService(subject) && input.oldObject) {
    const before = input.oldObject as VirtualService;
    const after = input.object as VirtualService;
    // The stamp the rule reads must be the webhook's: an update may not move it (core/trusted-time.ts).
    const forged = stampProblem(before, after, input.now);
    if (forged) {
      out.push(finding('weights-stamp', object(), `metadata.annotations["${WEIGHTS_CHANGED_ANNOTATION}"]`, forged,
        'leave the annotation alone: the webhook sets it on every weight change'));
    }
    const last = lastWeightChange(before);
    const wait = last ? last.getTime() + interval * 1000 - now : 0;
    if (wait > 0 && weightsChanged(before, after) && !goesBack()) {
      out.push(by('minSecondsBetweenWeightChanges', finding('weight-change-too-soon', object(), 'spec.http',
        `the weights last changed at ${last!.toISOString()}, ${Math.floor((now - last!.getTime()) / 1000)} s ago; admin policy asks for ${interval} s between weight changes`,
        `wait until ${new Date(now + wait).toISOString()} (going back to the stable subset is always allowed)`)));
    }
  }
  if (input.policy.forbidZeroToHundred && input.operation === 'UPDATE' && isVirtualService(subject) && input.oldObject && !goesBack()) {
    const jump = zeroToHundred(input.oldObject as VirtualService, input.object as VirtualService);
    if (jump) {
      out.push(by('forbidZeroToHundred', finding('weight-zero-to-hundred', object(), jump.field, `moves ${jump.subset} from 0 % to 100 % of the route in one change`,
        'step there (e.g. kubectl gray set-weight in stages: 10, 50, 100)')));
    }
  }
  const step = input.policy.maxWeightStep;
  if (step !== undefined && input.operation === 'UPDATE' && isVirtualService(subject) && input.oldObject && !goesBack()) {
    const moved = largestStep(input.oldObject as VirtualService, input.object as VirtualService);
    if (moved && moved.delta > step) {
      out.push(by('maxWeightStep', finding('weight-step', object(), moved.field,
        `moves ${moved.delta} percentage points for ${moved.subset} in one change; admin policy allows at most ${step}`,
        `change the weights in steps of at most ${step}: ${moved.subset} ${stepsBetween(moved.from, moved.to, step).join(' -> ')}`)));
    }
  }
  return out;
}

type WeightedRoute = { route?: Array<{ destination?: { host?: string; subset?: string }; weight?: number }> };

/** Each destination's share of a route, by subset (or host). */
function sharesOf(route: WeightedRoute | undefined): Map<string, number> {
  const dests = route?.route ?? [];
  const pct = effectiveShares(dests.map((d) => d.weight));
  return new Map(dests.map((d, i) => [d.destination?.subset ?? d.destination?.host ?? '?', pct[i]!]));
}

/** The same route in an older version: the one with the same name, else the one with the same match. */
function sameRoute<T extends { name?: string; match?: unknown }>(routes: readonly T[], route: T): T | undefined {
  return routes.find((r) => r.name !== undefined && r.name === route.name) ?? routes.find((r) => jsonEqual(r.match ?? null, route.match ?? null));
}

/**
 * Whether an update only moves traffic back toward the stable subset the old version records
 * (kubectl-gray.io/stable-subset, written when a release starts): no route or mirror is added, no other subset
 * gains share anywhere, the stable one loses none, and something does move back.
 */
export function movesBackToStable(before: VirtualService, after: VirtualService): boolean {
  const stable = before.metadata.annotations?.[STABLE_ANNOTATION];
  if (!stable) return false;
  const a = before.spec?.http ?? [];
  const b = after.spec?.http ?? [];
  let back = b.length < a.length;
  for (const route of b) {
    const old = sameRoute(a, route);
    if (!old) return false; // a new route is a step forward
    if (route.mirror && !jsonEqual(route.mirror, old.mirror ?? null)) return false;
    const sa = sharesOf(old);
    const sb = sharesOf(route);
    for (const [id, share] of sb) {
      const was = sa.get(id) ?? 0;
      if (id === stable ? share < was : share > was) return false;
      if (id === stable && share > was) back = true;
    }
    if (old.mirror && !route.mirror) back = true;
  }
  return back;
}

/** A destination of a route that had no share and takes all of it after the change. */
function zeroToHundred(before: VirtualService, after: VirtualService): { field: string; subset: string } | undefined {
  const a = before.spec?.http ?? [];
  const b = after.spec?.http ?? [];
  for (let i = 0; i < b.length; i++) {
    const old = sameRoute(a, b[i]!);
    if (!old) continue;
    const sa = sharesOf(old);
    for (const [id, share] of sharesOf(b[i])) if (share === 100 && (sa.get(id) ?? 0) === 0) return { field: `spec.http[${i}].route`, subset: id };
  }
  return undefined;
}

/** The shares a destination passes through from `from` to `to` in steps of at most `step`: 10, 30, 50. */
export function stepsBetween(from: number, to: number, step: number): number[] {
  const out = [Math.round(from)];
  const n = Math.ceil(Math.abs(to - from) / step);
  for (let i = 1; i <= n; i++) out.push(Math.round(from + ((to - from) * i) / n));
  return out;
}

type Step = { delta: number; field: string; subset: string; from: number; to: number };

/** The largest change of one destination's share between two versions of the same route. */
function largestStep(before: VirtualService, after: VirtualService): Step | undefined {
  let best: Step | undefined;
  const a = before.spec?.http ?? [];
  const b = after.spec?.http ?? [];
  for (let i = 0; i < b.length; i++) {
    const old = sameRoute(a, b[i]!);
    if (!old) continue; // a new route moves no weight
    const sa = sharesOf(old);
    const sb = sharesOf(b[i]);
    for (const id of new Set([...sa.keys(), ...sb.keys()])) {
      const delta = Math.round(Math.abs((sb.get(id) ?? 0) - (sa.get(id) ?? 0)));
      const from = sa.get(id) ?? 0;
      const to = sb.get(id) ?? 0;
      // Of equal moves, name the destination that gains: the one being released, whose steps set-weight takes.
      if (!best || delta > best.delta || (delta === best.delta && to > from && best.to <= best.from)) best = { delta, field: `spec.http[${i}].route`, subset: id, from, to };
    }
  }
  return best;
}
