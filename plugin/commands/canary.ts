import { type Deployment, canaryDeployment, canaryName, canarySubset, newDestinationRule, withSubset, withoutSubset } from '../../core/canary.js';
import { IntentError } from '../../core/errors.js';
import { canonicalJson } from '../../core/model.js';
import { virtualServicesForHost } from '../../core/target.js';
import { withoutSubsetInRoutes } from '../../core/ops/drop-subset.js';
import { ApiError } from '../../kube/errors.js';
import type { GrayCommand } from '../command.js';
import { type CommandContext, EXIT } from '../context.js';
import type { DryRun, GrayCluster } from '../kube/cluster.js';
import { mutateVirtualService } from '../mutate.js';
import { mutateDestinationRule } from '../mutate-rule.js';
import { type GlobalArgs, parseDryRun, checkOutput } from '../options.js';
import { printWrite } from '../render/mutation.js';
import { upsertObject } from '../upsert.js';

interface Args extends GlobalArgs {
  deployment: string; image?: string; version: string; replicas: number; service?: string; container?: string;
  delete?: boolean; 'dry-run': DryRun; output?: string;
}

export const canaryCommand: GrayCommand = {
  command: 'canary <deployment>',
  describe: 'Create a canary Deployment beside a base one, with its subset; or remove it (--delete)',
  builder: (y) => y
    .positional('deployment', { type: 'string', describe: 'The base Deployment' })
    .option('image', { type: 'string', describe: 'The canary\'s image (for the first container, or --container)' })
    .option('version', { type: 'string', default: 'canary', describe: 'Version label of the canary pods, and the name of their subset' })
    .option('replicas', { type: 'number', default: 1 })
    .option('service', { type: 'string', describe: 'The service whose DestinationRule gets the subset (default: the pods\' app label)' })
    .option('container', { type: 'string', describe: 'The container whose image changes (default: the first)' })
    .option('delete', { type: 'boolean', describe: 'Remove the canary: routes to it first, then its subset, then the Deployment' })
    .option('dry-run', { type: 'string', default: 'none', coerce: parseDryRun, describe: 'none|client|server' })
    .option('output', { alias: 'o', type: 'string', describe: 'yaml|json: print the canary Deployment' })
    .example('$0 canary mocka --image registry/mocka:2.0', 'mocka-canary (version: canary, istio.service.tag: gray) and subset canary in mocka\'s DestinationRule')
    .example('$0 canary mocka --delete', 'routes off the canary, subset removed, mocka-canary deleted'),
  async run(raw, ctx) {
    const args = raw as unknown as Args;
    if (!args.delete && !args.image) throw new IntentError('give the canary\'s --image (or --delete to remove a canary)');
    if (args.delete && args.image) throw new IntentError('--image and --delete do not go together');
    if (!Number.isInteger(args.replicas) || args.replicas < 0) throw new IntentError(`--replicas "${args.replicas}": must be a whole number >= 0`);
    checkOutput(args.output, ['yaml', 'json']);
    const cluster = await ctx.connect(args);
    const ns = cluster.namespace;
    const base = await cluster.get<Deployment>({ resource: 'deployments', namespace: ns, name: args.deployment });
    if (!base) throw new IntentError(`deployment "${args.deployment}" not found in namespace ${ns}`);
    const service = args.service ?? base.spec.template.metadata?.labels?.['app'];
    if (!service) throw new IntentError(`deployment ${ns}/${args.deployment} has no app label on its pods; name the service with --service`);
    return args.delete
      ? removeCanary(ctx, cluster, { ns, base: args.deployment, service, version: args.version, dryRun: args['dry-run'] })
      : createCanary(ctx, cluster, { ns, base, service, args });
  },
};

async function createCanary(ctx: CommandContext, cluster: GrayCluster, p: { ns: string; base: Deployment; service: string; args: Args }): Promise<number> {
  const { ns, base, service, args } = p;
  const canary = canaryDeployment(base, { image: args.image!, version: args.version, replicas: args.replicas, container: args.container });
  // Make before break: the subset exists before anything can route to it.
  const subset = canarySubset(args.version);
  await mutateDestinationRule(ctx, cluster, {
    service, namespace: ns, dryRun: args['dry-run'],
    edit: (current) => (current ? withSubset(current, subset) : newDestinationRule(service, ns, [subset])),
  });
  // The API server fills in defaults on the template, so compare only what the canary sets.
  const ours = (d: Deployment) => canonicalJson({ labels: d.spec.template.metadata?.labels, images: d.spec.template.spec.containers.map((c) => c.image), replicas: d.spec.replicas });
  await upsertObject(ctx, cluster, {
    ref: { resource: 'deployments', namespace: ns, name: canary.metadata.name },
    kindGroup: 'deployment.apps', desired: canary, dryRun: args['dry-run'], output: args.output as 'yaml' | 'json' | undefined,
    unchanged: (existing) => ours(existing) === ours(canary),
    // The selector of an existing Deployment cannot change; everything else becomes the canary's.
    merge: (existing) => ({
      ...existing,
      metadata: { ...existing.metadata, labels: canary.metadata.labels, annotations: { ...existing.metadata.annotations, ...canary.metadata.annotations } },
      spec: { ...canary.spec, selector: existing.spec.selector },
    }),
  });
  return EXIT.ok;
}

async function removeCanary(ctx: CommandContext, cluster: GrayCluster, p: { ns: string; base: string; service: string; version: string; dryRun: DryRun }): Promise<number> {
  const { ns, service, version, dryRun } = p;
  // 1. Routes: every VirtualService of the service stops sending anything to the subset.
  for (const vs of virtualServicesForHost(service, ns, await cluster.listVirtualServices(ns))) {
    await mutateVirtualService(ctx, cluster, {
      service, vsName: vs.metadata.name, dryRun, change: `canary ${p.base} --delete`, verb: 'configured',
      edit: (current) => ({ next: withoutSubsetInRoutes(current, version) }),
    });
  }
  // 2. The subset.
  await mutateDestinationRule(ctx, cluster, {
    service, namespace: ns, dryRun,
    edit: (current) => (current && (current.spec.subsets ?? []).some((s) => s.name === version) ? withoutSubset(current, version) : undefined),
  });
  // 3. The workload.
  const name = canaryName(p.base);
  if (dryRun === 'client') {
    printWrite(ctx.io, 'deployment.apps', name, 'deleted', dryRun);
    return EXIT.ok;
  }
  try {
    await cluster.remove({ resource: 'deployments', namespace: ns, name }, dryRun);
    printWrite(ctx.io, 'deployment.apps', name, 'deleted', dryRun);
  } catch (err) {
    if (!(err instanceof ApiError && err.isNotFound)) throw err;
    ctx.io.err(`deployment.apps/${name} was already gone\n`);
  }
  return EXIT.ok;
}
