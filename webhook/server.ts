// The HTTP edge, built as a fastify app that tests drive with inject() and main.ts serves over TLS.
// Strict and total: a well-formed review always gets a well-formed review back; anything else gets
// a clear 4xx; a bug in a handler becomes a 500 review, never a crash or a hang.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { type GatewayRoute, isGatewayRoute } from '../core/gateway-api/model.js';
import { resolveHost, serviceNamespace } from '../core/hosts.js';
import type { KubeObject, VirtualService } from '../core/model.js';
import { DEFAULT_POLICY, type Policy } from '../core/policy.js';
import { relaxedOutcome } from '../core/rules.js';
import { type Decision, type GatewayWorld, besideRoutes, isGatewayReview, isPolicyReview, mayMeetRoutes, mutate, validateGateway, validateIstio, validatePolicyObject } from './admission/handlers.js';
import { type AdmissionRequest, type AdmissionReview, allowed, errored, review } from './admission/review.js';
import { type IstioCache, cacheDigest } from './cache.js';
import { takesSubsetsAway } from './confirm.js';
import { REQUEST_SHAPE, shapeProblem } from './admission/shape.js';
import { Metrics } from './metrics.js';
import { type RouteQueryOptions, registerRouteQuery } from './route-query.js';

/** kube-apiserver sends up to 3 MiB objects, and a review carries object and oldObject. */
export const BODY_LIMIT = 8 * 1024 * 1024;

export interface ServerOptions {
  cache: IstioCache;
  /** The admin policy for a review in this namespace (webhook/policy-store.ts). */
  policy: (namespace: string) => Policy;
  now?: () => Date;
  /** Told of every decision that is not a dry run (webhook/policy-events.ts records what admin policy let pass or warned of). */
  onDecision?: (req: AdmissionRequest, decision: Decision) => void;
  metrics?: Metrics;
  /** Extra fastify options: https, logger. */
  fastify?: FastifyServerOptions & { https?: unknown };
  /** Pauses before re-checking a cache-dependent refusal (default SETTLE_WAITS_MS). */
  settleWaitsMs?: readonly number[];
  /** Whether TLS material is loaded (readyz); always true without TLS (tests). */
  tlsReady?: () => boolean;
  /**
   * A fresh list of VirtualServices from the API server. When given, an allowed subset removal or
   * DestinationRule delete is confirmed against it (the caches may not have seen a VirtualService yet).
   */
  freshVirtualServices?: () => Promise<readonly VirtualService[]>;
  /** True once the process is shutting down: readiness fails and replies close their connection. */
  draining?: () => boolean;
  /**
   * Live reads for the Gateway API's reviews (a route's Services, the routes of a Service being deleted): few and
   * rare, so read from the API server at the time rather than cached. Without them those checks are skipped.
   */
  gatewayReads?: GatewayReads;
  /** Serve the route query (webhook/route-query.ts): who asks, and what they may read. */
  routeQuery?: Pick<RouteQueryOptions, 'identify' | 'mayList' | 'ready'>;
}

export interface GatewayReads {
  services(namespace: string): Promise<KubeObject[]>;
  routes(namespace: string): Promise<GatewayRoute[]>;
}

type Handler = (review: NonNullable<AdmissionReview['request']>) => Decision | Promise<Decision>;

/** Rules whose verdict depends on the caches: a refusal by them is re-checked after the caches catch up. */
const CACHE_RULES = new Set(['subset-undefined', 'subset-in-use', 'destinationrule-in-use']);
/** Watch events reach the caches within milliseconds; an object applied just before this one (the
 *  DestinationRule above a VirtualService in one file) may still be on its way. */
export const SETTLE_WAITS_MS = [20, 60, 120, 300];

function settled(decide: () => Decision, waits: readonly number[]): Decision | Promise<Decision> {
  const decision = decide();
  // Nearly every review is decided at once: no promise for those.
  return refusedByCache(decision) ? settleLater(decision, decide, waits) : decision;
}

