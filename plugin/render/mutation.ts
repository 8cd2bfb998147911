// How a finished edit reads: kubectl's "kind.group/name verb" line, or the object in -o's format.
import type { VirtualService } from '../../core/model.js';
import { toYaml } from '../../core/yaml.js';
import type { Io } from '../context.js';
import type { DryRun } from '../kube/cluster.js';
import { type MutationOutput, type ObjectOutput, isObjectOutput } from '../options.js';
import { renderJsonPath } from './jsonpath.js';
import { describeRoutes } from './routes.js';


export function printObject(io: Io, value: unknown, format: ObjectOutput): void {
  if (format === 'json') io.out(`${JSON.stringify(value, null, 2)}\n`);
  else if (format === 'yaml') io.out(toYaml(value));
  // JSONPath sees what -o json prints: the object as JSON (no undefined fields, dates as strings).
  else io.out(renderJsonPath(format.slice('jsonpath='.length), JSON.parse(JSON.stringify(value ?? null))));
}

/** kubectl's result line: "deployment.apps/reviews-canary created (dry run)". */
export function printWrite(io: Io, kindGroup: string, name: string, verb: string, dryRun: DryRun): void {
  const suffix = verb === 'unchanged' ? '' : dryRun === 'client' ? ' (dry run)' : dryRun === 'server' ? ' (server dry run)' : '';
  io.out(`${kindGroup}/${name} ${verb}${suffix}\n`);
}

export function printMutation(io: Io, vs: VirtualService, verb: string, dryRun: DryRun, output?: MutationOutput): void {
  if (isObjectOutput(output)) return printObject(io, vs, output);
  if (output === 'name') return io.out(`virtualservice.networking.istio.io/${vs.metadata.name}\n`);
  printWrite(io, 'virtualservice.networking.istio.io', vs.metadata.name, verb, dryRun);
  if (verb !== 'unchanged') io.out(describeRoutes(vs));
}
