import { IntentError } from '../../core/errors.js';
import { describeObject } from '../../core/model.js';
import { parseMirrorPercent } from '../../core/ops/mirror.js';
import { planRouteEdit } from '../../core/service-plan.js';
import { clearServiceMirror, mirrorService, onlyService } from '../../core/traffic.js';
import { planGatewayMirror } from '../../core/gateway-api/plan.js';
import { gatewayRoutesOf, newPlanId, runPlan, serviceHosts } from '../apply.js';
import type { GrayCommand } from '../command.js';
import { EXIT } from '../context.js';
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
    const plan = newPlanId(ctx.now());
    await runPlan(ctx, cluster, {
      ...mutationTarget(args), hosts: serviceHosts(args.service, cluster.namespace, args.vs),
      build: async (reads) => {
        const request = {
          service: args.service, namespace: cluster.namespace,
          change: args.off ? 'mirror --off' : `mirror ${args.subset}${percent === undefined ? '' : ` --percent ${percent}`}`,
          verb: args.off ? 'unmirrored' : 'mirrored', now: ctx.now(), plan,
        };
        const routes = await gatewayRoutesOf(reads, args);
        if (routes.length > 0) return planGatewayMirror(routes, await reads.virtualServices(), request, args.off ? undefined : String(args.subset), percent);
        return planRouteEdit(await reads.virtualServices(), { ...request, vsName: args.vs, routeName: args.route }, (vs, i, fqdn) => {
          if (args.off) return clearServiceMirror(vs, i, fqdn);
          // A route shared with other services would copy their requests too: leave it, say so.
          return onlyService(vs, i, fqdn) ? mirrorService(vs, i, fqdn, String(args.subset), percent) : undefined;
        }, {
          recordStable: !args.off,
          skipped: (vs, i) => `${describeObject(vs)} spec.http[${i}] also sends to other services; not mirrored (a mirror copies every request of the route)`,
        });
      },
    });
    return EXIT.ok;
  },
};
