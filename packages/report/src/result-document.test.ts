import { describe, expect, it } from "vitest";
import type { ResultDocument } from "@synclag/sim";
import { computeCost } from "@synclag/workload";
import { SMALL_SCENARIO, realDoc, simulate, smallDoc } from "../test/fixtures.js";
import { costModelOf } from "./cost-projection.js";
import { renderReportHtml } from "./html/report-html.js";
import { parseResultDocument, pickStrategy, validateResultDocument } from "./result-document.js";

describe("parseResultDocument", () => {
  it("accepts what the simulator writes, round-tripped through JSON", async () => {
    const doc = await smallDoc();
    const parsed = parseResultDocument(JSON.stringify(doc), "result.json");
    expect(parsed.ok).toBe(true);
  });

  it("names the file and the problem for text that is not JSON", () => {
    const parsed = parseResultDocument('{"schemaVersion": 1,', "broken.json");
    expect(parsed).toEqual({ ok: false, problems: [expect.stringMatching(/^broken\.json is not valid JSON: /)] });
  });

  it("refuses a document of another schema version, saying which it found", () => {
    const parsed = parseResultDocument(JSON.stringify({ schemaVersion: 2 }), "r.json");
    expect(parsed.ok || parsed.problems[0]).toContain("schemaVersion 2");
  });

  it("lists every missing or mistyped field with its path, indexes in brackets", async () => {
    const doc = structuredClone(await smallDoc()) as unknown as { strategies: Array<Record<string, unknown>>; seed: unknown };
    doc.seed = "one";
    delete (doc.strategies[1] as { orders: Record<string, unknown> }).orders.oversold;
    (doc.strategies[0] as { histograms: Record<string, unknown> }).histograms.syncLagMs = "HISTFAAAnot-a-histogram";
    const parsed = parseResultDocument(JSON.stringify(doc), "r.json");
    if (parsed.ok) throw new Error("expected problems");
    expect(parsed.problems).toEqual([
      'r.json: seed: must be a number, got "one"',
      expect.stringMatching(/^r\.json: strategies\[0\]\.histograms\.syncLagMs: not an encoded HdrHistogram/),
      "r.json: strategies[1].orders.oversold: must be a whole number ≥ 0, got nothing (missing)",
    ]);
  });
});

describe("parseResultDocument and the per-sale visibleEverywhereMs (added without a schema bump)", () => {
  it("reads a document written before the field existed, and checks the field when it is there", async () => {
    const doc = structuredClone(await smallDoc()) as unknown as { strategies: Array<Record<string, unknown> & { histograms: Record<string, unknown>; orders: Record<string, unknown> }> };
    const events = doc.strategies[0];
    if (!events) throw new Error("no events strategy");
    expect(events.visibleEverywhereMs).toMatchObject({ count: expect.any(Number) });
    expect(events.orders.notVisibleEverywhere).toBe(0);
    const older = structuredClone(doc);
    for (const s of older.strategies) {
      delete s.visibleEverywhereMs;
      delete s.histograms.visibleEverywhereMs;
      delete s.orders.notVisibleEverywhere;
    }
    expect(parseResultDocument(JSON.stringify(older), "old.json").ok).toBe(true);
    (events.visibleEverywhereMs as Record<string, unknown>).p99 = "fast";
    events.histograms.visibleEverywhereMs = "HISTFAAAnot-a-histogram";
    events.orders.notVisibleEverywhere = null;
    const parsed = parseResultDocument(JSON.stringify(doc), "r.json");
    expect(parsed.ok || parsed.problems).toEqual([
      'r.json: strategies[0].visibleEverywhereMs.p99: must be a number ≥ 0, got "fast"',
      expect.stringMatching(/^r\.json: strategies\[0\]\.histograms\.visibleEverywhereMs: not an encoded HdrHistogram/),
      "r.json: strategies[0].orders.notVisibleEverywhere: must be a whole number ≥ 0, got null",
    ]);
  });
});

describe("parseResultDocument on a real run's document", () => {
  it("accepts its load section and refuses one whose time compression cannot be read", async () => {
    const doc = structuredClone(await realDoc()) as unknown as { strategies: Array<{ load: Record<string, unknown> }> };
    expect(parseResultDocument(JSON.stringify(doc), "run.json").ok).toBe(true);
    (doc.strategies[0] as { load: Record<string, unknown> }).load.timeScale = 0;
    delete (doc.strategies[0] as { load: Record<string, unknown> }).load.durationMs;
    const parsed = parseResultDocument(JSON.stringify(doc), "run.json");
    expect(parsed.ok || parsed.problems).toEqual(["run.json: strategies[0].load.timeScale: must be a positive number, got 0", "run.json: strategies[0].load.durationMs: must be a positive number, got nothing (missing)"]);
  });
});

/** Deletes a dotted path ("strategies.1.polling.ordersPerWindow") from a plain JSON value. */
function without(doc: unknown, path: string): unknown {
  const copy = structuredClone(doc) as Record<string, unknown>;
  const keys = path.split(".");
  let parent: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  delete parent[keys.at(-1) as string];
  return copy;
}

