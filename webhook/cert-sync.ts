// Two replicas, one certificate owner. The replica holding the Lease creates, renews and rotates the
// certificates (reconcileCertificates); every replica serves what the Secret holds, taken up without a
// restart (the TLS watcher reloads the files) once the webhook configuration trusts its issuer.
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeRest } from '../kube/rest.js';
import type { LeaseElector } from './lease.js';
import { type SelfManagedOptions, reconcileCertificates, syncServingFiles } from './self-managed.js';

interface Log { info(obj: object, msg: string): void; warn(obj: object, msg: string): void }

export class CertificateKeeper {
  /** When the current CA expires, as last read from the Secret. */
  caExpiry: Date | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly rest: KubeRest, private readonly options: SelfManagedOptions, private readonly elector: Pick<LeaseElector, 'isLeader' | 'tryAcquireOrRenew'>,
    private readonly log: Log, private readonly intervalMs = 5_000,
  ) {}

  /** One pass: the leader reconciles the Secret and the caBundles; every replica takes its files from the Secret. */
  async pass(): Promise<void> {
    if (this.elector.isLeader()) await reconcileCertificates(this.rest, this.options, this.log);
    const synced = await syncServingFiles(this.rest, this.options, this.log);
    if (synced.caCert) this.caExpiry = new Date(new X509Certificate(synced.caCert).validTo);
  }

  /** Until this replica has a serving pair: take the Lease if free (and make the pair), else wait for the leader's. */
  async firstMaterial(pauseMs = 1_000): Promise<void> {
    for (let n = 0; ; n++) {
      await this.elector.tryAcquireOrRenew();
      try {
        await this.pass();
      } catch (err) {
        this.log.warn({ err: String((err as Error)?.message ?? err) }, 'certificate pass failed; retrying');
      }
      if (existsSync(join(this.options.certDir, 'tls.crt')) && existsSync(join(this.options.certDir, 'tls.key'))) return;
      if (n % 10 === 0) this.log.info({ secret: `${this.options.namespace}/${this.options.secretName}` }, 'waiting for the leader to write the certificates');
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  }

  start(): void {
    const tick = () => {
      this.pass().catch((err) => this.log.warn({ err: String((err as Error)?.message ?? err) }, 'certificate check failed')).finally(() => {
        if (this.timer !== undefined) this.timer = setTimeout(tick, this.intervalMs);
      });
    };
    this.timer = setTimeout(tick, this.intervalMs);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
