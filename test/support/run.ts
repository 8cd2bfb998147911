// Runs the real CLI in-process against a FakeCluster, or through the real REST client against a (stand-in) API
// server, and captures what it prints.
import { COMMANDS } from '../../plugin/all-commands.js';
import type { GrayCommand } from '../../plugin/command.js';
import { runCli } from '../../plugin/cli.js';
import type { CommandContext } from '../../plugin/context.js';
import { ConfigError } from '../../kube/errors.js';
import { connectCluster } from '../../plugin/kube/connect.js';
import type { FakeCluster } from './fake-cluster.js';

export const FIXED_NOW = new Date('2026-11-23T10:00:00Z');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function run(cluster: FakeCluster | undefined, args: string[], files: Record<string, string> = {}, commands: readonly GrayCommand[] = COMMANDS): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const ctx: CommandContext = {
    io: { out: (t) => { stdout += t; }, err: (t) => { stderr += t; }, color: false },
    async connect(flags) {
      if (!cluster) throw new ConfigError('no kubeconfig found (looked at /home/test/.kube/config); pass --kubeconfig or set KUBECONFIG');
      if (flags.namespace && flags.namespace !== cluster.namespace) {
        return Object.assign(Object.create(Object.getPrototypeOf(cluster)), cluster, { namespace: flags.namespace });
      }
      return cluster;
    },
    now: () => FIXED_NOW,
    async readFile(path) {
      if (!(path in files)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return files[path]!;
    },
    // A directory is any prefix of the given paths ending at a "/".
    async listDirectory(path) {
      const prefix = `${path.replace(/\/+$/, '')}/`;
      const names = Object.keys(files).filter((f) => f.startsWith(prefix)).map((f) => f.slice(prefix.length).split('/')[0]!);
      return names.length > 0 ? [...new Set(names)] : undefined;
    },
  };
  const code = await runCli(args, ctx, commands);
  return { code, stdout, stderr };
}

/** The CLI connected as users run it: the kubeconfig its arguments name, the plugin's REST client; files in memory. */
export async function runConnected(args: string[], files: Record<string, string> = {}): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const ctx: CommandContext = {
    io: { out: (t) => { stdout += t; }, err: (t) => { stderr += t; }, color: false },
    connect: async (flags) => connectCluster(flags),
    now: () => FIXED_NOW,
    async readFile(path) {
      if (!(path in files)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return files[path]!;
    },
  };
  const code = await runCli(args, ctx, COMMANDS);
  return { code, stdout, stderr };
}
