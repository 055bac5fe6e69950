// The comparison table names the drift a run without a reconciler left behind (`driftUnrepaired`): lost
// notifications' units nothing repaired. Reported under the table — it is the configuration's cost, not
// a broken invariant, and without the note a green run would hide it. Rendered in-process: a 2-hour run.
import { describe, expect, it } from "vitest";
import { compare } from "@synclag/sim";
import { validateScenario } from "@synclag/workload";
import { renderComparison } from "../src/render/comparison-table.js";

function lossy(reconcileInterval: number | string) {
  const loaded = validateScenario(
    {
      name: "no-reconciler",
      duration: "2h",
      catalog: { skus: 200, stock: 1000 },
      channels: [
        { id: "a", kind: "amazon", share: 1, profile: { notifications: { attemptFailureRate: 0.2, retries: 0 } } },
        { id: "s", kind: "shopify", share: 1 },
      ],
      demand: { ordersPerDay: 3000 },
      engine: { reconcileInterval },
    },
    "no-reconciler",
  );
  if (!loaded.ok) throw new Error(loaded.problems.join("\n"));
  return loaded.scenario;
}

describe("comparison table: drift no reconciler repaired", () => {
  it("says, per strategy, how many listings lost notifications left off and by how many units", async () => {
    const doc = await compare(lossy(0), ["events", "polling:15m"], 1);
    expect(doc.ok).toBe(true);
    const table = renderComparison(doc, { color: false });
    for (const s of doc.strategies) {
      const drift = s.driftUnrepaired;
      expect(drift?.listings).toBeGreaterThan(0);
      expect(table).toContain(`${s.strategy}: ${drift?.listings} listings left off by ${drift?.units} units`);
    }
    expect(table).toMatch(/lost notifications, oversells against a pending update; no reconciler/);
    expect(table).not.toMatch(/INVARIANTS BROKEN/);
  });

  it("says nothing when the reconciler repaired the drift", async () => {
    const table = renderComparison(await compare(lossy("15m"), ["events"], 1), { color: false });
    expect(table).not.toMatch(/left off by/);
  });
});
