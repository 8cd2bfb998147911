// The one path every VirtualService edit takes: read, apply the intent, check with the shared rules,
// write with the resourceVersion that was read, and on a conflict start again from a fresh read.
import { RuleViolation } from '../core/errors.js';
import { HISTORY_ANNOTATION, rememberStable, recordChange } from '../core/history.js';
import { type DestinationRule, type VirtualService, canonicalJson } from '../core/model.js';
import { errorsOf, formatFinding, warningsOf } from '../core/rules.js';
import { findVirtualService } from '../core/target.js';
import { destinationsOf } from '../core/destinations.js';
import { reviewIstioObject } from '../core/admission.js';
import { DEFAULT_POLICY, type Policy, parsePolicy } from '../core/policy.js';
import { ISTIO_ROOT_NAMESPACE, resolveHost, serviceNamespace } from '../core/hosts.js';
import { ApiError } from '../kube/errors.js';
import type { CommandContext } from './context.js';
import type { DryRun, GrayCluster } from './kube/cluster.js';
import type { MutationOutput } from './options.js';
import { printMutation } from './render/mutation.js';
import { retryOnConflict } from '../kube/retry.js';

export interface Edit {
  /** The new object, or the same spec when there is nothing to change. */
  next: VirtualService;
  /** The route whose single subset becomes the recorded stable one, if the release starts here. */
  stableRoute?: number;
  /** Skip history (undo records its own entry). */
  history?: boolean;
}

export interface MutationRequest {
  service: string;
  vsName?: string;
  /** How the change reads in history, e.g. "set-weight v2=10". */
  change: string;
  /** Past tense for the result line: "reweighted", "switched", ... */
  verb: string;
  dryRun: DryRun;
  output?: MutationOutput;
  edit(vs: VirtualService): Edit;
}

export async function mutateVirtualService(ctx: CommandContext, cluster: GrayCluster, req: MutationRequest): Promise<VirtualService> {
  const namespace = cluster.namespace;
  const policyRead = clusterPolicy(cluster);
  return retryOnConflict(async () => {
    // The policy and the VirtualServices are read in parallel (each awaited, in this order, as before).
    const listed = cluster.listVirtualServices(namespace);
    listed.catch(() => undefined);
    const policy = await policyRead;
    const current = findVirtualService(req.service, namespace, await listed, req.vsName);
    const edit = req.edit(current);
    if (ownedState(edit.next) === ownedState(current)) {
      printMutation(ctx.io, current, 'unchanged', req.dryRun, req.output);
      return current;
    }
    let next = edit.stableRoute === undefined ? edit.next : rememberStable(current, edit.next, edit.stableRoute);
    if (edit.history !== false) next = recordChange(current, next, req.change, ctx.now());

    // The webhook's own decision function, with the policy it runs under when the cluster publishes it.
    const findings = reviewIstioObject({
      operation: 'UPDATE', object: next, oldObject: current, virtualServices: [],
      destinationRules: await visibleDestinationRules(cluster, next), policy, now: ctx.now(),
    });
    const errors = errorsOf(findings);
    if (errors.length > 0) throw new RuleViolation(errors);
    for (const w of warningsOf(findings)) ctx.io.err(`Warning: ${formatFinding(w)}\n`);

    if (req.dryRun === 'client') {
      printMutation(ctx.io, next, req.verb, req.dryRun, req.output);
      return next;
    }
    const { object, warnings } = await cluster.replaceVirtualService(next, req.dryRun);
    for (const w of warnings) ctx.io.err(`Warning: ${w}\n`);
    printMutation(ctx.io, { ...object, apiVersion: object.apiVersion ?? next.apiVersion, kind: object.kind ?? next.kind }, req.verb, req.dryRun, req.output);
    return object;
  });
}

/** The cluster's admin policy; a malformed one is the server's business (it refuses to load it), not ours. */
export async function clusterPolicy(cluster: GrayCluster): Promise<Policy> {
  const raw = await cluster.admissionPolicy();
  try {
    return raw === undefined ? DEFAULT_POLICY : parsePolicy(raw);
  } catch {
    return DEFAULT_POLICY;
  }
}

/** What an edit can change: the spec, labels and annotations (the history itself aside). */
function ownedState(vs: VirtualService): string {
  const { [HISTORY_ANNOTATION]: _history, ...annotations } = vs.metadata.annotations ?? {};
  return canonicalJson({ spec: vs.spec, labels: vs.metadata.labels ?? {}, annotations });
}

/** The DestinationRules a VirtualService can see: its own namespace, its hosts' namespaces and the root. */
export async function visibleDestinationRules(cluster: GrayCluster, vs: VirtualService): Promise<DestinationRule[]> {
  const ns = vs.metadata.namespace ?? cluster.namespace;
  const namespaces = new Set([ns, ISTIO_ROOT_NAMESPACE]);
  for (const { destination } of destinationsOf(vs)) {
    const svcNs = serviceNamespace(resolveHost(destination.host, ns));
    if (svcNs) namespaces.add(svcNs);
  }
  const lists = await Promise.all([...namespaces].map((n) => cluster.listDestinationRules(n).catch((err: unknown) => {
    // Namespace-scoped users often may not read istio-system or other teams' namespaces: look at what
    // they can see. Their own namespace must be readable.
    if (n !== ns && err instanceof ApiError && err.status === 403) return [];
    throw err;
  })));
  return lists.flat();
}
