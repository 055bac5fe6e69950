// A real run writes each channel's cancellation rate as the simulator does (docs/simulation.md): the
// orders the channel accepted, those of them stock could not fill (from the store's audit, by the
// order's source channel) and their ratio rounded like `orders.cancellationRate`, with the limit of the
// channel's profile — and the channels' figures add up to the strategy's, an order belonging to its
// source channel. Found by review: only a rate pooled over every channel was written.

import { describe, expect, it } from "vitest";
import { DEFAULT_PROFILES } from "@synclag/marketplaces";
import { validateScenario } from "@synclag/workload";
import { createLogger, runReal } from "../src/index.js";
import { serversMissing } from "./servers.js";

const round6 = (value: number) => Math.round(value * 1e6) / 1e6;

describe.skipIf(serversMissing())("real run: per-channel cancellation rate", () => {
  it("one unit, both channels' notifications late: each channel's accepted, oversold and rate, adding up to the strategy's", async () => {
    // Both channels show the one unit until the engine hears of a sale (30 min of trading late): the
    // first buyer on each takes it, and the order applied second is oversold — on its channel only.
    const loaded = validateScenario(
      {
        name: "last-unit-twice",
        duration: "1h",
        catalog: { skus: 1, stock: 1, popularity: 0 },
        channels: [
          { id: "shopify", kind: "shopify", share: 0.5, profile: { notifications: { delay: { kind: "constant", ms: 1_800_000 }, attemptFailureRate: 0, duplicateRate: 0 } } },
          { id: "woocommerce", kind: "woocommerce", share: 0.5, profile: { notifications: { delay: { kind: "constant", ms: 1_800_000 }, attemptFailureRate: 0, duplicateRate: 0 } } },
        ],
        demand: { ordersPerDay: 1200, agentShare: 0 },
      },
      "test",
    );
    if (!loaded.ok) throw new Error(loaded.problems.join("; "));
    const doc = await runReal({ scenario: loaded.scenario, strategy: "events", seed: 1, durationMs: 4_000, convergenceTimeoutMs: 20_000, logger: createLogger("silent") });
    const result = doc.strategies[0];
    if (!result) throw new Error("no strategy");
    expect(result.orders.droppedArrivals).toBe(0);
    expect(result.orders.oversold).toBeGreaterThan(0);
    const channels = Object.entries(result.channels);
    for (const [id, c] of channels) {
      expect({ id, accepted: typeof c.accepted, limit: c.cancellationRateLimit }).toEqual({ id, accepted: "number", limit: DEFAULT_PROFILES[c.kind as keyof typeof DEFAULT_PROFILES].cancellationRateLimit });
      expect({ id, rate: c.cancellationRate }).toEqual({ id, rate: (c.accepted ?? 0) > 0 ? round6(c.oversold / (c.accepted ?? 1)) : 0 });
    }
    expect(channels.reduce((sum, [, c]) => sum + (c.accepted ?? 0), 0)).toBe(result.orders.accepted);
    expect(channels.reduce((sum, [, c]) => sum + c.oversold, 0)).toBe(result.orders.oversold);
    // The oversold order's channel is at 100 % or near it; the pooled rate hides half of that.
    expect(Math.max(...channels.map(([, c]) => c.cancellationRate ?? 0))).toBeGreaterThan(result.orders.cancellationRate);
  }, 60_000);
});
