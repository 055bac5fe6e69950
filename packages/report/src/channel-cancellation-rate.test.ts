// A marketplace holds a seller to its own cancellation rate: that marketplace's cancelled orders ÷ the
// orders it took (Amazon: under 2.5 %). A rate pooled over every channel hides a marketplace over its
// limit — the built-in flash-sale, events: 1.30 % in all, Amazon alone 9 of 315 = 2.86 %. So each
// channel's figures (`channels.<id>.accepted`, `oversold`, `cancellationRate`, `cancellationRateLimit`)
// are checked by the validator (consistent with each other and with the strategy's, still optional for
// documents written before them), gated (`channels.<id>.cancellation_rate`) and shown by the report
// (the worst channel against its own limit, named, beside the pooled figure).
import { describe, expect, it } from "vitest";
import type { ResultDocument } from "@synclag/sim";
import { computeCost } from "@synclag/workload";
import { smallDoc } from "../test/fixtures.js";
import { costModelOf } from "./cost-projection.js";
import { checkThresholds, evaluateGate } from "./gate.js";
import { renderReportHtml, type ReportData } from "./html/report-html.js";
import { validateResultDocument } from "./result-document.js";

type Loose = { strategies: Array<{ strategy: string; orders: Record<string, number>; cost: unknown; channels: Record<string, Record<string, unknown>> }> };
const round6 = (value: number) => Math.round(value * 1e6) / 1e6;

/**
 * The simulator's document with one strategy's orders spread over its channels as given ([accepted,
 * oversold] per channel), and every total, rate and cost rewritten to agree — so the figures under test
 * are the ones the review found, whatever a change to the engine does to the simulated counts.
 */
function withChannelOrders(doc: ResultDocument, strategy: number, orders: Record<string, [number, number]>): ResultDocument {
  const copy = structuredClone(doc) as unknown as Loose;
  const s = copy.strategies[strategy];
  if (!s) throw new Error(`no strategy ${strategy}`);
  let accepted = 0;
  let oversold = 0;
  for (const [id, [a, o]] of Object.entries(orders)) {
    Object.assign(s.channels[id] as object, { accepted: a, oversold: o, cancellationRate: a > 0 ? round6(o / a) : 0 });
    accepted += a;
    oversold += o;
  }
  s.orders.accepted = accepted;
  s.orders.oversold = oversold;
  s.orders.cancellationRate = accepted > 0 ? round6(oversold / accepted) : 0;
  s.cost = computeCost(costModelOf(copy as unknown as ResultDocument), { oversold, lostSales: s.orders.lostSales as number });
  return copy as unknown as ResultDocument;
}

/**
 * As the review found on the built-in flash-sale: events 10 oversold of 770 (1.30 %) in all, Amazon 9
 * of 315 (2.86 %); polling every 15 min with both channels over the line.
 */
const skewed = async () => withChannelOrders(withChannelOrders(await smallDoc(), 0, { amazon: [315, 9], shopify: [455, 1] }), 1, { amazon: [375, 66], shopify: [263, 49] });
/** Events with every channel under its limit, Amazon closest (1 of 41, 2.44 %). */
const underLimit = async () => withChannelOrders(await smallDoc(), 0, { amazon: [41, 1], shopify: [393, 2] });

const loose = async (doc: Promise<ResultDocument>) => structuredClone(await doc) as unknown as Loose;
const problems = (doc: unknown) => {
  const parsed = validateResultDocument(doc, "r.json");
  return parsed.ok ? [] : parsed.problems;
};
/** The document as synclag wrote it before the per-channel figures existed. */
const older = (doc: Loose) => {
  for (const s of doc.strategies) for (const c of Object.values(s.channels)) for (const f of ["accepted", "cancellationRate", "cancellationRateLimit"]) delete c[f];
  return doc;
};

function text(html: string): string {
  return html
    .replace(/<svg[\s\S]*?<\/svg>/g, " ")
    .replace(/<(script|style)[\s\S]*?<\/\1>/g, " ")
    .replace(/<\/?(td|th|dt|dd|tr|div|p|li|h[1-6]|figcaption|footer)\b[^>]*>/g, " ")
    .replace(/<[^>]+>/g, "")
    .replace(/&amp;/g, "&")
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/\s+/g, " ");
}

function reportData(html: string): ReportData {
  const json = /<script type="application\/json" id="synclag-report-data">([\s\S]*?)<\/script>/.exec(html)?.[1];
  if (json === undefined) throw new Error("no report data");
  return JSON.parse(json) as ReportData;
}

