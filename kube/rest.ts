// A small REST client over the kubeconfig's credentials. It keeps what the generated client hides:
// the server's Status body (for kubectl-style errors) and its Warning headers (admission warnings).
import { Agent as HttpAgent, type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { type ClientHttp2Session, type OutgoingHttpHeaders, connect as http2Connect, constants as h2 } from 'node:http2';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect, setDefaultCACertificates } from 'node:tls';
import type { KubeConfig } from '@kubernetes/client-node';
import { ApiError, ConnectionError } from './errors.js';

export interface KubeStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; group?: string };
}

/** One event of a watch stream. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: { metadata?: { name?: string; namespace?: string; resourceVersion?: string } } & Record<string, unknown>;
}

export interface RestResponse<T> {
  status: number;
  body: T;
  warnings: string[];
}

const REASONS: Record<number, string> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed',
  409: 'Conflict', 410: 'Gone', 422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable',
};

function parseWarnings(header: string | string[] | undefined): string[] {
  const values = Array.isArray(header) ? header : header ? [header] : [];
  // RFC 7234 warning: 299 - "text"
  return values.map((v) => /^\d{3} \S+ "(.*)"$/s.exec(v)?.[1]?.replace(/\\"/g, '"') ?? v);
}

/** How long an HTTP/2 connection may stay idle before it is closed (the next request opens another). */
const IDLE_SESSION_MS = 60_000;

/** A refused request as an ApiError, from the server's Status body (or its text). */
function refusal(status: number, text: string): ApiError {
  let s: KubeStatus = {};
  try { s = (text ? JSON.parse(text) : {}) as KubeStatus; } catch { /* not JSON: the text is the message */ }
  return new ApiError(status, s.reason || REASONS[status] || `HTTP ${status}`, s.message || text.trim() || `HTTP ${status}`, s.details);
}

/** A body as JSON, or as the text it is. */
function parseBody(text: string): unknown {
  try { return text ? JSON.parse(text) : undefined; } catch { return text; }
}

function connectionFailure(url: URL, err: NodeJS.ErrnoException): ConnectionError {
  return err.code === 'ECONNREFUSED'
    ? new ConnectionError(`The connection to the server ${url.host} was refused - did you specify the right host or port?`)
    : new ConnectionError(`Unable to connect to the server ${url.host}: ${err.message}`);
}

/** Objects per page of a long list, as kubectl get asks for (--chunk-size). */
export const PAGE_SIZE = 500;

/**
 * Every object of a list, page by page (the API server serves each page from its watch cache without building the
 * whole answer), each passed through `keep` as its page arrives so that only what is kept adds up; and the list's
 * resourceVersion (to watch from).
 */
export async function listAllPages<T, K = T>(rest: Pick<KubeRest, 'request'>, path: string,
  { labelSelector, keep }: { labelSelector?: string; keep?: (item: T) => K } = {}): Promise<{ items: K[]; resourceVersion: string }> {
  const items: K[] = [];
  let next = '';
  let resourceVersion = '';
  do {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (labelSelector) query.set('labelSelector', labelSelector);
    if (next) query.set('continue', next);
    const page = (await rest.request<{ items?: T[]; metadata?: { resourceVersion?: string; continue?: string } }>('GET', `${path}?${query}`)).body;
    for (const item of page.items ?? []) items.push(keep ? keep(item) : item as unknown as K);
    next = page.metadata?.continue ?? '';
    resourceVersion = page.metadata?.resourceVersion ?? '';
  } while (next);
  return { items, resourceVersion };
}

export class KubeRest {
  readonly server: string;
  /** One keep-alive agent for all of a command's requests: one TLS handshake, not one per request. */
  private agent: HttpAgent | undefined;
  /**
   * The HTTP/2 connection, when the server offers HTTP/2 (the API server does): a command's independent reads then
   * travel at once instead of one after the other on the HTTP/1.1 socket. Undefined inside: HTTP/1.1 it is.
   */
  private session: Promise<ClientHttp2Session | undefined> | undefined;
  private live: ClientHttp2Session | undefined;
  /** Requests in flight per session: a session keeps the process alive only while it has some. */
  private readonly inFlight = new WeakMap<ClientHttp2Session, number>();
  /**
   * `headers` go with every request (the plugin's Impersonate-* headers). `serverCaIsProcessDefault`: the process
   * talks TLS to this server alone, so the kubeconfig's CA may become its default trust (see openSession).
   */
  constructor(private readonly kc: KubeConfig, private readonly timeoutMs = 30_000, private readonly headers: Record<string, string | string[]> = {},
    private readonly serverCaIsProcessDefault = false) {
    this.server = kc.getCurrentCluster()!.server;
  }

