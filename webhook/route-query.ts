// The route query: an API the Kubernetes API server serves through its aggregation layer (an APIService naming the
// webhook's Service), answered from the webhook's cache. "Which VirtualServices reach reviews?" then costs a lookup
// in an index, where a label-selected list makes the API server look at every VirtualService it holds.
//
//   GET /apis/query.kubectl-gray.io/v1alpha1/namespaces/bookinfo/serviceroutes/reviews
//   -> {kind: ServiceRoutes, host: reviews.bookinfo.svc.cluster.local, virtualServices: [{namespace, name, resourceVersion, object}]}
//
// The API server authenticates the caller and passes the identity in request headers over a TLS connection made
// with its front-proxy client certificate (the request-header scheme every aggregated API uses); those headers are
// believed only on a connection whose certificate the request-header CA signed. The answer holds only the
// VirtualServices in namespaces where that identity may list them (a SubjectAccessReview per namespace), each as
// the cache keeps it (no managedFields, status or kubectl's last-applied copy): the plugin plans from it and writes
// a merge patch carrying its resourceVersion, so a cache a moment behind costs a Conflict and a re-read, never a
// lost update, and the fields the cache drops are left as they are stored.
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { resolveHost } from '../core/hosts.js';
import { namespaceOf } from '../core/model.js';
import { QUERY_GROUP, QUERY_VERSION, SERVICE_ROUTES } from '../core/route-index.js';
import { ApiError } from '../kube/errors.js';
import type { KubeRest } from '../kube/rest.js';
import type { IstioCache } from './cache.js';
import type { Metrics } from './metrics.js';

const GROUP_VERSION = `${QUERY_GROUP}/${QUERY_VERSION}`;
/** The APIService that registers the group (the chart's; the harness's). */
export const API_SERVICE_NAME = `${QUERY_VERSION}.${QUERY_GROUP}`;

/** Who the API server says is asking. */
export interface Identity {
  user: string;
  uid?: string;
  groups: string[];
  extra: Record<string, string[]>;
}

/**
 * The API server's request-header settings, as it publishes them in kube-system/extension-apiserver-authentication
 * (from its --requestheader-* flags): the CA of its front-proxy client certificate, and the headers it fills.
 */
export interface RequestHeaderSettings {
  clientCa: string;
  allowedNames: string[];
  usernameHeaders: string[];
  uidHeaders: string[];
  groupHeaders: string[];
  extraHeaderPrefixes: string[];
}

export const AUTHENTICATION_CONFIGMAP = { namespace: 'kube-system', name: 'extension-apiserver-authentication' };

/** The settings from that ConfigMap's data; undefined when the API server has no front proxy configured. */
export function requestHeaderSettings(data: Record<string, string> | undefined): RequestHeaderSettings | undefined {
  const clientCa = data?.['requestheader-client-ca-file'];
  if (!clientCa) return undefined;
  const list = (key: string): string[] => {
    try {
      const v = JSON.parse(data[key] ?? '[]') as unknown;
      return Array.isArray(v) ? v.map(String) : [];
    } catch {
      return [];
    }
  };
  return {
    clientCa, allowedNames: list('requestheader-allowed-names'), usernameHeaders: list('requestheader-username-headers'),
    uidHeaders: list('requestheader-uid-headers'), groupHeaders: list('requestheader-group-headers'),
    extraHeaderPrefixes: list('requestheader-extra-headers-prefix'),
  };
}

/**
 * The identity in a request's headers, if its connection presented a client certificate that the request-header CA
 * signed (the TLS server verified it against that CA) with an allowed common name; else undefined.
 */
export function identify(settings: RequestHeaderSettings, verified: boolean, commonName: string | undefined,
  headers: Record<string, string[] | undefined>): Identity | undefined {
  if (!verified) return undefined;
  if (settings.allowedNames.length > 0 && !settings.allowedNames.includes(commonName ?? '')) return undefined;
  const values = (names: string[]) => names.flatMap((n) => headers[n.toLowerCase()] ?? []);
  const user = values(settings.usernameHeaders)[0];
  if (!user) return undefined;
  const uid = values(settings.uidHeaders)[0];
  const extra: Record<string, string[]> = {};
  for (const [name, v] of Object.entries(headers)) {
    const prefix = settings.extraHeaderPrefixes.find((p) => name.startsWith(p.toLowerCase()));
    if (prefix && v) extra[decodeURIComponent(name.slice(prefix.length))] = v;
  }
  return { user, ...(uid ? { uid } : {}), groups: values(settings.groupHeaders), extra };
}

