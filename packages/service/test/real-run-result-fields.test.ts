// A real run's result document, in the units docs/simulation.md gives:
// - `polling.syncWindowsPerDay` is per *trading* (scenario) day, like the header's orders/day: the engine
//   polls on a wall-clock timer, so one trading day (86,400,000 scenario ms) is 86,400,000 × timeScale
//   wall ms, i.e. that ÷ intervalMs windows (found by review: it was per wall-clock day, 86,400,000 ÷
//   intervalMs — 2,400× too many here);
// - every channel carries the client's `transportErrors` and `stale` counts beside serverErrors,
//   timeouts and itemsRejected (found by review: engine.retries was 123 while every channel's failure
//   counts were 0 — the retries came from failures the document did not show).
import { describe, expect, it } from "vitest";
import { runReal, createLogger } from "../src/index.js";
import { serversMissing } from "./servers.js";
import { twoChannelScenario } from "./two-channel-scenario.js";

const scenario = twoChannelScenario("result-fields", "two channels, a short polling run");

describe.skipIf(serversMissing())("synclag run: result fields in the documented units", () => {
  it("polling:1s over 1 h of trading in 1.5 s: 36 sync windows per trading day; every channel reports transportErrors and stale", async () => {
    const doc = await runReal({ scenario, strategy: "polling:1s", seed: 5, durationMs: 1_500, convergenceTimeoutMs: 20_000, logger: createLogger("silent") });
    const result = doc.strategies[0];
    expect(result?.checks.filter((c) => !c.ok)).toEqual([]);
    // timeScale = 1 500 / 3 600 000 wall ms per scenario ms: a trading day is 36 s of wall time, 36 polls.
    expect(result?.load.timeScale).toBeCloseTo(1_500 / 3_600_000, 12);
    expect(result?.polling?.intervalMs).toBe(1_000);
    expect(result?.polling?.syncWindowsPerDay).toBe(36);
    for (const [channel, figures] of Object.entries(result?.channels ?? {})) {
      const failures = figures as unknown as Record<string, unknown>;
      expect({ channel, transportErrors: typeof failures.transportErrors, stale: typeof failures.stale }).toEqual({ channel, transportErrors: "number", stale: "number" });
      expect(failures.transportErrors).toBeGreaterThanOrEqual(0);
      expect(failures.stale).toBeGreaterThanOrEqual(0);
    }
  }, 60_000);
});
