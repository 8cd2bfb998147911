// The one way a command changes the cluster: read once, build the plan (core), check the whole plan with
// the shared rules and the owners of what it edits, show it (--dry-run=client: a per-object diff; -o: the
// objects), then write in make-before-break order with the resourceVersions read. A Conflict re-reads and
// re-plans from the intent (the plan is idempotent: what was written already comes back unchanged). Any
// other failure stops, says what was written and the one command that undoes it.
import { randomBytes } from 'node:crypto';
import { IntentError, OwnedElsewhere, RuleViolation } from '../core/errors.js';
import { ISTIO_ROOT_NAMESPACE, hostMatches, resolveHost, serviceNamespace } from '../core/hosts.js';
import { INDEXED, INDEXED_LABEL, NOT_PLAINLY_INDEXED, hostLabelKey, hostSelectors, indexedHosts, isIndexed } from '../core/route-index.js';
import { shadowingOf } from '../core/analyzers/shadowed.js';
import { GATEWAY_API_VERSION, GATEWAY_ROUTE_RESOURCES, type GatewayRoute, type GatewayRouteKind } from '../core/gateway-api/model.js';
import { serviceOf } from '../core/gateway-api/plan.js';
import { misgroupedRoutesFor, routesFor } from '../core/gateway-api/routes.js';
import { resolveEntryPoints } from '../core/traffic.js';
import { type DestinationRule, type KubeObject, type VirtualService, describeObject, namespaceOf, objectKey } from '../core/model.js';
import { type Controllers, ownersOf } from '../core/ownership.js';
import { type Change, type Plan, KIND_GROUP, changeRef, checkPlan, ordered } from '../core/plan.js';
import { PolicyBook } from './admin-policy.js';
import { type Finding, errorsOf, exemptionNote, finding, formatFinding, warningsOf } from '../core/rules.js';
import { ApiError } from '../kube/errors.js';
import { MAX_ATTEMPTS, isRace } from '../kube/retry.js';
import type { CommandContext } from './context.js';
import type { DryRun, GrayCluster, ObjectRef } from './kube/cluster.js';
import { type MutationOutput, type ObjectOutput, isObjectOutput } from './options.js';
import { renderChangeDiff } from './render/diff.js';
import { printObject, printWrite } from './render/mutation.js';
import { describeRouteRules } from './render/gateway-status.js';
import { describeRoutes } from './render/routes.js';

/** How many VirtualServices a full read may find before the plugin says, once, that the cluster is large. */
export const LARGE_CLUSTER = 1_000;

/**
 * One consistent read of what a plan needs, each collection fetched at most once. Given the hosts a command is
 * about (the service it names), it reads the VirtualServices about them, through the route index where the webhook
 * keeps it (core/route-index.ts), else all of them; and the DestinationRules only where Istio looks them up for
 * those. Without hosts (lane delete and status, colouring), it reads everything.
 */
export class Reads {
  private readonly memo = new Map<string, Promise<unknown>>();
  /** What the reads found worth saying once on stderr (how routes were found in a large cluster). */
  readonly notes: string[] = [];
  /**
   * `fresh`: read each object the route query names from the API server, not from its answer (after a Conflict, or
   * to print it whole).
   */
  constructor(readonly cluster: GrayCluster, private readonly hosts?: readonly string[], private readonly fresh = false) {}

  get namespace(): string {
    return this.cluster.namespace;
  }

  private once<T>(key: string, read: () => Promise<T>): Promise<T> {
    if (!this.memo.has(key)) this.memo.set(key, read());
    return this.memo.get(key) as Promise<T>;
  }

  /**
   * The VirtualServices a plan is checked against: with hosts, those about them through the route index where it is
   * kept (those labelled with the hosts, then with the other hosts those name: a VirtualService for reviews that also
   * sends to ratings is checked against ratings' routes), else every one this user can read.
   */
  virtualServices(): Promise<VirtualService[]> {
    return this.once('vs', async () => {
      if (!this.hosts) return this.allVirtualServices();
      return (await this.queried(this.hosts)) ?? this.labelled(this.hosts);
    });
  }

