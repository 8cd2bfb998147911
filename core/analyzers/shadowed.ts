// Two VirtualServices bound to the mesh for the same host (IST0109). Istio's sidecars take one of them, the
// oldest, and ignore the other: a set-weight on the ignored one changes nothing.
import { resolveHost } from '../hosts.js';
import { virtualServicesByHost } from '../indexes.js';
import { type VirtualService, describeObject, namespaceOf, objectKey } from '../model.js';
import { type Finding, finding } from '../rules.js';
import { isMeshBound } from './inventory.js';

/** The namespaces a VirtualService is visible in: "*" for all (no exportTo, or one with "*"). */
function scopesOf(vs: VirtualService): string[] {
  const exportTo = (vs.spec as { exportTo?: unknown }).exportTo;
  if (!Array.isArray(exportTo) || exportTo.length === 0 || exportTo.includes('*')) return ['*'];
  return exportTo.map((e) => (e === '.' ? namespaceOf(vs) : String(e)));
}

const overlap = (a: string[], b: string[]) => a.includes('*') || b.includes('*') || a.some((s) => b.includes(s));

/** When an object was created; one not created yet (in a file, or under review) is the newest. */
const createdAt = (vs: VirtualService) => Date.parse(String(vs.metadata['creationTimestamp'] ?? '')) || Number.MAX_SAFE_INTEGER;

/** Istio's order of precedence among configurations: the oldest first, then by namespace and name. */
function precedence(a: VirtualService, b: VirtualService): number {
  return createdAt(a) - createdAt(b) || objectKey(a).localeCompare(objectKey(b));
}

export interface MeshConflict {
  host: string;
  /** Every mesh VirtualService for the host, the one Istio uses first. */
  virtualServices: VirtualService[];
}

/** The hosts (FQDN) that more than one mesh-bound VirtualService defines, seen from overlapping namespaces. */
export function meshConflicts(virtualServices: readonly VirtualService[]): MeshConflict[] {
  const byHost = new Map<string, VirtualService[]>();
  for (const vs of virtualServices) {
    if (!isMeshBound(vs)) continue;
    const hosts = Array.isArray(vs.spec?.hosts) ? vs.spec.hosts : [];
    for (const host of new Set(hosts.map((h) => resolveHost(String(h), namespaceOf(vs))))) {
      const list = byHost.get(host);
      if (list) list.push(vs); else byHost.set(host, [vs]);
    }
  }
  const out: MeshConflict[] = [];
  for (const [host, list] of byHost) {
    const conflicting = list.filter((vs) => list.some((other) => other !== vs && overlap(scopesOf(vs), scopesOf(other))));
    if (conflicting.length > 1) out.push({ host, virtualServices: [...conflicting].sort(precedence) });
  }
  return out;
}

/** The other VirtualServices that define one of this one's hosts (through the index: not a walk of them all). */
export function sameHostNeighbours(vs: VirtualService, virtualServices: readonly VirtualService[]): VirtualService[] {
  const byHost = virtualServicesByHost(virtualServices);
  const key = objectKey(vs);
  const near = new Set<VirtualService>();
  for (const h of Array.isArray(vs.spec?.hosts) ? vs.spec.hosts : []) {
    for (const v of byHost.get(resolveHost(String(h), namespaceOf(vs))) ?? []) if (objectKey(v) !== key) near.add(v);
  }
  return [...near];
}

/** The VirtualService Istio uses instead of this one for one of its hosts, if another shadows it. */
export function shadowingOf(vs: VirtualService, virtualServices: readonly VirtualService[]): { host: string; by: VirtualService } | undefined {
  for (const c of meshConflicts([...sameHostNeighbours(vs, virtualServices), vs])) {
    const [first] = c.virtualServices;
    if (first && first !== vs && c.virtualServices.some((v) => objectKey(v) === objectKey(vs))) return { host: c.host, by: first };
  }
  return undefined;
}

export function checkShadowed(virtualServices: readonly VirtualService[]): Array<{ object: VirtualService; finding: Finding }> {
  const out: Array<{ object: VirtualService; finding: Finding }> = [];
  for (const { host, virtualServices: list } of meshConflicts(virtualServices)) {
    const names = list.map(objectKey).join(', ');
    for (const vs of list) {
      const i = (vs.spec.hosts ?? []).findIndex((h) => resolveHost(String(h), namespaceOf(vs)) === host);
      const used = list[0] === vs;
      out.push({ object: vs, finding: finding('virtualservice-shadowed', describeObject(vs), `spec.hosts[${Math.max(i, 0)}]`,
        `the mesh VirtualServices ${names} all define host ${host}; Istio uses one (${objectKey(list[0]!)}, the oldest) and ignores the others${used ? '' : ', so changes to this one do nothing'}`,
        'merge them into one VirtualService per host (or bind all but one to a gateway only)') });
    }
  }
  return out;
}
