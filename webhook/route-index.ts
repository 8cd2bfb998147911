// Keeps the route index (core/route-index.ts) true for VirtualServices the mutating entry did not label: those that
// existed before the webhook was installed, and those written while it was away (that entry never blocks a write).
// It reads the cache, and patches the labels alone, with the resourceVersion it saw: an object changed meanwhile is
// left for the next pass, judged on its new version. Every replica does this; the second to patch finds nothing to do.
import { type VirtualService, namespaceOf, objectKey } from '../core/model.js';
import { indexLabelChanges } from '../core/route-index.js';
import { ApiError } from '../kube/errors.js';
import type { KubeRest } from '../kube/rest.js';

interface Logger { warn(obj: object, msg: string): void; info(obj: object, msg: string): void }
type Wrong = { id: string; vs: VirtualService; changes: Record<string, string | null> };

/** Patches in flight at once: fast enough for a first pass over tens of thousands, gentle on the API server. */
const PARALLEL = 4;

export class RouteIndexKeeper {
  /**
   * namespace/name@resourceVersion of each VirtualService found right or patched: a pass re-judges only what changed
   * (a patched one comes back through the watch with a new resourceVersion, and is judged then).
   */
  private right = new Set<string>();
  /** The cache's state when a pass last left nothing to do. */
  private done: readonly VirtualService[] | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private forbidden = false;
  /** VirtualServices found with labels out of line in the last pass and not patched yet. */
  pending = 0;
  patched = 0;

  constructor(private readonly rest: Pick<KubeRest, 'request'>, private readonly list: () => readonly VirtualService[], private readonly log: Logger,
    private readonly version = 'v1', private readonly intervalMs = 2_000) {}

  start(): void {
    this.timer = setInterval(() => { this.running ??= this.pass().finally(() => { this.running = undefined; }); }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One pass, when the cache changed since the last: patches what is out of line. */
  async pass(): Promise<void> {
    const objects = this.list();
    if (this.forbidden || this.done === objects) return;
    const right = new Set<string>();
    const wrong: Wrong[] = [];
    for (const vs of objects) {
      const id = `${objectKey(vs)}@${vs.metadata.resourceVersion ?? ''}`;
      if (this.right.has(id)) { right.add(id); continue; }
      const changes = indexLabelChanges(vs);
      if (Object.keys(changes).length === 0) right.add(id);
      else wrong.push({ id, vs, changes });
    }
    this.right = right;
    this.pending = wrong.length;
    let next = 0;
    const worker = async () => {
      while (next < wrong.length && !this.forbidden) {
        const { id, vs, changes } = wrong[next++]!;
        if (await this.patch(vs, changes)) {
          right.add(id);
          this.pending -= 1;
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    if (this.pending === 0) this.done = objects;
    if (wrong.length > 0) this.log.info({ outOfLine: wrong.length, patched: wrong.length - this.pending }, 'route index labels kept');
  }

  /** True when the labels are right now (patched, or the object is gone or changed: its next version is judged anew). */
  private async patch(vs: VirtualService, labels: Record<string, string | null>): Promise<boolean> {
    const path = `/apis/networking.istio.io/${this.version}/namespaces/${encodeURIComponent(namespaceOf(vs))}/virtualservices/${encodeURIComponent(vs.metadata.name)}`;
    try {
      await this.rest.request('PATCH', path, { metadata: { resourceVersion: vs.metadata.resourceVersion, labels } }, 'application/json', 'application/merge-patch+json');
      this.patched += 1;
      return true;
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 409)) return false;
      if (err instanceof ApiError && err.status === 403) {
        this.forbidden = true;
        this.log.warn({ err: err.message }, 'may not patch VirtualServices: the route index is kept only for those written through the webhook (give the webhook patch on virtualservices)');
        return false;
      }
      this.log.warn({ object: objectKey(vs), err: String((err as Error)?.message ?? err) }, 'could not label for the route index; trying again next pass');
      return false;
    }
  }
}
