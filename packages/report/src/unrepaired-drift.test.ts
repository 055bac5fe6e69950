// A run without a reconciler (`engine.reconcileInterval: 0`) can pass every consistency check and still
// end with listings short of the truth: drift only a reconciler repairs (`driftUnrepaired`). Every
// reader of the result says so — the HTML report (instead of "every channel converged to the truth"),
// the gate (a `drift_unrepaired` metric, and a note when there is drift though no threshold names it),
// the markdown summary — and the result validator refuses a malformed figure.
import { describe, expect, it } from "vitest";
import type { ResultDocument, StrategyResult } from "@synclag/sim";
import { simulate, smallDoc } from "../test/fixtures.js";
import { checkThresholds, evaluateGate } from "./gate.js";
import { renderReportHtml } from "./html/report-html.js";
import { renderGateSummary } from "./markdown-summary.js";
import { parseResultDocument } from "./result-document.js";

/** Amazon loses 20 % of its notifications (no retries) and nothing reconciles: drift is left. */
const noReconciler = () =>
  simulate(
    {
      name: "no-reconciler",
      duration: "2h",
      catalog: { skus: 200, stock: 1000 },
      channels: [
        { id: "a", kind: "amazon", share: 1, profile: { notifications: { attemptFailureRate: 0.2, retries: 0 } } },
        { id: "s", kind: "shopify", share: 1 },
      ],
      demand: { ordersPerDay: 3000 },
      engine: { reconcileInterval: 0 },
    },
    ["events", "polling:15m"],
  );

const events = (doc: ResultDocument) => doc.strategies[0] as StrategyResult;

function text(html: string): string {
  return html
    .replace(/<svg[\s\S]*?<\/svg>/g, " ")
    .replace(/<(script|style)[\s\S]*?<\/\1>/g, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/&amp;/g, "&")
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/\s+/g, " ");
}

describe("unrepaired drift in the HTML report", () => {
  it("says how many listings were left off and why, instead of 'every channel converged to the truth'", async () => {
    const doc = await noReconciler();
    const drift = events(doc).driftUnrepaired;
    expect(doc.ok).toBe(true); // the premise: every check passed
    expect(drift?.listings).toBeGreaterThan(0);
    const page = text(renderReportHtml(doc));
    expect(page).not.toContain("every channel converged to the truth");
    expect(page).toContain(`with event-driven sync, ${drift?.listings} listings (all on a) were short by ${drift?.units} units`);
    expect(page).toMatch(/notification never reached the sync tool/);
    expect(page).toMatch(/no periodic reconciliation/);
  });

  it("keeps the plain sentence when no listing was left off", async () => {
    const page = text(renderReportHtml(await smallDoc()));
    expect(page).toMatch(/All \d+ consistency checks passed \(stock never negative, every sale applied once, every channel converged to the truth/);
    expect(page).not.toMatch(/left short/);
  });
});

describe("unrepaired drift in the gate", () => {
  it("is a metric, overall and per channel, measured in listings", async () => {
    expect(checkThresholds(["drift_unrepaired:count==0", "channels.a.drift_unrepaired:count<1"]).ok).toBe(true);
    expect(checkThresholds(["drift_unrepaired:p(99)<1"]).ok).toBe(false);
    const doc = await noReconciler();
    const result = evaluateGate(doc, ["drift_unrepaired:count==0", "channels.a.drift_unrepaired:count<1000", "channels.s.drift_unrepaired:count==0"]);
    if (!result.ok) throw new Error(result.problems.join("\n"));
    const drift = events(doc).driftUnrepaired;
    expect(result.report.outcomes.map((o) => [o.measured, o.pass])).toEqual([
      [drift?.listings, false],
      [events(doc).channels.a?.driftUnrepaired?.listings, true],
      [0, true],
    ]);
  });

  it("reports the drift even with no threshold on it, and not when there is none", async () => {
    const result = evaluateGate(await noReconciler(), ["oversells:count<1000"]);
    if (!result.ok) throw new Error(result.problems.join("\n"));
    expect(result.report.pass).toBe(true);
    const drift = events(await noReconciler()).driftUnrepaired;
    expect(result.report.driftUnrepaired).toEqual({ listings: drift?.listings, units: drift?.units, channels: [{ channel: "a", listings: drift?.listings, units: drift?.units }] });
    const summary = renderGateSummary(result.report);
    expect(summary).toContain(`**Unrepaired drift:** ${drift?.listings} listings short by ${drift?.units} units`);
    const clean = evaluateGate(await smallDoc(), ["oversells:count<1000"]);
    if (!clean.ok) throw new Error(clean.problems.join("\n"));
    expect(clean.report.driftUnrepaired).toBeUndefined();
    expect(renderGateSummary(clean.report)).not.toContain("drift");
  });

  it("refuses to measure a simulated document written before the figure existed; a real run excuses no drift (0, with a note)", async () => {
    const old = structuredClone(await noReconciler()) as unknown as { strategies: Array<Record<string, unknown> & { channels: Record<string, Record<string, unknown>> }> };
    for (const s of old.strategies) {
      delete s.driftUnrepaired;
      for (const c of Object.values(s.channels)) delete c.driftUnrepaired;
    }
    const refused = evaluateGate(old as unknown as ResultDocument, ["drift_unrepaired:count==0", "channels.a.drift_unrepaired:count==0"]);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.problems).toEqual([expect.stringMatching(/"drift_unrepaired:count==0".*no driftUnrepaired.*older synclag/), expect.stringMatching(/"channels\.a\.drift_unrepaired:count==0".*no driftUnrepaired/)]);
    const real = { ...(old as unknown as ResultDocument), generator: { name: "synclag" as const, mode: "real" as const }, strategies: (old as unknown as ResultDocument).strategies.map((s) => ({ ...s, orders: { ...s.orders, droppedArrivals: 0 } })) };
    const measured = evaluateGate(real, ["drift_unrepaired:count==0"]);
    if (!measured.ok) throw new Error(measured.problems.join("\n"));
    expect(measured.report.outcomes[0]).toMatchObject({ measured: 0, pass: true, note: expect.stringMatching(/real run/) });
  });
});

