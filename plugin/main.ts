// The only file that touches the process: argv, streams, environment, exit code.
import { readdir, readFile, stat } from 'node:fs/promises';
import { runCli } from './cli.js';
import type { CommandContext } from './context.js';
import { takeBackExtraCaCerts } from '../kube/extra-ca.js';

/** Runs one command with this process's argv, streams and environment; sets the exit code. */
export function main(args: string[] = process.argv.slice(2)): Promise<void> {
  takeBackExtraCaCerts(process.env);
  const colorWanted = !!process.stdout.isTTY && process.env['TERM'] !== 'dumb' && !process.env['NO_COLOR'] && !args.includes('--no-color');

  const ctx: CommandContext = {
    io: {
      out: (t) => process.stdout.write(t),
      err: (t) => process.stderr.write(t),
      color: colorWanted,
    },
    async connect(flags) {
      const { connectCluster } = await import('./kube/connect.js');
      return connectCluster(flags);
    },
    now: () => new Date(),
    readFile: (path) => (path === '-' ? readStdin() : readFile(path, 'utf8')),
    async listDirectory(path) {
      const s = await stat(path).catch(() => undefined);
      return s?.isDirectory() ? readdir(path) : undefined;
    },
  };

  return runCli(args, ctx).then((code) => {
    process.exitCode = code;
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
