// Shopify bills its inventory reads from the cost bucket its updates draw on: a 3,000-SKU catalogue
// costs three times the bucket to read. The reconciler read it as fast as Shopify answered, drained
// the bucket and was throttled part-way through every round (black-friday-40: 472 throttles on its 8
// Shopify channels), and each round started again at the first SKU, so the last SKUs were never read.
// Reads are now reserved from the engine's token bucket first and wait for it, leaving a margin: no
// throttle, and every round reads the whole catalogue.
import { describe, expect, it } from "vitest";
import { simulateStrategy } from "../src/index.js";
import { scenario } from "./helpers.js";

const bigCatalogue = scenario({
  name: "shopify-big-catalogue",
  seed: 3,
  duration: "2h",
  catalog: { skus: 3000, stock: { min: 50, max: 100 } },
  channels: [
    { id: "amazon", kind: "amazon", share: 1 },
    { id: "shopify", kind: "shopify", share: 1 },
  ],
  demand: { ordersPerDay: 20_000 },
  engine: { reconcileInterval: "15m" },
});

describe("the reconciler on a Shopify catalogue bigger than its cost bucket", () => {
  it("is never throttled, and reads every SKU in every round", async () => {
    const r = await simulateStrategy(bigCatalogue, "events", 3);
    expect(r.ok).toBe(true);
    const shopify = r.channels.shopify;
    expect(shopify?.throttled).toBe(0);
    // Every round reads the 3,000 SKUs in slices of 100 (one call each): 30 read calls a round, 7 rounds
    // (every 15 min from 15 min on, until the run ends). Throttled part-way, it read 83.
    const reads = (shopify?.apiCalls ?? 0) - (shopify?.updateCalls ?? 0) - (shopify?.cancellations ?? 0);
    expect(reads).toBe(7 * 30);
  });
});
