import { IntentError } from '../errors.js';
import { type VirtualService, clone, describeObject } from '../model.js';
import { routeHost } from '../target.js';

export function parseMirrorPercent(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const value = typeof raw === 'number' ? raw : Number(String(raw));
  if (!Number.isFinite(value) || value < 0 || value > 100) {
    throw new IntentError(`--percent "${String(raw)}": must be a number between 0 and 100 (decimals allowed)`);
  }
  return value;
}

/** Shadows a share of the route's traffic to a subset; the mirror's answers are discarded by Envoy. */
export function setMirror(vs: VirtualService, routeIndex: number, subset: string, percent?: number): VirtualService {
  const next = clone(vs);
  const route = next.spec.http?.[routeIndex];
  if (!route) throw new IntentError(`${describeObject(vs)} has no spec.http[${routeIndex}]`);
  if (Array.isArray(route.mirrors) && route.mirrors.length > 0) {
    throw new IntentError(`${describeObject(vs)} spec.http[${routeIndex}] uses mirrors[] (several mirrors); edit it by hand or remove mirrors first`);
  }
  if ((route.route ?? []).length === 1 && route.route?.[0]?.destination?.subset === subset) {
    throw new IntentError(`${describeObject(vs)} spec.http[${routeIndex}] already sends all traffic to ${subset}; mirror to another subset`);
  }
  route.mirror = { host: routeHost(vs, routeIndex), subset };
  route.mirrorPercentage = { value: percent ?? 100 };
  delete route['mirror_percent'];
  return next;
}

export function clearMirror(vs: VirtualService, routeIndex: number): VirtualService {
  const next = clone(vs);
  const route = next.spec.http?.[routeIndex];
  if (!route) throw new IntentError(`${describeObject(vs)} has no spec.http[${routeIndex}]`);
  delete route.mirror;
  delete route.mirrorPercentage;
  delete route['mirror_percent'];
  return next;
}