const refusedByCache = (d: Decision) => !d.response.allowed && d.findings.some((f) => f.severity === 'error' && !f.relaxed && CACHE_RULES.has(f.rule));

async function settleLater(first: Decision, decide: () => Decision, waits: readonly number[]): Promise<Decision> {
  let decision = first;
  for (const wait of waits) {
    if (!refusedByCache(decision)) break;
    await new Promise((r) => setTimeout(r, wait));
    decision = decide();
  }
  return decision;
}

export function buildServer(options: ServerOptions): FastifyInstance {
  const metrics = options.metrics ?? new Metrics();
  const now = options.now ?? (() => new Date());
  const kinds = [['VirtualService', () => options.cache.virtualServices()], ['DestinationRule', () => options.cache.destinationRules()]] as const;
  metrics.gauge('kubectl_gray_cache_synced', 'Whether the caches have completed a successful list (1) or not (0).',
    () => kinds.map(([kind]) => ({ labels: { kind }, value: options.cache.synced() ? 1 : 0 })), ['kind']);
  metrics.gauge('kubectl_gray_cache_objects', 'Objects held in the caches.',
    () => kinds.map(([kind, list]) => ({ labels: { kind }, value: list().length })), ['kind']);
  metrics.gauge('kubectl_gray_cache_digest', 'An order-independent digest of the cached objects\' namespace/name@resourceVersion: replicas that agree show the same value.',
    () => kinds.map(([kind, list]) => ({ labels: { kind }, value: cacheDigest(list()) })), ['kind']);
  const policyResults = metrics.counter('kubectl_gray_policy_results_total',
    'Findings by the admin policy that decided them, the rule and what became of them (denied, warned, audited, exempted); dry runs included.', ['policy', 'rule', 'outcome']);
  const confirmations = metrics.counter('kubectl_gray_cache_confirmations_total',
    'Subset removals and DestinationRule deletes confirmed against a fresh list from the API server, by result.', ['result']);
  // fastify's JSON parser answers 400 "not valid JSON" to a body with a "__proto__" key (or a "constructor" one
  // holding "prototype") unless told to ignore them, and "__proto__" is a legal header name in a VirtualService
  // match. JSON.parse keeps such keys as own properties, and nothing here copies parsed keys onto other objects.
  const app = Fastify({
    bodyLimit: BODY_LIMIT, logger: false, onProtoPoisoning: 'ignore', onConstructorPoisoning: 'ignore', ...(options.fastify as FastifyServerOptions),
  }) as unknown as FastifyInstance;

  // Reviews are JSON; any other media type is answered 415 by fastify itself.
  app.removeContentTypeParser('text/plain');

  // While draining, each reply closes its connection, so the API server opens its next one to a replica that stays.
  app.addHook('onSend', async (_request, reply) => {
    if (options.draining?.()) reply.header('connection', 'close');
  });

  app.setErrorHandler((err: { statusCode?: number; message: string }, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) request.log.error({ err }, 'unexpected error');
    // Client errors say what was wrong with the request; internal ones never leak their text.
    reply.code(status).send({ statusCode: status, message: status === 500 ? 'internal error' : err.message });
  });

  const admission = (name: string, handler: Handler, failOpen: boolean) => async (request: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) => {
    const started = process.hrtime.bigint();
    const body = request.body as AdmissionReview | undefined;
    const req = body?.request;
    if (!body || typeof body !== 'object' || body.kind !== 'AdmissionReview' || body.apiVersion !== 'admission.k8s.io/v1'
        || !req || typeof req.uid !== 'string' || !req.kind) {
      return reply.code(400).send({ statusCode: 400, message: 'expected an admission.k8s.io/v1 AdmissionReview with request.uid and request.kind' });
    }
    const requestProblem = shapeProblem(req, REQUEST_SHAPE, 'request');
    if (requestProblem) return reply.code(400).send({ statusCode: 400, message: `malformed AdmissionReview: ${requestProblem}` });
    let decision: Decision;
    try {
      const pending = handler(req);
      decision = pending instanceof Promise ? await pending : pending;
    } catch (err) {
      request.log.error({ err, uid: req.uid }, 'handler failed');
      decision = failOpen
        ? { response: allowed(req.uid, ['kubectl-gray: the webhook failed on this object; nothing was changed by it']), findings: [] }
        : { response: errored(req.uid, 500, 'kubectl-gray webhook internal error; see its log'), findings: [] };
      metrics.decision(name, 'none', 'error');
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const r = decision.response;
    const outcome = (r.status?.code ?? 0) >= 500 ? 'error' : !r.allowed ? 'denied' : r.patch ? 'patched' : r.warnings?.length ? 'warned' : 'allowed';
    if (outcome === 'error' && r.status?.code !== 500) metrics.decision(name, 'none', 'error');
    if (outcome !== 'error') {
      if (decision.findings.length === 0) metrics.decision(name, 'none', outcome);
      for (const f of decision.findings) {
        const result = relaxedOutcome(f) ?? (f.severity === 'error' && outcome === 'denied' ? 'denied' : 'warned');
        metrics.decision(name, f.rule, result);
        const policy = f.relaxed?.policy ?? f.policy;
        if (policy) policyResults.inc({ policy, rule: f.rule, outcome: result });
      }
      if (!req.dryRun && decision.findings.length > 0) options.onDecision?.(req, decision);
    }
    metrics.latency(name, seconds);
    const obj = req.object ?? req.oldObject;
    // pino's check; fastify's stand-in for no logger has none, and then nothing is built for nobody.
    if ((request.log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.('info')) request.log.info({
      uid: req.uid, kind: req.kind.kind, namespace: req.namespace, name: req.name ?? obj?.metadata?.name,
      operation: req.operation, user: req.userInfo?.username, dryRun: req.dryRun ?? false, decision: outcome,
      rules: decision.findings.map((f) => f.code), latencyMs: Math.round(seconds * 1e5) / 100,
    }, 'admission');
    return review(r); // 200, serialised by fastify like any handler's value
  };

  const notAllowed = async (_: unknown, reply: import('fastify').FastifyReply) =>
    reply.code(405).header('Allow', 'POST').send({ statusCode: 405, message: 'admission endpoints take POST' });

  const policy = options.policy;
  const fresh = options.freshVirtualServices;
  const validate = (req: AdmissionRequest, rulesOf: () => Policy): Decision | Promise<Decision> => {
    if (isGatewayReview(req)) return validateGatewayLive(req, rulesOf());
    if (isPolicyReview(req)) return validatePolicyObject(req);
    const decision = settled(() => validateIstio(req, options.cache, rulesOf(), now()), options.settleWaitsMs ?? SETTLE_WAITS_MS);
    return decision instanceof Promise ? decision.then((d) => confirm(req, d, rulesOf)) : confirm(req, decision, rulesOf);
  };
  const confirm = (req: AdmissionRequest, decision: Decision, rulesOf: () => Policy): Decision | Promise<Decision> => {
    if (decision.response.allowed && options.gatewayReads && mayMeetRoutes(req)) return meetRoutes(req, decision, rulesOf, options.gatewayReads);
    return !decision.response.allowed || !fresh || !takesSubsetsAway(req) ? decision : confirmed(req, rulesOf, fresh);
  };
  // A VirtualService with new hosts: the Gateway API's routes of its hosts' namespaces, read now (GRAY603).
  const meetRoutes = async (req: AdmissionRequest, decision: Decision, rulesOf: () => Policy, reads: GatewayReads): Promise<Decision> => {
    const vs = req.object as { metadata?: { namespace?: string }; spec?: { hosts?: unknown } };
    const own = req.namespace ?? vs.metadata?.namespace ?? 'default';
    const hosts = Array.isArray(vs.spec?.hosts) ? vs.spec.hosts.filter((h): h is string => typeof h === 'string') : [];
    const namespaces = [...new Set(hosts.map((h) => serviceNamespace(resolveHost(h, own))).filter((n): n is string => !!n))];
    let routes: GatewayRoute[];
    try {
      routes = (await Promise.all(namespaces.map((n) => reads.routes(n)))).flat();
    } catch (err) {
      return { response: errored(req.uid, 503, `kubectl-gray could not read the Gateway API routes this VirtualService may meet (${(err as Error).message}); try again`), findings: [] };
    }
    return besideRoutes(req, decision, routes, rulesOf());
  };
  const confirmed = async (req: AdmissionRequest, rulesOf: () => Policy, fresh: () => Promise<readonly VirtualService[]>): Promise<Decision> => {
    let virtualServices: readonly VirtualService[];
    try {
      virtualServices = await fresh();
    } catch {
      confirmations.inc({ result: 'error' });
      return { response: errored(req.uid, 503, 'kubectl-gray could not confirm with the API server that no VirtualService still uses what this change removes; try again'), findings: [] };
    }
    const confirmed = validateIstio(req, { virtualServices: () => virtualServices, destinationRules: () => options.cache.destinationRules() }, rulesOf(), now());
    confirmations.inc({ result: confirmed.response.allowed ? 'allowed' : 'refused' });
    return confirmed;
  };
  // A route is judged against the Services of its namespaces as they are now; a Service's delete against the routes
  // of its namespace. A read that fails is a 503 (the API server then applies the failurePolicy): never a guess.
  const validateGatewayLive = async (req: AdmissionRequest, rules: Policy): Promise<Decision> => {
    const reads = options.gatewayReads;
    const subject = (req.object ?? req.oldObject) as KubeObject | null | undefined;
    const ns = req.namespace ?? subject?.metadata?.namespace ?? 'default';
    const world: GatewayWorld = { virtualServices: options.cache.virtualServices() };
    try {
      if (reads && isGatewayRoute(subject)) {
        const named = (subject.spec.rules ?? []).flatMap((r) => r.backendRefs ?? []).map((b) => b.namespace ?? ns);
        world.services = (await Promise.all([...new Set([ns, ...named])].map((n) => reads.services(n)))).flat();
      }
      if (reads && subject?.kind === 'Service') world.gatewayRoutes = await reads.routes(ns);
    } catch (err) {
      return { response: errored(req.uid, 503, `kubectl-gray could not read what this ${req.kind.kind} is checked against from the API server (${(err as Error).message}); try again`), findings: [] };
    }
    return validateGateway(req, world, rules, now());
  };
  app.post('/validate', admission('validate', (req) => validate(req, () => policy(req.namespace ?? '')), false));
  // The safe-install self-check (fail-closed.ts): judged with every rule enforced, whatever the admin policy relaxes.
  app.post('/selfcheck', admission('selfcheck', (req) => validate(req, () => DEFAULT_POLICY), false));
  app.post('/mutate', admission('mutate', (req) => mutate(req, now()), true));
  for (const path of ['/validate', '/selfcheck', '/mutate']) {
    app.route({ method: ['GET', 'PUT', 'DELETE', 'PATCH'], url: path, handler: notAllowed });
  }
  if (options.routeQuery) registerRouteQuery(app, { ...options.routeQuery, cache: options.cache, metrics });
  app.get('/healthz', async () => 'ok');
  app.get('/readyz', async (_, reply) => {
    const cacheOk = options.cache.synced();
    const tlsOk = options.tlsReady?.() ?? true;
    const draining = options.draining?.() ?? false;
    if (cacheOk && tlsOk && !draining) return 'ok';
    return reply.code(503).send(`not ready:${cacheOk ? '' : ' caches not synced'}${tlsOk ? '' : ' no serving certificate'}${draining ? ' shutting down' : ''}\n`);
  });
  app.get('/metrics', async (_, reply) => reply.type(metrics.contentType).send(await metrics.render()));
  return app;
}

