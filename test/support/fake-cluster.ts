// An in-memory API server for command tests: it keeps resourceVersions, refuses stale writes with a
// Conflict as the real one does, and records every write so tests can check the literal object sent.
import type { DestinationRule, KubeObject, VirtualService } from '../../core/model.js';
import type { GrayCluster, ListSelection, ObjectRef, PodSummary, RouteRef, ServiceSummary, WriteResult } from '../../plugin/kube/cluster.js';
import { ApiError } from '../../kube/errors.js';
import { apply as applyMergePatch, generate } from 'json-merge-patch';
import { selects } from './label-selector.js';

export class FakeCluster implements GrayCluster {
  private version = 100;
  readonly writes: Array<{ object: VirtualService; dryRun: string }> = [];
  virtualServices: VirtualService[] = [];
  destinationRules: DestinationRule[] = [];
  services: ServiceSummary[] = [];
  /** The Services as given (ports and all), for listServices. */
  serviceObjects: KubeObject[] = [];
  httpRoutes: KubeObject[] = [];
  grpcRoutes: KubeObject[] = [];
  pods: Array<PodSummary & { namespace: string }> = [];
  /** Called before each write; lets a test change the stored object as a concurrent writer would. */
  beforeWrite?: (fake: FakeCluster) => void;
  /** Warnings the "server" answers a write with. */
  warnings: string[] = [];
  /** The admin policy an older chart publishes on its webhook configuration (undefined: none, or not readable). */
  policy: unknown;
  /** ClusterGrayPolicy and GrayPolicy objects (undefined: the CRDs are not installed). */
  policyObjectList: KubeObject[] | undefined;
  namespaceLabels: Record<string, Record<string, string>> = {};
  /** Who the "API server" takes the user for. */
  identity: { username: string; groups: string[] } = { username: 'admin', groups: ['system:masters', 'system:authenticated'] };
  /** Deployments and EnvoyFilters, by "resource/namespace/name". */
  others = new Map<string, KubeObject>();
  /** Every generic write and delete, in order: "verb resource/namespace/name". */
  readonly log: string[] = [];
  /** Served custom API groups ("argoproj.io/v1alpha1" -> resources) and their objects. */
  served = new Map<string, string[]>();
  custom: Array<{ groupVersion: string; resource: string; object: KubeObject }> = [];
  /** Namespaces this "user" may not list across (a 403 on cluster-wide lists). */
  namespacedOnly = false;
  /** Fails the write of this "resource/namespace/name" with an API error (a partial-failure test). */
  failWrite?: string;

  constructor(readonly namespace = 'default', objects: KubeObject[] = []) {
    for (const o of objects) this.add(o);
  }

  add(o: KubeObject): void {
    const stored = structuredClone({ ...o, metadata: { ...o.metadata, resourceVersion: String(++this.version) } });
    if (o.kind === 'VirtualService') this.virtualServices.push(stored as VirtualService);
    if (o.kind === 'DestinationRule') this.destinationRules.push(stored as DestinationRule);
    if (o.kind === 'Deployment' || o.kind === 'EnvoyFilter') this.others.set(`${o.kind === 'Deployment' ? 'deployments' : 'envoyfilters'}/${o.metadata.namespace ?? 'default'}/${o.metadata.name}`, stored);
    if (o.kind === 'HTTPRoute') this.httpRoutes.push(stored);
    if (o.kind === 'GRPCRoute') this.grpcRoutes.push(stored);
    if (o.kind === 'Service') {
      this.serviceObjects.push(stored);
      const spec = (o as { spec?: { selector?: Record<string, string> } }).spec;
      this.services.push({ name: o.metadata.name, namespace: o.metadata.namespace ?? 'default', selector: spec?.selector ?? {} });
    }
  }

  vs(name: string, namespace = this.namespace): VirtualService {
    const found = this.virtualServices.find((v) => v.metadata.name === name && (v.metadata.namespace ?? 'default') === namespace);
    if (!found) throw new Error(`fake: no VirtualService ${namespace}/${name}`);
    return found;
  }

  /** Every list asked for: "virtualservices NAMESPACE|* [SELECTOR]". */
  readonly lists: string[] = [];

  private select<T extends KubeObject>(resource: string, objects: T[], namespace: string | undefined, selection: ListSelection = {}): T[] {
    this.lists.push([resource, namespace ?? '*', selection.labelSelector].filter(Boolean).join(' '));
    const picked = objects.filter((o) => (!namespace || o.metadata.namespace === namespace) && selects(selection.labelSelector, o.metadata.labels ?? {}));
    return structuredClone(picked);
  }

  /** The route query's answers, "namespace host" each (none: not served, as on a cluster without the webhook). */
  routeQuery?: (namespace: string, host: string) => RouteRef[] | undefined;
  readonly routeQueries: string[] = [];