describe("parseResultDocument checks every field the report and the gate read", () => {
  // strategies.1 is polling:15m. Each of these is read by the HTML report (or the gate): without it
  // the page would crash with a TypeError or show "—" where a figure belongs.
  const READ = [
    "scenario.ordersPerDay",
    "scenario.skus",
    "scenario.channels.0.share",
    "scenario.curve.0.multiplier",
    "strategies.0.orderImport",
    "strategies.0.orders.lostSalesByAgents",
    "strategies.0.orders.soldOut",
    "strategies.0.checks.0.name",
    "strategies.0.checks.0.ok",
    "strategies.0.checks.0.detail",
    "strategies.0.channels.amazon.staleExposure",
    "strategies.0.channels.shopify",
    "strategies.0.timeline.sku",
    "strategies.1.polling",
    "strategies.1.polling.intervalMs",
    "strategies.1.polling.syncWindowsPerDay",
    "strategies.1.polling.ordersPerWindow",
    "strategies.1.polling.ordersPerWindow.peak",
  ];

  it.each(READ)("refuses a document without %s, naming it", async (path) => {
    const parsed = validateResultDocument(without(await smallDoc(), path), "r.json");
    const named = path.replace(/\.(\d+)(?=\.|$)/g, "[$1]");
    expect(parsed.ok || parsed.problems.join("\n")).toMatch(new RegExp(`^r\\.json: ${named.replace(/[.[\]]/g, "\\$&")}(\\.[a-zA-Z.]+)?: `, "m"));
  });

  it("lists every missing field at once", async () => {
    let doc = await smallDoc();
    for (const path of ["scenario.ordersPerDay", "scenario.skus", "strategies.1.polling.ordersPerWindow"]) doc = without(doc, path) as typeof doc;
    const parsed = validateResultDocument(doc, "r.json");
    expect(parsed.ok || parsed.problems).toEqual([
      "r.json: scenario.ordersPerDay: must be a number, got nothing (missing)",
      "r.json: scenario.skus: must be a number, got nothing (missing)",
      "r.json: strategies[1].polling.ordersPerWindow.mean: must be a number, got nothing (missing)",
      "r.json: strategies[1].polling.ordersPerWindow.peak: must be a number, got nothing (missing)",
    ]);
  });

  it("checks a real run's optional fields when present: dropped arrivals, planned arrivals, marketplace time", async () => {
    const doc = structuredClone(await realDoc()) as unknown as { strategies: Array<{ orders: Record<string, unknown>; load: Record<string, unknown> }> };
    const real = doc.strategies[0] as { orders: Record<string, unknown>; load: Record<string, unknown> };
    real.orders.droppedArrivals = -1;
    real.load.planned = "many";
    real.load.marketplaceTime = "fast";
    const parsed = validateResultDocument(doc, "run.json");
    expect(parsed.ok || parsed.problems).toEqual([
      "run.json: strategies[0].orders.droppedArrivals: must be a whole number ≥ 0, got -1",
      'run.json: strategies[0].load.planned: must be a whole number ≥ 0, got "many"',
      'run.json: strategies[0].load.marketplaceTime: must be "scaled" or "real", got "fast"',
    ]);
  });

  it("renders every document it accepts: the simulator's, a real run's, and one without the optional fields", async () => {
    let older: unknown = await smallDoc();
    for (const path of ["strategies.0.visibleEverywhereMs", "strategies.0.histograms.visibleEverywhereMs", "strategies.0.orders.notVisibleEverywhere", "scenario.curve.0.label"]) older = without(older, path);
    for (const doc of [await smallDoc(), await realDoc(["events", "polling:15m"]), older]) {
      const parsed = validateResultDocument(JSON.parse(JSON.stringify(doc)), "r.json");
      if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
      expect(() => renderReportHtml(parsed.doc)).not.toThrow();
    }
  });
});

describe("pickStrategy", () => {
  it("finds a strategy by name or lists the ones there are", async () => {
    const doc = await smallDoc();
    expect(pickStrategy(doc, "polling:15m")).toMatchObject({ ok: true, strategy: { strategy: "polling:15m" } });
    expect(pickStrategy(doc, "polling:1m")).toMatchObject({ ok: false, problem: expect.stringContaining("events, polling:15m") });
  });
});

