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

  it("keeps two services' registries apart", async () => {
    const a = new PrometheusMetrics({ processMetrics: false });
    const b = new PrometheusMetrics({ processMetrics: false });
    a.increment("pushes_total", { channel: "x" });
    expect(await b.render()).not.toContain("synclag_pushes_total");
  });
});