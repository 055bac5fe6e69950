import { describe, expect, it } from "vitest";
import type { ResultDocument } from "@synclag/sim";
import { Histogram } from "@synclag/metrics";
import { BUILTIN_SCENARIOS } from "@synclag/workload";
import { realDoc, simulate, smallDoc, SMALL_SCENARIO } from "../../test/fixtures.js";
import { formatCount, formatMoney, formatMs } from "../format.js";
import { cdfPoints, stockTimelineChart, timelineWindow } from "./charts.js";
import { renderReportHtml, type ReportData } from "./report-html.js";
import { REPORT_CSS } from "./styles.js";

const CHART_KINDS = ["stock-timeline", "orders-timeline", "cancellation-rate", "lag-cdf", "cost-breakdown"];

function reportData(html: string): ReportData {
  const json = /<script type="application\/json" id="synclag-report-data">([\s\S]*?)<\/script>/.exec(html)?.[1];
  if (json === undefined) throw new Error("no report data");
  return JSON.parse(json) as ReportData;
}

/** The page's text without markup (entities decoded), for reading sentences. */
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

function figures(html: string): Array<{ kind: string; points: number; svg: string }> {
  return [...html.matchAll(/<figure class="chart" id="[^"]+" data-chart="([^"]+)" data-points="(\d+)">([\s\S]*?)<figcaption>/g)].map((m) => ({ kind: m[1] as string, points: Number(m[2]), svg: m[3] as string }));
}

describe("renderReportHtml", () => {
  it("is one self-contained page: no external resource, no script that runs, a policy that forbids fetching", async () => {
    const html = renderReportHtml(await smallDoc());
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    expect(html).not.toMatch(/\ssrc\s*=/i);
    expect([...html.matchAll(/\shref\s*=\s*"([^"]*)"/gi)].map((m) => m[1])).toEqual(["data:,"]);
    expect(html).not.toMatch(/url\((?!#)|@import/i); // url(#id) points inside the page (SVG clip paths)
    expect([...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1])).toEqual([' type="application/json" id="synclag-report-data"']);
    // The only absolute URLs are SVG namespace names, which are never fetched.
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(["http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"]));
  });

  it("draws every chart with data: stock per strategy, orders over time, cancellations, lag distribution, cost", async () => {
    const doc = await smallDoc();
    const charts = figures(renderReportHtml(doc));
    expect(charts.map((c) => c.kind).sort()).toEqual([...CHART_KINDS, "stock-timeline"].sort());
    for (const chart of charts) {
      expect(chart.points, chart.kind).toBeGreaterThan(0);
      expect(chart.svg, chart.kind).toMatch(/^<svg class="chart-svg"/);
      expect((chart.svg.match(/<path /g) ?? []).length, chart.kind).toBeGreaterThan(3);
    }
  });

  it("renders the same document to the same bytes", async () => {
    const doc = await smallDoc();
    expect(renderReportHtml(doc)).toBe(renderReportHtml(doc));
  });

  it("treats text from the document as text, not markup", async () => {
    const doc = await smallDoc();
    const hostile = { ...doc, scenario: { ...doc.scenario, name: `<script>alert(1)</script>`, description: `"&'<img>` } } as ResultDocument;
    const html = renderReportHtml(hostile);
    expect(html).not.toContain("<script>alert(1)");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("reports a single-strategy document (as gate --json writes) without a comparison headline", async () => {
    const doc = await simulate(SMALL_SCENARIO, ["events"]);
    const html = renderReportHtml(doc);
    expect(html).toContain("Event-driven sync:");
    expect(figures(html).every((c) => c.points > 0)).toBe(true);
  });

  it("keeps the flash-sale report small enough to e-mail (≤ 1 MB)", async () => {
    const flashSale = BUILTIN_SCENARIOS["flash-sale"];
    if (!flashSale) throw new Error("no flash-sale built-in");
    const html = renderReportHtml(await simulate(flashSale));
    const bytes = Buffer.byteLength(html);
    console.log(`flash-sale report: ${Math.ceil(bytes / 1024)} KB`);
    expect(bytes).toBeLessThanOrEqual(1024 * 1024);
  });

  it("says plainly that a real run was a time-lapse: where it is summed up, where lags and rates appear, and in the footer", async () => {
    const html = renderReportHtml(await realDoc());
    const page = text(html);
    expect(page).toContain("measured on real services, time-lapse 360×");
    expect(page).toContain("The run covers 1 hour of trading at 1,500 orders a day, with a peak of 20 minutes (“flash sale”) at 5× that rate starting at 0:20 — replayed on real services in 10 seconds of wall-clock time, 360× faster (about 6.3 orders a second, 31 orders a second at the peak).");
    expect(page).toContain("A real run, compressed 360×: 1 hour of trading replayed in 10 seconds of wall-clock time.");
    expect(page).toMatch(/99 % of channel updates visible within \S+ wall clock/);
    expect(page).toContain("Time-lapse 1 hour in 10 seconds (360×)");
    expect(page).toContain("Wall-clock times of a 360× time-lapse (1 hour of trading in 10 seconds)");
    expect(page).toMatch(/Sync lag p99 — wall clock/);
    expect(page).toContain("1,500 (scenario time; 6.3 orders a second in the time-lapse)");
    expect(page).toContain("Time compression (real run) 360×: 1 hour of trading replayed in 10 seconds; marketplace response times and delays shortened and rate limits raised by the same factor");
    expect(page).toContain("compressed 360× in time: 1 hour of trading replayed in 10 seconds of wall-clock time.");
    expect(html).toMatch(/<footer>Generated by synclag from a result measured on real services \(scenario small, seed 1\), compressed 360×: 1 hour of trading in 10 seconds of wall-clock time\./);
    expect(html).not.toContain("from a measured on real services result");
    expect(reportData(html).timeCompression).toEqual({ factor: 360, wallDurationMs: 10_000, scenarioDurationMs: 3_600_000, marketplaceTime: "scaled" });
    // The charts' axes: scenario time of day, wall-clock lags.
    expect(html).toContain("scenario time since the start (h:mm; replayed 360× faster)");
    expect(html).toContain("wall-clock time from the sale until the channel reflects it, in the 360× time-lapse (log scale)");
  });

  it("states a real-time-compressed comparison's polling interval and headline lag as wall-clock, and real marketplace timing as a stress test", async () => {
    const page = text(renderReportHtml(await realDoc(["events", "polling:15m"], "real")));
    expect(page).toMatch(/for 99 % of channel updates to reach buyers, instead of [^()]+ \(wall-clock, in the 360× time-lapse\)/);
    expect(page).toContain("Polling interval (Polling 15 min) 15 minutes of wall-clock time (= 90 hours of trading at 360×)");
    expect(page).toContain("every 15 minutes of wall-clock time, which in this 360× time-lapse is every 90 hours of trading — 0 sync windows in the run");
    expect(page).toContain("so demand compressed 360× met real rate limits: a stress test, not a replay of the sale.");
  });

  it("says nothing about a time-lapse for a simulated run, and names it in the footer", async () => {
    const html = renderReportHtml(await smallDoc());
    expect(html).not.toMatch(/time-lapse|wall clock|wall-clock/i);
    expect(html).toContain("<footer>Generated by synclag from a simulated result (scenario small, seed 1).");
    expect(reportData(html).timeCompression).toBeNull();
  });
});


/** The h:mm labels of a time axis in a chart's SVG, left to right, as minutes. */
function timeTicks(svg: string): number[] {
  return [...svg.matchAll(/>(\d+):(\d\d)</g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
}

describe("the report's words and numbers", () => {
  it("calls its lag percentiles what they are — over channel updates (sale × other channel), not the time until a sale shows everywhere", async () => {
    const doc = await smallDoc();
    const events = doc.strategies.find((s) => s.strategy === "events");
    if (!events) throw new Error("no events strategy");
    const page = text(renderReportHtml(doc));
    expect(page).not.toMatch(/visible everywhere|show on every other channel/);
    expect(page).toContain(`${formatMs(events.syncLagMs.p99)} for 99 % of channel updates to reach buyers, instead of`);
    expect(page).toContain(`99 % of channel updates visible within ${formatMs(events.syncLagMs.p99)}`);
    expect(page).toContain(`Half of channel updates visible within ${formatMs(events.syncLagMs.p50)}`);
    expect(page).toMatch(/Channel update: a sale reaching one of the other channels\. Lags are counted per channel update, so .* is not the time until a sale shows on every channel/);
  });

  it("shows, per sale, the time until it is visible on every other channel, worded as such — and 'not recorded' for an older document", async () => {
    const three = { ...SMALL_SCENARIO, name: "small-three", channels: [{ id: "amazon", kind: "amazon", share: 0.5 }, { id: "shopify", kind: "shopify", share: 0.3 }, { id: "ebay", kind: "ebay", share: 0.2 }] } as typeof SMALL_SCENARIO;
    const doc = await simulate(three);
    const html = renderReportHtml(doc);
    const page = text(html);
    const data = reportData(html);
    for (const s of doc.strategies) {
      const lag = s.visibleEverywhereMs;
      if (!lag) throw new Error(`${s.strategy}: no visibleEverywhereMs`);
      const figures = `A sale visible on every other channel: p50 / p99 / max ${formatMs(lag.p50)} / ${formatMs(lag.p99)} / ${formatMs(lag.max)}`;
      expect(page).toContain(figures); // its card
      expect(data.strategies.find((d) => d.strategy === s.strategy)?.visibleEverywhereMs).toEqual({ count: lag.count, p50: lag.p50, p99: lag.p99, max: lag.max });
      // With three channels a sale waits for the slower of its two other channels.
      expect(lag.p50).toBeGreaterThanOrEqual(s.syncLagMs.p50);
    }
    // The figures table: one column per strategy on the same row.
    expect(page).toContain(`A sale visible on every other channel: p50 / p99 / max ${doc.strategies.map((s) => `${formatMs(s.visibleEverywhereMs?.p50 ?? NaN)} / ${formatMs(s.visibleEverywhereMs?.p99 ?? NaN)} / ${formatMs(s.visibleEverywhereMs?.max ?? NaN)}`).join(" ")}`);
    expect(page).toContain("A sale visible on every other channel: counted once per sale, from the sale to the moment the last of the other channels showed buyers the new stock");
    expect(page).toContain("In this run every sale applied to your stock reached every other channel.");

    const unconverged = { ...doc, strategies: doc.strategies.map((s) => (s.strategy === "events" ? s : { ...s, orders: { ...s.orders, notVisibleEverywhere: 4 } })) } as ResultDocument;
    expect(text(renderReportHtml(unconverged))).toContain("Sales some channel still did not show when the run ended are left out: 4 with polling every 15 min.");

    const older = { ...doc, strategies: doc.strategies.map(({ visibleEverywhereMs: _lag, ...s }) => s) } as ResultDocument;
    const olderHtml = renderReportHtml(older);
    expect(text(olderHtml)).toContain("A sale visible on every other channel: p50 / p99 / max not recorded");
    expect(text(olderHtml)).toContain("This result was written before the figure existed");
    expect(reportData(olderHtml).strategies.every((s) => s.visibleEverywhereMs === null)).toBe(true);
  });

  it("prints a lag with no samples as 'no samples', never as 0ms, and never marks it best or good", async () => {
    const doc = await smallDoc();
    const empty = new Histogram();
    const none = empty.summary();
    expect(none.count).toBe(0);
    // Event-driven sync never saw an update become visible (e.g. amazon down the whole run): its summaries are empty.
    const emptied = {
      ...doc,
      strategies: doc.strategies.map((s) =>
        s.strategy !== "events"
          ? s
          : {
              ...s,
              syncLagMs: none,
              acceptedLagMs: none,
              visibleEverywhereMs: none,
              histograms: { ...s.histograms, syncLagMs: empty.encode(), acceptedLagMs: empty.encode() },
              channels: Object.fromEntries(Object.entries(s.channels).map(([id, c]) => [id, id === "amazon" ? { ...c, syncLagMs: none, acceptedLagMs: none, histograms: { syncLagMs: empty.encode(), acceptedLagMs: empty.encode() } } : c])),
            },
      ),
    } as ResultDocument;
    const polling = doc.strategies.find((s) => s.strategy !== "events");
    if (!polling) throw new Error("no polling strategy");
    const html = renderReportHtml(emptied);
    const page = text(html);
    expect(page).not.toMatch(/(^|[^\d.])0ms/);
    // The headline: the stat reads "no samples" and is not toned "good".
    expect(page).toContain(`no samples for 99 % of channel updates to reach buyers, instead of ${formatMs(polling.syncLagMs.p99)}`);
    expect(html).toMatch(/<div class="stat "><div class="value">no samples<\/div>/);
    // The card.
    expect(page).toContain("Half of channel updates visible within no samples");
    expect(page).toContain("99 % of channel updates visible within no samples");
    expect(page).toContain("A sale visible on every other channel: p50 / p99 / max no samples");
    // The figures table: the measured strategy is the best one, the empty one never is.
    for (const [label, value] of [
      ["Sync lag p50 (buyer-visible)", polling.syncLagMs.p50],
      ["Sync lag p90", polling.syncLagMs.p90],
      ["Sync lag p99", polling.syncLagMs.p99],
      ["Sync lag max", polling.syncLagMs.max],
      ["Accepted lag p50 (API accepted)", polling.acceptedLagMs.p50],
      ["Accepted lag p99", polling.acceptedLagMs.p99],
    ] as const) {
      expect(html, label).toContain(`<tr><td>${label}</td><td class="num">no samples</td><td class="num best">${formatMs(value)}</td></tr>`);
    }
    // The per-channel table.
    expect(html).toMatch(/<td rowspan="2" class="channel">amazon <span[^>]*>[^<]*<\/span><\/td><td class="strategy"[^>]*>Events<\/td><td class="num">no samples <span class="muted">\(no samples\)<\/span><\/td>/);
    // Both empty: no best at all.
    const bothEmpty = { ...emptied, strategies: emptied.strategies.map((s) => ({ ...s, syncLagMs: none })) } as ResultDocument;
    expect(renderReportHtml(bothEmpty)).toContain(`<tr><td>Sync lag p99</td><td class="num">no samples</td><td class="num">no samples</td></tr>`);
  });

  it("uses a demand curve's label as a label, not as a noun in the lede", async () => {
    const doc = await smallDoc();
    const viral = { ...doc, scenario: { ...doc.scenario, curve: doc.scenario.curve.map((w) => (w.multiplier > 1 ? { ...w, label: "viral" } : w)) } } as ResultDocument;
    const page = text(renderReportHtml(viral));
    expect(page).not.toMatch(/a viral of|around the viral/);
    expect(page).toContain("with a peak of 20 minutes (“viral”) at 5× that rate starting at 0:20.");
    expect(page).toContain("around the peak in demand (shaded: “viral”)");
  });

  it("rounds money one way everywhere: the headline and cards show the same figure as the tables", async () => {
    const doc = await smallDoc();
    // Costs with cents, as the steady-day scenario gives (€62.50 a day, €22,812.50 a year).
    const withCents = { ...doc, strategies: doc.strategies.map((s) => ({ ...s, cost: { ...s.cost, total: s.strategy === "events" ? 0 : 62.55 } })) } as ResultDocument;
    const html = renderReportHtml(withCents);
    const page = text(html);
    const data = reportData(html);
    const pollingYear = data.strategies.find((s) => s.strategy !== "events")?.costPerYear ?? 0;
    const eventsYear = data.strategies.find((s) => s.strategy === "events")?.costPerYear ?? 0;
    expect(Number.isInteger(pollingYear - eventsYear)).toBe(false);
    expect(page).toContain("€62.55 saved per flash sale");
    expect(page).toContain(`${formatMoney(pollingYear - eventsYear, "EUR")} saved per year`);
    expect(page).toContain(`€62.55 per flash sale · ${formatMoney(pollingYear, "EUR")} per year`);
    expect(page).not.toContain("€63");
    expect(page).not.toContain(formatMoney(pollingYear, "EUR", { whole: true }));
  });

  it("draws the stock charts past the end of the flash sale, on evenly spaced time ticks that end on the right edge", async () => {
    const flashSale = BUILTIN_SCENARIOS["flash-sale"];
    if (!flashSale) throw new Error("no flash-sale built-in");
    const doc = await simulate(flashSale);
    const sale = doc.scenario.curve.find((w) => w.multiplier > 1);
    if (!sale) throw new Error("no flash sale in the curve");
    const saleEndMinutes = (sale.startMs + sale.durationMs) / 60_000;
    // Even when the sampled SKU stopped changing early, the window shows the whole sale.
    const early = { ...doc, strategies: doc.strategies.map((s) => ({ ...s, timeline: { ...s.timeline, truth: s.timeline.truth.filter(([t]) => t < 30 * 60_000), channels: Object.fromEntries(Object.entries(s.timeline.channels).map(([k, v]) => [k, v.filter(([t]) => t < 30 * 60_000)])) } })) } as ResultDocument;
    for (const d of [doc, early]) {
      const window = timelineWindow(d);
      expect(window.xMaxMinutes).toBeGreaterThan(saleEndMinutes);
      for (const chart of figures(renderReportHtml(d)).filter((c) => c.kind === "stock-timeline" || c.kind === "orders-timeline")) {
        const ticks = timeTicks(chart.svg);
        expect(ticks.length, chart.kind).toBeGreaterThanOrEqual(4);
        const gaps = new Set(ticks.slice(1).map((t, i) => t - (ticks[i] as number)));
        expect([...gaps], `${chart.kind}: ${ticks.join(", ")}`).toHaveLength(1);
        if (chart.kind === "stock-timeline") expect(ticks.at(-1)).toBe(window.xMaxMinutes);
      }
    }
  });
});

describe("the report when a run went the unexpected way", () => {
  it("prints what event-driven sync costs extra as a positive amount labelled 'extra cost', never a double negative", async () => {
    const base = await smallDoc();
    // Events costing more than polling: possible whenever events oversell more (a short run, an outage).
    const doc = { ...base, strategies: base.strategies.map((s) => (s.strategy === "events" ? { ...s, cost: { ...s.cost, total: s.cost.total + 1000 } } : s)) } as ResultDocument;
    const html = renderReportHtml(doc);
    const data = reportData(html);
    const yearOf = (name: string) => data.strategies.find((s) => s.strategy === name)?.costPerYear ?? 0;
    const events = doc.strategies.find((s) => s.strategy === "events");
    const polling = doc.strategies.find((s) => s.strategy !== "events");
    if (!events || !polling) throw new Error("expected events and polling");
    const extraRun = events.cost.total - polling.cost.total;
    const extraYear = yearOf("events") - yearOf(polling.strategy);
    expect(extraRun).toBeGreaterThan(0);
    expect(extraYear).toBeGreaterThan(0);
    const stats = [...html.matchAll(/<div class="stat ([^"]*)"><div class="value">([^<]*)<\/div><div class="label">([^<]*)/g)].map((m) => ({ tone: m[1], value: m[2], label: m[3] }));
    const perRun = stats.find((s) => s.label?.startsWith("extra cost per flash sale"));
    const perYear = stats.find((s) => s.label?.startsWith("extra cost per year"));
    expect(perRun).toEqual({ tone: "bad", value: formatMoney(extraRun, "EUR"), label: expect.any(String) });
    expect(perYear).toEqual({ tone: "bad", value: formatMoney(extraYear, "EUR"), label: expect.any(String) });
    expect(stats.map((s) => s.value).filter((v) => v?.startsWith("-"))).toEqual([]);
  });

  it("warns that a real run dropped arrivals — a banner, a row in the figures, and the count in the embedded data", async () => {
    const base = await realDoc(["events", "polling:15m"]);
    const dropped = (name: string) => (name === "events" ? 25 : 0);
    const doc = { ...base, strategies: base.strategies.map((s) => ({ ...s, orders: { ...s.orders, droppedArrivals: dropped(s.strategy) } })) } as ResultDocument;
    const planned = (doc.strategies[0] as unknown as { load: { planned: number } }).load.planned;
    const html = renderReportHtml(doc);
    const page = text(html);
    const banner = /<div class="banner" id="dropped-arrivals">([\s\S]*?)<\/div>/.exec(html)?.[1] ?? "";
    expect(text(banner)).toContain(`25 of ${formatCount(planned)} planned arrivals were not sent with event-driven sync`);
    expect(text(banner)).toContain("these figures measure the load generator's limits, not sync");
    expect(page).toMatch(/Planned arrivals not sent \(dropped by the load generator\) 25 0 /);
    expect(reportData(html).strategies.map((s) => s.droppedArrivals)).toEqual([25, 0]);
  });

  it("says nothing about dropped arrivals when none were dropped, and records 0 (simulated: never dropped)", async () => {
    const real = renderReportHtml(await realDoc());
    expect(real).not.toContain('id="dropped-arrivals"');
    expect(text(real)).toMatch(/Planned arrivals not sent \(dropped by the load generator\) 0 /);
    expect(reportData(real).strategies.map((s) => s.droppedArrivals)).toEqual([0]);
    const simulated = renderReportHtml(await smallDoc());
    expect(text(simulated)).not.toMatch(/dropped|not sent/i);
    expect(reportData(simulated).strategies.map((s) => s.droppedArrivals)).toEqual([0, 0]);
  });

  it("shows channel shares to a tenth of a percent where whole percents would mislead (2.5 % is not 3 %, 0.4 % is not 0 %)", async () => {
    const doc = await simulate({
      ...SMALL_SCENARIO,
      channels: [
        { id: "amazon", kind: "amazon", share: 0.025 },
        { id: "ebay", kind: "ebay", share: 0.004 },
        { id: "shopify", kind: "shopify", share: 0.971 },
      ],
    });
    const page = text(renderReportHtml(doc));
    expect(page).toContain("amazon 2.5% of demand");
    expect(page).toContain("ebay 0.4% of demand");
    expect(page).toContain("shopify 97.1% of demand");
    expect(page).toContain("Sales channels and their share of demand amazon 2.5%, ebay 0.4%, shopify 97.1%");
    // Whole percents stay whole.
    expect(text(renderReportHtml(await smallDoc()))).toContain("Sales channels and their share of demand amazon 60%, shopify 40%");
  });

  it("with a flash sale at 0:00 (no normal trading before it), says the steady state is not measured and labels the year as flash sales only", async () => {
    const doc = await simulate({ ...SMALL_SCENARIO, demand: { ordersPerDay: 1500, curve: [{ start: "0m", duration: "20m", multiplier: 5, label: "opening" }] } });
    const html = renderReportHtml(doc, { flashSalesPerYear: 10 });
    const page = text(html);
    expect(page).not.toContain("0 milliseconds of normal trading");
    expect(page).toContain("Cost per year = cost per flash sale × flash sales per year (10): the flash sales only.");
    expect(page).toContain("Steady-state cost (normal trading between the sales): not measured.");
    expect(page).toMatch(new RegExp(`Steady-state cost per hour \\(not measured: no normal trading before the sale\\)${" —".repeat(doc.strategies.length)} `));
    expect(page).toContain("Total per year (flash sales only)");
    expect(page).toMatch(/per year \(10 flash sales only; normal trading not measured\)/);
    expect(page).toMatch(/per flash sale · \S+ per year \(flash sales only\)/);
    expect(reportData(html).strategies.map((s) => s.costPerYear)).toEqual(doc.strategies.map((s) => Math.round(s.cost.total * 10 * 100) / 100));
    // With a lead-in, the steady state is measured and the year counts it.
    const measured = text(renderReportHtml(await smallDoc()));
    expect(measured).toContain("Steady-state cost per hour (normal trading before the sale)");
    expect(measured).not.toContain("flash sales only");
  });

  it("draws, with more than 8 channels, the 8 with the most stale exposure in section 1 and says so; with 8 or fewer, each channel", async () => {
    // Later channels take more of the demand, so the ones worth showing are not simply the first 8.
    const channels = Array.from({ length: 12 }, (_, i) => ({ id: `ch${i}`, kind: "shopify" as const, share: i + 1 }));
    const doc = await simulate({ ...SMALL_SCENARIO, name: "twelve", channels });
    const html = renderReportHtml(doc);
    doc.strategies.forEach((s, i) => {
      const figure = new RegExp(`<figure class="chart" id="chart-stock-${i}"[\\s\\S]*?</figure>`).exec(html)?.[0] ?? "";
      const drawn = [...new Set([...figure.matchAll(/>(ch\d+)</g)].map((m) => m[1]))].sort();
      const expected = [...channels.keys()]
        .map((index) => ({ index, id: `ch${index}`, stale: doc.strategies.reduce((sum, t) => sum + (t.channels[`ch${index}`]?.staleExposure ?? 0), 0), oversold: doc.strategies.reduce((sum, t) => sum + (t.channels[`ch${index}`]?.oversold ?? 0), 0) }))
        .sort((a, b) => b.stale - a.stale || b.oversold - a.oversold || a.index - b.index)
        .slice(0, 8)
        .map((c) => c.id)
        .sort();
      expect(drawn, s.strategy).toEqual(expected);
      expect(expected).not.toEqual(channels.slice(0, 8).map((c) => c.id).sort()); // the test means something
      const caption = /<figcaption>(.*?)<\/figcaption>/.exec(figure)?.[1] ?? "";
      expect(caption).toContain("stock of SKU-");
      expect(caption).toContain("shown by the 8 of 12 channels with the most stale exposure (every channel in section 6)");
    });
    // Section 6 lists every channel.
    const section6 = /<h2><span class="num">6<\/span>[\s\S]*?<\/section>/.exec(html)?.[0] ?? "";
    for (const c of channels) expect(section6).toContain(`>${c.id} <`);
    // The glossary says what stale exposure is.
    expect(text(html)).toContain("Stale exposure: the share of the run, over all products, during which a channel showed buyers a quantity other than the one your real stock called for");
    // Two channels: each one, as before.
    const small = renderReportHtml(await smallDoc());
    expect(text(small)).not.toContain("Stale exposure");
    expect(small).toContain("shown by each channel (thin lines)");
    expect(small).not.toContain("channels with the most stale exposure");
  });

  it("wraps section 1's legend for 8 long channel ids into rows above the y-axis name, and makes the chart taller by as much (Chromium checks the drawn page)", async () => {
    const ids = ["amazon-de-marketplace-eu-central", "shopify-flagship-storefront-primary", "woocommerce-outlet-clearance-store", "flipkart-seller-hub-india-north", "ebay-motors-parts-and-accessories", "amazon-uk-marketplace-fulfilment", "shopify-wholesale-b2b-storefront", "ebay-refurbished-electronics-store"];
    const doc = await simulate({ ...SMALL_SCENARIO, name: "long-ids", channels: ids.map((id) => ({ id, kind: "shopify" as const, share: 1 })) });
    const [strategy] = doc.strategies;
    if (!strategy) throw new Error("no strategy");
    const { svg } = stockTimelineChart(doc, strategy, timelineWindow(doc), "t");
    // ECharts' SSR text: `y` offset inside a translate(x y); dominant-baseline central, so y is the line's middle.
    const middleOf = (label: string) => {
      const m = new RegExp(`<text[^>]*? y="(-?[\\d.]+)" transform="translate\\([\\d.]+ ([\\d.]+)\\)"[^>]*>${label}</text>`).exec(svg);
      if (!m) throw new Error(`no text ${label}`);
      return Number(m[1]) + Number(m[2]);
    };
    const legend = ["true stock", ...ids].map(middleOf);
    const rows = [...new Set(legend)].sort((a, b) => a - b);
    expect(rows.length).toBeGreaterThan(1);
    // 12 px lines: the y-axis name's middle at least a line and a gap below the last row's.
    expect(middleOf("units in stock") - (rows.at(-1) ?? 0)).toBeGreaterThanOrEqual(16);
    expect(/viewBox="0 0 960 (\d+)"/.exec(svg)?.[1]).toBe(String(300 + (rows.length - 1) * 22));
    // Two short ids: one row, the chart as it always was.
    const small = await smallDoc();
    for (const s of small.strategies) expect(stockTimelineChart(small, s, timelineWindow(small), "s").svg).toContain('viewBox="0 0 960 300"');
  });

  it("keeps the per-channel table to five columns however many strategies are compared (one row per channel and strategy), and lets any table scroll instead of widening the page", async () => {
    const doc = await simulate(SMALL_SCENARIO, ["events", "polling:1m", "polling:5m", "polling:15m"]);
    const html = renderReportHtml(doc);
    const table = /<table class="channel-table">[\s\S]*?<\/table>/.exec(html)?.[0] ?? "";
    const headCells = (/<thead>([\s\S]*?)<\/thead>/.exec(table)?.[1] ?? "").match(/<th\b/g) ?? [];
    expect(headCells).toHaveLength(5);
    const rows = [...table.matchAll(/<tr\b[^>]*>([\s\S]*?)<\/tr>/g)].slice(1);
    expect(rows).toHaveLength(doc.scenario.channels.length * doc.strategies.length);
    // A channel's first row carries its name across its strategies' rows; every row names its strategy.
    for (const [i, row] of rows.entries()) expect((row[1]?.match(/<td\b/g) ?? []).length, row[1]).toBe(i % doc.strategies.length === 0 ? 5 : 4);
    expect(text(table)).toContain("Polling 5 min");
    // Every table sits in a wrapper that scrolls sideways rather than pushing past the sheet.
    const tables = html.match(/<table\b/g) ?? [];
    const wrapped = html.match(/<div class="table-wrap"><table\b/g) ?? [];
    expect(wrapped.length).toBe(tables.length);
    expect(REPORT_CSS).toMatch(/\.table-wrap \{[^}]*overflow-x: auto/);
  });
});

describe("the lag distribution chart", () => {
  it("ends each CDF line at the exact max, never at the decoded histogram's highest equivalent value", async () => {
    const recorded = new Histogram();
    for (const v of [1_234, 56_789, 234_230]) recorded.record(v);
    const encoded = recorded.encode();
    const summary = recorded.summary();
    expect(Histogram.decode(encoded).percentile(100)).toBeGreaterThan(summary.max);
    const points = cdfPoints(encoded, summary);
    expect(points.at(-1)).toEqual([234_230, 100]);
    for (const [ms] of points) expect(ms).toBeLessThanOrEqual(summary.max);
    // And on the simulator's own figures.
    for (const s of (await smallDoc()).strategies) {
      for (const [encodedLag, lag] of [[s.histograms.syncLagMs, s.syncLagMs], [s.histograms.acceptedLagMs, s.acceptedLagMs]] as const) {
        const line = cdfPoints(encodedLag, lag);
        if (lag.count > 0) expect(line.at(-1), s.strategy).toEqual([Math.max(1, lag.max), 100]);
      }
    }
  });
});

describe("renderReportHtml: a real run's headline names the polling interval in trading time too", () => {
  it("says what the wall-clock interval is in trading time in the headline itself (one strategy, and beside events)", async () => {
    // 15 min of wall clock at 360× = 90 hours of trading.
    const only = text(renderReportHtml(await realDoc(["polling:15m"])));
    expect(only).toMatch(/Polling every 15 min \(= 90 hours of trading\): \S+ per flash sale, [\d,]+ oversold orders\./);
    const both = text(renderReportHtml(await realDoc(["events", "polling:15m"])));
    expect(both).toMatch(/Polling every 15 min \(= 90 hours of trading\) costs you \S+ per flash sale\. Event-driven sync: \S+\./);
  });

  it("leaves a simulated run's headline as it is (one clock)", async () => {
    const page = text(renderReportHtml(await smallDoc()));
    expect(page).toMatch(/Polling every 15 min costs you \S+ per flash sale\./);
    expect(page).not.toContain("of trading)");
  });
});
