import { planRouteEdit } from '../../core/service-plan.js';
import { switchService } from '../../core/traffic.js';
import { planGatewayWeights } from '../../core/gateway-api/plan.js';
import { gatewayRoutesOf, newPlanId, runPlan, serviceHosts } from '../apply.js';
import type { GrayCommand } from '../command.js';
import { EXIT } from '../context.js';
import { type TargetArgs, mutationTarget, withMutationFlags } from '../options.js';

interface Args extends TargetArgs { subset: string }

export const switchCommand: GrayCommand = {
  command: 'switch <service> <subset>',
  describe: 'Blue-green: all of the service\'s traffic to one subset, on every way in',
  builder: (y) => withMutationFlags(y)
    .positional('subset', { type: 'string', describe: 'The subset that takes all traffic' })
    .example('$0 switch reviews v2', 'all of reviews to v2 at once')
    .example('$0 switch reviews v1', 'and back'),
  async run(raw, ctx) {
    const args = raw as unknown as Args;
    const cluster = await ctx.connect(args);
    const plan = newPlanId(ctx.now());
    await runPlan(ctx, cluster, {
      ...mutationTarget(args), hosts: serviceHosts(args.service, cluster.namespace, args.vs),
      build: async (reads) => {
        const request = { service: args.service, namespace: cluster.namespace, change: `switch ${args.subset}`, verb: 'switched', now: ctx.now(), plan };
        const routes = await gatewayRoutesOf(reads, args);
        if (routes.length > 0) return planGatewayWeights(routes, await reads.virtualServices(), request, [{ subset: String(args.subset), percent: 100 }]);
        return planRouteEdit(await reads.virtualServices(), { ...request, vsName: args.vs, routeName: args.route },
          (vs, i, fqdn) => switchService(vs, i, fqdn, String(args.subset)), { recordStable: true });
      },
    });
    return EXIT.ok;
  },
};
