// The only place the plugin talks to the API server. Commands see the GrayCluster interface, so
// their tests run against an in-memory cluster and the e2e suite against a real one.
import type { DestinationRule, KubeObject, VirtualService } from '../../core/model.js';
import { POLICY_API_VERSION, type Requester } from '../../core/policy.js';
import { GATEWAY_API_VERSION } from '../../core/gateway-api/model.js';
import { QUERY_GROUP, QUERY_VERSION, SERVICE_ROUTES } from '../../core/route-index.js';
import { ApiError } from '../../kube/errors.js';
import { type KubeRest, listAllPages } from '../../kube/rest.js';
import { generate } from 'json-merge-patch';

export type DryRun = 'none' | 'client' | 'server';

/** RFC 7386: objects merged key by key, a key set to null removed, anything else (arrays too) replaced whole. */
const MERGE_PATCH = 'application/merge-patch+json';

export interface PodSummary {
  name: string;
  labels: Record<string, string>;
  ready: boolean;
}

export interface ServiceSummary {
  name: string;
  namespace: string;
  selector: Record<string, string>;
}

export interface WriteResult<T> {
  object: T;
  /** Warnings the server sent back (admission webhooks' among them). */
  warnings: string[];
}

/**
 * A VirtualService the route query names (webhook/route-query.ts), with the object as the webhook keeps it where it
 * sends it (an older webhook names it only: then it is read by name).
 */
export interface RouteRef {
  namespace: string;
  name: string;
  object?: VirtualService;
}

/** Which objects of a list: those a label selector picks. */
export interface ListSelection {
  labelSelector?: string;
}

export interface GrayCluster {
  /** The namespace from -n, else the context's, else "default". */
  readonly namespace: string;
  /** All VirtualServices in a namespace, or in every namespace when it is undefined. */
  listVirtualServices(namespace: string | undefined, selection?: ListSelection): Promise<VirtualService[]>;
  /**
   * Writes what changed from `before` to `after` as a JSON merge patch carrying before's resourceVersion (a stale one
   * fails with a Conflict, as an update would): what the patch does not name stays as stored, so an object read
   * without some of its fields (the route query's have no managedFields and no kubectl last-applied copy) loses none.
   */
  updateVirtualService(before: VirtualService, after: VirtualService, dryRun: 'none' | 'server'): Promise<WriteResult<VirtualService>>;
  listDestinationRules(namespace: string | undefined, selection?: ListSelection): Promise<DestinationRule[]>;
  /**
   * The VirtualServices that reach a host, as the kubectl-gray webhook's route query answers (asked from a namespace:
   * the user's), limited to namespaces where this user may list them; undefined when the cluster does not serve it
   * (no webhook, an older one, or not ready), and the caller finds them itself.
   */
  serviceRoutes(namespace: string, host: string): Promise<RouteRef[] | undefined>;
  getService(namespace: string, name: string): Promise<ServiceSummary | undefined>;
  /** The Services of a namespace, whole (ports and all). */
  listServices(namespace: string): Promise<KubeObject[]>;
  listPods(namespace: string): Promise<PodSummary[]>;
  /** The names of the namespaces this user may list (shell completion). */
  listNamespaces(): Promise<string[]>;
  /**
   * The admin policy the cluster's webhook enforces, as published on its ValidatingWebhookConfiguration
   * (label kubectl-gray.io/policy), or undefined when there is none or this user may not read it.
   */
  admissionPolicy(): Promise<unknown | undefined>;
  /**
   * The ClusterGrayPolicies, the GrayPolicies of these namespaces and the namespaces' labels, as read by this user
   * (what they may not read counts as none); undefined when the cluster has no policy objects (no CRD).
   */
  policyObjects(namespaces: readonly string[], what?: PolicyReads): Promise<PolicyObjects | undefined>;
  /** Who the API server takes this user for (a SelfSubjectReview), when it says. */
  whoAmI(): Promise<Requester | undefined>;
  /** Generic object access for the full-link commands: apps/v1 Deployments, DestinationRules, EnvoyFilters. */
  get<T extends KubeObject>(ref: ObjectRef): Promise<T | undefined>;
  /** Creates the object, or replaces it when it carries a resourceVersion (a stale one fails with a Conflict). */
  write<T extends KubeObject>(ref: ObjectRef, object: T, dryRun: 'none' | 'server'): Promise<WriteResult<T>>;
  remove(ref: ObjectRef, dryRun: 'none' | 'server'): Promise<void>;
  /**
   * The versions of these API groups the server serves, each with its resources ("argoproj.io/v1alpha1" ->
   * ["applications", ...]); a group that is not served (no CRD) is absent. One discovery request answers all
   * groups at once; a server without aggregated discovery costs one more per served version of a group asked for.
   */
  servedResources(groups: readonly string[]): Promise<Map<string, string[]>>;
  /** Any namespaced custom objects, in one namespace or (undefined) all; unreadable ones (403) come back empty. */
  listObjects(groupVersion: string, resource: string, namespace: string | undefined): Promise<KubeObject[]>;
  /**
   * Every object of a resource in every namespace ("v1" is the core group), with apiVersion and kind set;
   * undefined when the server does not serve it (no such CRD). A refusal (403) is thrown.
   */
  listEverywhere(apiVersion: string, resource: string, kind: string): Promise<KubeObject[] | undefined>;
}

