import { IntentError } from '../../core/errors.js';
import { selects } from '../../core/analyzers/inventory.js';
import { resolveHost } from '../../core/hosts.js';
import { type Lane, laneHop, laneMembers, laneOf, laneRouteName, planLaneCreate, planLaneDelete, validateLaneName } from '../../core/lane.js';
import { describeObject, namespaceOf } from '../../core/model.js';
import { parseHeaderPair } from '../../core/ops/match.js';
import { carriesService, isCopyOf } from '../../core/traffic.js';
import { gatewayLaneMembers, planGatewayLaneCreate, planGatewayLaneDelete } from '../../core/gateway-api/lane.js';
import { serviceOf } from '../../core/gateway-api/plan.js';
import { routesFor, routesService, versionBackendName } from '../../core/gateway-api/routes.js';
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
      build: async (reads) => {
        const req = { namespace: cluster.namespace, now: ctx.now(), plan };
        const routes = planGatewayLaneDelete(await reads.gatewayRoutes(), args.name, req);
        if (routes.length === 0) return planLaneDelete(await reads.virtualServices(), args.name, req);
        const vss = laneMembers(await reads.virtualServices(), args.name).length > 0 ? planLaneDelete(await reads.virtualServices(), args.name, req) : undefined;
        return { changes: [...(vss?.changes ?? []), ...routes], notes: [], undo: vss?.undo ?? `kubectl gray lane delete ${args.name} -n ${cluster.namespace}` };
      },
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
    build: async (reads) => {
      const req = { namespace: cluster.namespace, now: ctx.now(), plan };
      // Each service by the model that routes it: its Gateway API routes where it has any, else its VirtualServices.
      const all = await reads.gatewayRoutes();
      const hops = services.map((service) => ({ service, routes: routesFor(all, serviceOf(service, cluster.namespace)) })).filter((h) => h.routes.length > 0);
      const rest = services.filter((s) => !hops.some((h) => h.service === s));
      const routed = hops.length > 0 ? planGatewayLaneCreate(hops, await reads.services(cluster.namespace), lane, services, req) : { changes: [], notes: [] };
      const vss = rest.length > 0 ? planLaneCreate(await reads.virtualServices(), await reads.destinationRules(), lane, rest, req, services) : undefined;
      return { changes: [...(vss?.changes ?? []), ...routed.changes], notes: [...(vss?.notes ?? []), ...routed.notes], undo: `kubectl gray lane delete ${lane.name} -n ${cluster.namespace}` };
    },
  });
  return EXIT.ok;
}

async function laneStatus(ctx: CommandContext, cluster: GrayCluster, args: Args): Promise<number> {
  const ns = cluster.namespace;
  const all = new Reads(cluster);
  const members = laneMembers(await all.virtualServices(), args.name).filter((vs) => laneOf(vs, args.name));
  const routeMembers = gatewayLaneMembers(await all.gatewayRoutes(), args.name).filter((r) => laneOf(r, args.name));
  if (members.length === 0 && routeMembers.length === 0) throw new IntentError(`no lane "${args.name}" in namespace ${ns}`);
  const rec = laneOf(members[0] ?? routeMembers[0]!, args.name)!;
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
  // Hops routed by the Gateway API: the lane's rule, and the ready pods of its version Service.
  const routeRows = rec.services.flatMap((service, hop) => routeMembers.filter((r) => routesService(r, serviceOf(service, ns))).map((route) => ({ hop: hop + 1, service, route })));
  hops.push(...await Promise.all(routeRows.map(async ({ hop, service, route }) => {
    const record = laneOf(route, args.name)!;
    const rules = route.spec.rules ?? [];
    const laneIndex = rules.findIndex((r) => isCopyOf(r.name, laneRouteName(args.name)));
    const fallback = (record.fallbacks ?? []).includes(service) || laneIndex < 0;
    const backend = versionBackendName(service, record.subset);
    const selector = fallback ? undefined : (await reads.getService(namespaceOf(route), backend))?.selector;
    const pods = selector ? (await reads.listPods(namespaceOf(route))).filter((p) => selects(selector, p.labels)) : [];
    const ready = pods.filter((p) => p.ready).length;
    return {
      hop, service, virtualService: `${route.kind} ${namespaceOf(route)}/${route.metadata.name}`, match: `${record.header}: ${record.value}`,
      route: fallback ? '-' : `rules[${laneIndex}] ${rules[laneIndex]!.name}`, subset: fallback ? '(default)' : backend,
      ready: fallback ? '-' : `${ready}/${pods.length}`,
      state: fallback ? 'falls back to the default route' : !selector ? 'no version Service: its calls fail' : ready === 0 ? 'no ready pod: its calls fail' : 'on canary',
    };
  })));
  hops.sort((a, b) => a.hop - b.hop);
  if (isObjectOutput(args.output)) printObject(ctx.io, { lane: args.name, namespace: ns, hops }, args.output);
  else {
    ctx.io.out(`Lane ${args.name} in ${ns}: requests with ${hops[0]!.match}\n\n`);
    const header = several ? ['HOP', 'SERVICE', 'VIRTUALSERVICE', 'ROUTE', 'SUBSET', 'READY', 'STATE'] : ['HOP', 'SERVICE', 'ROUTE', 'SUBSET', 'READY', 'STATE'];
    ctx.io.out(table(header, hops.map((h) => [String(h.hop), h.service, ...(several ? [h.virtualService] : []), h.route, h.subset, h.ready, h.state])));
  }
  return hops.some((h) => h.state.includes('503') || h.state.includes('fail') || h.state.startsWith('unreachable')) ? EXIT.refused : EXIT.ok;
}
