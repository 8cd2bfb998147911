// The webhook's Prometheus metrics, through prom-client: the admission series the tests and dashboards
// know (kubectl_gray_admission_*), Node's standard process metrics (event-loop lag, heap, GC, CPU) and
// the states an operator asks about (fail-open or closed, certificate expiry, cache sync, leadership),
// read at scrape time from whoever owns them. One registry per server, so tests never share series.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export type Outcome = 'allowed' | 'denied' | 'warned' | 'audited' | 'exempted' | 'patched' | 'error';

/** A gauge's value(s) at scrape time: one number, or one per label set. */
export type Reading = number | Array<{ labels: Record<string, string>; value: number }>;

export interface MetricsOptions {
  /** Node's process metrics (process_*, nodejs_*); on in the served webhook, off by default for tests. */
  processMetrics?: boolean;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly decisions = new Counter({
    name: 'kubectl_gray_admission_decisions_total', help: 'Admission decisions by webhook, rule and outcome.',
    labelNames: ['webhook', 'rule', 'outcome'] as const, registers: [this.registry],
  });
  private readonly durations = new Histogram({
    name: 'kubectl_gray_admission_duration_seconds', help: 'Time to decide one AdmissionReview.',
    labelNames: ['webhook'] as const, buckets: BUCKETS, registers: [this.registry],
  });

  constructor(options: MetricsOptions = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
  }

  /** One review's outcome; rule is "none" when no rule fired. */
  decision(webhook: string, rule: string, outcome: Outcome): void {
    this.decisions.inc({ webhook, rule, outcome });
  }

  latency(webhook: string, seconds: number): void {
    this.durations.observe({ webhook }, seconds);
  }

  /** A gauge whose value is read from `read` at each scrape. */
  gauge(name: string, help: string, read: () => Reading, labelNames: string[] = []): void {
    new Gauge({
      name, help, labelNames, registers: [this.registry],
      collect() {
        const value = read();
        this.reset();
        if (typeof value === 'number') this.set(value);
        else for (const v of value) this.set(v.labels, v.value);
      },
    });
  }

  /** A counter owned by a component (self-checks, confirmations). */
  counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
