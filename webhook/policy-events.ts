// Events on the object for what admin policy let pass or warned of: an exemption used, an audit-mode finding, a
// policy rule in warn mode. `kubectl describe` and `kubectl get events` then show who was let through and why,
// beside the audit log's annotation and the metric. Posted after the answer, never delaying it; at most a bounded
// number wait, so a burst of audited writes cannot pile up requests.
import type { Finding } from '../core/rules.js';
import type { KubeRest } from '../kube/rest.js';
import type { Decision } from './admission/handlers.js';
import type { AdmissionRequest } from './admission/review.js';
import { formatFinding, relaxedOutcome } from '../core/rules.js';

interface Logger { warn(obj: object, msg: string): void }

const MAX_PENDING = 100;

/** The findings an Event is written for, with its reason. */
export function eventReason(f: Finding): string | undefined {
  const relaxed = relaxedOutcome(f);
  if (relaxed) return relaxed === 'exempted' ? 'GrayPolicyExemptionUsed' : 'GrayPolicyAudit';
  if (f.severity === 'warning' && f.policy) return 'GrayPolicyWarning';
  return undefined;
}

export function eventFor(req: AdmissionRequest, f: Finding, reason: string, now: Date, instance: string): Record<string, unknown> {
  const o = req.object ?? req.oldObject;
  const namespace = req.namespace ?? o?.metadata?.namespace ?? 'default';
  const name = req.name ?? o?.metadata?.name ?? '';
  const by = f.relaxed ? ` Let through by ${f.relaxed.by === 'audit' ? 'audit mode' : 'an exemption'} of ${f.relaxed.policy}${f.relaxed.reason ? ` (${f.relaxed.reason})` : ''}.` : f.policy ? ` Warned by ${f.policy}.` : '';
  const message = `${req.operation} by ${req.userInfo?.username ?? 'unknown'}: ${formatFinding(f)}.${by}`;
  const at = now.toISOString();
  const uid = (o?.metadata as { uid?: string } | undefined)?.uid;
  return {
    apiVersion: 'v1', kind: 'Event',
    metadata: { generateName: `${name}.`, namespace },
    involvedObject: { apiVersion: o?.apiVersion ?? `${req.kind.group}/${req.kind.version}`, kind: req.kind.kind, name, namespace, ...(uid ? { uid } : {}) },
    reason, message: message.slice(0, 1024), type: reason === 'GrayPolicyAudit' ? 'Normal' : 'Warning',
    source: { component: 'kubectl-gray-webhook' }, reportingComponent: 'kubectl-gray-webhook', reportingInstance: instance,
    firstTimestamp: at, lastTimestamp: at, count: 1,
  };
}

export function policyEventRecorder(rest: Pick<KubeRest, 'request'>, log: Logger, instance: string, now = () => new Date()): (req: AdmissionRequest, decision: Decision) => void {
  let pending = 0;
  let dropped = 0;
  return (req, decision) => {
    for (const f of decision.findings) {
      const reason = eventReason(f);
      if (!reason) continue;
      if (pending >= MAX_PENDING) {
        if (dropped++ % 100 === 0) log.warn({ dropped }, 'too many policy Events waiting; dropping some (the audit log and the metric still have them)');
        continue;
      }
      const event = eventFor(req, f, reason, now(), instance);
      pending += 1;
      rest.request('POST', `/api/v1/namespaces/${(event['metadata'] as { namespace: string }).namespace}/events`, event)
        .catch((err) => log.warn({ err: String((err as Error)?.message ?? err), reason }, 'could not record a policy Event'))
        .finally(() => { pending -= 1; });
    }
  };
}
