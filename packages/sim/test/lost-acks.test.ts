// Lost acks: a message whose acks keep getting lost reaches max-deliver and is dead-lettered (as in
// JetStream) although its order was applied at its first delivery. That is no lost order: "no dead
// letters for valid orders" counts only dead letters of orders the store has no outcome for.
import { describe, expect, it } from "vitest";
import { checkNoValidOrderDeadLettered, simulateStrategy } from "../src/index.js";
import { instantChannel, scenario } from "./helpers.js";

describe("lost acks and dead letters", () => {
  it("orders whose acks were lost until max-deliver (each applied once) keep 'no dead letters for valid orders' green", async () => {
    const s = scenario({
      name: "lost-acks",
      duration: "1h",
      catalog: { skus: 5, stock: 1000 },
      channels: [instantChannel("a"), instantChannel("b")],
      demand: { ordersPerDay: 4800 },
      feed: { lostAckRate: 0.5, ackWait: "10s" },
      strategies: ["events"],
    });
    const result = await simulateStrategy(s, "events", 1);
    expect(result.orders.fulfilled + result.orders.oversold + result.orders.unnotified).toBe(result.orders.accepted); // every order has its one outcome
    expect(result.engine.deadLetters).toBeGreaterThan(0); // 1 in 32 loses 5 acks in a row
    expect(result.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`)).toEqual([]);
    const check = result.checks.find((c) => c.name === "no dead letters for valid orders");
    expect(check?.detail).toContain(`0 dead letters, all for injected invalid events; ${result.engine.deadLetters} more of orders the store had already settled`);
  });

  it("a dead letter of an order the store never settled still fails the check", () => {
    const letter = (orderId: string) => ({ reason: "max deliveries (5) exceeded", event: { orderId, sourceChannel: "a", lines: [], confirmedAtMs: 0 } });
    const settled = new Set(["o-1"]);
    expect(checkNoValidOrderDeadLettered([letter("o-1")], 0, settled).ok).toBe(true);
    const lost = checkNoValidOrderDeadLettered([letter("o-1"), letter("o-2")], 0, settled);
    expect(lost.ok).toBe(false);
    expect(lost.detail).toMatch(/^1 dead letters, 0 invalid events injected; first: max deliveries \(5\) exceeded; 1 more of orders the store had already settled/);
    // Without the store's outcomes (no ids given) every dead letter counts, as before.
    expect(checkNoValidOrderDeadLettered([letter("o-1")], 0).ok).toBe(false);
    expect(checkNoValidOrderDeadLettered([{ reason: "invalid event" }], 1, settled).ok).toBe(true);
  });
});
