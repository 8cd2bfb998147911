// A large mesh for the caches: 500 namespaces x 10 services, each with a VirtualService and a
// DestinationRule (5,000 of each). Namespace shop-0 holds Bookinfo's reviews, which the recorded
// reviews in bench/reviews/ were captured against.
import type { DestinationRule, VirtualService } from '../../core/model.js';

export const NAMESPACES = 500;
export const SERVICES = ['reviews', 'ratings', 'details', 'productpage', 'cart', 'checkout', 'search', 'users', 'orders', 'payments'];

export function world(): { virtualServices: VirtualService[]; destinationRules: DestinationRule[] } {
  const virtualServices: VirtualService[] = [];
  const destinationRules: DestinationRule[] = [];
  for (let n = 0; n < NAMESPACES; n++) {
    const namespace = `shop-${n}`;
    for (const svc of SERVICES) {
      destinationRules.push({
        apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule',
        metadata: { name: svc, namespace, resourceVersion: String(n) },
        spec: { host: svc, subsets: ['v1', 'v2', 'v3'].map((v) => ({ name: v, labels: { version: v } })) },
      });
      virtualServices.push({
        apiVersion: 'networking.istio.io/v1', kind: 'VirtualService',
        metadata: { name: svc, namespace, resourceVersion: String(n), annotations: { owner: `team-${svc}` } },
        spec: {
          hosts: [svc],
          http: [
            { name: 'qa', match: [{ headers: { 'x-team': { prefix: 'qa' } } }], route: [{ destination: { host: svc, subset: 'v3' } }] },
            { route: [{ destination: { host: svc, subset: 'v1' }, weight: 90 }, { destination: { host: svc, subset: 'v2' }, weight: 10 }], retries: { attempts: 3 } },
          ],
        },
      });
    }
  }
  return { virtualServices, destinationRules };
}
