// The admission decision for the Gateway API's mesh routes and the Services they send to, as a pure function: the
// webhook feeds it the review, the plugin its own edit, analyze its files. One verdict for all.
import { type AdmissionInput, CLEANUP_CONTROLLERS, policyFindings } from '../admission.js';
import { type KubeObject, type VirtualService, describeObject, jsonEqual } from '../model.js';
import { type Finding, finding } from '../rules.js';
import { applyPolicy } from '../policy.js';
import { type GatewayRoute, isGatewayRoute } from './model.js';
import { checkGatewayRoute, routesSendingTo } from './rules.js';

export interface GatewayAdmissionInput extends Pick<AdmissionInput, 'operation' | 'object' | 'oldObject' | 'policy' | 'now' | 'requester'> {
  /** The Services of the namespaces the route names; undefined: not known, their checks are skipped. */
  services?: readonly KubeObject[];
  virtualServices?: readonly VirtualService[];
  /** The routes (for a Service's delete: which still send to it). */
  gatewayRoutes?: readonly GatewayRoute[];
}

const isService = (o: KubeObject | null | undefined) => !!o && o.kind === 'Service' && o.apiVersion === 'v1';

export function reviewGatewayObject(input: GatewayAdmissionInput): Finding[] {
  const subject = (input.object ?? input.oldObject) ?? undefined;
  if (!subject) return [];
  if (input.operation === 'DELETE' && input.requester && CLEANUP_CONTROLLERS.has(input.requester.username)) return [];
  let findings: Finding[] = [];
  if (isService(subject) && input.operation === 'DELETE' && input.gatewayRoutes) {
    findings = routesSendingTo(input.gatewayRoutes, subject).map(({ route, field }) => finding('version-service-in-use', describeObject(subject), 'metadata.name',
      `${describeObject(route)} ${field} still sends calls to it: they would fail`,
      `move the route off it first (kubectl gray set-weight ${route.spec.parentRefs?.[0]?.name ?? '<service>'} ${subject.metadata.name}=0), then delete the Service`));
  }
  if (isGatewayRoute(subject)) {
    findings = policyFindings(subject, input);
    const route = input.object as GatewayRoute | null | undefined;
    // Metadata-only updates are not judged again: an old problem must not block a label.
    if (route && input.operation !== 'DELETE' && !(input.operation === 'UPDATE' && input.oldObject && jsonEqual(route.spec, input.oldObject['spec']))) {
      findings = findings.concat(checkGatewayRoute(route, { services: input.services, virtualServices: input.virtualServices }));
    }
  }
  return applyPolicy(findings, input.policy, input.requester, input.now);
}
