// `synclag run` refuses, before starting anything and together with every other flag problem (exit 2):
// a --rate beyond the scenario's own limits (the same ones a scenario file's rate is held to), and a
// scenario whose order import a real run cannot replay (orderImport: { poll }) — it must not quietly
// run a different experiment.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LONG, SMALL_SCENARIO, expectUsageError, runCli, scratchDirs } from "./support.js";

const scratchDir = scratchDirs();

function scenarioFile(...extraLines: string[]): string {
  const file = join(scratchDir("synclag-run-flags-"), "small.yaml");
  writeFileSync(file, [...SMALL_SCENARIO, ...extraLines].join("\n"));
  return file;
}

describe("synclag run: problems a real run cannot replay, listed with the other flag problems", LONG, () => {
  it("lists a --rate beyond the scenario's limits with the other bad flags (exit 2)", () => {
    // 1,000,000 orders/s (10× during the sale): arrivals closer together than any scenario may plan.
    const result = runCli(["run", "--scenario", "flash-sale", "--strategy", "events", "--duration", "30s", "--rate", "1000000/s", "--seed", "x"]);
    expectUsageError(result, "run");
    expect(result.stderr).toContain("2 problems:");
    expect(result.stderr).toMatch(/--rate 1000000\/s is beyond the scenario's limits \(flash-sale compressed into 30s, its ordersPerDay becomes [\d.e+]+\): demand\.ordersPerDay: /);
    expect(result.stderr).toContain('--seed must be');
    expect(result.stderr).not.toContain("servers:");
  });

  it("takes a --rate within the limits (nothing to list)", () => {
    const result = runCli(["run", "--scenario", "flash-sale", "--strategy", "events", "--duration", "30s", "--rate", "50/s", "--seed", "x"]);
    expectUsageError(result, "run");
    expect(result.stderr).not.toContain("--rate");
  });

  it("refuses a scenario with orderImport: { poll } naming the key, with the other bad flags (exit 2)", () => {
    const file = scenarioFile("orderImport: { poll: 5m }");
    const result = runCli(["run", "--scenario", file, "--strategy", "events", "--duration", "0s"]);
    expectUsageError(result, "run");
    expect(result.stderr).toContain(`scenario ${file}: orderImport: { poll: 5m } is not supported by synclag run: the engine imports orders by push (marketplace webhooks) only`);
    expect(result.stderr).toContain("--duration");
  });
});