  /** Through the route index's labels; every VirtualService where they are not kept (or not readable across namespaces). */
  private async labelled(hosts: readonly string[]): Promise<VirtualService[]> {
    // One answer: the VirtualServices with a wildcard host, and any the index has missed.
    let rest: VirtualService[];
    try {
      rest = await this.cluster.listVirtualServices(undefined, { labelSelector: NOT_PLAINLY_INDEXED });
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) return this.allVirtualServices();
      throw err;
    }
    if (rest.some((vs) => !isIndexed(vs))) {
      // Not kept, or not caught up: the others are the indexed ones.
      return this.noted([...rest, ...await this.cluster.listVirtualServices(undefined, { labelSelector: `${INDEXED_LABEL}=${INDEXED}` })]);
    }
    const found = new Map(rest.map((vs) => [objectKey(vs), vs]));
    const about = async (some: Iterable<string>) => {
      const lists = await Promise.all(hostSelectors(some).map((labelSelector) => this.cluster.listVirtualServices(undefined, { labelSelector })));
      for (const vs of lists.flat()) found.set(objectKey(vs), vs);
    };
    await about(hosts);
    const asked = new Set(hostSelectors(hosts));
    await about([...found.values()].flatMap((vs) => [...indexedHosts(vs)]).filter((h) => !asked.has(hostLabelKey(h))));
    return [...found.values()];
  }

  /**
   * The VirtualServices the webhook's route query finds for these hosts, as its answer carries them (else, or when
   * `fresh`, each read by name); undefined when the query is not served, or finds none: a VirtualService written a
   * moment ago may not have reached the webhook's cache yet, and the API server's lists then say. An answer a moment
   * old costs no lost update: a change is written with the resourceVersion it was planned from (a Conflict re-plans).
   */
  private async queried(hosts: readonly string[]): Promise<VirtualService[] | undefined> {
    const answers = await Promise.all(hosts.map((h) => this.cluster.serviceRoutes(this.namespace, h)));
    if (answers.some((a) => a === undefined)) return undefined;
    const refs = new Map(answers.flatMap((a) => a!).map((r) => [`${r.namespace}/${r.name}`, r]));
    if (refs.size === 0) return undefined;
    const read = await Promise.all([...refs.values()].map((r) => (r.object && !this.fresh ? r.object
      : this.cluster.get<VirtualService>({ resource: 'virtualservices', namespace: r.namespace, name: r.name }).catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 403) return undefined;
        throw err;
      }))));
    return read.filter((vs): vs is VirtualService => vs !== undefined);
  }

  /** Every VirtualService this user can read: all namespaces, or (403) the namespace alone. */
  private async allVirtualServices(): Promise<VirtualService[]> {
    const all = await this.cluster.listVirtualServices(undefined).catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 403) return this.cluster.listVirtualServices(this.namespace);
      throw err;
    });
    return this.hosts ? this.noted(all) : all;
  }

  /** All VirtualServices, read to find a few hosts' routes: said once when they are many. */
  private noted(all: VirtualService[]): VirtualService[] {
    if (all.length > LARGE_CLUSTER) {
      this.notes.push(`Note: read all ${all.length.toLocaleString('en-US')} VirtualServices to find the routes to ${this.hosts!.join(', ')}: `
        + 'this cluster keeps no route index (the kubectl-gray webhook\'s, chart value webhook.routeIndex.enabled), which would make it a few small reads.');
    }
    return all;
  }

  /**
   * The Gateway API's routes (HTTPRoute, GRPCRoute) in every namespace this user can read, or in theirs alone
   * when they may not list across namespaces; none where the Gateway API's CRDs are not installed (a 404, asked at
   * once rather than after the discovery request).
   */
  gatewayRoutes(): Promise<GatewayRoute[]> {
    return this.once('gateway-routes', async () => {
      const lists = await Promise.all((Object.entries(GATEWAY_ROUTE_RESOURCES) as Array<[GatewayRouteKind, string]>).map(async ([kind, resource]) => {
        try {
          return (await this.cluster.listEverywhere(GATEWAY_API_VERSION, resource, kind)) ?? [];
        } catch (err) {
          if (!(err instanceof ApiError && err.status === 403)) throw err;
          return (await this.cluster.listObjects(GATEWAY_API_VERSION, resource, this.namespace)).map((o) => ({ ...o, apiVersion: GATEWAY_API_VERSION, kind }));
        }
      }));
      return lists.flat() as GatewayRoute[];
    });
  }

  /** The Services of a namespace, whole (a Gateway API route's backends and parents are Services). */
  services(namespace: string): Promise<KubeObject[]> {
    return this.once(`services/${namespace}`, () => this.cluster.listServices(namespace));
  }

  /** The DestinationRules a plan is checked against. */
  destinationRules(): Promise<DestinationRule[]> {
    return this.once('dr', async () => {
      if (!this.hosts) {
        try {
          return await this.cluster.listDestinationRules(undefined);
        } catch (err) {
          if (!(err instanceof ApiError && err.status === 403)) throw err;
        }
      }
      const list = (n: string) => this.once(`dr/${n}`, () => this.cluster.listDestinationRules(n));
      // Istio looks in the namespace asked about and in the root whatever the routes say: those lists go out at once,
      // beside the routes' read, rather than after it.
      for (const n of [this.namespace, ISTIO_ROOT_NAMESPACE]) list(n).catch(() => undefined);
      const about = (vs: VirtualService) => !this.hosts || this.hosts.some((h) => [...indexedHosts(vs)].some((x) => hostMatches(x, h)));
      return destinationRulesFor(list, (await this.virtualServices()).filter(about), this.namespace);
    });
  }

  get<T extends KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    return this.once(`get/${ref.resource}/${ref.namespace}/${ref.name}`, () => this.cluster.get<T>(ref));
  }

  /**
   * The controllers that may own Istio objects, looked for only when their CRDs are served: one discovery
   * request says which (usually none is), then the served ones' objects are read together.
   */
  controllers(): Promise<Controllers> {
    return this.once('controllers', async () => {
      const served = await this.servedResources();
      const argo = served.get('argoproj.io/v1alpha1');
      const kruiseA = served.get('rollouts.kruise.io/v1alpha1');
      const kruiseB = served.get('rollouts.kruise.io/v1beta1');
      const kruise = kruiseB?.includes('rollouts') ? 'rollouts.kruise.io/v1beta1' : kruiseA?.includes('rollouts') ? 'rollouts.kruise.io/v1alpha1' : undefined;
      const argoCd = !!argo?.includes('applications');
      const none = Promise.resolve(undefined);
      const [cm, applications, argoRollouts, kruiseRollouts, kruiseTrafficRoutings] = await Promise.all([
        // Argo CD's own settings, where a default install keeps them (readable or not: then its defaults apply).
        argoCd ? this.cluster.get<KubeObject & { data?: Record<string, string> }>({ resource: 'configmaps', namespace: 'argocd', name: 'argocd-cm' }).catch(() => undefined) : none,
        argoCd ? this.cluster.listObjects('argoproj.io/v1alpha1', 'applications', undefined) : none,
        argo?.includes('rollouts') ? this.cluster.listObjects('argoproj.io/v1alpha1', 'rollouts', undefined) : none,
        kruise ? this.cluster.listObjects(kruise, 'rollouts', undefined) : none,
        kruiseA?.includes('trafficroutings') ? this.cluster.listObjects('rollouts.kruise.io/v1alpha1', 'trafficroutings', undefined) : none,
      ]);
      const out: Controllers = { argoCd };
      if (argoCd) {
        out.argoCdSettings = { trackingMethod: cm?.data?.['application.resourceTrackingMethod'], instanceLabelKey: cm?.data?.['application.instanceLabelKey'] };
        out.argoApplications = applications;
      }
      if (argoRollouts) out.argoRollouts = argoRollouts;
      if (kruiseRollouts) out.kruiseRollouts = kruiseRollouts;
      if (kruiseTrafficRoutings) out.kruiseTrafficRoutings = kruiseTrafficRoutings;
      return out;
    });
  }

  /** One discovery request: which of the controllers that could own what a plan edits are served. */
  servedResources(): ReturnType<GrayCluster['servedResources']> {
    return this.once('served', () => this.cluster.servedResources(['argoproj.io', 'rollouts.kruise.io']));
  }
}

