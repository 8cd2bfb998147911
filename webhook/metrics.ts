// Prometheus text exposition for two series; small enough that a client library would be the bigger part.

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export class Metrics {
  private readonly decisions = new Map<string, number>();
  private readonly histograms = new Map<string, { buckets: number[]; sum: number; count: number }>();

  /** One review's outcome; rule is "none" when no rule fired. */
  decision(webhook: string, rule: string, outcome: 'allowed' | 'denied' | 'warned' | 'patched' | 'error'): void {
    const key = `webhook="${webhook}",rule="${rule}",outcome="${outcome}"`;
    this.decisions.set(key, (this.decisions.get(key) ?? 0) + 1);
  }

  latency(webhook: string, seconds: number): void {
    const h = this.histograms.get(webhook) ?? { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 };
    BUCKETS.forEach((b, i) => { if (seconds <= b) h.buckets[i]! += 1; });
    h.sum += seconds;
    h.count += 1;
    this.histograms.set(webhook, h);
  }

  render(): string {
    const lines = [
      '# HELP kubectl_gray_admission_decisions_total Admission decisions by webhook, rule and outcome.',
      '# TYPE kubectl_gray_admission_decisions_total counter',
      ...[...this.decisions].map(([labels, n]) => `kubectl_gray_admission_decisions_total{${labels}} ${n}`),
      '# HELP kubectl_gray_admission_duration_seconds Time to decide one AdmissionReview.',
      '# TYPE kubectl_gray_admission_duration_seconds histogram',
    ];
    for (const [webhook, h] of this.histograms) {
      BUCKETS.forEach((b, i) => lines.push(`kubectl_gray_admission_duration_seconds_bucket{webhook="${webhook}",le="${b}"} ${h.buckets[i]}`));
      lines.push(`kubectl_gray_admission_duration_seconds_bucket{webhook="${webhook}",le="+Inf"} ${h.count}`);
      lines.push(`kubectl_gray_admission_duration_seconds_sum{webhook="${webhook}"} ${h.sum}`);
      lines.push(`kubectl_gray_admission_duration_seconds_count{webhook="${webhook}"} ${h.count}`);
    }
    return `${lines.join('\n')}\n`;
  }
}
