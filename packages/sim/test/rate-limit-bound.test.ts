import { Histogram } from "@synclag/metrics";
import { describe, expect, it } from "vitest";
import { rateLimitBound } from "../src/index.js";

const histogram = (values: readonly number[]) => {
  const h = new Histogram();
  for (const v of values) h.record(v);
  return h;
};

describe("rateLimitBound", () => {
  it("flags a saturated channel whose median lag is mostly queue wait, even when p99 lag is dominated by piled-up orders", () => {
    const queueWait = histogram(Array.from({ length: 100 }, (_, i) => 300_000 + i * 1_000));
    const acceptedLag = histogram([...Array.from({ length: 90 }, () => 360_000), ...Array.from({ length: 10 }, () => 50_000_000)]);
    expect(rateLimitBound(queueWait, acceptedLag)).toBe(true);
  });

  it("does not flag a channel whose lag is not spent in the queue", () => {
    const queueWait = histogram(Array.from({ length: 100 }, () => 200));
    const acceptedLag = histogram(Array.from({ length: 100 }, (_, i) => 2_000 + i * 100));
    expect(rateLimitBound(queueWait, acceptedLag)).toBe(false);
    expect(rateLimitBound(queueWait, new Histogram())).toBe(false);
  });
});
