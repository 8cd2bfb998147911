// The stale-cache gap: the caches see a VirtualService a few milliseconds after the API server stored
// it, so a subset removal or a DestinationRule delete judged from the caches alone could be allowed while
// a route created just before it uses that subset. Those operations take something away and are rare;
// before allowing one, the webhook confirms against a fresh list of VirtualServices from the API server.
import { CLEANUP_CONTROLLERS } from '../core/admission.js';
import type { DestinationRule } from '../core/model.js';
import type { AdmissionRequest } from './admission/review.js';

const subsetNames = (d: DestinationRule | null | undefined) => new Set((d?.spec?.subsets ?? []).map((s) => s?.name));

/** Whether allowing this request depends on no VirtualService using something it takes away. */
export function takesSubsetsAway(req: AdmissionRequest): boolean {
  if (req.kind?.group !== 'networking.istio.io' || req.kind.kind !== 'DestinationRule') return false;
  const previous = req.oldObject as DestinationRule | null | undefined;
  // The cluster's own clean-up is never refused (core/admission.ts): nothing to confirm, and no API call to fail.
  if (req.operation === 'DELETE') return !CLEANUP_CONTROLLERS.has(req.userInfo?.username ?? ''); // the old object may be missing: confirm anyway
  if (req.operation !== 'UPDATE' || !previous) return false;
  const next = req.object as DestinationRule | null | undefined;
  if (previous.spec?.host !== next?.spec?.host) return true;
  if (JSON.stringify(previous.spec?.exportTo ?? null) !== JSON.stringify(next?.spec?.exportTo ?? null)) return true;
  const kept = subsetNames(next);
  return [...subsetNames(previous)].some((name) => !kept.has(name));
}