export type Resource = 'deployments' | 'destinationrules' | 'virtualservices' | 'envoyfilters' | 'configmaps' | 'httproutes' | 'grpcroutes' | 'services';

export interface ObjectRef {
  resource: Resource;
  namespace: string;
  name: string;
}

const ISTIO_VERSIONS = ['v1', 'v1beta1', 'v1alpha3'];

/** Which of the policy reads to make (all by default). */
export interface PolicyReads { cluster: boolean; namespaced: boolean; labels: boolean }

export interface PolicyObjects {
  /** Raw ClusterGrayPolicy and GrayPolicy objects, kind set. */
  objects: KubeObject[];
  labels: Map<string, Record<string, string>>;
  /** What this user may not read ("ClusterGrayPolicies", "GrayPolicies in shop", "namespace shop"). */
  unreadable?: string[];
}

/** Where an older chart's webhook configuration publishes the admin policy for the plugin to apply locally. */
export const POLICY_LABEL = 'kubectl-gray.io/policy';
export const POLICY_ANNOTATION = 'kubectl-gray.io/policy';

interface List<T> { items?: T[] }

/** Aggregated discovery first (v2, then v2beta1), the plain APIGroupList from servers that have neither. */
const AGGREGATED_DISCOVERY = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,'
  + 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

/** GET /apis: an APIGroupDiscoveryList (aggregated discovery) or an APIGroupList. */
interface DiscoveryRoot {
  kind?: string;
  items?: Array<{ metadata?: { name?: string }; versions?: Array<{ version: string; resources?: Array<{ resource: string }> }> }>;
  groups?: Array<{ name: string; versions?: Array<{ groupVersion: string }> }>;
}

export class KubeCluster implements GrayCluster {
  /** Istio >= 1.22 serves v1: asked for directly, without a discovery request first. */
  private istioVersion = ISTIO_VERSIONS[0]!;
  private discovery: Promise<string> | undefined;
  constructor(private readonly rest: KubeRest, readonly namespace: string) {}

  /** Older control planes serve only v1beta1/v1alpha3: found once, when v1 turns out not to be served. */
  private istioVersionServed(): Promise<string> {
    return this.discovery ??= (async () => {
      for (const v of ISTIO_VERSIONS) {
        try {
          await this.rest.request('GET', `/apis/networking.istio.io/${v}`);
          return (this.istioVersion = v);
        } catch (err) {
          if (!(err instanceof ApiError && err.isNotFound)) throw err;
        }
      }
      throw new ApiError(404, 'NotFound', 'the server does not serve networking.istio.io (are Istio\'s CRDs installed?)');
    })();
  }

