// Flag bundles shared by commands, declared once (kubectl's genericclioptions is the model).
import type { Argv } from 'yargs';
import { IntentError } from '../core/errors.js';
import type { ConnectionFlags } from './kube/config.js';
import type { DryRun } from './kube/cluster.js';
import { parseJsonPathTemplate } from './render/jsonpath.js';

export interface GlobalArgs extends ConnectionFlags {
  'no-color'?: boolean;
}

export function withConnectionFlags<T>(y: Argv<T>) {
  return y
    .option('kubeconfig', { type: 'string', describe: 'Path to the kubeconfig file to use', global: true })
    .option('context', { type: 'string', describe: 'The kubeconfig context to use', global: true })
    .option('namespace', { alias: 'n', type: 'string', describe: 'The namespace of the objects', global: true })
    .option('as', { type: 'string', describe: 'User to impersonate for the operation (as kubectl --as)', global: true })
    .option('as-group', { type: 'string', array: true, describe: 'Group to impersonate (repeat for several); needs --as', global: true })
    .option('as-uid', { type: 'string', describe: 'UID to impersonate; needs --as', global: true })
    .option('no-color', { type: 'boolean', describe: 'Never colour the output', global: true });
}

export const MUTATION_OUTPUTS = ['yaml', 'json', 'name'] as const;

/** kubectl's -o jsonpath=TEMPLATE (plugin/render/jsonpath.ts), offered wherever -o json is. */
export type JsonPathOutput = `jsonpath=${string}`;
/** The -o formats that print the object itself rather than a summary of it. */
export type ObjectOutput = 'json' | 'yaml' | JsonPathOutput;
export type MutationOutput = (typeof MUTATION_OUTPUTS)[number] | JsonPathOutput;

export const isObjectOutput = (output: unknown): output is ObjectOutput =>
  output === 'json' || output === 'yaml' || (typeof output === 'string' && output.startsWith('jsonpath='));

export interface TargetArgs extends GlobalArgs {
  service: string;
  vs?: string;
  route?: string;
  'dry-run'?: string;
  output?: string;
  force?: boolean;
}

/** The part of a mutation request every edit command fills the same way from its flags. */
export function mutationTarget(args: TargetArgs): { service: string; vsName?: string; dryRun: DryRun; output?: MutationOutput; force?: boolean } {
  return { service: args.service, vsName: args.vs, dryRun: args['dry-run'] as DryRun, output: args.output as MutationOutput | undefined, force: args.force };
}

/** --force: edit objects another controller manages (Flagger, Argo Rollouts, OpenKruise Rollouts). */
export function withForceFlag<T>(y: Argv<T>) {
  return y.option('force', { type: 'boolean', describe: 'Edit even objects a controller manages (Flagger, Argo Rollouts, OpenKruise Rollouts; it may undo the edit), or a VirtualService Istio ignores for a host another one defines' });
}

/** --vs, --route, --dry-run and -o for every command that edits a VirtualService. */
export function withMutationFlags<T>(y: Argv<T>, options: { route?: boolean } = { route: true }) {
  let out = y
    .positional('service', { type: 'string', describe: 'The service whose traffic to change (short name or FQDN)', demandOption: true })
    .option('vs', { type: 'string', describe: 'Edit only this VirtualService (NAME or NAMESPACE/NAME) instead of every one that routes to the service' })
    .option('force', { type: 'boolean', describe: 'Edit even objects a controller manages (Flagger, Argo Rollouts, OpenKruise Rollouts; it may undo the edit), or a VirtualService Istio ignores for a host another one defines' })
    .option('dry-run', {
      type: 'string', describe: 'none: apply; client: only show the plan, as a per-object diff; server: let the API server and its webhooks judge it without saving',
      default: 'none', coerce: parseDryRun,
    })
    .option('output', { alias: 'o', type: 'string', describe: `Print the result as ${MUTATION_OUTPUTS.join('|')}|jsonpath=TEMPLATE`, coerce: parseMutationOutput });
  if (options.route !== false) {
    out = out.option('route', { type: 'string', describe: 'Edit the HTTP routes with this name instead of the general routes (those matching only on uri, method, authority, port, gateways)' });
  }
  return out;
}

export function parseDryRun(raw: unknown): DryRun {
  const value = raw === true || raw === '' ? 'client' : String(raw);
  if (value === 'none' || value === 'client' || value === 'server') return value;
  throw new IntentError(`--dry-run "${value}": must be none, client or server`);
}

/** Checks -o against the formats a command prints, in kubectl's words; jsonpath=TEMPLATE wherever json is. */
export function checkOutput<T extends string>(raw: unknown, allowed: readonly T[]): T | JsonPathOutput | undefined {
  if (raw === undefined) return undefined;
  const value = String(raw);
  if ((allowed as readonly string[]).includes(value)) return value as T;
  const jsonPath = (allowed as readonly string[]).includes('json');
  if (jsonPath && value.startsWith('jsonpath=')) {
    parseJsonPathTemplate(value.slice('jsonpath='.length));
    return value as JsonPathOutput;
  }
  throw new IntentError(`unable to match a printer suitable for the output format "${value}", allowed formats are: ${[...allowed, ...(jsonPath ? ['jsonpath=TEMPLATE'] : [])].join(',')}`);
}

function parseMutationOutput(raw: unknown): MutationOutput | undefined {
  return checkOutput(raw, MUTATION_OUTPUTS);
}
