// analyze's judgement over a set of objects, as a pure function: the CRD schema (what the API server checks),
// the webhook's decision function (Istio's own checks and ours, with cross-resource lookups over everything
// given), Istio's checks for Gateways and EnvoyFilters, hints for known mistakes, and how the objects fit
// together (core/analyzers/, istioctl analyze's checks). No I/O.
import { reviewIstioObject } from './admission.js';
import { reviewGatewayObject } from './gateway-api/admission.js';
import { isGatewayRoute } from './gateway-api/model.js';
import { CROSS_OBJECT_RULES, crossObjectFindings } from './analyzers/index.js';
import { checkIstioEnvoyFilter } from './istio/envoyfilter.js';
import { checkIstioGateway } from './istio/gateway.js';
import { isObj, list } from './istio/common.js';
import { type DestinationRule, type KubeObject, type VirtualService, describeObject, isDestinationRule, isVirtualService } from './model.js';
import { DEFAULT_POLICY, type Policy, applyPolicy } from './policy.js';
import { type Finding, finding, formatFinding, standing } from './rules.js';
import { checkSchema, isIstioApiGroup } from './schema/validate.js';

export interface AnalyzedFinding extends Finding {
  /** Index of the object (in the input array) the finding is about. */
  index: number;
}

export interface AnalyzeResult {
  findings: AnalyzedFinding[];
  /** Istio objects (and the Gateway API's mesh routes) judged. */
  istio: number;
  /** Other objects (Deployments, Services, ...), skipped. */
  skipped: number;
}

/** A weight other than 100 on a route's only destination: it reads as a share but the route sends it everything. */
export function checkLoneWeights(vs: KubeObject): Finding[] {
  const spec = isObj(vs['spec']) ? vs['spec'] : {};
  const out: Finding[] = [];
  for (const kind of ['http', 'tcp', 'tls'] as const) {
    list(spec[kind]).forEach((route, i) => {
      const dests = list(isObj(route) ? route['route'] : undefined);
      const only = dests[0];
      if (dests.length !== 1 || !isObj(only) || !isObj(only['destination']) || typeof only['weight'] !== 'number' || only['weight'] === 100) return;
      out.push(finding('weight-lone-destination', describeObject(vs), `spec.${kind}[${i}].route[0].weight`,
        `weight ${only['weight']} on the route's only destination, which gets all of the traffic anyway`,
        'remove the weight, or add the other destinations the split was meant for (their weights then share the traffic)'));
    });
  }
  return out;
}

function judge(object: KubeObject, vss: VirtualService[], drs: DestinationRule[], policy: Policy, now: Date): Finding[] {
  if (isVirtualService(object) || isDestinationRule(object)) {
    const review = reviewIstioObject({ operation: 'CREATE', object, virtualServices: vss, destinationRules: drs, policy, now });
    return isVirtualService(object) ? [...review, ...applyPolicy(checkLoneWeights(object), policy)] : review;
  }
  if (object.kind === 'Gateway') return checkIstioGateway(object);
  if (object.kind === 'EnvoyFilter') return checkIstioEnvoyFilter(object);
  return [];
}

export interface AnalyzeOptions {
  /** The objects are the live cluster's (with files on top): checks that something is missing can run. */
  complete?: boolean;
}

export function analyzeObjects(objects: readonly KubeObject[], policy: Policy = DEFAULT_POLICY, now = new Date(), options: AnalyzeOptions = {}): AnalyzeResult {
  const virtualServices = objects.filter(isVirtualService) as VirtualService[];
  const destinationRules = objects.filter(isDestinationRule) as DestinationRule[];
  const findings: AnalyzedFinding[] = [];
  let istio = 0;
  // Rules first, then the routes that use them: the order a careful apply would take.
  const order = objects.map((o, index) => ({ o, index }))
    .sort((a, b) => rank(a.o) - rank(b.o) || a.index - b.index);
  const services = objects.filter((o) => o.kind === 'Service' && o.apiVersion === 'v1');
  for (const { o, index } of order) {
    if (isGatewayRoute(o)) {
      // The Gateway API's mesh routes: the same decision the webhook and the plugin take (no schema of theirs here).
      istio++;
      for (const f of reviewGatewayObject({ operation: 'CREATE', object: o, services, virtualServices, policy, now })) findings.push({ ...f, index });
      continue;
    }
    if (!isIstioApiGroup(o.apiVersion)) continue;
    istio++;
    const schema = checkSchema(o);
    let rest: Finding[] = [];
    if (!schema.some((f) => f.rule === 'schema-version')) {
      try {
        rest = judge(o, virtualServices, destinationRules, policy, now);
      } catch {
        // A shape the schema already refuses (a string where a list belongs, ...) can trip a later check:
        // the schema findings say what is wrong.
        rest = [];
      }
    }
    // A value of the wrong type makes later checks of the same field meaningless: the type finding says it.
    const schemaFields = new Set(schema.filter((f) => f.rule === 'schema-type').map((f) => f.field));
    const seen = new Set<string>();
    // The cross-object findings come once for the whole set below, at their own severity.
    rest = rest.filter((f) => !CROSS_OBJECT_RULES.has(f.rule));
    for (const f of [...schema, ...rest.filter((f) => !schemaFields.has(f.field) || f.rule === 'destination-required')]) {
      const key = formatFinding(f);
      if (seen.has(key)) continue;
      seen.add(key);
      findings.push({ ...f, index });
    }
  }
  // How the objects fit together (core/analyzers/), each finding on the object it is about.
  const indexOf = new Map(objects.map((o, i) => [o, i]));
  for (const { object, finding: f } of crossObjectFindings(objects, options.complete ?? false)) {
    const adjusted = applyPolicy([f], policy);
    for (const a of adjusted) findings.push({ ...a, index: indexOf.get(object)! });
  }
  // Offline there is no requester and nothing to record: what audit mode lets pass is not reported.
  return { findings: standing(findings), istio, skipped: objects.length - istio };
}

function rank(o: KubeObject): number {
  return isDestinationRule(o) ? 0 : isVirtualService(o) ? 1 : 2;
}
