// Self-managed certificates, the cluster half: keep the CA and serving certificate in a Secret (several
// replicas share one), write the serving pair where the TLS watcher reads it, and put the CA bundle
// into our own webhook configurations. Every write carries the resourceVersion it read.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError } from '../kube/errors.js';
import type { KubeRest } from '../kube/rest.js';
import { isRace, retryOnConflict } from '../kube/retry.js';
import { type CertAction, type CertNeeds, type CertSecret, planCertificates } from './cert-plan.js';

export interface SelfManagedOptions extends CertNeeds {
  namespace: string;
  secretName: string;
  /** Names of our ValidatingWebhookConfiguration and MutatingWebhookConfiguration. */
  webhookConfigName: string;
  certDir: string;
}

interface OwnerReference { apiVersion: string; kind: string; name: string; uid: string }

interface Secret {
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string>; ownerReferences?: OwnerReference[] };
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

const VALIDATING_PATH = (name: string) => `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${name}`;

/**
 * The Secret is ours, not the chart's (nothing certificate-like is rendered), so `helm uninstall` would
 * leave it behind. Owned by our ValidatingWebhookConfiguration, which helm does delete, the garbage
 * collector removes it too.
 */
async function secretOwner(rest: KubeRest, name: string): Promise<OwnerReference | undefined> {
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
    const plan = planCertificates(current, options, now);
    const owned = !owner || (existing?.metadata.ownerReferences ?? []).some((o) => o.uid === owner.uid);
    if (plan.action !== 'keep' || !owned) {
      const ownerReferences = [...(existing?.metadata.ownerReferences ?? []).filter((o) => o.kind !== owner?.kind || o.name !== owner?.name), ...(owner ? [owner] : [])];
      const body: Secret = {
        metadata: {
          ...existing?.metadata,
          name: options.secretName, namespace: options.namespace,
          labels: { ...existing?.metadata.labels, 'app.kubernetes.io/managed-by': 'kubectl-gray-webhook' },
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

  mkdirSync(options.certDir, { recursive: true });
  // Write-then-rename, so the TLS watcher never reads a half-written file.
  for (const [file, mode] of [['tls.key', 0o600], ['tls.crt', 0o644]] as const) {
    const target = join(options.certDir, file);
    writeFileSync(`${target}.tmp`, secret.data[file], { mode });
    renameSync(`${target}.tmp`, target);
  }

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
  return secret.action;
}
