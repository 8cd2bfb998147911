// Istio's own checks of an EnvoyFilter beyond the schema: every patch needs applyTo, a patch with an operation
// and (unless it removes) a value, and a match of the class applyTo names. istiod also decodes patch values into
// Envoy's xDS types; we do not carry Envoy's protos, so a wrong field inside a patch value is not caught here.
import type { KubeObject } from '../model.js';
import type { Finding } from '../rules.js';
import { type Obj, Report, checkLabels, isObj, list, str } from './common.js';
import { re2Problem } from '../re2.js';

const LISTENER_CLASS = new Set(['LISTENER', 'FILTER_CHAIN', 'NETWORK_FILTER', 'HTTP_FILTER']);
const ROUTE_CLASS = new Set(['ROUTE_CONFIGURATION', 'VIRTUAL_HOST', 'HTTP_ROUTE']);
const HCM = new Set(['envoy.filters.network.http_connection_manager', 'envoy.http_connection_manager']);

export function checkIstioEnvoyFilter(ef: KubeObject): Finding[] {
  const r = new Report(ef);
  const spec: Obj = isObj(ef['spec']) ? ef['spec'] as Obj : {};
  const selector = spec['workloadSelector'];
  if (isObj(selector)) {
    checkLabels(r, selector['labels'], 'spec.workloadSelector.labels');
    if (!isObj(selector['labels']) || Object.keys(selector['labels']).length === 0) {
      r.add('istio-warning', 'spec.workloadSelector', 'a workloadSelector without labels applies to every workload in the namespace', 'add labels, or remove workloadSelector');
    }
  }
  list(spec['configPatches']).forEach((cp, i) => {
    const f = `spec.configPatches[${i}]`;
    if (!isObj(cp)) return r.add('envoyfilter-invalid', f, 'null config patch', 'remove the empty entry');
    const match = isObj(cp['match']) ? cp['match'] as Obj : undefined;
    if (match?.['context'] === 'WAYPOINT') return undefined;
    const applyTo = str(cp['applyTo']);
    if (!applyTo || applyTo === 'INVALID') return r.add('envoyfilter-invalid', `${f}.applyTo`, 'missing applyTo', 'say what the patch applies to, e.g. HTTP_FILTER');
    const patch = cp['patch'];
    if (!isObj(patch)) return r.add('envoyfilter-invalid', `${f}.patch`, 'missing patch', 'add patch: {operation: ..., value: ...}');
    const op = str(patch['operation']);
    if (!op || op === 'INVALID') return r.add('envoyfilter-invalid', `${f}.patch.operation`, 'missing patch operation', 'set operation, e.g. INSERT_BEFORE, MERGE, REMOVE');
    if (op !== 'REMOVE' && patch['value'] === undefined) return r.add('envoyfilter-invalid', `${f}.patch.value`, `a ${op} patch needs a value`, 'add value: with the Envoy config to apply');
    const proxyVersion = match && isObj(match['proxy']) ? str(match['proxy']['proxyVersion']) : '';
    if (proxyVersion) {
      if (proxyVersion.length > 1024) r.add('istio-warning', `${f}.match.proxy.proxyVersion`, 'proxyVersion is over 1024 characters and is ignored', 'shorten it');
      else {
        const p = re2Problem(proxyVersion);
        if (p) return r.add('envoyfilter-invalid', `${f}.match.proxy.proxyVersion`, `invalid regex for proxy version: ${p}`, 'write an RE2 pattern such as ^1\\.2[0-9].*');
      }
    }
    const typed = match && (isObj(match['listener']) || isObj(match['routeConfiguration']) || isObj(match['cluster']));
    if (LISTENER_CLASS.has(applyTo) && typed) {
      const listener = match!['listener'];
      if (!isObj(listener)) return r.add('envoyfilter-invalid', `${f}.match`, `applyTo ${applyTo} needs a listener match`, 'use match.listener');
      const filter = isObj(listener['filterChain']) && isObj((listener['filterChain'] as Obj)['filter']) ? (listener['filterChain'] as Obj)['filter'] as Obj : undefined;
      if (filter) {
        const ff = `${f}.match.listener.filterChain.filter`;
        if (applyTo === 'LISTENER' || applyTo === 'FILTER_CHAIN') r.add('istio-warning', ff, `a filter match has no effect with applyTo ${applyTo}`, 'remove the filter match');
        const name = str(filter['name']);
        if (!name) return r.add('envoyfilter-invalid', `${ff}.name`, 'the filter match has no name to match on', 'name the filter, e.g. envoy.filters.network.http_connection_manager');
        if (isObj(filter['subFilter'])) {
          if (applyTo !== 'HTTP_FILTER') return r.add('envoyfilter-invalid', `${ff}.subFilter`, 'a subFilter match works only with applyTo HTTP_FILTER', 'use applyTo HTTP_FILTER or drop subFilter');
          if (!HCM.has(name)) return r.add('envoyfilter-invalid', `${ff}.name`, 'a subFilter match needs the filter match to be envoy.filters.network.http_connection_manager', 'match that filter');
          if (!str(filter['subFilter']['name'])) return r.add('envoyfilter-invalid', `${ff}.subFilter.name`, 'the subFilter match has no name to match on', 'name the HTTP filter, e.g. envoy.filters.http.router');
        }
      }
    } else if (ROUTE_CLASS.has(applyTo) && typed && !isObj(match!['routeConfiguration'])) {
      r.add('envoyfilter-invalid', `${f}.match`, `applyTo ${applyTo} needs a routeConfiguration match`, 'use match.routeConfiguration');
    } else if (applyTo === 'CLUSTER' && typed && !isObj(match!['cluster'])) {
      r.add('envoyfilter-invalid', `${f}.match`, 'applyTo CLUSTER needs a cluster match', 'use match.cluster');
    }
    return undefined;
  });
  return r.findings;
}
