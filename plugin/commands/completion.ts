// `kubectl gray completion install|script`, and the hidden `__complete` verb the installed helper calls.
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { IntentError } from '../../core/errors.js';
import { resolveHost, serviceName, serviceNamespace } from '../../core/hosts.js';
import { destinationsOf } from '../../core/destinations.js';
import type { GrayCommand } from '../command.js';
import { type CommandDeclaration, type NameSource, complete, describeCommand, renderCompletion } from '../completion.js';
import { type CommandContext, EXIT } from '../context.js';
import type { ConnectionFlags } from '../kube/config.js';

/** The file kubectl (>= 1.26) runs to complete `kubectl gray ...`: found on PATH like the plugin itself. */
export const HELPER_NAME = 'kubectl_complete-gray';

/** The helper: the plugin found on PATH, asked in cobra's protocol. */
export const HELPER_SCRIPT = `#!/bin/sh
# Completion for kubectl gray: kubectl (>= 1.26) runs this file, found on PATH, for \`kubectl gray <TAB>\`.
# Written by \`kubectl gray completion install\`.
exec kubectl-gray __complete "$@"
`;

/** The verbs cobra's completion scripts call: candidates with descriptions, or without. */
export const COMPLETE_VERBS: Record<string, boolean> = { __complete: true, __completeNoDesc: false };

interface Args { action: string; dir?: string }

export const completionCommand: GrayCommand = {
  command: 'completion <action>',
  describe: 'Shell completion through kubectl: install the helper kubectl runs for `kubectl gray <TAB>`',
  builder: (y) => y
    .positional('action', { type: 'string', choices: ['install', 'script'], describe: 'install: write the helper beside kubectl-gray; script: print it' })
    .option('dir', { type: 'string', describe: `Where install writes ${HELPER_NAME} (default: the folder kubectl-gray was run from, which is on PATH)` })
    .example('$0 completion install', `then kubectl completes "kubectl gray <TAB>" (kubectl 1.26 or later, with kubectl's own completion enabled)`)
    .example('$0 completion script > ~/bin/kubectl_complete-gray && chmod +x ~/bin/kubectl_complete-gray', 'the same, by hand'),
  async run(raw, ctx) {
    const args = raw as unknown as Args;
    if (args.action === 'script') {
      ctx.io.out(HELPER_SCRIPT);
      return EXIT.ok;
    }
    const dir = args.dir ?? invokedFrom();
    if (!dir) throw new IntentError('cannot tell which folder kubectl-gray was run from; pass --dir DIR (a folder on PATH)');
    const file = join(dir, HELPER_NAME);
    try {
      writeFileSync(file, HELPER_SCRIPT);
      chmodSync(file, 0o755);
    } catch (err) {
      throw new IntentError(`cannot write ${file}: ${(err as Error).message}; pass --dir DIR (a folder on PATH you can write to)`);
    }
    ctx.io.out(`${file} written: kubectl completes "kubectl gray <TAB>" (kubectl 1.26 or later, with kubectl's completion enabled: kubectl completion -h)\n`);
    return EXIT.ok;
  },
};

/**
 * The folder of the kubectl-gray that was run: as a single executable, argv[1] is the path it was started by
 * (kubectl passes the path it found on PATH: krew's bin folder, not the store its symlink points into), or the
 * bare name a shell found on PATH.
 */
function invokedFrom(): string | undefined {
  const path = process.argv[1];
  if (!path) return undefined;
  if (path.includes('/')) return dirname(path);
  return (process.env['PATH'] ?? '').split(delimiter).find((dir) => dir && existsSync(join(dir, path)));
}

/** Answers `kubectl gray __complete WORDS...` on stdout; never fails loudly (a shell is waiting). */
export async function runCompletion(words: readonly string[], descriptions: boolean, ctx: CommandContext, commands: readonly CommandDeclaration[]): Promise<number> {
  const specs = commands.map(describeCommand);
  const result = await complete(words, specs, clusterNames(ctx));
  ctx.io.out(renderCompletion(result, descriptions));
  return EXIT.ok;
}

/** Live names from the cluster the words point at (their --kubeconfig, --context and -n). */
function clusterNames(ctx: CommandContext): NameSource {
  return {
    namespaces: async (flags) => (await ctx.connect(flags)).listNamespaces(),
    async contexts(flags) {
      const { loadKubeConfig } = await import('../kube/config.js');
      return loadKubeConfig({ kubeconfig: flags.kubeconfig }).kc.getContexts().map((c) => c.name);
    },
    async services(flags: ConnectionFlags) {
      const cluster = await ctx.connect(flags);
      const names: string[] = [];
      for (const vs of await cluster.listVirtualServices(cluster.namespace)) {
        for (const d of destinationsOf(vs)) {
          if (!d.destination.host) continue;
          const fqdn = resolveHost(d.destination.host, vs.metadata.namespace ?? cluster.namespace);
          const ns = serviceNamespace(fqdn);
          if (ns) names.push(ns === cluster.namespace ? serviceName(fqdn) : fqdn);
        }
      }
      return names;
    },
    async subsets(flags, service) {
      const cluster = await ctx.connect(flags);
      const host = resolveHost(service, cluster.namespace);
      const rules = await cluster.listDestinationRules(serviceNamespace(host) ?? cluster.namespace);
      return rules
        .filter((dr) => dr.spec?.host && resolveHost(dr.spec.host, dr.metadata.namespace ?? cluster.namespace) === host)
        .flatMap((dr) => (dr.spec?.subsets ?? []).map((s) => s.name));
    },
  };
}
