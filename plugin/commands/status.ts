import { IntentError } from '../../core/errors.js';
import type { GatewayRoute } from '../../core/gateway-api/model.js';
import { bothModels, serviceOf } from '../../core/gateway-api/plan.js';
import { type ServiceName, meshVirtualServicesFor, misgroupedRoutesFor, routesFor, routesService } from '../../core/gateway-api/routes.js';
import { checkGatewayRoute } from '../../core/gateway-api/rules.js';
import { type GatewayRouteStatus, buildGatewayRouteStatus, gatewayRouteDegraded } from '../../core/gateway-api/status.js';
import { ISTIO_ROOT_NAMESPACE, resolveHost, serviceName, serviceNamespace } from '../../core/hosts.js';
import { type VirtualService, namespaceOf } from '../../core/model.js';
import { destinationsOf } from '../../core/destinations.js';
import { errorsOf } from '../../core/rules.js';
import { type EntryStatus, type PodInfo, type ServiceStatus, buildStatus } from '../../core/status.js';
import { describeWays, resolveEntryPoints } from '../../core/traffic.js';
import type { GrayCommand } from '../command.js';
import { EXIT } from '../context.js';
import type { GrayCluster } from '../kube/cluster.js';
import { Reads, serviceHosts, visibleDestinationRules } from '../apply.js';
import { type GlobalArgs, checkOutput, isObjectOutput } from '../options.js';
import { printObject } from '../render/mutation.js';
import { renderGatewayRouteStatus } from '../render/gateway-status.js';
import { renderEntryPoints, renderStatus } from '../render/status.js';

interface Args extends GlobalArgs { service?: string; vs?: string; output?: string; 'all-namespaces'?: boolean }

const FORMATS = ['wide', 'json', 'yaml'];

export const statusCommand: GrayCommand = {
  command: 'status [service]',
  describe: 'Show where traffic goes, the pods behind each subset, and 503 risks',
  builder: (y) => y
    .positional('service', { type: 'string', describe: 'The service (default: every VirtualService in the namespace)' })
    .option('vs', { type: 'string', describe: 'Show this VirtualService instead of finding it by host' })
    .option('all-namespaces', { alias: 'A', type: 'boolean', describe: 'Every VirtualService in every namespace' })
    .option('output', { alias: 'o', type: 'string', describe: `${FORMATS.join('|')}|jsonpath=TEMPLATE` })
    .example('$0 status reviews', 'routes, weights, mirror and ready pods per subset')
    .example('$0 status -A -o json', 'everything, for scripts; exits 3 when a route would answer 503 (undefined subset, no ready pod) or breaks a rule'),
  async run(raw, ctx) {
    const args = raw as unknown as Args;
    checkOutput(args.output, FORMATS);
    if (args['all-namespaces'] && (args.service || args.vs)) throw new IntentError('-A shows every VirtualService; do not name one');
    const cluster = await ctx.connect(args);
    const scope = args['all-namespaces'] ? undefined : cluster.namespace;
    const named = !!(args.service || args.vs);
    const perNamespace = memoizedReads(cluster);
    if (args.service) prefetch(perNamespace, resolveHost(args.service, cluster.namespace));
    // A service: every VirtualService through which traffic reaches it, in any namespace this user can read.
    const reads = named ? new Reads(cluster, serviceHosts(args.service, cluster.namespace, args.vs)) : undefined;
    // A service's Gateway API mesh routes (an HTTPRoute or GRPCRoute whose parent is the Service), read beside its VirtualServices.
    const service = args.service && !args.vs ? serviceOf(args.service, cluster.namespace) : undefined;
    const gatewayRead = service ? reads!.gatewayRoutes() : Promise.resolve([]);
    gatewayRead.catch(() => undefined);
    const all = reads ? await reads.virtualServices() : await cluster.listVirtualServices(scope);
    for (const note of reads?.notes ?? []) ctx.io.err(`${note}\n`);
    // Routes that name the Service without group "" are shown too: istiod ignores them, and the user should hear it.
    const routes = service ? [...routesFor(await gatewayRead, service), ...misgroupedRoutesFor(await gatewayRead, service)] : [];
    let entries: Array<{ vs: VirtualService; entry?: EntryStatus }>;
    try {
      entries = named
        ? resolveEntryPoints({ service: args.service ?? '', namespace: cluster.namespace, vsName: args.vs }, all).map((e) => ({
          vs: e.vs,
          entry: args.service ? { service: args.service, via: describeWays(e.ways), routes: e.routes, otherRoutes: e.otherRoutes } : undefined,
        }))
        : all.map((vs) => ({ vs }));
    } catch (err) {
      // No VirtualService routes to it: its Gateway API routes may.
      if (!(err instanceof IntentError && routes.length > 0)) throw err;
      entries = [];
    }
    if (entries.length === 0 && routes.length === 0) {
      ctx.io.err(`No VirtualServices found in ${scope ? `${scope} namespace` : 'any namespace'}.\n`);
      return EXIT.ok;
    }
    const [statuses, routeStatuses] = await Promise.all([
      Promise.all(entries.map(async ({ vs, entry }) => ({ ...(await gatherStatus(perNamespace, vs, all)), ...(entry ? { entry } : {}) }))),
      Promise.all(routes.map((r) => gatherRouteStatus(perNamespace, r, service!, all))),
    ]);
    // Both models for one Service: Istio uses one and ignores the other. Said, not guessed at.
    const secondModel = service && routes.some((r) => routesService(r, service)) ? meshVirtualServicesFor(service, all) : [];
    if (isObjectOutput(args.output)) {
      const shown = [...statuses, ...routeStatuses];
      printObject(ctx.io, shown.length === 1 && named ? shown[0] : shown, args.output);
    } else {
      if (statuses.length > 1 && args.service) renderEntryPoints(ctx.io, statuses);
      statuses.forEach((s, i) => {
        if (i > 0) ctx.io.out('\n');
        renderStatus(ctx.io, s, args.output === 'wide');
      });
      routeStatuses.forEach((s, i) => {
        if (i > 0 || statuses.length > 0) ctx.io.out('\n');
        renderGatewayRouteStatus(ctx.io, s);
      });
    }
    if (secondModel.length > 0) ctx.io.err(`Warning: ${bothModels(service!, routes, secondModel)}; keep one model per Service\n`);
    // Degraded (like Argo Rollouts' status): a rule error, or a routed subset that would answer 503.
    const degraded = secondModel.length > 0 || statuses.some((s) => errorsOf(s.findings).length > 0 || s.subsets.some((x) => x.risk)) || routeStatuses.some(gatewayRouteDegraded);
    return degraded ? EXIT.refused : EXIT.ok;
  },
};

