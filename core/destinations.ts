// Walking a VirtualService: its routes of every kind, and every destination and mirror they name.
import type { Destination, HTTPRoute, RouteDestination, VirtualService } from './model.js';

export interface RouteRef {
  kind: 'http' | 'tcp' | 'tls';
  index: number;
  route: { route?: RouteDestination[]; [k: string]: unknown };
}

export function routesOf(vs: VirtualService): RouteRef[] {
  const out: RouteRef[] = [];
  for (const kind of ['http', 'tcp', 'tls'] as const) {
    const list = vs.spec?.[kind];
    if (Array.isArray(list)) list.forEach((route, index) => out.push({ kind, index, route: route as RouteRef['route'] }));
  }
  return out;
}

/** Every destination and mirror of a VirtualService with the field that names it. */
export function destinationsOf(vs: VirtualService): Array<{ field: string; destination: Destination }> {
  const out: Array<{ field: string; destination: Destination }> = [];
  for (const { kind, index, route } of routesOf(vs)) {
    (route.route ?? []).forEach((d, i) => {
      if (d?.destination) out.push({ field: `spec.${kind}[${index}].route[${i}].destination`, destination: d.destination });
    });
    if (kind === 'http') {
      const http = route as HTTPRoute;
      if (http.mirror) out.push({ field: `spec.http[${index}].mirror`, destination: http.mirror });
      (Array.isArray(http.mirrors) ? http.mirrors : []).forEach((m, i) => {
        const d = (m as { destination?: Destination })?.destination;
        if (d) out.push({ field: `spec.http[${index}].mirrors[${i}].destination`, destination: d });
      });
    }
  }
  return out;
}

