// A tiny kube-apiserver over real TLS, for the REST client and executable tests: it serves Istio's
// VirtualServices and DestinationRules from memory (as v1, or only as v1beta1 like an old control plane), in a
// namespace or across namespaces, ConfigMaps, and the objects of any other API group it is told it serves;
// discovery at /apis (aggregated, or the plain APIGroupList of an older server) and /apis/GROUP/VERSION. It
// answers like the real one (a Status naming a missing object; a Forbidden Status for a user who may not list
// across namespaces; plain "404 page not found" for a path it does not serve), and counts requests and TLS
// connections.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse, type Http2Session, createSecureServer } from 'node:http2';
import { type Server as HttpsServer, createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../core/model.js';
import { generateCa, generateServing, type Pem } from '../../webhook/certs.js';
import { apply as applyMergePatch } from 'json-merge-patch';
import { selects } from './label-selector.js';
import { tempDir } from './temp.js';

export interface FakeApiServer {
  url: string;
  ca: Pem;
  /** "METHOD path" of every request, in order of arrival. */
  requests: string[];
  /** TLS handshakes completed. */
  connections: number;
  /** The headers of every request, in the order of `requests`. */
  headers: IncomingHttpHeaders[];
  /** The protocol of every request, in the order of `requests` ("2.0" or "1.1"). */
  protocols: string[];
  objects: KubeObject[];
  /** The body of every merge patch, in order. */
  patches: unknown[];
  /** Writes a kubeconfig for this server; without the CA when caData is false. */
  kubeconfig(options?: { caData?: boolean; namespace?: string }): string;
  /** Ends every HTTP/2 connection the way a server going away does (GOAWAY, then close). */
  goAway(): void;
  close(): Promise<void>;
}

let pki: { ca: Pem; serving: Pem } | undefined;

export interface FakeApiServerOptions {
  /** The one version of networking.istio.io served (default v1). */
  istioVersion?: string;
  /** Other served group versions and their resources, e.g. {"argoproj.io/v1alpha1": ["applications"]}. */
  groups?: Record<string, string[]>;
  /** Answer /apis with the plain APIGroupList, as servers before aggregated discovery do. */
  legacyDiscovery?: boolean;
  /** The user may list only in a namespace: cluster-wide lists are Forbidden. */
  namespacedOnly?: boolean;
  /** What a watch (?watch=1) streams: these pieces of text, each written on its own, then the end. */
  watchPieces?: string[];
  /** The port to listen on (default: any free one). */
  port?: number;
  /** Speak HTTP/1.1 only (offer no HTTP/2 in the TLS handshake), as some proxies in front of API servers do. */
  http1Only?: boolean;
  /** Answers the route query's paths (/apis/query.kubectl-gray.io/...) as the API server's aggregation layer would. */
  routeQuery?: (path: string) => Promise<{ status: number; body: unknown }>;
}

/** The REST resource of a kind ("VirtualService" -> "virtualservices"). */
const resourceOf = (kind: string) => `${kind.toLowerCase()}s`;
const ISTIO_RESOURCES = ['virtualservices', 'destinationrules'];
const CORE_RESOURCES = ['configmaps', 'services', 'pods'];

export async function startFakeApiServer(objects: KubeObject[], options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  if (!pki) {
    const ca = generateCa('fake-apiserver-ca');
    pki = { ca, serving: generateServing(ca, { dnsNames: ['localhost'], ips: ['127.0.0.1'] }) };
  }
  const servedGroups = new Map<string, string[]>([[`networking.istio.io/${options.istioVersion ?? 'v1'}`, ISTIO_RESOURCES], ['apps/v1', ['deployments']], ...Object.entries(options.groups ?? {})]);
  let version = 1000;
  const state: FakeApiServer = {
    url: '', ca: pki.ca, requests: [], connections: 0, headers: [], protocols: [], objects: structuredClone(objects), patches: [],
    kubeconfig: () => '',
    goAway: () => { for (const s of sessions) s.close(); },
    close: () => new Promise((resolve) => {
      for (const s of sessions) s.destroy();
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
  const sessions = new Set<Http2Session>();
  const sockets = new Set<import('node:net').Socket>();
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://x');
      const labelSelector = url.searchParams.get('labelSelector');
      state.requests.push(`${req.method} ${url.pathname}${labelSelector ? `?labelSelector=${labelSelector}` : ''}`);
      state.headers.push(req.headers);
      state.protocols.push(req.httpVersion);
      const send = (code: number, body: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const notFound = (resource: string, group: string, name: string) => send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404,
        message: `${group ? `${resource}.${group}` : resource} "${name}" not found`, details: { name, group, kind: resource } });
      const pageNotFound = () => {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('404 page not found\n');
      };
      if (url.pathname.startsWith('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations')) return send(200, { items: [] });
      if (options.routeQuery && url.pathname.startsWith('/apis/query.kubectl-gray.io/')) {
        void options.routeQuery(url.pathname).then(({ status, body }) => send(status, body));
        return;
      }
      if (url.pathname === '/apis') {
        const aggregated = !options.legacyDiscovery && /;as=APIGroupDiscoveryList/.test(String(req.headers.accept ?? ''));
        const byGroup = new Map<string, string[]>();
        for (const gv of servedGroups.keys()) {
          const [group, v] = gv.split('/') as [string, string];
          byGroup.set(group, [...(byGroup.get(group) ?? []), v]);
        }
        if (aggregated) {
          return send(200, { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items: [...byGroup].map(([group, versions]) => ({
            metadata: { name: group },
            versions: versions.map((v) => ({ version: v, resources: servedGroups.get(`${group}/${v}`)!.map((r) => ({ resource: r, scope: 'Namespaced' })), freshness: 'Current' })),
          })) });
        }
        return send(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [...byGroup].map(([group, versions]) => ({
          name: group, versions: versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v })), preferredVersion: { groupVersion: `${group}/${versions[0]}`, version: versions[0] },
        })) });
      }
      const discovery = /^\/apis\/([^/]+\/[^/]+)$/.exec(url.pathname);
      if (discovery) {
        const resources = servedGroups.get(discovery[1]!);
        if (!resources) return pageNotFound();
        return send(200, { kind: 'APIResourceList', groupVersion: discovery[1], resources: resources.map((r) => ({ name: r, namespaced: true })) });
      }
      const m = /^\/(?:api\/(v1)|apis\/([^/]+\/[^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?$/.exec(url.pathname);
      const gv = m?.[1] ?? m?.[2];
      if (!m || !(gv === 'v1' ? CORE_RESOURCES.includes(m[4]!) : servedGroups.get(gv!)?.includes(m[4]!))) return pageNotFound();
      const [, , , ns, resource, name] = m;
      if (!ns && !name && options.namespacedOnly) {
        const group = gv!.split('/')[0];
        return send(403, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403,
          message: `${resource}.${group} is forbidden: User "dev" cannot list resource "${resource}" in API group "${group}" at the cluster scope` });
      }
      if (url.searchParams.get('watch')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        const pieces = [...(options.watchPieces ?? [])];
        const next = () => (pieces.length ? res.write(pieces.shift()!, () => setImmediate(next)) : res.end());
        return next();
      }
      const istio = ISTIO_RESOURCES.includes(resource!);
      const mine = state.objects.filter((o) => resourceOf(o.kind) === resource && (istio || o.apiVersion === gv)
        && (!ns || (o.metadata.namespace ?? 'default') === ns));
      if (!name && req.method === 'GET') {
        // Pages as the real server cuts them: `limit` objects, and a continue token while more are left.
        const picked = mine.filter((o) => selects(labelSelector, o.metadata.labels ?? {}));
        const from = Number(url.searchParams.get('continue') ?? 0);
        const limit = Number(url.searchParams.get('limit') ?? 0) || picked.length;
        const left = from + limit < picked.length;
        return send(200, { metadata: left ? { continue: String(from + limit) } : {}, items: picked.slice(from, from + limit).map(({ apiVersion: _a, kind: _k, ...rest }) => rest) });
      }
      const current = mine.find((o) => o.metadata.name === name);
      if (!current) return notFound(resource!, gv === 'v1' ? '' : gv!.split('/')[0]!, name!);
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
      if (req.method === 'PATCH' && req.headers['content-type'] === 'application/merge-patch+json') {
        // As the API server takes it: merged into the stored object; a resourceVersion in it must be the stored one.
        const patch = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { metadata?: { resourceVersion?: string } };
        state.patches.push(patch);
        if (patch.metadata?.resourceVersion !== undefined && patch.metadata.resourceVersion !== current.metadata.resourceVersion) {
          return send(409, { kind: 'Status', status: 'Failure', reason: 'Conflict', code: 409, message: 'the object has been modified' });
        }
        const next = applyMergePatch(structuredClone(current), patch);
        if (url.searchParams.get('dryRun') !== 'All') {
          next.metadata.resourceVersion = String(++version);
          state.objects[state.objects.indexOf(current)] = next;
        }
        return send(200, next);
      }
      send(405, { kind: 'Status', status: 'Failure', reason: 'MethodNotAllowed', code: 405, message: 'not here' });
    });
  };
  // HTTP/2 with HTTP/1.1 beside it, as the API server serves; or HTTP/1.1 alone.
  const tls = { key: pki.serving.key, cert: pki.serving.cert };
  const server: Http2SecureServer | HttpsServer = options.http1Only
    ? createHttpsServer(tls, handle)
    : createSecureServer({ ...tls, allowHTTP1: true }, handle as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void);
  server.on('secureConnection', (socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  state.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = tempDir('apiserver');
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
