// The comparison table's "cancellation rate" row is every channel together; a marketplace holds the
// seller to its own orders only. So a line under the table names each channel at or over its own
// marketplace's limit (`channels.<id>.cancellationRate` against `cancellationRateLimit`), with its
// orders and the pooled rate beside it — as the review found on the built-in flash-sale, events: 1.30 %
// in all, Amazon alone 9 of 315 = 2.86 %, over 2.5 %. Rendered in-process.
import { describe, expect, it } from "vitest";
import { costModelOf } from "@synclag/report";
import { compare, type ResultDocument } from "@synclag/sim";
import { computeCost, validateScenario } from "@synclag/workload";
import { renderComparison } from "../src/render/comparison-table.js";

type Loose = { strategies: Array<{ orders: Record<string, number>; cost: unknown; channels: Record<string, Record<string, unknown>> }> };
const round6 = (value: number) => Math.round(value * 1e6) / 1e6;

async function simulated(): Promise<ResultDocument> {
  const loaded = validateScenario(
    {
      name: "two-channels",
      duration: "1h",
      catalog: { skus: 5, stock: { min: 8, max: 16 } },
      channels: [
        { id: "amazon", kind: "amazon", share: 0.6 },
        { id: "shopify", kind: "shopify", share: 0.4 },
      ],
      demand: { ordersPerDay: 1500, curve: [{ start: "20m", duration: "20m", multiplier: 5 }] },
    },
    "two-channels",
  );
  if (!loaded.ok) throw new Error(loaded.problems.join("\n"));
  return compare(loaded.scenario, ["events", "polling:15m"], 1);
}

/** The document with one strategy's orders spread over its channels as given ([accepted, oversold]), totals, rates and cost rewritten to agree. */
function withChannelOrders(doc: ResultDocument, strategy: number, orders: Record<string, [number, number]>): ResultDocument {
  const copy = structuredClone(doc) as unknown as Loose;
  const s = copy.strategies[strategy];
  if (!s) throw new Error(`no strategy ${strategy}`);
  let accepted = 0;
  let oversold = 0;
  for (const [id, [a, o]] of Object.entries(orders)) {
    Object.assign(s.channels[id] as object, { accepted: a, oversold: o, cancellationRate: a > 0 ? round6(o / a) : 0 });
    accepted += a;
    oversold += o;
  }
  Object.assign(s.orders, { accepted, oversold, cancellationRate: accepted > 0 ? round6(oversold / accepted) : 0 });
  s.cost = computeCost(costModelOf(copy as unknown as ResultDocument), { oversold, lostSales: s.orders.lostSales as number });
  return copy as unknown as ResultDocument;
}

const skewed = async () => withChannelOrders(withChannelOrders(await simulated(), 0, { amazon: [315, 9], shopify: [455, 1] }), 1, { amazon: [375, 66], shopify: [263, 49] });

describe("comparison table: a channel over its own cancellation-rate limit", () => {
  it("names it under the table, with its orders and the pooled rate, wrapped to the width; several channels in one line", async () => {
    const rendered = renderComparison(await skewed(), { color: false, width: 80 });
    for (const line of rendered.split("\n")) expect(line.length, line).toBeLessThanOrEqual(80);
    // Wrapped to the width, continuation lines indented by two spaces.
    expect(rendered).toContain("events: amazon cancelled 2.86% of its orders (9 of 315), over its 2.5% limit\n  (all channels: 1.30%).");
    expect(rendered.replace(/\n {2}/g, " ")).toContain("polling:15m: 2 channels over their cancellation-rate limit (all channels: 18.03%): amazon 17.60% (66 of 375), shopify 18.63% (49 of 263); limit 2.5% each.");
  });

  it("says nothing for a document without the per-channel figures (written before them), nor when every channel is under its limit", async () => {
    const older = structuredClone(await skewed()) as unknown as Loose;
    for (const s of older.strategies) for (const c of Object.values(s.channels)) for (const f of ["accepted", "cancellationRate", "cancellationRateLimit"]) delete c[f];
    expect(renderComparison(older as unknown as ResultDocument, { color: false })).not.toMatch(/over (its|their)/);
    const under = withChannelOrders(await simulated(), 0, { amazon: [41, 1], shopify: [393, 2] });
    expect(renderComparison(under, { color: false, width: 200 }).split("\n").filter((line) => line.startsWith("events:"))).toEqual([]);
  });
});
