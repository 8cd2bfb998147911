// Trusted time for "minimum time between two weight changes": a timestamp the client writes cannot be trusted, so
// the webhook's mutating entry stamps the time of each weight change on the VirtualService itself (annotation
// kubectl-gray.io/weights-changed-at), and keeps every other write from moving the stamp. The plugin stamps its own
// writes the same way (the webhook then stamps them again with its clock). Pure.
import { type VirtualService, jsonEqual } from './model.js';
import { effectiveShares } from './weights.js';

export const WEIGHTS_CHANGED_ANNOTATION = 'kubectl-gray.io/weights-changed-at';

/** How far a stamp on a weight change may be from the judging clock (the plugin's, then the webhook's). */
export const STAMP_TOLERANCE_MS = 60_000;

/** What traffic a VirtualService sends where: each HTTP route's match and each destination's share. */
function traffic(vs: VirtualService | null | undefined): unknown {
  return (vs?.spec?.http ?? []).map((r) => {
    const dests = Array.isArray(r?.route) ? r.route : [];
    const shares = effectiveShares(dests.map((d) => d?.weight));
    return { match: r?.match ?? null, to: dests.map((d, i) => [d?.destination?.host ?? '', d?.destination?.subset ?? '', shares[i]]) };
  });
}

/** Whether an update (or a create: no `before`) changes where the traffic goes. */
export function weightsChanged(before: VirtualService | null | undefined, after: VirtualService): boolean {
  return !before || !jsonEqual(traffic(before), traffic(after));
}

/** The stamp a write should carry: now for a weight change, else the one it had (none if it had none). */
export function stampFor(before: VirtualService | null | undefined, after: VirtualService, now: Date): string | undefined {
  return weightsChanged(before, after) ? now.toISOString() : before?.metadata?.annotations?.[WEIGHTS_CHANGED_ANNOTATION];
}

/** `after` with the stamp it should carry (the same object when it carries it already). */
export function stampWeights(before: VirtualService | null | undefined, after: VirtualService, now: Date): VirtualService {
  const stamp = stampFor(before, after, now);
  const annotations = { ...(after.metadata.annotations ?? {}) };
  if (annotations[WEIGHTS_CHANGED_ANNOTATION] === stamp) return after;
  if (stamp === undefined) delete annotations[WEIGHTS_CHANGED_ANNOTATION];
  else annotations[WEIGHTS_CHANGED_ANNOTATION] = stamp;
  return { ...after, metadata: { ...after.metadata, annotations } };
}

/** Why an update's stamp is not one this clock would have written, if it is not. */
export function stampProblem(before: VirtualService, after: VirtualService, now: Date): string | undefined {
  const written = after.metadata?.annotations?.[WEIGHTS_CHANGED_ANNOTATION];
  if (!weightsChanged(before, after)) {
    const had = before.metadata?.annotations?.[WEIGHTS_CHANGED_ANNOTATION];
    return written === had ? undefined : `the weights did not change, but ${WEIGHTS_CHANGED_ANNOTATION} did (${had ?? 'none'} -> ${written ?? 'none'})`;
  }
  const at = written === undefined ? NaN : Date.parse(written);
  if (Number.isNaN(at)) return `the weights changed and ${WEIGHTS_CHANGED_ANNOTATION} is ${written === undefined ? 'missing' : `"${written}", not a time`}`;
  return Math.abs(at - now.getTime()) > STAMP_TOLERANCE_MS ? `the weights changed and ${WEIGHTS_CHANGED_ANNOTATION} says ${written}, not now (${now.toISOString()})` : undefined;
}

/** When the weights last changed, by the stamp; undefined when never stamped. */
export function lastWeightChange(vs: VirtualService | null | undefined): Date | undefined {
  const raw = vs?.metadata?.annotations?.[WEIGHTS_CHANGED_ANNOTATION];
  const at = raw === undefined ? NaN : Date.parse(raw);
  return Number.isNaN(at) ? undefined : new Date(at);
}
