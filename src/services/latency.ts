/** Upper bounds (seconds) of the latency buckets: fine below 20 ms, where the webhook target lies. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One labelled series of a Prometheus histogram: cumulative only when rendered. */
interface Series {
  labels: Record<string, string>;
  counts: number[];
  sum: number;
  count: number;
}

/** An in-memory latency histogram keyed by a small, bounded set of label values. */
export class LatencyHistogram {
  private readonly series = new Map<string, Series>();
  /** Series by labels object, for callers that pass the same object each time (the webhook path does). */
  private readonly byObject = new WeakMap<Record<string, string>, Series>();
  constructor(readonly buckets: readonly number[] = LATENCY_BUCKETS) {}

  /** Records one observation (seconds) under `labels` (values must come from a bounded set). */
  observe(labels: Record<string, string>, seconds: number): void {
    let s = this.byObject.get(labels);
    if (!s) {
      const id = JSON.stringify(labels);
      s = this.series.get(id);
      if (!s) this.series.set(id, (s = { labels, counts: new Array(this.buckets.length).fill(0), sum: 0, count: 0 }));
      this.byObject.set(labels, s);
    }
    const i = this.buckets.findIndex((b) => seconds <= b);
    if (i >= 0) s.counts[i]!++;
    s.sum += seconds;
    s.count++;
  }

  /** Each series with cumulative bucket counts (`le` order as `buckets`, then +Inf = count). */
  snapshot(): Array<{ labels: Record<string, string>; cumulative: number[]; sum: number; count: number }> {
    return [...this.series.values()].map((s) => {
      let run = 0;
      return { labels: s.labels, cumulative: s.counts.map((c) => (run += c)), sum: s.sum, count: s.count };
    });
  }
}