/**
 * The hosts a command about SERVICE reads the routes of (see Reads); none (read everything) when it names a
 * VirtualService with --vs, which need not be about the service and must be found to say so.
 */
export function serviceHosts(service: string | undefined, namespace: string, vsName?: string): string[] | undefined {
  return service && !vsName ? [resolveHost(service, namespace)] : undefined;
}

/**
 * The Gateway API's mesh routes to a service (an HTTPRoute or GRPCRoute whose parent is the Service), where there
 * are any; none when --vs names a VirtualService. Flags that only mean something for VirtualServices are refused
 * for them, naming the routes.
 */
export async function gatewayRoutesOf(reads: Reads, args: { service: string; vs?: string; route?: string; base?: string }): Promise<GatewayRoute[]> {
  if (args.vs) return [];
  const all = await reads.gatewayRoutes();
  const service = serviceOf(args.service, reads.namespace);
  const routes = routesFor(all, service);
  const ignored = routes.length === 0 ? misgroupedRoutesFor(all, service) : [];
  if (ignored.length > 0) {
    throw new IntentError(`${ignored.map(describeObject).join(', ')} ${ignored.length === 1 ? 'names' : 'name'} Service ${service.name} as parent without group "" `
      + '(stored as gateway.networking.k8s.io), so istiod ignores it and kubectl gray will not edit a route that routes nothing: write group: "" beside kind: Service in its parentRefs');
  }
  const flag = routes.length > 0 ? (args.route ? '--route' : args.base ? '--base' : undefined) : undefined;
  if (flag) throw new IntentError(`${flag} is for VirtualServices; ${args.service} is routed by ${routes.map(describeObject).join(', ')}`);
  return routes;
}

