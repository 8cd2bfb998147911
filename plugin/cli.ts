// The root command: the registrations it is given, one error policy, and exit codes scripts can trust.
import yargs from 'yargs';
import { IntentError, OwnedElsewhere, RuleViolation } from '../core/errors.js';
import { formatFinding } from '../core/rules.js';
import type { GrayCommand } from './command.js';
import { type CommandContext, EXIT } from './context.js';
import { ApiError, ConfigError, ConnectionError } from '../kube/errors.js';
import { withConnectionFlags } from './options.js';
import { COMPLETE_VERBS, runCompletion } from './commands/completion.js';
import packageJson from '../package.json' with { type: 'json' };

/** The project's one version (package.json): the plugin, the chart and the image carry it. */
export const VERSION: string = packageJson.version;

/** What a lone "-" (standard input) becomes while yargs parses. */
export const STDIN_ARG = '\u0000stdin';

const versionCommand: GrayCommand = {
  command: 'version', describe: 'Print the kubectl-gray version', builder: (y) => y,
  async run(_args, ctx) {
    ctx.io.out(`kubectl-gray ${VERSION}\n`);
    return EXIT.ok;
  },
};

/**
 * Parses args and runs the chosen command (`version` is always registered besides `commands`: all of them,
 * plugin/all-commands.ts, or fewer for an entry that serves only some).
 */
export async function runCli(args: string[], ctx: CommandContext, commands: readonly GrayCommand[]): Promise<number> {
  const completing = COMPLETE_VERBS[args[0] ?? ''];
  if (completing !== undefined) return runCompletion(args.slice(1), completing, ctx, [...commands, versionCommand]);
  const verb = args.find((a) => !a.startsWith('-'));
  const hint = `See 'kubectl gray${verb && commands.some((c) => c.command.startsWith(`${verb} `) || c.command === verb) ? ` ${verb}` : ''} -h' for help and examples.`;
  const chosen = await parseWithYargs(args, ctx, commands, hint);
  if (typeof chosen === 'number') return chosen;
  try {
    return await chosen.command.run(chosen.argv, { ...ctx, runCommandLine: (line, inner) => runCli(line, inner, commands) });
  } catch (err) {
    return reportError(ctx, err, hint);
  }
}

interface Choice { command: GrayCommand; argv: Record<string, unknown> }

/** The command yargs chose, or the exit code once yargs has printed help or a usage error. */
async function parseWithYargs(args: string[], ctx: CommandContext, commands: readonly GrayCommand[], hint: string): Promise<Choice | number> {
  let chosen: Choice | undefined;
  let parser = withConnectionFlags(yargs())
    .scriptName('kubectl gray')
    .usage('kubectl gray: safe gray releases (canary, blue-green, A/B, mirror) for Istio\n\nUsage: kubectl gray <command> [options]')
    .strict()
    // --no-color is a flag of its own: yargs would read it as --color=false, a flag no command has.
    .parserConfiguration({ 'boolean-negation': false })
    .demandCommand(1, 'name a command')
    .recommendCommands()
    .help().alias('h', 'help')
    // `--version` belongs to `canary` (the canary's version label); like kubectl, the tool's own is a command.
    .version(false)
    .wrap(Math.min(110, ctx.io.columns || 110))
    .exitProcess(false)
    .epilogue('Exit codes: 0 done, 1 API server failed, 2 usage error, 3 refused by the rules (or status/analyze found an error or a 503 risk).');
  parser = parser.command('version', 'Print the kubectl-gray version', (y) => y, () => {
    chosen = { command: versionCommand, argv: {} };
  });
  for (const command of commands) {
    parser = parser.command(command.command, command.describe, (y) => command.builder(y), (argv) => {
      chosen = { command, argv: argv as Record<string, unknown> };
    });
  }

  skipHelpCaching(parser);

  let parseError: Error | undefined;
  let output = '';
  try {
    // yargs drops a lone "-" from positionals; carry it through as a token analyze maps back to stdin.
    parser.parse(args.map((a) => (a === '-' ? STDIN_ARG : a)), {}, (err, _argv, out) => {
      parseError = err ?? undefined;
      output = out;
    });
  } catch (err) {
    parseError = err as Error;
  }
  if (parseError) {
    const message = parseError instanceof IntentError ? parseError.message : parseError.message.split('\n')[0];
    ctx.io.err(`error: ${message}\n${hint}\n`);
    return EXIT.usage;
  }
  if (!chosen) {
    if (output) ctx.io.out(`${output}\n`);
    return EXIT.ok;
  }
  return chosen;
}

function reportError(ctx: CommandContext, err: unknown, hint: string): number {
  if (err instanceof RuleViolation) {
    ctx.io.err(`error: refused by ${err.findings.length} rule violation(s); nothing was changed:\n`);
    for (const f of err.findings) ctx.io.err(`  ${formatFinding(f)}\n`);
    return EXIT.refused;
  }
  if (err instanceof OwnedElsewhere) {
    ctx.io.err(`error: refused: another controller manages what this would change; nothing was changed:\n`);
    for (const m of err.messages) ctx.io.err(`  ${m}\n`);
    ctx.io.err('  (--force edits anyway; the controller may undo it)\n');
    return EXIT.refused;
  }
  if (err instanceof IntentError) {
    ctx.io.err(`error: ${err.message}\n${hint}\n`);
    return EXIT.usage;
  }
  if (err instanceof ApiError) {
    ctx.io.err(`${err.message}\n`);
    return err.isAdmissionDenial ? EXIT.refused : EXIT.failure;
  }
  if (err instanceof ConfigError || err instanceof ConnectionError) {
    ctx.io.err(`error: ${err.message}\n`);
    return EXIT.failure;
  }
  ctx.io.err(`error: ${(err as Error)?.stack ?? String(err)}\n`);
  return EXIT.failure;
}

/**
 * After a command's handler runs, yargs renders that command's whole help text and keeps it, in case a later
 * failure wants to print it (usage.cacheHelpMessage). Our handlers only record the choice and every failure is
 * reported by runCli, so that text is never shown: rendering it cost more than the rest of `version`.
 */
function skipHelpCaching(parser: unknown): void {
  type Usage = { cacheHelpMessage?: () => void };
  const internal = (parser as { getInternalMethods?: () => { getUsageInstance?: () => Usage } }).getInternalMethods?.();
  const usage = internal?.getUsageInstance?.();
  if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
}
