import { planGatewayWeights } from '../../core/gateway-api/plan.js';
import { planRouteEdit } from '../../core/service-plan.js';
import { setServiceWeight } from '../../core/traffic.js';
import { parseWeightIntents } from '../../core/weights.js';
import { gatewayRoutesOf, newPlanId, runPlan, serviceHosts } from '../apply.js';
import type { GrayCommand } from '../command.js';
import { EXIT } from '../context.js';
import { type TargetArgs, mutationTarget, withMutationFlags } from '../options.js';

interface Args extends TargetArgs { weights: string[]; 'keep-zero'?: boolean; base?: string }

export const setWeightCommand: GrayCommand = {
  command: 'set-weight <service> <weights..>',
  describe: 'Give subsets exact percents of the service\'s traffic on every way in; the rest keeps its proportions',
  builder: (y) => withMutationFlags(y)
    .positional('weights', { type: 'string', array: true, describe: 'SUBSET=PERCENT, integers whose total is at most 100' })
    .option('keep-zero', { type: 'boolean', describe: 'Keep destinations that end at 0% in the route (as weight 0)' })
    .option('base', { type: 'string', describe: 'The subset the rest stays on where a route sends to the bare host (no subset)' })
    .example('$0 set-weight reviews v2=10', 'v2 gets 10%; v1 keeps the other 90% (in every VirtualService that routes to reviews)')
    .example('$0 set-weight reviews v2=50 -n shop --dry-run=client', 'show the plan as a diff, write nothing')
    .example('$0 set-weight productpage v2=10 --base v1', 'a gateway route to the bare host: 90% to v1, 10% to v2')
    .example('$0 set-weight reviews v2=10', 'with Gateway API routes (an HTTPRoute or GRPCRoute whose parent is Service reviews): backend reviews-v2 gets 10%'),
  async run(raw, ctx) {
    const args = raw as unknown as Args;
    const intents = parseWeightIntents(args.weights.map(String));
    const cluster = await ctx.connect(args);
    const target = mutationTarget(args);
    const plan = newPlanId(ctx.now());
    const request = { service: args.service, namespace: cluster.namespace, change: `set-weight ${args.weights.join(' ')}`, verb: 'reweighted', now: ctx.now(), plan };
    await runPlan(ctx, cluster, {
      ...target, hosts: serviceHosts(args.service, cluster.namespace, args.vs),
      build: async (reads) => {
        const routes = await gatewayRoutesOf(reads, args);
        if (routes.length > 0) return planGatewayWeights(routes, await reads.virtualServices(), request, intents, { keepZero: args['keep-zero'] });
        return planRouteEdit(await reads.virtualServices(), { ...request, vsName: args.vs, routeName: args.route }, (vs, i, fqdn) => setServiceWeight(vs, i, fqdn, intents, { keepZero: args['keep-zero'], base: args.base }), { recordStable: true, stableFallback: args.base });
      },
    });
    return EXIT.ok;
  },
};