/** Many VirtualServices share namespaces: read each namespace's rules, pods and Services once per run. */
export function memoizedReads(cluster: GrayCluster): GrayCluster {
  const memo = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, read: () => Promise<T>): Promise<T> => {
    if (!memo.has(key)) memo.set(key, read());
    return memo.get(key) as Promise<T>;
  };
  return Object.assign(Object.create(cluster) as GrayCluster, {
    listDestinationRules: (ns: string | undefined) => once(`dr/${ns}`, () => cluster.listDestinationRules(ns)),
    listServices: (ns: string) => once(`services/${ns}`, () => cluster.listServices(ns)),
    listPods: (ns: string) => once(`pods/${ns}`, () => cluster.listPods(ns)),
    getService: (ns: string, name: string) => once(`svc/${ns}/${name}`, () => cluster.getService(ns, name)),
  });
}

/**
 * What the status of a service almost always reads, whatever its routes say: the Service and its namespace's pods,
 * the DestinationRules there and in the root namespace. They go out beside the routes' read, not after it; a
 * read that turns out not to be needed is dropped, failure and all.
 */
function prefetch(cluster: GrayCluster, host: string): void {
  const ns = serviceNamespace(host);
  if (!ns) return;
  for (const read of [cluster.getService(ns, serviceName(host)), cluster.listPods(ns), cluster.listDestinationRules(ns), cluster.listDestinationRules(ISTIO_ROOT_NAMESPACE)]) {
    read.catch(() => undefined);
  }
}

/** What status shows of a Gateway API route: its backends' Services and pods, its findings against them. */
async function gatherRouteStatus(cluster: GrayCluster, route: GatewayRoute, service: ServiceName, virtualServices: readonly VirtualService[]): Promise<GatewayRouteStatus> {
  const backends = (route.spec.rules ?? []).flatMap((r) => r.backendRefs ?? []).map((b) => ({ namespace: b.namespace ?? namespaceOf(route), name: b.name }));
  const namespaces = [...new Set([namespaceOf(route), service.namespace, ...backends.map((b) => b.namespace)])];
  const [services, podLists] = await Promise.all([
    Promise.all(namespaces.map((n) => cluster.listServices(n))),
    Promise.all(namespaces.map(async (n) => [n, await cluster.listPods(n)] as const)),
  ]);
  const known = services.flat();
  const serviceSelectors = new Map(backends.map((b) => {
    const svc = known.find((s) => namespaceOf(s) === b.namespace && s.metadata.name === b.name);
    return [`${b.namespace}/${b.name}`, svc ? ((svc['spec'] as { selector?: Record<string, string> } | undefined)?.selector ?? {}) : undefined] as const;
  }));
  const findings = checkGatewayRoute(route, { services: known, virtualServices });
  return buildGatewayRouteStatus(route, service, { serviceSelectors, pods: new Map(podLists), findings });
}

/** Everything status needs for one VirtualService: rules it can see, Service selectors, pods. */
export async function gatherStatus(cluster: GrayCluster, vs: VirtualService, virtualServices?: readonly VirtualService[]): Promise<ServiceStatus> {
  const ns = vs.metadata.namespace ?? cluster.namespace;
  const destinationRules = await visibleDestinationRules(cluster, vs);
  const hosts = new Set([...(vs.spec.hosts ?? []), ...destinationsOf(vs).map((d) => d.destination.host)].map((h) => resolveHost(h, ns)));
  const services = [...hosts].flatMap((host) => {
    const svcNs = serviceNamespace(host);
    return svcNs ? [{ namespace: svcNs, name: serviceName(host) }] : []; // external hosts have no pods to count
  });
  const [selectors, podLists] = await Promise.all([
    Promise.all(services.map(async (s) => [`${s.namespace}/${s.name}`, (await cluster.getService(s.namespace, s.name))?.selector] as const)),
    Promise.all([...new Set(services.map((s) => s.namespace))].map(async (n) => [n, await cluster.listPods(n)] as const)),
  ]);
  const serviceSelectors = new Map(selectors);
  const pods = new Map<string, PodInfo[]>(podLists);
  return buildStatus(vs, { destinationRules, serviceSelectors, pods, ...(virtualServices ? { virtualServices } : {}) });
}
