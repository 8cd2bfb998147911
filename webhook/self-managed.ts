// Self-managed certificates, the cluster half: keep the CA and serving certificate in a Secret (several
// replicas share one), write the serving pair where the TLS watcher reads it, and put the CA bundle
// into our own webhook configurations. Every write carries the resourceVersion it read.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError } from '../kube/errors.js';
import type { KubeRest } from '../kube/rest.js';
import { isRace, retryOnConflict } from '../kube/retry.js';
import type { KeySource } from './certs.js';
import { type CertAction, type CertNeeds, type CertSecret, planCertificates, signedBy, splitPems } from './cert-plan.js';

export interface SelfManagedOptions extends CertNeeds {
  namespace: string;
  secretName: string;
  /** Names of our ValidatingWebhookConfiguration and MutatingWebhookConfiguration. */
  webhookConfigName: string;
  certDir: string;
  /** Our APIService (the route query), whose caBundle trusts the same CA; none when it is not served. */
  apiServiceName?: string;
  /** Where new RSA keys come from (default: fresh ones; tests hand in fixture keys). */
  keySource?: KeySource;
}

interface OwnerReference { apiVersion: string; kind: string; name: string; uid: string }

interface Secret {
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string>; ownerReferences?: OwnerReference[] };
  type?: string;
  data?: Record<string, string>;
}

interface WebhookConfiguration {
  metadata: { name: string; uid?: string; resourceVersion?: string };
  webhooks?: Array<{ clientConfig?: { caBundle?: string } }>;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString('utf8') : undefined);

interface Log { info(obj: object, msg: string): void; warn(obj: object, msg: string): void }

/** On the Secret: the leader rotates the CA at its next pass and removes the annotation (`kubectl annotate secret ... kubectl-gray.io/rotate-ca=now`). */
export const ROTATE_CA_ANNOTATION = 'kubectl-gray.io/rotate-ca';

const VALIDATING_PATH = (name: string) => `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${name}`;

/**
 * The Secret is ours, not the chart's (nothing certificate-like is rendered), so `helm uninstall` would
 * leave it behind. Owned by our ValidatingWebhookConfiguration, which helm does delete, the garbage
 * collector removes it too.
 */
