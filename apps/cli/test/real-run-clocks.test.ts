// A real run (`synclag run`) has two clocks: the scenario's (trading time: the header, orders per day,
// orders per window, the timeline) and the wall clock it was compressed into (lags, the polling
// interval). Every place that states a figure must say which clock it is in: the comparison table
// states the compression and gives the polling interval and syncs/day in trading time too (never a
// wall-clock "8,640 syncs/day" under a trading-time header); and `synclag run`, like `gate --real`,
// refuses a polling interval longer than --duration (no poll would happen during the load) before
// anything starts, listed with the other flag problems (exit 2).
import { describe, expect, it } from "vitest";
import { compare, type ResultDocument } from "@synclag/sim";
import { validateScenario } from "@synclag/workload";
import { checkRealPollingInterval } from "../src/options.js";
import { renderComparison } from "../src/render/comparison-table.js";
import { LONG, expectUsageError, runCli } from "./support.js";

/** The simulated figures of a 3-hour scenario in the shape `synclag run --json` writes: compressed 360× into 30 s. */
async function realDoc(strategy: string, syncWindowsPerDay?: number): Promise<ResultDocument> {
  const loaded = validateScenario(
    {
      name: "three-hours",
      duration: "3h",
      catalog: { skus: 5, stock: 20 },
      channels: [
        { id: "amazon", kind: "amazon", share: 1 },
        { id: "shopify", kind: "shopify", share: 1 },
      ],
      demand: { ordersPerDay: 2000 },
      convergenceBudget: "30m",
    },
    "three-hours",
  );
  if (!loaded.ok) throw new Error(loaded.problems.join("\n"));
  const doc = await compare(loaded.scenario, [strategy], 1);
  const durationMs = 30_000;
  return {
    ...doc,
    generator: { ...doc.generator, mode: "real" },
    strategies: doc.strategies.map((s) => ({
      ...s,
      // As `synclag run` writes it today: the interval is wall-clock (10 s), and so is syncWindowsPerDay unless given.
      ...(s.polling ? { polling: { ...s.polling, intervalMs: 10_000, syncWindowsPerDay: syncWindowsPerDay ?? 8_640 } } : {}),
      orders: { ...s.orders, droppedArrivals: 0 },
      load: { durationMs, timeScale: durationMs / doc.scenario.durationMs, planned: s.orders.attempted, sent: s.orders.attempted, errors: 0, marketplaceTime: "scaled" },
    })),
  } as ResultDocument;
}

describe("the comparison table of a real run says which clock each figure is in", () => {
  it("states the compression under the header, and the polling interval and syncs/day in trading time", async () => {
    const table = renderComparison(await realDoc("polling:10s"), { color: false });
    const lines = table.split("\n");
    expect(lines[0]).toBe("three-hours · seed 1 · real · 3h00m · 2 channels · 2,000 orders/day");
    expect(lines[1]).toBe("compressed 360×: 30s of wall time = 3h00m of trading (lags: wall clock)");
    // 10 s of wall time at 360× is 1 h of trading: 24 syncs a trading day, not 8,640 (a wall-clock day's).
    expect(table).toContain("polling:10s: polls every 10s of wall time = every 1h00m of trading:");
    expect(table).toMatch(/\n {2}24 syncs per trading day, [\d,.]+ orders per window on average, [\d,]+ at peak/);
    expect(table).not.toContain("8,640");
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
  });

  it("is right whichever clock the document's syncWindowsPerDay was written in (derived from intervalMs and load.timeScale)", async () => {
    const table = renderComparison(await realDoc("polling:10s", 24), { color: false });
    expect(table).toContain("24 syncs per trading day");
  });

  it("an interval longer than a trading day reads as one sync every N of trading", async () => {
    const doc = await realDoc("polling:10s");
    const strategies = doc.strategies.map((s) => (s.polling ? { ...s, polling: { ...s.polling, intervalMs: 300_000 } } : s));
    const table = renderComparison({ ...doc, strategies } as ResultDocument, { color: false });
    // 5 min at 360× = 30 h of trading.
    expect(table).toContain("polling:10s: polls every 5m of wall time = every 30h00m of trading:");
    expect(table).toContain("  1 sync every 30h00m of trading, ");
  });

  it("a simulated run keeps its one clock (no compression line)", async () => {
    const doc = await realDoc("polling:15m");
    const simulated = { ...doc, generator: { ...doc.generator, mode: "simulated" }, strategies: doc.strategies.map((s) => ({ ...s, polling: { ...s.polling, intervalMs: 900_000, syncWindowsPerDay: 96 } })) } as ResultDocument;
    const table = renderComparison(simulated, { color: false });
    expect(table).not.toContain("compressed");
    expect(table).toContain("polling:15m: 96 syncs/day, ");
  });
});

describe("checkRealPollingInterval (run and gate --real share it)", () => {
  it("refuses an interval longer than --duration, saying so in the command's words", () => {
    const problems: string[] = [];
    checkRealPollingInterval("polling:15m", { flag: "--duration", text: "30s", ms: 30_000, given: true }, problems, { context: "in a real run" });
    expect(problems).toEqual([
      "--strategy polling:15m: in a real run the polling interval is wall-clock time (not compressed with the scenario), and the run waits up to one more interval after the load to converge; it is longer than --duration 30s, so no poll would happen during the load: give --duration 15m or more, or a shorter interval",
    ]);
    const fits: string[] = [];
    checkRealPollingInterval("polling:10s", { flag: "--duration", text: "30s", ms: 30_000, given: true }, fits, { context: "in a real run" });
    checkRealPollingInterval("events", { flag: "--duration", text: "30s", ms: 30_000, given: true }, fits, { context: "in a real run" });
    expect(fits).toEqual([]);
  });

  it("names the default --duration, and never suggests a --duration longer than the scenario", () => {
    const problems: string[] = [];
    checkRealPollingInterval("polling:5h", { flag: "--duration", text: "60s", ms: 60_000, given: false }, problems, { context: "in a real run", scenario: { name: "flash-sale", durationMs: 3 * 3_600_000 } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("it is longer than the default --duration 60s, so no poll would happen during the load");
    expect(problems[0]).toContain("give a shorter interval: --duration can be at most the scenario's 3h (flash-sale)");
  });
});

describe("synclag run refuses a polling interval longer than --duration before anything starts", LONG, () => {
  it("lists it with the other flag problems (exit 2)", () => {
    const result = runCli(["run", "--scenario", "flash-sale", "--strategy", "polling:15m", "--duration", "30s", "--seed", "x"]);
    expectUsageError(result, "run");
    expect(result.stderr).toContain("2 problems:");
    expect(result.stderr).toContain("--strategy polling:15m: in a real run the polling interval is wall-clock time");
    expect(result.stderr).toContain("it is longer than --duration 30s, so no poll would happen during the load: give --duration 15m or more, or a shorter interval");
    expect(result.stderr).toContain("--seed must be");
    expect(result.stderr).not.toContain("servers:");
  });

  it("says so in --help", () => {
    const help = runCli(["run", "--help"]);
    expect(help.stdout).toMatch(/A polling interval longer than --duration\s+is refused \(exit 2\): no poll would happen during the load/);
  });
});
