// Finds the kubeconfig the way kubectl does, but refuses to guess: client-node would silently fall
// back to http://localhost:8080 when there is no configuration at all.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { IntentError } from '../../core/errors.js';
import { ConfigError } from '../../kube/errors.js';

export interface ConnectionFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  /** Impersonation, as kubectl's --as, --as-group and --as-uid. */
  as?: string;
  'as-group'?: string[];
  'as-uid'?: string;
}

/** The Impersonate-* headers the flags ask for; a group or uid without a user is refused, as kubectl refuses it. */
export function impersonationHeaders(flags: ConnectionFlags): Record<string, string | string[]> {
  const groups = (flags['as-group'] ?? []).filter(Boolean);
  if (!flags.as) {
    if (groups.length > 0 || flags['as-uid']) throw new IntentError('--as-group and --as-uid need --as (the user to impersonate)');
    return {};
  }
  return { 'Impersonate-User': flags.as, ...(groups.length > 0 ? { 'Impersonate-Group': groups } : {}), ...(flags['as-uid'] ? { 'Impersonate-Uid': flags['as-uid'] } : {}) };
}


export function loadKubeConfig(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): { kc: KubeConfig; namespace: string } {
  const kc = new KubeConfig();
  const fromEnv = (env['KUBECONFIG'] ?? '').split(delimiter).filter(Boolean);
  const home = join(env['HOME'] ?? homedir(), '.kube', 'config');
  try {
    if (flags.kubeconfig) {
      if (!existsSync(flags.kubeconfig)) throw new ConfigError(`--kubeconfig ${flags.kubeconfig}: no such file`);
      kc.loadFromFile(flags.kubeconfig);
    } else if (fromEnv.some((p) => existsSync(p))) {
      // Like kubectl: every file on $KUBECONFIG, merged, the first one's current context winning.
      const [first, ...rest] = fromEnv.filter((p) => existsSync(p));
      kc.loadFromFile(first!);
      for (const p of rest) {
        const more = new KubeConfig();
        more.loadFromFile(p);
        kc.mergeConfig(more, true);
      }
    } else if (existsSync(home)) {
      kc.loadFromFile(home);
    } else if (env['KUBERNETES_SERVICE_HOST']) {
      kc.loadFromCluster();
    } else {
      const looked = [...fromEnv.map((p) => `$KUBECONFIG ${p}`), home].join(', ');
      throw new ConfigError(`no kubeconfig found (looked at ${looked}); pass --kubeconfig or set KUBECONFIG`);
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`cannot read kubeconfig: ${(err as Error).message}`);
  }
  if (flags.context) {
    if (!kc.getContextObject(flags.context)) {
      throw new ConfigError(`context "${flags.context}" does not exist (contexts: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'})`);
    }
    kc.setCurrentContext(flags.context);
  }
  if (!kc.getCurrentCluster()) throw new ConfigError('the kubeconfig has no current context or cluster; pass --context');
  const contextNs = kc.getContextObject(kc.getCurrentContext())?.namespace;
  return { kc, namespace: flags.namespace || contextNs || 'default' };
}
