// Safe install: the chart registers the validating webhook fail-open (failurePolicy Ignore), so a webhook
// that never starts can never block VirtualService/DestinationRule edits. The webhook itself switches its
// configuration to the configured failurePolicy only once it has seen, through the API server, that the
// API server reaches it and gets its refusals: a server-side dry run (nothing is stored) of a known-bad
// VirtualService, labelled for the `selfcheck.kubectl-gray.io` entry, in the webhook's own namespace.
// Istio's validation webhook does the same ("Endpoint successfully rejected invalid config. Switching to
// fail-close"). Until then it stays open and says so: a metric, an Event, a log line; and it checks
// again with a backoff, and keeps checking afterwards (a `helm upgrade` puts the rendered Ignore back).
import { ApiError } from '../kube/errors.js';
import type { KubeRest } from '../kube/rest.js';
import { retryOnConflict } from '../kube/retry.js';

export const SELF_CHECK_WEBHOOK = 'selfcheck.kubectl-gray.io';
export const SELF_CHECK_LABEL = 'kubectl-gray.io/self-check';

export type FailurePolicy = 'Fail' | 'Ignore';

/** closed: the main entries fail closed; open: they do not (yet); unknown: the configuration could not be read. */
export type FailState = 'closed' | 'open' | 'unknown';

export interface FailClosedOptions {
  namespace: string;
  /** Name of our ValidatingWebhookConfiguration. */
  configName: string;
  /** The failurePolicy the admin configured for the main entries. */
  target: FailurePolicy;
  /** Pod name and uid, for Events; without them state changes are only logged. */
  pod?: { name: string; uid?: string };
  /** Pause between checks while in the target state (default 30 s). */
  steadyMs?: number;
  /** Backoff while not proven: first pause, growth factor, cap. */
  backoff?: { firstMs: number; factor: number; maxMs: number };
}

interface WebhookEntry { name: string; failurePolicy?: string }
interface WebhookConfiguration { metadata: { name: string; resourceVersion?: string }; webhooks?: WebhookEntry[] }

interface Log { info(obj: object, msg: string): void; warn(obj: object, msg: string): void }

type Rest = Pick<KubeRest, 'request'>;

const CONFIG_PATH = (name: string) => `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${name}`;

/** Weights totalling 90: GRAY101, a rule only kubectl-gray enforces, so a refusal can only come from us. */
export function selfCheckObject(namespace: string, apiVersion = 'networking.istio.io/v1'): object {
  return {
    apiVersion, kind: 'VirtualService',
    metadata: { name: 'kubectl-gray-self-check', namespace, labels: { [SELF_CHECK_LABEL]: 'true' } },
    spec: {
      hosts: ['kubectl-gray-self-check'],
      http: [{ route: [
        { destination: { host: 'kubectl-gray-self-check' }, weight: 60 },
        { destination: { host: 'kubectl-gray-self-check-other' }, weight: 30 },
      ] }],
    },
  };
}

export type SelfCheck = { proven: true } | { proven: false; reason: string };

/** Whether the API server calls this webhook and honours its refusal. */
export async function selfCheck(rest: Rest, namespace: string): Promise<SelfCheck> {
  for (const version of ['v1', 'v1beta1']) {
    try {
      await rest.request('POST', `/apis/networking.istio.io/${version}/namespaces/${namespace}/virtualservices?dryRun=All`, selfCheckObject(namespace, `networking.istio.io/${version}`));
      return { proven: false, reason: 'the API server accepted a known-bad VirtualService: it did not reach the webhook (no ready pod behind the Service, a network policy, or a caBundle it does not trust yet)' };
    } catch (err) {
      if (err instanceof ApiError && err.isNotFound && version === 'v1') continue; // an older Istio: v1beta1 only
      if (err instanceof ApiError && err.serverMessage.includes(`admission webhook "${SELF_CHECK_WEBHOOK}" denied the request`) && err.serverMessage.includes('GRAY101')) {
        return { proven: true };
      }
      return { proven: false, reason: `the self-check request failed: ${err instanceof ApiError ? `${err.reason}: ${err.serverMessage}` : String((err as Error)?.message ?? err)}` };
    }
  }
  return { proven: false, reason: 'no VirtualService API (networking.istio.io v1 or v1beta1) is served' };
}

export class FailurePolicyController {
  state: FailState = 'unknown';
  reason = 'not checked yet';
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private reported = '';
  readonly checks = { proven: 0, notProven: 0 };

  constructor(private readonly rest: Rest, private readonly options: FailClosedOptions, private readonly log: Log, private readonly clock: () => Date = () => new Date()) {}