/** Whether the identity may list VirtualServices in the namespace (a SubjectAccessReview). */
export type MayList = (who: Identity, namespace: string) => Promise<boolean>;

export interface RouteQueryOptions {
  cache: IstioCache;
  /** Who asks, from the request (its TLS connection and headers); undefined when not the API server on their behalf. */
  identify: (request: FastifyRequest) => Identity | undefined;
  /** Whether it can tell who asks yet (the API server's request-header settings are known). */
  ready?: () => boolean;
  mayList: MayList;
  metrics: Metrics;
}

const status = (reply: FastifyReply, code: number, reason: string, message: string) =>
  reply.code(code).send({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

/** The API group, its discovery documents, and the one resource, on the webhook's server. */
export function registerRouteQuery(app: FastifyInstance, options: RouteQueryOptions): void {
  const queries = options.metrics.counter('kubectl_gray_route_queries_total',
    'Route queries (which VirtualServices reach a service) answered through the API server, by result.', ['result']);
  // Discovery is public (as the API server's own is to any authenticated user): the aggregator reads it to
  // mark the APIService available and to list the group for clients.
  app.get(`/apis/${QUERY_GROUP}`, async () => ({
    kind: 'APIGroup', apiVersion: 'v1', name: QUERY_GROUP,
    versions: [{ groupVersion: GROUP_VERSION, version: QUERY_VERSION }], preferredVersion: { groupVersion: GROUP_VERSION, version: QUERY_VERSION },
  }));
  app.get(`/apis/${GROUP_VERSION}`, async () => ({
    kind: 'APIResourceList', apiVersion: 'v1', groupVersion: GROUP_VERSION,
    resources: [{ name: SERVICE_ROUTES, singularName: SERVICE_ROUTES, namespaced: true, kind: 'ServiceRoutes', verbs: ['get'] }],
  }));
  app.get<{ Params: { namespace: string; name: string } }>(`/apis/${GROUP_VERSION}/namespaces/:namespace/${SERVICE_ROUTES}/:name`, async (request, reply) => {
    if (options.ready && !options.ready()) {
      queries.inc({ result: 'not-ready' });
      return status(reply, 503, 'ServiceUnavailable', 'the kubectl-gray webhook has not yet read the API server\'s request-header settings; see its log');
    }
    const who = options.identify(request);
    if (!who) {
      queries.inc({ result: 'unauthenticated' });
      return status(reply, 401, 'Unauthorized', 'Unauthorized: only the API server may ask, on behalf of a user (through the APIService)');
    }
    // A guardrail's cache that was never filled answers nothing: the reader then asks the API server itself.
    if (!options.cache.synced()) {
      queries.inc({ result: 'not-ready' });
      return status(reply, 503, 'ServiceUnavailable', 'the kubectl-gray webhook has not yet listed the VirtualServices; try again');
    }
    const { namespace, name } = request.params;
    const host = resolveHost(name, namespace);
    const found = options.cache.routes().about([host]);
    const namespaces = [...new Set(found.map(namespaceOf))];
    const allowed = new Set<string>();
    try {
      const verdicts = await Promise.all(namespaces.map((ns) => options.mayList(who, ns)));
      namespaces.forEach((ns, i) => { if (verdicts[i]) allowed.add(ns); });
    } catch (err) {
      request.log.warn({ err: String((err as Error)?.message ?? err) }, 'route query: SubjectAccessReview failed');
      queries.inc({ result: 'error' });
      return status(reply, 503, 'ServiceUnavailable', 'the kubectl-gray webhook could not check this user\'s access with the API server; try again');
    }
    queries.inc({ result: 'answered' });
    return {
      kind: 'ServiceRoutes', apiVersion: GROUP_VERSION, metadata: { name, namespace }, host,
      virtualServices: found.filter((vs) => allowed.has(namespaceOf(vs)))
        .map((vs) => ({ namespace: namespaceOf(vs), name: vs.metadata.name, resourceVersion: vs.metadata.resourceVersion, object: vs }))
        .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`)),
    };
  });
  app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: `/apis/${GROUP_VERSION}/*`, handler: async (_request, reply) =>
    status(reply, 405, 'MethodNotAllowed', `${SERVICE_ROUTES}.${QUERY_GROUP} can only be read one by one: GET .../namespaces/NAMESPACE/${SERVICE_ROUTES}/SERVICE`) });
}

/** The identity on a request that came over TLS (main.ts): its socket says whether the client certificate verified. */
export function identifyTls(settings: () => RequestHeaderSettings | undefined): (request: FastifyRequest) => Identity | undefined {
  return (request) => {
    const socket = request.raw.socket as TLSSocket;
    const known = settings();
    if (!known || typeof socket.getPeerCertificate !== 'function') return undefined;
    const cn = socket.getPeerCertificate()?.subject?.CN;
    return identify(known, socket.authorized === true, Array.isArray(cn) ? cn[0] : cn, request.raw.headersDistinct);
  };
}

/**
 * The API server's request-header settings, read at start and again every minute (its front proxy's CA may be
 * rotated, and the RBAC to read them may arrive after the pod): until they are known the query answers 503, and a
 * change is handed to `onChange` (the TLS server then verifies client certificates against the new CA).
 */
export class RequestHeaderKeeper {
  current: RequestHeaderSettings | undefined;
  private timer: NodeJS.Timeout | undefined;
  private problem = '';

  constructor(private readonly rest: Pick<KubeRest, 'request'>, private readonly log: { warn(o: object, m: string): void; info(o: object, m: string): void },
    private readonly intervalMs = 60_000) {}

  start(onChange: (settings: RequestHeaderSettings) => void): void {
    const pass = async () => {
      const next = await this.read();
      if (next && JSON.stringify(next) !== JSON.stringify(this.current)) {
        this.current = next;
        onChange(next);
        this.log.info({ allowedNames: next.allowedNames }, 'route query: request-header settings loaded');
      }
    };
    void pass();
    this.timer = setInterval(() => void pass(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void { clearInterval(this.timer); }

  private async read(): Promise<RequestHeaderSettings | undefined> {
    const { namespace, name } = AUTHENTICATION_CONFIGMAP;
    let problem: string;
    try {
      const cm = (await this.rest.request<{ data?: Record<string, string> }>('GET', `/api/v1/namespaces/${namespace}/configmaps/${name}`)).body;
      const settings = requestHeaderSettings(cm.data);
      if (settings) return settings;
      problem = 'the API server has no front proxy (--requestheader-client-ca-file)';
    } catch (err) {
      problem = err instanceof ApiError && err.status === 403 ? 'no RBAC to read it (Role extension-apiserver-authentication-reader)' : String((err as Error)?.message ?? err);
    }
    // Said once per reason, not every minute; the settings in use (if any) are kept.
    if (problem !== this.problem) this.log.warn({ configMap: `${namespace}/${name}`, err: problem }, 'route query: cannot read the API server\'s request-header settings');
    this.problem = problem;
    return undefined;
  }
}

/** How long a verdict is believed: the default of the API server's own authorization cache for aggregated servers. */
export const VERDICT_TTL_MS = 10_000;

/**
 * The verdicts of `mayList` remembered per identity and namespace for VERDICT_TTL_MS, as every aggregated API
 * server built on Kubernetes' own library remembers its SubjectAccessReviews: a user's next command is not held up
 * by the same question (a review is a round trip to the API server on every query), and a revoked grant reaches
 * the query within that time. Questions asked at once share one review; a failed review is not remembered.
 */
export function rememberedVerdicts(mayList: MayList, clock: { now(): number } = performance): MayList {
  const verdicts = new LRUCache<string, boolean, { who: Identity; namespace: string }>({
    max: 10_000, ttl: VERDICT_TTL_MS, ttlResolution: 0, perf: clock, fetchMethod: (_key, _stale, { context }) => mayList(context.who, context.namespace),
  });
  return async (who, namespace) => {
    const key = JSON.stringify([who.user, who.uid ?? '', who.groups, Object.entries(who.extra).sort(), namespace]);
    return (await verdicts.fetch(key, { context: { who, namespace } })) === true;
  };
}

/** A SubjectAccessReview per question (the webhook's ServiceAccount needs ClusterRole system:auth-delegator). */
export function subjectMayList(rest: Pick<KubeRest, 'request'>): MayList {
  return async (who, namespace) => {
    const review = await rest.request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview',
      spec: {
        user: who.user, groups: who.groups, extra: who.extra, ...(who.uid ? { uid: who.uid } : {}),
        resourceAttributes: { namespace, verb: 'list', group: 'networking.istio.io', resource: 'virtualservices' },
      },
    });
    return review.body.status?.allowed === true;
  };
}
