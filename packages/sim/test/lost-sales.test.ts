// A lost sale is a buyer turned away while stock was *available*: units already sold at a
// marketplace whose notification the store has not applied yet are not available, even though the
// store's level still counts them.
import { describe, expect, it } from "vitest";
import { simulateStrategy } from "../src/index.js";
import { instantChannel, scenario } from "./helpers.js";

const oneUnit = (notifications: Record<string, unknown>, feed?: { duplicateRate: number }) =>
  scenario({
    name: "one-unit",
    duration: "1h",
    catalog: { skus: 1, stock: 1, popularity: 0 },
    channels: [instantChannel("shop", { notifications: { delay: { kind: "constant", ms: 60_000 }, duplicateRate: 0, attemptFailureRate: 0, retries: 0, ...notifications } })],
    demand: { ordersPerDay: 24 * 60 * 6, agentShare: 0 }, // ~6 arrivals a minute
    ...(feed ? { feed } : {}),
    strategies: ["events"],
  });

describe("lost sales", () => {
  it("a buyer turned away after the only unit sold (its notification not yet applied) is sold out, not a lost sale", async () => {
    const r = await simulateStrategy(oneUnit({}), "events", 1);
    expect(r.orders.accepted).toBe(1);
    expect(r.orders.lostSales).toBe(0);
    expect(r.orders.soldOut).toBe(r.orders.attempted - 1);
    expect(r.cost.lostSales).toBe(0);
    expect(r.ok).toBe(true);
  });

  it("a duplicate notification or a feed redelivery releases the sold unit once only", async () => {
    const r = await simulateStrategy(oneUnit({ duplicateRate: 1 }, { duplicateRate: 1 }), "events", 1);
    expect(r.orders.duplicateDeliveries).toBeGreaterThan(0);
    expect(r.orders.accepted).toBe(1);
    expect(r.orders.lostSales).toBe(0);
  });

  it("an unnotified order stays sold: buyers after it are not lost sales", async () => {
    const r = await simulateStrategy(oneUnit({ attemptFailureRate: 1 }), "events", 1);
    // The store never learns of a sale, so the reconciler puts the unit back on the shelf and it sells again.
    expect(r.orders.unnotified).toBeGreaterThan(0);
    expect(r.orders.unnotified).toBe(r.orders.accepted);
    expect(r.orders.lostSales).toBe(0);
  });

  it("a channel showing 0 while another's stock is really unsold still counts lost sales", async () => {
    // "b" lists nothing (maxListed 0) while the store holds stock nobody bought yet.
    const s = scenario({
      name: "hidden-stock",
      duration: "1h",
      catalog: { skus: 1, stock: 1000, popularity: 0 },
      channels: [instantChannel("a"), { ...instantChannel("b"), policy: { maxListed: 0 } }],
      demand: { ordersPerDay: 24 * 60, agentShare: 0 },
      strategies: ["events"],
    });
    const r = await simulateStrategy(s, "events", 1);
    expect(r.channels.b?.lostSales).toBeGreaterThan(0);
    expect(r.orders.lostSales).toBe(r.channels.b?.lostSales);
  });
});
