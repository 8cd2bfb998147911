// Keeps the route index (core/route-index.ts) true for objects the mutating entry did not label: those that existed
// before the webhook was installed, and those written while it was away (that entry never blocks a write). It reads
// the caches, and patches the labels alone, with the resourceVersion it saw: an object changed meanwhile is left
// for the next pass, judged on its new version. Every replica does this; the second to patch finds nothing to do.
import { type KubeObject, namespaceOf, objectKey } from '../core/model.js';
import { indexLabelChanges } from '../core/route-index.js';
import { ApiError } from '../kube/errors.js';
import type { KubeRest } from '../kube/rest.js';

interface Logger { warn(obj: object, msg: string): void; info(obj: object, msg: string): void }
interface Source { kind: string; resource: string; list(): readonly KubeObject[] }

/** Patches in flight at once: fast enough for a first pass over tens of thousands, gentle on the API server. */
const PARALLEL = 4;

export class RouteIndexKeeper {
  /**
   * namespace/name@resourceVersion of each object found right or patched, per kind: a pass re-judges only what
   * changed (a patched object comes back through the watch with a new resourceVersion, and is judged then).
   */
  private readonly right = new Map<string, Set<string>>();
  private readonly seen = new Map<string, readonly KubeObject[]>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private forbidden = false;
  /** Objects found with labels out of line in the last pass and not patched yet. */
  pending = 0;
  patched = 0;

  constructor(private readonly rest: Pick<KubeRest, 'request'>, private readonly sources: readonly Source[], private readonly log: Logger,
    private readonly version = 'v1', private readonly intervalMs = 2_000) {}

  start(): void {
    this.timer = setInterval(() => { this.running ??= this.pass().finally(() => { this.running = undefined; }); }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One pass over every kind whose cache changed since the last: patches what is out of line. */
  async pass(): Promise<void> {
    if (this.forbidden) return;
    let pending = 0;
    for (const source of this.sources) {
      const objects = source.list();
      if (this.seen.get(source.kind) === objects) continue;
      const right = new Set<string>();
      const previous = this.right.get(source.kind) ?? new Set<string>();
      const wrong: Array<{ id: string; o: KubeObject; changes: Record<string, string | null> }> = [];
      for (const o of objects) {
        const id = `${objectKey(o)}@${o.metadata.resourceVersion ?? ''}`;
        if (previous.has(id)) { right.add(id); continue; }
        const changes = indexLabelChanges(o);
        if (Object.keys(changes).length === 0) right.add(id);
        else wrong.push({ id, o, changes });
      }
      this.right.set(source.kind, right);
      pending += wrong.length;
      this.pending = pending;
      const done = await this.patchAll(source, wrong, right);
      pending -= done;
      this.pending = pending;
      if (done === wrong.length) this.seen.set(source.kind, objects);
      if (wrong.length > 0) this.log.info({ kind: source.kind, outOfLine: wrong.length, patched: done }, 'route index labels kept');
    }
  }

  private async patchAll(source: Source, wrong: Array<{ id: string; o: KubeObject; changes: Record<string, string | null> }>, right: Set<string>): Promise<number> {
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < wrong.length && !this.forbidden) {
        const { id, o, changes } = wrong[next++]!;
        if (await this.patch(source, o, changes)) {
          done += 1;
          right.add(id);
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    return done;
  }

  /** True when the labels are right now (patched, or the object is gone or changed: its next version is judged anew). */
  private async patch(source: Source, o: KubeObject, labels: Record<string, string | null>): Promise<boolean> {
    const path = `/apis/networking.istio.io/${this.version}/namespaces/${encodeURIComponent(namespaceOf(o))}/${source.resource}/${encodeURIComponent(o.metadata.name)}`;
    try {
      await this.rest.request('PATCH', path, { metadata: { resourceVersion: o.metadata.resourceVersion, labels } }, 'application/json', 'application/merge-patch+json');
      this.patched += 1;
      return true;
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 409)) return false;
      if (err instanceof ApiError && err.status === 403) {
        this.forbidden = true;
        this.log.warn({ kind: source.kind, err: err.message }, 'may not patch Istio objects: the route index is kept only for objects written through the webhook (give the webhook patch on virtualservices and destinationrules)');
        return false;
      }
      this.log.warn({ kind: source.kind, object: objectKey(o), err: String((err as Error)?.message ?? err) }, 'could not label for the route index; trying again next pass');
      return false;
    }
  }
}
