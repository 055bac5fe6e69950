// `orderImport: poll` models the polling baseline's connector (DESIGN, "The polling baseline, modelled
// fairly"): it delays polling strategies only. And arrivals follow their plan from the scenario's
// start, also while the engine is still starting up (open model).
import { describe, expect, it } from "vitest";
import { simulateStrategy } from "../src/index.js";
import { instantChannel, scenario } from "./helpers.js";

describe("orderImport: poll", () => {
  const s = scenario({
    name: "import",
    duration: "2h",
    catalog: { skus: 20, stock: 100_000, popularity: 0 },
    channels: [instantChannel("a"), instantChannel("b")],
    demand: { ordersPerDay: 2000 },
    orderImport: { poll: "15m", minAge: "2m" },
    strategies: ["events", "polling:15m"],
  });

  it("the event-driven engine still gets orders as they happen; the polling baseline imports them every interval", async () => {
    const events = await simulateStrategy(s, "events", 1);
    // Before the fix every order waited for the 15-minute import under events too: p50 ≈ 8 min.
    expect(events.syncLagMs.p50).toBeLessThan(60_000);
    expect(events.orderImport).toBe("push");
    expect(events.ok).toBe(true);
    const polling = await simulateStrategy(s, "polling:15m", 1);
    expect(polling.orderImport).toBe("poll:900000ms");
    // An order less than 2 minutes old at a 15-minute mark waits for the next one: up to 17 minutes
    // before the poll that pushes it, where pushing alone waits at most 15.
    const pushOnly = await simulateStrategy({ ...s, orderImport: "push" }, "polling:15m", 1);
    expect(pushOnly.syncLagMs.max).toBeLessThan(15.5 * 60_000);
    expect(polling.syncLagMs.max).toBeGreaterThan(16 * 60_000);
    expect(polling.ok).toBe(true);
  });
});

describe("engine start-up", () => {
  it("arrivals planned while the engine starts up happen at their time, not all at the end of the start-up", async () => {
    // Every store round trip takes 10 minutes: the engine's start-up (it reads the store) takes a while.
    const s = scenario({
      name: "slow-store",
      duration: "2h",
      catalog: { skus: 10, stock: 100_000, popularity: 0 },
      channels: [instantChannel("a"), instantChannel("b")],
      demand: { ordersPerDay: 2400 },
      engine: { storeLatency: { kind: "constant", ms: 600_000 } },
      convergenceBudget: "2h",
      strategies: ["events"],
    });
    const result = await simulateStrategy(s, "events", 1);
    const firstHalfHour = result.perMinute.accepted.slice(0, 30);
    // ~50 arrivals in the first half hour, spread over it (before the fix: none until start-up was done, then all at once).
    expect(firstHalfHour.filter((n) => n > 0).length).toBeGreaterThan(15);
    expect(Math.max(...result.perMinute.accepted)).toBeLessThan(10);
    expect(result.orders.fulfilled).toBe(result.orders.accepted);
    expect(result.ok).toBe(true);
  });

  it("a store slower than the whole run: buyers still arrive, and the run ends (convergence fails) instead of hanging on orders in flight", async () => {
    const s = scenario({
      name: "slower-store",
      duration: "1h",
      catalog: { skus: 5, stock: 1000 },
      channels: [instantChannel("a"), instantChannel("b")],
      demand: { ordersPerDay: 2400 },
      engine: { storeLatency: { kind: "constant", ms: 7_200_000 } },
      convergenceBudget: "30m",
      strategies: ["events"],
    });
    const result = await simulateStrategy(s, "events", 1);
    // Before: every arrival was scheduled after the start-up, in its past, and never ran — 0 attempted, every checker green.
    expect(result.orders.attempted).toBeGreaterThan(50);
    expect(result.orders.accepted).toBe(result.orders.attempted);
    expect(result.checks.find((c) => !c.ok)?.name).toBe("every channel converged after quiescence");
  });
});

describe("engine start-up and restocks", () => {
  it("a restock planned during a slow start-up is applied at its time (plus the store's latency), like the arrivals", async () => {
    const storeLatencyMs = 600_000;
    const s = scenario({
      name: "slow-store-restock",
      duration: "2h",
      catalog: { skus: 1, stock: 100 },
      channels: [instantChannel("a"), instantChannel("b")],
      demand: { ordersPerDay: 1, restocks: [{ at: "1m", quantity: 50 }] },
      engine: { storeLatency: { kind: "constant", ms: storeLatencyMs } },
      convergenceBudget: "2h",
      strategies: ["events"],
    });
    const result = await simulateStrategy(s, "events", 1);
    const truth = result.timeline.truth;
    const restockStep = truth.find(([, quantity], i) => i > 0 && quantity > (truth[i - 1]?.[1] ?? 0));
    expect(restockStep?.[0]).toBe(60_000 + storeLatencyMs);
  });
});
