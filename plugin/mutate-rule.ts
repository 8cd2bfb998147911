// The DestinationRule counterpart of mutate.ts: read, edit, check (subset syntax, and that no route
// still uses a subset being removed), write with the resourceVersion read, retry on conflict.
import { RuleViolation } from '../core/errors.js';
import { resolveHost } from '../core/hosts.js';
import { type DestinationRule, canonicalJson } from '../core/model.js';
import { errorsOf, formatFinding, warningsOf } from '../core/rules.js';
import { lookupSubsets } from '../core/subsets.js';
import { reviewIstioObject } from '../core/admission.js';
import type { CommandContext } from './context.js';
import type { DryRun, GrayCluster } from './kube/cluster.js';
import { printWrite } from './render/mutation.js';
import { retryOnConflict } from '../kube/retry.js';
import { clusterPolicy } from './mutate.js';

export interface RuleEdit {
  service: string;
  namespace: string;
  dryRun: DryRun;
  /** The new rule from the current one (undefined when none exists yet); undefined leaves things as they are. */
  edit(current: DestinationRule | undefined): DestinationRule | undefined;
}

/** The DestinationRule in the service's own namespace that defines its subsets, if any. */
export function ruleFor(service: string, namespace: string, rules: readonly DestinationRule[]): DestinationRule | undefined {
  return lookupSubsets(resolveHost(service, namespace), namespace, rules).rules.find((r) => (r.metadata.namespace ?? namespace) === namespace);
}

export async function mutateDestinationRule(ctx: CommandContext, cluster: GrayCluster, req: RuleEdit): Promise<DestinationRule | undefined> {
  const policy = await clusterPolicy(cluster);
  return retryOnConflict(async () => {
    const rules = await cluster.listDestinationRules(req.namespace);
    const current = ruleFor(req.service, req.namespace, rules);
    const next = req.edit(current);
    if (!next) return current;
    if (current && canonicalJson(next.spec) === canonicalJson(current.spec)) {
      printWrite(ctx.io, 'destinationrule.networking.istio.io', current.metadata.name, 'unchanged', req.dryRun);
      return current;
    }
    const findings = reviewIstioObject({
      operation: current ? 'UPDATE' : 'CREATE', object: next, oldObject: current,
      virtualServices: current ? await cluster.listVirtualServices(undefined) : [], destinationRules: rules,
      policy, now: ctx.now(),
    });
    if (errorsOf(findings).length > 0) throw new RuleViolation(errorsOf(findings));
    for (const w of warningsOf(findings)) ctx.io.err(`Warning: ${formatFinding(w)}\n`);
    const verb = current ? 'configured' : 'created';
    if (req.dryRun === 'client') {
      printWrite(ctx.io, 'destinationrule.networking.istio.io', next.metadata.name, verb, req.dryRun);
      return next;
    }
    const { object, warnings } = await cluster.write({ resource: 'destinationrules', namespace: req.namespace, name: next.metadata.name }, next, req.dryRun);
    for (const w of warnings) ctx.io.err(`Warning: ${w}\n`);
    printWrite(ctx.io, 'destinationrule.networking.istio.io', next.metadata.name, verb, req.dryRun);
    return object;
  });
}
