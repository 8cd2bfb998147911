import { IntentError } from '../../core/errors.js';
import { type MatchKind, markedRoute, parseHeaderPair } from '../../core/ops/match.js';
import { planMarkedRoutes } from '../../core/service-plan.js';
import { planGatewayMatch } from '../../core/gateway-api/plan.js';
import { gatewayRoutesOf, newPlanId, runPlan, serviceHosts } from '../apply.js';
import type { GrayCommand } from '../command.js';
import { EXIT } from '../context.js';
import { type TargetArgs, mutationTarget, withMutationFlags } from '../options.js';

interface Args extends TargetArgs { pair: string; subset: string; prefix?: boolean; regex?: boolean }

export const matchHeaderCommand: GrayCommand = {
  command: 'match-header <service> <pair>',
  describe: 'Send requests with a header value to a subset (a route before each general route, on every way in)',
  builder: (y) => withMutationFlags(y, { route: false })
    .positional('pair', { type: 'string', describe: 'NAME=VALUE of the request header' })
    .option('subset', { type: 'string', demandOption: true, describe: 'The subset those requests go to' })
    .option('prefix', { type: 'boolean', describe: 'Match header values that start with VALUE' })
    .option('regex', { type: 'boolean', describe: 'VALUE is an RE2 regular expression (the dialect Envoy uses)' })
    .conflicts('prefix', 'regex')
    .example('$0 match-header reviews end-user=jason --subset v3', 'jason gets v3; everyone else keeps the default route')
    .example("$0 match-header reviews user-agent='.*Mobile.*' --regex --subset v2", 'mobile clients get v2'),
  async run(raw, ctx) {
    const args = raw as unknown as Args;
    const [header, value] = parseHeaderPair(String(args.pair));
    const kind: MatchKind = args.regex ? 'regex' : args.prefix ? 'prefix' : 'exact';
    if (kind === 'prefix' && value === '') throw new IntentError(`"${args.pair}": a prefix match needs a non-empty VALUE`);
    const intent = { header, value, kind, subset: String(args.subset) };
    const marked = markedRoute(intent);
    const cluster = await ctx.connect(args);
    const plan = newPlanId(ctx.now());
    await runPlan(ctx, cluster, {
      ...mutationTarget(args), hosts: serviceHosts(args.service, cluster.namespace, args.vs),
      build: async (reads) => {
        const request = {
          service: args.service, namespace: cluster.namespace,
          change: `match-header ${args.pair}${kind === 'exact' ? '' : ` --${kind}`} --subset ${args.subset}`, verb: 'matched', now: ctx.now(), plan,
        };
        const routes = await gatewayRoutesOf(reads, args);
        if (routes.length > 0) return planGatewayMatch(routes, await reads.virtualServices(), request, intent);
        return planMarkedRoutes(await reads.virtualServices(), { ...request, vsName: args.vs }, marked);
      },
    });
    return EXIT.ok;
  },
};
