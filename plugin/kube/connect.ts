// Loaded on demand: @kubernetes/client-node is most of the plugin's start-up cost, and --help,
// usage errors and analyze never need it.
import type { GrayCluster } from './cluster.js';
import { KubeCluster } from './cluster.js';
import { type ConnectionFlags, impersonationHeaders, loadKubeConfig } from './config.js';
import { KubeRest } from '../../kube/rest.js';

export function connectCluster(flags: ConnectionFlags): GrayCluster {
  const headers = impersonationHeaders(flags);
  const { kc, namespace } = loadKubeConfig(flags);
  // A command's process talks TLS to the API server alone (exec credential plugins run as processes of their own),
  // except client-node's OIDC auth-provider, which refreshes tokens at the identity provider under the usual roots.
  const serverCaIsProcessDefault = !kc.getCurrentUser()?.authProvider;
  return new KubeCluster(new KubeRest(kc, undefined, headers, serverCaIsProcessDefault), namespace);
}
