// The engine's Metrics port in Prometheus format, with a registry per service (never prom-client's
// global one: two services in one process — the runner's tests do that — would otherwise share counters).
// Families are created on first use under the `synclag_` prefix; counters keep the engine's `_total`
// names, histograms are in milliseconds (`*_ms`), gauges carry their unit in the name too.
// Easy to get wrong: (1) a family's label names are fixed when it is created — a later call with other
// label keys must be mapped onto them, not thrown. (2) This runs ~15 times per order on the engine's hot
// path, so a series is found by its label values and updated with plain arithmetic; prom-client only
// formats the text on a scrape (its own Counter/Histogram sort, hash and validate the labels on every
// call: ~7 % of the engine's CPU per order in the engine benchmark's profile).

import { Registry, collectDefaultMetrics } from "prom-client";
import type { Labels, Metrics } from "@synclag/core";

/**
 * Bucket bounds (ms) of every histogram: from sub-millisecond pushes to a day of polling lag (ERP
 * connectors poll hourly; polling intervals up to a year are accepted) — with 15 min the last bound,
 * polling:1h's lags all landed in +Inf and no quantile of them could be read.
 */
export const LATENCY_BUCKETS_MS: readonly number[] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 86_400_000];

const PREFIX = "synclag_";

function sanitize(name: string): string {
  return PREFIX + name.replace(/[^a-zA-Z0-9_]/g, "_");
}

interface Series {
  readonly labels: Readonly<Record<string, string>>;
  value: number;
  /** Histograms only: count per bucket (not cumulative), then +Inf. */
  readonly buckets: number[] | undefined;
  sum: number;
}

interface MetricValue {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName?: string;
}

/** One metric family as prom-client's Registry sees it (`name`, `get()`, `reset()`). */
class Family {
  readonly help: string;
  private readonly byKey = new Map<string, Series>();
  private unlabelled: Series | undefined;

  constructor(
    readonly name: string,
    readonly type: "counter" | "histogram" | "gauge",
    private readonly labelNames: readonly string[],
  ) {
    this.help = `synclag engine ${type} ${name.slice(PREFIX.length)}${type === "histogram" ? " (ms)" : ""}`;
  }

  /** How prom-client's cluster aggregation combines workers: counters and histograms add up; a gauge (a level every worker reads from the shared store) does not. */
  get aggregator(): "sum" | "max" {
    return this.type === "gauge" ? "max" : "sum";
  }

  series(labels: Labels | undefined): Series {
    if (labels === undefined) return (this.unlabelled ??= this.create(this.values(undefined)));
    // Keyed by the label *values* (one string for the usual one-label family): no allocation on a hit.
    const key = this.labelNames.length === 1 ? (labels[this.labelNames[0] as string] ?? "") : this.labelNames.map((name) => labels[name] ?? "").join("\u0000");
    let series = this.byKey.get(key);
    if (!series) {
      series = this.create(this.values(labels));
      this.byKey.set(key, series);
    }
    return series;
  }

  get(): Promise<{ name: string; help: string; type: string; values: MetricValue[]; aggregator: "sum" | "max" }> {
    const values: MetricValue[] = [];
    const all = [...this.byKey.values(), ...(this.unlabelled ? [this.unlabelled] : [])];
    for (const series of all) {
      if (this.type !== "histogram") {
        values.push({ labels: { ...series.labels }, value: series.value });
        continue;
      }
      const buckets = series.buckets as number[];
      let cumulative = 0;
      LATENCY_BUCKETS_MS.forEach((bound, index) => {
        cumulative += buckets[index] as number;
        values.push({ labels: { le: bound, ...series.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: "+Inf", ...series.labels }, value: series.value, metricName: `${this.name}_bucket` });
      values.push({ labels: { ...series.labels }, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...series.labels }, value: series.value, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  reset(): void {
    for (const series of [...this.byKey.values(), ...(this.unlabelled ? [this.unlabelled] : [])]) {
      series.value = 0;
      series.sum = 0;
      series.buckets?.fill(0);
    }
  }

  private create(labels: Readonly<Record<string, string>>): Series {
    return { labels, value: 0, sum: 0, buckets: this.type === "histogram" ? new Array<number>(LATENCY_BUCKETS_MS.length).fill(0) : undefined };
  }

  private values(labels: Labels | undefined): Record<string, string> {
    const values: Record<string, string> = {};
    for (const name of this.labelNames) values[name] = labels?.[name] ?? "";
    return values;
  }
}

export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly counters = new Map<string, Family>();
  private readonly histograms = new Map<string, Family>();
  private readonly gauges = new Map<string, Family>();

  constructor(options: { readonly processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
  }

  increment(name: string, labels?: Labels, by = 1): void {
    if (!(by >= 0 && by < Number.POSITIVE_INFINITY)) throw new RangeError(`counter ${name}: increment must be a finite number ≥ 0, got ${by}`);
    this.family(this.counters, name, "counter", labels).series(labels).value += by;
  }

  observe(name: string, value: number, labels?: Labels): void {
    if (!Number.isFinite(value)) throw new TypeError(`histogram ${name}: value must be a finite number, got ${value}`);
    const series = this.family(this.histograms, name, "histogram", labels).series(labels);
    const buckets = series.buckets as number[];
    let index = 0;
    while (index < LATENCY_BUCKETS_MS.length && value > (LATENCY_BUCKETS_MS[index] as number)) index++;
    if (index < buckets.length) buckets[index] = (buckets[index] as number) + 1;
    series.value += 1;
    series.sum += value;
  }

  gauge(name: string, value: number, labels?: Labels): void {
    if (!Number.isFinite(value)) throw new TypeError(`gauge ${name}: value must be a finite number, got ${value}`);
    this.family(this.gauges, name, "gauge", labels).series(labels).value = value;
  }

  /** The Prometheus text exposition (version 0.0.4). */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private family(families: Map<string, Family>, name: string, type: "counter" | "histogram" | "gauge", labels: Labels | undefined): Family {
    let family = families.get(name);
    if (!family) {
      family = new Family(sanitize(name), type, Object.keys(labels ?? {}).sort());
      this.registry.registerMetric(family as unknown as Parameters<Registry["registerMetric"]>[0]);
      families.set(name, family);
    }
    return family;
  }
}

/** Sends every call to several Metrics (Prometheus for operators, in-memory for the run's result). */
export function teeMetrics(...targets: readonly Metrics[]): Metrics {
  return {
    increment(name, labels, by) {
      for (const target of targets) target.increment(name, labels, by);
    },
    observe(name, value, labels) {
      for (const target of targets) target.observe(name, value, labels);
    },
    gauge(name, value, labels) {
      for (const target of targets) target.gauge(name, value, labels);
    },
  };
}
