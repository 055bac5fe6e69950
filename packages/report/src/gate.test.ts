import { describe, expect, it } from "vitest";
import { Histogram } from "@synclag/metrics";
import type { ResultDocument } from "@synclag/sim";
import { SMALL_SCENARIO, realDoc, simulate, smallDoc } from "../test/fixtures.js";
import { checkThresholds, evaluateGate } from "./gate.js";
import { renderJUnit } from "./junit.js";
import { renderGateSummary } from "./markdown-summary.js";

async function gate(texts: string[], strategy?: string) {
  const result = evaluateGate(await smallDoc(), texts, strategy === undefined ? {} : { strategy });
  if (!result.ok) throw new Error(result.problems.join("\n"));
  return result.report;
}

async function problems(texts: string[], doc?: ResultDocument, strategy?: string): Promise<string[]> {
  const result = evaluateGate(doc ?? (await smallDoc()), texts, strategy === undefined ? {} : { strategy });
  if (result.ok) throw new Error("expected problems, got a report");
  return result.problems;
}

describe("evaluateGate", () => {
  it("passes a threshold the run meets and fails one it breaks, with the measured value", async () => {
    const doc = await smallDoc();
    const events = doc.strategies[0];
    const p99 = events?.syncLagMs.p99 ?? 0;
    const report = await gate([`sync_lag_ms:p(99)<${p99 + 1}`, `sync_lag_ms:p(99)<${p99}`]);
    expect(report.outcomes.map((o) => o.pass)).toEqual([true, false]);
    expect(report.outcomes.map((o) => o.measured)).toEqual([p99, p99]);
    expect(report.pass).toBe(false);
    expect(report.strategy).toBe("events");
  });

  it("applies thresholds to the strategy picked with --strategy", async () => {
    const doc = await smallDoc();
    const polling = doc.strategies.find((s) => s.strategy === "polling:15m");
    const report = await gate(["oversells:count==0", "cost:value<1"], "polling:15m");
    expect(report.outcomes[0]?.measured).toBe(polling?.orders.oversold);
    expect(report.outcomes[1]?.measured).toBe(polling?.cost.total);
    expect(polling?.orders.oversold).toBeGreaterThan(0);
    expect(report.pass).toBe(false);
  });

  it("reads summary figures as the table shows them and other percentiles from the encoded histogram", async () => {
    const doc = await smallDoc();
    const events = doc.strategies[0];
    if (!events) throw new Error("no events strategy");
    const report = await gate(["accepted_lag_ms:max>=0", "accepted_lag_ms:p(95)>=0", "accepted_lag_ms:count>0", "accepted_lag_ms:min>=0"]);
    const histogram = Histogram.decode(events.histograms.acceptedLagMs);
    expect(report.outcomes.map((o) => o.measured)).toEqual([events.acceptedLagMs.max, histogram.percentile(95), events.acceptedLagMs.count, histogram.min]);
  });

  it("measures p(100) as the exact max, and never a histogram figure (percentile, min, avg) above it — as k6 does", async () => {
    const base = await smallDoc();
    // One sample that HDR can only bucket: the decoded histogram's top is its bucket's highest equivalent value.
    const recorded = new Histogram();
    recorded.record(234_230);
    const encoded = recorded.encode();
    const summary = recorded.summary();
    expect(Histogram.decode(encoded).percentile(100)).toBeGreaterThan(summary.max); // what the gate must not report
    const doc = { ...base, strategies: base.strategies.map((s) => (s.strategy === "events" ? { ...s, syncLagMs: summary, histograms: { ...s.histograms, syncLagMs: encoded } } : s)) } as ResultDocument;
    const result = evaluateGate(doc, ["sync_lag_ms:p(100)<=234230", "sync_lag_ms:max<=234230", "sync_lag_ms:p(99.99)<=234230", "sync_lag_ms:p(95)<=234230", "sync_lag_ms:min<=234230", "sync_lag_ms:avg<=234230"]);
    if (!result.ok) throw new Error(result.problems.join("\n"));
    const measured = Object.fromEntries(result.report.outcomes.map((o) => [o.threshold.text.replace(/^sync_lag_ms:|<=234230$/g, ""), o.measured]));
    expect(measured).toMatchObject({ "p(100)": 234_230, max: 234_230, "p(99.99)": 234_230, "p(95)": 234_230 });
    // min and avg stay the histogram's (within HDR precision of the sample), never above the exact max.
    expect(measured.min).toBeGreaterThan(234_000);
    expect(measured.avg).toBeGreaterThan(234_000);
    expect(result.report.outcomes.every((o) => o.pass && o.measured <= 234_230)).toBe(true);
  });

  it("reads p(100) as max on the simulator's own figures (a p(100) gate passes exactly where max passes)", async () => {
    const doc = await smallDoc();
    for (const s of doc.strategies) {
      for (const metric of ["sync_lag_ms", "accepted_lag_ms", "visible_everywhere_ms"]) {
        const result = evaluateGate(doc, [`${metric}:p(100)>=0`, `${metric}:max>=0`, `${metric}:min>=0`, `${metric}:avg>=0`, `${metric}:p(99.99)>=0`], { strategy: s.strategy });
        if (!result.ok) throw new Error(result.problems.join("\n"));
        const [p100, max, ...rest] = result.report.outcomes.map((o) => o.measured);
        expect(p100, `${s.strategy} ${metric}`).toBe(max);
        for (const value of rest) expect(value, `${s.strategy} ${metric}`).toBeLessThanOrEqual(max as number);
      }
    }
  });

  it("keeps a histogram's min no lower than an exact min the summary carries", async () => {
    const base = await smallDoc();
    const recorded = new Histogram();
    recorded.record(100_001);
    recorded.record(234_230);
    const encoded = recorded.encode();
    expect(Histogram.decode(encoded).min).toBeLessThan(100_001); // the bucket's lowest equivalent value
    const summary = { ...recorded.summary(), min: 100_001 };
    const doc = { ...base, strategies: base.strategies.map((s) => (s.strategy === "events" ? { ...s, syncLagMs: summary, histograms: { ...s.histograms, syncLagMs: encoded } } : s)) } as ResultDocument;
    const result = evaluateGate(doc, ["sync_lag_ms:min>=100001"]);
    if (!result.ok) throw new Error(result.problems.join("\n"));
    expect(result.report.outcomes.map((o) => [o.measured, o.pass])).toEqual([[100_001, true]]);
  });

  it("measures per-channel latencies and counts", async () => {
    const doc = await smallDoc();
    const shopify = doc.strategies[0]?.channels.shopify;
    const report = await gate(["channels.shopify.sync_lag_ms:p(99)>0", "channels.shopify.api_calls:count>0", "channels.amazon.throttled:count>=0"]);
    expect(report.outcomes[0]?.measured).toBe(shopify?.syncLagMs.p99);
    expect(report.outcomes[1]?.measured).toBe(shopify?.apiCalls);
  });

  it("normalises units: 5s is 5000 ms and 2.5% is 0.025", async () => {
    const report = await gate(["accepted_lag_ms:p(99)<1h", "cancellation_rate:rate<2.5%"]);
    expect(report.outcomes[0]?.threshold.value).toBe(3_600_000);
    expect(report.outcomes[1]?.threshold.value).toBe(0.025);
  });

  it("reports dropped arrivals as 0 for a simulated result, saying why", async () => {
    const report = await gate(["dropped_arrivals:count==0"]);
    expect(report.outcomes[0]).toMatchObject({ measured: 0, pass: true });
    expect(report.outcomes[0]?.note).toContain("simulated");
  });

  it("refuses to pass dropped arrivals silently when a real result does not carry them", async () => {
    const doc = await smallDoc();
    const real = { ...doc, generator: { name: "synclag", mode: "real" } } as ResultDocument;
    expect((await problems(["dropped_arrivals:count==0"], real)).join()).toContain("has no orders.droppedArrivals");
    const counted = { ...real, strategies: real.strategies.map((s) => ({ ...s, orders: { ...s.orders, droppedArrivals: 3 } })) } as ResultDocument;
    const result = evaluateGate(counted, ["dropped_arrivals:count==0"]);
    expect(result.ok && result.report.outcomes[0]).toMatchObject({ measured: 3, pass: false });
  });

  it("gates the time until a sale is visible on every other channel (visible_everywhere_ms), per sale", async () => {
    const doc = await smallDoc();
    const events = doc.strategies[0];
    const everywhere = events?.visibleEverywhereMs;
    if (!events || !everywhere) throw new Error("no visibleEverywhereMs in the events strategy");
    const report = await gate([`visible_everywhere_ms:p(99)<${everywhere.p99 + 1}`, `visible_everywhere_ms:p(99)<${everywhere.p99}`, "visible_everywhere_ms:count>0", "visible_everywhere_ms:p(95)>=0"]);
    expect(report.outcomes.map((o) => o.pass)).toEqual([true, false, true, true]);
    const histogram = Histogram.decode(events.histograms.visibleEverywhereMs ?? "");
    expect(report.outcomes.map((o) => o.measured)).toEqual([everywhere.p99, everywhere.p99, everywhere.count, histogram.percentile(95)]);
    // Two channels: each sale has one other channel, so the per-sale figure is the channel updates'.
    expect(everywhere).toEqual(events.syncLagMs);
    expect(checkThresholds(["visible_everywhere_ms:p(99)<30s"]).ok).toBe(true);
    expect(checkThresholds(["channels.amazon.visible_everywhere_ms:p(99)<30s"]).ok).toBe(false);
  });

  it("refuses to pass visible_everywhere_ms on a document written before it existed, and reads such a document otherwise", async () => {
    const doc = await smallDoc();
    const older = {
      ...doc,
      strategies: doc.strategies.map(({ visibleEverywhereMs: _summary, ...s }) => {
        const { visibleEverywhereMs: _encoded, ...histograms } = s.histograms;
        return { ...s, histograms };
      }),
    } as ResultDocument;
    expect((await problems(["visible_everywhere_ms:p(99)<1h"], older)).join()).toContain("has no visibleEverywhereMs for events");
    const result = evaluateGate(older, ["sync_lag_ms:p(99)<1h"]);
    expect(result.ok).toBe(true);
    // Summary without its encoded histogram: the summary's figures still gate, the rest fail with a note.
    const partial = { ...doc, strategies: older.strategies.map((s, i) => ({ ...s, visibleEverywhereMs: doc.strategies[i]?.visibleEverywhereMs })) } as ResultDocument;
    const partialResult = evaluateGate(partial, ["visible_everywhere_ms:p(99)>0", "visible_everywhere_ms:min>=0"]);
    if (!partialResult.ok) throw new Error(partialResult.problems.join());
    expect(partialResult.report.outcomes.map((o) => o.pass)).toEqual([true, false]);
    expect(partialResult.report.outcomes[1]?.note).toContain("no encoded histogram");
  });

  it("counts the sales never visible everywhere (left out of visible_everywhere_ms) so that count==0 fails a run that left any behind", async () => {
    const doc = await smallDoc();
    const events = doc.strategies[0];
    if (!events?.visibleEverywhereMs) throw new Error("no events strategy with visibleEverywhereMs");
    // The latency passes on the samples it has, while 3 sales never showed everywhere: only the count catches it.
    const leftBehind = { ...doc, strategies: [{ ...events, orders: { ...events.orders, notVisibleEverywhere: 3 } }] } as ResultDocument;
    const texts = [`visible_everywhere_ms:p(99)<=${events.visibleEverywhereMs.p99}`, "not_visible_everywhere:count==0"];
    const result = evaluateGate(leftBehind, texts);
    if (!result.ok) throw new Error(result.problems.join());
    expect(result.report.outcomes.map((o) => [o.metric, o.unit, o.measured, o.pass])).toEqual([
      ["visible_everywhere_ms", "ms", events.visibleEverywhereMs.p99, true],
      ["not_visible_everywhere", "count", 3, false],
    ]);
    expect(result.report.pass).toBe(false);
    expect((await gate(["not_visible_everywhere:count==0"])).outcomes[0]).toMatchObject({ measured: events.orders.notVisibleEverywhere ?? Number.NaN, unit: "count" });
    expect(checkThresholds(["not_visible_everywhere:p(99)<1"]).ok).toBe(false);
    expect(checkThresholds(["not_visible_everywhere:count<1s"]).ok).toBe(false);
    const older = { ...doc, strategies: doc.strategies.map((s) => ({ ...s, orders: { ...s.orders, notVisibleEverywhere: undefined } })) } as unknown as ResultDocument;
    expect((await problems(["not_visible_everywhere:count==0"], older)).join()).toContain("has no orders.notVisibleEverywhere for events");
  });

  it("fails a latency threshold over zero samples instead of passing it", async () => {
    const doc = await smallDoc();
    const empty = new Histogram().encode();
    const events = doc.strategies[0];
    if (!events) throw new Error("no events strategy");
    const emptied = { ...doc, strategies: [{ ...events, syncLagMs: { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 }, histograms: { ...events.histograms, syncLagMs: empty } }] } as ResultDocument;
    const result = evaluateGate(emptied, ["sync_lag_ms:p(99)<5s", "sync_lag_ms:count==0"]);
    if (!result.ok) throw new Error(result.problems.join());
    expect(result.report.outcomes[0]).toMatchObject({ pass: false });
    expect(result.report.outcomes[0]?.note).toContain("no samples");
    expect(result.report.outcomes[1]).toMatchObject({ pass: true, measured: 0 });
    // Every renderer of the gate says so, never "0 ms".
    const row = renderGateSummary(result.report).split("\n").find((l) => l.includes("sync_lag_ms:p(99)<5s"));
    expect(row).toContain("| no samples");
    expect(row).not.toMatch(/\b0 ms/);
    expect(renderJUnit(result.report)).toContain("measured no samples");
  });

  it("lists every problem at once: syntax, no metric, unknown metric, unfitting aggregation and unit, unknown channel", async () => {
    const found = await problems(["sync_lag_ms:p99<5s", "p(99)<5s", "lag_ms:p(99)<5s", "oversells:p(99)<1", "cost:value<5s", "oversells:count<5%", "channels.ebay.sync_lag_ms:max<1s", "channels.amazon.latency:max<1s"]);
    expect(found).toHaveLength(8);
    expect(found[0]).toContain('use p(99)');
    expect(found[1]).toContain("names no metric");
    expect(found[2]).toContain('unknown metric "lag_ms"');
    expect(found[3]).toContain("p(99) does not fit oversells");
    expect(found[4]).toContain('time unit "s" does not fit cost');
    expect(found[5]).toMatch(/%/);
    expect(found[6]).toContain('no channel "ebay"');
    expect(found[7]).toContain('unknown channel metric "latency"');
  });

  it("names the strategies a document has when the picked one is missing", async () => {
    expect((await problems(["oversells:count==0"], undefined, "polling:5m"))[0]).toContain("it has events, polling:15m");
  });

  it("refuses an empty threshold list rather than passing vacuously", async () => {
    expect((await problems([]))[0]).toContain("no thresholds");
  });

  it("evaluates a threshold given twice (flag and scenario file) once", async () => {
    expect((await gate(["oversells:count>=0", " oversells:count>=0"])).outcomes).toHaveLength(1);
  });

  it("evaluates thresholds that mean the same once, however they are spelt", async () => {
    const report = await gate(["oversells:count==0", "oversells:count == 0", "sync_lag_ms:p(99)<5s", "sync_lag_ms:p(99)<5000", "sync_lag_ms:p(99)<5000ms", "sync_lag_ms:p(99)<4s"]);
    expect(report.outcomes.map((o) => o.threshold.text)).toEqual(["oversells:count==0", "sync_lag_ms:p(99)<5s", "sync_lag_ms:p(99)<4s"]);
  });
});

