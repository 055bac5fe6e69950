// The Prometheus adapter: names, labels, millisecond buckets, label-key drift, and one registry per service.
import { describe, expect, it } from "vitest";
import { PrometheusMetrics } from "./prometheus-metrics.js";

describe("Prometheus metrics adapter", () => {
  it("renders the engine's counters and millisecond histograms under the synclag_ prefix", async () => {
    const metrics = new PrometheusMetrics({ processMetrics: false });
    metrics.increment("orders_applied_total", { source: "shopify" });
    metrics.increment("orders_applied_total", { source: "shopify" }, 2);
    metrics.observe("propagation_lag_ms", 42, { channel: "amazon" });
    const text = await metrics.render();
    expect(text).toContain('synclag_orders_applied_total{source="shopify"} 3');
    expect(text).toContain('synclag_propagation_lag_ms_bucket{le="50",channel="amazon"} 1');
    expect(text).toContain('synclag_propagation_lag_ms_count{channel="amazon"} 1');
  });

  it("maps a later call with other label keys onto the family's labels instead of throwing", async () => {
    const metrics = new PrometheusMetrics({ processMetrics: false });
    metrics.increment("drift_repaired_total", { channel: "ebay", direction: "high" });
    metrics.increment("drift_repaired_total", { channel: "ebay" });
    metrics.increment("drift_repaired_total", { channel: "ebay", direction: "low", extra: "x" });
    const text = await metrics.render();
    expect(text).toContain('synclag_drift_repaired_total{channel="ebay",direction=""} 1');
    expect(text).toContain('synclag_drift_repaired_total{channel="ebay",direction="low"} 1');
  });

  it("buckets polling lags up to a day (30 min, 1 h, 2 h, 6 h, 24 h): polling:1h's lags are not all +Inf, so their quantiles can be read", async () => {
    const metrics = new PrometheusMetrics({ processMetrics: false });
    for (const minutes of [20, 40, 59, 61, 300, 1_000]) metrics.observe("propagation_lag_ms", minutes * 60_000, { channel: "amazon" });
    const text = await metrics.render();
    expect(text).toContain('synclag_propagation_lag_ms_bucket{le="900000",channel="amazon"} 0');
    expect(text).toContain('synclag_propagation_lag_ms_bucket{le="1800000",channel="amazon"} 1');
    expect(text).toContain('synclag_propagation_lag_ms_bucket{le="3600000",channel="amazon"} 3');
    expect(text).toContain('synclag_propagation_lag_ms_bucket{le="7200000",channel="amazon"} 4');
    expect(text).toContain('synclag_propagation_lag_ms_bucket{le="21600000",channel="amazon"} 5');
    expect(text).toContain('synclag_propagation_lag_ms_bucket{le="86400000",channel="amazon"} 6');
    expect(text).toContain('synclag_propagation_lag_ms_bucket{le="+Inf",channel="amazon"} 6');
  });

  it("counts a histogram value equal to a bound in that bucket, larger ones in +Inf, with sum and count", async () => {
    const metrics = new PrometheusMetrics({ processMetrics: false });
    for (const value of [0, 1, 1.5, 50, 51, 100_000_000]) metrics.observe("queue_wait_ms", value, { channel: "shopify" });
    const text = await metrics.render();
    expect(text).toContain('synclag_queue_wait_ms_bucket{le="1",channel="shopify"} 2');
    expect(text).toContain('synclag_queue_wait_ms_bucket{le="2",channel="shopify"} 3');
    expect(text).toContain('synclag_queue_wait_ms_bucket{le="50",channel="shopify"} 4');
    expect(text).toContain('synclag_queue_wait_ms_bucket{le="100",channel="shopify"} 5');
    expect(text).toContain('synclag_queue_wait_ms_bucket{le="900000",channel="shopify"} 5');
    expect(text).toContain('synclag_queue_wait_ms_bucket{le="86400000",channel="shopify"} 5');
    expect(text).toContain('synclag_queue_wait_ms_bucket{le="+Inf",channel="shopify"} 6');
    expect(text).toContain('synclag_queue_wait_ms_sum{channel="shopify"} 100000103.5');
    expect(text).toContain('synclag_queue_wait_ms_count{channel="shopify"} 6');
    expect(text).toContain("# TYPE synclag_queue_wait_ms histogram");
  });

  it("adds calls with equal label values into one series, whatever object carries them, and keeps unlabelled counters", async () => {
    const metrics = new PrometheusMetrics({ processMetrics: false });
    metrics.increment("pushes_total", { channel: "amazon" });
    metrics.increment("pushes_total", { channel: "amazon" }, 4);
    metrics.increment("pushes_total", { channel: "ebay" });
    metrics.increment("store_errors_total");
    metrics.increment("store_errors_total");
    const text = await metrics.render();
    expect(text).toContain('synclag_pushes_total{channel="amazon"} 5');
    expect(text).toContain('synclag_pushes_total{channel="ebay"} 1');
    expect(text).toContain("synclag_store_errors_total 2");
    expect(text).toContain("# TYPE synclag_pushes_total counter");
    expect(() => metrics.increment("pushes_total", { channel: "amazon" }, -1)).toThrow(RangeError);
  });

  it("renders a gauge with its last value per series, as a gauge", async () => {
    const metrics = new PrometheusMetrics({ processMetrics: false });
    metrics.gauge("cancellations_pending", 4, { channel: "amazon" });
    metrics.gauge("cancellations_pending", 1, { channel: "amazon" });
    metrics.gauge("cancellations_pending", 0, { channel: "ebay" });
    const text = await metrics.render();
    expect(text).toContain("# TYPE synclag_cancellations_pending gauge");
    expect(text).toContain('synclag_cancellations_pending{channel="amazon"} 1');
    expect(text).toContain('synclag_cancellations_pending{channel="ebay"} 0');
    expect(() => metrics.gauge("cancellations_pending", Number.POSITIVE_INFINITY)).toThrow(TypeError);
  });

  it("keeps two services' registries apart", async () => {
    const a = new PrometheusMetrics({ processMetrics: false });
    const b = new PrometheusMetrics({ processMetrics: false });
    a.increment("pushes_total", { channel: "x" });
    expect(await b.render()).not.toContain("synclag_pushes_total");
  });
});