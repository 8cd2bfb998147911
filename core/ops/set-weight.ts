import { IntentError } from '../errors.js';
import { type RouteDestination, type VirtualService, clone, describeObject } from '../model.js';
import { type WeightIntent, apportion } from '../weights.js';

export interface SetWeightOptions {
  /** Keep destinations whose share became 0 instead of dropping them from the route. */
  keepZero?: boolean;
}

/**
 * The named subsets get exactly their percents; what is left goes to the route's other destinations
 * in proportion to their current weights. Returns a new object; the input is not touched.
 */
export function setWeight(
  vs: VirtualService,
  routeIndex: number,
  intents: readonly WeightIntent[],
  options: SetWeightOptions = {},
): VirtualService {
  const next = clone(vs);
  const route = next.spec.http?.[routeIndex];
  if (!route) throw new IntentError(`${describeObject(vs)} has no spec.http[${routeIndex}]`);
  const current: RouteDestination[] = Array.isArray(route.route) ? route.route : [];
  const host = routeHost(vs, routeIndex);

  const named = new Map(intents.map((w) => [w.subset, w.percent]));
  const others = current.filter((d) => !d.destination?.subset || !named.has(d.destination.subset));
  const remainder = 100 - intents.reduce((a, w) => a + w.percent, 0);
  if (others.length === 0 && remainder > 0) {
    throw new IntentError(
      `${intents.map((w) => `${w.subset}=${w.percent}`).join(' ')} leaves ${remainder}% with nowhere to go: ` +
      `${describeObject(vs)} spec.http[${routeIndex}] has no other destination. Name the subset that takes the rest, e.g. ` +
      `${intents[0]!.subset}=${intents[0]!.percent} <other>=${remainder}`);
  }
  // A lone destination with no weight takes all traffic: read it as 100.
  const shareOf = (d: RouteDestination) => (typeof d.weight === 'number' ? d.weight : current.length === 1 ? 100 : 0);
  const otherWeights = apportion(remainder, others.map(shareOf));

  const result: RouteDestination[] = [];
  for (const d of current) {
    const subset = d.destination?.subset;
    const weight = subset && named.has(subset) ? named.get(subset)! : otherWeights[others.indexOf(d)]!;
    result.push({ ...d, weight });
  }
  for (const w of intents) {
    if (!current.some((d) => d.destination?.subset === w.subset)) {
      result.push({ destination: { host, subset: w.subset }, weight: w.percent });
    }
  }
  route.route = options.keepZero ? result : result.filter((d) => d.weight !== 0);
  if (route.route.length === 0) throw new IntentError('every destination would get 0%; give one subset a positive percent');
  return next;
}

/** The host new destinations of a route get: the route's own, else the VirtualService's first. */
function routeHost(vs: VirtualService, routeIndex: number): string {
  const route = vs.spec.http?.[routeIndex];
  const host = route?.route?.find((d) => d?.destination?.host)?.destination.host ?? vs.spec.hosts?.[0];
  if (!host) throw new IntentError(`${describeObject(vs)} spec.http[${routeIndex}] has no destination host to reuse and spec.hosts is empty`);
  return host;
}
