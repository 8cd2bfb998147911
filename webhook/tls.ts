// Serving certificate and key from files, reloaded when they change (Secrets are updated in place
// by kubelet or cert-manager). Open connections keep their session; new ones get the new certificate.
import { X509Certificate } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Server } from 'node:https';

export const TLS_MIN_VERSION = 'TLSv1.2' as const;

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export function readTls(files: TlsFiles): { cert: Buffer; key: Buffer } {
  return { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) };
}

export interface TlsLog { info(obj: object, msg: string): void; error(obj: object, msg: string): void }

/** When the certificate now being served stops being valid. */
export type ServingExpiry = () => Date;

function expiryOf(cert: Buffer): Date {
  return new Date(new X509Certificate(cert).validTo);
}

/**
 * Polls the files (robust against the symlink swaps Secret volumes use) and swaps the context. Returns
 * a stop function, the served certificate's expiry (readiness fails once it has passed), and a way to
 * verify client certificates against a CA from now on (the route query's front proxy, webhook/route-query.ts).
 */
export function watchTls(server: Server, files: TlsFiles, log: TlsLog, intervalMs = 2000): { stop: () => void; expiry: ServingExpiry; trustClients: (ca: string) => void } {
  let last = readTls(files);
  let expiry = expiryOf(last.cert);
  let clientCa: string | undefined;
  // A new context replaces the whole old one: the client CA goes in with every pair.
  const serve = (pair: { cert: Buffer; key: Buffer }) => server.setSecureContext({ ...pair, ...(clientCa ? { ca: clientCa } : {}), minVersion: TLS_MIN_VERSION });
  const reload = () => {
    try {
      const next = readTls(files);
      if (next.cert.equals(last.cert) && next.key.equals(last.key)) return;
      serve(next);
      last = next;
      expiry = expiryOf(next.cert);
      log.info({ certFile: files.certFile }, 'serving certificate reloaded');
    } catch (err) {
      // A half-written pair (cert updated, key not yet) fails here; the next poll picks up the pair.
      log.error({ err: String(err) }, 'serving certificate reload failed; keeping the current one');
    }
  };
  watchFile(files.certFile, { interval: intervalMs }, reload);
  watchFile(files.keyFile, { interval: intervalMs }, reload);
  return {
    stop: () => { unwatchFile(files.certFile); unwatchFile(files.keyFile); },
    expiry: () => expiry,
    trustClients: (ca) => {
      if (ca === clientCa) return;
      clientCa = ca;
      serve(last);
      log.info({}, 'client CA loaded');
    },
  };
}