describe("validateResultDocument: truncated or impossible values the page would contradict itself on", () => {
  it("refuses a perMinute series shorter than the run (a truncated file), naming its length", async () => {
    const doc = structuredClone(await smallDoc()) as unknown as { scenario: { durationMs: number }; strategies: Array<{ perMinute: Record<string, number[]> }> };
    const minutes = Math.ceil(doc.scenario.durationMs / 60_000);
    (doc.strategies[0] as { perMinute: Record<string, number[]> }).perMinute.accepted = [];
    const parsed = validateResultDocument(doc, "r.json");
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems.join("\n")).toContain(`strategies[0].perMinute.accepted: must have one entry per minute of the run (${minutes}), has 0`);
  });
  it("refuses a channel share that is not positive", async () => {
    const doc = structuredClone(await smallDoc()) as unknown as { scenario: { channels: Array<{ share: number }> } };
    (doc.scenario.channels[0] as { share: number }).share = -1;
    const parsed = validateResultDocument(doc, "r.json");
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems.join("\n")).toContain("scenario.channels[0].share: must be a positive number, got -1");
  });
  it("still accepts a real run's document (perMinute over the scenario's minutes)", async () => {
    expect(validateResultDocument(JSON.parse(JSON.stringify(await realDoc())), "real.json").ok).toBe(true);
  });
});

describe("validateResultDocument: figures that contradict each other", () => {
  type Loose = { scenario: { cost: Record<string, unknown> }; strategies: Array<{ strategy: string; orders: Record<string, unknown>; cost: Record<string, unknown>; syncLagMs: Record<string, unknown>; channels: Record<string, Record<string, unknown>>; perMinute: Record<string, unknown[]> }> };
  const loose = async (doc: Promise<ResultDocument> = smallDoc()) => structuredClone(await doc) as unknown as Loose;
  const problems = (doc: unknown) => {
    const parsed = validateResultDocument(doc, "r.json");
    return parsed.ok ? [] : parsed.problems;
  };

  it("refuses a cost.total that is not the cost model applied to the counts (the headline would say €999, section 5 €423)", async () => {
    const doc = await loose();
    const polling = doc.strategies[1]!;
    const model = costModelOf(doc as unknown as ResultDocument);
    const expected = computeCost(model, { oversold: polling.orders.oversold as number, lostSales: polling.orders.lostSales as number });
    expect(expected.total).not.toBe(999);
    polling.cost.total = 999;
    expect(problems(doc)).toEqual([`r.json: strategies[1].cost.total: must be ${expected.total}, the cost model (scenario.cost) applied to orders.oversold ${polling.orders.oversold} and orders.lostSales ${polling.orders.lostSales}, got 999`]);
  });

  it("refuses counts that are negative or fractional, rates outside 0–1 and negative lags, every one with its path", async () => {
    const doc = await loose();
    const events = doc.strategies[0]!;
    events.orders.oversold = -3;
    events.orders.lostSales = 2.5;
    events.orders.cancellationRate = 5;
    events.syncLagMs.p99 = -1;
    events.channels.amazon!.staleExposure = 1.5;
    events.perMinute.accepted![3] = -1;
    doc.scenario.cost.marginRate = 30;
    expect(problems(doc)).toEqual([
      "r.json: scenario.cost.marginRate: must be a rate between 0 and 1, got 30",
      "r.json: strategies[0].orders.oversold: must be a whole number ≥ 0, got -3",
      "r.json: strategies[0].orders.lostSales: must be a whole number ≥ 0, got 2.5",
      "r.json: strategies[0].orders.cancellationRate: must be a rate between 0 and 1, got 5",
      "r.json: strategies[0].syncLagMs.p99: must be a number ≥ 0, got -1",
      "r.json: strategies[0].channels.amazon.staleExposure: must be a rate between 0 and 1, got 1.5",
      "r.json: strategies[0].perMinute.accepted: must be an array of whole numbers ≥ 0, got -1 at [3]",
    ]);
  });

  it("refuses a cancellation rate that is not oversold ÷ accepted", async () => {
    const doc = await loose();
    const polling = doc.strategies[1]!;
    const rate = Math.round(((polling.orders.oversold as number) / (polling.orders.accepted as number)) * 1e6) / 1e6;
    polling.orders.cancellationRate = 0.001;
    expect(problems(doc)).toEqual([`r.json: strategies[1].orders.cancellationRate: must be ${rate}, orders.oversold ${polling.orders.oversold} ÷ orders.accepted ${polling.orders.accepted}, got 0.001`]);
  });

  it("refuses a strategy whose currency is not the scenario's, and a strategy named twice", async () => {
    const doc = await loose();
    doc.strategies[1]!.cost.currency = "USD";
    doc.strategies.push(structuredClone(doc.strategies[0]!));
    expect(problems(doc)).toEqual([
      'r.json: strategies[1].cost.currency: must be the scenario\'s currency "EUR" (scenario.cost.currency), got "USD"',
      'r.json: strategies[2].strategy: "events" is already strategies[0]: each strategy once',
    ]);
  });

  it("accepts what the simulator and a real run write, whatever the cost model", async () => {
    for (const doc of [await smallDoc(), await realDoc(["events", "polling:15m"]), await simulate({ ...SMALL_SCENARIO, cost: { currency: "GBP", averageOrderValue: 45.37, marginRate: 0.333, cancellationCost: 12.5, churnProbability: 0.17, customerLifetimeValue: 199.99 } })]) {
      expect(problems(JSON.parse(JSON.stringify(doc)))).toEqual([]);
    }
  });
});
