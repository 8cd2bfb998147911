import { cookieIntent, markedRoute, parseHeaderPair } from '../../core/ops/match.js';
import { planMarkedRoutes } from '../../core/service-plan.js';
import { planGatewayMatch } from '../../core/gateway-api/plan.js';
import { gatewayRoutesOf, newPlanId, runPlan, serviceHosts } from '../apply.js';
import type { GrayCommand } from '../command.js';
import { EXIT } from '../context.js';
import { type TargetArgs, mutationTarget, withMutationFlags } from '../options.js';

interface Args extends TargetArgs { pair: string; subset: string }

export const matchCookieCommand: GrayCommand = {
  command: 'match-cookie <service> <pair>',
  describe: 'Send requests carrying a cookie NAME=VALUE to a subset (on every way in)',
  builder: (y) => withMutationFlags(y, { route: false })
    .positional('pair', { type: 'string', describe: 'NAME=VALUE of the cookie' })
    .option('subset', { type: 'string', demandOption: true, describe: 'The subset those requests go to' })
    .example('$0 match-cookie reviews canary=true --subset v2', 'browsers with cookie canary=true get v2'),
  async run(raw, ctx) {
    const args = raw as unknown as Args;
    const [name, value] = parseHeaderPair(String(args.pair));
    const intent = cookieIntent(name, value, String(args.subset));
    const marked = markedRoute(intent);
    const cluster = await ctx.connect(args);
    const plan = newPlanId(ctx.now());
    await runPlan(ctx, cluster, {
      ...mutationTarget(args), hosts: serviceHosts(args.service, cluster.namespace, args.vs),
      build: async (reads) => {
        const request = { service: args.service, namespace: cluster.namespace, change: `match-cookie ${args.pair} --subset ${args.subset}`, verb: 'matched', now: ctx.now(), plan };
        const routes = await gatewayRoutesOf(reads, args);
        if (routes.length > 0) return planGatewayMatch(routes, await reads.virtualServices(), request, intent);
        return planMarkedRoutes(await reads.virtualServices(), { ...request, vsName: args.vs }, marked);
      },
    });
    return EXIT.ok;
  },
};
