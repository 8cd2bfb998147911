// analyze --cluster: the live cluster's objects of every kind the checks read, in every namespace (a route, a
// rule or a Service in another namespace matters to this one's objects, as in Istio), with the files on top:
// an object in a file replaces the live one of the same group, kind, namespace and name. Reads only.
import type { AnalyzeResult } from '../../core/analyze.js';
import { groupOf } from '../../core/analyzers/inventory.js';
import type { KubeObject } from '../../core/model.js';
import { ApiError } from '../../kube/errors.js';
import type { GrayCluster } from '../kube/cluster.js';
import type { Loaded, Source } from './inputs.js';
import { type Report, locate } from './report.js';

/**
 * What the checks read, and where the API server serves it: the first version served, asked for in this order
 * (Istio >= 1.22 serves v1, so one request each; an older control plane answers v1 with a 404 and is asked again).
 */
const LIVE = [
  { group: 'networking.istio.io', versions: ['v1', 'v1beta1', 'v1alpha3'], resource: 'virtualservices', kind: 'VirtualService' },
  { group: 'networking.istio.io', versions: ['v1', 'v1beta1', 'v1alpha3'], resource: 'destinationrules', kind: 'DestinationRule' },
  { group: 'networking.istio.io', versions: ['v1', 'v1beta1', 'v1alpha3'], resource: 'gateways', kind: 'Gateway' },
  { group: 'networking.istio.io', versions: ['v1', 'v1beta1', 'v1alpha3'], resource: 'serviceentries', kind: 'ServiceEntry' },
  { group: 'security.istio.io', versions: ['v1', 'v1beta1'], resource: 'requestauthentications', kind: 'RequestAuthentication' },
  // The Gateway API's routes: read where this user may (a cluster's view role often does not include them).
  { group: 'gateway.networking.k8s.io', versions: ['v1'], resource: 'httproutes', kind: 'HTTPRoute', optional: true },
  { group: 'gateway.networking.k8s.io', versions: ['v1'], resource: 'grpcroutes', kind: 'GRPCRoute', optional: true },
  { group: '', versions: ['v1'], resource: 'services', kind: 'Service' },
  { group: '', versions: ['v1'], resource: 'pods', kind: 'Pod' },
] as const;

const identity = (o: KubeObject, namespace: string) => `${groupOf(o.apiVersion)}/${o.kind}/${o.metadata?.namespace ?? namespace}/${o.metadata?.name}`;
const isIstio = (o: KubeObject) => groupOf(o.apiVersion).endsWith('istio.io');

/** Every object of one kind in every namespace; none when no version of it is served (no such CRD). */
async function listKind(cluster: GrayCluster, { group, versions, resource, kind }: (typeof LIVE)[number]): Promise<KubeObject[]> {
  for (const version of versions) {
    const items = await cluster.listEverywhere(group ? `${group}/${version}` : version, resource, kind);
    if (items) return items;
  }
  return [];
}

/**
 * The live objects (a kind the server does not serve is simply absent), then the files' objects on top. The lists
 * go out together; when RBAC refuses any, the error is the API server's Forbidden (as kubectl prints it) with every
 * list refused and what to grant, so that one request to an admin is enough.
 */
export async function liveWithFiles(cluster: GrayCluster, files: readonly KubeObject[], namespace: string): Promise<KubeObject[]> {
  const refusedIsNone = (err: unknown) => { if (err instanceof ApiError && err.status === 403) return []; throw err; };
  const settled = await Promise.allSettled(LIVE.map((kind) => ('optional' in kind ? listKind(cluster, kind).catch(refusedIsNone) : listKind(cluster, kind))));
  const refused = LIVE.filter((_, i) => { const s = settled[i]!; return s.status === 'rejected' && s.reason instanceof ApiError && s.reason.status === 403; });
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected' && !(s.reason instanceof ApiError && s.reason.status === 403));
  if (failed) throw failed.reason;
  if (refused.length > 0) {
    const first = (settled[LIVE.indexOf(refused[0]!)] as PromiseRejectedResult).reason as ApiError;
    const names = refused.map(({ group, resource }) => (group ? `${resource}.${group}` : resource));
    throw new ApiError(403, first.reason, `${first.serverMessage}\n`
      + `analyze --cluster needs list on ${names.join(', ')} across all namespaces (a ClusterRole with verb list, `
      + `bound by a ClusterRoleBinding); or analyze files only: kubectl gray analyze -n ${namespace} FILES`);
  }
  const replaced = new Set(files.map((o) => identity(o, namespace)));
  const live = settled.flatMap((s) => (s.status === 'fulfilled' ? s.value : []));
  return [...live.filter((o) => !replaced.has(identity(o, namespace))), ...files];
}

/** A live object has no file position: its findings print as "cluster: ...", and name the object. */
const LIVE_SOURCE: Source = { file: 'cluster', locate: () => ({ line: 0, column: 0 }) };

/**
 * The report of the live objects with the files on top: findings for `namespace`, or for every namespace with
 * `everywhere`; the Istio objects counted are those of the same scope.
 */
export async function liveReport(cluster: GrayCluster, loaded: Loaded, judge: (objects: KubeObject[]) => AnalyzeResult,
  namespace: string, everywhere: boolean): Promise<Report> {
  const objects = await liveWithFiles(cluster, loaded.objects, namespace);
  const result = judge(objects);
  const inScope = (o: KubeObject) => everywhere || (o.metadata.namespace ?? namespace) === namespace;
  const fromFiles = new Map(loaded.objects.map((o, i) => [o, i]));
  const sources = objects.map((o) => (fromFiles.has(o) ? loaded.sources[fromFiles.get(o)!]! : LIVE_SOURCE));
  const findings = result.findings.filter((f) => inScope(objects[f.index]!));
  const report = locate({ ...result, findings }, { ...loaded, sources });
  return {
    ...report,
    istio: objects.filter((o) => isIstio(o) && inScope(o)).length,
    skipped: loaded.objects.filter((o) => !isIstio(o)).length,
    live: { namespace: everywhere ? undefined : namespace, filesOnTop: loaded.files.length - loaded.skippedFiles.length },
  };
}