/** An object kubectl gray keeps a history on: a VirtualService, or a Gateway API route. */
export type HistoryCarrier = VirtualService | GatewayRoute;

/**
 * The objects that carry a service's history: the VirtualServices through which traffic reaches it and its Gateway
 * API routes. Either may be none; not both (then the VirtualServices' error says what is missing).
 */
export async function historyCarriers(reads: Reads, args: { service: string; namespace: string; vs?: string }): Promise<HistoryCarrier[]> {
  const routes = await gatewayRoutesOf(reads, args);
  try {
    return [...resolveEntryPoints({ service: args.service, namespace: args.namespace, vsName: args.vs }, await reads.virtualServices()).map((e) => e.vs), ...routes];
  } catch (err) {
    if (err instanceof IntentError && routes.length > 0) return routes;
    throw err;
  }
}

/** The DestinationRules a VirtualService can see: its own namespace, its hosts' namespaces and the root. */
export function visibleDestinationRules(cluster: GrayCluster, vs: VirtualService): Promise<DestinationRule[]> {
  return destinationRulesFor((n) => cluster.listDestinationRules(n), [vs], namespaceOf(vs));
}

/**
 * The DestinationRules where Istio looks them up for these VirtualServices: their namespaces, their hosts' and the
 * root namespace. A namespace this user may not read counts as empty, except `own` (the user's answer to -n).
 */
async function destinationRulesFor(list: (namespace: string) => Promise<DestinationRule[]>, virtualServices: readonly VirtualService[], own: string): Promise<DestinationRule[]> {
  const namespaces = new Set([own, ISTIO_ROOT_NAMESPACE]);
  for (const vs of virtualServices) {
    namespaces.add(namespaceOf(vs));
    for (const h of indexedHosts(vs)) {
      const svcNs = serviceNamespace(h);
      if (svcNs) namespaces.add(svcNs);
    }
  }
  const lists = await Promise.all([...namespaces].map((n) => list(n).catch((err: unknown) => {
    if (n !== own && err instanceof ApiError && err.status === 403) return [];
    throw err;
  })));
  return lists.flat();
}

