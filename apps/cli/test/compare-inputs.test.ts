// compare / simulate: input problems are usage errors (exit 2, every problem listed, nothing written),
// never a stack trace, and never the loss of an input file.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pollingStrategies } from "../src/options.js";
import { LONG, SMALL_SCENARIO, expectUsageError, runCli } from "./support.js";

function scenarioFile(text: string, name: string) {
  const dir = mkdtempSync(join(tmpdir(), "synclag-compare-inputs-"));
  const file = join(dir, name);
  writeFileSync(file, text);
  return { dir, file };
}

describe("--polling intervals are checked by the simulator's own parser", () => {
  it("lists an interval above 366d with the others' problems", () => {
    const problems: string[] = [];
    expect(pollingStrategies(["400d", "1ms", "abc", "366d", "15m"], "--polling", problems)).toEqual(["polling:366d", "polling:15m"]);
    expect(problems).toEqual([
      '--polling: "400d" is above the longest polling interval, 366d (a run would only wait for its one poll; use e.g. 15m, 1h, 1d)',
      '--polling: "1ms" is below the shortest polling interval, 1s (use e.g. 30s, 5m, 15m)',
      '--polling: "abc" is not an interval (use e.g. 30s, 5m, 1h)',
    ]);
  });
});

describe("compare and simulate refuse bad input before running", LONG, () => {
  it("compare --polling 400d is a usage error (exit 2), not a RangeError stack trace with exit 1", () => {
    const { file } = scenarioFile(SMALL_SCENARIO.join("\n"), "small.yaml");
    const result = runCli(["compare", "--scenario", file, "--polling", "400d,2ms"]);
    expectUsageError(result, "compare");
    expect(result.stderr).toContain('--polling: "400d" is above the longest polling interval, 366d');
    expect(result.stderr).toContain('--polling: "2ms" is below the shortest polling interval');
  });

  it("--json onto the --scenario file is refused (exit 2) and the scenario is left as it was", () => {
    const json = JSON.stringify({ name: "mine", duration: "1h", catalog: { skus: 5, stock: 20 }, channels: [{ id: "a", kind: "amazon", share: 1 }, { id: "b", kind: "shopify", share: 1 }], demand: { ordersPerDay: 2000 } });
    const { dir, file } = scenarioFile(json, "mine.json");
    const compare = runCli(["compare", "--scenario", file, "--json", file]);
    expectUsageError(compare, "compare");
    expect(compare.stderr).toContain(`--json: ${file} is the --scenario file, which this command reads: writing it would destroy the input`);
    expect(readFileSync(file, "utf8")).toBe(json);
    // The same file by another spelling (relative to the working directory) is the same file.
    const simulate = runCli(["simulate", "--scenario", "mine.json", "--strategy", "events", "--json", "./mine.json"], { cwd: dir });
    expectUsageError(simulate, "simulate");
    expect(simulate.stderr).toContain("is the --scenario file");
    expect(readFileSync(file, "utf8")).toBe(json);
  });

  it("startAt with a UTC offset (ISO 8601) runs, and the result names the instant in UTC", () => {
    const { file } = scenarioFile([...SMALL_SCENARIO, "startAt: 2026-11-27T09:00:00+05:30"].join("\n"), "offset.yaml");
    const result = runCli(["simulate", "--scenario", file, "--strategy", "events", "--json", "-"]);
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as { scenario: { startAt: string } }).scenario.startAt).toBe("2026-11-27T03:30:00.000Z");
    const dateOnly = scenarioFile([...SMALL_SCENARIO, "startAt: 2026-11-27"].join("\n"), "date.yaml");
    const refused = runCli(["simulate", "--scenario", dateOnly.file, "--strategy", "events"]);
    expectUsageError(refused, "simulate");
    expect(refused.stderr).toContain('startAt: "2026-11-27" is a date without a time: give the time and its UTC offset too');
  });
});