describe("unrepaired drift in the result validator", () => {
  const withDrift = async (strategy: unknown, channel?: unknown) => {
    const doc = structuredClone(await noReconciler()) as unknown as { strategies: Array<Record<string, unknown> & { channels: Record<string, Record<string, unknown>> }> };
    const s = doc.strategies[0] as (typeof doc.strategies)[number];
    s.driftUnrepaired = strategy;
    if (channel !== undefined) (s.channels.a as Record<string, unknown>).driftUnrepaired = channel;
    const parsed = parseResultDocument(JSON.stringify(doc), "r.json");
    return parsed.ok ? [] : parsed.problems;
  };

  it("accepts what the simulator writes, and a document without the field", async () => {
    expect(await withDrift(events(await noReconciler()).driftUnrepaired)).toEqual([]);
    expect(parseResultDocument(JSON.stringify(await smallDoc()), "r.json").ok).toBe(true);
  });

  it("refuses a figure that is not whole numbers ≥ 0, or contradicts itself or its channels", async () => {
    const drift = events(await noReconciler()).driftUnrepaired as { listings: number; units: number };
    expect(await withDrift(3)).toEqual(["r.json: strategies[0].driftUnrepaired: must be an object { listings, units }, got 3"]);
    expect(await withDrift({ listings: -1, units: 2.5 })).toEqual([
      "r.json: strategies[0].driftUnrepaired.listings: must be a whole number ≥ 0, got -1",
      "r.json: strategies[0].driftUnrepaired.units: must be a whole number ≥ 0, got 2.5",
    ]);
    expect(await withDrift({ listings: 2, units: 1 })).toContainEqual(expect.stringMatching(/strategies\[0\]\.driftUnrepaired\.units: must be at least listings \(2\): each listing left off is short by a unit or more, got 1/));
    expect(await withDrift(drift, { listings: "x", units: 0 })).toEqual(["r.json: strategies[0].channels.a.driftUnrepaired.listings: must be a whole number ≥ 0, got \"x\""]);
    expect(await withDrift({ listings: drift.listings + 1, units: drift.units + 1 })).toContainEqual(expect.stringMatching(/strategies\[0\]\.driftUnrepaired: must be the sum of its channels'/));
  });
});
