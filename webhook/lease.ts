// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it: the holder
// renews every few seconds; another replica takes the Lease over only once it has seen the same record
// unchanged for a whole lease duration (its own clock, so clock skew between nodes does not matter).
// Every write carries the resourceVersion it read, so two candidates never both win.
import { ApiError } from '../kube/errors.js';
import type { KubeRest } from '../kube/rest.js';

export interface LeaseOptions {
  namespace: string;
  name: string;
  /** This replica (the pod's name). */
  identity: string;
  leaseDurationSeconds?: number;
  /** A leader that has not renewed for this long stops acting as one (client-go's renewDeadline). */
  renewDeadlineMs?: number;
  /** How often to renew or try to acquire (client-go's retryPeriod). */
  retryPeriodMs?: number;
  /** Set on the Lease when it is created (so it goes with its owner, e.g. on helm uninstall). */
  owner?: () => Promise<{ apiVersion: string; kind: string; name: string; uid: string } | undefined>;
}

interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

interface Log { info(obj: object, msg: string): void; warn(obj: object, msg: string): void }

type Rest = Pick<KubeRest, 'request'>;

/** MicroTime as the API server writes it: RFC 3339 with six fractional digits. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaseElector {
  private leaderSince: number | undefined;
  private renewedAt = 0;
  private observed: { record: string; at: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly duration: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly listeners: Array<(leader: boolean) => void> = [];

  constructor(private readonly rest: Rest, private readonly options: LeaseOptions, private readonly log: Log, private readonly clock: () => number = Date.now) {
    this.duration = options.leaseDurationSeconds ?? 15;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
  }

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.options.namespace}/leases/${this.options.name}`;
  }

  /** Whether this replica holds the Lease and renewed it recently enough to act on it. */
  isLeader(): boolean {
    return this.leaderSince !== undefined && this.clock() - this.renewedAt < this.renewDeadlineMs;
  }

  onChange(listener: (leader: boolean) => void): void {
    this.listeners.push(listener);
  }

  private set(leader: boolean): void {
    const was = this.leaderSince !== undefined;
    if (leader) {
      this.renewedAt = this.clock();
      this.leaderSince ??= this.renewedAt;
    } else {
      this.leaderSince = undefined;
    }
    if (was !== leader) {
      this.log.info({ lease: `${this.options.namespace}/${this.options.name}`, identity: this.options.identity, leader }, leader ? 'became leader' : 'no longer leader');
      for (const l of this.listeners) l(leader);
    }
  }

  /** One attempt to acquire or renew. Returns whether this replica now leads. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock();
    const spec = (transitions: number, acquireTime: string) => ({
      holderIdentity: this.options.identity, leaseDurationSeconds: this.duration,
      acquireTime, renewTime: microTime(new Date(now)), leaseTransitions: transitions,
    });
    let lease: Lease | undefined;
    try {
      lease = (await this.rest.request<Lease>('GET', this.path)).body;
    } catch (err) {
      if (!(err instanceof ApiError && err.isNotFound)) return this.failed(err);
    }
    try {
      if (!lease) {
        const owner = await this.options.owner?.().catch(() => undefined);
        await this.rest.request('POST', `/apis/coordination.k8s.io/v1/namespaces/${this.options.namespace}/leases`, {
          apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
          metadata: { name: this.options.name, namespace: this.options.namespace, ...(owner ? { ownerReferences: [owner] } : {}) },
          spec: spec(0, microTime(new Date(now))),
        });
        this.set(true);
        return true;
      }
      const s = lease.spec ?? {};
      const record = JSON.stringify([s.holderIdentity, s.renewTime, s.leaseTransitions]);
      if (this.observed?.record !== record) this.observed = { record, at: now };
      const mine = s.holderIdentity === this.options.identity;
      const expired = !s.holderIdentity || now - this.observed.at >= (s.leaseDurationSeconds ?? this.duration) * 1000;
      if (!mine && !expired) {
        this.set(false);
        return false;
      }
      const next = mine
        ? spec(s.leaseTransitions ?? 0, s.acquireTime ?? microTime(new Date(now)))
        : spec((s.leaseTransitions ?? 0) + 1, microTime(new Date(now)));
      const written = (await this.rest.request<Lease>('PUT', this.path, { ...lease, spec: next })).body;
      const w = written?.spec ?? next;
      this.observed = { record: JSON.stringify([w.holderIdentity, w.renewTime, w.leaseTransitions]), at: now };
      this.set(true);
      return true;
    } catch (err) {
      // A Conflict or AlreadyExists: another replica wrote first. It leads; we look again next period.
      if (err instanceof ApiError && err.status === 409) {
        this.set(false);
        return false;
      }
      return this.failed(err);
    }
  }

  private failed(err: unknown): boolean {
    this.log.warn({ lease: `${this.options.namespace}/${this.options.name}`, err: String((err as Error)?.message ?? err) }, 'lease request failed');
    // A leader that cannot renew keeps leading until its renew deadline, then steps down.
    if (!this.isLeader()) this.set(false);
    return this.isLeader();
  }

  start(): void {
    const tick = () => {
      this.tryAcquireOrRenew().catch(() => undefined).finally(() => {
        if (this.timer !== undefined) this.timer = setTimeout(tick, this.retryPeriodMs * (this.isLeader() ? 1 : 0.8 + Math.random() * 0.4));
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  /** Stops renewing; a leader gives the Lease up so another replica takes over at once, not after a lease duration. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.isLeader()) return;
    try {
      const lease = (await this.rest.request<Lease>('GET', this.path)).body;
      if (lease.spec?.holderIdentity === this.options.identity) {
        await this.rest.request('PUT', this.path, { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 } });
      }
    } catch {
      // the Lease expires on its own
    }
    this.set(false);
  }
}
