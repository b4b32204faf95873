import type { Registry } from 'prom-client';

/** What prom-client's registry reads from a metric at scrape time (its typings model only its own classes). */
interface ScrapedValue {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/** One label set's buckets: plain numbers the request path bumps without hashing anything. */
export class HistogramSeries {
  readonly bounds: readonly number[];
  /** Non-cumulative counts per bound; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}

/**
 * A histogram whose hot path is a bucket scan and three additions. prom-client's own Histogram
 * hashes the label set on every observe (measured ≈4 µs per request on this machine); here each
 * label set is looked up once and kept by the caller, and the registry reads the figures at scrape
 * time through its custom-metric interface (`name`, `help`, `type`, `get()`), so the exposition
 * format is still prom-client's.
 */
export class FastHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly label: string;
  private readonly bounds: readonly number[];
  private readonly series = new Map<string, HistogramSeries>();

  constructor(opts: { name: string; help: string; label: string; buckets: readonly number[]; registry: Registry }) {
    this.name = opts.name;
    this.help = opts.help;
    this.label = opts.label;
    this.bounds = opts.buckets;
    opts.registry.registerMetric(this as never);
  }

  /** The series for one label value; keep it, and observe on it directly. */
  for(value: string): HistogramSeries {
    let s = this.series.get(value);
    if (!s) {
      s = new HistogramSeries(this.bounds);
      this.series.set(value, s);
    }
    return s;
  }

  reset(): void {
    this.series.clear();
  }

  get(): Promise<{ name: string; help: string; type: 'histogram'; values: ScrapedValue[]; aggregator: 'sum' }> {
    const values: ScrapedValue[] = [];
    for (const [lv, s] of this.series) {
      let acc = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        acc += s.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le: i < this.bounds.length ? this.bounds[i]! : '+Inf', [this.label]: lv }, value: acc });
      }
      values.push({ metricName: `${this.name}_sum`, labels: { [this.label]: lv }, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: { [this.label]: lv }, value: s.count });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }
}
