import { selectRoute } from '../../core/target.js';
import { parseWeightIntents } from '../../core/weights.js';
import { setWeight } from '../../core/ops/set-weight.js';
import type { GrayCommand } from '../command.js';
import { EXIT } from '../context.js';
import { mutateVirtualService } from '../mutate.js';
import { type TargetArgs, mutationTarget, withMutationFlags } from '../options.js';

interface Args extends TargetArgs { weights: string[]; 'keep-zero'?: boolean }

export const setWeightCommand: GrayCommand = {
  command: 'set-weight <service> <weights..>',
  describe: 'Give subsets exact percents; the rest keeps its proportions',
  builder: (y) => withMutationFlags(y)
    .positional('weights', { type: 'string', array: true, describe: 'SUBSET=PERCENT, integers whose total is at most 100' })
    .option('keep-zero', { type: 'boolean', describe: 'Keep destinations that end at 0% in the route (as weight 0)' })
    .example('$0 set-weight reviews v2=10', 'v2 gets 10%; v1 keeps the other 90%')
    .example('$0 set-weight reviews v2=50 -n shop --dry-run=server', 'ask the API server (and its webhooks) without saving')
    .example('$0 set-weight reviews v2=100', 'finish the canary: v2 takes everything, v1 leaves the route'),
  async run(raw, ctx) {
    const args = raw as unknown as Args;
    const intents = parseWeightIntents(args.weights.map(String));
    const cluster = await ctx.connect(args);
    await mutateVirtualService(ctx, cluster, {
      ...mutationTarget(args),
      change: `set-weight ${args.weights.join(' ')}`, verb: 'reweighted',
      edit: (vs) => {
        const route = selectRoute(vs, args.route);
        return { next: setWeight(vs, route, intents, { keepZero: args['keep-zero'] }), stableRoute: route };
      },
    });
    return EXIT.ok;
  },
};
