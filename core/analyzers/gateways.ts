// A VirtualService bound to a Gateway: the Gateway must exist (IST0101) and one of its servers must serve each of
// the VirtualService's hosts (IST0132), or the route is never used for that host. Runs only when some Gateway is
// given: a Gateway kept in another repository is not missing.
import { hostMatches, resolveHost } from '../hosts.js';
import { type KubeObject, type VirtualService, describeObject, namespaceOf } from '../model.js';
import { type Finding, finding } from '../rules.js';
import { type Inventory, gatewaysOf } from './inventory.js';

/** "ns/name" or "name" (the VirtualService's namespace) as namespace and name. */
function gatewayRef(ref: string, vsNamespace: string): { namespace: string; name: string } {
  const slash = ref.indexOf('/');
  return slash < 0 ? { namespace: vsNamespace, name: ref } : { namespace: ref.slice(0, slash), name: ref.slice(slash + 1) };
}

/** Whether a server's "ns/host" entry serves a host of a VirtualService in `vsNamespace`. */
function serves(entry: string, host: string, vsNamespace: string, gatewayNamespace: string): boolean {
  const slash = entry.indexOf('/');
  const ns = slash < 0 ? '*' : entry.slice(0, slash);
  const pattern = slash < 0 ? entry : entry.slice(slash + 1);
  const nsOk = ns === '*' || (ns === '.' ? vsNamespace === gatewayNamespace : ns === vsNamespace);
  return nsOk && (hostMatches(pattern, host) || hostMatches(host, pattern));
}

export function checkGateways(inv: Inventory): Array<{ object: VirtualService; finding: Finding }> {
  if (!inv.complete && inv.gateways.length === 0) return [];
  const byKey = new Map<string, KubeObject>(inv.gateways.map((g) => [`${namespaceOf(g)}/${g.metadata.name}`, g]));
  const out: Array<{ object: VirtualService; finding: Finding }> = [];
  for (const vs of inv.virtualServices) {
    const ns = namespaceOf(vs);
    gatewaysOf(vs).forEach((ref, i) => {
      if (ref === 'mesh') return;
      const { namespace, name } = gatewayRef(ref, ns);
      const gateway = byKey.get(`${namespace}/${name}`);
      const field = (vs.spec as { gateways?: unknown }).gateways ? `spec.gateways[${i}]` : 'spec';
      if (!gateway) {
        out.push({ object: vs, finding: finding('gateway-unknown', describeObject(vs), field, `Gateway ${namespace}/${name} does not exist`,
          `create it, or name an existing Gateway (as namespace/name when it is in another namespace than ${ns})`) });
        return;
      }
      const servers = ((gateway['spec'] as { servers?: Array<{ hosts?: unknown[] }> } | undefined)?.servers ?? []);
      const entries = servers.flatMap((s) => (Array.isArray(s?.hosts) ? s.hosts.map(String) : []));
      const unserved = (vs.spec.hosts ?? []).map((h) => resolveHost(String(h), ns)).filter((h) => !entries.some((e) => serves(e, h, ns, namespace)));
      if (unserved.length > 0) {
        out.push({ object: vs, finding: finding('gateway-host-unserved', describeObject(vs), field,
          `no server of Gateway ${namespace}/${name} serves ${unserved.join(', ')}: the route is not used for ${unserved.length > 1 ? 'them' : 'it'} at that gateway`,
          `add the host to a server's hosts of ${namespace}/${name} (as ${ns}/HOST or */HOST), or remove it from the VirtualService`) });
      }
    });
  }
  return out;
}
