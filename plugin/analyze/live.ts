// analyze --cluster: the live cluster's objects of every kind the checks read, in every namespace (a route, a
// rule or a Service in another namespace matters to this one's objects, as in Istio), with the files on top:
// an object in a file replaces the live one of the same group, kind, namespace and name. Reads only.
import type { AnalyzeResult } from '../../core/analyze.js';
import type { KubeObject } from '../../core/model.js';
import { ApiError } from '../../kube/errors.js';
import type { GrayCluster } from '../kube/cluster.js';
import type { Loaded, Source } from './inputs.js';
import { type Report, locate } from './report.js';

/** What the checks read, and where the API server serves it. */
const LIVE = [
  { apiVersion: 'networking.istio.io/v1', resource: 'virtualservices', kind: 'VirtualService' },
  { apiVersion: 'networking.istio.io/v1', resource: 'destinationrules', kind: 'DestinationRule' },
  { apiVersion: 'networking.istio.io/v1', resource: 'gateways', kind: 'Gateway' },
  { apiVersion: 'networking.istio.io/v1', resource: 'serviceentries', kind: 'ServiceEntry' },
  { apiVersion: 'security.istio.io/v1', resource: 'requestauthentications', kind: 'RequestAuthentication' },
  { apiVersion: 'v1', resource: 'services', kind: 'Service' },
  { apiVersion: 'v1', resource: 'pods', kind: 'Pod' },
] as const;

const identity = (o: KubeObject, namespace: string) =>
  `${(o.apiVersion ?? '').split('/').slice(0, -1).join('/')}/${o.kind}/${o.metadata?.namespace ?? namespace}/${o.metadata?.name}`;

/** The live objects (a kind the server does not serve is simply absent), then the files' objects on top. */
export async function liveWithFiles(cluster: GrayCluster, files: readonly KubeObject[], namespace: string): Promise<KubeObject[]> {
  const lists = await Promise.all(LIVE.map(async ({ apiVersion, resource, kind }) => {
    try {
      return (await cluster.listEverywhere(apiVersion, resource, kind)) ?? [];
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) {
        const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
        throw new ApiError(403, 'Forbidden', `${err.serverMessage}\nanalyze --cluster lists ${resource}${group ? `.${group}` : ''} in every namespace: ask for list on it cluster-wide (a ClusterRole), or analyze files without --cluster`);
      }
      throw err;
    }
  }));
  const replaced = new Set(files.map((o) => identity(o, namespace)));
  return [...lists.flat().filter((o) => !replaced.has(identity(o, namespace))), ...files];
}

/** A live object has no file position: its findings print as "cluster: ...", and name the object. */
const LIVE_SOURCE: Source = { file: 'cluster', locate: () => ({ line: 0, column: 0 }) };

/** The report of the live objects with the files on top: findings for `namespace`, or for all with `everywhere`. */
export async function liveReport(cluster: GrayCluster, loaded: Loaded, judge: (objects: KubeObject[]) => AnalyzeResult,
  namespace: string, everywhere: boolean): Promise<Report> {
  const objects = await liveWithFiles(cluster, loaded.objects, namespace);
  const result = judge(objects);
  const fromFiles = new Map(loaded.objects.map((o, i) => [o, i]));
  const sources = objects.map((o) => (fromFiles.has(o) ? loaded.sources[fromFiles.get(o)!]! : LIVE_SOURCE));
  const findings = result.findings.filter((f) => everywhere || (objects[f.index]!.metadata.namespace ?? namespace) === namespace);
  const scope = `live cluster, ${everywhere ? 'all namespaces' : `namespace ${namespace}`}${loaded.files.length ? ', files on top' : ''}`;
  return { ...locate({ ...result, findings }, { ...loaded, sources }), scope };
}
