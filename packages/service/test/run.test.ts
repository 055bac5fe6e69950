// `synclag run` end to end on the real stack (private nats-server and redis-server, HTTP mocks, the
// engine service, the open-model load generator): both strategies finish, every invariant checker
// passes, and the document has the simulator's shape with mode "real" and droppedArrivals.
import { describe, expect, it } from "vitest";
import { validateScenario } from "@synclag/workload";
import { runReal, createLogger } from "../src/index.js";
import { serversMissing } from "./servers.js";

const loaded = validateScenario(
  {
    name: "tiny-sale",
    description: "two channels, six SKUs, a short burst",
    duration: "1h",
    catalog: { skus: 6, stock: { min: 5, max: 12 }, popularity: 1 },
    channels: [
      { id: "shopify", kind: "shopify", share: 0.6 },
      { id: "woocommerce", kind: "woocommerce", share: 0.4 },
    ],
    demand: { ordersPerDay: 1500, curve: [{ start: "20m", duration: "20m", multiplier: 4 }], agentShare: 0.2, restocks: [{ at: "40m", quantity: 4, skus: 2 }] },
  },
  "test",
);
if (!loaded.ok) throw new Error(loaded.problems.join("; "));
const scenario = loaded.scenario;

const faulty = validateScenario(
  {
    name: "tiny-outage",
    description: "shopify down for a quarter of the run, flipkart throttling hard (429 storm)",
    duration: "1h",
    catalog: { skus: 4, stock: 200, popularity: 0 },
    channels: [
      { id: "shopify", kind: "shopify", share: 0.5, profile: { faults: { outages: [{ start: "10m", duration: "15m" }] } } },
      { id: "flipkart", kind: "flipkart", share: 0.5, profile: { faults: { throttleStorms: [{ start: "5m", duration: "40m", factor: 0.0005 }] } } },
    ],
    demand: { ordersPerDay: 4000 },
  },
  "test",
);
if (!faulty.ok) throw new Error(faulty.problems.join("; "));

describe.skipIf(serversMissing())("synclag run (real stack)", () => {
  for (const strategy of ["events", "polling:2s"]) {
    it(`${strategy}: replays the plan, converges, and passes every invariant checker`, async () => {
      const doc = await runReal({ scenario, strategy, seed: 3, durationMs: 5_000, convergenceTimeoutMs: 20_000, logger: createLogger("silent") });
      const result = doc.strategies[0];
      expect(doc.generator.mode).toBe("real");
      expect(result?.strategy).toBe(strategy);
      expect(result?.checks.filter((c) => !c.ok)).toEqual([]);
      expect(doc.ok).toBe(true);
      expect(result?.orders.accepted).toBeGreaterThan(0);
      expect(typeof result?.orders.droppedArrivals).toBe("number");
      // Every accepted order reached the engine exactly once and was either filled or cancelled.
      expect((result?.orders.fulfilled ?? 0) + (result?.orders.oversold ?? 0) + (result?.orders.unnotified ?? 0)).toBe(result?.orders.accepted);
      expect(result?.orders.oversold).toBe(Object.values(result?.channels ?? {}).reduce((n, c) => n + c.cancellations, 0));
      // Lag was measured from the marketplace side for every other channel of every applied order.
      expect(result?.syncLagMs.count).toBeGreaterThan(0);
      if (strategy.startsWith("polling")) expect(result?.polling?.intervalMs).toBe(2_000);
      else expect(result?.polling).toBeUndefined();
    }, 60_000);
  }

  it("events: marketplace outage and a 429 storm: every channel converges after heal", async () => {
    const doc = await runReal({ scenario: faulty.scenario, strategy: "events", seed: 5, durationMs: 5_000, convergenceTimeoutMs: 30_000, logger: createLogger("silent") });
    const result = doc.strategies[0];
    expect(result?.channels.shopify?.serverErrors).toBeGreaterThan(0);
    expect(result?.channels.flipkart?.throttled).toBeGreaterThan(0);
    expect(result?.checks.filter((c) => !c.ok)).toEqual([]);
  }, 90_000);
});
