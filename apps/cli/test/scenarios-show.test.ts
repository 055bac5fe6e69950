// `synclag scenarios show NAME` prints the scenario exactly as it runs (every default filled in); the
// YAML must parse back to the same scenario, so a copied built-in replays to the same result.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, parseDocument, stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { BUILTIN_SCENARIOS, loadScenario, validateScenario } from "@synclag/workload";
import { scenarioYaml } from "../src/commands/scenarios.js";
import { LONG, runCli, scratchDirs } from "./support.js";

const scratchDir = scratchDirs();

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

/** `field` of `value`'s `section`, as the printed YAML has it (undefined when left out). */
function printedField(yaml: string, section: string, field: string): unknown {
  return (parse(yaml) as Record<string, Record<string, unknown> | undefined>)[section]?.[field];
}

describe("scenarioYaml: cost.averageOrderValue is printed only when the scenario gives it", () => {
  it.each(Object.keys(BUILTIN_SCENARIOS))("%s: no built-in gives it, so it is left out (a catalog.price added to the file must value the orders) and a comment says what it is", (name) => {
    expect(BUILTIN_SCENARIOS[name]?.cost?.averageOrderValue).toBeUndefined();
    const yaml = scenarioYaml(BUILTIN_SCENARIOS[name], name);
    expect(printedField(yaml, "cost", "averageOrderValue")).toBeUndefined();
    expect(yaml).toMatch(/\n {2}# averageOrderValue: 80 .*catalog\.price/);
  });

  const flashSale = BUILTIN_SCENARIOS["flash-sale"];
  it("a scenario that gives averageOrderValue has it printed, with or without catalog.price (a given value wins), and replays to the same scenario", () => {
    for (const input of [
      { ...flashSale, cost: { averageOrderValue: 120 } },
      { ...flashSale, catalog: { ...flashSale?.catalog, price: 200 }, cost: { averageOrderValue: 120 } },
    ]) {
      const yaml = scenarioYaml(input, "custom");
      expect(printedField(yaml, "cost", "averageOrderValue")).toBe(120);
      const replayed = validateScenario(parse(yaml), "custom");
      expect(replayed.ok && replayed.scenario).toEqual((validateScenario(input, "custom") as { scenario: unknown }).scenario);
    }
  });

  it("a scenario with catalog.price alone prints the price, not the value derived from it, and says the derived value in a comment", () => {
    const input = { ...flashSale, catalog: { ...flashSale?.catalog, price: 200 }, demand: { ...flashSale?.demand, extraUnitsMean: 0.5 } };
    const yaml = scenarioYaml(input, "custom");
    expect(printedField(yaml, "cost", "averageOrderValue")).toBeUndefined();
    expect(printedField(yaml, "catalog", "price")).toBe(200);
    expect(yaml).toMatch(/\n {2}# averageOrderValue: 300 .*catalog\.price/);
    const replayed = validateScenario(parse(yaml), "custom");
    expect(replayed.ok && replayed.scenario.cost.averageOrderValue).toBe(300);
  });
});

it("scenarioYaml says above demand.agentShare that the simulator only labels agents, and what they do in a real run", () => {
  const yaml = scenarioYaml(BUILTIN_SCENARIOS["flash-sale"], "flash-sale");
  const comment = /((?:\n {2}#[^\n]*)+)\n {2}agentShare: 0\.3\n/.exec(yaml)?.[1] ?? "";
  expect(comment).toContain("only labels");
  expect(comment).toContain("orders.lostSalesByAgents");
  expect(comment).toContain("real run");
});

describe("scenarios show → compare --scenario file", LONG, () => {
  /** `compare --json` of a scenario (built-in name or file), without the `reproduce` line (it names the file). */
  function compareJson(scenario: string): Record<string, unknown> {
    const out = join(scratchDir("synclag-show-compare-"), "result.json");
    const result = runCli(["compare", "--scenario", scenario, "--json", out]);
    expect(result.code, result.stderr).toBe(0);
    const { reproduce: _reproduce, ...rest } = JSON.parse(readFileSync(out, "utf8")) as Record<string, unknown>;
    return rest;
  }
  function show(name: string): string {
    const shown = runCli(["scenarios", "show", name]);
    expect(shown.code, shown.stderr).toBe(0);
    return shown.stdout;
  }

  // black-friday-40 takes minutes per strategy: its printed file replays to the same scenario (above),
  // and the simulator is a function of the scenario, the seed and the strategies.
  it.each(Object.keys(BUILTIN_SCENARIOS).filter((name) => name !== "black-friday-40"))("%s: the printed file gives the same result document as the built-in", (name) => {
    const file = join(scratchDir("synclag-show-file-"), `${name}.yaml`);
    writeFileSync(file, show(name));
    expect(compareJson(file)).toEqual(compareJson(name));
  });

  it("flash-sale: catalog.price added to the printed file values the lost sales (it did nothing while averageOrderValue: 80 was printed)", () => {
    const document = parseDocument(show("flash-sale"));
    document.setIn(["catalog", "price"], 200);
    const file = join(scratchDir("synclag-show-price-"), "priced.yaml");
    writeFileSync(file, document.toString());
    type Doc = { scenario: { cost: { averageOrderValue: number } }; strategies: { strategy: string; orders: { lostSales: number }; cost: { lostSales: number } }[] };
    const before = compareJson("flash-sale") as unknown as Doc;
    const after = compareJson(file) as unknown as Doc;
    expect(before.scenario.cost.averageOrderValue).toBe(80);
    expect(after.scenario.cost.averageOrderValue).toBe(200);
    for (const [index, strategy] of after.strategies.entries()) {
      const earlier = before.strategies[index];
      expect(strategy.orders.lostSales, strategy.strategy).toBe(earlier?.orders.lostSales);
      expect(strategy.orders.lostSales, strategy.strategy).toBeGreaterThan(0);
      // lost sales × averageOrderValue × marginRate (0.3)
      expect(strategy.cost.lostSales, strategy.strategy).toBeCloseTo(strategy.orders.lostSales * 200 * 0.3, 6);
      expect(strategy.cost.lostSales, strategy.strategy).not.toBe(earlier?.cost.lostSales);
    }
  });
});
