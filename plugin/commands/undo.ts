import { IntentError } from '../../core/errors.js';
import { recordChange, undoTo } from '../../core/history.js';
import type { GrayCommand } from '../command.js';
import { EXIT } from '../context.js';
import { mutateVirtualService } from '../mutate.js';
import { type TargetArgs, mutationTarget, withMutationFlags } from '../options.js';

interface Args extends TargetArgs { 'to-revision'?: number }

export const undoCommand: GrayCommand = {
  command: 'undo <service>',
  describe: 'Restore the spec from before the last change (or before revision N)',
  builder: (y) => withMutationFlags(y, { route: false })
    .option('to-revision', { type: 'number', describe: 'Restore the spec as it was before this revision (see history)' })
    .example('$0 undo reviews', 'undo the last change, whoever made it with kubectl gray')
    .example('$0 undo reviews --to-revision 3', 'go back to the spec from before revision 3'),
  async run(raw, ctx) {
    const args = raw as unknown as Args;
    const revision = args['to-revision'];
    if (revision !== undefined && (!Number.isInteger(revision) || revision < 1)) {
      throw new IntentError(`--to-revision "${revision}": must be a revision number from history`);
    }
    const cluster = await ctx.connect(args);
    await mutateVirtualService(ctx, cluster, {
      ...mutationTarget(args),
      change: `undo${revision ? ` --to-revision ${revision}` : ''}`, verb: 'restored',
      edit: (vs) => {
        const { vs: restored, entry } = undoTo(vs, revision);
        return { next: recordChange(vs, restored, `undo to before revision ${entry.revision} (${entry.change})`, ctx.now()), history: false };
      },
    });
    return EXIT.ok;
  },
};