describe("evaluateGate on a real run whose load generator dropped arrivals", () => {
  async function droppedDoc(dropped: number): Promise<ResultDocument> {
    const base = await realDoc();
    return {
      ...base,
      strategies: base.strategies.map((s) => ({ ...s, orders: { ...s.orders, droppedArrivals: dropped }, load: { ...(s as unknown as { load: object }).load, planned: s.orders.attempted + dropped } })),
    } as unknown as ResultDocument;
  }

  it("reports the drops beside passing thresholds, and every output says so: the markdown verdict fails, JUnit has an error", async () => {
    const doc = await droppedDoc(583);
    const result = evaluateGate(doc, ["accepted_lag_ms:p(99)<1h"]);
    if (!result.ok) throw new Error(result.problems.join("\n"));
    const planned = (doc.strategies[0]?.orders.attempted ?? 0) + 583;
    expect(result.report.pass).toBe(true);
    expect(result.report.droppedArrivals).toEqual({ dropped: 583, planned });
    const summary = renderGateSummary(result.report);
    expect(summary).toContain("### synclag gate ❌ failed (arrivals dropped)");
    expect(summary).not.toContain("✅ passed");
    expect(summary).toContain(`583 of ${planned.toLocaleString("en-US")} planned arrivals`);
    const junit = renderJUnit(result.report);
    expect(junit).toContain('errors="1"');
    expect(junit).toMatch(/<testcase [^>]*name="load generator: dropped arrivals"[^>]*>\s*<error message="583 of [\d,]+ planned arrivals were dropped \(not sent\)" type="ArrivalsDropped">/);
  });

  it("says nothing of drops when none were dropped, or for a simulated run", async () => {
    const none = evaluateGate(await droppedDoc(0), ["accepted_lag_ms:p(99)<1h"]);
    expect(none.ok && none.report.droppedArrivals).toBeUndefined();
    expect(none.ok && renderGateSummary(none.report)).toContain("✅ passed");
    const simulated = evaluateGate(await smallDoc(), ["accepted_lag_ms:p(99)<1h"]);
    expect(simulated.ok && simulated.report.droppedArrivals).toBeUndefined();
  });

  it("names the failed thresholds and the drops together when both happened", async () => {
    const result = evaluateGate(await droppedDoc(5), ["api_calls:count<1"]);
    if (!result.ok) throw new Error(result.problems.join("\n"));
    expect(renderGateSummary(result.report)).toContain("### synclag gate ❌ failed (1 of 1 thresholds; arrivals dropped)");
  });
});

