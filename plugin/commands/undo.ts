import { IntentError } from '../../core/errors.js';
import { type HistoryEntry, readHistory, recordChange, undoTo } from '../../core/history.js';
import { type VirtualService, describeObject, isVirtualService } from '../../core/model.js';
import { type Plan, change, vsChange } from '../../core/plan.js';
import { type HistoryCarrier, historyCarriers, newPlanId, runPlan, serviceHosts } from '../apply.js';
import type { GrayCommand } from '../command.js';
import { EXIT } from '../context.js';
import { type TargetArgs, mutationTarget, withMutationFlags } from '../options.js';

interface Args extends TargetArgs { 'to-revision'?: number; plan?: string }

/** Which VirtualServices to restore, and to before which of their entries. */
export function undoTargets<T extends HistoryCarrier>(candidates: readonly T[], revision?: number, plan?: string): Array<{ vs: T; entry: HistoryEntry<T['spec']> }> {
  const withHistory = candidates.map((vs) => ({ vs, entries: readHistory(vs) })).filter((c) => c.entries.length > 0);
  if (withHistory.length === 0) throw new IntentError(`${candidates.map(describeObject).join(', ')} ${candidates.length === 1 ? 'has' : 'have'} no kubectl-gray history to undo`);
  if (revision !== undefined) {
    if (withHistory.length > 1) {
      throw new IntentError(`--to-revision is per object and ${withHistory.map((c) => describeObject(c.vs)).join(', ')} all have history; pick one with --vs NAME`);
    }
    return [{ vs: withHistory[0]!.vs, entry: undoTo(withHistory[0]!.vs, revision).entry }];
  }
  const wanted = plan ?? [...withHistory].sort((a, b) => a.entries.at(-1)!.time.localeCompare(b.entries.at(-1)!.time)).at(-1)!.entries.at(-1)!.plan;
  if (!wanted) {
    const newest = [...withHistory].sort((a, b) => a.entries.at(-1)!.time.localeCompare(b.entries.at(-1)!.time)).at(-1)!;
    return [{ vs: newest.vs, entry: newest.entries.at(-1)! }];
  }
  const out: Array<{ vs: T; entry: HistoryEntry<T['spec']> }> = [];
  for (const c of withHistory) {
    const entry = c.entries.find((e) => e.plan === wanted);
    if (!entry) continue;
    if (entry !== c.entries.at(-1)) {
      throw new IntentError(`${describeObject(c.vs)} changed again after plan ${wanted} (revision ${c.entries.at(-1)!.revision}: ${c.entries.at(-1)!.change}); undo that first`);
    }
    out.push({ vs: c.vs, entry });
  }
  if (out.length === 0) throw new IntentError(`no VirtualService or route of the service has a change from plan ${wanted}`);
  return out;
}

export const undoCommand: GrayCommand = {
  command: 'undo <service>',
  describe: 'Restore the specs from before the last change (every VirtualService or Gateway API route it touched), or before revision N',
  builder: (y) => withMutationFlags(y, { route: false })
    .option('to-revision', { type: 'number', describe: 'Restore the spec as it was before this revision (see history; one VirtualService)' })
    .option('plan', { type: 'string', describe: 'Undo the changes of this plan (printed when a command stops half-way)' })
    .example('$0 undo reviews', 'undo the last change, whoever made it with kubectl gray')
    .example('$0 undo reviews --to-revision 3', 'go back to the spec from before revision 3'),
  async run(raw, ctx) {
    const args = raw as unknown as Args;
    const revision = args['to-revision'];
    if (revision !== undefined && (!Number.isInteger(revision) || revision < 1)) {
      throw new IntentError(`--to-revision "${revision}": must be a revision number from history`);
    }
    if (revision !== undefined && args.plan) throw new IntentError('--to-revision and --plan do not go together');
    const cluster = await ctx.connect(args);
    const planId = newPlanId(ctx.now());
    await runPlan(ctx, cluster, {
      ...mutationTarget(args), hosts: serviceHosts(args.service, cluster.namespace, args.vs),
      build: async (reads): Promise<Plan> => {
        const carriers = await historyCarriers(reads, { ...args, namespace: cluster.namespace });
        const changes = undoTargets(carriers, revision, args.plan).map(({ vs, entry }) => {
          const { vs: restored } = undoTo(vs, entry.revision);
          const next = recordChange(vs, restored, `undo to before revision ${entry.revision} (${entry.change})`, ctx.now(), planId);
          return isVirtualService(vs)
            ? vsChange(vs, next as VirtualService, { change: '', verb: 'restored', now: ctx.now(), plan: planId, history: false })
            : change(vs, next, 'restored', () => false);
        });
        return { changes, undo: `kubectl gray undo ${args.service} --plan ${planId} -n ${cluster.namespace}`, notes: [] };
      },
    });
    return EXIT.ok;
  },
};
