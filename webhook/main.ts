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
import { generateCa, generateServing } from './certs.js';
import { buildServer } from './server.js';
import { TLS_MIN_VERSION, readTls, watchTls } from './tls.js';

function readPolicy(file: string | undefined): Policy {
  if (!file) return parsePolicy(undefined);
  return parsePolicy(load(readFileSync(file, 'utf8')));
}

async function serve(args: {
  port: number; host: string; 'cert-file': string; 'key-file': string; policy?: string; kubeconfig?: string; 'log-level': string; 'record-dir'?: string;
}) {
  let policy = readPolicy(args.policy);
  const kc = new KubeConfig();
  if (args.kubeconfig) kc.loadFromFile(args.kubeconfig);
  else if (process.env['KUBERNETES_SERVICE_HOST']) kc.loadFromCluster();
  else throw new Error('no --kubeconfig and not running in a cluster');

  const tlsFiles = { certFile: args['cert-file'], keyFile: args['key-file'] };
  const tls = readTls(tlsFiles);
  let cacheRef: ReturnType<typeof informerCache> | undefined;
  const app = buildServer({
    cache: {
      virtualServices: () => cacheRef?.virtualServices() ?? [],
      destinationRules: () => cacheRef?.destinationRules() ?? [],
      synced: () => cacheRef?.synced() ?? false,
      start: async () => undefined,
      stop: async () => undefined,
    },
    policy: () => policy,
    tlsReady: () => true,
    fastify: {
      https: { ...tls, minVersion: TLS_MIN_VERSION },
      logger: { level: args['log-level'] },
      keepAliveTimeout: 65_000,
    },
  });
  const cache = informerCache(kc, app.log);
  cacheRef = cache;
  const stopTls = watchTls(app.server as import('node:https').Server, tlsFiles, app.log);
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
    stopTls();
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
    .option('cert-file', { type: 'string', demandOption: true })
    .option('key-file', { type: 'string', demandOption: true })
    .option('policy', { type: 'string', describe: 'Policy file (YAML); reloaded when it changes' })
    .option('kubeconfig', { type: 'string', describe: 'Default: the in-cluster service account' })
    .option('log-level', { type: 'string', default: 'info' })
    .option('record-dir', { type: 'string', describe: 'Write every AdmissionReview received to this folder (for benchmarks and bug reports)' }),
  (a) => serve(a as never))
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
