// kubectl-gray-webhook: `serve` runs the admission webhook over TLS; `certs` writes a CA and a serving
// certificate (the harness and the chart's self-managed mode use it).
import { mkdirSync, readFileSync, watchFile, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { type Policy, parsePolicy } from '../core/policy.js';
import { RouteTable } from '../core/route-index.js';
import { istioCache } from './cache.js';
import { readYaml } from '../core/yaml.js';
import { KubeRest } from '../kube/rest.js';
import { CertificateKeeper } from './cert-sync.js';
import { generateCa, generateServing } from './certs.js';
import { type FailurePolicy, FailurePolicyController } from './fail-closed.js';
import { LeaseElector } from './lease.js';
import { RouteIndexKeeper } from './route-index.js';
import { API_SERVICE_NAME, RequestHeaderKeeper, identifyTls, rememberedVerdicts, subjectMayList } from './route-query.js';
import { Metrics } from './metrics.js';
import { type SelfManagedOptions, secretOwner } from './self-managed.js';
import { liveGatewayReads } from './gateway-reads.js';
import { policyEventRecorder } from './policy-events.js';
import { filePolicy, keepDefaultPolicy, policyObjects } from './policy-store.js';
import { buildServer } from './server.js';
import { TLS_MIN_VERSION, readTls, watchTls } from './tls.js';

function readPolicy(file: string | undefined): Policy {
  if (!file) return parsePolicy(undefined);
  return parsePolicy(readYaml(readFileSync(file, 'utf8'))[0]);
}

interface ServeArgs {
  port: number; host: string; 'cert-file'?: string; 'key-file'?: string; policy?: string; kubeconfig?: string; 'log-level': string;
  'record-dir'?: string; 'self-managed-certs'?: boolean; namespace?: string; 'secret-name': string; 'webhook-config-name': string;
  'service-name': string; 'cert-dir': string; 'ca-days': number; 'cert-days': number;
  'failure-policy'?: FailurePolicy; 'lease-name'?: string; 'cert-sync-seconds': number; 'shutdown-delay-seconds': number;
  'route-index'?: boolean; 'route-query'?: boolean; 'gateway-api'?: boolean; 'policy-objects'?: boolean; 'default-policy-name'?: string;
}

async function serve(args: ServeArgs) {
  let policy = readPolicy(args.policy);
  const kc = new KubeConfig();
  if (args.kubeconfig) kc.loadFromFile(args.kubeconfig);
  else if (process.env['KUBERNETES_SERVICE_HOST']) kc.loadFromCluster();
  else throw new Error('no --kubeconfig and not running in a cluster');

  const namespace = args.namespace ?? process.env['POD_NAMESPACE'];
  const podName = process.env['POD_NAME'];
  const identity = podName ?? hostname();
  const rest = new KubeRest(kc);
  const log = { info: (o: object, m: string) => console.error(JSON.stringify({ ...o, msg: m })), warn: (o: object, m: string) => console.error(JSON.stringify({ ...o, msg: m })) };
  const metrics = new Metrics({ processMetrics: true });
  let tlsFiles: { certFile: string; keyFile: string };
  let keeper: CertificateKeeper | undefined;
  let elector: LeaseElector | undefined;
  if (args['self-managed-certs']) {
    if (!namespace) throw new Error('--self-managed-certs needs --namespace (or POD_NAMESPACE)');
    const svc = args['service-name'];
    const options: SelfManagedOptions = {
      namespace, secretName: args['secret-name'], webhookConfigName: args['webhook-config-name'], certDir: args['cert-dir'],
      dnsNames: [svc, `${svc}.${namespace}`, `${svc}.${namespace}.svc`, `${svc}.${namespace}.svc.cluster.local`],
      caDays: args['ca-days'], certDays: args['cert-days'], ...(args['route-query'] ? { apiServiceName: API_SERVICE_NAME } : {}),
    };
    // One replica (the Lease holder) writes certificates; every replica serves the Secret's, reloaded without a restart.
    // Owned like the Secret by the validating configuration, so helm uninstall leaves no Lease behind.
    elector = new LeaseElector(rest, {
      namespace, name: args['lease-name'] ?? `${args['secret-name']}-leader`, identity, owner: () => secretOwner(rest, options.webhookConfigName),
    }, log);
    keeper = new CertificateKeeper(rest, options, elector, log, args['cert-sync-seconds'] * 1000);
    await keeper.firstMaterial();
    elector.start();
    keeper.start();
    const leader = elector;
    metrics.gauge('kubectl_gray_webhook_leader', 'Whether this replica holds the certificate Lease (1) or not (0).', () => (leader.isLeader() ? 1 : 0));
    tlsFiles = { certFile: join(options.certDir, 'tls.crt'), keyFile: join(options.certDir, 'tls.key') };
  } else {
    if (!args['cert-file'] || !args['key-file']) throw new Error('give --cert-file and --key-file, or --self-managed-certs');
    tlsFiles = { certFile: args['cert-file'], keyFile: args['key-file'] };
  }
  const tls = readTls(tlsFiles);
  // The route query: its TLS server asks every client for a certificate (admission calls come without one, and
  // are served all the same) and verifies it against the front proxy's CA once that is read.
  const requestHeader = args['route-query'] ? new RequestHeaderKeeper(rest, log) : undefined;
  const clientAuth = requestHeader ? { requestCert: true, rejectUnauthorized: false } : {};
  // The caches log through the app's logger, and the app reads the caches: the app is built
  // first over this late-bound view of them.
  let cacheRef: ReturnType<typeof istioCache> | undefined;
  const policies = args['policy-objects'] ? policyObjects(rest, () => policy, log) : filePolicy(() => policy);
  const NO_ROUTES = new RouteTable();
  let tlsWatch: ReturnType<typeof watchTls> | undefined;
  let draining = false;
  const app = buildServer({
    metrics,
    draining: () => draining,
    freshVirtualServices: async () => {
      if (!cacheRef) throw new Error('no cache yet');
      return cacheRef.freshVirtualServices();
    },
    cache: {
      virtualServices: () => cacheRef?.virtualServices() ?? [],
      routes: () => cacheRef?.routes() ?? NO_ROUTES,
      destinationRules: () => cacheRef?.destinationRules() ?? [],
      // Ready only once the policy objects are known too: no decision from a policy that was never read.
      synced: () => (cacheRef?.synced() ?? false) && policies.synced(),
      start: async () => undefined,
      stop: async () => undefined,
    },
    policy: (namespace) => policies.policyFor(namespace),
    // Events need create on events in every namespace, which the chart grants with the policy objects.
    ...(args['policy-objects'] ? { onDecision: policyEventRecorder(rest, log, identity) } : {}),
    ...(args['gateway-api'] ? { gatewayReads: liveGatewayReads(rest, log) } : {}),
    // Ready only while the certificate being served is valid: an expired one fails every API server call.
    tlsReady: () => !tlsWatch || tlsWatch.expiry().getTime() > Date.now(),
    ...(requestHeader ? { routeQuery: { identify: identifyTls(() => requestHeader.current), ready: () => !!requestHeader.current, mayList: rememberedVerdicts(subjectMayList(rest)) } } : {}),
    fastify: {
      https: { ...tls, ...clientAuth, minVersion: TLS_MIN_VERSION },
      logger: { level: args['log-level'] },
      keepAliveTimeout: 65_000,
    },
  });
  const cache = istioCache(rest, app.log);
  cacheRef = cache;
  tlsWatch = watchTls(app.server as import('node:https').Server, tlsFiles, app.log);
  const trust = tlsWatch.trustClients;
  requestHeader?.start((settings) => trust(settings.clientCa));
  const served = tlsWatch;
  const certKeeper = keeper;
  metrics.gauge('kubectl_gray_webhook_certificate_expiry_timestamp_seconds', 'When the served certificate and (self-managed) the CA expire, in Unix seconds.', () => [
    { labels: { certificate: 'serving' }, value: served.expiry().getTime() / 1000 },
    ...(certKeeper?.caExpiry ? [{ labels: { certificate: 'ca' }, value: certKeeper.caExpiry.getTime() / 1000 }] : []),
  ], ['certificate']);
  // Safe install: fail open until the API server is seen to reach us and honour our refusals.
  let failurePolicy: FailurePolicyController | undefined;
  if (args['failure-policy']) {
    if (!namespace) throw new Error('--failure-policy needs --namespace (or POD_NAMESPACE)');
    const controller = new FailurePolicyController(rest, {
      namespace, configName: args['webhook-config-name'], target: args['failure-policy'],
      ...(podName ? { pod: { name: podName, ...(process.env['POD_UID'] ? { uid: process.env['POD_UID'] } : {}) } } : {}),
    }, app.log);
    failurePolicy = controller;
    metrics.gauge('kubectl_gray_webhook_fail_closed', 'Whether the validating webhook\'s main entries fail closed (1) or open (0); see its Events and log for why.',
      () => (controller.state === 'closed' ? 1 : 0));
    metrics.gauge('kubectl_gray_webhook_self_checks', 'Self-checks through the API server since start, by result.', () => [
      { labels: { result: 'proven' }, value: controller.checks.proven }, { labels: { result: 'not-proven' }, value: controller.checks.notProven }], ['result']);
  }
  // The chart's default policy as a ClusterGrayPolicy, written again whenever the file changes.
  const defaultName = args['policy-objects'] ? args['default-policy-name'] : undefined;
  let keeping: Promise<void> | undefined;
  const keepDefault = () => {
    if (!defaultName || keeping) return;
    keeping = (async () => {
      for (let pause = 1000; ; pause = Math.min(pause * 2, 30_000)) {
        try {
          const written = policy;
          const result = await keepDefaultPolicy(rest, defaultName, written, () => secretOwner(rest, args['webhook-config-name']));
          if (result !== 'unchanged') app.log.info({ policy: defaultName, result }, 'default ClusterGrayPolicy written from the policy file');
          if (written === policy) return; // else the file changed meanwhile: write again
        } catch (err) {
          app.log.warn({ policy: defaultName, pauseMs: pause, err: String((err as Error).message) }, 'could not write the default ClusterGrayPolicy; trying again');
          await new Promise((r) => setTimeout(r, pause).unref());
        }
      }
    })().finally(() => { keeping = undefined; });
  };
  keepDefault();
  if (args.policy) {
    const file = args.policy;
    watchFile(file, { interval: 2000 }, () => {
      try {
        policy = readPolicy(file);
        app.log.info({ file }, 'policy reloaded');
        keepDefault();
      } catch (err) {
        app.log.error({ file, err: String((err as Error).message) }, 'policy reload failed; keeping the current policy');
      }
    });
  }
  const recordDir = args['record-dir'];
  if (recordDir) {
    // Keeps every review as received: material for the benchmark and for bug reports.
    mkdirSync(recordDir, { recursive: true });
    app.addHook('preHandler', async (request) => {
      const req = (request.body as { request?: { uid?: string; kind?: { kind?: string }; operation?: string } } | undefined)?.request;
      if (req?.uid) writeFileSync(join(recordDir, `${req.kind?.kind}-${req.operation}-${req.uid}.json`), JSON.stringify(request.body, null, 2));
    });
  }
  let routeIndex: RouteIndexKeeper | undefined;
  if (args['route-index']) {
    const keeper = routeIndex = new RouteIndexKeeper(rest, () => cache.virtualServices(), app.log);
    metrics.gauge('kubectl_gray_route_index_pending', 'Cached VirtualServices whose route index labels are out of line with their spec and not yet fixed.', () => keeper.pending);
    metrics.gauge('kubectl_gray_route_index_patched', 'VirtualServices this replica has labelled for the route index since it started.', () => keeper.patched);
  }
  await app.listen({ port: args.port, host: args.host });
  Promise.all([cache.start(), policies.start()]).then(() => { failurePolicy?.start(); routeIndex?.start(); }).catch((err) => app.log.error({ err: String(err) }, 'cache start failed'));
  const delayMs = args['shutdown-delay-seconds'] * 1000;
  const shutdown = async () => {
    if (draining) return;
    // Keep answering while the endpoints controller and kube-proxy take this pod out of the Service:
    // readiness fails and every reply closes its connection, so the API server moves to the other replica.
    draining = true;
    app.log.info({ delayMs }, 'shutting down: draining');
    failurePolicy?.stop();
    keeper?.stop();
    routeIndex?.stop();
    requestHeader?.stop();
    await elector?.stop(); // the other replica takes the Lease at once
    await new Promise((r) => setTimeout(r, delayMs));
    tlsWatch?.stop();
    await cache.stop().catch(() => undefined);
    policies.stop();
    await app.close();
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

function certs(args: { out: string; dns: string[]; ip: string[]; days: number }) {
  mkdirSync(args.out, { recursive: true });
  const ca = generateCa();
  const serving = generateServing(ca, { dnsNames: args.dns, ips: args.ip, days: args.days });
  writeFileSync(join(args.out, 'ca.crt'), ca.cert);
  writeFileSync(join(args.out, 'ca.key'), ca.key, { mode: 0o600 });
  writeFileSync(join(args.out, 'tls.crt'), serving.cert);
  writeFileSync(join(args.out, 'tls.key'), serving.key, { mode: 0o600 });
  process.stdout.write(`wrote ca.crt, ca.key, tls.crt, tls.key to ${args.out}\n`);
}

const list = (v: unknown) => (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(',')).filter(Boolean);

await yargs(hideBin(process.argv))
  .scriptName('kubectl-gray-webhook')
  .command('serve', 'Serve the admission webhook over TLS', (y) => y
    .option('port', { type: 'number', default: 8443 })
    .option('host', { type: 'string', default: '0.0.0.0', describe: 'Address to listen on (0.0.0.0 so probes reach it in a pod)' })
    .option('cert-file', { type: 'string', describe: 'Serving certificate (PEM); reloaded when it changes' })
    .option('key-file', { type: 'string', describe: 'Serving key (PEM)' })
    .option('self-managed-certs', { type: 'boolean', describe: 'Keep a CA and serving certificate in a Secret and patch our webhook configurations\' caBundle' })
    .option('namespace', { type: 'string', describe: 'Namespace of the Secret and Service (default: $POD_NAMESPACE)' })
    .option('secret-name', { type: 'string', default: 'kubectl-gray-webhook-certs' })
    .option('webhook-config-name', { type: 'string', default: 'kubectl-gray' })
    .option('service-name', { type: 'string', default: 'kubectl-gray-webhook' })
    .option('cert-dir', { type: 'string', default: '/var/run/kubectl-gray/certs' })
    .option('ca-days', { type: 'number', default: 3650 })
    .option('cert-days', { type: 'number', default: 365 })
    .option('policy', { type: 'string', describe: 'Policy file (YAML): the whole policy, or with --policy-objects the default used until those are read; reloaded when it changes' })
    .option('default-policy-name', { type: 'string', describe: 'With --policy-objects: keep the policy file as this ClusterGrayPolicy (needs get, create and update on it)' })
    .option('policy-objects', { type: 'boolean', describe: 'Judge by the ClusterGrayPolicy and GrayPolicy objects (policy.kubectl-gray.io); needs list and watch on them and on namespaces' })
    .option('kubeconfig', { type: 'string', describe: 'Default: the in-cluster service account' })
    .option('log-level', { type: 'string', default: 'info' })
    .option('record-dir', { type: 'string', describe: 'Write every AdmissionReview received to this folder (for benchmarks and bug reports)' })
    .option('failure-policy', { type: 'string', choices: ['Fail', 'Ignore'], describe: 'Set the validating configuration\'s main entries to this failurePolicy; Fail only once a self-check through the API server proves it reaches the webhook' })
    .option('route-index', { type: 'boolean', describe: 'Label VirtualServices that were written without the mutating entry, for the route index' })
    .option('gateway-api', { type: 'boolean', describe: 'Judge the Gateway API\'s mesh routes (HTTPRoute, GRPCRoute) and Service deletes, and VirtualServices against the routes; needs list on services, httproutes and grpcroutes' })
    .option('route-query', { type: 'boolean', describe: 'Answer which VirtualServices reach a service (query.kubectl-gray.io, through an APIService) from the cache; needs the API server\'s front proxy (--requestheader-* flags)' })
    .option('lease-name', { type: 'string', describe: 'Lease whose holder manages self-managed certificates (default: <secret-name>-leader)' })
    .option('cert-sync-seconds', { type: 'number', default: 5, describe: 'How often replicas check the certificate Secret' })
    .option('shutdown-delay-seconds', { type: 'number', default: 10, describe: 'On SIGTERM, keep serving (not ready, closing connections) this long before stopping' }),
  (a) => serve(a as unknown as ServeArgs))
  .command('certs', 'Write a CA and a serving certificate (ca.crt, ca.key, tls.crt, tls.key)', (y) => y
    .option('out', { type: 'string', demandOption: true })
    .option('dns', { type: 'string', array: true, default: [], coerce: list })
    .option('ip', { type: 'string', array: true, default: [], coerce: list })
    .option('days', { type: 'number', default: 365 }),
  (a) => certs(a as never))
  .demandCommand(1)
  .strict()
  .help()
  .parseAsync();