describe("evaluateGate on a channel id with '-' (the scenario schema allows it: black-friday-40's amazon-01)", () => {
  it("measures channels.<id>.… for a hyphenated id", async () => {
    const doc = await simulate({ ...SMALL_SCENARIO, channels: [{ id: "amazon-eu", kind: "amazon", share: 0.6 }, { id: "shopify", kind: "shopify", share: 0.4 }] }, ["events"]);
    const result = evaluateGate(doc, ["channels.amazon-eu.oversells:count<100000", "channels.amazon-eu.sync_lag_ms:p(99)>0"]);
    if (!result.ok) throw new Error(result.problems.join("\n"));
    expect(result.report.outcomes.map((o) => o.measured)).toEqual([doc.strategies[0]?.channels["amazon-eu"]?.oversold, doc.strategies[0]?.channels["amazon-eu"]?.syncLagMs.p99]);
    expect(checkThresholds(["channels.amazon-01.sync_lag_ms:p(99)<5m"], { channels: ["amazon-01"] }).ok).toBe(true);
  });
});

describe("checkThresholds", () => {
  it("checks thresholds without a result, including channel ids when given", () => {
    expect(checkThresholds(["sync_lag_ms:p(99)<5s", "channels.amazon.accepted_lag_ms:p(90)<1m"], { channels: ["amazon"] }).ok).toBe(true);
    const result = checkThresholds(["channels.ebay.sync_lag_ms:max<1s", "oversells:count=0"], { channels: ["amazon"] });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems).toEqual([expect.stringContaining('no channel "ebay"'), expect.stringContaining('use "==" to compare')]);
  });
});

