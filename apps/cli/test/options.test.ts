// Flag parsing in-process (no CLI start-up): strategies read from input are named canonically, so two
// spellings of one polling interval give the same result document, and a reproduce: line replays.
import { describe, expect, it } from "vitest";
import { validateScenario } from "@synclag/workload";
import { checkCompressedDuration, checkStrategy, parsePollingList, pollingStrategies, shellQuote, strategyInDocument } from "../src/options.js";

describe("strategy flags are named canonically (the simulator's own spelling: polling:15m)", () => {
  it("--strategy polling:900s, polling: 15m and polling:0.25h are polling:15m; events stays events", () => {
    for (const text of ["polling:900s", "polling: 15m", "polling:15m ", "polling:0.25h", "polling:900000ms", "polling:15m"]) {
      const problems: string[] = [];
      expect(checkStrategy(text, problems), text).toBe("polling:15m");
      expect(problems).toEqual([]);
    }
    expect(checkStrategy("events", [])).toBe("events");
    expect(checkStrategy("polling:90m", [])).toBe("polling:1h30m");
    const problems: string[] = [];
    expect(checkStrategy("polling:500ms", problems)).toBeUndefined();
    expect(problems).toHaveLength(1);
  });

  it("--polling 900s,1h30m,15m runs polling:15m and polling:1h30m, noting the repeat as typed", () => {
    const problems: string[] = [];
    const notes: string[] = [];
    expect(parsePollingList("900s, 90m,15m", problems, notes)).toEqual(["polling:15m", "polling:1h30m"]);
    expect(problems).toEqual([]);
    expect(notes).toEqual(["--polling: 15m is the same interval as 900s: run once"]);
    expect(pollingStrategies(["60m", "1d"], "scenario x: strategies", [])).toEqual(["polling:1h", "polling:1d"]);
    // A scenario's strategies arrive canonical (polling:1h and polling:60m are both 1h): no "1h is the same interval as 1h".
    const twice: string[] = [];
    expect(pollingStrategies(["1h", "1h"], "scenario x: strategies", [], twice)).toEqual(["polling:1h"]);
    expect(twice).toEqual(["scenario x: strategies: 1h is listed twice: run once"]);
  });

  it("a canonical name is shell-safe, and still finds an older document's spelling", () => {
    for (const text of ["events", "polling:15m", "polling:1h30m", "polling:1s500ms"]) expect(shellQuote(text)).toBe(text);
    expect(shellQuote("polling: 15m")).toBe("'polling: 15m'");
    expect(strategyInDocument(["events", "polling:900s"], "polling:15m")).toBe("polling:900s");
  });
});

describe("a real run's --duration longer than a short scenario", () => {
  const loaded = validateScenario({ name: "short", description: "20 seconds", duration: "20s", catalog: { skus: 1, stock: 10 }, channels: [{ id: "shopify", kind: "shopify", share: 1 }], demand: { ordersPerDay: 1000 } }, "test");
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  it("says the value is the default when the user did not give it, and suggests one that fits", () => {
    const problems: string[] = [];
    checkCompressedDuration("--duration", "60s", 60_000, loaded.scenario, problems, false);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^the default --duration 60s is longer than the scenario \(short: 20s\)/);
    expect(problems[0]).toContain("(e.g. --duration 20s)");
  });
  it("names the flag as given when the user typed it", () => {
    const problems: string[] = [];
    checkCompressedDuration("--duration", "45s", 45_000, loaded.scenario, problems);
    expect(problems[0]).toMatch(/^--duration 45s is longer/);
  });
});
