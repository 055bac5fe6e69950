// Polling pushes only on its tick, so the run must last until a poll has brought the last orders to
// the channels: a convergence budget counted from the end of the arrivals cut off every interval longer
// than it (steady-day with polling:5h "broke" convergence with 112 listings behind; polling:30d had no
// lag figure at all). A correct strategy must never be reported as breaking an invariant.
import { describe, expect, it } from "vitest";
import { loadScenario } from "@synclag/workload";
import { simulateStrategy, type StrategyResult } from "../src/index.js";
import { instantChannel, scenario } from "./helpers.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function builtin(name: string) {
  const loaded = loadScenario(name);
  if (!loaded.ok) throw new Error(loaded.problems.join("\n"));
  return loaded.scenario;
}

function expectConvergedWithEveryLag(result: StrategyResult, otherChannels: number) {
  expect(result.checks.filter((c) => !c.ok)).toEqual([]);
  expect(result.ok).toBe(true);
  expect(result.orders.fulfilled).toBeGreaterThan(0);
  // No order near the end is left out: every applied order has its sample for every other channel.
  expect(result.orders.notVisibleEverywhere).toBe(0);
  expect(result.syncLagMs.count).toBe(otherChannels * result.orders.fulfilled);
  expect(result.visibleEverywhereMs?.count).toBe(result.orders.fulfilled);
}

/** Instant channels and store: an order's lag is exactly the time from its confirmation to the next poll. */
const instant = {
  catalog: { skus: 1, stock: 10_000_000, popularity: 0 },
  feed: { delay: { kind: "constant" as const, ms: 0 } },
  engine: { storeLatency: { kind: "constant" as const, ms: 0 }, reconcileInterval: 0 },
};

describe("polling intervals longer than the convergence budget", () => {
  it("steady-day with polling:5h converges after the poll that follows the end, with every lag counted", async () => {
    const s = builtin("steady-day");
    expect(s.convergenceBudget).toBeLessThan(5 * HOUR);
    const result = await simulateStrategy(s, "polling:5h", 1);
    expectConvergedWithEveryLag(result, 3);
    // Polls at 5, 10, 15, 20 and 25 h: the orders of the last 4 h wait for the one after the end.
    expect(result.simulatedMs).toBeGreaterThan(25 * HOUR);
    expect(result.syncLagMs.max).toBeGreaterThan(4 * HOUR);
    expect(result.syncLagMs.max).toBeLessThan(5 * HOUR + 15 * MINUTE);
    expect(result.syncLagMs.p50).toBeGreaterThan(HOUR);
    // Same seed, same document.
    expect(JSON.stringify(await simulateStrategy(s, "polling:5h", 1))).toBe(JSON.stringify(result));
  });

  it("an interval longer than the scenario still runs: one poll after the end brings every order", async () => {
    const s = scenario({ ...instant, name: "poll-after-end", duration: "2h", demand: { ordersPerDay: 2_400 }, convergenceBudget: "10m", channels: [instantChannel("a"), instantChannel("b")] });
    const result = await simulateStrategy(s, "polling:1d", 5);
    expectConvergedWithEveryLag(result, 1);
    // The first poll is one interval after the start: lag = 24 h − confirmation, on [22 h, 24 h].
    expect(result.simulatedMs).toBeGreaterThanOrEqual(24 * HOUR);
    expect(result.simulatedMs).toBeLessThan(24 * HOUR + 10 * MINUTE);
    expect(result.syncLagMs.max).toBeLessThanOrEqual(24 * HOUR * 1.001);
    expect(result.syncLagMs.p50).toBeGreaterThan(22 * HOUR);
    expect(result.syncLagMs.p50).toBeLessThan(24 * HOUR);
    // One window, partial, holds every order placed: its mean is not extrapolated past the run.
    expect(result.polling?.ordersPerWindow.mean).toBe(result.orders.attempted);
    expect(result.polling?.ordersPerWindow.peak).toBe(result.orders.attempted);
  });

  // Every notification arrives 45 min after the sale.
  const late = { notifications: { delay: { kind: "constant" as const, ms: 45 * MINUTE }, duplicateRate: 0, attemptFailureRate: 0, retries: 0 } };
  const lateScenario = (convergenceBudget: string) =>
    scenario({ ...instant, name: "late-notifications", duration: "1h", demand: { ordersPerDay: 4_800 }, convergenceBudget, channels: [instantChannel("a", late), instantChannel("b", late)] });

  it("waits for the poll after the last late notification, not just the first poll after the end", async () => {
    // The last orders reach the engine at ≈ 1 h 45 min: after the 1 h poll, and the 1 h 30 min one, and
    // just before the end of a budget counted from the end of the arrivals (1 h 50 min) — only the 2 h
    // poll brings them to the other channel.
    const result = await simulateStrategy(lateScenario("50m"), "polling:30m", 7);
    expectConvergedWithEveryLag(result, 1);
    expect(result.orders.fulfilled).toBe(result.orders.accepted);
    expect(result.simulatedMs).toBeGreaterThanOrEqual(2 * HOUR);
    // Delivered 45 min after confirmation, then pushed at the next poll: lag on [45 min, 75 min).
    expect(result.syncLagMs.p50).toBeGreaterThan(45 * MINUTE);
    expect(result.syncLagMs.max).toBeLessThan(75 * MINUTE * 1.001);
  });

  it("does not call a run converged while notifications are still on their way (they would be dropped)", async () => {
    // A budget shorter than the notification delay: the 1 h poll makes both listings equal the truth
    // (of the orders in so far) while most orders have not reached the engine. That used to end the run,
    // green, with those orders never applied.
    const result = await simulateStrategy(lateScenario("10m"), "polling:30m", 7);
    expect(result.ok).toBe(false);
    expect(result.checks.find((c) => !c.ok)?.detail).toMatch(/orders. notifications were still on the way to the engine .*raise convergenceBudget/);
  });
});
