import { IntentError } from '../../core/errors.js';
import { type Lane, LANE_ANNOTATION_PREFIX, laneOf, laneRouteName, validateLaneName, withLaneRoute, withoutLaneRoute } from '../../core/lane.js';
import { parseHeaderPair } from '../../core/ops/match.js';
import type { VirtualService } from '../../core/model.js';
import { RuleViolation } from '../../core/errors.js';
import { errorsOf } from '../../core/rules.js';
import { findVirtualService, selectRoute } from '../../core/target.js';
import { isCatchAll } from '../../core/validate.js';
import { reviewIstioObject } from '../../core/admission.js';
import { resolveHost } from '../../core/hosts.js';
import { lookupSubsets } from '../../core/subsets.js';
import type { GrayCommand } from '../command.js';
import { type CommandContext, EXIT } from '../context.js';
import type { DryRun, GrayCluster } from '../kube/cluster.js';
import { clusterPolicy, mutateVirtualService, visibleDestinationRules } from '../mutate.js';
import { type GlobalArgs, checkOutput, parseDryRun } from '../options.js';
import { printObject } from '../render/mutation.js';
import { table } from '../render/table.js';
import { gatherStatus, memoizedReads } from './status.js';

interface Args extends GlobalArgs {
  action: string; name: string; header?: string; services?: string; subset: string; 'dry-run': DryRun; output?: string;
}

/** What a lane records on each VirtualService it touches (annotation lane.kubectl-gray.io/NAME). */
interface LaneRecord { header: string; value: string; subset: string; services: string[]; fallback?: boolean }

export const laneCommand: GrayCommand = {
  command: 'lane <action> <name>',
  describe: 'Full-link gray: keep requests with one header on canary across a chain of services (create|status|delete)',
  builder: (y) => y
    .positional('action', { type: 'string', choices: ['create', 'status', 'delete'] })
    .positional('name', { type: 'string', describe: 'The lane\'s name' })
    .option('header', { type: 'string', describe: 'create: HEADER=VALUE that marks a request, e.g. my-request-id=canary' })
    .option('services', { type: 'string', describe: 'create: the chain, in call order, e.g. mocka,mockb' })
    .option('subset', { type: 'string', default: 'canary', describe: 'create: the subset marked requests go to where a service has it' })
    .option('dry-run', { type: 'string', default: 'none', coerce: parseDryRun, describe: 'none|client|server' })
    .option('output', { alias: 'o', type: 'string', describe: 'status: json|yaml' })
    .example('$0 lane create canary --header my-request-id=canary --services mocka,mockb', 'marked requests stay on canary through mocka and mockb')
    .example('$0 lane status canary', 'every hop: route order, subset, ready pods')
    .example('$0 lane delete canary', 'undo exactly what create did'),
  async run(raw, ctx) {
    const args = raw as unknown as Args;
    validateLaneName(args.name);
    checkOutput(args.output, ['json', 'yaml']);
    if (args.action === 'create') return createLane(ctx, args);
    const cluster = await ctx.connect(args);
    if (args.action === 'status') return laneStatus(ctx, cluster, args);
    return deleteLane(ctx, cluster, args.name, args['dry-run']);
  },
};

function record(vs: VirtualService, lane: string): LaneRecord | undefined {
  return laneOf(vs, lane) as LaneRecord | undefined;
}

async function createLane(ctx: CommandContext, args: Args): Promise<number> {
  if (!args.header) throw new IntentError('lane create needs --header HEADER=VALUE, e.g. --header my-request-id=canary');
  if (!args.services) throw new IntentError('lane create needs --services, the chain in call order, e.g. --services mocka,mockb');
  const [header, value] = parseHeaderPair(args.header, 'HEADER=VALUE');
  const services = args.services.split(',').map((s) => s.trim()).filter(Boolean);
  if (new Set(services).size !== services.length) throw new IntentError(`--services "${args.services}" names a service twice`);
  const lane: Lane = { name: args.name, header: header.toLowerCase(), value, subset: args.subset };
  const cluster = await ctx.connect(args);
  const ns = cluster.namespace;

  // Plan every hop before writing any, so a problem anywhere changes nothing.
  const all = await cluster.listVirtualServices(ns);
  const plans: Array<{ service: string; vs: VirtualService; fallback: boolean }> = [];
  const policy = await clusterPolicy(cluster);
  for (const service of services) {
    const vs = findVirtualService(service, ns, all);
    selectRoute(vs); // a default route is needed: the lane route goes just before it
    // The lane route goes to the service's own host, so it sees the same rules as the route it precedes.
    const destinationRules = await visibleDestinationRules(cluster, vs);
    const { subsets } = lookupSubsets(resolveHost(service, ns), ns, destinationRules);
    const fallback = !subsets.includes(lane.subset);
    const next = fallback ? vs : withLaneRoute(vs, lane);
    const errors = errorsOf(reviewIstioObject({
      operation: 'UPDATE', object: next, oldObject: vs, virtualServices: [],
      destinationRules, policy, now: ctx.now(),
    }));
    if (errors.length) throw new RuleViolation(errors);
    plans.push({ service, vs, fallback });
  }
  const done: string[] = [];
  try {
    for (const plan of plans) {
      const rec: LaneRecord = { header: lane.header, value: lane.value, subset: lane.subset, services, ...(plan.fallback ? { fallback: true } : {}) };
      await mutateVirtualService(ctx, cluster, {
        service: plan.service, vsName: plan.vs.metadata.name, dryRun: args['dry-run'],
        change: `lane create ${lane.name}${plan.fallback ? ' (falls back to the default route)' : ''}`, verb: 'configured',
        edit: (current) => {
          const next = plan.fallback ? withoutLaneRoute(current, lane.name) : withLaneRoute(current, lane);
          next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [LANE_ANNOTATION_PREFIX + lane.name]: JSON.stringify(rec) };
          return { next };
        },
      });
      done.push(plan.service);
      if (plan.fallback) ctx.io.err(`Note: ${plan.service} has no subset "${lane.subset}"; marked requests stay on its default route.\n`);
    }
  } catch (err) {
    // Never leave half a lane: take back the hops already written, then report the failure.
    if (done.length > 0 && args['dry-run'] === 'none') {
      ctx.io.err(`error: lane ${lane.name} failed after ${done.join(', ')}; undoing those hops\n`);
      await deleteLane(ctx, cluster, lane.name, 'none').catch(() => undefined);
    }
    throw err;
  }
  return EXIT.ok;
}