  async serviceRoutes(namespace: string, host: string): Promise<RouteRef[] | undefined> {
    this.routeQueries.push(`${namespace} ${host}`);
    return this.routeQuery?.(namespace, host);
  }

  async listVirtualServices(namespace: string | undefined, selection?: ListSelection): Promise<VirtualService[]> {
    if (!namespace && this.namespacedOnly) throw new ApiError(403, 'Forbidden', 'virtualservices.networking.istio.io is forbidden: User "dev" cannot list resource "virtualservices" in API group "networking.istio.io" at the cluster scope');
    return this.select('virtualservices', this.virtualServices, namespace, selection);
  }

  /** As the API server takes the merge patch: before's resourceVersion must be the stored one, the rest is merged in. */
  async updateVirtualService(before: VirtualService, after: VirtualService, dryRun: 'none' | 'server'): Promise<WriteResult<VirtualService>> {
    this.beforeWrite?.(this);
    const ns = before.metadata.namespace ?? this.namespace;
    if (this.failWrite === `virtualservices/${ns}/${before.metadata.name}`) throw new ApiError(500, 'InternalError', 'etcdserver: request timed out');
    const i = this.virtualServices.findIndex((v) => v.metadata.name === before.metadata.name && v.metadata.namespace === ns);
    if (i < 0) throw new ApiError(404, 'NotFound', `virtualservices.networking.istio.io "${before.metadata.name}" not found`);
    if (before.metadata.resourceVersion !== this.virtualServices[i]!.metadata.resourceVersion) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on virtualservices.networking.istio.io "${before.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`);
    }
    const stored = applyMergePatch(structuredClone(this.virtualServices[i]!), generate(before, after) ?? {});
    this.writes.push({ object: structuredClone(stored), dryRun });
    if (dryRun === 'server') return { object: stored, warnings: this.warnings };
    this.log.push(`replace virtualservices/${ns}/${before.metadata.name}`);
    stored.metadata.resourceVersion = String(++this.version);
    this.virtualServices[i] = stored;
    return { object: structuredClone(stored), warnings: this.warnings };
  }

  private listFor(ref: ObjectRef): KubeObject[] | undefined {
    const lists: Partial<Record<ObjectRef['resource'], KubeObject[]>> = {
      virtualservices: this.virtualServices, destinationrules: this.destinationRules, httproutes: this.httpRoutes, grpcroutes: this.grpcRoutes,
      services: this.serviceObjects,
    };
    return lists[ref.resource];
  }

  async get<T extends KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    const list = this.listFor(ref);
    const found = list ? list.find((o) => o.metadata.name === ref.name && o.metadata.namespace === ref.namespace) : this.others.get(`${ref.resource}/${ref.namespace}/${ref.name}`);
    return found ? structuredClone(found as T) : undefined;
  }

  async write<T extends KubeObject>(ref: ObjectRef, object: T, dryRun: 'none' | 'server'): Promise<WriteResult<T>> {
    if (this.failWrite === `${ref.resource}/${ref.namespace}/${ref.name}`) throw new ApiError(500, 'InternalError', `etcdserver: request timed out`);
    const current = await this.get<T>(ref);
    if (object.metadata.resourceVersion && current?.metadata.resourceVersion !== object.metadata.resourceVersion) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${ref.resource} "${ref.name}": the object has been modified`);
    }
    if (!object.metadata.resourceVersion && current) throw new ApiError(409, 'AlreadyExists', `${ref.resource} "${ref.name}" already exists`);
    const stored = structuredClone({ ...object, metadata: { ...object.metadata, namespace: ref.namespace, resourceVersion: String(++this.version) } });
    if (dryRun === 'server') return { object: stored, warnings: [] };
    this.log.push(`${current ? 'replace' : 'create'} ${ref.resource}/${ref.namespace}/${ref.name}`);
    const list = this.listFor(ref);
    if (list) {
      const i = list.findIndex((o) => o.metadata.name === ref.name && o.metadata.namespace === ref.namespace);
      if (i >= 0) list[i] = stored; else list.push(stored);
    } else {
      this.others.set(`${ref.resource}/${ref.namespace}/${ref.name}`, stored);
    }
    return { object: structuredClone(stored), warnings: [] };
  }

  async remove(ref: ObjectRef, dryRun: 'none' | 'server'): Promise<void> {
    if (!(await this.get(ref))) throw new ApiError(404, 'NotFound', `${ref.resource} "${ref.name}" not found`);
    if (dryRun === 'server') return;
    this.log.push(`delete ${ref.resource}/${ref.namespace}/${ref.name}`);
    const list = this.listFor(ref);
    if (list) list.splice(list.findIndex((o) => o.metadata.name === ref.name && o.metadata.namespace === ref.namespace), 1);
    else this.others.delete(`${ref.resource}/${ref.namespace}/${ref.name}`);
  }

  async servedResources(groups: readonly string[]): Promise<Map<string, string[]>> {
    const served = this.policyObjectList ? [...this.served, ['policy.kubectl-gray.io/v1alpha1', ['clustergraypolicies', 'graypolicies']] as [string, string[]]] : [...this.served];
    return new Map(served.filter(([gv]) => groups.includes(gv.split('/')[0]!)));
  }

  async listObjects(groupVersion: string, resource: string, namespace: string | undefined): Promise<KubeObject[]> {
    return structuredClone(this.custom.filter((c) => c.groupVersion === groupVersion && c.resource === resource
      && (!namespace || (c.object.metadata.namespace ?? 'default') === namespace)).map((c) => c.object));
  }

  async listEverywhere(apiVersion: string, resource: string, kind: string): Promise<KubeObject[] | undefined> {
    const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
    if (this.namespacedOnly) throw new ApiError(403, 'Forbidden', `${group ? `${resource}.${group}` : resource} is forbidden: User "dev" cannot list resource "${resource}" in API group "${group}" at the cluster scope`);
    const stamp = (o: KubeObject) => ({ ...o, apiVersion, kind });
    if (resource === 'virtualservices') return structuredClone(this.virtualServices).map(stamp);
    // Routes as a server without the Gateway API's CRDs answers (404: undefined) unless `served` says otherwise.
    const routesServed = this.served.get(apiVersion)?.includes(resource);
    if (resource === 'httproutes') return routesServed ? structuredClone(this.httpRoutes).map(stamp) : undefined;
    if (resource === 'grpcroutes') return routesServed ? structuredClone(this.grpcRoutes).map(stamp) : undefined;
    if (resource === 'destinationrules') return structuredClone(this.destinationRules).map(stamp);
    if (resource === 'services') return this.services.map((s) => stamp({ apiVersion, kind, metadata: { name: s.name, namespace: s.namespace }, spec: { selector: s.selector } }));
    if (resource === 'pods') return this.pods.map((p) => stamp({ apiVersion, kind, metadata: { name: p.name, namespace: p.namespace, labels: p.labels }, spec: {} }));
    const served = this.served.get(apiVersion)?.includes(resource);
    return served ? structuredClone(this.custom.filter((c) => c.groupVersion === apiVersion && c.resource === resource).map((c) => stamp(c.object))) : undefined;
  }

  async policyObjects(namespaces: readonly string[], what = { cluster: true, namespaced: true, labels: true }) {
    if (!this.policyObjectList) return undefined;
    // A user who may list only in namespaces may not read the cluster-scoped policies.
    const cluster = what.cluster && !this.namespacedOnly;
    const objects = structuredClone(this.policyObjectList.filter((o) => (o.kind === 'ClusterGrayPolicy' ? cluster : what.namespaced && namespaces.includes(o.metadata.namespace ?? ''))));
    const unreadable = what.cluster && this.namespacedOnly ? ['ClusterGrayPolicies'] : [];
    return { objects, labels: new Map(what.labels ? namespaces.map((n) => [n, this.namespaceLabels[n] ?? {}]) : []), unreadable };
  }

  async whoAmI() {
    return this.identity;
  }

  async admissionPolicy(): Promise<unknown> {
    return this.policy;
  }

  async listDestinationRules(namespace: string | undefined, selection?: ListSelection): Promise<DestinationRule[]> {
    if (!namespace && this.namespacedOnly) throw new ApiError(403, 'Forbidden', 'destinationrules.networking.istio.io is forbidden: User "dev" cannot list resource "destinationrules" in API group "networking.istio.io" at the cluster scope');
    return this.select('destinationrules', this.destinationRules, namespace, selection);
  }

  async getService(namespace: string, name: string): Promise<ServiceSummary | undefined> {
    return this.services.find((s) => s.namespace === namespace && s.name === name);
  }

  async listServices(namespace: string): Promise<KubeObject[]> {
    return structuredClone(this.serviceObjects.filter((o) => (o.metadata.namespace ?? 'default') === namespace));
  }

  async listPods(namespace: string): Promise<PodSummary[]> {
    return this.pods.filter((p) => p.namespace === namespace).map(({ namespace: _ns, ...p }) => p);
  }

  async listNamespaces(): Promise<string[]> {
    const all = [this.namespace, ...this.virtualServices.map((v) => v.metadata.namespace), ...this.services.map((s) => s.namespace)];
    return [...new Set(all.filter((n): n is string => !!n))].sort();
  }
}