describe("validateResultDocument: per-channel cancellation figures", () => {
  it("accepts what the simulator writes, a document written before the fields existed, and the review's figures", async () => {
    const written = await smallDoc();
    for (const s of written.strategies) for (const c of Object.values(s.channels)) expect(c).toMatchObject({ accepted: expect.any(Number), cancellationRate: expect.any(Number), cancellationRateLimit: 0.025 });
    expect(problems(await loose(smallDoc()))).toEqual([]);
    expect(problems(older(await loose(smallDoc())))).toEqual([]);
    expect(problems(await loose(skewed()))).toEqual([]);
  });

  it("refuses a channel's rate that is not its oversold ÷ accepted (rounded to 6 digits as the pooled one)", async () => {
    const doc = await loose(skewed());
    (doc.strategies[0]?.channels.amazon as Record<string, unknown>).cancellationRate = 0.013;
    expect(problems(doc)).toEqual(["r.json: strategies[0].channels.amazon.cancellationRate: must be 0.028571, channels.amazon.oversold 9 ÷ channels.amazon.accepted 315, got 0.013"]);
  });

  it("refuses a channel with more oversold than accepted orders", async () => {
    // Amazon's accepted orders but one moved to Shopify, so the sums still hold: the only problem is the one under test.
    const doc = await loose(skewed().then((d) => withChannelOrders(d, 0, { amazon: [1, 9], shopify: [769, 1] })));
    (doc.strategies[0]?.channels.amazon as Record<string, unknown>).cancellationRate = 1; // a rate, not 9 ÷ 1
    expect(problems(doc)).toEqual(["r.json: strategies[0].channels.amazon.oversold: must be at most channels.amazon.accepted (1): an oversold order is an accepted order stock could not fill, got 9"]);
  });

  it("refuses channels whose accepted or oversold orders do not add up to the strategy's (an order belongs to its source channel)", async () => {
    const doc = await loose(skewed());
    const shopify = doc.strategies[1]?.channels.shopify as Record<string, number>;
    shopify.accepted = 273;
    shopify.oversold = 50;
    shopify.cancellationRate = round6(50 / 273);
    expect(problems(doc)).toEqual([
      "r.json: strategies[1].orders.accepted: must be the sum of its channels' accepted orders (648), got 638",
      "r.json: strategies[1].orders.oversold: must be the sum of its channels' oversold orders (116), got 115",
    ]);
  });

  it("refuses half of the figures: every channel has them or none", async () => {
    const doc = await loose(skewed());
    const events = doc.strategies[0] as Loose["strategies"][number];
    delete events.channels.shopify?.accepted;
    delete events.channels.shopify?.cancellationRate;
    delete doc.strategies[1]?.channels.amazon?.accepted;
    expect(problems(doc)).toEqual([
      "r.json: strategies[0].channels.shopify.accepted: must be a whole number ≥ 0 like the other channels' (a document has every channel's cancellation figures or none), got nothing (missing)",
      "r.json: strategies[0].channels.shopify.cancellationRate: must be a rate between 0 and 1 like the other channels' (a document has every channel's cancellation figures or none), got nothing (missing)",
      "r.json: strategies[1].channels.amazon.accepted: must be a whole number ≥ 0 like the other channels' (a document has every channel's cancellation figures or none), got nothing (missing)",
    ]);
  });

  it("refuses a malformed count, rate or limit", async () => {
    const doc = await loose(skewed());
    const amazon = doc.strategies[0]?.channels.amazon as Record<string, unknown>;
    amazon.accepted = 315.5;
    amazon.cancellationRate = "high";
    (doc.strategies[0]?.channels.shopify as Record<string, unknown>).cancellationRateLimit = 0;
    (doc.strategies[1]?.channels.amazon as Record<string, unknown>).cancellationRateLimit = "2.5%";
    expect(problems(doc)).toEqual([
      "r.json: strategies[0].channels.amazon.accepted: must be a whole number ≥ 0, got 315.5",
      'r.json: strategies[0].channels.amazon.cancellationRate: must be a rate between 0 and 1, got "high"',
      "r.json: strategies[0].channels.shopify.cancellationRateLimit: must be a rate above 0 and at most 1, got 0",
      'r.json: strategies[1].channels.amazon.cancellationRateLimit: must be a rate above 0 and at most 1, got "2.5%"',
    ]);
  });
});

