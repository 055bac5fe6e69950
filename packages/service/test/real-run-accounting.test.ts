// A real run's order accounting means what the simulator's does (docs/simulation.md), on the real
// stack: a buyer turned away while the only unit left was already sold (its order's notification still
// on the way) is sold out, not a lost sale; duplicated notifications the ingest recognised by order id
// count as duplicate deliveries even though JetStream dropped them before the store; and scenario
// settings only the simulator applies are named in a note, not silently ignored.

import { describe, expect, it } from "vitest";
import { simulateStrategy } from "@synclag/sim";
import { validateScenario, type ScenarioInput } from "@synclag/workload";
import { createLogger, runReal } from "../src/index.js";
import { serversMissing } from "./servers.js";

function scenario(input: ScenarioInput) {
  const loaded = validateScenario(input, "test");
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  return loaded.scenario;
}

describe.skipIf(serversMissing())("real run: orders counted as the simulator counts them", () => {
  it("a buyer turned away while the last unit was sold but not yet applied is sold out, not a lost sale", async () => {
    // One SKU, one unit, both channels' notifications 30 min late (2 s of the 4 s run): the first buyer
    // takes the unit, every later one meets a channel showing 0 while the store still holds 1.
    const lastUnit = scenario({
      name: "last-unit",
      duration: "1h",
      catalog: { skus: 1, stock: 1, popularity: 0 },
      channels: [
        { id: "shopify", kind: "shopify", share: 0.5, profile: { notifications: { delay: { kind: "constant", ms: 1_800_000 }, attemptFailureRate: 0 } } },
        { id: "woocommerce", kind: "woocommerce", share: 0.5, profile: { notifications: { delay: { kind: "constant", ms: 1_800_000 }, attemptFailureRate: 0 } } },
      ],
      demand: { ordersPerDay: 1200, agentShare: 0 },
    });
    const simulated = await simulateStrategy(lastUnit, "events", 1);
    expect(simulated.orders.lostSales).toBe(0);
    const doc = await runReal({ scenario: lastUnit, strategy: "events", seed: 1, durationMs: 4_000, convergenceTimeoutMs: 20_000, logger: createLogger("silent") });
    const real = doc.strategies[0];
    expect(real?.orders.droppedArrivals).toBe(0);
    expect(real?.orders.soldOut).toBeGreaterThan(5);
    expect(real?.orders.lostSales).toBe(0);
    expect(Object.values(real?.channels ?? {}).map((c) => c.lostSales)).toEqual([0, 0]);
  }, 60_000);

  it("counts the duplicated notifications the ingest recognised by order id, and notes the simulator-only feed settings", async () => {
    const notifications = { duplicateRate: 0.5, attemptFailureRate: 0 };
    const duplicated = scenario({
      name: "dupes",
      duration: "1h",
      catalog: { skus: 5, stock: 1000, popularity: 0 },
      channels: [
        { id: "shopify", kind: "shopify", share: 0.5, profile: { notifications } },
        { id: "woocommerce", kind: "woocommerce", share: 0.5, profile: { notifications } },
      ],
      demand: { ordersPerDay: 1200, agentShare: 0 },
      feed: { lostAckRate: 0.01 },
    });
    const progress: string[] = [];
    const doc = await runReal({ scenario: duplicated, strategy: "events", seed: 1, durationMs: 4_000, convergenceTimeoutMs: 20_000, logger: createLogger("silent"), onProgress: (m) => progress.push(m) });
    const real = doc.strategies[0];
    // ~50 orders, every other notification sent twice.
    expect(real?.orders.accepted).toBeGreaterThan(20);
    expect(real?.orders.duplicateDeliveries).toBeGreaterThan(5);
    expect(real?.orders.duplicateDeliveries).toBeLessThanOrEqual(real?.orders.accepted ?? 0);
    expect(progress).toContain("note: scenario dupes: feed.lostAckRate is simulator-only (the simulated order feed's delay and faults): not applied — a real run uses real NATS JetStream as it behaves");
  }, 60_000);
});
