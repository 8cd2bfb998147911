import { loadAll } from 'js-yaml';
import { IntentError } from '../../core/errors.js';
import { type DestinationRule, type KubeObject, type VirtualService, isDestinationRule, isVirtualService } from '../../core/model.js';
import { type Finding, errorsOf, formatFinding } from '../../core/rules.js';
import { reviewIstioObject } from '../../core/admission.js';
import { DEFAULT_POLICY, type Policy, parsePolicy } from '../../core/policy.js';
import type { GrayCommand } from '../command.js';
import { EXIT } from '../context.js';
import { checkOutput } from '../options.js';
import { printObject } from '../render/mutation.js';

interface Args { files: string[]; namespace?: string; output?: string; policy?: string }

/** Every object in a set of YAML/JSON documents, Lists unwrapped, with a default namespace filled in. */
export function objectsFromYaml(text: string, source: string, namespace: string): KubeObject[] {
  let docs: unknown[];
  try {
    docs = loadAll(text);
  } catch (err) {
    throw new IntentError(`${source}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const out: KubeObject[] = [];
  const add = (d: unknown) => {
    const o = d as KubeObject | null;
    if (!o || typeof o !== 'object') return;
    if (o.kind === 'List' && Array.isArray(o['items'])) return (o['items'] as unknown[]).forEach(add);
    if (!o.metadata || typeof o.metadata !== 'object') return;
    out.push({ ...o, metadata: { ...o.metadata, namespace: o.metadata.namespace ?? namespace } });
  };
  docs.forEach(add);
  return out;
}

/** The webhook's verdict on creating these objects together: the same decision function, same policy. */
export function analyzeObjects(objects: readonly KubeObject[], policy: Policy = DEFAULT_POLICY, now = new Date()): Finding[] {
  const virtualServices = objects.filter(isVirtualService) as VirtualService[];
  const destinationRules = objects.filter(isDestinationRule) as DestinationRule[];
  // Rules first, then the routes that use them: the order a careful apply would take.
  return [...destinationRules, ...virtualServices].flatMap((object) =>
    reviewIstioObject({ operation: 'CREATE', object, virtualServices, destinationRules, policy, now }));
}

export const analyzeCommand: GrayCommand = {
  command: 'analyze <files..>',
  describe: 'Run the same rules offline over YAML files (no cluster needed)',
  builder: (y) => y
    .positional('files', { type: 'string', array: true, describe: 'YAML or JSON files; - reads standard input' })
    .option('output', { alias: 'o', type: 'string', describe: 'json|yaml: the findings as data' })
    .option('policy', { type: 'string', describe: 'The admin policy file the webhook runs with (the chart\'s policy values): judge as it would' })
    .example('$0 analyze istio/*.yaml', 'exits 3 when any file holds an error; warnings alone exit 0')
    .example('$0 analyze -n payments manifests/*.yaml --policy policy.yaml', 'also apply the cluster\'s admin policy (forbidden namespaces, freezes, rule modes)'),
  async run(raw, ctx) {
    const args = raw as unknown as Args;
    checkOutput(args.output, ['json', 'yaml']);
    const objects: KubeObject[] = [];
    for (const file of args.files.map(String)) {
      let text: string;
      try {
        text = await ctx.readFile(file);
      } catch (err) {
        throw new IntentError(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
      }
      objects.push(...objectsFromYaml(text, file, args.namespace ?? 'default'));
    }
    let policy = DEFAULT_POLICY;
    if (args.policy) {
      try {
        policy = parsePolicy(loadAll(await ctx.readFile(args.policy))[0]);
      } catch (err) {
        if (err instanceof IntentError) throw new IntentError(`--policy ${args.policy}: ${err.message}`);
        throw new IntentError(`--policy ${args.policy}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
      }
    }
    const findings = analyzeObjects(objects, policy, ctx.now());
    if (args.output) printObject(ctx.io, findings, args.output as 'json' | 'yaml');
    else if (findings.length === 0) ctx.io.out(`No problems found in ${objects.length} object(s).\n`);
    else for (const f of findings) ctx.io.out(`${f.severity === 'error' ? 'Error' : 'Warning'}: ${formatFinding(f)}\n`);
    return errorsOf(findings).length > 0 ? EXIT.refused : EXIT.ok;
  },
};
