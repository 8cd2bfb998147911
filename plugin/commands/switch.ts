import { planRouteEdit } from '../../core/service-plan.js';
import { switchService } from '../../core/traffic.js';
import { newPlanId, runPlan, serviceHosts } from '../apply.js';
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
      build: async (reads) => planRouteEdit(await reads.virtualServices(), {
        service: args.service, namespace: cluster.namespace, vsName: args.vs, routeName: args.route,
        change: `switch ${args.subset}`, verb: 'switched', now: ctx.now(), plan,
      }, (vs, i, fqdn) => switchService(vs, i, fqdn, String(args.subset)), { recordStable: true }),
    });
    return EXIT.ok;
  },
};
