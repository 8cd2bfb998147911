// kubectl-gray-webhook: `serve` runs the admission webhook over TLS; `certs` writes a CA and a serving
// certificate (the harness and the chart's self-managed mode use it).
import { mkdirSync, readFileSync, watchFile, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { load } from 'js-yaml';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { type Policy, parsePolicy } from '../core/policy.js';
import { informerCache } from './cache.js';
import { KubeRest } from '../kube/rest.js';
import { generateCa, generateServing } from './certs.js';
import { type SelfManagedOptions, reconcileCertificates } from './self-managed.js';
import { buildServer } from './server.js';
import { TLS_MIN_VERSION, readTls, watchTls } from './tls.js';

function readPolicy(file: string | undefined): Policy {
  if (!file) return parsePolicy(undefined);
  return parsePolicy(load(readFileSync(file, 'utf8')));
}

interface ServeArgs {
  port: number; host: string; 'cert-file'?: string; 'key-file'?: string; policy?: string; kubeconfig?: string; 'log-level': string;
  'record-dir'?: string; 'self-managed-certs'?: boolean; namespace?: string; 'secret-name': string; 'webhook-config-name': string;
  'service-name': string; 'cert-dir': string; 'ca-days': number; 'cert-days': number;
}

async function serve(args: ServeArgs) {
  let policy = readPolicy(args.policy);
  const kc = new KubeConfig();
  if (args.kubeconfig) kc.loadFromFile(args.kubeconfig);
  else if (process.env['KUBERNETES_SERVICE_HOST']) kc.loadFromCluster();
  else throw new Error('no --kubeconfig and not running in a cluster');

  let tlsFiles: { certFile: string; keyFile: string };
  let recheck: NodeJS.Timeout | undefined;
  if (args['self-managed-certs']) {
    const namespace = args.namespace ?? process.env['POD_NAMESPACE'];
    if (!namespace) throw new Error('--self-managed-certs needs --namespace (or POD_NAMESPACE)');
    const svc = args['service-name'];
    const options: SelfManagedOptions = {
      namespace, secretName: args['secret-name'], webhookConfigName: args['webhook-config-name'], certDir: args['cert-dir'],
      dnsNames: [svc, `${svc}.${namespace}`, `${svc}.${namespace}.svc`, `${svc}.${namespace}.svc.cluster.local`],
      caDays: args['ca-days'], certDays: args['cert-days'],
    };
    const rest = new KubeRest(kc);
    const log = { info: (o: object, m: string) => console.error(JSON.stringify({ ...o, msg: m })), warn: (o: object, m: string) => console.error(JSON.stringify({ ...o, msg: m })) };
    await reconcileCertificates(rest, options, log);
    // Renewal is checked every hour; the TLS watcher picks up new files without a restart.
    recheck = setInterval(() => { reconcileCertificates(rest, options, log).catch((err) => log.warn({ err: String(err) }, 'certificate check failed')); }, 3600_000);
    recheck.unref();
    tlsFiles = { certFile: join(options.certDir, 'tls.crt'), keyFile: join(options.certDir, 'tls.key') };
  } else {
    if (!args['cert-file'] || !args['key-file']) throw new Error('give --cert-file and --key-file, or --self-managed-certs');
    tlsFiles = { certFile: args['cert-file'], keyFile: args['key-file'] };
  }
  const tls = readTls(tlsFiles);
  // The informers log through the app's logger, and the app reads the informers: the app is built
  // first over this late-bound view of the cache.
  let cacheRef: ReturnType<typeof informerCache> | undefined;
  let tlsWatch: ReturnType<typeof watchTls> | undefined;
  const app = buildServer({
    cache: {
      virtualServices: () => cacheRef?.virtualServices() ?? [],
      destinationRules: () => cacheRef?.destinationRules() ?? [],
      synced: () => cacheRef?.synced() ?? false,
      start: async () => undefined,
      stop: async () => undefined,
    },
    policy: () => policy,
    // Ready only while the certificate being served is valid: an expired one fails every API server call.
    tlsReady: () => !tlsWatch || tlsWatch.expiry().getTime() > Date.now(),
    fastify: {
      https: { ...tls, minVersion: TLS_MIN_VERSION },
      logger: { level: args['log-level'] },
      keepAliveTimeout: 65_000,
    },
  });
  const cache = informerCache(kc, app.log);
  cacheRef = cache;
  tlsWatch = watchTls(app.server as import('node:https').Server, tlsFiles, app.log);
  if (args.policy) {
    const file = args.policy;
    watchFile(file, { interval: 2000 }, () => {
      try {
        policy = readPolicy(file);
        app.log.info({ file }, 'policy reloaded');
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
  await app.listen({ port: args.port, host: args.host });
  cache.start().catch((err) => app.log.error({ err: String(err) }, 'cache start failed'));
  const shutdown = async () => {
    if (recheck) clearInterval(recheck);
    tlsWatch?.stop();
    await cache.stop().catch(() => undefined);
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
    .option('policy', { type: 'string', describe: 'Policy file (YAML); reloaded when it changes' })
    .option('kubeconfig', { type: 'string', describe: 'Default: the in-cluster service account' })
    .option('log-level', { type: 'string', default: 'info' })
    .option('record-dir', { type: 'string', describe: 'Write every AdmissionReview received to this folder (for benchmarks and bug reports)' }),
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
