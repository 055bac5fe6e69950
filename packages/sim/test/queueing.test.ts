// The simulator against queueing arithmetic: with instant channels, polling every T gives a lag that
// is uniform on [0, T] (p50 ≈ T/2, p99 ≈ 0.99·T), and events give exactly the channel's own
// latency distribution. If these drift, the simulator is measuring itself, not the strategies.
import { describe, expect, it } from "vitest";
import { simulateStrategy } from "../src/index.js";
import { instantChannel, scenario } from "./helpers.js";

const base = {
  duration: "1d",
  catalog: { skus: 1, stock: 10_000_000, popularity: 0 },
  demand: { ordersPerDay: 20_000 },
  feed: { delay: { kind: "constant" as const, ms: 0 } },
  engine: { storeLatency: { kind: "constant" as const, ms: 0 }, reconcileInterval: 0 },
  convergenceBudget: "2h",
};

describe("simulator vs queueing arithmetic", () => {
  it("polling every 60 s gives lag p50 ≈ T/2 and p99 ≈ 0.99·T (Poisson arrivals, instant channels)", async () => {
    const s = scenario({ ...base, name: "queueing-polling", channels: [instantChannel("a"), instantChannel("b")] });
    const result = await simulateStrategy(s, "polling:60s", 11);
    expect(result.ok).toBe(true);
    expect(result.syncLagMs.count).toBeGreaterThan(15_000);
    expect(result.syncLagMs.p50).toBeGreaterThan(30_000 * 0.97);
    expect(result.syncLagMs.p50).toBeLessThan(30_000 * 1.03);
    expect(result.syncLagMs.p99).toBeGreaterThan(59_400 * 0.98);
    expect(result.syncLagMs.p99).toBeLessThanOrEqual(60_000);
  });

  it("events lag follows the channel's visibility-delay distribution (log-normal, median 2 s, p99 20 s)", async () => {
    const visibilityDelay = { kind: "lognormal" as const, medianMs: 2_000, p99Ms: 20_000 };
    // Many SKUs: a listing's updates become visible in order, so one SKU would queue behind its tail.
    const s = scenario({ ...base, name: "queueing-events", catalog: { skus: 5000, stock: 10_000, popularity: 0 }, channels: [instantChannel("a"), instantChannel("b", { visibilityDelay })] });
    const result = await simulateStrategy(s, "events", 12);
    expect(result.ok).toBe(true);
    const b = result.channels.b;
    expect(b?.acceptedLagMs.p99).toBe(0);
    expect(b?.syncLagMs.p50).toBeGreaterThan(2_000 * 0.95);
    expect(b?.syncLagMs.p50).toBeLessThan(2_000 * 1.05);
    expect(b?.syncLagMs.p99).toBeGreaterThan(20_000 * 0.9);
    expect(b?.syncLagMs.p99).toBeLessThan(20_000 * 1.1);
  });

  it("events accepted lag is half the API round trip, plus at most one round trip when the SKU's previous update is still in flight", async () => {
    const s = scenario({ ...base, name: "queueing-api", demand: { ordersPerDay: 2_000 }, channels: [instantChannel("a"), instantChannel("b", { apiLatency: { kind: "constant", ms: 300 } })] });
    const result = await simulateStrategy(s, "events", 13);
    expect(result.channels.b?.acceptedLagMs.p50).toBe(150);
    expect(result.channels.b?.acceptedLagMs.p90).toBe(150);
    expect(result.channels.b?.acceptedLagMs.max).toBeLessThanOrEqual(450);
  });
});
