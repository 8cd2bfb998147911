import type { Argv } from 'yargs';
import type { CommandContext } from './context.js';

/** One subcommand: yargs' declaration plus an async run that returns the exit code. */
export interface GrayCommand {
  command: string;
  describe: string;
  builder(y: Argv): Argv;
  run(args: Record<string, unknown>, ctx: CommandContext): Promise<number>;
}
