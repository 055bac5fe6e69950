import { Histogram } from "@synclag/metrics";
import { loadScenario } from "@synclag/workload";
import { describe, expect, it } from "vitest";
import { rateLimitBound, simulateStrategy } from "../src/index.js";
import { scenario } from "./helpers.js";

const histogram = (values: readonly number[]) => {
  const h = new Histogram();
  for (const v of values) h.record(v);
  return h;
};

const blockedBy = (overrides: Partial<Record<"rateLimit" | "paused" | "linger" | "revisions" | "slots", number>>) => ({ rateLimit: 0, paused: 0, linger: 0, revisions: 0, slots: 0, ...overrides });

describe("rateLimitBound", () => {
  it("flags a saturated channel whose median lag is mostly queue wait, even when p99 lag is dominated by piled-up orders", () => {
    const queueWait = histogram(Array.from({ length: 100 }, (_, i) => 300_000 + i * 1_000));
    const acceptedLag = histogram([...Array.from({ length: 90 }, () => 360_000), ...Array.from({ length: 10 }, () => 50_000_000)]);
    expect(rateLimitBound(queueWait, acceptedLag, blockedBy({ rateLimit: 3_000_000, slots: 100_000 }))).toBe(true);
  });

  it("does not flag a channel whose lag is not spent in the queue", () => {
    const queueWait = histogram(Array.from({ length: 100 }, () => 200));
    const acceptedLag = histogram(Array.from({ length: 100 }, (_, i) => 2_000 + i * 100));
    expect(rateLimitBound(queueWait, acceptedLag, blockedBy({ rateLimit: 1_000 }))).toBe(false);
    expect(rateLimitBound(queueWait, new Histogram(), blockedBy({ rateLimit: 1_000 }))).toBe(false);
  });

  it("does not flag a queue that waited for something other than the rate limit (an outage's pause, linger, busy slots)", () => {
    const queueWait = histogram(Array.from({ length: 100 }, () => 1_500_000));
    const acceptedLag = histogram(Array.from({ length: 100 }, () => 1_600_000));
    expect(rateLimitBound(queueWait, acceptedLag, blockedBy({ paused: 1_800_000, rateLimit: 10_000 }))).toBe(false);
    expect(rateLimitBound(queueWait, acceptedLag, blockedBy({ linger: 60_000, slots: 50_000, rateLimit: 100_000 }))).toBe(false);
    expect(rateLimitBound(queueWait, acceptedLag, blockedBy({}))).toBe(false);
    // At least half of the blocked time behind the bucket is enough.
    expect(rateLimitBound(queueWait, acceptedLag, blockedBy({ rateLimit: 50_000, paused: 30_000, linger: 20_000 }))).toBe(true);
  });
});

describe("rateLimit.bound in simulations", () => {
  it("marketplace-outage: Shopify's queue waits out its outage, not its 2,500 updates/s limit — not flagged", async () => {
    const loaded = loadScenario("marketplace-outage");
    if (!loaded.ok) throw new Error(loaded.problems.join("\n"));
    const shopify = (await simulateStrategy(loaded.scenario, "events", 1)).channels.shopify;
    expect(shopify?.rateLimit.queueWaitMs.p99).toBeGreaterThan(10_000);
    // The 30-minute outage is nearly all of the blocked time, the bucket none of it.
    expect(shopify?.rateLimit.blockedMs.paused).toBeGreaterThan(20 * 60_000);
    expect(shopify?.rateLimit.blockedMs.rateLimit).toBe(0);
    expect(shopify?.rateLimit.bound).toBe(false);
  });

  it("a channel driven past its limit (Amazon, 5 updates/s, under 2,000,000 orders/day on 50 SKUs) is flagged", async () => {
    const s = scenario({
      name: "saturated-amazon",
      duration: "1h",
      catalog: { skus: 50, stock: 10_000_000, popularity: 0 },
      channels: [
        { id: "amazon", kind: "amazon", share: 1 },
        { id: "shopify", kind: "shopify", share: 1 },
      ],
      demand: { ordersPerDay: 2_000_000 },
    });
    const result = await simulateStrategy(s, "events", 7);
    const amazon = result.channels.amazon;
    const shopify = result.channels.shopify;
    expect(amazon?.rateLimit.blockedMs.rateLimit).toBeGreaterThan(0.9 * 3_600_000);
    expect(amazon?.rateLimit.bound).toBe(true);
    expect(shopify?.rateLimit.blockedMs.rateLimit).toBe(0);
    expect(shopify?.rateLimit.bound).toBe(false);
  });
});
