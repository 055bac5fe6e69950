// `timeLapsedProfile`: a marketplace N× faster, as `synclag run --marketplace-time scaled` runs it — for
// mocks started on their own under a workload compressed N× (bench/k6/flash-sale.js: 180×). And
// bench/k6/engine.yaml, the engine settings for that time-lapse, held to it.

import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEFAULT_PROFILES, type MarketplaceKind } from "@synclag/marketplaces";
import { loadServiceConfig } from "../src/config.js";
import { timeLapsedProfile } from "../src/time-lapse-profile.js";

describe("timeLapsedProfile", () => {
  it("shrinks latencies and delays and grows rate limits by the factor; bursts, batch sizes and rates of faults stay", () => {
    const amazon = timeLapsedProfile(DEFAULT_PROFILES.amazon, 180);
    const lognormal = (d: unknown) => [(d as { medianMs: number }).medianMs, (d as { p99Ms: number }).p99Ms];
    const close = (actual: number[], expected: number[]) => expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, 9));
    close(lognormal(amazon.notifications.delay), [2_000 / 180, 30_000 / 180]);
    close(lognormal(amazon.apiLatency), [1, 5]);
    close(lognormal(amazon.visibilityDelay), [20_000 / 180, 1_000]);
    expect(amazon.rateLimit).toEqual({ kind: "token-bucket", ratePerSecond: 900, burst: 5 });
    expect(amazon.clientRateLimit).toEqual({ ratePerSecond: 900, burst: 5 });
    expect(amazon.maxBatchSize).toBe(1);
    expect(amazon.notifications.duplicateRate).toBe(DEFAULT_PROFILES.amazon.notifications.duplicateRate);
    const shopify = timeLapsedProfile(DEFAULT_PROFILES.shopify, 180);
    expect(shopify.rateLimit).toMatchObject({ kind: "cost-points", restoreRatePerSecond: 18_000, maximumAvailable: 1000 });
    expect(shopify.batchLingerMs).toBe(1);
    expect(shopify.visibilityDelay).toEqual({ kind: "constant", ms: 0 });
    expect(timeLapsedProfile(DEFAULT_PROFILES.woocommerce, 180).rateLimit).toEqual({ kind: "none" });
    const outage = timeLapsedProfile({ ...DEFAULT_PROFILES.ebay, faults: { ...DEFAULT_PROFILES.ebay.faults, outages: [{ startMs: 3_600_000, durationMs: 1_800_000 }] } }, 180);
    expect(outage.faults.outages).toEqual([{ startMs: 20_000, durationMs: 10_000 }]);
  });

  it("leaves a profile alone at 1× and refuses a factor below 1", () => {
    expect(timeLapsedProfile(DEFAULT_PROFILES.flipkart, 1)).toBe(DEFAULT_PROFILES.flipkart);
    expect(() => timeLapsedProfile(DEFAULT_PROFILES.flipkart, 0.5)).toThrow(/≥ 1, got 0.5/);
    expect(() => timeLapsedProfile(DEFAULT_PROFILES.flipkart, Number.NaN)).toThrow(RangeError);
  });
});

describe("bench/k6/engine.yaml", () => {
  it("is a valid engine config whose budgets and lingers are the 180× time-lapse of each channel's profile", () => {
    const file = fileURLToPath(new URL("../../../bench/k6/engine.yaml", import.meta.url));
    const config = loadServiceConfig({ config: file }, {});
    expect(config.channels.map((c) => [c.id, c.kind, c.baseUrl])).toEqual([
      ["amazon", "amazon", "http://127.0.0.1:9001"],
      ["shopify", "shopify", "http://127.0.0.1:9002"],
      ["woocommerce", "woocommerce", "http://127.0.0.1:9003"],
      ["flipkart", "flipkart", "http://127.0.0.1:9004"],
    ]);
    for (const channel of config.channels) {
      const lapsed = timeLapsedProfile(DEFAULT_PROFILES[channel.kind as MarketplaceKind], 180);
      expect(channel.rateLimit, channel.id).toEqual(lapsed.clientRateLimit);
      expect(channel.batchLinger ?? 0, channel.id).toBe(lapsed.batchLingerMs ?? 0);
    }
  });
});
