// Where a route sends traffic must exist (IST0101, IST0112): a Service or ServiceEntry for the host, visible from
// the VirtualService's namespace, with the port the route names, or a port named when the service has several.
// Runs only on the live cluster (as istioctl analyze, which makes these checks only there): files rarely hold
// every Service a route may reach.
import { hostMatches, resolveHost } from '../hosts.js';
import { destinationsOf } from '../destinations.js';
import { type KubeObject, type VirtualService, describeObject, namespaceOf } from '../model.js';
import { type Finding, finding } from '../rules.js';
import type { Inventory } from './inventory.js';

interface KnownHost {
  /** FQDN, or a wildcard ("*.example.com") of a ServiceEntry. */
  host: string;
  ports: number[];
  /** Namespaces that see it: "*" for all. */
  visibleIn: string[];
  source: KubeObject;
}

function exportScopes(values: unknown, ownNamespace: string): string[] {
  const list = Array.isArray(values) ? values.map(String) : typeof values === 'string' ? values.split(',').map((v) => v.trim()).filter(Boolean) : [];
  if (list.length === 0 || list.includes('*')) return ['*'];
  return list.map((e) => (e === '.' ? ownNamespace : e));
}

function knownHosts(inv: Inventory): KnownHost[] {
  const out: KnownHost[] = [];
  for (const svc of inv.services) {
    const ns = namespaceOf(svc);
    const ports = ((svc['spec'] as { ports?: Array<{ port?: number }> } | undefined)?.ports ?? []).map((p) => Number(p.port));
    // Istio reads a Service's visibility from this annotation.
    const visibleIn = exportScopes(svc.metadata.annotations?.['networking.istio.io/exportTo'], ns);
    out.push({ host: `${svc.metadata.name}.${ns}.svc.cluster.local`, ports, visibleIn, source: svc });
  }
  for (const se of inv.serviceEntries) {
    const spec = (se['spec'] ?? {}) as { hosts?: unknown[]; ports?: Array<{ number?: number }>; exportTo?: unknown };
    const ports = (spec.ports ?? []).map((p) => Number(p.number));
    const visibleIn = exportScopes(spec.exportTo, namespaceOf(se));
    for (const host of spec.hosts ?? []) out.push({ host: String(host), ports, visibleIn, source: se });
  }
  return out;
}

export function checkDestinationHosts(inv: Inventory): Array<{ object: VirtualService; finding: Finding }> {
  if (!inv.complete) return [];
  const known = knownHosts(inv);
  const out: Array<{ object: VirtualService; finding: Finding }> = [];
  for (const vs of inv.virtualServices) {
    const ns = namespaceOf(vs);
    for (const ref of destinationsOf(vs)) {
      const d = ref.destination;
      if (typeof d.host !== 'string' || d.host.includes('*')) continue;
      const host = resolveHost(d.host, ns);
      const matching = known.filter((k) => hostMatches(k.host, host));
      const visible = matching.find((k) => k.visibleIn.includes('*') || k.visibleIn.includes(ns));
      const report = (rule: Parameters<typeof finding>[0], field: string, problem: string, fix: string) =>
        out.push({ object: vs, finding: finding(rule, describeObject(vs), field, problem, fix) });
      if (!visible) {
        if (matching.length > 0) {
          report('destination-host-unknown', `${ref.field}.host`, `host ${host} is defined by ${describeObject(matching[0]!.source)} but not exported to namespace ${ns}`,
            `add ${ns} to its exportTo (networking.istio.io/exportTo on a Service), or route from a namespace it is exported to`);
        } else {
          report('destination-host-unknown', `${ref.field}.host`, `no Service or ServiceEntry defines host ${host}`,
            'create the Service (or ServiceEntry) first, or correct the host');
        }
        continue;
      }
      const port = typeof d.port?.number === 'number' ? d.port.number : undefined;
      if (port !== undefined && visible.ports.length > 0 && !visible.ports.includes(port)) {
        report('destination-port-unknown', `${ref.field}.port.number`, `${describeObject(visible.source)} has no port ${port} (it has ${visible.ports.join(', ')})`,
          `use one of its ports: ${visible.ports.join(', ')}`);
      } else if (port === undefined && visible.ports.length > 1) {
        report('destination-port-required', `${ref.field}.port`, `${describeObject(visible.source)} has several ports (${visible.ports.join(', ')}) and the destination names none`,
          `name the port: port: {number: ${visible.ports[0]}}`);
      }
    }
  }
  return out;
}
