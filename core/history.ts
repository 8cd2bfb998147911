// A bounded change history kept on the object itself (an annotation), so any change made with
// kubectl-gray is one command away from undone, with no other storage to install.
import { IntentError } from './errors.js';
import { type KubeObject, type VirtualService, type VirtualServiceSpec, clone, describeObject } from './model.js';

/** What keeps a history: a VirtualService, or a Gateway API route. */
type Specced = KubeObject & { spec: object };

export const HISTORY_ANNOTATION = 'kubectl-gray.io/history';
export const STABLE_ANNOTATION = 'kubectl-gray.io/stable-subset';
export const HISTORY_LIMIT = 25;
/** Annotations share a 256 KiB budget per object; the history keeps well inside it. */
export const HISTORY_MAX_BYTES = 96 * 1024;

export interface HistoryEntry<S = VirtualServiceSpec> {
  /** Increases by one with every change, never reused. */
  revision: number;
  time: string;
  /** The command that made the change, e.g. "set-weight v2=10". */
  change: string;
  /** The spec as it stood before this change: what undo --to-revision restores. */
  spec: S;
  /** The plan this change was part of: one command's changes across VirtualServices share it (undo --plan). */
  plan?: string;
}

export function readHistory<T extends Specced = VirtualService>(vs: T): Array<HistoryEntry<T['spec']>> {
  const raw = vs.metadata.annotations?.[HISTORY_ANNOTATION];
  if (!raw) return [];
  try {
    const parsed = JSON.parse(raw) as unknown;
    return Array.isArray(parsed) ? (parsed as Array<HistoryEntry<T['spec']>>).filter((e) => typeof e?.revision === 'number') : [];
  } catch {
    return []; // a hand-mangled annotation is not worth failing a release over; it is rewritten
  }
}

/** Returns `after` with a history entry holding `before`'s spec appended (and old ones trimmed). */
export function recordChange<T extends Specced>(before: T, after: T, change: string, now: Date, plan?: string): T {
  const next = clone(after);
  const entries = readHistory(before);
  const revision = (entries.at(-1)?.revision ?? 0) + 1;
  entries.push({ revision, time: now.toISOString(), change, spec: clone(before.spec), ...(plan ? { plan } : {}) });
  while (entries.length > HISTORY_LIMIT || (entries.length > 1 && JSON.stringify(entries).length > HISTORY_MAX_BYTES)) {
    entries.shift();
  }
  next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [HISTORY_ANNOTATION]: JSON.stringify(entries) };
  return next;
}

/** The spec from before change `revision` (default: the latest change), as a new object. */
export function undoTo<T extends Specced>(vs: T, revision?: number): { vs: T; entry: HistoryEntry<T['spec']> } {
  const entries = readHistory(vs);
  if (entries.length === 0) throw new IntentError(`${describeObject(vs)} has no kubectl-gray history to undo`);
  const entry = revision === undefined ? entries.at(-1)! : entries.find((e) => e.revision === revision);
  if (!entry) {
    throw new IntentError(`${describeObject(vs)} has no revision ${revision} (kept: ${entries.map((e) => e.revision).join(', ')})`);
  }
  const next = clone(vs);
  next.spec = clone(entry.spec);
  return { vs: next, entry };
}

/** The single subset a route sends everything to, if there is one. */
export function soleSubset(vs: VirtualService, routeIndex: number): string | undefined {
  const dests = vs.spec.http?.[routeIndex]?.route ?? [];
  const live = dests.length === 1 ? dests : dests.filter((d) => (d.weight ?? 0) > 0);
  return live.length === 1 ? live[0]!.destination?.subset : undefined;
}

/** Remembers the stable subset the first time a gray change starts from a single-subset route. */
export function rememberStable(before: VirtualService, after: VirtualService, routeIndex: number): VirtualService {
  return rememberStableSubset(after, soleSubset(before, routeIndex));
}

/** Records `stable` as the release's stable subset unless one is recorded already. */
export function rememberStableSubset<T extends KubeObject>(after: T, stable: string | undefined): T {
  if (after.metadata.annotations?.[STABLE_ANNOTATION]) return after;
  if (!stable) return after;
  const next = clone(after);
  next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [STABLE_ANNOTATION]: stable };
  return next;
}
