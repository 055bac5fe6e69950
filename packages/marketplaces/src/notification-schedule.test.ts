import { describe, expect, it } from "vitest";
import { DEFAULT_PROFILES } from "./profiles.js";
import { attemptOffsetMs, retryOffsetsMs } from "./notification-schedule.js";

describe("retryOffsetsMs", () => {
  it("spreads Shopify's 8 retries over 4 hours, each gap twice the last", () => {
    const offsets = retryOffsetsMs(DEFAULT_PROFILES.shopify.notifications);
    expect(offsets).toHaveLength(8);
    expect(offsets.at(-1)).toBeCloseTo(4 * 3_600_000, 6);
    const gaps = offsets.map((at, i) => at - (offsets[i - 1] ?? 0));
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeCloseTo(2 * (gaps[i - 1] ?? 0), 6);
  });

  it("gives WooCommerce no retries", () => {
    expect(retryOffsetsMs(DEFAULT_PROFILES.woocommerce.notifications)).toEqual([]);
  });
});

describe("attemptOffsetMs", () => {
  it("times each attempt from the first one's actual time, on retryOffsetsMs's schedule", () => {
    const n = DEFAULT_PROFILES.shopify.notifications;
    const retries = retryOffsetsMs(n);
    expect(attemptOffsetMs(n, 5_000, 0)).toBe(5_000);
    for (let attempt = 1; attempt <= n.retries; attempt++) expect(attemptOffsetMs(n, 5_000, attempt)).toBeCloseTo(5_000 + (retries[attempt - 1] ?? Number.NaN), 6);
    // Any origin: an absolute time (a job held back by head-of-line blocking) shifts every attempt.
    expect(attemptOffsetMs(n, 1_000_000, 2) - attemptOffsetMs(n, 5_000, 2)).toBeCloseTo(995_000, 6);
  });

  it("has only the first attempt when the marketplace never retries", () => {
    expect(attemptOffsetMs(DEFAULT_PROFILES.woocommerce.notifications, 700, 0)).toBe(700);
  });
});