describe("evaluateGate on a real result without orders.droppedArrivals", () => {
  it("refuses it whatever the thresholds (a real run that dropped arrivals fails, so an unknown count cannot pass)", async () => {
    const base = await realDoc(["events", "polling:15m"]);
    const without = { ...base, strategies: base.strategies.map((s) => ({ ...s, orders: Object.fromEntries(Object.entries(s.orders).filter(([key]) => key !== "droppedArrivals")) })) } as unknown as ResultDocument;
    const found = await problems(["accepted_lag_ms:p(99)<1h"], without);
    expect(found).toEqual([
      "this real result has no orders.droppedArrivals for events, so whether its load generator dropped arrivals (which fails a real run) cannot be known: refusing to pass it silently — write it again with synclag run --json (or gate --real --json)",
    ]);
    // The strategy checked is the one that must carry it.
    expect((await problems(["oversells:count<100000"], without, "polling:15m")).join()).toContain("no orders.droppedArrivals for polling:15m");
    // With the figure it is checked as usual; a simulated result never needs it.
    expect(evaluateGate(base, ["accepted_lag_ms:p(99)<1h"]).ok).toBe(true);
    expect(evaluateGate(await smallDoc(), ["accepted_lag_ms:p(99)<1h"]).ok).toBe(true);
  });
});
