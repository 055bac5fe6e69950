// Throttle storms that overlap: while any storm is on, the marketplace's limiter refills at the
// harshest factor of the storms active then; the end of one storm lifts only that storm.
import { describe, expect, it } from "vitest";
import type { ScenarioInput } from "@synclag/workload";
import { simulateStrategy } from "../src/index.js";
import { scenario } from "./helpers.js";

type Storm = { start: string; duration: string; factor: number };

const stormy = (storms: Storm[]) =>
  scenario({
    name: "storms",
    duration: "2h",
    catalog: { skus: 20, stock: 100_000, popularity: 0 },
    channels: [{ id: "a", kind: "amazon", share: 1, profile: { faults: { throttleStorms: storms } } }, { id: "w", kind: "woocommerce", share: 1 }] satisfies ScenarioInput["channels"],
    demand: { ordersPerDay: 20_000 },
    strategies: ["events"],
  });

describe("overlapping throttle storms", () => {
  const outer = { start: "0s", duration: "2h", factor: 0.02 };
  const inner = { start: "10m", duration: "5m", factor: 0.01 }; // harsher, for 5 minutes inside the outer storm

  it("a harsher storm nested inside a longer one does not end the longer one early", async () => {
    const alone = await simulateStrategy(stormy([outer]), "events", 1);
    const nested = await simulateStrategy(stormy([outer, inner]), "events", 1);
    // Before the fix the inner storm's end (at 15m) reset the limiter to full speed for the last 1h45m:
    // 68 throttles instead of 1,290.
    expect(nested.channels.a?.throttled).toBeGreaterThanOrEqual(alone.channels.a?.throttled ?? 0);
    expect(nested.channels.a?.staleExposure).toBeGreaterThanOrEqual(alone.channels.a?.staleExposure ?? 0);
  });

  it("the order the storms are listed in changes nothing, and a milder storm inside a harsher one changes nothing", async () => {
    const nested = await simulateStrategy(stormy([outer, inner]), "events", 1);
    const reversed = await simulateStrategy(stormy([inner, outer]), "events", 1);
    expect(reversed.channels).toEqual(nested.channels);
    const alone = await simulateStrategy(stormy([outer]), "events", 1);
    const milder = await simulateStrategy(stormy([outer, { start: "10m", duration: "5m", factor: 0.5 }]), "events", 1);
    expect(milder.channels).toEqual(alone.channels);
  });
});
