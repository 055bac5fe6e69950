import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUILTIN_SCENARIOS, computeCost, expectedArrivals, loadScenario, planArrivals, validateScenario } from "./index.js";

describe("scenarios", () => {
  it("every built-in scenario validates", () => {
    for (const [name, input] of Object.entries(BUILTIN_SCENARIOS)) expect(validateScenario(input, name).ok, name).toBe(true);
  });

  it("black-friday-40 has 40 channels and at least 1,000,000 expected orders", () => {
    const loaded = loadScenario("black-friday-40");
    expect(loaded.ok && loaded.scenario.channels.length).toBe(40);
    expect(loaded.ok && expectedArrivals(loaded.scenario)).toBeGreaterThanOrEqual(1_000_000);
  });

  it("reports every problem of a bad scenario file at once, each with its path", () => {
    const dir = mkdtempSync(join(tmpdir(), "synclag-scenario-"));
    const file = join(dir, "bad.yaml");
    writeFileSync(file, ["name: bad", "duration: 15 minutes", "catalog: { skus: 0, stock: 5 }", "channels:", "  - { id: Amazon!, kind: amazon, share: 1 }", "  - { id: b, kind: walmart, share: 1 }", "demand: { ordersPerDya: 5 }"].join("\n"));
    const loaded = loadScenario(file);
    expect(loaded.ok).toBe(false);
    const problems = loaded.ok ? [] : loaded.problems;
    expect(problems.some((p) => p.startsWith("duration:") && p.includes("15 minutes"))).toBe(true);
    expect(problems.some((p) => p.startsWith("catalog.skus:"))).toBe(true);
    expect(problems.some((p) => p.startsWith("channels.0.id:"))).toBe(true);
    expect(problems.some((p) => p.startsWith("channels.1.kind:"))).toBe(true);
    expect(problems.some((p) => p.startsWith("demand") && p.includes("ordersPerDya"))).toBe(true);
    expect(problems.some((p) => p.startsWith("demand.ordersPerDay:"))).toBe(true);
  });

  it("names unknown built-ins, unreadable files and malformed YAML plainly", () => {
    expect(loadScenario("nope")).toMatchObject({ ok: false, problems: [expect.stringContaining("unknown scenario")] });
    expect(loadScenario("/nonexistent/x.yaml")).toMatchObject({ ok: false, problems: [expect.stringContaining("cannot read")] });
    const dir = mkdtempSync(join(tmpdir(), "synclag-scenario-"));
    writeFileSync(join(dir, "x.yaml"), "name: [unclosed");
    expect(loadScenario(join(dir, "x.yaml"))).toMatchObject({ ok: false, problems: [expect.stringContaining("not valid YAML")] });
  });
});

