// The result's timeline (the most popular SKU: truth and each channel's shown stock) is bounded, but
// never cut short: past TIMELINE_LIMIT steps a series is thinned deterministically and keeps its last step.
import { describe, expect, it } from "vitest";
import { GroundTruth, simulateStrategy } from "../src/index.js";
import { TIMELINE_LIMIT } from "../src/ground-truth.js";
import { scenario } from "./helpers.js";

describe("timeline", () => {
  it("a series under the limit is every step, unflagged", () => {
    const truth = new GroundTruth([{ id: "a" }], ["X"], 0, 10_000);
    truth.seed("X", 100, [100]);
    for (let t = 1; t < TIMELINE_LIMIT; t++) truth.truthChanged("X", 100 - (t % 7), t);
    const timeline = truth.timeline;
    expect(timeline.truth).toHaveLength(TIMELINE_LIMIT);
    expect(timeline.truth.at(-1)).toEqual([TIMELINE_LIMIT - 1, 100 - ((TIMELINE_LIMIT - 1) % 7)]);
    expect(timeline.downsampled).toBeUndefined();
    expect(timeline.channels.a).toEqual([[0, 100]]);
  });

  it("a longer series is thinned to at most the limit (+ its last step), evenly, and still ends at the final quantity", () => {
    const truth = new GroundTruth([{ id: "a" }], ["X"], 0, 1e9);
    truth.seed("X", 0, [0]);
    const steps = 5 * TIMELINE_LIMIT + 3;
    for (let t = 1; t < steps; t++) truth.truthChanged("X", t, t);
    const series = truth.timeline.truth;
    expect(truth.timeline.downsampled).toBe(true);
    expect(series.length).toBeLessThanOrEqual(TIMELINE_LIMIT + 1);
    expect(series.length).toBeGreaterThan(TIMELINE_LIMIT / 4);
    expect(series[0]).toEqual([0, 0]);
    expect(series.at(-1)).toEqual([steps - 1, steps - 1]); // the last step, whatever the stride
    // Kept steps (but the last) are evenly spaced: every 8th of 100,003 here.
    const gaps = new Set(series.slice(0, -1).map((step, i, all) => (i === 0 ? undefined : step[0] - (all[i - 1] as [number, number])[0])).filter((g) => g !== undefined));
    expect([...gaps]).toEqual([8]);
  });

  it("the most popular SKU's timeline reaches the end of a busy run: its last truth step is the final stock", async () => {
    const s = scenario({
      name: "hot-sku",
      duration: "2h",
      catalog: { skus: 1, stock: 60_000 },
      channels: [
        { id: "a", kind: "woocommerce", share: 1 },
        { id: "b", kind: "woocommerce", share: 1 },
      ],
      demand: { ordersPerDay: 360_000 },
      strategies: ["events"],
    });
    const result = await simulateStrategy(s, "events", 1);
    // Before the fix the series stopped at 20,000 points, 81 minutes into the 2 h run, at 40,001 units.
    expect(result.timeline.truth.at(-1)?.[1]).toBe(60_000 - result.orders.fulfilled);
    expect(result.timeline.truth.at(-1)?.[0]).toBeGreaterThan(s.duration - 60_000);
    expect(result.timeline.truth.length).toBeLessThanOrEqual(TIMELINE_LIMIT + 1);
    expect(result.timeline.downsampled).toBe(true);
    for (const id of ["a", "b"]) expect(result.timeline.channels[id]?.at(-1)?.[1], id).toBe(60_000 - result.orders.fulfilled);
  });
});