async function deleteLane(ctx: CommandContext, cluster: GrayCluster, name: string, dryRun: DryRun): Promise<number> {
  const ns = cluster.namespace;
  const members = (await cluster.listVirtualServices(ns)).filter((vs) => record(vs, name) || (vs.spec.http ?? []).some((r) => r.name === laneRouteName(name)));
  if (members.length === 0) throw new IntentError(`no lane "${name}" in namespace ${ns}`);
  for (const vs of members) {
    await mutateVirtualService(ctx, cluster, {
      service: '', vsName: vs.metadata.name, dryRun, change: `lane delete ${name}`, verb: 'configured',
      edit: (current) => ({ next: withoutLaneRoute(current, name) }),
    });
  }
  return EXIT.ok;
}

async function laneStatus(ctx: CommandContext, cluster: GrayCluster, args: Args): Promise<number> {
  const ns = cluster.namespace;
  const members = (await cluster.listVirtualServices(ns)).filter((vs) => record(vs, args.name));
  if (members.length === 0) throw new IntentError(`no lane "${args.name}" in namespace ${ns}`);
  const order = record(members[0]!, args.name)!.services;
  members.sort((a, b) => order.indexOf(serviceOf(a, order)) - order.indexOf(serviceOf(b, order)));
  const reads = memoizedReads(cluster);
  const hops = await Promise.all(members.map(async (vs, i) => {
    const rec = record(vs, args.name)!;
    const status = await gatherStatus(reads, vs);
    const laneIndex = (vs.spec.http ?? []).findIndex((r) => r.name === laneRouteName(args.name));
    const defaultIndex = (vs.spec.http ?? []).findIndex((r) => isCatchAll(r));
    const subset = status.subsets.find((s) => s.subset === rec.subset);
    const state = rec.fallback || laneIndex < 0 ? 'falls back to the default route'
      : laneIndex > defaultIndex ? 'unreachable: lane route after the default route'
      : !subset?.defined ? 'subset undefined: 503'
      : subset.ready === 0 ? 'no ready pod: 503 no healthy upstream' : 'on canary';
    return {
      hop: i + 1, service: serviceOf(vs, order), virtualService: vs.metadata.name,
      match: `${rec.header}: ${rec.value}`, route: laneIndex < 0 ? '-' : `http[${laneIndex}] before default http[${defaultIndex}]`,
      subset: rec.fallback || laneIndex < 0 ? '(default)' : rec.subset, ready: subset ? `${subset.ready}/${subset.pods}` : '-', state,
    };
  }));
  if (args.output === 'json' || args.output === 'yaml') printObject(ctx.io, { lane: args.name, namespace: ns, hops }, args.output);
  else {
    ctx.io.out(`Lane ${args.name} in ${ns}: requests with ${hops[0]!.match}\n\n`);
    ctx.io.out(table(['HOP', 'SERVICE', 'ROUTE', 'SUBSET', 'READY', 'STATE'], hops.map((h) => [String(h.hop), h.service, h.route, h.subset, h.ready, h.state])));
  }
  return hops.some((h) => h.state.includes('503') || h.state.startsWith('unreachable')) ? EXIT.refused : EXIT.ok;
}

function serviceOf(vs: VirtualService, services: string[]): string {
  const ns = vs.metadata.namespace ?? 'default';
  return services.find((s) => (vs.spec.hosts ?? []).some((h) => resolveHost(h, ns) === resolveHost(s, ns))) ?? vs.metadata.name;
}
