// What a command may touch: the terminal, the cluster (through a factory, so --help never connects),
// and the clock. main.ts builds the real one; tests build one over an in-memory cluster.
import type { ConnectionFlags } from './kube/config.js';
import type { GrayCluster } from './kube/cluster.js';
import type { PolicyObject } from '../core/policy.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Colour and bars only on a terminal (and never with --no-color or TERM=dumb). */
  color: boolean;
  /** The terminal's width when standard output is one (help text is wrapped to it, at most 110 columns). */
  columns?: number;
}

export interface CommandContext {
  io: Io;
  connect(flags: ConnectionFlags): Promise<GrayCluster>;
  now(): Date;
  /** Runs another command line with the same commands (set by runCli; kubectl gray policy test runs one). */
  runCommandLine?(args: string[], ctx: CommandContext): Promise<number>;
  /** Policy objects that stand in for the cluster's (kubectl gray policy test -f). */
  policyObjects?: readonly PolicyObject[];
  /** Reads a local file (for analyze); "-" is standard input. */
  readFile(path: string): Promise<string>;
  /** The entries of a local directory, or undefined when the path is not a directory (for analyze). */
  listDirectory?(path: string): Promise<string[] | undefined>;
}

/** Exit codes scripts can rely on. */
export const EXIT = {
  ok: 0,
  /** The API server failed or could not be reached. */
  failure: 1,
  /** The command line or the intent is wrong: fix the command. */
  usage: 2,
  /** The rules (ours locally, or an admission webhook) refused the change, or status found an error. */
  refused: 3,
} as const;
