import { rollback } from '../../core/ops/rollback.js';
import type { GrayCommand } from '../command.js';
import { EXIT } from '../context.js';
import { mutateVirtualService } from '../mutate.js';
import { type TargetArgs, mutationTarget, withMutationFlags } from '../options.js';

interface Args extends TargetArgs { to?: string }

export const rollbackCommand: GrayCommand = {
  command: 'rollback <service>',
  describe: 'End the release: drop gray match routes and the mirror, 100% to the stable subset',
  builder: (y) => withMutationFlags(y, { route: false })
    .option('to', { type: 'string', describe: 'The subset to return to (default: the one recorded when the release started)' })
    .example('$0 rollback reviews', 'back to the subset that served before the release')
    .example('$0 rollback reviews --to v1', 'back to v1 whatever was recorded'),
  async run(raw, ctx) {
    const args = raw as unknown as Args;
    const cluster = await ctx.connect(args);
    await mutateVirtualService(ctx, cluster, {
      ...mutationTarget(args),
      change: `rollback${args.to ? ` --to ${args.to}` : ''}`, verb: 'rolled back',
      edit: (vs) => ({ next: rollback(vs, args.to).vs }),
    });
    return EXIT.ok;
  },
};
