// What the Gateway API's reviews are judged against, read from the API server when asked (webhook/server.ts):
// the Services of a namespace, and its HTTPRoutes and GRPCRoutes (none where the Gateway API is not installed, or
// where this webhook may not list them).
import { GATEWAY_API_VERSION, GATEWAY_ROUTE_RESOURCES, type GatewayRoute } from '../core/gateway-api/model.js';
import type { KubeObject } from '../core/model.js';
import { ApiError } from '../kube/errors.js';
import { type KubeRest, listAllPages } from '../kube/rest.js';
import type { GatewayReads } from './server.js';

/** How long "the Gateway API is not served here" is believed before asking again (its CRDs may be installed). */
const NOT_SERVED_MS = 60_000;

export function liveGatewayReads(rest: Pick<KubeRest, 'request'>, log?: { warn(o: object, m: string): void }, now = () => Date.now()): GatewayReads {
  const ns = (namespace: string) => `namespaces/${encodeURIComponent(namespace)}`;
  // Every VirtualService created asks for the routes of its hosts' namespaces: where the Gateway API is not
  // installed, one 404 a minute says so rather than one per review.
  let notServedUntil = 0;
  return {
    services: async (namespace) => (await listAllPages<KubeObject>(rest, `/api/v1/${ns(namespace)}/services`)).items
      .map((s) => ({ ...s, apiVersion: 'v1', kind: 'Service' })),
    routes: async (namespace) => (now() < notServedUntil ? [] : await Promise.all(Object.entries(GATEWAY_ROUTE_RESOURCES).map(async ([kind, resource]) => {
      try {
        return (await listAllPages<GatewayRoute>(rest, `/apis/${GATEWAY_API_VERSION}/${ns(namespace)}/${resource}`)).items
          .map((r) => ({ ...r, apiVersion: GATEWAY_API_VERSION, kind: kind as GatewayRoute['kind'] }));
      } catch (err) {
        // Not served (no Gateway API CRDs): no route can send to the Service.
        if (err instanceof ApiError && err.isNotFound && !err.details) {
          notServedUntil = now() + NOT_SERVED_MS;
          return [];
        }
        // Not allowed to read them (RBAC of an install without the Gateway API): the VirtualService-side check
        // cannot be made, and is not allowed to block every VirtualService for it. Said, once a minute.
        if (err instanceof ApiError && err.status === 403) {
          if (now() >= notServedUntil) log?.warn({ err: err.message }, 'cannot list Gateway API routes; VirtualServices are not checked against them (grant list on httproutes and grpcroutes)');
          notServedUntil = now() + NOT_SERVED_MS;
          return [];
        }
        throw err;
      }
    }))).flat(),
  };
}
