// The admin policy each review is judged by: the ClusterGrayPolicies and GrayPolicies, and the namespaces' labels
// their selectors read, each kept by list-then-watch like the Istio caches. Until all three have been listed once,
// the chart's default (the policy file) applies: a policy is never replaced by "no policy", and the webhook is not
// ready before then anyway.
import { type KubeObject, jsonEqual } from '../core/model.js';
import { ApiError } from '../kube/errors.js';
import { isRace, retryOnConflict } from '../kube/retry.js';
import { type Policy, type PolicyObject, POLICY_API_VERSION, fileAsPolicy, mergePolicies, parsePolicyObject, policiesFor, policyName } from '../core/policy.js';
import type { KubeRest } from '../kube/rest.js';
import { Reflector } from './cache.js';

interface Logger { warn(obj: object, msg: string): void; info(obj: object, msg: string): void }

export interface PolicySource {
  /** The policy for a review in this namespace (cluster-scoped objects: ""). */
  policyFor(namespace: string): Policy;
  synced(): boolean;
  start(): Promise<void>;
  stop(): void;
}

/** The policy file alone: no policy objects (the harness's default, tests, and --policy-objects off). */
export function filePolicy(file: () => Policy): PolicySource {
  let cached: { file: Policy; merged: Policy } | undefined;
  return {
    policyFor: () => {
      const f = file();
      if (cached?.file !== f) cached = { file: f, merged: mergePolicies([fileAsPolicy(f)]) };
      return cached.merged;
    },
    synced: () => true,
    start: async () => undefined,
    stop: () => undefined,
  };
}

export function policyObjects(rest: Pick<KubeRest, 'request' | 'watch'>, file: () => Policy, log: Logger): PolicySource {
  const base = `/apis/${POLICY_API_VERSION}`;
  const cluster = new Reflector<KubeObject>(rest, `${base}/clustergraypolicies`, POLICY_API_VERSION, 'ClusterGrayPolicy', log, undefined, 0);
  const namespaced = new Reflector<KubeObject>(rest, `${base}/graypolicies`, POLICY_API_VERSION, 'GrayPolicy', log, undefined, 0);
  const namespaces = new Reflector<KubeObject>(rest, '/api/v1/namespaces', 'v1', 'Namespace', log, undefined, 0);
  const fallback = filePolicy(file);
  // Derived once per state of the three lists (each hands out one array per state).
  let view: { keys: unknown[]; policies: PolicyObject[]; labels: Map<string, Record<string, string>>; merged: Map<string, Policy> } | undefined;
  const bad = new Set<string>();
  const current = () => {
    const keys = [cluster.list(), namespaced.list(), namespaces.list()];
    if (view && keys.every((k, i) => k === view!.keys[i])) return view;
    const policies: PolicyObject[] = [];
    for (const o of [...keys[0]!, ...keys[1]!]) {
      try {
        policies.push(parsePolicyObject(o));
      } catch (err) {
        // The CRD's schema keeps malformed policies out; one stored before it existed is skipped, and said once.
        const id = `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}@${o.metadata.resourceVersion ?? ''}`;
        if (!bad.has(id)) log.warn({ policy: id, err: (err as Error).message }, 'policy skipped: it does not parse');
        bad.add(id);
      }
    }
    const labels = new Map(keys[2]!.map((n) => [n.metadata.name, n.metadata.labels ?? {}]));
    view = { keys, policies, labels, merged: new Map() };
    return view;
  };
  const synced = () => cluster.synced() && namespaced.synced() && namespaces.synced();
  return {
    policyFor(namespace) {
      if (!synced()) return fallback.policyFor(namespace);
      const v = current();
      let merged = v.merged.get(namespace);
      if (!merged) {
        merged = mergePolicies(policiesFor(v.policies, namespace, v.labels.get(namespace) ?? {}));
        v.merged.set(namespace, merged);
      }
      return merged;
    },
    synced,
    async start() {
      await Promise.all([cluster.start(), namespaced.start(), namespaces.start()]);
      log.info({ policies: current().policies.map(policyName) }, 'policy objects synced');
    },
    stop() {
      cluster.stop();
      namespaced.stop();
      namespaces.stop();
    },
  };
}

/**
 * Keeps the chart's default policy (the file, from the chart's values) as the ClusterGrayPolicy `name`, so that
 * admins see it beside their own and an upgrade from a release without policy objects changes nothing. Every
 * replica writes the same spec: a conflict is another replica's identical write, read again and compared.
 */
export async function keepDefaultPolicy(rest: Pick<KubeRest, 'request'>, name: string, policy: Policy, owner: () => Promise<object | undefined>): Promise<'created' | 'updated' | 'unchanged'> {
  const path = `/apis/${POLICY_API_VERSION}/clustergraypolicies`;
  const { sources: _s, ...spec } = policy;
  return retryOnConflict(async () => {
    let current: PolicyObject & { metadata: { resourceVersion?: string; labels?: Record<string, string>; ownerReferences?: unknown[] } } | undefined;
    try {
      current = (await rest.request<typeof current>('GET', `${path}/${name}`)).body;
    } catch (err) {
      if (!(err instanceof ApiError && err.isNotFound)) throw err;
    }
    if (current && jsonEqual(current.spec ?? {}, spec)) return 'unchanged';
    const ref = await owner();
    const metadata = {
      ...(current?.metadata ?? {}), name,
      labels: { ...(current?.metadata.labels ?? {}), 'app.kubernetes.io/managed-by': 'kubectl-gray-webhook' },
      ...(ref && !current?.metadata.ownerReferences?.length ? { ownerReferences: [ref] } : {}),
    };
    const body = { apiVersion: POLICY_API_VERSION, kind: 'ClusterGrayPolicy', metadata, spec };
    if (current) await rest.request('PUT', `${path}/${name}`, body);
    else await rest.request('POST', path, body);
    return current ? 'updated' : 'created';
  }, undefined, (err) => isRace(err, true));
}