describe("scenario file syntax", () => {
  const dir = mkdtempSync(join(tmpdir(), "synclag-syntax-"));
  const write = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
  const minimal = { name: "t", duration: "2h", catalog: { skus: 5, stock: 10 }, channels: [{ id: "a", kind: "amazon", share: 1 }], demand: { ordersPerDay: 500 } };

  it("JSON: a key given twice is refused with its line and column, as YAML refuses it (not last-one-wins)", () => {
    const path = write("dup.json", '{"name":"t","duration":"2h","catalog":{"skus":5,"stock":10},"channels":[{"id":"a","kind":"amazon","share":1}],\n"demand":{"ordersPerDay":500,"ordersPerDay":50000}}');
    const loaded = loadScenario(path);
    expect(loaded.ok).toBe(false);
    expect(loaded.ok ? [] : loaded.problems).toEqual([expect.stringMatching(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is not valid JSON: Map keys must be unique at line 2, column 30:`))]);
    expect(loadScenario(write("dup.yaml", "name: t\nduration: 2h\nduration: 3h\n"))).toMatchObject({ ok: false, problems: [expect.stringMatching(/is not valid YAML: Map keys must be unique at line 3/)] });
  });

  it("JSON stays JSON: valid files load as before (tab-indented, escapes, exponents), YAML-only syntax in a .json file is refused with line and column", () => {
    const tabbed = JSON.stringify({ ...minimal, description: "caf\u00e9 \"quoted\" / \ud83d\ude00" }, null, "\t");
    const loaded = loadScenario(write("ok.json", tabbed.replace('"ordersPerDay": 500', '"ordersPerDay": 5e2')));
    expect(loaded.ok ? loaded.scenario.description : loaded.problems).toBe('caf\u00e9 "quoted" / \ud83d\ude00');
    expect(loaded.ok && loaded.scenario.demand.ordersPerDay).toBe(500);
    expect(loadScenario(write("yamlish.json", "name: t\nduration: 2h\n"))).toMatchObject({ ok: false, problems: [expect.stringMatching(/is not valid JSON: .*line 1, column 1/)] });
    expect(loadScenario(write("broken.json", '{"name": "t",\n "duration": }'))).toMatchObject({ ok: false, problems: [expect.stringMatching(/is not valid JSON: .*line 2/)] });
    // What YAML accepts but JSON does not stays refused: a .json file must be readable by jq and JSON.parse.
    for (const [name, text] of [
      ["comment.json", `${JSON.stringify(minimal).slice(0, -1)} # note\n}`],
      ["trailing-comma.json", `${JSON.stringify(minimal).slice(0, -1)},}`],
      ["single-quotes.json", JSON.stringify(minimal).replace('"name"', "'name'")],
      ["tag.json", JSON.stringify(minimal).replace('"name":', '"name": !!str')],
    ] as const) {
      expect(loadScenario(write(name, text)), name).toMatchObject({ ok: false, problems: [expect.stringMatching(/is not valid JSON: /)] });
    }
    expect(loadScenario(write("bom.json", `\uFEFF${JSON.stringify(minimal)}`)).ok).toBe(true);
  });

  it("YAML merge keys (<<: *anchor) are understood, an explicit key winning over a merged one", () => {
    const loaded = loadScenario(write("m.yaml", "name: t\nduration: 2h\ncatalog: { skus: 5, stock: 10 }\nchannels:\n  - &amz { id: a, kind: amazon, share: 1 }\n  - { <<: *amz, id: b }\n  - <<: *amz\n    id: c\n    share: 2\ndemand: { ordersPerDay: 500 }\n"));
    expect(loaded.ok ? loaded.scenario.channels : loaded.problems).toEqual([
      { id: "a", kind: "amazon", share: 1 },
      { id: "b", kind: "amazon", share: 1 },
      { id: "c", kind: "amazon", share: 2 },
    ]);
  });
});

describe("arrival plan", () => {
  const loaded = loadScenario("flash-sale");
  if (!loaded.ok) throw new Error("flash-sale must load");
  const scenario = loaded.scenario;

  it("is the same for the same seed and follows the rate curve (10× during the flash hour)", () => {
    const a = [...planArrivals(scenario, 5)];
    const b = [...planArrivals(scenario, 5)];
    expect(a).toEqual(b);
    const inFlash = a.filter((x) => x.atMs >= 45 * 60_000 && x.atMs < 105 * 60_000).length;
    const before = a.filter((x) => x.atMs < 45 * 60_000).length;
    // 60 min at 10× vs 45 min at 1×: expect ≈ 13×.
    expect(inFlash / before).toBeGreaterThan(10);
    expect(inFlash / before).toBeLessThan(17);
    expect(a.every((x, i) => i === 0 || x.atMs >= (a[i - 1]?.atMs ?? 0))).toBe(true);
  });

  it("splits demand across channels by share", () => {
    const arrivals = [...planArrivals(scenario, 9)];
    const amazon = arrivals.filter((x) => x.channel === "amazon").length / arrivals.length;
    expect(amazon).toBeGreaterThan(0.36);
    expect(amazon).toBeLessThan(0.44);
  });

  it("splits demand by share even when the shares' sum overflows (the schema refuses such shares; the plan does not rely on it)", () => {
    const huge = { ...scenario, channels: [{ id: "a", kind: "amazon" as const, share: 1e308 }, { id: "b", kind: "shopify" as const, share: 1e308 }, { id: "c", kind: "ebay" as const, share: 5e307 }] };
    const arrivals = [...planArrivals(huge, 9)];
    const count = (id: string) => arrivals.filter((x) => x.channel === id).length / arrivals.length;
    expect(count("a")).toBeGreaterThan(0.36);
    expect(count("a")).toBeLessThan(0.44);
    expect(count("b")).toBeGreaterThan(0.36);
    expect(count("c")).toBeGreaterThan(0.16);
  });
});

describe("cost model", () => {
  it("prices oversells, lost sales and churn from explicit parameters", () => {
    const model = { currency: "EUR", averageOrderValue: 80, marginRate: 0.3, cancellationCost: 15, marketplacePenalty: 10, churnProbability: 0.15, customerLifetimeValue: 250 };
    expect(computeCost(model, { oversold: 4, lostSales: 10 })).toEqual({ currency: "EUR", oversells: 100, lostSales: 240, churn: 150, total: 490 });
  });
});
