import { describe, expect, it } from "vitest";
import { DEFAULT_PROFILES } from "./profiles.js";
import { retryOffsetsMs } from "./notification-schedule.js";

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
