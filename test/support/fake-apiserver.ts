// A tiny kube-apiserver over real TLS, for the REST client and launcher tests: it serves Istio's
// VirtualServices and DestinationRules from memory (as v1, or only as v1beta1 like an old control plane),
// answers like the real one (a Status naming a missing object; plain "404 page not found" for a path it does
// not serve), and counts requests and TLS connections.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../core/model.js';
import { generateCa, generateServing, type Pem } from '../../webhook/certs.js';

export interface FakeApiServer {
  url: string;
  ca: Pem;
  /** "METHOD path" of every request, in order of arrival. */
  requests: string[];
  /** TLS handshakes completed. */
  connections: number;
  objects: KubeObject[];
  /** Writes a kubeconfig for this server; without the CA when caData is false. */
  kubeconfig(options?: { caData?: boolean; namespace?: string }): string;
  close(): Promise<void>;
}

let pki: { ca: Pem; serving: Pem } | undefined;

export async function startFakeApiServer(objects: KubeObject[], options: { istioVersion?: string } = {}): Promise<FakeApiServer> {
  if (!pki) {
    const ca = generateCa('fake-apiserver-ca');
    pki = { ca, serving: generateServing(ca, { dnsNames: ['localhost'], ips: ['127.0.0.1'] }) };
  }
  const served = options.istioVersion ?? 'v1';
  let version = 1000;
  const state: FakeApiServer = {
    url: '', ca: pki.ca, requests: [], connections: 0, objects: structuredClone(objects),
    kubeconfig: () => '',
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
  const server: Server = createServer({ key: pki.serving.key, cert: pki.serving.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://x');
      state.requests.push(`${req.method} ${url.pathname}`);
      const send = (code: number, body: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const notFound = (what: string, name: string) => send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404,
        message: `${what} "${name}" not found`, details: { name, group: 'networking.istio.io', kind: what.split('.')[0] } });
      if (url.pathname.startsWith('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations')) return send(200, { items: [] });
      if (url.pathname === `/apis/networking.istio.io/${served}`) return send(200, { kind: 'APIResourceList', groupVersion: `networking.istio.io/${served}`, resources: [] });
      const m = /^\/apis\/networking\.istio\.io\/([^/]+)\/namespaces\/([^/]+)\/(virtualservices|destinationrules)(?:\/([^/]+))?$/.exec(url.pathname);
      if (!m || m[1] !== served) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        return res.end('404 page not found\n');
      }
      const [, , ns, resource, name] = m;
      const kind = resource === 'virtualservices' ? 'VirtualService' : 'DestinationRule';
      const mine = state.objects.filter((o) => o.kind === kind && (o.metadata.namespace ?? 'default') === ns);
      if (!name && req.method === 'GET') return send(200, { items: mine.map(({ apiVersion: _a, kind: _k, ...rest }) => rest) });
      const current = mine.find((o) => o.metadata.name === name);
      if (!current) return notFound(`${resource}.networking.istio.io`, name!);
      if (req.method === 'GET') return send(200, current);
      if (req.method === 'PUT') {
        const next = JSON.parse(Buffer.concat(chunks).toString('utf8')) as KubeObject;
        if (next.metadata.resourceVersion !== current.metadata.resourceVersion) {
          return send(409, { kind: 'Status', status: 'Failure', reason: 'Conflict', code: 409, message: 'the object has been modified' });
        }
        if (url.searchParams.get('dryRun') !== 'All') {
          next.metadata.resourceVersion = String(++version);
          state.objects[state.objects.indexOf(current)] = next;
        }
        return send(200, next);
      }
      send(405, { kind: 'Status', status: 'Failure', reason: 'MethodNotAllowed', code: 405, message: 'not here' });
    });
  });
  server.on('secureConnection', () => { state.connections++; });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'gray-apiserver-'));
  state.kubeconfig = ({ caData = true, namespace = 'default' } = {}) => {
    const file = join(dir, `kubeconfig-${caData ? 'ca' : 'noca'}-${namespace}`);
    writeFileSync(file, `apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: ${state.url}
${caData ? `    certificate-authority-data: ${Buffer.from(state.ca.cert).toString('base64')}\n` : ''}users:
- name: admin
  user: {token: secret}
contexts:
- name: fake
  context: {cluster: fake, user: admin, namespace: ${namespace}}
current-context: fake
`);
    return file;
  };
  return state;
}
