// The webhook's Prometheus metrics, through prom-client: the admission series the tests and dashboards
// know (kubectl_gray_admission_*), Node's standard process metrics (event-loop lag, heap, GC, CPU) and
// the states an operator asks about (fail-open or closed, certificate expiry, cache sync, leadership),
// read at scrape time from whoever owns them. One registry per server, so tests never share series.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export type Outcome = 'allowed' | 'denied' | 'warned' | 'patched' | 'error';

/** A gauge's value(s) at scrape time: one number, or one per label set. */
export type Reading = number | Array<{ labels: Record<string, string>; value: number }>;

export interface MetricsOptions {
  /** Node's process metrics (process_*, nodejs_*); on in the served webhook, off by default for tests. */
  processMetrics?: boolean;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly decisions: DecisionCounter;
  private readonly durations: LatencyHistogram;

  constructor(options: MetricsOptions = {}) {
    // Both kept in plain maps and arrays, rendered by the registry like any metric (see the classes below).
    this.decisions = new DecisionCounter('kubectl_gray_admission_decisions_total', 'Admission decisions by webhook, rule and outcome.');
    this.durations = new LatencyHistogram('kubectl_gray_admission_duration_seconds', 'Time to decide one AdmissionReview.', BUCKETS);
    for (const metric of [this.decisions, this.durations]) this.registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
  }

  /** One review's outcome; rule is "none" when no rule fired. */
  decision(webhook: string, rule: string, outcome: Outcome): void {
    this.decisions.inc(webhook, rule, outcome);
  }

  latency(webhook: string, seconds: number): void {
    this.durations.observe(webhook, seconds);
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

/**
 * The admission decisions counter, kept like the latency histogram below and for the same reason: prom-client's
 * inc validated and hashed its label object on every review. Series in the order they first occurred, labels in
 * prom-client's order (webhook, rule, outcome): the same text.
 */
class DecisionCounter {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  private readonly series: Array<{ labels: { webhook: string; rule: string; outcome: Outcome }; value: number }> = [];
  // webhook -> rule -> outcome -> series: three lookups of strings the code holds (their hashes kept), where one
  // key built per review had to be joined and hashed each time (~0.25 us against ~0.03).
  private readonly byLabels = new Map<string, Map<string, Map<Outcome, { value: number }>>>();

  constructor(readonly name: string, readonly help: string) {}

  inc(webhook: string, rule: string, outcome: Outcome): void {
    let byRule = this.byLabels.get(webhook);
    if (!byRule) this.byLabels.set(webhook, byRule = new Map());
    let byOutcome = byRule.get(rule);
    if (!byOutcome) byRule.set(rule, byOutcome = new Map());
    const s = byOutcome.get(outcome);
    if (s) s.value++;
    else {
      const added = { labels: { webhook, rule, outcome }, value: 1 };
      byOutcome.set(outcome, added);
      this.series.push(added);
    }
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: Array<{ labels: Record<string, string>; value: number }> } {
    const values = this.series.map((s) => ({ labels: { ...s.labels }, value: s.value }));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.length = 0;
    this.byLabels.clear();
  }
}

/**
 * The admission latency histogram, by webhook, in plain arrays and rendered by the registry like any metric
 * (a metric is what has name, help, type and get()). prom-client's own observe validated and hashed its labels on
 * every call: 2 us of each review in the served webhook, where the whole judgement is about 17.
 */
class LatencyHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();

  constructor(readonly name: string, readonly help: string, private readonly bounds: readonly number[]) {}

  observe(webhook: string, seconds: number): void {
    let s = this.series.get(webhook);
    if (!s) this.series.set(webhook, s = { counts: this.bounds.map(() => 0), sum: 0, count: 0 });
    let i = 0;
    while (i < this.bounds.length && seconds > this.bounds[i]!) i++; // the bucket is the first bound at or above
    if (i < this.bounds.length) s.counts[i]!++;
    s.sum += seconds;
    s.count++;
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> } {
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
    for (const [webhook, s] of this.series) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += s.counts[i]!;
        values.push({ labels: { le, webhook }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', webhook }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { webhook }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { webhook }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.clear();
  }
}