  /**
   * Runs a request against the REST path of a collection (namespace undefined: across namespaces) or of one
   * object in it. A 404 without a Status naming the missing object means the path is not served: for Istio's
   * kinds that is the version, so find the one served and send the request again there.
   */
  private async at<T>(resource: Resource, namespace: string | undefined, name: string | undefined,
    send: (path: string, apiVersion: string) => Promise<T>): Promise<T> {
    const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    const rest = `${ns}/${resource}${name ? `/${encodeURIComponent(name)}` : ''}`;
    if (resource === 'configmaps' || resource === 'services') return send(`/api/v1${rest}`, 'v1');
    if (resource === 'httproutes' || resource === 'grpcroutes') return send(`/apis/${GATEWAY_API_VERSION}${rest}`, GATEWAY_API_VERSION);
    if (resource === 'deployments') return send(`/apis/apps/v1${rest}`, 'apps/v1');
    if (resource === 'envoyfilters') return send(`/apis/networking.istio.io/v1alpha3${rest}`, 'networking.istio.io/v1alpha3'); // EnvoyFilter is served as v1alpha3 only
    const tried = this.istioVersion;
    try {
      return await send(`/apis/networking.istio.io/${tried}${rest}`, `networking.istio.io/${tried}`);
    } catch (err) {
      if (!(err instanceof ApiError && err.isNotFound && !err.details)) throw err;
      const served = await this.istioVersionServed();
      if (served === tried) throw err;
      return send(`/apis/networking.istio.io/${served}${rest}`, `networking.istio.io/${served}`);
    }
  }

  listVirtualServices(namespace: string | undefined, selection: ListSelection = {}): Promise<VirtualService[]> {
    return this.at('virtualservices', namespace, undefined, async (path, apiVersion) =>
      withKind((await listAllPages<VirtualService>(this.rest, path, selection)).items, 'VirtualService', apiVersion));
  }

  async updateVirtualService(before: VirtualService, after: VirtualService, dryRun: 'none' | 'server'): Promise<WriteResult<VirtualService>> {
    const patch = (generate(before, after) ?? {}) as { metadata?: Record<string, unknown> };
    patch.metadata = { ...patch.metadata, resourceVersion: before.metadata.resourceVersion };
    const res = await this.at('virtualservices', before.metadata.namespace ?? this.namespace, before.metadata.name, (path) =>
      this.rest.request<VirtualService>('PATCH', `${path}${dryRun === 'server' ? '?dryRun=All' : ''}`, patch, undefined, MERGE_PATCH));
    return { object: res.body, warnings: res.warnings };
  }

  listDestinationRules(namespace: string | undefined, selection: ListSelection = {}): Promise<DestinationRule[]> {
    return this.at('destinationrules', namespace, undefined, async (path, apiVersion) =>
      withKind((await listAllPages<DestinationRule>(this.rest, path, selection)).items, 'DestinationRule', apiVersion));
  }

  async serviceRoutes(namespace: string, host: string): Promise<RouteRef[] | undefined> {
    const path = `/apis/${QUERY_GROUP}/${QUERY_VERSION}/namespaces/${encodeURIComponent(namespace)}/${SERVICE_ROUTES}/${encodeURIComponent(host)}`;
    try {
      const answer = (await this.rest.request<{ virtualServices?: RouteRef[] }>('GET', path)).body;
      return Array.isArray(answer.virtualServices) ? answer.virtualServices : undefined;
    } catch (err) {
      // Not served (404), not available (503), or not for this user: the API server's own lists still answer.
      if (err instanceof ApiError) return undefined;
      throw err;
    }
  }

