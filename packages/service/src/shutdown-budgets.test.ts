// The shutdown deadline is shared between the stop steps (shutdownBudgets): ingest, engine, and up to
// four closing steps (channel clients, Redis, NATS drain, NATS close). Every step may use its whole
// budget (a frozen dependency), so the budgets together must fit inside the deadline — with a little
// left for the last log lines — or the graceful stop overruns it and the process exits 1.
import { describe, expect, it } from "vitest";
import { shutdownBudgets } from "./engine-service.js";

describe("shutdown budgets", () => {
  for (const timeoutMs of [1, 100, 1_000, 2_000, 5_000, 15_000, 60_000, 600_000]) {
    it(`fit inside a shutdownTimeout of ${timeoutMs} ms, each step with a positive share`, () => {
      const b = shutdownBudgets(timeoutMs);
      const worstCase = b.ingestStepMs + b.engineStepMs + 4 * b.closeStepMs;
      expect(worstCase, JSON.stringify(b)).toBeLessThanOrEqual(timeoutMs);
      // The drain and the feed's stop run inside their steps.
      expect(b.ingestDrainMs).toBeLessThanOrEqual(b.ingestStepMs);
      expect(b.feedStopMs).toBeLessThanOrEqual(b.engineStepMs);
      expect(b.feedStopMs).toBeGreaterThan(0);
      expect(b.ingestDrainMs).toBeGreaterThanOrEqual(0);
    });
  }

  it("keeps the documented shares: ingest ≤ ¼ (its drain 5 s at most), closing ≤ 1/16 each (2 s at most), the engine the rest (at least ½)", () => {
    const b = shutdownBudgets(15_000);
    expect(b.ingestStepMs).toBeLessThanOrEqual(15_000 / 4);
    expect(b.closeStepMs).toBeLessThanOrEqual(15_000 / 16);
    expect(b.engineStepMs).toBeGreaterThanOrEqual(14_000 / 2);
    const long = shutdownBudgets(600_000);
    expect(long.ingestDrainMs).toBe(5_000);
    expect(long.closeStepMs).toBe(2_000);
  });
});
