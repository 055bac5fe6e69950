// The comparison table's per-sale rows: "visible everywhere" = a sale visible on every other channel
// (its slowest one), read from the result document's visibleEverywhereMs — and "—" with a note for a
// document written before the field existed. Rendered in-process (no CLI spawn): a 1-hour run.
import { describe, expect, it } from "vitest";
import { compare, type ResultDocument } from "@synclag/sim";
import { formatMs } from "@synclag/report";
import { validateScenario } from "@synclag/workload";
import { renderComparison, terminalWidth } from "../src/render/comparison-table.js";

async function threeChannels(strategies: readonly string[] = ["events", "polling:15m"]): Promise<ResultDocument> {
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
  return compare(loaded.scenario, strategies, 1);
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

/** The strategies named in each header row of the plain tables whose first header cell is `head`. */
function headers(table: string, head: string): string[][] {
  return table
    .split("\n")
    .filter((l) => l.startsWith("| ") && l.split("|")[1]?.trim() === head)
    .map((l) => l.split("|").slice(2, -1).map((cell) => cell.trim()));
}

describe("comparison table: more strategies than fit the width", () => {
  const FOUR = ["events", "polling:1m", "polling:5m", "polling:15m"];

  it("repeats events as the first column of every block at 80 columns (the README's --polling 1m,5m,15m)", async () => {
    const doc = await threeChannels(FOUR);
    const table = renderComparison(doc, { color: false, width: 80 });
    for (const head of ["", "channel · p99 lag", "channel · calls/429s"]) {
      const blocks = headers(table, head);
      expect(blocks.length, table).toBeGreaterThan(1);
      for (const block of blocks) {
        expect(block[0], table).toBe("events");
        expect(block.length, table).toBeGreaterThan(1);
      }
      // Every polling strategy shown exactly once, in order.
      expect(blocks.flatMap((b) => b.slice(1))).toEqual(FOUR.slice(1));
    }
    for (const line of table.split("\n")) expect(line.length, line).toBeLessThanOrEqual(80);
    // The repeated events cells carry the same figures in every block.
    const costs = table.split("\n").filter((l) => l.startsWith("| cost ")).map((l) => l.split("|")[2]?.trim());
    expect(new Set(costs).size).toBe(1);
  });

  it("keeps everything in one block when the terminal is wide enough; 80 columns off a terminal", async () => {
    expect(terminalWidth({ isTTY: false, columns: 200 } as unknown as NodeJS.WriteStream)).toBe(80);
    expect(terminalWidth({ isTTY: true, columns: 132 } as unknown as NodeJS.WriteStream)).toBe(132);
    const doc = await threeChannels(FOUR);
    expect(headers(renderComparison(doc, { color: false, width: 200 }), "")).toEqual([FOUR]);
    const coloured = renderComparison(doc, { color: true, width: 80 });
    // eslint-disable-next-line no-control-regex
    for (const line of coloured.replace(/\u001b\[[0-9;]*m/g, "").split("\n")) expect(line.length, line).toBeLessThanOrEqual(80);
  });

  it("a single strategy (simulate) is one block", async () => {
    const doc = await threeChannels(["polling:15m"]);
    expect(headers(renderComparison(doc, { color: false, width: 40 }), "")).toEqual([["polling:15m"]]);
  });
});

describe("comparison table: API calls and the push cost alone", () => {
  it("shows the stock-update calls under all API calls (the reconciler's listing reads can dwarf them)", async () => {
    const doc = await threeChannels();
    const table = renderComparison(doc, { color: false });
    const num = (cell: string | undefined) => Number((cell ?? "").replace(/,/g, ""));
    const all = row(table, "API calls");
    const updates = row(table, "of which stock updates");
    for (const [index, strategy] of doc.strategies.entries()) {
      const expected = Object.values(strategy.channels).reduce((sum, ch) => sum + ch.updateCalls, 0);
      expect(num(updates[index])).toBe(expected);
      expect(num(updates[index])).toBeLessThanOrEqual(num(all[index]));
    }
  });
});
