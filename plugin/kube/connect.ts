// Loaded on demand: @kubernetes/client-node is most of the plugin's start-up cost, and --help,
// usage errors and analyze never need it.
import type { GrayCluster } from './cluster.js';
import { KubeCluster } from './cluster.js';
import { type ConnectionFlags, impersonationHeaders, loadKubeConfig } from './config.js';
import { KubeRest } from '../../kube/rest.js';

export function connectCluster(flags: ConnectionFlags): GrayCluster {
  const headers = impersonationHeaders(flags);
  const { kc, namespace } = loadKubeConfig(flags);
  return new KubeCluster(new KubeRest(kc, undefined, headers), namespace);
}