describe("gate: channels.<id>.cancellation_rate", () => {
  it("fails Amazon over 2.5 % where the pooled rate passes", async () => {
    const result = evaluateGate(await skewed(), ["cancellation_rate:rate<2.5%", "channels.amazon.cancellation_rate:rate<2.5%", "channels.shopify.cancellation_rate:value<2.5%"]);
    if (!result.ok) throw new Error(result.problems.join("\n"));
    expect(result.report.outcomes.map((o) => [o.metric, o.unit, o.measured, o.pass])).toEqual([
      ["cancellation_rate", "ratio", 0.012987, true],
      ["channels.amazon.cancellation_rate", "ratio", 0.028571, false],
      ["channels.shopify.cancellation_rate", "ratio", 0.002198, true],
    ]);
    expect(result.report.pass).toBe(false);
  });

  it("is a known metric before anything runs, with a rate's aggregations", () => {
    expect(checkThresholds(["channels.amazon.cancellation_rate:rate<2.5%"], { channels: ["amazon"] }).ok).toBe(true);
    const refused = checkThresholds(["channels.amazon.cancellation_rate:count<3"], { channels: ["amazon"] });
    expect(refused.ok || refused.problems).toEqual([expect.stringContaining("count does not fit channels.amazon.cancellation_rate (a rate (0–1)): use rate, value")]);
  });

  it("refuses to pass a document written before the figure existed", async () => {
    const doc = older(await loose(skewed())) as unknown as ResultDocument;
    const result = evaluateGate(doc, ["channels.amazon.cancellation_rate:rate<2.5%"]);
    expect(result.ok || result.problems).toEqual([expect.stringContaining("this result has no cancellationRate for channel amazon of events (written by an older synclag)")]);
  });
});

describe("the HTML report: the worst channel against its own limit, beside the pooled rate", () => {
  it("says Amazon is over its 2.5 % limit on the events card and in section 3, keeping the pooled 1.30 %", async () => {
    const html = renderReportHtml(await skewed());
    const page = text(html);
    expect(page).toContain("Cancellation rate, all channels together 1.30%");
    expect(page).toContain("Worst channel against its limit 2.86% on amazon (9 of 315)amazon over its 2.5% limit");
    expect(page).not.toContain("under 2.5 %");
    expect(page).toContain("Event-driven sync: amazon cancelled 2.86% of its orders (9 of 315), over its 2.5% limit, though all channels together were at 1.30%.");
    expect(page).toContain("Polling every 15 min: 2 channels over their limit — amazon 17.60% (66 of 375; limit 2.5%), shopify 18.63% (49 of 263; limit 2.5%); all channels together: 18.03%.");
    expect(page).toContain("Worst channel against its limit (every channel below) 2.86% on amazon (limit 2.5%) 18.63% on shopify (limit 2.5%)");
    expect(page).toContain("Cancellation-rate limit each marketplace holds sellers to (Amazon's published target: 2.5 %) 2.5% on every channel");
    const data = reportData(html).strategies;
    expect(data[0]?.cancellationRate).toBe(0.012987);
    expect(data[0]?.worstChannel).toEqual({ channel: "amazon", accepted: 315, oversold: 9, cancellationRate: 0.028571, cancellationRateLimit: 0.025, overLimit: true });
    expect(data[1]?.worstChannel).toMatchObject({ channel: "shopify", overLimit: true });
  });

  it("says a channel under its limit is under it, naming the one closest to it", async () => {
    const page = text(renderReportHtml(await underLimit()));
    expect(page).toContain("Worst channel against its limit 2.44% on amazon (1 of 41)amazon under its 2.5% limit");
    expect(page).toContain("Event-driven sync: every channel stayed under its limit (closest: amazon, 2.44% of its orders, 1 of 41, against 2.5%); all channels together: 0.69%.");
  });

  it("shows the pooled rate alone, and says why, for a document written before the per-channel figures", async () => {
    const doc = older(await loose(skewed())) as unknown as ResultDocument;
    const html = renderReportHtml(doc);
    const page = text(html);
    expect(page).toContain("Cancellation rate, all channels together 1.30% each marketplace's own: not recorded");
    expect(page).not.toContain("Worst channel against its limit");
    expect(page).toContain("Each marketplace's own rate is not in this result (written by an older synclag)");
    expect(reportData(html).strategies[0]?.worstChannel).toBeNull();
  });
});
