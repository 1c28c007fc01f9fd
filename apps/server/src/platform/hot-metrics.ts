/**
 * Metrics on the per-event path, counted in plain numbers and handed to Prometheus when the
 * registry is scraped. A prom-client child builds its label key and checks its labels on every
 * call: ~0.4 µs per `inc()`, ~1 µs per histogram `observe()` (plus a closure), and the
 * dispatcher made three such calls per event. Here an increment is an addition.
 */
import { Counter, type CounterConfiguration, type LabelValues, type Metric, type Registry } from 'prom-client';

/** One labelled series of a {@link HotCounter}. */
export interface CounterSeries {
  inc(): void;
}

class CountSeries<T extends string> implements CounterSeries {
  pending = 0;

  constructor(readonly labels: LabelValues<T>) {}

  inc(): void {
    this.pending++;
  }
}

/**
 * A prom-client counter whose hot series (`series(labels)`) add to a plain number that is
 * moved into the counter when it is collected. Its other calls (`inc`, `labels`) are
 * prom-client's own, for the rare paths.
 */
export class HotCounter<T extends string> extends Counter<T> {
  // Not initialised here: prom-client's constructor calls `reset()` before this class's
  // field initialisers would run.
  private hot?: CountSeries<T>[];

  constructor(configuration: CounterConfiguration<T>) {
    super({
      ...configuration,
      collect(this: Counter<T>) {
        (this as HotCounter<T>).flush();
      },
    });
  }

  series(labels: LabelValues<T>): CounterSeries {
    const series = new CountSeries(labels);
    (this.hot ??= []).push(series);
    return series;
  }

  /** Increments not yet scraped go too. */
  override reset(): void {
    super.reset();
    for (const series of this.hot ?? []) series.pending = 0;
  }

  private flush(): void {
    for (const series of this.hot ?? []) {
      if (series.pending === 0) continue;
      this.inc(series.labels, series.pending);
      series.pending = 0;
    }
  }
}

/** One labelled series of a {@link HotHistogram}. */
export interface HistogramSeries {
  observe(value: number): void;
}

class BucketCounts implements HistogramSeries {
  /** counts[i]: observations in (bounds[i-1], bounds[i]]; the last slot is above every bound. */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Record<string, string>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    const { bounds } = this;
    let slot = 0;
    while (slot < bounds.length && value > bounds[slot]!) slot++;
    this.counts[slot]!++;
    this.sum += value;
    this.count++;
  }
}

/** What the registry reads of a metric to expose it (prom-client's runtime shape). */
interface Exposed {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  values: { metricName: string; labels: Record<string, string | number>; value: number }[];
}

/**
 * A Prometheus histogram whose series count into arrays, exposed in the same text as
 * prom-client's `Histogram` (cumulative `_bucket` lines with `le`, then `_sum` and `_count`).
 * prom-client has no way to add many observations to its own histogram at once, so this is a
 * metric of its own, registered with the registry like any other.
 */
export class HotHistogram<T extends string> {
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly all: BucketCounts[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    // The registry reads `name`, `help`, `type`, `aggregator`, `get()` and `reset()`, all here;
    // its type lists prom-client's own metric classes only.
    registry.registerMetric(this as unknown as Metric);
  }

  series(labels: Record<T, string>): HistogramSeries {
    const series = new BucketCounts(labels, this.buckets);
    this.all.push(series);
    return series;
  }

  get(): Exposed {
    const values: Exposed['values'] = [];
    for (const series of this.all) {
      if (series.count === 0) continue;
      let cumulative = 0;
      this.buckets.forEach((bound, index) => {
        cumulative += series.counts[index]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le: bound, ...series.labels }, value: cumulative });
      });
      values.push(
        { metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...series.labels }, value: series.count },
        { metricName: `${this.name}_sum`, labels: { ...series.labels }, value: series.sum },
        { metricName: `${this.name}_count`, labels: { ...series.labels }, value: series.count },
      );
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    for (const series of this.all) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}
