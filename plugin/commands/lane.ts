import { IntentError } from '../../core/errors.js';
import { resolveHost } from '../../core/hosts.js';
import { type Lane, laneHop, laneMembers, laneOf, planLaneCreate, planLaneDelete, validateLaneName } from '../../core/lane.js';
import { describeObject } from '../../core/model.js';
import { parseHeaderPair } from '../../core/ops/match.js';
import { carriesService } from '../../core/traffic.js';
import { Reads, newPlanId, runPlan } from '../apply.js';
import type { GrayCommand } from '../command.js';
import { type CommandContext, EXIT } from '../context.js';
import type { DryRun, GrayCluster } from '../kube/cluster.js';
import { type GlobalArgs, checkOutput, isObjectOutput, parseDryRun, withForceFlag } from '../options.js';
import { printObject } from '../render/mutation.js';
import { table } from '../render/table.js';
import { gatherStatus, memoizedReads } from './status.js';

interface Args extends GlobalArgs {
  action: string; name: string; header?: string; services?: string; subset: string; 'dry-run': DryRun; output?: string; force?: boolean;
}

export const laneCommand: GrayCommand = {
  command: 'lane <action> <name>',
  describe: 'Full-link gray: keep requests with one header on canary across a chain of services (create|status|delete)',
  builder: (y) => withForceFlag(y
    .positional('action', { type: 'string', choices: ['create', 'status', 'delete'] })
    .positional('name', { type: 'string', describe: 'The lane\'s name' })
    .option('header', { type: 'string', describe: 'create: HEADER=VALUE that marks a request, e.g. my-request-id=canary' })
    .option('services', { type: 'string', describe: 'create: the chain, in call order, e.g. mocka,mockb' })
    .option('subset', { type: 'string', default: 'canary', describe: 'create: the subset marked requests go to where a service has it' })
    .option('dry-run', { type: 'string', default: 'none', coerce: parseDryRun, describe: 'none|client (the plan as a diff)|server' })
    .option('output', { alias: 'o', type: 'string', describe: 'status: json|yaml|jsonpath=TEMPLATE' }))
    .example('$0 lane create canary --header my-request-id=canary --services mocka,mockb', 'marked requests stay on canary through mocka and mockb, on every way in')
    .example('$0 lane status canary', 'every hop: route order, subset, ready pods')
    .example('$0 lane delete canary', 'undo exactly what create did'),
  async run(raw, ctx) {
    const args = raw as unknown as Args;
    validateLaneName(args.name);
    checkOutput(args.output, ['json', 'yaml']);
    if (args.action === 'create') return createLane(ctx, args);
    const cluster = await ctx.connect(args);
    if (args.action === 'status') return laneStatus(ctx, cluster, args);
    const plan = newPlanId(ctx.now());
    await runPlan(ctx, cluster, {
      dryRun: args['dry-run'], force: args.force,
      build: async (reads) => planLaneDelete(await reads.virtualServices(), args.name, { namespace: cluster.namespace, now: ctx.now(), plan }),
    });
    return EXIT.ok;
  },
};

async function createLane(ctx: CommandContext, args: Args): Promise<number> {
  if (!args.header) throw new IntentError('lane create needs --header HEADER=VALUE, e.g. --header my-request-id=canary');
  if (!args.services) throw new IntentError('lane create needs --services, the chain in call order, e.g. --services mocka,mockb');
  const [header, value] = parseHeaderPair(args.header, 'HEADER=VALUE');
  const services = args.services.split(',').map((s) => s.trim()).filter(Boolean);
  if (new Set(services).size !== services.length) throw new IntentError(`--services "${args.services}" names a service twice`);
  const lane: Lane = { name: args.name, header: header.toLowerCase(), value, subset: args.subset };
  const cluster = await ctx.connect(args);
  const plan = newPlanId(ctx.now());
  await runPlan(ctx, cluster, {
    dryRun: args['dry-run'], force: args.force, hosts: services.map((s) => resolveHost(s, cluster.namespace)),
    build: async (reads) => planLaneCreate(await reads.virtualServices(), await reads.destinationRules(), lane, services, { namespace: cluster.namespace, now: ctx.now(), plan }),
  });
  return EXIT.ok;
}

async function laneStatus(ctx: CommandContext, cluster: GrayCluster, args: Args): Promise<number> {
  const ns = cluster.namespace;
  const members = laneMembers(await new Reads(cluster).virtualServices(), args.name).filter((vs) => laneOf(vs, args.name));
  if (members.length === 0) throw new IntentError(`no lane "${args.name}" in namespace ${ns}`);
  const rec = laneOf(members[0]!, args.name)!;
  const reads = memoizedReads(cluster);
  const rows = rec.services.flatMap((service, hop) => {
    const fqdn = resolveHost(service, ns);
    return members.filter((vs) => (vs.spec.http ?? []).some((r) => carriesService(vs, r, fqdn))).map((vs) => ({ hop: hop + 1, service, fqdn, vs }));
  });
  const several = new Set(rows.map((r) => r.service)).size !== rows.length;
  const hops = await Promise.all(rows.map(async ({ hop, service, fqdn, vs }) => {
    const record = laneOf(vs, args.name)!;
    const status = await gatherStatus(reads, vs);
    const { laneIndex, generalIndex } = laneHop(vs, fqdn, args.name);
    const fallback = record.fallback || (record.fallbacks ?? []).includes(service);
    const subset = status.subsets.find((s) => s.host === fqdn && s.subset === record.subset);
    const state = fallback || laneIndex < 0 ? 'falls back to the default route'
      : generalIndex >= 0 && laneIndex > generalIndex ? 'unreachable: lane route after the default route'
      : !subset?.defined ? 'subset undefined: 503'
      : subset.ready === 0 ? 'no ready pod: 503 no healthy upstream' : 'on canary';
    return {
      hop, service, virtualService: describeObject(vs).replace(/^VirtualService /, ''),
      match: `${record.header}: ${record.value}`, route: laneIndex < 0 ? '-' : `http[${laneIndex}] before default http[${generalIndex}]`,
      subset: fallback || laneIndex < 0 ? '(default)' : record.subset, ready: subset ? `${subset.ready}/${subset.pods}` : '-', state,
    };
  }));
  if (isObjectOutput(args.output)) printObject(ctx.io, { lane: args.name, namespace: ns, hops }, args.output);
  else {
    ctx.io.out(`Lane ${args.name} in ${ns}: requests with ${hops[0]!.match}\n\n`);
    const header = several ? ['HOP', 'SERVICE', 'VIRTUALSERVICE', 'ROUTE', 'SUBSET', 'READY', 'STATE'] : ['HOP', 'SERVICE', 'ROUTE', 'SUBSET', 'READY', 'STATE'];
    ctx.io.out(table(header, hops.map((h) => [String(h.hop), h.service, ...(several ? [h.virtualService] : []), h.route, h.subset, h.ready, h.state])));
  }
  return hops.some((h) => h.state.includes('503') || h.state.startsWith('unreachable')) ? EXIT.refused : EXIT.ok;
}
