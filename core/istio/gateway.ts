// Istio's own checks of a Gateway beyond the schema: servers, ports, hosts and TLS settings.
import type { KubeObject } from '../model.js';
import type { Finding } from '../rules.js';
import { type Obj, Report, isDns1123Label, isIpAddress, isObj, list, num, str, wildcardDomainProblem } from './common.js';

const HTTP = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB', 'HTTP_PROXY']);
const TLS = new Set(['HTTPS', 'TLS']);
const KNOWN = new Set([...HTTP, ...TLS, 'TCP', 'UDP', 'MONGO', 'REDIS', 'MYSQL', 'HBONE', 'DOUBLE_HBONE']);

function protocolOf(p: string): string {
  return p.toUpperCase();
}

function hostProblems(host: string): string[] {
  const out: string[] = [];
  let name = host;
  const slash = host.indexOf('/');
  if (slash >= 0) {
    const ns = host.slice(0, slash);
    name = host.slice(slash + 1);
    if (!ns || !name) out.push('namespace and host name cannot be empty');
    if (ns !== '*' && ns !== '.' && !isDns1123Label(ns)) out.push(`invalid namespace "${ns}"`);
  }
  if (name !== '*' && !name.includes('.')) out.push(`short name "${name}" is not allowed; use a fully qualified name`);
  const p = wildcardDomainProblem(name);
  if (p && !isIpAddress(name)) out.push(p);
  if (name.includes('*') && name.length !== 1 && !name.startsWith('*.')) out.push(`partial wildcard "${name}" is not allowed`);
  return out;
}

function checkServerTls(r: Report, tls: Obj, field: string): void {
  const mode = str(tls['mode']) || 'PASSTHROUGH';
  const has = (k: string) => (Array.isArray(tls[k]) ? (tls[k] as unknown[]).length > 0 : !!str(tls[k]));
  const fix = 'see the Gateway ServerTLSSettings reference';
  const minVersion = str(tls['minProtocolVersion']);
  if ((minVersion === 'TLSV1_0' || minVersion === 'TLSV1_1') && !has('cipherSuites')) r.add('istio-warning', `${field}.minProtocolVersion`, 'TLS below 1.2 needs compatible cipherSuites set', 'set cipherSuites or use TLSV1_2');
  if (mode === 'ISTIO_MUTUAL') {
    for (const k of ['serverCertificate', 'privateKey', 'caCertificates', 'tlsCertificates', 'credentialName', 'credentialNames']) {
      if (has(k)) r.add('gateway-invalid', `${field}.${k}`, `ISTIO_MUTUAL TLS cannot have ${k}`, 'remove it (ISTIO_MUTUAL uses the mesh certificates)');
    }
    return;
  }
  if (mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH') {
    if (['caCrl', 'serverCertificate', 'privateKey', 'caCertificates', 'tlsCertificates', 'credentialName', 'credentialNames'].some(has)) {
      r.add('istio-warning', field, `${mode} mode does not use certificates; they are ignored`, 'remove them');
    }
  }
  const sources = [has('serverCertificate') && has('privateKey'), has('credentialName'), has('credentialNames'), has('tlsCertificates')].filter(Boolean).length;
  if (sources > 1) r.add('gateway-invalid', field, 'more than one of credentialName, credentialNames, serverCertificate/privateKey, tlsCertificates is set', 'keep one certificate source');
  const terminating = mode === 'SIMPLE' || mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL';
  if (terminating && (has('credentialName') || has('credentialNames'))) return;
  if (terminating) {
    const prefix = mode === 'SIMPLE' ? 'SIMPLE TLS' : 'MUTUAL TLS';
    if (mode !== 'SIMPLE' && !has('caCertificates')) r.add('gateway-invalid', `${field}.caCertificates`, `${prefix} requires a client CA bundle`, 'set caCertificates or credentialName');
    const certs = has('tlsCertificates') ? list(tls['tlsCertificates']).map((c) => (isObj(c) ? c : {})) : [tls];
    if (certs.length > 2) r.add('istio-warning', `${field}.tlsCertificates`, `${prefix} supports up to 2 server certificates`, 'keep two');
    for (const c of certs) {
      if (!str(c['serverCertificate'])) r.add('gateway-invalid', field, `${prefix} requires a server certificate`, 'set credentialName (a Secret), or serverCertificate and privateKey');
      if (!str(c['privateKey'])) r.add('gateway-invalid', field, `${prefix} requires a private key`, 'set credentialName (a Secret), or serverCertificate and privateKey');
    }
  }
  if (has('caCrl')) {
    if (has('credentialName')) r.add('gateway-invalid', `${field}.caCrl`, 'caCrl is not supported with credentialName', 'put the CRL in the credential');
    if (mode === 'SIMPLE') r.add('gateway-invalid', `${field}.caCrl`, 'caCrl is not supported with SIMPLE TLS', fix);
  }
}

