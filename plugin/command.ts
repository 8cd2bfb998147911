import type { Argv } from 'yargs';
import type { CommandContext } from './context.js';
import type { QuickArgs } from './quick-args.js';

/** One subcommand: yargs' declaration plus an async run that returns the exit code. */
export interface GrayCommand {
  command: string;
  describe: string;
  builder(y: Argv): Argv;
  run(args: Record<string, unknown>, ctx: CommandContext): Promise<number>;
  /** Set when a plain command line may skip yargs (plugin/quick-args.ts); it must declare what builder does. */
  quickArgs?: QuickArgs;
}
