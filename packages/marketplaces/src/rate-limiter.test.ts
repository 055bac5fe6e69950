// A throttle storm scales the refill rate from the moment it begins until the moment it ends — not
// the refill owed before it (the buckets refill lazily). Found by review: both edges were applied
// backwards in time to the whole gap since the last call.
import { describe, expect, it } from "vitest";
import { RateLimiter } from "./rate-limiter.js";

describe("RateLimiter under a throttle storm", () => {
  it("a storm does not reach back before it began: the bucket refilled at the full rate until then", () => {
    const shopify = new RateLimiter({ kind: "cost-points", maximumAvailable: 1000, restoreRatePerSecond: 100, costPerCall: 1000, costPerItem: 0 }, 0);
    expect(shopify.tryAcquire(0, 1).admitted).toBe(true); // drained at 0
    shopify.setTightening(0.1, 10_000); // by 10 s it had refilled to 1000
    expect(shopify.tryAcquire(10_001, 1).admitted).toBe(true);
  });

  it("a storm does not reach past its end: the gap it covered refilled at the storm's rate", () => {
    const amazon = new RateLimiter({ kind: "token-bucket", ratePerSecond: 5, burst: 5 }, 0);
    for (let i = 0; i < 5; i++) expect(amazon.tryAcquire(0, 1).admitted).toBe(true); // drained at 0
    amazon.setTightening(0.1, 0);
    amazon.setTightening(1, 1_000); // 0.5 tokens came back during the storm
    expect(amazon.tryAcquire(1_000, 1).admitted).toBe(false);
    expect(amazon.tryAcquire(1_100, 1).admitted).toBe(true); // 0.5 + 0.1 s × 5/s = 1
  });
});
