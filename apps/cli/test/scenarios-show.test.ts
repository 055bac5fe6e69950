// `synclag scenarios show NAME` prints the scenario exactly as it runs (every default filled in); the
// YAML must parse back to the same scenario, so a copied built-in replays to the same result.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { BUILTIN_SCENARIOS, loadScenario, validateScenario } from "@synclag/workload";
import { scenarioYaml } from "../src/commands/scenarios.js";

describe("scenarioYaml", () => {
  it.each(Object.keys(BUILTIN_SCENARIOS))("%s: prints every default, keeps the built-in's duration spelling, and parses back to the same scenario", (name) => {
    const input = BUILTIN_SCENARIOS[name];
    const original = validateScenario(input, name);
    if (!original.ok) throw new Error(original.problems.join("; "));
    const yaml = scenarioYaml(input, name);
    const printed = parse(yaml) as Record<string, unknown>;
    // Every top-level field the schema knows is printed, defaults included.
    expect(Object.keys(printed).sort()).toEqual(Object.keys(original.scenario).sort());
    expect(typeof printed.duration).toBe("string");
    const replayed = validateScenario(printed, name);
    if (!replayed.ok) throw new Error(replayed.problems.join("; "));
    expect(replayed.scenario).toEqual(original.scenario);
  });

  it("says in its header that top-level x- keys are ignored, and the header's anchor example loads as written", () => {
    const yaml = scenarioYaml(BUILTIN_SCENARIOS["steady-day"], "steady-day");
    const example = yaml.split("\n").filter((line) => line.startsWith("#   ")).map((line) => line.slice("#   ".length));
    expect(example).toHaveLength(2);
    // The example's two lines in place of the printed channels, read as `--scenario file.yaml` reads it.
    const { channels: _printed, ...rest } = parse(yaml) as Record<string, unknown>;
    const file = join(mkdtempSync(join(tmpdir(), "synclag-show-")), "anchors.yaml");
    writeFileSync(file, [...example, stringify(rest)].join("\n"));
    const loaded = loadScenario(file);
    expect(loaded.ok ? [] : loaded.problems).toEqual([]);
    expect(loaded.ok && loaded.scenario.channels).toEqual([
      { id: "ebay-de", kind: "ebay", share: 1, profile: { clientTimeoutMs: 30_000 } },
      { id: "ebay-uk", kind: "ebay", share: 2, profile: { clientTimeoutMs: 30_000 } },
    ]);
  });
});