  /**
   * `accept` replaces the default Accept header (aggregated discovery asks for its own media type); `contentType`
   * the body's (a PATCH names its kind of patch).
   */
  async request<T>(method: string, path: string, body?: unknown, accept = 'application/json', contentType = 'application/json'): Promise<RestResponse<T>> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const { url, options } = await this.prepare(method, path, accept, payload, this.timeoutMs, contentType);
    options.agent = this.agent ??= sharedAgent(options.agent, options);
    const attempt = async () => {
      if (!this.session) {
        // A connection that could not be made is tried again at the next request (the webhook's client lives on).
        const opening = this.session = this.openSession(url, options);
        opening.catch(() => { if (this.session === opening) this.session = undefined; });
      }
      const session = await this.session;
      return session && !session.closed && !session.destroyed
        ? this.sendH2<T>(session, url, options, payload)
        : this.send<T>(url, options, payload);
    };
    try {
      return await attempt();
    } catch (err) {
      // A kept-alive connection the server closed meanwhile: the request never reached it; send it again.
      if (err instanceof StaleConnection && method !== 'POST') {
        try {
          return await attempt();
        } catch (again) {
          throw again instanceof StaleConnection ? again.cause : again;
        }
      }
      throw err instanceof StaleConnection ? err.cause : err;
    }
  }

  /**
   * A watch (path with ?watch=1): calls onEvent with each event the server streams, one JSON object a line. Resolves
   * when the server ends the stream or the signal aborts; rejects with an ApiError for an ERROR event (410 Gone: the
   * resourceVersion is too old) or a refused request, and with a ConnectionError when the connection fails. Each
   * watch has a connection of its own: the keep-alive one stays free for requests.
   */
  async watch(path: string, onEvent: (event: WatchEvent) => void, signal: AbortSignal, idleMs = 300_000): Promise<void> {
    const { url, options } = await this.prepare('GET', path, 'application/json', undefined, idleMs);
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise<void>((resolve, reject) => {
      const req = send(url, { ...options, signal }, (res) => {
        if ((res.statusCode ?? 0) >= 300) return this.failure(res, url, reject);
        let pending = '';
        res.setEncoding('utf8');
        res.on('data', (text: string) => {
          pending += text;
          let newline: number;
          while ((newline = pending.indexOf('\n')) >= 0) {
            const line = pending.slice(0, newline);
            pending = pending.slice(newline + 1);
            if (!line.trim()) continue;
            let event: WatchEvent;
            try { event = JSON.parse(line) as WatchEvent; } catch {
              req.destroy();
              return reject(new ConnectionError(`the watch on ${url.host} sent a line that is not JSON`));
            }
            if (event.type === 'ERROR') {
              const s = event.object as KubeStatus;
              req.destroy();
              return reject(new ApiError(s.code ?? 500, s.reason || REASONS[s.code ?? 500] || 'InternalError', s.message ?? 'watch error'));
            }
            onEvent(event);
          }
        });
        res.on('end', () => resolve());
        res.on('error', (err) => (signal.aborted ? resolve() : reject(new ConnectionError(`the watch on ${url.host} broke: ${err.message}`))));
      });
      req.on('timeout', () => req.destroy(new ConnectionError(`the watch on ${url.host} was silent for ${idleMs / 1000}s`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (signal.aborted) return resolve();
        reject(err instanceof ConnectionError ? err : connectionFailure(url, err));
      });
      req.end();
    });
  }

  private async prepare(method: string, path: string, accept: string, payload: Buffer | undefined, timeout: number, contentType = 'application/json') {
    const url = new URL(path, this.server);
    const options: import('node:https').RequestOptions = {
      method,
      headers: {
        ...this.headers,
        Accept: accept,
        'User-Agent': 'kubectl-gray',
        ...(payload ? { 'Content-Type': contentType, 'Content-Length': payload.length } : {}),
      },
      timeout,
    };
    await this.kc.applyToHTTPSOptions(options);
    return { url, options };
  }

  /** A refused request as an ApiError, from the server's Status body. */
  private failure(res: import('node:http').IncomingMessage, url: URL, reject: (err: Error) => void): void {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => reject(refusal(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
    res.on('error', () => reject(new ConnectionError(`the connection to ${url.host} broke`)));
  }

  /**
   * HTTP/2 when the server chooses it in the TLS handshake; undefined (HTTP/1.1) for plain http, through a proxy, or
   * when the server does not offer it. The probe's connection then closes: one handshake more, for such servers only.
   */
  private async openSession(url: URL, options: import('node:https').RequestOptions): Promise<ClientHttp2Session | undefined> {
    if (url.protocol !== 'https:' || options.agent?.constructor !== HttpsAgent) return undefined;
    // The agent holds the kubeconfig's TLS settings (CA, client certificate, server name, verification).
    const tls = (options.agent as HttpsAgent).options as ConnectionOptions;
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    // A TLS context that names a CA first copies Node's ~140 bundled roots into a store of its own, then sets them
    // aside: 10 ms of a 140 ms command (docs/performance.md). Where the process trusts nothing else, the CA becomes
    // the default, and the copy is of that one certificate.
    if (this.serverCaIsProcessDefault && tls.ca) setDefaultCACertificates(([] as Array<string | Buffer>).concat(tls.ca).map(String));
    const socket = tlsConnect({
      ...tls, host, port: Number(url.port || 443), ALPNProtocols: ['h2', 'http/1.1'],
      servername: tls.servername || (isIP(host) ? undefined : host),
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', (err: NodeJS.ErrnoException) => reject(connectionFailure(url, err)));
      socket.setTimeout(this.timeoutMs, () => socket.destroy(new ConnectionError(`the server ${url.host} did not answer within ${this.timeoutMs / 1000}s`)));
    });
    socket.setTimeout(0);
    if (socket.alpnProtocol !== 'h2') {
      socket.destroy();
      return undefined;
    }
    const session = http2Connect(url.origin, { createConnection: () => socket });
    // A session the server ends (GOAWAY) or that breaks is replaced by a new one at the next request.
    this.live = session;
    const forget = () => {
      if (this.live !== session) return;
      this.live = undefined;
      this.session = undefined;
    };
    session.on('goaway', forget);
    session.on('close', forget);
    session.on('error', forget);
    // An idle connection is closed rather than trusted for long (the webhook's client lives for days).
    session.setTimeout(IDLE_SESSION_MS, () => session.close());
    session.unref();
    return session;
  }

  private sendH2<T>(session: ClientHttp2Session, url: URL, options: import('node:https').RequestOptions, payload: Buffer | undefined): Promise<RestResponse<T>> {
    const headers: OutgoingHttpHeaders = { [h2.HTTP2_HEADER_METHOD]: options.method, [h2.HTTP2_HEADER_PATH]: url.pathname + url.search };
    for (const [k, v] of Object.entries(options.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
    if (options.auth) headers['authorization'] = `Basic ${Buffer.from(options.auth).toString('base64')}`;
    return new Promise<RestResponse<T>>((resolve, reject) => {
      let stream: import('node:http2').ClientHttp2Stream;
      try {
        stream = session.request(headers, { endStream: !payload });
      } catch (err) {
        // The server is ending this connection (GOAWAY) and takes no new requests on it: send it on another.
        return reject(new StaleConnection(connectionFailure(url, err as NodeJS.ErrnoException)));
      }
      // The session keeps the process alive only while a request is in flight.
      session.ref();
      let status = 0;
      let warning: IncomingHttpHeaders['warning'];
      const chunks: Buffer[] = [];
      stream.on('response', (h) => {
        status = Number(h[h2.HTTP2_HEADER_STATUS]);
        warning = h['warning'];
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (status < 200 || status >= 300) return reject(refusal(status, text));
        resolve({ status, body: parseBody(text) as T, warnings: parseWarnings(warning) });
      });
      this.inFlight.set(session, (this.inFlight.get(session) ?? 0) + 1);
      stream.on('close', () => {
        const left = this.inFlight.get(session)! - 1;
        this.inFlight.set(session, left);
        if (left === 0) session.unref();
      });
      stream.setTimeout(this.timeoutMs, () => stream.destroy(new ConnectionError(`the server ${url.host} did not answer within ${this.timeoutMs / 1000}s`)));
      stream.on('error', (err: NodeJS.ErrnoException) => {
        if (err instanceof ConnectionError) return reject(err);
        const failure = connectionFailure(url, err);
        // Refused before the server read it (a stream the server declined, or a session it was ending): send it again.
        const unread = err.code === 'ERR_HTTP2_STREAM_ERROR' && /REFUSED_STREAM/.test(err.message) || err.code === 'ERR_HTTP2_GOAWAY_SESSION';
        reject(unread ? new StaleConnection(failure) : failure);
      });
      if (payload) stream.end(payload);
    });
  }

  private send<T>(url: URL, options: import('node:https').RequestOptions, payload: Buffer | undefined): Promise<RestResponse<T>> {
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise<RestResponse<T>>((resolve, reject) => {
      const req = send(url, options, (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) return this.failure(res, url, reject);
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status, body: parseBody(Buffer.concat(chunks).toString('utf8')) as T, warnings: parseWarnings(res.headers['warning']) }));
      });
      req.on('timeout', () => req.destroy(new ConnectionError(`the server ${url.host} did not answer within ${this.timeoutMs / 1000}s`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err instanceof ConnectionError) return reject(err);
        const failure = connectionFailure(url, err);
        reject(req.reusedSocket && err.code === 'ECONNRESET' ? new StaleConnection(failure) : failure);
      });
      if (payload) req.write(payload);
      req.end();
    });
  }
}

class StaleConnection extends Error {
  constructor(override readonly cause: ConnectionError) { super(cause.message); }
}

/**
 * client-node makes a new agent, without keep-alive, for every request it prepares. Keep the first one's
 * settings in one keep-alive agent (a proxy agent is kept as it is, and reused).
 */
function sharedAgent(made: unknown, options: import('node:https').RequestOptions): HttpAgent | undefined {
  // One socket: parallel requests queue on it rather than pay for a second TLS handshake.
  const keep = { keepAlive: true, maxSockets: 1 };
  if (made?.constructor === HttpsAgent) return new HttpsAgent({ ...(made as HttpsAgent).options, ca: options.ca, ...keep });
  if (made?.constructor === HttpAgent) return new HttpAgent(keep);
  return made as HttpAgent | undefined;
}