export function newPlanId(now: Date): string {
  return `${now.getTime().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export interface PlanRun {
  dryRun: DryRun;
  output?: MutationOutput;
  /** Edit objects that a controller (Flagger, Argo Rollouts, OpenKruise) manages. */
  force?: boolean;
  /** The hosts (FQDN) the command is about: only the routes about them are read (see Reads). */
  hosts?: readonly string[];
  build(reads: Reads): Promise<Plan>;
}

function printResult(ctx: CommandContext, c: Change, object: KubeObject | undefined, dryRun: DryRun, output: MutationOutput | undefined): void {
  if (output === 'name') return ctx.io.out(`${changeRef(c)}\n`);
  printWrite(ctx.io, KIND_GROUP[c.resource], c.name, c.verb, dryRun);
  if (c.resource === 'virtualservices' && c.action === 'update' && object) ctx.io.out(describeRoutes(object as VirtualService));
  if ((c.resource === 'httproutes' || c.resource === 'grpcroutes') && c.action === 'update' && object) ctx.io.out(describeRouteRules(object as GatewayRoute));
}

function printObjects(ctx: CommandContext, objects: KubeObject[], output: ObjectOutput): void {
  if (objects.length === 1) printObject(ctx.io, objects[0], output);
  else if (objects.length > 1) printObject(ctx.io, { apiVersion: 'v1', kind: 'List', items: objects }, output);
}

async function checkOwners(ctx: CommandContext, reads: Reads, changes: Change[], force: boolean, loud: boolean): Promise<void> {
  const edited = changes.filter((c) => c.action !== 'unchanged' && c.action !== 'create' && (c.resource === 'virtualservices' || c.resource === 'destinationrules'));
  if (edited.length === 0) return;
  const controllers = await reads.controllers();
  const owners = edited.flatMap((c) => ownersOf(c.before!, controllers));
  const fights = owners.filter((o) => o.fights);
  if (fights.length > 0 && !force) throw new OwnedElsewhere(fights.map((o) => o.message));
  if (!loud) return;
  for (const o of fights) ctx.io.err(`Warning: ${o.message} (--force given: editing anyway)\n`);
  for (const o of owners.filter((x) => !x.fights)) ctx.io.err(`Warning: ${o.message}\n`);
}

/**
 * A plan whose every VirtualService edit lands on one Istio ignores (a second mesh VirtualService for a host, not
 * the oldest) would move no traffic: said as a refusal, which --force overrides.
 */
function ignoredEdits(changes: readonly Change[], virtualServices: readonly VirtualService[]): Finding[] {
  const edits = changes.filter((c) => c.resource === 'virtualservices' && c.action === 'update');
  const shadowed = edits.map((c) => ({ c, shadow: shadowingOf(c.before as VirtualService, virtualServices) }));
  if (edits.length === 0 || shadowed.some((s) => !s.shadow)) return [];
  return shadowed.map(({ c, shadow }) => finding('virtualservice-shadowed', describeObject(c.before!), 'spec.hosts',
    `Istio uses ${objectKey(shadow!.by)} for host ${shadow!.host} and ignores this VirtualService there, so this change would move no traffic`,
    `change ${objectKey(shadow!.by)} instead (--vs ${shadow!.by.metadata.name}${namespaceOf(shadow!.by) !== c.namespace ? ` -n ${namespaceOf(shadow!.by)}` : ''}), or merge the two; --force writes it anyway`));
}

/** Runs a plan to the end; returns it as written (or as it would be, on a dry run). */
export async function runPlan(ctx: CommandContext, cluster: GrayCluster, run: PlanRun): Promise<Plan> {
  // Independent reads go out together (at once over HTTP/2; queued on the one connection over HTTP/1.1): the
  // admin policy, the VirtualServices and DestinationRules every plan is checked against, and the discovery
  // request that says which controllers could own what a plan edits (nearly every plan edits). Each is awaited
  // where it is needed; the catch only keeps a failure from being reported as unhandled before then.
  // Objects printed whole instead of written (--dry-run=client -o yaml) are read from the API server, as stored: the
  // route query's lack kubectl's last-applied copy.
  const firstReads = new Reads(cluster, run.hosts, run.dryRun === 'client' && isObjectOutput(run.output));
  const policyRead = PolicyBook.read(cluster, [...new Set((run.hosts ?? []).map(serviceNamespace).filter((n): n is string => !!n))], ctx.policyObjects);
  policyRead.catch(() => undefined);
  const written: Change[] = [];
  for (let attempt = 1; ; attempt++) {
    const reads = attempt === 1 ? firstReads : new Reads(cluster, run.hosts, true);
    reads.virtualServices().catch(() => undefined);
    reads.destinationRules().catch(() => undefined);
    reads.servedResources().catch(() => undefined);
    const plan = await run.build(reads);
    const changes = ordered(plan.changes);
    const first = attempt === 1;
    try {
      // The owners are looked for only when the plan edits an existing VirtualService or DestinationRule.
      const namespaces = [...new Set(changes.filter((c) => c.action !== 'unchanged').map((c) => c.namespace))];
      const [, virtualServices, destinationRules, book] = await Promise.all([
        checkOwners(ctx, reads, changes, !!run.force, first), reads.virtualServices(), reads.destinationRules(),
        policyRead.then(async (b) => { await b.cover(namespaces); return b; }),
      ]);
      const requester = await book.requester(namespaces);
      // A plan that edits Gateway API routes is checked against the Services of their namespaces too.
      const routeNamespaces = [...new Set(changes.filter((c) => c.resource === 'httproutes' || c.resource === 'grpcroutes').map((c) => c.namespace))];
      const services = routeNamespaces.length > 0 ? (await Promise.all(routeNamespaces.map((n) => reads.services(n)))).flat() : undefined;
      const findings = checkPlan(changes, { virtualServices, destinationRules, ...(services ? { services } : {}) }, (n) => book.policyFor(n), ctx.now(), requester);
      if (errorsOf(findings).length > 0) throw new RuleViolation(errorsOf(findings));
      const ignored = ignoredEdits(changes, virtualServices);
      if (ignored.length > 0 && !run.force) throw new RuleViolation(ignored);
      if (first) {
        for (const w of warningsOf(findings)) ctx.io.err(`Warning: ${formatFinding(w)}\n`);
        for (const f of findings.filter((x) => x.relaxed?.by === 'exemption')) ctx.io.err(`Warning: ${exemptionNote(f)}\n`);
        for (const n of [...reads.notes, ...plan.notes]) ctx.io.err(`${n}\n`);
      }
    } catch (err) {
      if (written.length > 0) reportPartial(ctx, written, changes, plan.undo);
      throw err;
    }

    if (run.dryRun === 'client') {
      if (isObjectOutput(run.output)) printObjects(ctx, changes.map((c) => (c.after ?? c.before)!), run.output);
      else if (run.output === 'name') for (const c of changes) ctx.io.out(`${changeRef(c)}\n`);
      else for (const c of changes) ctx.io.out(renderChangeDiff(c));
      return { ...plan, changes };
    }

    const objects: KubeObject[] = [];
    let conflict = false;
    for (const c of changes) {
      if (c.action === 'unchanged') {
        objects.push(c.before!);
        if (!isObjectOutput(run.output)) printResult(ctx, c, c.before, run.dryRun, run.output);
        continue;
      }
      const ref: ObjectRef = { resource: c.resource, namespace: c.namespace, name: c.name };
      let object: KubeObject | undefined;
      try {
        if (c.action === 'delete') {
          await cluster.remove(ref, run.dryRun).catch((err: unknown) => {
            if (!(err instanceof ApiError && err.isNotFound)) throw err;
          });
        } else {
          const result = c.resource === 'virtualservices' && c.action === 'update'
            ? await cluster.updateVirtualService(c.before as VirtualService, c.after as VirtualService, run.dryRun)
            : await cluster.write(ref, c.after!, run.dryRun);
          for (const w of result.warnings) ctx.io.err(`Warning: ${w}\n`);
          object = { ...result.object, apiVersion: result.object.apiVersion ?? c.after!.apiVersion, kind: result.object.kind ?? c.after!.kind };
        }
      } catch (err) {
        if (isRace(err, true) && attempt < MAX_ATTEMPTS) {
          conflict = true;
          break;
        }
        if (written.length > 0 && run.dryRun === 'none') reportPartial(ctx, written, changes, plan.undo);
        throw err;
      }
      if (run.dryRun === 'none') written.push(c);
      if (object) objects.push(object);
      if (!isObjectOutput(run.output)) printResult(ctx, c, object, run.dryRun, run.output);
    }
    if (!conflict) {
      if (isObjectOutput(run.output)) printObjects(ctx, objects, run.output);
      return { ...plan, changes };
    }
    // Someone wrote in between: back off a little, read again, plan again from the intent.
    await new Promise((r) => setTimeout(r, Math.min(500, 10 * attempt) * (0.5 + Math.random())));
  }
}

function reportPartial(ctx: CommandContext, written: Change[], planned: Change[], undo: string): void {
  const done = new Set(written.map((c) => `${c.resource}/${c.namespace}/${c.name}`));
  const left = planned.filter((c) => c.action !== 'unchanged' && !done.has(`${c.resource}/${c.namespace}/${c.name}`));
  ctx.io.err(`error: stopped after ${written.length} of ${written.length + left.length} write(s).\n`);
  ctx.io.err(`  written: ${written.map((c) => `${changeRef(c)} (${c.namespace})`).join(', ')}\n`);
  if (left.length > 0) ctx.io.err(`  not written: ${left.map((c) => `${changeRef(c)} (${c.namespace})`).join(', ')}\n`);
  ctx.io.err(`  to undo what was written: ${undo}\n`);
}
