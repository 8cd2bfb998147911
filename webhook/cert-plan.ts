// Self-managed certificates, the decision half: given what the Secret holds (if anything) and what
// the webhook needs, what to keep, renew or rotate. Rotating the CA keeps the previous one in the
// bundle until it expires, so API servers that still hold the old caBundle keep trusting us.
import { X509Certificate } from 'node:crypto';
import { type KeySource, type Pem, freshRsaKey, generateCa, generateServing } from './certs.js';

export interface CertSecret {
  'ca.crt': string;
  'ca.key': string;
  'tls.crt': string;
  'tls.key': string;
  /** What the webhook configurations' caBundle holds: the current CA, plus the previous one while it is valid. */
  'ca-bundle.crt': string;
}

export interface CertNeeds {
  dnsNames: string[];
  caDays: number;
  certDays: number;
}

export type CertAction = 'keep' | 'create' | 'renew-serving' | 'rotate-ca' | 'prune-bundle';


function remaining(certPem: string, now: Date): { left: number; total: number } {
  const c = new X509Certificate(certPem);
  const from = Date.parse(c.validFrom);
  const to = Date.parse(c.validTo);
  return { left: to - now.getTime(), total: to - from };
}

/** Renew when a third of the lifetime is left: a 1-year certificate four months early, a 10-year CA three years early. */
function dueForRenewal(certPem: string, now: Date): boolean {
  const { left, total } = remaining(certPem, now);
  return left < total / 3;
}

function covers(certPem: string, dnsNames: string[]): boolean {
  const san = new X509Certificate(certPem).subjectAltName ?? '';
  const names = san.split(', ').filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4));
  return dnsNames.every((n) => names.includes(n));
}

export function signedBy(certPem: string, caPem: string): boolean {
  try {
    return new X509Certificate(certPem).verify(new X509Certificate(caPem).publicKey);
  } catch {
    return false;
  }
}

function stillValid(pem: string, now: Date): boolean {
  try {
    return remaining(pem, now).left > 0;
  } catch {
    return false;
  }
}

export function splitPems(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\r?\n?/g) ?? [];
}

/**
 * Rotating the CA is done in two steps, one pass each: first the new CA joins the bundle while the
 * serving pair stays the old CA's (so the API servers learn to trust the new CA before anything is
 * signed by it), then the next pass renews the serving certificate under the new CA. `forceRotateCa`
 * rotates now whatever the CA's age (an operator's or a test's request).
 */
/**
 * Each CA gets a name of its own (two CAs share the bundle during a rotation, and OpenSSL picks an issuer by
 * name). Only PrintableString characters: forge encodes the name so, and Go's x509 (the kubelet's probes,
 * the API server) refuses a certificate whose name has others, such as '@'.
 */
export function caName(now: Date): string {
  return `kubectl-gray-webhook-ca-${Math.floor(now.getTime() / 1000)}`;
}

export function planCertificates(
  existing: Partial<CertSecret> | undefined, needs: CertNeeds, now: Date, keySource: KeySource = freshRsaKey, forceRotateCa = false,
): { action: CertAction; secret: CertSecret } {
  const complete = existing && existing['ca.crt'] && existing['ca.key'] && existing['tls.crt'] && existing['tls.key'];
  const serving = (ca: Pem) => generateServing(ca, { dnsNames: needs.dnsNames, ips: [], days: needs.certDays }, now, keySource);
  if (!complete) {
    const ca = generateCa(caName(now), needs.caDays, now, keySource);
    const tls = serving(ca);
    return { action: 'create', secret: { 'ca.crt': ca.cert, 'ca.key': ca.key, 'tls.crt': tls.cert, 'tls.key': tls.key, 'ca-bundle.crt': ca.cert } };
  }
  const current = existing as CertSecret;
  if (forceRotateCa || dueForRenewal(current['ca.crt'], now)) {
    // A subject of its own (as Kubernetes' self-signed CAs: name@seconds), so the two CAs in the bundle differ by name too.
    const ca = generateCa(caName(now), needs.caDays, now, keySource);
    const oldServingUsable = stillValid(current['tls.crt'], now) && covers(current['tls.crt'], needs.dnsNames) && signedBy(current['tls.crt'], current['ca.crt']);
    const tls = oldServingUsable ? { cert: current['tls.crt'], key: current['tls.key'] } : serving(ca);
    const bundle = ca.cert + (stillValid(current['ca.crt'], now) ? current['ca.crt'] : '');
    return { action: 'rotate-ca', secret: { 'ca.crt': ca.cert, 'ca.key': ca.key, 'tls.crt': tls.cert, 'tls.key': tls.key, 'ca-bundle.crt': bundle } };
  }
  // Drop previous CAs from the bundle once they have expired.
  const bundle = splitPems(current['ca-bundle.crt'] ?? current['ca.crt']).filter((p) => stillValid(p, now)).join('') || current['ca.crt'];
  const ca = { cert: current['ca.crt'], key: current['ca.key'] };
  if (dueForRenewal(current['tls.crt'], now) || !covers(current['tls.crt'], needs.dnsNames) || !signedBy(current['tls.crt'], current['ca.crt'])) {
    const tls = serving(ca);
    return { action: 'renew-serving', secret: { ...current, 'tls.crt': tls.cert, 'tls.key': tls.key, 'ca-bundle.crt': bundle } };
  }
  return { action: bundle === current['ca-bundle.crt'] ? 'keep' : 'prune-bundle', secret: { ...current, 'ca-bundle.crt': bundle } };
}
