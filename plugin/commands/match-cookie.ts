import { selectRoute } from '../../core/target.js';
import { cookieIntent, matchHeader, parseHeaderPair } from '../../core/ops/match.js';
import type { GrayCommand } from '../command.js';
import { EXIT } from '../context.js';
import { mutateVirtualService } from '../mutate.js';
import { type TargetArgs, mutationTarget, withMutationFlags } from '../options.js';

interface Args extends TargetArgs { pair: string; subset: string }

export const matchCookieCommand: GrayCommand = {
  command: 'match-cookie <service> <pair>',
  describe: 'Send requests carrying a cookie NAME=VALUE to a subset',
  builder: (y) => withMutationFlags(y, { route: false })
    .positional('pair', { type: 'string', describe: 'NAME=VALUE of the cookie' })
    .option('subset', { type: 'string', demandOption: true, describe: 'The subset those requests go to' })
    .example('$0 match-cookie reviews canary=true --subset v2', 'browsers with cookie canary=true get v2'),
  async run(raw, ctx) {
    const args = raw as unknown as Args;
    const [name, value] = parseHeaderPair(String(args.pair));
    const cluster = await ctx.connect(args);
    await mutateVirtualService(ctx, cluster, {
      ...mutationTarget(args),
      change: `match-cookie ${args.pair} --subset ${args.subset}`, verb: 'matched',
      edit: (vs) => ({ next: matchHeader(vs, cookieIntent(name, value, String(args.subset))), stableRoute: selectRoute(vs) }),
    });
    return EXIT.ok;
  },
};
