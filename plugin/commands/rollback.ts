import { planRollback } from '../../core/service-plan.js';
import { planGatewayRollback } from '../../core/gateway-api/plan.js';
import { gatewayRoutesOf, newPlanId, runPlan, serviceHosts } from '../apply.js';
import type { GrayCommand } from '../command.js';
import { EXIT } from '../context.js';
import { type TargetArgs, mutationTarget, withMutationFlags } from '../options.js';

interface Args extends TargetArgs { to?: string }

export const rollbackCommand: GrayCommand = {
  command: 'rollback <service>',
  describe: 'End the release on every way in: drop the service\'s gray routes and mirror, 100% to the stable subset',
  builder: (y) => withMutationFlags(y, { route: false })
    .option('to', { type: 'string', describe: 'The subset to return to (default: the one recorded when the release started)' })
    .example('$0 rollback reviews', 'back to the subset that served before the release')
    .example('$0 rollback reviews --to v1', 'back to v1 whatever was recorded'),
  async run(raw, ctx) {
    const args = raw as unknown as Args;
    const cluster = await ctx.connect(args);
    const plan = newPlanId(ctx.now());
    await runPlan(ctx, cluster, {
      ...mutationTarget(args), hosts: serviceHosts(args.service, cluster.namespace, args.vs),
      build: async (reads) => {
        const request = { service: args.service, namespace: cluster.namespace, change: `rollback${args.to ? ` --to ${args.to}` : ''}`, verb: 'rolled back', now: ctx.now(), plan };
        const routes = await gatewayRoutesOf(reads, args);
        if (routes.length > 0) return planGatewayRollback(routes, await reads.virtualServices(), request, args.to);
        return planRollback(await reads.virtualServices(), { ...request, vsName: args.vs }, args.to);
      },
    });
    return EXIT.ok;
  },
};
