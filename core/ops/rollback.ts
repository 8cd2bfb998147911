import { IntentError } from '../errors.js';
import { STABLE_ANNOTATION } from '../history.js';
import { type VirtualService, clone, describeObject } from '../model.js';
import { selectRoute } from '../target.js';
import { OWNED_ROUTE_PREFIX } from './match.js';
import { clearMirror } from './mirror.js';
import { switchTo } from './switch.js';

/**
 * Ends a gray release: drops the match routes kubectl-gray added, the catch-all's mirror, and sends
 * 100% to the stable subset (recorded when the release started, or given). Routes the tool did not
 * add are left as they are.
 */
export function rollback(vs: VirtualService, to?: string): { vs: VirtualService; stable: string } {
  const stable = to ?? vs.metadata.annotations?.[STABLE_ANNOTATION];
  if (!stable) {
    throw new IntentError(`${describeObject(vs)} has no recorded stable subset (annotation ${STABLE_ANNOTATION}); name it with --to SUBSET`);
  }
  let next = clone(vs);
  next.spec.http = (next.spec.http ?? []).filter((r) => !(r.name ?? '').startsWith(OWNED_ROUTE_PREFIX));
  const catchAll = selectRoute(next);
  next = switchTo(clearMirror(next, catchAll), catchAll, stable);
  if (next.metadata.annotations) {
    delete next.metadata.annotations[STABLE_ANNOTATION];
  }
  return { vs: next, stable };
}
