// In-memory caches of VirtualServices and DestinationRules, each kept by a list (paged), then a watch from the
// list's resourceVersion, over the same REST client as every other call the webhook makes. Admission reads
// them; it never calls the API server per request. A cache counts as synced only once a list has succeeded:
// until then the webhook is not ready, so no decision is made from a cache that was never filled.
import { type DestinationRule, type KubeObject, type VirtualService, objectKey } from '../core/model.js';
import { LiveIndexes } from '../core/indexes.js';
import { RouteTable } from '../core/route-index.js';
import { ApiError } from '../kube/errors.js';
import { type KubeRest, type WatchEvent, listAllPages } from '../kube/rest.js';
import type { IstioSnapshot } from './admission/handlers.js';

export interface IstioCache extends IstioSnapshot {
  synced(): boolean;
  /** The cached VirtualServices by the hosts they are about, kept with each change (the route query asks it). */
  routes(): RouteTable;
  start(): Promise<void>;
  stop(): Promise<void>;
}

interface Logger { warn(obj: object, msg: string): void; info(obj: object, msg: string): void }
type Rest = Pick<KubeRest, 'request' | 'watch'>;

/** The server ends each watch after this long (and the cache watches again from where it was), as client-go does. */
const WATCH_SECONDS = 300;
const MAX_BACKOFF_MS = 30_000;
/** The most a review's view of the caches lags behind the watch while changes stream in (see Reflector.list). */
export const SNAPSHOT_MS = 100;
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** FNV-1a over namespace/name@resourceVersion of each object, combined by addition: the same set gives the same number in any order. */
export function cacheDigest(objects: readonly KubeObject[]): number {
  let sum = 0;
  for (const o of objects) {
    const key = `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}@${o.metadata?.resourceVersion ?? ''}`;
    let h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    sum = (sum + (h >>> 0)) % 4294967296;
  }
  return sum;
}

/** A fixed snapshot: for tests and the benchmark. */
export function staticCache(virtualServices: VirtualService[], destinationRules: DestinationRule[]): IstioCache {
  const routes = new RouteTable(virtualServices);
  return {
    routes: () => routes,
    virtualServices: () => virtualServices,
    destinationRules: () => destinationRules,
    synced: () => true,
    start: async () => undefined,
    stop: async () => undefined,
  };
}

/** What else follows a Reflector's objects one change at a time (indexes), and is lent to each array it hands out. */
export interface Follower<T> {
  set(key: string, o: T): void;
  delete(key: string): void;
  clear(): void;
  adopt?(snapshot: readonly T[]): void;
}

/** One kind's objects, kept by list-then-watch, restarting after failures with a growing pause. */
export class Reflector<T extends KubeObject> {
  private objects = new Map<string, T>();
  /** One array per state of the cache: the rule engine indexes it once, keyed by identity. */
  private snapshot: T[] | undefined;
  private stale = false;
  private builtAt = 0;
  private resourceVersion = '';
  private listed = false;
  private stopped = false;
  private abort: AbortController | undefined;
  private wake: (() => void) | undefined;
  private readonly firstList: Promise<void>;
  private resolveFirst!: () => void;

  constructor(private readonly rest: Rest, private readonly path: string, private readonly apiVersion: string,
    private readonly kind: string, private readonly log: Logger, private readonly backoffMs = 500, private readonly snapshotMs = SNAPSHOT_MS,
    private readonly follower?: Follower<T>) {
    this.firstList = new Promise((resolve) => { this.resolveFirst = resolve; });
  }

  synced(): boolean { return this.listed; }
  /**
   * The objects, as one array per state: a new one at most every `snapshotMs` while changes stream in, as the rule
   * engine builds its indexes once per array (a rebuild over 50,000 objects on every review of a bulk apply made
   * the webhook the bottleneck). Decisions may then see a state up to that much older, as they would with a slower
   * watch; a refusal that depends on the caches is judged again after a pause (webhook/server.ts).
   */
  list(): T[] {
    const now = Date.now();
    if (!this.snapshot || (this.stale && now - this.builtAt >= this.snapshotMs)) {
      this.snapshot = [...this.objects.values()];
      this.follower?.adopt?.(this.snapshot);
      this.stale = false;
      this.builtAt = now;
    }
    return this.snapshot;
  }

  /** Starts listing and watching; resolves once the first list has succeeded (retrying until it does). */
  start(): Promise<void> {
    void this.run();
    return this.firstList;
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
    this.wake?.();
  }

  /** Every object, straight from the API server (paged): for decisions that must not trust the cache. */
  async fresh(): Promise<T[]> { return (await this.listAll()).items; }

