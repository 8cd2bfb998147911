// Walking a VirtualService: its routes of every kind, and every destination and mirror they name.
import type { Destination, HTTPRoute, RouteDestination, VirtualService } from './model.js';

export const ROUTE_KINDS = ['http', 'tcp', 'tls'] as const;
export type RouteKind = (typeof ROUTE_KINDS)[number];

export interface RouteRef {
  kind: RouteKind;
  index: number;
  route: { route?: RouteDestination[]; [k: string]: unknown };
}

export function routesOf(vs: VirtualService): RouteRef[] {
  const out: RouteRef[] = [];
  for (const kind of ROUTE_KINDS) {
    const list = vs.spec?.[kind];
    if (!Array.isArray(list)) continue;
    for (let index = 0; index < list.length; index++) out.push({ kind, index, route: list[index] as RouteRef['route'] });
  }
  return out;
}

/**
 * One destination or mirror of a VirtualService, and the field that names it. Every review walks every
 * destination, and few of them end up in a finding: the field's name is written out only when asked for.
 */
export class DestinationRef {
  constructor(
    readonly destination: Destination,
    private readonly kind: RouteKind,
    private readonly index: number,
    private readonly slot: DestinationSlot,
    private readonly position: number,
  ) {}

  get field(): string {
    return destinationField(this.kind, this.index, this.slot, this.position);
  }
}

/** Where a route names a destination: its route entries, its mirror or its mirrors. */
export type DestinationSlot = 'route' | 'mirror' | 'mirrors';

/** The field of the destination at `position` in `slot` of route `index` of kind `kind`. */
export function destinationField(kind: RouteKind, index: number, slot: DestinationSlot, position: number): string {
  if (slot === 'mirror') return `spec.http[${index}].mirror`;
  return `spec.${kind}[${index}].${slot}[${position}].destination`;
}

/**
 * Calls `visit` for each destination one route names, in order: its route entries, then (an http route) its
 * mirror and its mirrors, each with the slot and position that name its field.
 */
export function visitDestinations(
  route: RouteRef['route'] | null | undefined, kind: RouteKind, visit: (d: Destination, slot: DestinationSlot, position: number) => void,
): void {
  if (!route || typeof route !== 'object') return;
  const dests = route.route;
  if (Array.isArray(dests)) {
    for (let i = 0; i < dests.length; i++) {
      const d = dests[i]?.destination;
      if (d) visit(d, 'route', i);
    }
  }
  if (kind !== 'http') return;
  const http = route as HTTPRoute;
  if (http.mirror) visit(http.mirror, 'mirror', 0);
  if (Array.isArray(http.mirrors)) {
    for (let i = 0; i < http.mirrors.length; i++) {
      const d = (http.mirrors[i] as { destination?: Destination } | undefined)?.destination;
      if (d) visit(d, 'mirrors', i);
    }
  }
}

/** Every destination and mirror of a VirtualService with the field that names it. */
export function destinationsOf(vs: VirtualService): DestinationRef[] {
  const out: DestinationRef[] = [];
  for (const { kind, index, route } of routesOf(vs)) {
    visitDestinations(route, kind, (d, slot, position) => out.push(new DestinationRef(d, kind, index, slot, position)));
  }
  return out;
}
