// Fault injection keeps every checker green over many seeds; and each checker fails when its
// invariant is broken on purpose (a checker that cannot fail proves nothing).
import { describe, expect, it } from "vitest";
import { GroundTruth, checkConservation, checkConvergence, checkEveryOversellCancelled, checkNoValidOrderDeadLettered, checkNoVersionRegression, checkSingleApplication, checkStockNeverNegative, simulateStrategy, type StrategyResult } from "../src/index.js";
import { scenario } from "./helpers.js";
import type { AuditRecord } from "@synclag/core";

const faulty = scenario({
  name: "fault-storm",
  duration: "2h",
  catalog: { skus: 20, stock: { min: 5, max: 30 }, popularity: 1 },
  channels: [
    { id: "amazon", kind: "amazon", share: 2, profile: { faults: { serverErrorRate: 0.05, timeoutAfterApplyRate: 0.05, throttleStorms: [{ start: "20m", duration: "20m", factor: 0.05 }] } } },
    { id: "shopify", kind: "shopify", share: 1, profile: { faults: { outages: [{ start: "40m", duration: "15m" }], timeoutAfterApplyRate: 0.05 }, notifications: { attemptFailureRate: 0.1, duplicateRate: 0.1 } } },
    { id: "flipkart", kind: "flipkart", share: 1, profile: { faults: { serverErrorRate: 0.1 }, notifications: { attemptFailureRate: 0.05 } } },
    { id: "ebay", kind: "ebay", share: 1, profile: { faults: { itemRejectRate: 0.02 } } },
  ],
  demand: { ordersPerDay: 12_000, curve: [{ start: "30m", duration: "30m", multiplier: 4 }], restocks: [{ at: "1h", quantity: 10 }] },
  feed: { lostAckRate: 0.05, duplicateRate: 0.05, ackWait: "30s" },
  engine: { reconcileInterval: "5m" },
  convergenceBudget: "2h",
});

const failed = (result: StrategyResult) => result.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);

describe("fault injection (duplicates, lost acks, 429 storm, 5xx, timeouts after apply, outage, rejected items)", () => {
  for (const strategy of ["events", "polling:5m"]) {
    it(`${strategy}: every checker stays green over 6 seeds`, async () => {
      for (let seed = 1; seed <= 6; seed++) {
        const result = await simulateStrategy(faulty, strategy, seed);
        expect(failed(result), `seed ${seed}`).toEqual([]);
        expect(result.orders.duplicateDeliveries, `seed ${seed}`).toBeGreaterThan(0);
      }
    });
  }
});

describe("each checker fails when its invariant is broken on purpose", () => {
  const record = (seq: number, orderId: string, sku: string, delta: number, quantity: number): AuditRecord => ({ seq, atMs: seq, kind: "order", orderId, sourceChannel: "a", changes: [{ sku, delta, quantity, version: seq }] });

  it("stock never negative", () => {
    expect(checkStockNeverNegative([record(1, "o1", "A", -1, -1)]).ok).toBe(false);
    expect(checkStockNeverNegative([record(1, "o1", "A", -1, 0)]).ok).toBe(true);
  });

  it("conservation against the audit", () => {
    const audit = [record(1, "set", "A", 5, 5), record(2, "o1", "A", -1, 4)];
    expect(checkConservation(audit, new Map([["A", { quantity: 4, version: 2 }]])).ok).toBe(true);
    expect(checkConservation(audit, new Map([["A", { quantity: 3, version: 2 }]])).ok).toBe(false);
  });

  it("at most one applied record per order", () => {
    expect(checkSingleApplication([record(1, "o1", "A", -1, 4), record(2, "o1", "A", -1, 3)]).ok).toBe(false);
  });

  it("convergence", () => {
    expect(checkConvergence([{ channel: "a", sku: "A", shown: 2, expected: 1 }], []).ok).toBe(false);
    expect(checkConvergence([], [{ channel: "a", count: 1 }]).ok).toBe(false);
    expect(checkConvergence([], [{ channel: "a", count: 0 }]).ok).toBe(true);
    expect(checkConvergence([], [{ channel: "a", count: 0 }], 2).detail).toMatch(/2 orders. notifications were still on the way/);
  });

  it("no version regression, every oversell cancelled, no valid order dead-lettered", () => {
    expect(checkNoVersionRegression([{ channel: "a", count: 1 }]).ok).toBe(false);
    expect(checkEveryOversellCancelled(3, 2).ok).toBe(false);
    const ids = (entries: Record<string, string[]>) => new Map(Object.entries(entries).map(([channel, list]) => [channel, new Set(list)]));
    expect(checkEveryOversellCancelled(ids({ a: ["a-1", "a-2"], b: ["b-1"] }), ids({ a: ["a-2", "a-1"], b: ["b-1"] })).ok).toBe(true);
    // Same totals, but one cancellation went to the wrong order (and one to the wrong channel).
    expect(checkEveryOversellCancelled(ids({ a: ["a-1", "a-2"] }), ids({ a: ["a-1", "a-3"] })).detail).toMatch(/a: 1 oversold order not cancelled \(e\.g\. a-2\); a: 1 cancellation of an order not oversold there \(e\.g\. a-3\)/);
    expect(checkEveryOversellCancelled(ids({ a: ["x-1"], b: [] }), ids({ a: [], b: ["x-1"] })).ok).toBe(false);
    expect(checkNoValidOrderDeadLettered([{ reason: "boom" }], 0).ok).toBe(false);
  });

  it("lag never negative: ground truth refuses a visibility that precedes the order", () => {
    const truth = new GroundTruth([{ id: "a" }, { id: "b" }], ["A"], 0, 1000);
    truth.seed("A", 5, [5, 5]);
    truth.orderApplied("a", "A", 2, 500);
    expect(() => truth.onVisible({ channel: "b", sku: "A", quantity: 4, version: 2, atMs: 400 })).toThrow(/negative sync lag/);
  });

  it("end to end: sabotaged runs are caught by the right checker", async () => {
    const broken = async (sabotage: "double-apply" | "skip-push" | "negative-stock" | "drop-cancel" | "wrong-cancel") => failed(await simulateStrategy(faulty, "events", 1, { sabotage })).join("\n");
    expect(await broken("double-apply")).toMatch(/at most one applied record per order/);
    expect(await broken("skip-push")).toMatch(/every channel converged/);
    expect(await broken("negative-stock")).toMatch(/stock never negative/);
    expect(await broken("drop-cancel")).toMatch(/every oversell cancelled/);
    // One cancellation sent to the wrong order: as many cancellations as oversells, still caught.
    expect(await broken("wrong-cancel")).toMatch(/every oversell cancelled.*1 oversold order not cancelled.*1 cancellation of an order not oversold/);
  });
});
