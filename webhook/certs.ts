// A CA and a serving certificate for the webhook. node-forge builds the X.509 certificates (Node has
// no API for that); the RSA keys and signatures come from Node's native crypto, which is far faster
// than forge's JS (a forge signature costs 50-150 ms on a busy 2-core machine, a native one ~1 ms).
import { constants, createPublicKey, generateKeyPairSync, privateEncrypt, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface Pem {
  cert: string;
  key: string;
}

/** Where RSA keys come from: a PKCS#1 PEM per call. Production makes fresh ones; tests hand in a fixed set. */
export type KeySource = () => string;

/** A fresh RSA-2048 key from Node's native crypto (100-500 ms on a busy 2-core machine). */
export const freshRsaKey: KeySource = () =>
  generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

export interface ServingRequest {
  dnsNames: string[];
  ips: string[];
  days?: number;
}

// DER prefix of a PKCS#1 v1.5 DigestInfo for SHA-256 (RFC 8017, section 9.2, note 1).
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/** Signs what forge hashed (RSASSA-PKCS1-v1_5 over SHA-256) with Node's RSA; forge's cert.sign calls key.sign(md). */
function nativeSigner(keyPem: string): forge.pki.rsa.PrivateKey {
  const sign = (md: forge.md.MessageDigest): string => {
    const digest = Buffer.from(md.digest().getBytes(), 'binary');
    const signature = privateEncrypt({ key: keyPem, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([SHA256_DIGEST_INFO, digest]));
    return signature.toString('binary');
  };
  return { sign } as unknown as forge.pki.rsa.PrivateKey;
}

function newKeys(source: KeySource): { signer: forge.pki.rsa.PrivateKey; publicKey: forge.pki.PublicKey; pem: string } {
  const pem = source();
  const publicPem = createPublicKey(pem).export({ type: 'spki', format: 'pem' }).toString();
  return { signer: nativeSigner(pem), publicKey: forge.pki.publicKeyFromPem(publicPem), pem };
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0]! &= 0x7f; // a positive serial number
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, days: number, now: Date): void {
  cert.validity.notBefore = new Date(now.getTime() - 5 * 60 * 1000); // tolerate small clock skew
  cert.validity.notAfter = new Date(now.getTime() + days * 24 * 3600 * 1000);
}

export function generateCa(commonName = 'kubectl-gray-webhook-ca', days = 3650, now = new Date(), keySource = freshRsaKey): Pem {
  const keys = newKeys(keySource);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  validity(cert, days, now);
  const subject = [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.signer, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.pem };
}

export function generateServing(ca: Pem, request: ServingRequest, now = new Date(), keySource = freshRsaKey): Pem {
  if (request.dnsNames.length === 0 && request.ips.length === 0) throw new Error('a serving certificate needs at least one DNS name or IP');
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const keys = newKeys(keySource);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  validity(cert, request.days ?? 365, now);
  cert.setSubject([{ name: 'commonName', value: request.dnsNames[0] ?? request.ips[0]! }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    // Names the CA by its key: while a rotation keeps two CAs in the bundle, verifiers that pick an issuer
    // by subject alone (OpenSSL) would otherwise try the wrong one ("certificate signature failure").
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
    { name: 'subjectAltName', altNames: [
      ...request.dnsNames.map((value) => ({ type: 2, value })),
      ...request.ips.map((ip) => ({ type: 7, ip })),
    ] },
  ]);
  cert.sign(nativeSigner(ca.key), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.pem };
}