  async get<T extends KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    try {
      return await this.at(ref.resource, ref.namespace, ref.name, async (path) => (await this.rest.request<T>('GET', path)).body);
    } catch (err) {
      if (err instanceof ApiError && err.isNotFound) return undefined;
      throw err;
    }
  }

  async write<T extends KubeObject>(ref: ObjectRef, object: T, dryRun: 'none' | 'server'): Promise<WriteResult<T>> {
    const query = dryRun === 'server' ? '?dryRun=All' : '';
    const res = object.metadata.resourceVersion
      ? await this.at(ref.resource, ref.namespace, ref.name, (path) => this.rest.request<T>('PUT', `${path}${query}`, object))
      : await this.at(ref.resource, ref.namespace, undefined, (path) => this.rest.request<T>('POST', `${path}${query}`, object));
    return { object: res.body, warnings: res.warnings };
  }

  async remove(ref: ObjectRef, dryRun: 'none' | 'server'): Promise<void> {
    await this.at(ref.resource, ref.namespace, ref.name, (path) => this.rest.request('DELETE', `${path}${dryRun === 'server' ? '?dryRun=All' : ''}`));
  }

  async servedResources(groups: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    const unserved = (err: unknown) => err instanceof ApiError && (err.isNotFound || err.status === 403);
    let res;
    try {
      res = await this.rest.request<DiscoveryRoot>('GET', '/apis', undefined, AGGREGATED_DISCOVERY);
    } catch (err) {
      if (unserved(err)) return out;
      throw err;
    }
    if (res.body?.kind === 'APIGroupDiscoveryList') {
      // Aggregated discovery (Kubernetes >= 1.26, GA in 1.30): every group, version and resource in one answer.
      for (const g of res.body.items ?? []) {
        if (!groups.includes(g.metadata?.name ?? '')) continue;
        for (const v of g.versions ?? []) out.set(`${g.metadata!.name}/${v.version}`, (v.resources ?? []).map((r) => r.resource));
      }
      return out;
    }
    // An older server answers with the plain APIGroupList: the groups and their versions; the resources of
    // the wanted groups' versions only when such a group is there at all (usually none is).
    const wanted = (res.body?.groups ?? []).filter((g) => groups.includes(g.name)).flatMap((g) => (g.versions ?? []).map((v) => v.groupVersion));
    await Promise.all(wanted.map(async (gv) => {
      try {
        const list = await this.rest.request<{ resources?: Array<{ name: string }> }>('GET', `/apis/${gv}`);
        out.set(gv, (list.body.resources ?? []).map((r) => r.name).filter((n) => !n.includes('/')));
      } catch (err) {
        if (!unserved(err)) throw err;
      }
    }));
    return out;
  }

  async listObjects(groupVersion: string, resource: string, namespace: string | undefined): Promise<KubeObject[]> {
    const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    try {
      const res = await this.rest.request<List<KubeObject>>('GET', `/apis/${groupVersion}${ns}/${resource}`);
      return res.body.items ?? [];
    } catch (err) {
      if (err instanceof ApiError && (err.isNotFound || err.status === 403)) return [];
      throw err;
    }
  }

  async listEverywhere(apiVersion: string, resource: string, kind: string): Promise<KubeObject[] | undefined> {
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}/${resource}` : `/api/${apiVersion}/${resource}`;
    try {
      return withKind((await this.rest.request<List<KubeObject>>('GET', path)).body.items ?? [], kind, apiVersion);
    } catch (err) {
      // A 404 without details: the path is not served at all (no such CRD); with details, something else.
      if (err instanceof ApiError && err.isNotFound && !err.details) return undefined;
      throw err;
    }
  }

  async admissionPolicy(): Promise<unknown | undefined> {
    try {
      const res = await this.rest.request<List<KubeObject>>('GET',
        `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations?labelSelector=${encodeURIComponent(`${POLICY_LABEL}=true`)}`);
      const raw = res.body.items?.[0]?.metadata.annotations?.[POLICY_ANNOTATION];
      try {
        return raw ? JSON.parse(raw) : undefined;
      } catch {
        return undefined; // a hand-mangled annotation: the webhook still applies its own file
      }
    } catch (err) {
      // Most users may not read cluster-scoped webhook configurations: then the server alone applies the policy.
      if (err instanceof ApiError && (err.status === 403 || err.status === 404)) return undefined;
      throw err;
    }
  }

  async policyObjects(namespaces: readonly string[], what: PolicyReads = { cluster: true, namespaced: true, labels: true }): Promise<PolicyObjects | undefined> {
    const base = `/apis/${POLICY_API_VERSION}`;
    // Not allowed to read: none, and said (the webhook still judges by them). Not served: no policy objects at all.
    const unreadable: string[] = [];
    const unless = <T>(read: Promise<T>, forbidden: T, missing: T, what: string) => read.catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 403) {
        unreadable.push(what);
        return forbidden;
      }
      if (err instanceof ApiError && err.status === 404) return missing;
      throw err;
    });
    const list = (path: string, kind: string, what: string) => unless(this.rest.request<List<KubeObject>>('GET', path)
      .then((r) => (r.body.items ?? []).map((o) => ({ ...o, kind }))), [] as KubeObject[], undefined, what);
    const none = Promise.resolve([] as KubeObject[]);
    const [cluster, local, labels] = await Promise.all([
      what.cluster ? list(`${base}/clustergraypolicies`, 'ClusterGrayPolicy', 'ClusterGrayPolicies') : none,
      Promise.all(what.namespaced ? namespaces.map((n) => list(`${base}/namespaces/${encodeURIComponent(n)}/graypolicies`, 'GrayPolicy', `GrayPolicies in ${n}`)) : []),
      Promise.all(what.labels ? namespaces.map((n) => unless(this.rest.request<KubeObject>('GET', `/api/v1/namespaces/${encodeURIComponent(n)}`)
        .then((r) => r.body.metadata.labels ?? {}), {}, {}, `namespace ${n}`)) : []),
    ]);
    if (cluster === undefined) return undefined;
    return {
      objects: [...cluster, ...local.flatMap((l) => l ?? [])],
      labels: new Map(what.labels ? namespaces.map((n, i) => [n, labels[i]!]) : []),
      unreadable,
    };
  }

  async whoAmI(): Promise<Requester | undefined> {
    try {
      const res = await this.rest.request<{ status?: { userInfo?: { username?: string; groups?: string[] } } }>('POST',
        '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
      const user = res.body.status?.userInfo;
      return user?.username ? { username: user.username, groups: user.groups ?? [] } : undefined;
    } catch (err) {
      if (err instanceof ApiError && (err.status === 403 || err.status === 404)) return undefined;
      throw err;
    }
  }

  async getService(namespace: string, name: string): Promise<ServiceSummary | undefined> {
    try {
      const res = await this.rest.request<{ spec?: { selector?: Record<string, string> } }>(
        'GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(name)}`);
      return { name, namespace, selector: res.body.spec?.selector ?? {} };
    } catch (err) {
      if (err instanceof ApiError && err.isNotFound) return undefined;
      throw err;
    }
  }

  async listServices(namespace: string): Promise<KubeObject[]> {
    const res = await this.rest.request<List<KubeObject>>('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/services`);
    return withKind(res.body.items ?? [], 'Service', 'v1');
  }

  async listPods(namespace: string): Promise<PodSummary[]> {
    type Pod = KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } };
    const res = await this.rest.request<List<Pod>>('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`);
    return (res.body.items ?? []).map((p) => ({
      name: p.metadata.name,
      labels: p.metadata.labels ?? {},
      ready: (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    }));
  }

  async listNamespaces(): Promise<string[]> {
    const res = await this.rest.request<List<KubeObject>>('GET', '/api/v1/namespaces');
    return (res.body.items ?? []).map((n) => n.metadata.name);
  }
}

/** List items come without apiVersion/kind; the rules need them to name objects. */
function withKind<T extends KubeObject>(items: T[], kind: string, apiVersion: string): T[] {
  return items.map((i) => ({ ...i, apiVersion: i.apiVersion ?? apiVersion, kind: i.kind ?? kind }));
}
