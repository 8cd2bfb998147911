// plugin/quick-args.ts: the command lines analyze reads without yargs, and the same result as yargs gives for
// every one of them.
import { expect } from 'chai';
import { COMMANDS } from '../../plugin/all-commands.js';
import { STDIN_ARG } from '../../plugin/cli.js';
import { analyzeCommand } from '../../plugin/commands/analyze.js';
import { readQuickArgs } from '../../plugin/quick-args.js';
import { run } from '../support/run.js';

const VS = 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews}\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, subset: v2}\n      weight: 30\n';
const DR = 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews}\nspec: {host: reviews, subsets: [{name: v1}]}\n';
const FILES = { 'vs.yaml': VS, 'dr.yaml': DR, '-': DR, '10': VS, 'policy.yaml': 'maxCanaryWeight: 20\n', 'bad-policy.yaml': 'nosuch: 1\n' };

const quick = (args: string[]) => readQuickArgs(args, 'analyze', analyzeCommand.quickArgs!, STDIN_ARG);

/** Lines the quick reader takes. */
const SIMPLE = [
  ['analyze', 'vs.yaml'], ['analyze', 'vs.yaml', 'dr.yaml'], ['analyze', '-'], ['analyze', '10'], ['analyze', 'missing.yaml'],
  ['analyze', 'vs.yaml', '-o', 'json'], ['analyze', '-o', 'sarif', 'vs.yaml'], ['analyze', '--output=yaml', 'vs.yaml', 'dr.yaml'],
  ['analyze', '-o', 'table', 'vs.yaml'], ['analyze', 'vs.yaml', '--fail-on', 'warning'], ['analyze', 'vs.yaml', '--fail-on=nosuch'],
  ['analyze', '-n', 'payments', 'vs.yaml'], ['analyze', '-n', '007', 'vs.yaml'], ['analyze', '--namespace=payments', 'vs.yaml', '--policy', 'policy.yaml'],
  ['analyze', 'vs.yaml', '--policy', 'missing.yaml'], ['analyze', 'vs.yaml', '--policy=bad-policy.yaml'],
  ['analyze', '--kubeconfig', '/nowhere', '--context', 'c', 'vs.yaml'], ['analyze', 'vs.yaml', '--no-color'], ['analyze', 'dr.yaml', 'vs.yaml', '--output', 'json', '--fail-on', 'warning'],
];

/** Lines left to yargs: help, unknown, repeated, empty or valueless flags, "--", flags before the verb. */
const FOR_YARGS = [
  ['analyze'], ['analyze', '-o'], ['analyze', 'vs.yaml', '-o'], ['analyze', 'vs.yaml', '-o', 'json', '-o', 'yaml'], ['analyze', 'vs.yaml', '-o', 'json', '--output', 'json'],
  ['analyze', '--nosuch', 'vs.yaml'], ['analyze', 'vs.yaml', '--'], ['analyze', '--', 'vs.yaml'], ['analyze', '-h'], ['analyze', 'vs.yaml', '--help'],
  ['analyze', '-ojson', 'vs.yaml'], ['analyze', '--output=', 'vs.yaml'], ['analyze', '-n', '-', 'vs.yaml'], ['analyze', '-n=payments', 'vs.yaml'],
  ['-n', 'payments', 'analyze', 'vs.yaml'], ['analyze', 'vs.yaml', '--failOn', 'warning'], ['analyze', '--no-policy', 'vs.yaml'], ['analyze', ''],
  ['analyze', 'vs.yaml', '--no-color', '--no-color'], ['analyse', 'vs.yaml'], ['analyze', 'vs.yaml', '--no-color=false'],
];

describe('quick command lines (no yargs)', () => {
  it('takes the plain lines and leaves every other one to yargs', () => {
    for (const args of SIMPLE) expect(quick(args), args.join(' ')).to.not.equal(undefined);
    for (const args of FOR_YARGS) expect(quick(args), args.join(' ')).to.equal(undefined);
    expect(quick(['analyze', '-', 'vs.yaml', '--output=json', '-n', 'x'])).to.deep.equal({ 'fail-on': 'error', files: [STDIN_ARG, 'vs.yaml'], output: 'json', namespace: 'x' });
  });

  it('prints and exits for each line exactly as the same command read by yargs does', async () => {
    const viaYargs = COMMANDS.map((c) => (c === analyzeCommand ? { ...c, quickArgs: undefined } : c));
    for (const args of [...SIMPLE, ...FOR_YARGS]) {
      const yargsResult = await run(undefined, args, FILES, viaYargs);
      expect(await run(undefined, args, FILES), args.join(' ')).to.deep.equal(yargsResult);
    }
    // The lines really reach analyze and its checks: findings, output formats, a refused flag value.
    expect((await run(undefined, ['analyze', 'vs.yaml', 'dr.yaml'], FILES)).code).to.equal(3);
    expect(JSON.parse((await run(undefined, ['analyze', 'vs.yaml', '-o', 'json'], FILES)).stdout)).to.have.property('findings');
    expect((await run(undefined, ['analyze', 'vs.yaml', '--fail-on=nosuch'], FILES)).stderr).to.contain('--fail-on "nosuch"');
  });
});
