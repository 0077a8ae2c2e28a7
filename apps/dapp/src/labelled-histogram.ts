import type { Metric, Registry } from 'prom-client';

/** One label combination's buckets: counts[i] observations fell in (buckets[i-1], buckets[i]]. */
interface Series {
  labels: Record<string, string>;
  counts: number[];
  sum: number;
  count: number;
  /** Made once with the series: handing it out again costs the request path no allocation. */
  handle: HistogramSeries;
}

export interface HistogramSeries {
  observe(value: number): void;
}

/**
 * A Prometheus histogram with labels whose series are looked up once and then observed at the cost of a
 * bucket search and three additions, registered in a prom-client Registry like any of its metrics.
 *
 * Why by hand: prom-client's observe() re-validates and hashes the label values on every call, even
 * through a child from labels(). On the request path (one observation per request) that was a measurable
 * share of a cached read (docs/operations.md). Exposition is the same text as prom-client's own histogram: cumulative `_bucket` series
 * with `le`, then `+Inf`, `_sum` and `_count` per label combination.
 */
export class LabelledHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    if (buckets.some((b, i) => i > 0 && b <= buckets[i - 1]!)) {
      throw new Error(`${name}: buckets must increase`);
    }
    registry.registerMetric(this as unknown as Metric);
  }

  /** The series of one label combination (values in the order of the label names); keep it, it stays valid. */
  labels(...values: string[]): HistogramSeries {
    if (values.length !== this.labelNames.length) {
      throw new Error(`${this.name}: expected labels ${this.labelNames.join(', ')}`);
    }
    const key = values.join('\u0000');
    let series = this.series.get(key);
    if (!series) {
      const { buckets } = this;
      const target: Series = {
        labels: Object.fromEntries(this.labelNames.map((n, i) => [n, values[i]!])),
        counts: new Array<number>(buckets.length + 1).fill(0),
        sum: 0,
        count: 0,
        handle: {
          observe(value: number) {
            if (!Number.isFinite(value)) return;
            let i = 0;
            while (i < buckets.length && value > buckets[i]!) i++;
            target.counts[i]! += 1;
            target.sum += value;
            target.count += 1;
          },
        },
      };
      series = target;
      this.series.set(key, series);
    }
    return series.handle;
  }

  /**
   * What prom-client's Registry renders as text: the series' labels as shared labels, `le` in front (the
   * same order as prom-client's own histograms).
   */
  async getForPromString() {
    type Value = {
      labels: Record<string, string | number>;
      sharedLabels: Record<string, string>;
      value: number;
      metricName: string;
    };
    const values: Value[] = [];
    const bucket = `${this.name}_bucket`;
    for (const { labels, counts, sum, count } of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += counts[i]!;
        values.push({ labels: { le }, sharedLabels: labels, value: cumulative, metricName: bucket });
      });
      values.push({ labels: { le: '+Inf' }, sharedLabels: labels, value: count, metricName: bucket });
      values.push({ labels: {}, sharedLabels: labels, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: labels, value: count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** The same as objects (Registry.getMetricsAsJSON), each value's labels in one object. */
  async get() {
    const metric = await this.getForPromString();
    return {
      ...metric,
      values: metric.values.map(({ labels, sharedLabels, value, metricName }) => ({
        labels: { ...labels, ...sharedLabels },
        value,
        metricName,
      })),
    };
  }

  /** Zeroes every series in place, so handles from labels() stay valid. */
  reset(): void {
    for (const series of this.series.values()) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}
