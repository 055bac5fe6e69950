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
});

describe("cost model", () => {
  it("prices oversells, lost sales and churn from explicit parameters", () => {
    const model = { currency: "EUR", averageOrderValue: 80, marginRate: 0.3, cancellationCost: 15, marketplacePenalty: 10, churnProbability: 0.15, customerLifetimeValue: 250 };
    expect(computeCost(model, { oversold: 4, lostSales: 10 })).toEqual({ currency: "EUR", oversells: 100, lostSales: 240, churn: 150, total: 490 });
  });
});
