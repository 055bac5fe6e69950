// polling.ordersPerWindow: orders placed per sync window (issue 2: steady-day 500/96 ≈ 5.2), buyers a
// sold-out listing turned away included. And catalog.price values a lost sale when cost.averageOrderValue is not set.
import { describe, expect, it } from "vitest";
import { simulateStrategy } from "../src/index.js";
import { scenario } from "./helpers.js";

describe("polling.ordersPerWindow", () => {
  it("counts orders placed (issue 2's 500/96): buyers a sold-out listing turned away included", async () => {
    const s = scenario({
      name: "empty-shelves",
      duration: "1h",
      catalog: { skus: 2, stock: 0 },
      channels: [
        { id: "a", kind: "woocommerce", share: 1 },
        { id: "b", kind: "woocommerce", share: 1 },
      ],
      demand: { ordersPerDay: 240 },
      strategies: ["polling:15m"],
    });
    const result = await simulateStrategy(s, "polling:15m", 1);
    expect(result.orders.attempted).toBeGreaterThan(0);
    expect(result.orders.accepted).toBe(0);
    expect(result.polling?.ordersPerWindow.mean).toBe(Math.round((result.orders.attempted / 4) * 1000) / 1000);
  });

  it("mean = orders placed / windows of the run; the peak window holds at most all of them", async () => {
    const s = scenario({
      name: "some-stock",
      duration: "2h",
      catalog: { skus: 3, stock: 10 },
      channels: [
        { id: "a", kind: "woocommerce", share: 1 },
        { id: "b", kind: "amazon", share: 1 },
      ],
      demand: { ordersPerDay: 2400 },
      strategies: ["polling:15m"],
    });
    const result = await simulateStrategy(s, "polling:15m", 1);
    expect(result.orders.accepted).toBeLessThan(result.orders.attempted); // stock runs out
    expect(result.polling?.ordersPerWindow.mean).toBe(Math.round((result.orders.attempted / 8) * 1000) / 1000);
    expect(result.polling?.ordersPerWindow.peak).toBeGreaterThan(0);
    expect(result.polling?.ordersPerWindow.peak).toBeLessThanOrEqual(result.orders.attempted);
  });
});

describe("catalog.price", () => {
  const make = (catalog: { price?: number }, cost: { averageOrderValue?: number } = {}) =>
    scenario({
      name: "price",
      duration: "1h",
      catalog: { skus: 3, stock: 0, ...catalog },
      channels: [
        { id: "a", kind: "woocommerce", share: 1 },
        { id: "b", kind: "amazon", share: 1 },
      ],
      demand: { ordersPerDay: 2000, restocks: [{ at: 0, quantity: 50 }] },
      strategies: ["polling:15m"],
      cost,
    });

  it("values a lost sale (as the average order value) when cost.averageOrderValue is not given", async () => {
    const cheap = await simulateStrategy(make({ price: 5 }), "polling:15m", 1);
    const dear = await simulateStrategy(make({ price: 5000 }), "polling:15m", 1);
    expect(cheap.orders.lostSales).toBeGreaterThan(0);
    // Before the fix catalog.price was ignored: both documents were byte-identical.
    expect(cheap.cost.lostSales).toBe(Math.round(cheap.orders.lostSales * 5 * 0.3 * 100) / 100);
    expect(dear.cost.lostSales).toBe(Math.round(dear.orders.lostSales * 5000 * 0.3 * 100) / 100);
    // An explicit average order value wins.
    const explicit = await simulateStrategy(make({ price: 5000 }, { averageOrderValue: 5 }), "polling:15m", 1);
    expect(explicit.cost).toEqual(cheap.cost);
  });
});
