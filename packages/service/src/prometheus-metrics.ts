// The engine's Metrics port on prom-client, with a registry per service (never prom-client's global
// one: two services in one process — the runner's tests do that — would otherwise share counters).
// Families are created on first use under the `synclag_` prefix; counters keep the engine's `_total`
// names, histograms are in milliseconds (`*_ms`). Easy to get wrong: prom-client fixes a family's label
// names when it is created — a later call with other label keys must be mapped onto them, not thrown.

import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Labels, Metrics } from "@synclag/core";

/** Bucket bounds (ms) of every histogram: from sub-millisecond pushes to 15-minute polling lag. */
export const LATENCY_BUCKETS_MS: readonly number[] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000, 900_000];

const PREFIX = "synclag_";

function sanitize(name: string): string {
  return PREFIX + name.replace(/[^a-zA-Z0-9_]/g, "_");
}

export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly counters = new Map<string, { metric: Counter; labelNames: readonly string[] }>();
  private readonly histograms = new Map<string, { metric: Histogram; labelNames: readonly string[] }>();

  constructor(options: { readonly processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
  }

  increment(name: string, labels?: Labels, by = 1): void {
    let family = this.counters.get(name);
    if (!family) {
      const labelNames = Object.keys(labels ?? {}).sort();
      family = { metric: new Counter({ name: sanitize(name), help: `synclag engine counter ${name}`, labelNames, registers: [this.registry] }), labelNames };
      this.counters.set(name, family);
    }
    family.metric.inc(this.values(family.labelNames, labels), by);
  }

  observe(name: string, value: number, labels?: Labels): void {
    let family = this.histograms.get(name);
    if (!family) {
      const labelNames = Object.keys(labels ?? {}).sort();
      family = { metric: new Histogram({ name: sanitize(name), help: `synclag engine histogram ${name} (ms)`, labelNames, buckets: [...LATENCY_BUCKETS_MS], registers: [this.registry] }), labelNames };
      this.histograms.set(name, family);
    }
    family.metric.observe(this.values(family.labelNames, labels), value);
  }

  /** The Prometheus text exposition (version 0.0.4). */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private values(labelNames: readonly string[], labels: Labels | undefined): Record<string, string> {
    const values: Record<string, string> = {};
    for (const name of labelNames) values[name] = labels?.[name] ?? "";
    return values;
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
  };
}
