import { describe, expect, it } from "vitest";
import { InvariantError } from "@synclag/core";
import type { Metrics } from "@synclag/core";
import { InMemoryMetrics } from "./in-memory-metrics.js";

describe("InMemoryMetrics", () => {
  it("counts 0 until incremented, then sums the increments (1 by default)", () => {
    const metrics = new InMemoryMetrics();
    expect(metrics.counter("pushes")).toBe(0);
    metrics.increment("pushes");
    metrics.increment("pushes", undefined, 4);
    metrics.increment("pushes", {}, 0);
    expect(metrics.counter("pushes")).toBe(5);
  });

  it("treats no labels and empty labels as the same series", () => {
    const metrics = new InMemoryMetrics();
    metrics.increment("pushes", {});
    metrics.increment("pushes");
    expect(metrics.counter("pushes")).toBe(2);
    expect(metrics.counter("pushes", {})).toBe(2);
    expect(metrics.counters()).toEqual([{ name: "pushes", labels: {}, value: 2 }]);
  });

  it("treats labels in a different key order as the same series", () => {
    const metrics = new InMemoryMetrics();
    metrics.increment("pushes", { channel: "amazon", outcome: "ok" });
    metrics.increment("pushes", { outcome: "ok", channel: "amazon" });
    metrics.observe("push_latency_ms", 10, { channel: "amazon", outcome: "ok" });
    metrics.observe("push_latency_ms", 30, { outcome: "ok", channel: "amazon" });
    expect(metrics.counter("pushes", { outcome: "ok", channel: "amazon" })).toBe(2);
    expect(metrics.histogram("push_latency_ms", { channel: "amazon", outcome: "ok" })?.count).toBe(2);
    expect(metrics.counters()).toHaveLength(1);
    expect(metrics.histograms()).toHaveLength(1);
  });

  it("keeps label values apart, even ones containing separators", () => {
    const metrics = new InMemoryMetrics();
    metrics.increment("pushes", { channel: "amazon" });
    metrics.increment("pushes", { channel: "ebay" });
    metrics.increment("pushes", { channel: "x,b=y" });
    metrics.increment("pushes", { channel: "x", b: "y" });
    expect(metrics.counter("pushes", { channel: "amazon" })).toBe(1);
    expect(metrics.counter("pushes", { channel: "x,b=y" })).toBe(1);
    expect(metrics.counter("pushes", { channel: "x", b: "y" })).toBe(1);
    expect(metrics.counter("pushes", { channel: "shopify" })).toBe(0);
    expect(metrics.counter("pushes")).toBe(0);
    expect(metrics.counters()).toHaveLength(4);
  });

  it("follows a reused labels object whose values change between calls", () => {
    const metrics = new InMemoryMetrics();
    const labels: Record<string, string> = { channel: "amazon" };
    metrics.increment("pushes", labels);
    labels["channel"] = "ebay";
    metrics.increment("pushes", labels);
    labels["outcome"] = "ok";
    metrics.increment("pushes", labels);
    expect(metrics.counter("pushes", { channel: "amazon" })).toBe(1);
    expect(metrics.counter("pushes", { channel: "ebay" })).toBe(1);
    expect(metrics.counter("pushes", { channel: "ebay", outcome: "ok" })).toBe(1);
  });

  it("observes into one histogram per series, undefined until the first observation", () => {
    const metrics = new InMemoryMetrics();
    expect(metrics.histogram("sync_lag_ms")).toBeUndefined();
    for (let v = 1; v <= 100; v++) metrics.observe("sync_lag_ms", v, { channel: "amazon" });
    metrics.observe("sync_lag_ms", 5000, { channel: "ebay" });
    expect(metrics.histogram("sync_lag_ms")).toBeUndefined();
    expect(metrics.histogram("sync_lag_ms", { channel: "amazon" })?.summary()).toEqual({
      count: 100,
      p50: 50,
      p90: 90,
      p99: 99,
      p999: 100,
      max: 100,
    });
    expect(metrics.histogram("sync_lag_ms", { channel: "ebay" })?.max).toBe(5000);
  });

  it("keeps the last value of a gauge per series, undefined until set, and refuses a non-finite one", () => {
    const metrics = new InMemoryMetrics();
    expect(metrics.gaugeValue("cancellations_pending", { channel: "a" })).toBeUndefined();
    metrics.gauge("cancellations_pending", 3, { channel: "a" });
    metrics.gauge("cancellations_pending", 1, { channel: "b" });
    metrics.gauge("cancellations_pending", 0, { channel: "a" });
    expect(metrics.gaugeValue("cancellations_pending", { channel: "a" })).toBe(0);
    expect(metrics.gaugeValue("cancellations_pending", { channel: "b" })).toBe(1);
    expect(metrics.counter("cancellations_pending", { channel: "b" })).toBe(0);
    expect(() => metrics.gauge("cancellations_pending", Number.NaN)).toThrow(/finite/u);
  });

  it("lists every series sorted by name then labels, whatever order they were created in", () => {
    const forward = new InMemoryMetrics();
    const backward = new InMemoryMetrics();
    const operations: ((metrics: Metrics) => void)[] = [
      (m) => m.increment("pushes", { channel: "ebay" }),
      (m) => m.increment("pushes", { channel: "amazon", outcome: "rejected" }),
      (m) => m.increment("pushes", { channel: "amazon" }),
      (m) => m.increment("oversells"),
      (m) => m.increment("pushes", { channel: "amazon", outcome: "ok" }),
      (m) => m.increment("z_last"),
      (m) => m.observe("sync_lag_ms", 7, { channel: "shopify" }),
      (m) => m.observe("sync_lag_ms", 9, { channel: "amazon" }),
      (m) => m.observe("push_latency_ms", 3),
    ];
    for (const operation of operations) operation(forward);
    for (const operation of [...operations].reverse()) operation(backward);

    const expected = [
      { name: "oversells", labels: {}, value: 1 },
      { name: "pushes", labels: { channel: "amazon" }, value: 1 },
      { name: "pushes", labels: { channel: "amazon", outcome: "ok" }, value: 1 },
      { name: "pushes", labels: { channel: "amazon", outcome: "rejected" }, value: 1 },
      { name: "pushes", labels: { channel: "ebay" }, value: 1 },
      { name: "z_last", labels: {}, value: 1 },
    ];
    expect(forward.counters()).toEqual(expected);
    expect(backward.counters()).toEqual(expected);
    const histogramKeys = (metrics: InMemoryMetrics): string[] =>
      metrics.histograms().map((s) => `${s.name} ${JSON.stringify(s.labels)} ${s.histogram.encode()}`);
    expect(histogramKeys(forward)).toEqual(histogramKeys(backward));
    expect(forward.histograms().map((s) => [s.name, s.labels])).toEqual([
      ["push_latency_ms", {}],
      ["sync_lag_ms", { channel: "amazon" }],
      ["sync_lag_ms", { channel: "shopify" }],
    ]);
  });

  it("returns labels with sorted keys that cannot be changed", () => {
    const metrics = new InMemoryMetrics();
    metrics.increment("pushes", { outcome: "ok", channel: "amazon" });
    const [series] = metrics.counters();
    expect(Object.keys(series?.labels ?? {})).toEqual(["channel", "outcome"]);
    expect(Object.isFrozen(series?.labels)).toBe(true);
  });

  it("rejects metric names thresholds could not refer to", () => {
    const metrics = new InMemoryMetrics();
    expect(() => metrics.increment("Sync-Lag")).toThrow(InvariantError);
    expect(() => metrics.observe("sync lag ms", 1)).toThrow(InvariantError);
    metrics.increment("channels.amazon.pushes_total");
    expect(metrics.counter("channels.amazon.pushes_total")).toBe(1);
  });

  it("rejects negative or non-finite increments and invalid observations", () => {
    const metrics = new InMemoryMetrics();
    expect(() => metrics.increment("pushes", undefined, -1)).toThrow(InvariantError);
    expect(() => metrics.increment("pushes", undefined, Number.NaN)).toThrow(InvariantError);
    expect(() => metrics.increment("pushes", undefined, Number.POSITIVE_INFINITY)).toThrow(InvariantError);
    expect(() => metrics.observe("sync_lag_ms", -5)).toThrow(InvariantError);
    expect(() => metrics.increment("pushes", { channel: undefined as unknown as string })).toThrow(InvariantError);
    expect(metrics.counter("pushes")).toBe(0);
  });

  it("passes histogram options to every histogram it creates", () => {
    const metrics = new InMemoryMetrics({ histogram: { significantDigits: 1 } });
    metrics.observe("sync_lag_ms", 1234);
    metrics.observe("sync_lag_ms", 1240);
    // One significant digit: 1234 and 1240 share the bucket 1216…1279, so the median reads as the
    // bucket's top (clamped to the max); with the default three digits it would be 1234.
    expect(metrics.histogram("sync_lag_ms")?.percentile(50)).toBe(1240);
  });

  it("merges another instance: counters add, histograms merge", () => {
    const total = new InMemoryMetrics();
    const worker = new InMemoryMetrics();
    total.increment("pushes", { channel: "amazon" }, 2);
    total.observe("sync_lag_ms", 10, { channel: "amazon" });
    worker.increment("pushes", { channel: "amazon" }, 3);
    worker.increment("pushes", { channel: "ebay" });
    worker.observe("sync_lag_ms", 20, { channel: "amazon" });
    worker.observe("sync_lag_ms", 40, { channel: "ebay" });
    total.merge(worker);
    expect(total.counter("pushes", { channel: "amazon" })).toBe(5);
    expect(total.counter("pushes", { channel: "ebay" })).toBe(1);
    expect(total.histogram("sync_lag_ms", { channel: "amazon" })?.summary()).toMatchObject({ count: 2, max: 20 });
    expect(total.histogram("sync_lag_ms", { channel: "ebay" })?.count).toBe(1);
    expect(worker.counter("pushes", { channel: "amazon" })).toBe(3);
  });

  it("finds a frozen labels object's series by the object, the same series as inline labels in any order", () => {
    const metrics = new InMemoryMetrics();
    const frozen = Object.freeze({ reason: "slots", channel: "amazon" });
    metrics.increment("blocked_ms_total", { channel: "amazon", reason: "slots" }, 2);
    metrics.increment("blocked_ms_total", frozen, 3);
    metrics.increment("blocked_ms_total", frozen, 4);
    metrics.increment("blocked_ms_total", Object.freeze({ channel: "amazon", reason: "paused" }));
    expect(metrics.counter("blocked_ms_total", { channel: "amazon", reason: "slots" })).toBe(9);
    expect(metrics.counter("blocked_ms_total", frozen)).toBe(9);
    expect(metrics.counter("blocked_ms_total", { channel: "amazon", reason: "paused" })).toBe(1);
    // One name's series are not another's, whatever object is passed.
    metrics.observe("push_call_latency_ms", 12, frozen);
    expect(metrics.histogram("push_call_latency_ms", { channel: "amazon", reason: "slots" })?.count).toBe(1);
    expect(metrics.counters().filter((c) => c.name === "blocked_ms_total")).toHaveLength(2);
  });
});
