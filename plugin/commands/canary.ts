import { type Deployment, appOf, canaryName } from '../../core/canary.js';
import { planCanaryCreate, planCanaryDelete } from '../../core/canary-plan.js';
import { IntentError } from '../../core/errors.js';
import { planGatewayCanaryCreate, planGatewayCanaryDelete } from '../../core/gateway-api/canary.js';
import { requireOneModel, serviceOf } from '../../core/gateway-api/plan.js';
import { gatewayRoutesOf, newPlanId, runPlan, serviceHosts } from '../apply.js';
import type { GrayCommand } from '../command.js';
import { EXIT } from '../context.js';
import type { DryRun } from '../kube/cluster.js';
import { type GlobalArgs, checkOutput, parseDryRun, withForceFlag } from '../options.js';

interface Args extends GlobalArgs {
  deployment: string; image?: string; version: string; replicas: number; service?: string; container?: string;
  name?: string; subset?: string; delete?: boolean; 'dry-run': DryRun; output?: string; force?: boolean;
}

export const canaryCommand: GrayCommand = {
  command: 'canary <deployment>',
  describe: 'Create a canary Deployment beside a base one, with its subset (or version Service); or remove it (--delete)',
  builder: (y) => withForceFlag(y
    .positional('deployment', { type: 'string', describe: 'The base Deployment (e.g. mocka-base, reviews-v1)' })
    .option('image', { type: 'string', describe: 'The canary\'s image (for the only container, or --container)' })
    .option('version', { type: 'string', default: 'canary', describe: 'Version label of the canary pods' })
    .option('subset', { type: 'string', describe: 'The name of the canary\'s subset, in your scheme (default: the version, e.g. version-canary)' })
    .option('name', { type: 'string', describe: 'The canary Deployment\'s name (default: <app label>-<version>)' })
    .option('replicas', { type: 'number', default: 1 })
    .option('service', { type: 'string', describe: 'The service whose DestinationRule gets the subset (default: the pods\' app label)' })
    .option('container', { type: 'string', describe: 'The container whose image changes (needed when the pods run several)' })
    .option('delete', { type: 'boolean', describe: 'Remove the canary: routes to it first, then its subset, then the Deployment' })
    .option('dry-run', { type: 'string', default: 'none', coerce: parseDryRun, describe: 'none|client (the plan as a diff)|server' })
    .option('output', { alias: 'o', type: 'string', describe: 'yaml|json|name|jsonpath=TEMPLATE: print the objects' }))
    .example('$0 canary mocka-base --image registry/mocka:2.0', 'mocka-canary (version: canary, istio.service.tag: gray) and subset canary in the DestinationRule for mocka, whatever its name')
    .example('$0 canary reviews-v1 --image registry/reviews:2.0 --version v2 --subset version-v2', 'subsets in your own naming scheme')
    .example('$0 canary mocka-base --delete', 'routes off the canary, subset removed, mocka-canary deleted')
    .example('$0 canary reviews-v1 --image registry/reviews:2.0 --version v2', 'a Service routed by the Gateway API: reviews-v2 (Deployment) and its version Service reviews-v2'),
  async run(raw, ctx) {
    const args = raw as unknown as Args;
    if (!args.delete && !args.image) throw new IntentError('give the canary\'s --image (or --delete to remove a canary)');
    if (args.delete && args.image) throw new IntentError('--image and --delete do not go together');
    if (!Number.isInteger(args.replicas) || args.replicas < 0) throw new IntentError(`--replicas "${args.replicas}": must be a whole number >= 0`);
    const output = checkOutput(args.output, ['yaml', 'json', 'name'] as const);
    const cluster = await ctx.connect(args);
    const ns = cluster.namespace;
    const plan = newPlanId(ctx.now());
    await runPlan(ctx, cluster, {
      dryRun: args['dry-run'], output, force: args.force, hosts: serviceHosts(args.service, ns),
      build: async (reads) => {
        const base = await reads.get<Deployment>({ resource: 'deployments', namespace: ns, name: args.deployment });
        if (!base) throw new IntentError(`deployment "${args.deployment}" not found in namespace ${ns}`);
        const service = args.service ?? appOf(base);
        if (!service) throw new IntentError(`deployment ${ns}/${args.deployment} has no app label on its pods; name the service with --service`);
        const intent = { version: args.version, name: args.name, subset: args.subset };
        const existing = await reads.get<Deployment>({ resource: 'deployments', namespace: ns, name: canaryName(base, intent) });
        const req = { service, namespace: ns, now: ctx.now(), plan };
        // Routed by the Gateway API: the version is a Service of its own (the Service's routes, not a subset).
        const routes = await gatewayRoutesOf(reads, { service });
        if (routes.length > 0) {
          requireOneModel(serviceOf(service, ns), routes, await reads.virtualServices());
          const services = await reads.services(ns);
          const gatewaySnap = { base, existing, routes, parent: services.find((s) => s.metadata.name === service), services };
          return args.delete ? planGatewayCanaryDelete(gatewaySnap, intent, req)
            : planGatewayCanaryCreate(gatewaySnap, { ...intent, image: args.image!, replicas: args.replicas, container: args.container }, req);
        }
        const svc = await cluster.getService(ns, service);
        const snap = { base, existing, virtualServices: await reads.virtualServices(), destinationRules: await reads.destinationRules(), serviceSelector: svc?.selector };
        return args.delete
          ? planCanaryDelete(snap, intent, req)
          : planCanaryCreate(snap, { ...intent, image: args.image!, replicas: args.replicas, container: args.container }, req);
      },
    });
    return EXIT.ok;
  },
};