export async function secretOwner(rest: KubeRest, name: string): Promise<OwnerReference | undefined> {
  try {
    const config = (await rest.request<WebhookConfiguration>('GET', VALIDATING_PATH(name))).body;
    return config.metadata.uid
      ? { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', name, uid: config.metadata.uid }
      : undefined;
  } catch (err) {
    if (err instanceof ApiError && err.isNotFound) return undefined;
    throw err;
  }
}

/** One pass: reconcile the Secret, the files and the caBundles. Returns what it did to the certificates. */
export async function reconcileCertificates(rest: KubeRest, options: SelfManagedOptions, log: Log, now = new Date()): Promise<CertAction> {
  const secretPath = `/api/v1/namespaces/${options.namespace}/secrets/${options.secretName}`;
  const owner = await secretOwner(rest, options.webhookConfigName);
  const secret = await retryOnConflict(async () => {
    let existing: Secret | undefined;
    try {
      existing = (await rest.request<Secret>('GET', secretPath)).body;
    } catch (err) {
      if (!(err instanceof ApiError && err.isNotFound)) throw err;
    }
    const current = existing?.data ? Object.fromEntries(Object.entries(existing.data).map(([k, v]) => [k, unb64(v)])) as Partial<CertSecret> : undefined;
    const forceRotateCa = existing?.metadata.annotations?.[ROTATE_CA_ANNOTATION] !== undefined;
    const plan = planCertificates(current, options, now, options.keySource, forceRotateCa);
    const owned = !owner || (existing?.metadata.ownerReferences ?? []).some((o) => o.uid === owner.uid);
    if (plan.action !== 'keep' || !owned) {
      const { [ROTATE_CA_ANNOTATION]: _done, ...annotations } = existing?.metadata.annotations ?? {};
      const ownerReferences = [...(existing?.metadata.ownerReferences ?? []).filter((o) => o.kind !== owner?.kind || o.name !== owner?.name), ...(owner ? [owner] : [])];
      const body: Secret = {
        metadata: {
          ...existing?.metadata,
          name: options.secretName, namespace: options.namespace,
          labels: { ...existing?.metadata.labels, 'app.kubernetes.io/managed-by': 'kubectl-gray-webhook' },
          ...(existing?.metadata.annotations ? { annotations } : {}),
          ...(ownerReferences.length > 0 ? { ownerReferences } : {}),
        },
        type: 'Opaque',
        data: Object.fromEntries(Object.entries(plan.secret).map(([k, v]) => [k, b64(v)])),
      };
      if (existing) await rest.request('PUT', secretPath, body);
      else await rest.request('POST', `/api/v1/namespaces/${options.namespace}/secrets`, body);
      log.info({ secret: `${options.namespace}/${options.secretName}`, action: plan.action }, 'certificates updated');
    }
    return { action: plan.action, data: plan.secret };
  }, 10, (err) => isRace(err, true)); // replicas starting together race to create the Secret

  const caBundle = b64(secret.data['ca-bundle.crt']);
  for (const kind of ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations']) {
    const path = kind === 'validatingwebhookconfigurations' ? VALIDATING_PATH(options.webhookConfigName) : `/apis/admissionregistration.k8s.io/v1/${kind}/${options.webhookConfigName}`;
    await retryOnConflict(async () => {
      let config: WebhookConfiguration;
      try {
        config = (await rest.request<WebhookConfiguration>('GET', path)).body;
      } catch (err) {
        if (err instanceof ApiError && err.isNotFound) return log.warn({ kind, name: options.webhookConfigName }, 'webhook configuration not found; caBundle not set');
        throw err;
      }
      if ((config.webhooks ?? []).every((w) => w.clientConfig?.caBundle === caBundle)) return;
      for (const w of config.webhooks ?? []) w.clientConfig = { ...w.clientConfig, caBundle };
      await rest.request('PUT', path, config);
      log.info({ kind, name: options.webhookConfigName }, 'caBundle updated');
    }, 10);
  }
  if (options.apiServiceName) {
    const path = `/apis/apiregistration.k8s.io/v1/apiservices/${options.apiServiceName}`;
    await retryOnConflict(async () => {
      let service: { spec?: { caBundle?: string } };
      try {
        service = (await rest.request<{ spec?: { caBundle?: string } }>('GET', path)).body;
      } catch (err) {
        if (err instanceof ApiError && err.isNotFound) return log.warn({ kind: 'apiservices', name: options.apiServiceName }, 'APIService not found; caBundle not set');
        throw err;
      }
      if (service.spec?.caBundle === caBundle) return;
      service.spec = { ...service.spec, caBundle };
      await rest.request('PUT', path, service);
      log.info({ kind: 'apiservices', name: options.apiServiceName }, 'caBundle updated');
    }, 10);
  }
  // Served only now that the configurations trust its issuer: never a certificate the API server would refuse.
  writeServingFiles(options.certDir, secret.data);
  return secret.action;
}

/** Write-then-rename, so the TLS watcher never reads a half-written file. Returns whether anything changed. */
export function writeServingFiles(certDir: string, data: Pick<CertSecret, 'tls.crt' | 'tls.key'>): boolean {
  mkdirSync(certDir, { recursive: true });
  let changed = false;
  for (const [file, mode] of [['tls.key', 0o600], ['tls.crt', 0o644]] as const) {
    const target = join(certDir, file);
    if (existsSync(target) && readFileSync(target, 'utf8') === data[file]) continue;
    writeFileSync(`${target}.tmp`, data[file], { mode });
    renameSync(`${target}.tmp`, target);
    changed = true;
  }
  return changed;
}

/**
 * A replica that does not hold the lease: serve what the leader keeps in the Secret, once the validating
 * configuration's caBundle trusts its issuer (during a CA rotation the leader adds the new CA to the
 * bundle one pass before it signs with it). Returns 'waiting' while there is nothing servable yet.
 */
export async function syncServingFiles(rest: KubeRest, options: SelfManagedOptions, log: Log): Promise<{ result: 'unchanged' | 'updated' | 'waiting'; caCert?: string }> {
  let secret: Secret;
  try {
    secret = (await rest.request<Secret>('GET', `/api/v1/namespaces/${options.namespace}/secrets/${options.secretName}`)).body;
  } catch (err) {
    if (err instanceof ApiError && err.isNotFound) return { result: 'waiting' };
    throw err;
  }
  const caCert = unb64(secret.data?.['ca.crt']);
  const tlsCrt = unb64(secret.data?.['tls.crt']);
  const tlsKey = unb64(secret.data?.['tls.key']);
  if (!tlsCrt || !tlsKey) return { result: 'waiting' };
  let trusted = true;
  try {
    const config = (await rest.request<WebhookConfiguration>('GET', VALIDATING_PATH(options.webhookConfigName))).body;
    const bundles = (config.webhooks ?? []).map((w) => unb64(w.clientConfig?.caBundle) ?? '');
    trusted = bundles.length > 0 && bundles.every((b) => splitPems(b).some((ca) => signedBy(tlsCrt, ca)));
  } catch (err) {
    if (!(err instanceof ApiError && err.isNotFound)) throw err; // no configuration (yet): nothing to be refused by
  }
  if (!trusted) {
    log.info({ secret: `${options.namespace}/${options.secretName}` }, 'new serving certificate not yet trusted by the webhook configuration; keeping the current one');
    return { result: existsSync(join(options.certDir, 'tls.crt')) ? 'unchanged' : 'waiting', caCert };
  }
  const changed = writeServingFiles(options.certDir, { 'tls.crt': tlsCrt, 'tls.key': tlsKey });
  if (changed) log.info({ secret: `${options.namespace}/${options.secretName}` }, 'serving certificate taken from the Secret');
  return { result: changed ? 'updated' : 'unchanged', caCert };
}
