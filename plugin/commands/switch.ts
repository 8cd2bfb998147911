import { selectRoute } from '../../core/target.js';
import { switchTo } from '../../core/ops/switch.js';
import type { GrayCommand } from '../command.js';
import { EXIT } from '../context.js';
import { mutateVirtualService } from '../mutate.js';
import { type TargetArgs, mutationTarget, withMutationFlags } from '../options.js';

interface Args extends TargetArgs { subset: string }

export const switchCommand: GrayCommand = {
  command: 'switch <service> <subset>',
  describe: 'Blue-green: send 100% of a route to one subset',
  builder: (y) => withMutationFlags(y)
    .positional('subset', { type: 'string', describe: 'The subset that takes all traffic' })
    .example('$0 switch reviews v2', 'all of reviews goes to v2; rollback returns it to the stable subset'),
  async run(raw, ctx) {
    const args = raw as unknown as Args;
    const cluster = await ctx.connect(args);
    await mutateVirtualService(ctx, cluster, {
      ...mutationTarget(args),
      change: `switch ${args.subset}`, verb: 'switched',
      edit: (vs) => {
        const route = selectRoute(vs, args.route);
        return { next: switchTo(vs, route, String(args.subset)), stableRoute: route };
      },
    });
    return EXIT.ok;
  },
};
