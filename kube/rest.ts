// A small REST client over the kubeconfig's credentials. It keeps what the generated client hides:
// the server's Status body (for kubectl-style errors) and its Warning headers (admission warnings).
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
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

export class KubeRest {
  readonly server: string;
  constructor(private readonly kc: KubeConfig, private readonly timeoutMs = 30_000) {
    this.server = kc.getCurrentCluster()!.server;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<RestResponse<T>> {
    const url = new URL(path, this.server);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const options: import('node:https').RequestOptions = {
      method,
      headers: {
        Accept: 'application/json',
        'User-Agent': 'kubectl-gray',
        ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}),
      },
      timeout: this.timeoutMs,
    };
    await this.kc.applyToHTTPSOptions(options);
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise<RestResponse<T>>((resolve, reject) => {
      const req = send(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try { parsed = text ? JSON.parse(text) : undefined; } catch { /* not JSON: keep the text */ }
          const status = res.statusCode ?? 0;
          const warnings = parseWarnings(res.headers['warning']);
          if (status >= 200 && status < 300) return resolve({ status, body: parsed as T, warnings });
          const s = (typeof parsed === 'object' && parsed ? parsed : {}) as KubeStatus;
          reject(new ApiError(status, s.reason || REASONS[status] || `HTTP ${status}`, s.message || String(text).trim() || `HTTP ${status}`));
        });
      });
      req.on('timeout', () => req.destroy(new ConnectionError(`the server ${url.host} did not answer within ${this.timeoutMs / 1000}s`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err instanceof ConnectionError) return reject(err);
        if (err.code === 'ECONNREFUSED') {
          return reject(new ConnectionError(`The connection to the server ${url.host} was refused - did you specify the right host or port?`));
        }
        reject(new ConnectionError(`Unable to connect to the server ${url.host}: ${err.message}`));
      });
      if (payload) req.write(payload);
      req.end();
    });
  }
}
