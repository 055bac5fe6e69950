// The comparison table's per-sale rows: "visible everywhere" = a sale visible on every other channel
// (its slowest one), read from the result document's visibleEverywhereMs — and "—" with a note for a
// document written before the field existed. Rendered in-process (no CLI spawn): a 1-hour run.
import { describe, expect, it } from "vitest";
import { compare, type ResultDocument } from "@synclag/sim";
import { formatMs } from "@synclag/report";
import { validateScenario } from "@synclag/workload";
import { renderComparison } from "../src/render/comparison-table.js";

async function threeChannels(): Promise<ResultDocument> {
  const loaded = validateScenario(
    {
      name: "three",
      duration: "1h",
      catalog: { skus: 5, stock: 20 },
      channels: [
        { id: "amazon", kind: "amazon", share: 1 },
        { id: "shopify", kind: "shopify", share: 1 },
        { id: "ebay", kind: "ebay", share: 1 },
      ],
      demand: { ordersPerDay: 2000 },
      convergenceBudget: "30m",
    },
    "three",
  );
  if (!loaded.ok) throw new Error(loaded.problems.join("\n"));
  return compare(loaded.scenario, ["events", "polling:15m"], 1);
}

/** The cells of a row of the plain table, by its label. */
function row(table: string, label: string): string[] {
  const line = table.split("\n").find((l) => l.startsWith(`| ${label} `));
  if (!line) throw new Error(`no row "${label}" in:\n${table}`);
  return line.split("|").slice(2, -1).map((cell) => cell.trim());
}

describe("comparison table: a sale visible on every other channel", () => {
  it("shows p50 / p99 / max per sale from the document, explained under the table", async () => {
    const doc = await threeChannels();
    const table = renderComparison(doc, { color: false });
    for (const [label, pick] of [["p50", "p50"], ["p99", "p99"], ["max", "max"]] as const) {
      expect(row(table, `visible everywhere ${label}`)).toEqual(doc.strategies.map((s) => formatMs(s.visibleEverywhereMs?.[pick] ?? Number.NaN)));
    }
    expect(table).toContain("visible everywhere: time until a sale is visible on every other channel (its");
    expect(table).toContain("slowest one), one figure per sale; sync lag counts each channel update once.");
    expect(table).not.toContain("not in this result");
    for (const line of table.split("\n")) expect(line.length, line).toBeLessThanOrEqual(80);
  });

  it("shows — and says why for a document written before the field existed", async () => {
    const doc = await threeChannels();
    const older = { ...doc, strategies: doc.strategies.map(({ visibleEverywhereMs: _lag, ...s }) => s) } as ResultDocument;
    const table = renderComparison(older, { color: false });
    expect(row(table, "visible everywhere p99")).toEqual(["—", "—"]);
    expect(table).toContain("— visible everywhere (events, polling:15m): not in this result (written by an older synclag).");
  });
});
