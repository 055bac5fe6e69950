import { describe, expect, it } from "vitest";
import { realDoc, smallDoc } from "../test/fixtures.js";
import { parseResultDocument, pickStrategy } from "./result-document.js";

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
      "r.json: strategies[1].orders.oversold: must be a number, got nothing (missing)",
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
      'r.json: strategies[0].visibleEverywhereMs.p99: must be a number, got "fast"',
      expect.stringMatching(/^r\.json: strategies\[0\]\.histograms\.visibleEverywhereMs: not an encoded HdrHistogram/),
      "r.json: strategies[0].orders.notVisibleEverywhere: must be a number, got null",
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

describe("pickStrategy", () => {
  it("finds a strategy by name or lists the ones there are", async () => {
    const doc = await smallDoc();
    expect(pickStrategy(doc, "polling:15m")).toMatchObject({ ok: true, strategy: { strategy: "polling:15m" } });
    expect(pickStrategy(doc, "polling:1m")).toMatchObject({ ok: false, problem: expect.stringContaining("events, polling:15m") });
  });
});
