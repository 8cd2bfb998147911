// kubectl gray analyze: the linter teams run in CI. Reads manifests (files, directories, stdin), or with --cluster
// the live cluster's objects with the files on top (plugin/analyze/live.ts, reads only), judges every Istio object
// with the CRD schema, Istio's own checks and the webhook's rules (core/analyze.ts), and prints text, JSON or SARIF.
// Exit 0 clean, 3 findings at or above --fail-on, 2 for a bad flag or when something could not be read (reported
// with where and why; everything else is still analyzed and reported), 1 when the API server fails or refuses a list.
import { IntentError } from '../../core/errors.js';
import { DEFAULT_POLICY, type Policy, mergePolicies, parsePolicy, parsePolicyDocuments } from '../../core/policy.js';
import type { Severity } from '../../core/rules.js';
import { readYaml } from '../../core/yaml.js';
import { loadInputs } from '../analyze/inputs.js';
import { liveReport } from '../analyze/live.js';
import { type Report, atOrAbove, locate, renderJson, renderSarif, renderText } from '../analyze/report.js';
import type { GrayCommand } from '../command.js';
import { EXIT } from '../context.js';
import { checkOutput } from '../options.js';
import { printObject } from '../render/mutation.js';
import { STDIN_ARG, VERSION } from '../cli.js';

interface Args { files?: string[]; namespace?: string; output?: string; policy?: string; 'fail-on'?: string; cluster?: boolean; 'all-namespaces'?: boolean }

const OUTPUTS = ['json', 'yaml', 'sarif'] as const;

export const analyzeCommand: GrayCommand = {
  command: 'analyze [files..]',
  describe: 'Lint Istio manifests: the CRD schema, Istio\'s own checks, the webhook\'s rules and how the objects fit together (offline, or --cluster)',
  builder: (y) => y
    .positional('files', { type: 'string', array: true, describe: 'YAML or JSON files, directories (searched for *.yaml, *.yml, *.json), or - for standard input' })
    .option('output', { alias: 'o', type: 'string', describe: 'json|sarif|yaml: the findings as data (SARIF 2.1.0 for code scanning)' })
    .option('fail-on', { type: 'string', default: 'error', describe: 'error|warning: the lowest severity that makes analyze exit 3' })
    .option('policy', { type: 'string', describe: 'The admin policy to judge by, as the webhook would: ClusterGrayPolicy/GrayPolicy objects (all of them count), or the chart\'s policy values' })
    .option('cluster', { type: 'boolean', describe: 'Analyze the live cluster (read only, every namespace), with the files given on top; findings for -n\'s namespace (the context\'s by default)' })
    .option('all-namespaces', { alias: 'A', type: 'boolean', describe: 'With --cluster: findings in every namespace' })
    .example('$0 analyze istio/', 'every manifest under istio/; exits 3 when any holds an error')
    .example('helm template charts/shop | $0 analyze - -o sarif > analyze.sarif', 'rendered output from stdin, as SARIF for a code-scanning upload')
    .example('$0 analyze -n payments manifests/ --policy policy.yaml --fail-on warning', 'apply the cluster\'s admin policy; warnings fail too')
    .example('$0 analyze --cluster -n shop', 'the live objects of namespace shop, judged with everything they reach (like istioctl analyze)')
    .example('$0 analyze --cluster -n shop vs-canary.yaml', 'the same, with the file\'s objects in place of the live ones of the same name: a change checked before it is applied'),
  // The flags above, for a command line read without yargs.
  async run(raw, ctx) {
    const args = raw as unknown as Args;
    const output = checkOutput(args.output, OUTPUTS);
    const failOn = args['fail-on'] ?? 'error';
    if (failOn !== 'error' && failOn !== 'warning') throw new IntentError(`--fail-on "${failOn}": must be error or warning`);
    let policy: Policy = DEFAULT_POLICY;
    if (args.policy) {
      try {
        policy = policyFromFile(readYaml(await ctx.readFile(args.policy)));
      } catch (err) {
        if (err instanceof IntentError) throw new IntentError(`--policy ${args.policy}: ${err.message}`);
        throw new IntentError(`--policy ${args.policy}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
      }
    }
    const files = (args.files ?? []).map(String).map((f) => (f === STDIN_ARG ? '-' : f));
    if (files.length === 0 && !args.cluster) throw new IntentError('give the files or directories to analyze (- for standard input), or --cluster for the live cluster');
    if (args['all-namespaces'] && !args.cluster) throw new IntentError('-A is for --cluster: files are analyzed whatever their namespace');
    // Loaded on use: the judgement and its precompiled schema validators (a large module) are analyze's alone.
    const { analyzeObjects } = await import('../../core/analyze.js');
    const cluster = args.cluster ? await ctx.connect(args) : undefined;
    const namespace = args.namespace ?? cluster?.namespace ?? 'default';
    const loaded = await loadInputs(files, ctx, namespace);
    const report: Report = cluster
      ? await liveReport(cluster, loaded, (objects) => analyzeObjects(objects, policy, ctx.now(), { complete: true }), namespace, !!args['all-namespaces'])
      : locate(analyzeObjects(loaded.objects, policy, ctx.now()), loaded);
    if (output === 'json') ctx.io.out(renderJson(report));
    else if (output === 'sarif') ctx.io.out(renderSarif(report, VERSION));
    else if (output) printObject(ctx.io, JSON.parse(renderJson(report)), output);
    else ctx.io.out(renderText(report));
    // A script must learn that analyze did not see everything, whatever it found in the rest.
    if (report.unreadable.length > 0) return EXIT.usage;
    return atOrAbove(report.findings, failOn as Severity).length > 0 ? EXIT.refused : EXIT.ok;
  },
};

/** A policy file: policy objects (every one counts, the strictest setting winning), or the chart's flat values. */
function policyFromFile(docs: unknown[]): Policy {
  const objects = docs.filter((d) => d != null);
  if (!objects.some((d) => typeof d === 'object' && 'kind' in (d as object))) return parsePolicy(objects[0]);
  return mergePolicies(parsePolicyDocuments(objects));
}
