import { IntentError } from '../../core/errors.js';
import { selectRoute } from '../../core/target.js';
import { clearMirror, parseMirrorPercent, setMirror } from '../../core/ops/mirror.js';
import type { GrayCommand } from '../command.js';
import { EXIT } from '../context.js';
import { mutateVirtualService } from '../mutate.js';
import { type TargetArgs, mutationTarget, withMutationFlags } from '../options.js';

interface Args extends TargetArgs { subset?: string; percent?: string; off?: boolean }

export const mirrorCommand: GrayCommand = {
  command: 'mirror <service> [subset]',
  describe: 'Shadow live traffic to a subset (its answers are discarded), or stop with --off',
  builder: (y) => withMutationFlags(y)
    .positional('subset', { type: 'string', describe: 'The subset that receives the copies' })
    .option('percent', { type: 'string', describe: 'Share of requests to copy, 0-100, decimals allowed (default 100)' })
    .option('off', { type: 'boolean', describe: 'Remove the mirror' })
    .example('$0 mirror reviews v2 --percent 20', 'copy 20% of live requests to v2')
    .example('$0 mirror reviews --off', 'stop mirroring'),
  async run(raw, ctx) {
    const args = raw as unknown as Args;
    if (args.off && args.subset) throw new IntentError('give either a SUBSET or --off, not both');
    if (!args.off && !args.subset) throw new IntentError('name the SUBSET to mirror to, or pass --off');
    if (args.off && args.percent !== undefined) throw new IntentError('--percent goes with a SUBSET, not with --off');
    const percent = parseMirrorPercent(args.percent);
    const cluster = await ctx.connect(args);
    await mutateVirtualService(ctx, cluster, {
      ...mutationTarget(args),
      change: args.off ? 'mirror --off' : `mirror ${args.subset}${percent === undefined ? '' : ` --percent ${percent}`}`,
      verb: args.off ? 'unmirrored' : 'mirrored',
      edit: (vs) => {
        const route = selectRoute(vs, args.route);
        return args.off
          ? { next: clearMirror(vs, route) }
          : { next: setMirror(vs, route, String(args.subset), percent), stableRoute: route };
      },
    });
    return EXIT.ok;
  },
};