  private listAll(): Promise<{ items: T[]; resourceVersion: string }> {
    return listAllPages<T>(this.rest, this.path, { keep: (o) => this.kept(o) });
  }

  /**
   * What the rules read: list items carry no apiVersion/kind (the rules need them to recognise and name objects),
   * and managedFields, status and kubectl's last-applied copy are dropped (often most of an object's bytes).
   */
  private kept(o: T): T {
    const { managedFields: _m, ...metadata } = o.metadata as KubeObject['metadata'] & { managedFields?: unknown };
    if (metadata.annotations?.[LAST_APPLIED] !== undefined) {
      const { [LAST_APPLIED]: _l, ...annotations } = metadata.annotations;
      metadata.annotations = annotations;
    }
    const { status: _s, ...rest } = o as T & { status?: unknown };
    return { ...rest, apiVersion: o.apiVersion ?? this.apiVersion, kind: o.kind ?? this.kind, metadata } as T;
  }

  private apply(event: WatchEvent): void {
    const o = event.object as unknown as T;
    this.resourceVersion = o.metadata?.resourceVersion ?? this.resourceVersion;
    if (event.type === 'BOOKMARK') return;
    const key = objectKey(o);
    if (event.type === 'DELETED') {
      this.objects.delete(key);
      this.follower?.delete(key);
    } else {
      const kept = this.kept(o);
      this.objects.set(key, kept);
      this.follower?.set(key, kept);
    }
    this.stale = true;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        if (!this.resourceVersion) {
          const { items, resourceVersion } = await this.listAll();
          this.objects = new Map(items.map((o) => [objectKey(o), o]));
          if (this.follower) {
            this.follower.clear();
            for (const [key, o] of this.objects) this.follower.set(key, o);
          }
          this.snapshot = undefined;
          this.resourceVersion = resourceVersion;
          if (!this.listed) this.log.info({ kind: this.kind, count: items.length }, 'cache synced');
          this.listed = true;
          this.resolveFirst();
        }
        this.abort = new AbortController();
        const query = `?watch=1&allowWatchBookmarks=true&timeoutSeconds=${WATCH_SECONDS}&resourceVersion=${encodeURIComponent(this.resourceVersion)}`;
        await this.rest.watch(`${this.path}${query}`, (e) => this.apply(e), this.abort.signal, (WATCH_SECONDS + 30) * 1000);
        failures = 0;
      } catch (err) {
        if (this.stopped) return;
        // 410 Gone: the watch's resourceVersion has left the server's window; list again.
        if (err instanceof ApiError && err.status === 410) this.resourceVersion = '';
        failures += 1;
        const pauseMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2 ** (failures - 1));
        this.log.warn({ kind: this.kind, synced: this.listed, pauseMs, err: String((err as Error)?.message ?? err) }, 'list or watch failed; trying again');
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, pauseMs).unref();
        });
      }
    }
  }
}

export function istioCache(rest: Rest, log: Logger, version = 'v1'): IstioCache & { freshVirtualServices(): Promise<VirtualService[]> } {
  const group = 'networking.istio.io';
  // The route query's table and the rule engine's indexes follow each watch event; the indexes are lent to each array.
  const routes = new RouteTable();
  const live = new LiveIndexes();
  const vs = new Reflector<VirtualService>(rest, `/apis/${group}/${version}/virtualservices`, `${group}/${version}`, 'VirtualService', log, undefined, undefined, {
    set: (key, o) => { routes.set(o); live.setVirtualService(key, o); },
    delete: (key) => { routes.delete(key); live.deleteVirtualService(key); },
    clear: () => { routes.clear(); live.clearVirtualServices(); },
    adopt: (snapshot) => live.adoptVirtualServices(snapshot),
  });
  const dr = new Reflector<DestinationRule>(rest, `/apis/${group}/${version}/destinationrules`, `${group}/${version}`, 'DestinationRule', log, undefined, undefined, {
    set: (key, o) => live.setDestinationRule(key, o),
    delete: (key) => live.deleteDestinationRule(key),
    clear: () => live.clearDestinationRules(),
    adopt: (snapshot) => live.adoptDestinationRules(snapshot),
  });
  return {
    virtualServices: () => vs.list(),
    routes: () => routes,
    freshVirtualServices: () => vs.fresh(),
    destinationRules: () => dr.list(),
    synced: () => vs.synced() && dr.synced(),
    async start() { await Promise.all([vs.start(), dr.start()]); },
    async stop() { vs.stop(); dr.stop(); },
  };
}
