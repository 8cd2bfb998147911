// The only file that touches the process: argv, environment, exit code, and (through plugin/stdio.ts) the streams.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { runCli } from './cli.js';
import type { GrayCommand } from './command.js';
import type { CommandContext } from './context.js';
import { isTerminal, stdWriter, streamOf } from './stdio.js';

// Local files are read synchronously, one after the other as analyze needs them: node's asynchronous fs calls
// start its thread pool (~1.5 ms of a short run), and node:fs/promises loads a dozen modules more (readline too).
const settle = <T>(read: () => T): Promise<T> => {
  try {
    return Promise.resolve(read());
  } catch (err) {
    return Promise.reject(err);
  }
};

/** What an entry point serves: its commands, and how they reach a cluster (plugin/all-commands.ts: all of them). */
export interface Entry {
  commands: readonly GrayCommand[];
  connect: CommandContext['connect'];
}

/** Runs one command with this process's argv, streams and environment; sets the exit code. */
export function main(args: string[], entry: Entry): Promise<void> {
  // A reader that stops early (`kubectl gray status | head`) closes the pipe. The command still runs to its end
  // (a plan half written because nobody read its output would be worse), silently from then on, and exits with
  // what a shell reports for a writer killed by SIGPIPE (128 + 13), as kubectl's is, unless it failed itself.
  let pipeClosed = false;
  const closed = (): void => {
    pipeClosed = true;
  };
  // A stream's EPIPE may come after the command's end (it is reported on a later tick).
  process.on('exit', (code) => {
    if (pipeClosed && code === 0) process.exitCode = 141;
  });
  const outTerminal = isTerminal(1);
  const out = stdWriter(1, { terminal: outTerminal, onClosed: closed });
  const err = stdWriter(2, { terminal: isTerminal(2), onClosed: closed });
  const colorWanted = outTerminal && process.env['TERM'] !== 'dumb' && !process.env['NO_COLOR'] && !args.includes('--no-color');

  const ctx: CommandContext = {
    io: {
      // Once either reader has gone, the command goes on silently.
      out: (t) => { if (!pipeClosed) out(t); },
      err: (t) => { if (!pipeClosed) err(t); },
      color: colorWanted,
      columns: outTerminal ? streamOf(1).columns : undefined,
    },
    connect: entry.connect,
    now: () => new Date(),
    readFile: (path) => (path === '-' ? readStdin() : settle(() => readFileSync(path, 'utf8'))),
    listDirectory: (path) => settle(() => (isDirectory(path) ? readdirSync(path) : undefined)),
  };

  return runCli(args, ctx, entry.commands).then((code) => {
    process.exitCode = code;
  });
}

/** Whether path is a directory; one that cannot be looked at is not, and its read says why. */
function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
