// `synclag scenarios show NAME` prints the scenario exactly as it runs (every default filled in); the
// YAML must parse back to the same scenario, so a copied built-in replays to the same result.
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { BUILTIN_SCENARIOS, validateScenario } from "@synclag/workload";
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
});
