import { IntentError } from '../../core/errors.js';
import { ISTIO_ROOT_NAMESPACE, resolveHost, serviceName, serviceNamespace } from '../../core/hosts.js';
import type { VirtualService } from '../../core/model.js';
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
    const all = reads ? await reads.virtualServices() : await cluster.listVirtualServices(scope);
    for (const note of reads?.notes ?? []) ctx.io.err(`${note}\n`);
    const entries: Array<{ vs: VirtualService; entry?: EntryStatus }> = named
      ? resolveEntryPoints({ service: args.service ?? '', namespace: cluster.namespace, vsName: args.vs }, all).map((e) => ({
        vs: e.vs,
        entry: args.service ? { service: args.service, via: describeWays(e.ways), routes: e.routes, otherRoutes: e.otherRoutes } : undefined,
      }))
      : all.map((vs) => ({ vs }));
    if (entries.length === 0) {
      ctx.io.err(`No VirtualServices found in ${scope ? `${scope} namespace` : 'any namespace'}.\n`);
      return EXIT.ok;
    }
    const statuses = await Promise.all(entries.map(async ({ vs, entry }) => ({ ...(await gatherStatus(perNamespace, vs, all)), ...(entry ? { entry } : {}) })));
    if (isObjectOutput(args.output)) {
      printObject(ctx.io, statuses.length === 1 && named ? statuses[0] : statuses, args.output);
    } else {
      if (statuses.length > 1 && args.service) renderEntryPoints(ctx.io, statuses);
      statuses.forEach((s, i) => {
        if (i > 0) ctx.io.out('\n');
        renderStatus(ctx.io, s, args.output === 'wide');
      });
    }
    // Degraded (like Argo Rollouts' status): a rule error, or a routed subset that would answer 503.
    const degraded = statuses.some((s) => errorsOf(s.findings).length > 0 || s.subsets.some((x) => x.risk));
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