export function checkIstioGateway(gw: KubeObject): Finding[] {
  const r = new Report(gw);
  const spec: Obj = isObj(gw['spec']) ? gw['spec'] as Obj : {};
  if (!isDns1123Label(gw.metadata.name ?? '')) r.add('gateway-invalid', 'metadata.name', `gateway name "${gw.metadata.name}" is not a DNS label (no dots)`, 'use letters, digits and dashes');
  const servers = list(spec['servers']);
  if (servers.length === 0) r.add('gateway-invalid', 'spec.servers', 'a gateway needs at least one server', 'add a server with port and hosts');
  const names = new Set<string>();
  servers.forEach((s, i) => {
    const f = `spec.servers[${i}]`;
    if (!isObj(s)) return r.add('gateway-invalid', f, 'a server may not be null', 'remove the empty entry');
    const hosts = list(s['hosts']).map(str);
    if (hosts.length === 0) r.add('gateway-invalid', `${f}.hosts`, 'a server needs at least one host', 'list hosts, e.g. ["*.example.com"] or ["*"]');
    hosts.forEach((h, j) => {
      for (const p of hostProblems(h)) r.add('host-invalid', `${f}.hosts[${j}]`, p, 'use an FQDN, *, or *.domain, optionally after namespace/');
    });
    const bind = str(s['bind']);
    const port = s['port'];
    let portOk = true;
    if (!isObj(port)) {
      r.add('gateway-invalid', `${f}.port`, 'a server needs a port', 'set port: {number: 80, name: http, protocol: HTTP}');
      portOk = false;
    } else {
      const protocol = protocolOf(str(port['protocol']));
      if (!KNOWN.has(protocol)) {
        r.add('gateway-invalid', `${f}.port.protocol`, `invalid protocol "${str(port['protocol'])}"`, 'use HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, TLS, TCP, MONGO, REDIS or MYSQL');
        portOk = false;
      }
      const number = num(port['number']);
      if (number > 0 || !bind.startsWith('unix://')) {
        if (!(number >= 1 && number <= 65535)) {
          r.add('port-invalid', `${f}.port.number`, `port ${number} is outside 1..65535`, 'use a port from 1 to 65535');
          portOk = false;
        }
      }
      if (num(port['targetPort']) > 0) {
        r.add('gateway-invalid', `${f}.port.targetPort`, 'targetPort has no effect on a Gateway', 'remove it');
        portOk = false;
      }
      if (!str(port['name'])) {
        r.add('gateway-invalid', `${f}.port.name`, 'the port needs a name', 'name it, e.g. http or https-443');
        portOk = false;
      }
    }
    if (bind.startsWith('unix://')) {
      const path = bind.slice('unix://'.length);
      if (!path) r.add('gateway-invalid', `${f}.bind`, 'a unix address must not be empty', 'give an absolute path');
      else if (!path.startsWith('@') && (!path.startsWith('/') || path.endsWith('/'))) r.add('gateway-invalid', `${f}.bind`, `${path} is not an absolute path to a file`, 'give an absolute path');
      if (isObj(port) && num(port['number']) !== 0) r.add('gateway-invalid', `${f}.port.number`, 'the port number must be 0 for a unix domain socket', 'use 0');
    } else if (bind && !isIpAddress(bind)) {
      r.add('gateway-invalid', `${f}.bind`, `${bind} is not a valid IP address`, 'use an IP address');
    }
    const tls = s['tls'];
    if (isObj(tls)) checkServerTls(r, tls, `${f}.tls`);
    if (portOk && isObj(port)) {
      const protocol = protocolOf(str(port['protocol']));
      if (TLS.has(protocol) && !isObj(tls)) r.add('gateway-invalid', `${f}.tls`, `a ${protocol} server needs TLS settings`, 'add tls: {mode: SIMPLE, credentialName: <secret>}');
      else if (!TLS.has(protocol) && isObj(tls)) {
        if (HTTP.has(protocol)) {
          const mode = str(tls['mode']) || 'PASSTHROUGH';
          const passThrough = mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH';
          if (!passThrough || str(tls['caCertificates']) || str(tls['privateKey']) || str(tls['serverCertificate'])) {
            r.add('gateway-invalid', `${f}.tls`, 'a plain-text HTTP server cannot have TLS settings (only httpsRedirect)', 'use protocol HTTPS, or keep only httpsRedirect: true');
          }
        } else {
          r.add('gateway-invalid', `${f}.tls`, `a ${protocol} server cannot have TLS settings`, 'use protocol TLS or HTTPS');
        }
      }
    }
    if (isObj(port)) {
      const name = str(port['name']);
      if (names.has(name)) r.add('gateway-invalid', `${f}.port.name`, `port name "${name}" is used by another server`, 'give each server port its own name');
      names.add(name);
      if (!HTTP.has(protocolOf(str(port['protocol']))) && isObj(tls) && tls['httpsRedirect'] === true) {
        r.add('istio-warning', `${f}.tls.httpsRedirect`, 'httpsRedirect only works on HTTP servers', 'remove it');
      }
    }
    return undefined;
  });
  return r.findings;
}
