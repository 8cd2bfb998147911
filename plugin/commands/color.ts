import { type ColourRule, colourEnvoyFilter, parseBy, parseHeaderValue } from '../../core/colour.js';
import { IntentError } from '../../core/errors.js';
import { type KubeObject, canonicalJson } from '../../core/model.js';
import { type Plan, change } from '../../core/plan.js';
import { runPlan } from '../apply.js';
import type { GrayCommand } from '../command.js';
import { EXIT } from '../context.js';
import type { DryRun } from '../kube/cluster.js';
import { type GlobalArgs, parseDryRun, checkOutput } from '../options.js';

interface Args extends GlobalArgs {
  target: string; name?: string; 'gateway-selector'?: string; when?: string; set?: string; else?: string;
  percent?: number; by?: string; 'dry-run': DryRun; output?: string;
}

/** The rule an existing EnvoyFilter states (its annotation), for the undo hint. */
function describeArgs(existing: KubeObject): string {
  return `(as before: ${existing.metadata.annotations?.['kubectl-gray.io/rule'] ?? 'see its kubectl-gray.io/rule annotation'})`;
}

function parseSelector(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (raw ?? 'istio=ingressgateway').split(',').filter(Boolean)) {
    const [k, v] = pair.split('=');
    if (!k || v === undefined) throw new IntentError(`--gateway-selector "${raw}": expected LABEL=VALUE[,LABEL=VALUE]`);
    out[k] = v;
  }
  return out;
}

export function ruleFromArgs(args: Args): ColourRule {
  if (!args.set) throw new IntentError('say what to set: --set HEADER=VALUE, e.g. --set my-request-id=canary');
  const set = parseHeaderValue(args.set, '--set');
  const otherwise = args.else ? parseHeaderValue(args.else, '--else') : undefined;
  if (otherwise && otherwise.name !== set.name) throw new IntentError(`--else sets ${otherwise.name} but --set sets ${set.name}; they colour one header`);
  if (args.when && args.percent !== undefined) throw new IntentError('give either --when HEADER=VALUE or --percent N --by SOURCE, not both');
  if (args.when) return { kind: 'when', when: parseHeaderValue(args.when, '--when'), set, otherwise };
  if (args.percent !== undefined) {
    if (!Number.isInteger(args.percent) || args.percent < 0 || args.percent > 100) throw new IntentError(`--percent "${args.percent}": a whole number from 0 to 100`);
    if (!args.by) throw new IntentError('--percent needs --by header:NAME or --by cookie:NAME (who counts as the same user)');
    return { kind: 'percent', percent: args.percent, by: parseBy(args.by), set, otherwise };
  }
  throw new IntentError('say who is coloured: --when HEADER=VALUE, or --percent N --by header:NAME|cookie:NAME');
}

export const colorCommand: GrayCommand = {
  command: 'color <target> [name]',
  describe: 'Colour requests at the ingress gateway (an EnvoyFilter with generated Lua); color delete NAME removes it',
  builder: (y) => y
    .positional('target', { type: 'string', describe: 'The rule\'s name, or "delete"' })
    .positional('name', { type: 'string', describe: 'With delete: the rule to remove' })
    .option('gateway-selector', { type: 'string', default: 'istio=ingressgateway', describe: 'Labels of the gateway pods' })
    .option('when', { type: 'string', describe: 'HEADER=VALUE: colour requests carrying it' })
    .option('percent', { type: 'number', describe: 'Colour this share of users, sticky by --by' })
    .option('by', { type: 'string', describe: 'header:NAME or cookie:NAME: what identifies a user for --percent' })
    .option('set', { type: 'string', describe: 'HEADER=VALUE to set on coloured requests' })
    .option('else', { type: 'string', describe: 'HEADER=VALUE to set on all other requests (the same header)' })
    .option('dry-run', { type: 'string', default: 'none', coerce: parseDryRun, describe: 'none|client|server' })
    .option('output', { alias: 'o', type: 'string', describe: 'yaml|json|name|jsonpath=TEMPLATE' })
    .epilogue('The EnvoyFilter goes to -n NAMESPACE, default istio-system (where the ingress gateway usually runs).')
    .example('$0 color pc-users --when agent=pc --set my-request-id=canary --else my-request-id=base', 'requests with agent: pc are marked canary, all others base')
    .example('$0 color ten-percent --percent 10 --by header:x-user-id --set my-request-id=canary --else my-request-id=base', 'the same 10% of users every time')
    .example('$0 color delete pc-users', 'remove the rule'),
  async run(raw, ctx) {
    const args = raw as unknown as Args;
    const output = checkOutput(args.output, ['yaml', 'json', 'name']);
    const deleting = args.target === 'delete';
    const name = deleting ? args.name : args.target;
    if (!name) throw new IntentError('color delete needs the NAME of the rule');
    if (!deleting && args.name) throw new IntentError(`unexpected "${args.name}": color takes one NAME (or: color delete NAME)`);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) throw new IntentError(`"${name}" is not a valid object name (lowercase letters, digits, dashes)`);
    const rule = deleting ? undefined : ruleFromArgs(args);
    const namespace = args.namespace ?? 'istio-system';
    const filter = rule ? colourEnvoyFilter(name, namespace, parseSelector(args['gateway-selector']), rule) : undefined;
    const cluster = await ctx.connect({ ...args, namespace });
    const ref = { resource: 'envoyfilters' as const, namespace, name };
    await runPlan(ctx, cluster, {
      dryRun: args['dry-run'], output,
      build: async (reads): Promise<Plan> => {
        const existing = await reads.get<KubeObject>(ref);
        if (existing && existing.metadata.labels?.['app.kubernetes.io/managed-by'] !== 'kubectl-gray') {
          throw new IntentError(`EnvoyFilter ${namespace}/${name} exists and was not made by kubectl gray; pick another name`);
        }
        if (deleting) {
          if (!existing) throw new IntentError(`no EnvoyFilter ${namespace}/${name} to delete`);
          return { changes: [change(existing, undefined, 'deleted')], notes: [], undo: `kubectl gray color ${name} ${describeArgs(existing)} -n ${namespace}` };
        }
        const desired = existing
          ? { ...filter!, metadata: { ...existing.metadata, labels: filter!.metadata.labels, annotations: { ...existing.metadata.annotations, ...filter!.metadata.annotations } } }
          : filter!;
        return {
          changes: [change(existing, desired, existing ? 'configured' : 'created', (a, b) => canonicalJson(a['spec']) === canonicalJson(b['spec']))],
          notes: [], undo: existing ? `kubectl gray color ${name} ${describeArgs(existing)} -n ${namespace}` : `kubectl gray color delete ${name} -n ${namespace}`,
        };
      },
    });
    return EXIT.ok;
  },
};