  /** The main entries: every entry but the self-check, which always fails open. */
  private mains(config: WebhookConfiguration): WebhookEntry[] {
    return (config.webhooks ?? []).filter((w) => w.name !== SELF_CHECK_WEBHOOK);
  }

  /** One step. Returns how long to wait before the next. */
  async pass(): Promise<number> {
    const { firstMs, factor, maxMs } = this.options.backoff ?? { firstMs: 1000, factor: 1.5, maxMs: 30_000 };
    const steady = this.options.steadyMs ?? 30_000;
    const backoff = () => Math.min(maxMs, firstMs * factor ** this.attempt++);
    const target = this.options.target;
    let config: WebhookConfiguration;
    try {
      config = (await this.rest.request<WebhookConfiguration>('GET', CONFIG_PATH(this.options.configName))).body;
    } catch (err) {
      await this.report('unknown', `cannot read ValidatingWebhookConfiguration ${this.options.configName}: ${String((err as Error)?.message ?? err)}`);
      return backoff();
    }
    const mains = this.mains(config);
    if (mains.length > 0 && mains.every((w) => w.failurePolicy === target)) {
      this.attempt = 0;
      await this.report(target === 'Fail' ? 'closed' : 'open', target === 'Fail' ? 'failurePolicy Fail (switched after a self-check)' : 'failurePolicy Ignore, as configured');
      return steady;
    }
    if (target === 'Fail') {
      const check = await selfCheck(this.rest, this.options.namespace);
      if (!check.proven) {
        this.checks.notProven += 1;
        await this.report('open', check.reason);
        return backoff();
      }
      this.checks.proven += 1;
    }
    // Proven (or the configured policy is the safe one): set the main entries, leaving every other field alone.
    try {
      await retryOnConflict(async () => {
        const current = (await this.rest.request<WebhookConfiguration>('GET', CONFIG_PATH(this.options.configName))).body;
        const entries = this.mains(current).filter((w) => w.failurePolicy !== target);
        if (entries.length === 0) return;
        for (const w of entries) w.failurePolicy = target;
        await this.rest.request('PUT', CONFIG_PATH(this.options.configName), current);
      }, 10);
    } catch (err) {
      await this.report('open', `cannot update ValidatingWebhookConfiguration ${this.options.configName}: ${String((err as Error)?.message ?? err)}`);
      return backoff();
    }
    this.attempt = 0;
    await this.report(target === 'Fail' ? 'closed' : 'open', target === 'Fail'
      ? 'the API server reached the webhook and honoured its refusal of a known-bad object: switched to failurePolicy Fail'
      : 'failurePolicy Ignore, as configured');
    return steady;
  }

  /** Logs and records an Event when the state or its reason changes; the metric reads `state`. */
  private async report(state: FailState, reason: string): Promise<void> {
    this.state = state;
    this.reason = reason;
    const key = `${state}|${reason}`;
    if (key === this.reported) return;
    this.reported = key;
    const closed = state === 'closed';
    const message = closed
      ? `ValidatingWebhookConfiguration ${this.options.configName} fails closed: ${reason}`
      : `ValidatingWebhookConfiguration ${this.options.configName} is fail-open (VirtualService/DestinationRule changes are not guarded while the webhook is unreachable): ${reason}`;
    (closed || this.options.target === 'Ignore' ? this.log.info : this.log.warn).call(this.log, { failurePolicyState: state, config: this.options.configName }, message);
    if (!this.options.pod) return;
    const now = this.clock().toISOString();
    const reasonCode = state === 'closed' ? 'WebhookFailClosed' : 'WebhookFailOpen';
    try {
      await this.rest.request('POST', `/api/v1/namespaces/${this.options.namespace}/events`, {
        apiVersion: 'v1', kind: 'Event',
        metadata: { generateName: `${this.options.pod.name}.`, namespace: this.options.namespace },
        involvedObject: { apiVersion: 'v1', kind: 'Pod', name: this.options.pod.name, namespace: this.options.namespace, ...(this.options.pod.uid ? { uid: this.options.pod.uid } : {}) },
        reason: reasonCode, message: message.slice(0, 1024),
        type: closed || this.options.target === 'Ignore' ? 'Normal' : 'Warning',
        source: { component: 'kubectl-gray-webhook' }, reportingComponent: 'kubectl-gray-webhook', reportingInstance: this.options.pod.name,
        firstTimestamp: now, lastTimestamp: now, count: 1,
      });
    } catch (err) {
      this.log.warn({ err: String((err as Error)?.message ?? err) }, 'could not record an Event');
    }
  }

  start(): void {
    const tick = () => {
      this.pass().catch((err) => { this.log.warn({ err: String(err) }, 'failure-policy check failed'); return 30_000; }).then((wait) => {
        if (this.timer !== undefined) this.timer = setTimeout(tick, wait);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
