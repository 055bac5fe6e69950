// An oversold order whose cancellation the relay still holds when the convergence budget runs out (a
// channel whose every call times out: the relay cannot tell its cancellations landed and backs off) is
// not a lost cancellation: the checker still fails — nothing converged — but says the entries are still
// pending in the store and what to do, instead of reading like cancellations the engine lost.
import { describe, expect, it } from "vitest";
import { checkEveryOversellCancelled, simulateStrategy } from "../src/index.js";
import { BUILTIN_SCENARIOS, type ScenarioInput } from "@synclag/workload";
import { scenario } from "./helpers.js";

const ids = (byChannel: Record<string, string[]>) => new Map(Object.entries(byChannel).map(([c, list]) => [c, new Set(list)]));

describe("oversells whose cancellation is still pending at the end", () => {
  it("names the pending ones apart from the lost ones", () => {
    const result = checkEveryOversellCancelled(ids({ a: ["a-1", "a-2", "a-3"] }), ids({ a: ["a-1"] }), ids({ a: ["a-2"] }));
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/a: 1 oversold order not cancelled \(e\.g\. a-3\)/);
    expect(result.detail).toMatch(/a: 1 oversold order's cancellation still pending in the store when the run ended \(e\.g\. a-2;/);
    expect(result.detail).toMatch(/convergenceBudget/);
  });

  it("a channel whose every call times out: the detail says the cancellations are still pending", async () => {
    // The flash sale (many oversells under polling), Shopify's every call slower than its client timeout.
    const base = structuredClone(BUILTIN_SCENARIOS["flash-sale"]) as ScenarioInput;
    const slow = scenario({
      ...base,
      channels: base.channels.map((c) => (c.kind === "shopify" ? { ...c, profile: { apiLatency: { kind: "constant", ms: 5000 }, clientTimeoutMs: 2000 } } : c)),
    });
    const result = await simulateStrategy(slow, "polling:15m", 1);
    const check = result.checks.find((c) => c.name === "every oversell cancelled at its source");
    expect(check?.ok).toBe(false);
    expect(check?.detail).toMatch(/shopify: \d+ oversold orders?'s? cancellations? still pending in the store when the run ended/);
    expect(check?.detail).not.toMatch(/not cancelled/);
  });
});
