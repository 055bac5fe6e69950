// A result document given where a scenario is expected (a slip between `compare --json out.json` and
// the next command): one sentence that says what the file is and which command reads it — not the
// scenario schema's list of every field a result document lacks.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadScenarioOption } from "../src/options.js";
import { LONG, SMALL_SCENARIO, expectUsageError, runCli, scratchDirs } from "./support.js";

const scratchDir = scratchDirs();

/** A result document's top level, as `compare --json` writes it (enough to be recognised). */
const RESULT_LIKE = { schemaVersion: 1, generator: { name: "synclag", mode: "simulated" }, scenario: { name: "small" }, seed: 1, strategies: [{ strategy: "events" }], ok: true, reproduce: "npx synclag compare" };

describe("a result document given as --scenario", () => {
  it("is recognised and named, in one problem (loadScenarioOption)", () => {
    const file = join(scratchDir("synclag-result-as-scenario-"), "result.json");
    writeFileSync(file, JSON.stringify(RESULT_LIKE));
    const problems: string[] = [];
    expect(loadScenarioOption(file, problems)).toEqual({});
    expect(problems).toEqual([`scenario ${file}: this is a result document (schemaVersion 1, strategies[]), not a scenario — use \`synclag report ${file}\` or \`synclag gate --result ${file}\`, or give the scenario it was run from`]);
  });

  it("a scenario file with a mistake still lists the schema's problems", () => {
    const file = join(scratchDir("synclag-result-as-scenario-"), "s.yaml");
    writeFileSync(file, [...SMALL_SCENARIO, "strategies: 5"].join("\n"));
    const problems: string[] = [];
    loadScenarioOption(file, problems);
    expect(problems.join("\n")).toContain("strategies");
    expect(problems.join("\n")).not.toContain("result document");
  });
});

describe("compare, simulate, run and gate on a result document given as --scenario", LONG, () => {
  it("say what it is and which command reads it (exit 2)", () => {
    const dir = scratchDir("synclag-result-as-scenario-");
    const scenario = join(dir, "small.yaml");
    writeFileSync(scenario, SMALL_SCENARIO.join("\n"));
    const result = join(dir, "result.json");
    expect(runCli(["compare", "--scenario", scenario, "--polling", "15m", "--json", result]).code).toBe(0);
    for (const args of [["compare"], ["simulate", "--strategy", "events"], ["run", "--strategy", "events", "--duration", "5s"], ["gate", "--threshold", "oversells:count<5"]]) {
      const out = runCli([...args, "--scenario", result]);
      expectUsageError(out, args[0] as string);
      expect(out.stderr).toContain(`this is a result document (schemaVersion 1, strategies[]), not a scenario — use \`synclag report ${result}\` or \`synclag gate --result ${result}\``);
      expect(out.stderr).not.toContain("Invalid input");
    }
  });
});
