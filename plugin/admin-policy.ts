// The admin policy as the plugin reads it, to refuse locally what the webhook would refuse: the policy objects
// (ClusterGrayPolicies, the GrayPolicies and labels of each namespace a plan touches), or on a cluster without
// them the policy an older chart publishes on its webhook configuration. Read once per command; namespaces are
// added as a plan reaches them (a lane spans several).
import { DEFAULT_POLICY, type Policy, type PolicyObject, type Requester, mergePolicies, parsePolicy, parsePolicyObject, policiesFor } from '../core/policy.js';
import type { GrayCluster } from './kube/cluster.js';

export class PolicyBook {
  private objects: PolicyObject[] = [];
  private readonly labels = new Map<string, Record<string, string>>();
  private legacy: Policy | undefined;
  private who: Promise<Requester | undefined> | undefined;

  private constructor(private readonly cluster: GrayCluster) {}

  /**
   * Reads what applies to `namespaces`: the policy objects, asked for at once rather than after a discovery request
   * (not served, the list is a 404), else the older chart's published policy. `given` (policy test -f) stands in for
   * the cluster's objects.
   */
  static async read(cluster: GrayCluster, namespaces: readonly string[], given?: readonly PolicyObject[]): Promise<PolicyBook> {
    const book = new PolicyBook(cluster);
    if (given) {
      book.objects = [...given];
      book.given = true;
    }
    await book.cover(namespaces, true);
    return book;
  }

  private given = false;
  private read = new Set<string>();

  /**
   * Reads the namespaces not read yet: their GrayPolicies, and their labels where a cluster-scoped policy selects
   * namespaces by label (most do not, and the request is saved).
   */
  async cover(namespaces: readonly string[], first = false): Promise<void> {
    const missing = namespaces.filter((n) => !this.read.has(n));
    if (this.legacy || (!first && missing.length === 0)) return;
    for (const n of missing) this.read.add(n);
    const read = await this.cluster.policyObjects(missing, { cluster: first && !this.given, namespaced: !this.given, labels: false });
    if (!read && first && !this.given) {
      this.legacy = await legacyPolicy(this.cluster);
      return;
    }
    if (read) this.take(read.objects, read.labels, read.unreadable);
    const selecting = this.objects.some((o) => o.kind === 'ClusterGrayPolicy' && o.spec.namespaceSelector);
    const unlabelled = [...this.read].filter((n) => !this.labels.has(n));
    if (selecting && unlabelled.length > 0) {
      const labelled = await this.cluster.policyObjects(unlabelled, { cluster: false, namespaced: false, labels: true });
      if (labelled) this.take([], labelled.labels, labelled.unreadable);
    }
  }

  /** What this user could not read: the webhook applies it all the same. */
  readonly unreadable: string[] = [];

  private take(raw: readonly unknown[], labels: Map<string, Record<string, string>>, unreadable: readonly string[] = []): void {
    this.unreadable.push(...unreadable);
    for (const o of raw) {
      try {
        this.objects.push(parsePolicyObject(o));
      } catch {
        // One the webhook refuses to load (stored before its checks): the webhook skips it too.
      }
    }
    for (const [n, l] of labels) this.labels.set(n, l);
  }

  /** The policies that apply in a namespace, and their merge. */
  applicable(namespace: string): PolicyObject[] {
    return policiesFor(this.objects, namespace, this.labels.get(namespace) ?? {});
  }

  policyFor(namespace: string): Policy {
    return this.legacy ?? mergePolicies(this.applicable(namespace));
  }

  /** Who asks, read only when an exemption could apply to them. */
  requester(namespaces: readonly string[]): Promise<Requester | undefined> {
    if (!namespaces.some((n) => this.policyFor(n).exemptions?.length)) return Promise.resolve(undefined);
    return (this.who ??= this.cluster.whoAmI());
  }
}

/** The policy an older chart publishes on its webhook configuration; a malformed one is the server's business. */
async function legacyPolicy(cluster: GrayCluster): Promise<Policy> {
  const raw = await cluster.admissionPolicy();
  try {
    return raw === undefined ? DEFAULT_POLICY : parsePolicy(raw);
  } catch {
    return DEFAULT_POLICY;
  }
}
