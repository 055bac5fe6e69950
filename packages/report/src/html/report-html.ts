// Result document → one self-contained HTML page a non-engineer can read and keep: the headline cost
// of polling vs event-driven sync per flash sale and per year, the charts (SVG, drawn at build time),
// the figures, and every assumption with its value and how to change it. No script runs in the page
// and a Content-Security-Policy of `default-src 'none'` forbids every fetch, so it opens offline and
// can be e-mailed. Easy to get wrong: a figure in the page that is not the document's own. Costs are
// the document's `cost` (the per-year figure is the only derived one, and its formula is printed);
// percentiles come from the document's summaries, never recomputed. And a real run's time-lapse: a
// `synclag run` compresses the scenario (3 h into 10 s = 1,080×); the page says so wherever times and
// rates appear — rates and times of day are scenario time, lags and the polling interval wall clock.

import type { ResultDocument, StrategyResult } from "@synclag/sim";
import { firstFlashStartMs, projectCost, type CostProjection } from "../cost-projection.js";
import { formatCount, formatElapsedMinutes, formatLag, formatMoney, formatMs, formatMsWords, formatPercent, formatShare, formatWindowMean, lagValue } from "../format.js";
import { formatFactor, timeCompressionOf, type TimeCompression } from "../time-compression.js";
import { CANCELLATION_RATE_LIMIT, channelCancellations, worstChannel, type ChannelCancellation } from "./channel-cancellation.js";
import { MAX_TIMELINE_CHANNELS, cancellationRateChart, costBreakdownChart, lagCdfChart, ordersTimelineChart, stockTimelineChart, timelineChannels, timelineWindow, type RenderedChart } from "./charts.js";
import { escapeHtml as esc, jsonForScript } from "./escape.js";
import { strategyColor, strategyLabel, strategyShortLabel } from "./labels.js";
import { REPORT_CSS } from "./styles.js";

export interface ReportHtmlOptions {
  /** Flash sales a year for the per-year figure. Default 12. */
  readonly flashSalesPerYear?: number;
  /** Page title; default from the scenario. */
  readonly title?: string;
}

/** Machine-readable figures embedded in the page (`<script type="application/json" id="synclag-report-data">`). */
export interface ReportData {
  readonly scenario: string;
  readonly seed: number;
  readonly mode: string;
  /** A real run's time-lapse (`load` of the result document); null for a simulated run. */
  readonly timeCompression: { readonly factor: number; readonly wallDurationMs: number; readonly scenarioDurationMs: number; readonly marketplaceTime: string | null } | null;
  readonly flashSalesPerYear: number;
  readonly strategies: ReadonlyArray<{
    readonly strategy: string;
    readonly costPerRun: { readonly currency: string; readonly oversells: number; readonly lostSales: number; readonly churn: number; readonly total: number };
    readonly costPerYear: number;
    readonly oversold: number;
    readonly lostSales: number;
    readonly accepted: number;
    /** Over every channel together (`orders.cancellationRate`). */
    readonly cancellationRate: number;
    /**
     * The channel furthest over its own marketplace's limit (or closest to it): what decides whether a
     * seller account is at risk. Null for a document written before the per-channel figures existed.
     */
    readonly worstChannel: ChannelCancellation | null;
    /** Planned arrivals a real run's load generator could not send (`orders.droppedArrivals`); 0 for a simulated run, null when a real document does not record it. */
    readonly droppedArrivals: number | null;
    /** Per sale, until every other channel shows it (`visibleEverywhereMs`); null when the document predates it. */
    readonly visibleEverywhereMs: { readonly count: number; readonly p50: number; readonly p99: number; readonly max: number } | null;
  }>;
  readonly charts: ReadonlyArray<{ readonly id: string; readonly points: number }>;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export function renderReportHtml(doc: ResultDocument, options: ReportHtmlOptions = {}): string {
  const projections = doc.strategies.map((s) => projectCost(doc, s, options.flashSalesPerYear === undefined ? {} : { flashSalesPerYear: options.flashSalesPerYear }));
  const projectionOf = (s: StrategyResult) => projections[doc.strategies.indexOf(s)] as CostProjection;
  const events = doc.strategies.find((s) => s.strategy === "events");
  const baseline = doc.strategies.find((s) => s.strategy !== "events");
  const first = projections[0] as CostProjection;
  const currency = first.currency;
  // One rounding for every amount on the page (cents unless whole), so the headline, the cards and the
  // tables never disagree (€62.50 here and €63 there).
  const money = (amount: number) => formatMoney(amount, currency);
  const flash = doc.scenario.curve.find((w) => w.multiplier > 1);
  const runNoun = first.hasFlashSale ? "flash sale" : doc.scenario.durationMs === 86_400_000 ? "day" : `${formatMsWords(doc.scenario.durationMs)} run`;
  const perRun = `per ${runNoun}`;
  const charts: Array<{ id: string; chart: RenderedChart }> = [];
  const figure = (id: string, chart: RenderedChart, caption: string, kind: string) => {
    charts.push({ id, chart });
    return `<figure class="chart" id="${esc(id)}" data-chart="${esc(kind)}" data-points="${chart.points}">${chart.svg}<figcaption>${caption}</figcaption></figure>`;
  };

  const parts: string[] = [];

  // --- Cover and headline --------------------------------------------------------------------------
  const compression = timeCompressionOf(doc);
  const factor = compression ? formatFactor(compression.factor) : "";
  const modeText = doc.generator.mode === "simulated" ? "simulated" : compression ? `measured on real services, time-lapse ${factor}` : "measured on real services";
  // Footer: "a simulated result (…)" / "a result measured on real services (…), compressed 1,080×: 3 hours of trading in 10 seconds of wall-clock time"
  const resultText = doc.generator.mode === "simulated" ? "a simulated result" : "a result measured on real services";
  const resultTail = compression ? `, compressed ${factor}: ${formatMsWords(compression.scenarioDurationMs)} of trading in ${formatMsWords(compression.wallDurationMs)} of wall-clock time` : "";
  const title = options.title ?? `Inventory sync: what ${first.hasFlashSale ? "a flash sale" : `a ${runNoun}`} costs you`;
  // A real run polls in wall-clock time: its headline says what the interval is in trading time, where the cost is.
  const headlineLabel = (strategy: StrategyResult) => {
    const label = strategyLabel(strategy.strategy);
    return compression && strategy.polling ? `${label} (= ${formatMsWords(strategy.polling.intervalMs * compression.factor)} of trading)` : label;
  };
  let h1: string;
  if (events && baseline) {
    h1 = `${esc(headlineLabel(baseline))} costs you <span class="polling">${esc(money(baseline.cost.total))}</span> ${esc(perRun)}. <span class="nowrap">Event-driven sync:</span> <span class="events">${esc(money(events.cost.total))}</span>.`;
  } else {
    const only = doc.strategies[0] as StrategyResult;
    h1 = `${esc(headlineLabel(only))}: ${esc(money(only.cost.total))} ${esc(perRun)}, ${esc(formatCount(only.orders.oversold))} oversold orders.`;
  }
  const flashSentence = flash
    ? ` The run covers ${esc(formatMsWords(doc.scenario.durationMs))} of trading at ${esc(formatCount(doc.scenario.ordersPerDay))} orders a day, with a peak of ${esc(formatMsWords(flash.durationMs))}${flash.label ? ` (“${esc(flash.label)}”)` : ""} at ${esc(flash.multiplier)}× that rate starting at ${esc(formatElapsedMinutes(flash.startMs / MINUTE_MS))}${compression ? lapseClause(compression, doc.scenario.ordersPerDay, flash.multiplier) : ""}.`
    : ` The run covers ${esc(formatMsWords(doc.scenario.durationMs))} of trading at ${esc(formatCount(doc.scenario.ordersPerDay))} orders a day${compression ? lapseClause(compression, doc.scenario.ordersPerDay, undefined) : ""}.`;
  parts.push(`<header>
<div class="eyebrow">Inventory sync report · ${esc(doc.scenario.name)} · ${esc(modeText)}</div>
<h1>${h1}</h1>
<p class="lede">The same ${esc(formatCount(doc.strategies[0]?.orders.attempted ?? 0))} shoppers, on ${esc(doc.scenario.channels.length)} sales channels (${esc(doc.scenario.channels.map((c) => c.id).join(", "))}), replayed through ${esc(doc.strategies.map((s) => strategyLabel(s.strategy).toLowerCase()).join(" and "))}.${flashSentence} Every difference below comes from how fast each channel learns that stock was sold.</p>
${compression ? timeLapseNote(compression, doc.strategies) : ""}
${doc.ok ? "" : `<div class="banner"><strong>Warning:</strong> an internal consistency check failed during this run, so its figures may be wrong. Details under “How this was measured”.</div>`}
${droppedBanner(doc)}
</header>`);

  if (events && baseline) {
    const saved = baseline.cost.total - events.cost.total;
    const savedYear = projectionOf(baseline).perYear - projectionOf(events).perYear;
    const fewer = baseline.orders.oversold - events.orders.oversold;
    // Amounts without a sign: the label ("saved" / "extra cost") and the tone carry it.
    parts.push(`<section class="headline" aria-label="Headline figures">
${stat(money(Math.abs(saved)), `${saved >= 0 ? "saved" : "extra cost"} ${esc(perRun)} with event-driven sync instead of ${esc(strategyLabel(baseline.strategy).toLowerCase())}`, saved > 0 ? "good" : saved < 0 ? "bad" : "")}
${stat(money(Math.abs(savedYear)), `${savedYear >= 0 ? "saved" : "extra cost"} per year${first.hasFlashSale ? (first.steady.measured ? ` (${esc(first.flashSalesPerYear)} flash sales + normal trading)` : ` (${esc(first.flashSalesPerYear)} flash sales only; normal trading not measured)`) : ""}`, savedYear > 0 ? "good" : savedYear < 0 ? "bad" : "")}
${stat(formatCount(Math.abs(fewer)), `${fewer >= 0 ? "fewer" : "more"} orders sold without stock and cancelled, ${esc(perRun)}`, fewer > 0 ? "good" : fewer < 0 ? "bad" : "")}
${stat(formatLag(events.syncLagMs, events.syncLagMs.p99), `for 99 % of channel updates to reach buyers, instead of ${esc(formatLag(baseline.syncLagMs, baseline.syncLagMs.p99))}${compression ? ` (wall-clock, in the ${esc(factor)} time-lapse)` : ""}`, lagValue(events.syncLagMs, events.syncLagMs.p99) < lagValue(baseline.syncLagMs, baseline.syncLagMs.p99) ? "good" : "")}
</section>`);
  }

  // --- Cards, one per strategy -----------------------------------------------------------------------
  parts.push(`<section aria-label="Each strategy">
<h2>At a glance</h2>
<div class="cards">
${doc.strategies.map((s) => card(s, projectionOf(s), doc.strategies, perRun, money, compression, worstChannel(doc, s))).join("\n")}
</div>
</section>`);

  // --- Stock shown vs truth -----------------------------------------------------------------------------
  const window = timelineWindow(doc);
  const sku = doc.strategies[0]?.timeline.sku ?? "";
  const drawn = timelineChannels(doc);
  // Beyond 8 channels the chart draws the 8 most worth showing, and says so; section 6 lists them all.
  const shownBy = drawn.ids.length < drawn.total ? `the ${drawn.ids.length} of ${drawn.total} channels with the most stale exposure (every channel in section 6)` : "each channel";
  const stockFigures = doc.strategies
    .map((s, i) => {
      const chart = stockTimelineChart(doc, s, window, `stock-${i}`, drawn.ids);
      return `<div class="strategy-title" style="--c:${strategyColor(s.strategy, doc.strategies)}">${esc(strategyLabel(s.strategy))}</div>\n${figure(`chart-stock-${i}`, chart, `${esc(strategyLabel(s.strategy))}: stock of ${esc(sku)} shown by ${esc(shownBy)} (thin lines) against the stock you really had (thick black line).`, "stock-timeline")}`;
    })
    .join("\n");
  parts.push(`<section>
<h2><span class="num">1</span>What your channels showed, and what you really had</h2>
<p>Your best-selling item, <strong>${esc(sku)}</strong>${flash ? `, around the peak in demand (shaded${flash.label ? `: “${esc(flash.label)}”` : ""})` : ""}. Wherever a coloured line sits <em>above</em> the black line, that channel was offering stock that had already been sold elsewhere: every order it took there had to be cancelled. Wherever it sits <em>below</em>, the channel turned buyers away while you still had stock.</p>
${stockFigures}
</section>`);

  // --- Oversells and lost sales over time ------------------------------------------------------------
  parts.push(`<section>
<h2><span class="num">2</span>When orders went wrong</h2>
<p>Running totals of orders that were sold without stock (oversold, then cancelled; solid lines) and of buyers turned away while stock existed (lost sales; dashed), with the orders taken each minute in grey behind them.</p>
${figure("chart-orders", ordersTimelineChart(doc, "orders"), `Oversold and lost orders accumulate ${flash ? "mostly during the flash sale, when demand outruns each sync" : "whenever a channel shows outdated stock"}.`, "orders-timeline")}
</section>`);

  // --- Cancellation rate ---------------------------------------------------------------------------------
  parts.push(`<section>
<h2><span class="num">3</span>Cancellations against the marketplace limit</h2>
<div class="split">
${figure("chart-cancellation", cancellationRateChart(doc, "cancel"), cancellationCaption(doc), "cancellation-rate")}
<div>
<p>Marketplaces measure how often a seller cancels orders, each over the orders it took itself. Amazon expects a cancellation rate <strong>below 2.5 %</strong>; above it, the seller account is at risk of losing the Buy Box or being suspended. Every oversold order counts as a seller cancellation on the channel that took it.</p>
${cancellationVerdict(doc)}
</div>
</div>
</section>`);

  // --- Lag distribution ----------------------------------------------------------------------------------
  parts.push(`<section>
<h2><span class="num">4</span>How long until each channel knows about a sale</h2>
<p>Each line shows, for any waiting time on the bottom axis, the share of channel updates (one per sale and other channel) that had reached their channel by then. Further left is better. <strong>Solid</strong>: when buyers could see the new stock. <strong>Dashed</strong>: when the channel's API accepted the update — the part a sync tool controls; the gap between the two is the marketplace's own processing time, which no sync tool can remove. A sale is visible on every other channel only once its slowest update is: that time, per sale, is in the cards above and in section 6.</p>
${compression ? `<p class="lapse-note"><strong>Wall-clock times of a ${esc(factor)} time-lapse</strong> (${esc(formatMsWords(compression.scenarioDurationMs))} of trading in ${esc(formatMsWords(compression.wallDurationMs))}), not the lags of the same sale at real speed: ${compression.marketplaceTime === "real" ? "the marketplaces kept their real delays and rate limits while demand came " + esc(factor) + " faster" : "the marketplaces' own delays were shortened " + esc(factor) + " too, the engine's processing was not"}. See the note at the top.</p>` : ""}
${figure("chart-lag", lagCdfChart(doc, "lag"), `Read it like this: where a line reaches the top (100 %), the time below is how long the slowest updates took; where it crosses 50 %, half of the updates were faster. ${events && baseline ? `Polling cannot be faster than its interval; event-driven sync is limited by each channel's API.` : ""}`, "lag-cdf")}
</section>`);

  // --- Cost --------------------------------------------------------------------------------------------------
  parts.push(`<section>
<h2><span class="num">5</span>Where the money goes</h2>
${figure("chart-cost", costBreakdownChart(projections, "cost"), `Cost ${esc(perRun)}, by cause. Each cause is a count from the run multiplied by one of the assumptions in section 7.`, "cost-breakdown")}
${costTable(doc, projections, perRun, money)}
</section>`);

  // --- The figures -------------------------------------------------------------------------------------------
  parts.push(`<section>
<h2><span class="num">6</span>The figures</h2>
${figuresTable(doc, compression)}
<h3>Per channel</h3>
${channelTable(doc)}
<p class="muted small">Lag figures: buyer-visible (API-accepted in brackets). p50: half of the updates were faster; p99: all but the slowest 1 %.${compression ? ` Lags are wall-clock times measured during the ${esc(factor)} time-lapse (${esc(formatMsWords(compression.scenarioDurationMs))} of trading in ${esc(formatMsWords(compression.wallDurationMs))}); counts are the whole scenario's.` : ""}</p>
</section>`);

  // --- Assumptions ----------------------------------------------------------------------------------------
  parts.push(`<section>
<h2><span class="num">7</span>Assumptions, and how to change them</h2>
<p>Every figure in this report follows from these inputs. Change them with the flags of <code>synclag demo</code> (e.g. <code>--aov 120 --currency USD</code>), or in a scenario file run with <code>synclag compare --scenario FILE --json result.json</code> and then <code>synclag report result.json</code>.</p>
${assumptionsTable(doc, first, baseline, compression)}
<h3>Formulas</h3>
<div class="formula">
<p><strong>Cost ${esc(perRun)}</strong> = oversold orders × (cancellation handling + marketplace penalty) + oversold orders × chance the buyer never returns × customer lifetime value + lost sales × average order value × gross margin.</p>
${
  first.hasFlashSale && !first.steady.measured
    ? `<p><strong>Cost per year</strong> = cost per flash sale × flash sales per year (${esc(first.flashSalesPerYear)}): <strong>the flash sales only</strong>.</p>
<p><strong>Steady-state cost</strong> (normal trading between the sales): <strong>not measured</strong>. ${
        first.steady.notMeasured === "sold-out"
          ? `Stock ran out before the flash sale: a product sold out about ${esc(formatElapsedMinutes(Math.floor((first.steady.soldOutAtMs ?? 0) / MINUTE_MS)))} into the run, before the sale began at ${esc(formatElapsedMinutes((firstFlashStartMs(doc) ?? 0) / MINUTE_MS))} (${projections.map((p) => `${esc(strategyShortLabel(p.strategy))}: ${esc(formatCount(p.steady.oversold))} oversold, ${esc(formatCount(p.steady.lostSales))} lost before the sale`).join("; ")}), and nothing was restocked before the sale. So the stock on hand was the sale's (a flash-sale run stocks for the sale), and a sell-out before it is the sale's shortage arriving early, not normal trading, where the shop restocks — and a few such orders multiplied over the ${esc(formatCount(Math.round(first.steadyHoursPerYear)))} other hours of the year would outweigh everything else. The hours after the sale are not normal trading either (the sale has emptied the stock).`
          : `The flash sale starts at the beginning of this run, so there is no normal trading before it to measure, and the hours after the sale are not normal trading either (the sale has emptied the stock).`
      } The per-year figure leaves it out, so it counts the flash sales alone; a run with normal trading before the sale that restocks in it (<code>demand.restocks</code>) or whose stock lasts until the sale, or the <code>steady-day</code> scenario, measures it.</p>`
    : first.hasFlashSale
    ? `<p><strong>Cost per year</strong> = cost per flash sale × flash sales per year (${esc(first.flashSalesPerYear)}) + steady-state cost per hour × (8,760 h − ${esc(first.flashSalesPerYear)} × ${esc(round(first.runHours, 2))} h).</p>
<p><strong>Steady-state cost per hour</strong> = the cost formula applied to the oversells and lost sales of the ${esc(formatMsWords(first.steady.hours * 3_600_000))} of normal trading before the flash sale in this run (${projections.map((p) => `${esc(strategyShortLabel(p.strategy))}: ${esc(formatCount(p.steady.oversold))} oversold, ${esc(formatCount(p.steady.lostSales))} lost`).join("; ")}), divided by those hours.${
      first.steady.soldOutAtMs !== undefined && first.steady.restockedAtMs !== undefined
        ? ` Stock ran out in this normal trading and was restocked (a product first sold out about ${esc(formatElapsedMinutes(Math.floor(first.steady.soldOutAtMs / MINUTE_MS)))} into the run; the first restock came at ${esc(formatElapsedMinutes(Math.floor(first.steady.restockedAtMs / MINUTE_MS)))}): products selling out between restocks, and the oversells sync lag causes on them, are what normal trading costs, so they count.`
        : ""
    } The hours after the sale are left out: the sale has emptied the stock, so they are not normal trading. A short lead-in with few orders makes this part rough; a longer run, or the <code>steady-day</code> scenario, measures it better.</p>`
    : `<p><strong>Cost per year</strong> = cost of this ${esc(formatMsWords(doc.scenario.durationMs))} run × (8,760 h ÷ ${esc(round(first.runHours, 2))} h).</p>`
}
</div>
</section>`);

  // --- Method -------------------------------------------------------------------------------------------------
  parts.push(methodSection(doc, events, compression));

  const data: ReportData = {
    scenario: doc.scenario.name,
    seed: doc.seed,
    mode: doc.generator.mode,
    timeCompression: compression ? { factor: compression.factor, wallDurationMs: compression.wallDurationMs, scenarioDurationMs: compression.scenarioDurationMs, marketplaceTime: compression.marketplaceTime ?? null } : null,
    flashSalesPerYear: first.flashSalesPerYear,
    strategies: doc.strategies.map((s) => {
      const p = projectionOf(s);
      return {
        strategy: s.strategy,
        costPerRun: { currency: s.cost.currency, oversells: s.cost.oversells, lostSales: s.cost.lostSales, churn: s.cost.churn, total: s.cost.total },
        costPerYear: p.perYear,
        oversold: s.orders.oversold,
        lostSales: s.orders.lostSales,
        accepted: s.orders.accepted,
        cancellationRate: s.orders.cancellationRate,
        worstChannel: worstChannel(doc, s),
        droppedArrivals: droppedArrivalsOf(s) ?? (doc.generator.mode === "simulated" ? 0 : null),
        visibleEverywhereMs: s.visibleEverywhereMs ? { count: s.visibleEverywhereMs.count, p50: s.visibleEverywhereMs.p50, p99: s.visibleEverywhereMs.p99, max: s.visibleEverywhereMs.max } : null,
      };
    }),
    charts: charts.map(({ id, chart }) => ({ id, points: chart.points })),
  };

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="synclag">
<title>${esc(title)} — ${esc(doc.scenario.name)}</title>
<link rel="icon" href="data:,">
<style>${REPORT_CSS}</style>
</head>
<body>
<main class="sheet">
${parts.join("\n")}
<footer>Generated by synclag from ${esc(resultText)} (scenario ${esc(doc.scenario.name)}, seed ${esc(doc.seed)})${esc(resultTail)}. The same inputs always produce the same report. This page is self-contained: it loads nothing from the network.</footer>
</main>
<script type="application/json" id="synclag-report-data">${jsonForScript(data)}</script>
</body>
</html>
`;
}

function stat(value: string, label: string, tone: string): string {
  return `<div class="stat ${tone}"><div class="value">${esc(value)}</div><div class="label">${label}</div></div>`;
}

function card(s: StrategyResult, p: CostProjection, all: readonly StrategyResult[], perRun: string, money: (n: number) => string, compression: TimeCompression | undefined, worst: ChannelCancellation | null): string {
  const wall = compression ? ` <span class="muted small">wall clock</span>` : "";
  return `<div class="card" style="--c:${strategyColor(s.strategy, all)}">
<h3>${esc(strategyLabel(s.strategy))}</h3>
<div class="big">${esc(money(s.cost.total))}</div><div class="per">${esc(perRun)} · ${esc(money(p.perYear))} per year${esc(flashSalesOnly(p))}</div>
<dl>
<dt>Orders taken by the channels</dt><dd>${esc(formatCount(s.orders.accepted))}</dd>
<dt>Sold without stock, cancelled</dt><dd>${esc(formatCount(s.orders.oversold))}</dd>
${cancellationRows(s, worst)}
<dt>Buyers turned away with stock left</dt><dd>${esc(formatCount(s.orders.lostSales))}</dd>
<dt>Half of channel updates visible within</dt><dd>${esc(formatLag(s.syncLagMs, s.syncLagMs.p50))}${s.syncLagMs.count > 0 ? wall : ""}</dd>
<dt>99 % of channel updates visible within</dt><dd>${esc(formatLag(s.syncLagMs, s.syncLagMs.p99))}${s.syncLagMs.count > 0 ? wall : ""}</dd>
<dt>${esc(EVERYWHERE_LABEL)}</dt><dd>${esc(everywhereText(s))}${s.visibleEverywhereMs && s.visibleEverywhereMs.count > 0 ? wall : ""}</dd>
<dt>Calls to channel APIs</dt><dd>${esc(formatCount(sumChannels(s, (c) => c.apiCalls)))}</dd>
${compression ? `<dt>Time-lapse</dt><dd>${esc(formatMsWords(compression.scenarioDurationMs))} in ${esc(formatMsWords(compression.wallDurationMs))} (${esc(formatFactor(compression.factor))})</dd>` : ""}
</dl>
</div>`;
}

/** The card's cancellation rows: every channel together, then the worst channel against its own limit (named). */
function cancellationRows(s: StrategyResult, worst: ChannelCancellation | null): string {
  const pooled = formatPercent(s.orders.cancellationRate);
  if (worst === null) {
    // An older document: the pooled rate alone. Over 2.5 % pooled, some channel is over too; under it says nothing about any one marketplace.
    const over = s.orders.cancellationRate >= CANCELLATION_RATE_LIMIT;
    return `<dt>Cancellation rate, all channels together</dt><dd>${esc(pooled)}${over ? `<span class="pill bad">over 2.5 %</span>` : ` <span class="muted small">each marketplace's own: not recorded</span>`}</dd>`;
  }
  const limit = formatShare(worst.cancellationRateLimit);
  return `<dt>Cancellation rate, all channels together</dt><dd>${esc(pooled)}</dd>
<dt>Worst channel against its limit</dt><dd>${esc(formatPercent(worst.cancellationRate))} on ${esc(worst.channel)} <span class="muted small">(${esc(formatCount(worst.oversold))} of ${esc(formatCount(worst.accepted))})</span><br><span class="pill ${worst.overLimit ? "bad" : "ok"}">${esc(worst.channel)} ${worst.overLimit ? "over" : "under"} its ${esc(limit)} limit</span></dd>`;
}

function cancellationCaption(doc: ResultDocument): string {
  return doc.strategies.every((s) => worstChannel(doc, s) !== null)
    ? "Share of accepted orders that had to be cancelled because the stock was gone: all channels together (pale) and the channel furthest over, or closest to, its own marketplace's limit (named under its bar)."
    : "Share of accepted orders that had to be cancelled because the stock was gone, all channels together.";
}

/** Section 3's verdict, strategy by strategy: which channels crossed their own marketplace's line, beside the pooled rate. */
function cancellationVerdict(doc: ResultDocument): string {
  const lines = doc.strategies.map((s) => {
    const label = esc(strategyLabel(s.strategy));
    const pooled = esc(formatPercent(s.orders.cancellationRate));
    const list = channelCancellations(doc, s);
    const worst = worstChannel(doc, s);
    if (list === null || worst === null) {
      const over = s.orders.cancellationRate >= CANCELLATION_RATE_LIMIT;
      return `${label}: ${pooled} over all channels together${over ? ", over the 2.5 % line, so at least one marketplace is over it" : ""}.`;
    }
    const over = list.filter((c) => c.overLimit);
    const figures = (c: ChannelCancellation) => `${esc(formatCount(c.oversold))} of ${esc(formatCount(c.accepted))}`;
    if (over.length === 0) return `${label}: every channel stayed under its limit (closest: ${esc(worst.channel)}, ${esc(formatPercent(worst.cancellationRate))} of its orders, ${figures(worst)}, against ${esc(formatShare(worst.cancellationRateLimit))}); all channels together: ${pooled}.`;
    if (over.length === 1) {
      const c = over[0] as ChannelCancellation;
      const though = s.orders.cancellationRate < c.cancellationRateLimit ? `, though all channels together were at ${pooled}` : `; all channels together: ${pooled}`;
      return `<strong>${label}: ${esc(c.channel)} cancelled ${esc(formatPercent(c.cancellationRate))} of its orders (${figures(c)}), over its ${esc(formatShare(c.cancellationRateLimit))} limit</strong>${though}.`;
    }
    return `<strong>${label}: ${esc(over.length)} channels over their limit</strong> — ${over.map((c) => `${esc(c.channel)} ${esc(formatPercent(c.cancellationRate))} (${figures(c)}; limit ${esc(formatShare(c.cancellationRateLimit))})`).join(", ")}; all channels together: ${pooled}.`;
  });
  const recorded = doc.strategies.every((s) => worstChannel(doc, s) !== null);
  const anyOver = doc.strategies.some((s) => (channelCancellations(doc, s) ?? []).some((c) => c.overLimit) || s.orders.cancellationRate >= CANCELLATION_RATE_LIMIT);
  return `<ul>${lines.map((line) => `<li>${line}</li>`).join("")}</ul>
${recorded ? (anyOver ? "" : `<p>In this run no channel crossed its line, but each marketplace counts all your orders there, so a few flash sales a month add up.</p>`) : `<p>Each marketplace's own rate is not in this result (written by an older synclag): all channels together can be under a marketplace's limit while that marketplace is over it. Re-run the command under “How this was measured” to see each channel's.</p>`}
<p class="muted small">Rates: oversold ÷ accepted orders over the whole run${recorded ? ", for each channel over the orders it took (what its marketplace measures; every channel in section 6) and for all channels together" : ", all channels together"}.</p>`;
}

/** The assumptions' limit: one figure when every channel has the same (the built-in profiles: 2.5 %), else each channel's. */
function limitsText(doc: ResultDocument): string {
  const byChannel = new Map<string, number>();
  for (const s of doc.strategies) for (const c of channelCancellations(doc, s) ?? []) byChannel.set(c.channel, c.cancellationRateLimit);
  const limits = new Set(byChannel.values());
  if (limits.size <= 1) return `${formatShare([...limits][0] ?? CANCELLATION_RATE_LIMIT)}${byChannel.size > 0 ? " on every channel" : ""}`;
  return [...byChannel].map(([channel, limit]) => `${channel} ${formatShare(limit)}`).join(", ");
}

function costTable(doc: ResultDocument, projections: readonly CostProjection[], perRun: string, money: (n: number) => string): string {
  const head = projections.map((p) => `<th class="num">${esc(strategyShortLabel(p.strategy))}</th>`).join("");
  const row = (label: string, pick: (p: CostProjection) => number, className = "") => `<tr class="${className}"><td>${label}</td>${projections.map((p) => `<td class="num">${esc(money(pick(p)))}</td>`).join("")}</tr>`;
  const countRow = (label: string, pick: (s: StrategyResult) => number) => `<tr><td>${label}</td>${doc.strategies.map((s) => `<td class="num">${esc(formatCount(pick(s)))}</td>`).join("")}</tr>`;
  return table(`<table class="cost-table">
<thead><tr><th>${esc(perRun.replace(/^per /, "Per "))}</th>${head}</tr></thead>
<tbody>
${countRow("Oversold orders (cancelled)", (s) => s.orders.oversold)}
${countRow("Lost sales", (s) => s.orders.lostSales)}
${row("Cancellations: handling + marketplace penalty", (p) => p.perRun.oversells)}
${row("Customers who never come back (churn)", (p) => p.perRun.churn)}
${row("Margin lost on missed sales", (p) => p.perRun.lostSales)}
${row(`Total ${esc(perRun)}`, (p) => p.perRun.total, "total")}
${
  !projections[0]?.hasFlashSale
    ? ""
    : projections[0].steady.measured
      ? row("Steady-state cost per hour (normal trading before the sale)", (p) => Math.round(p.steady.perHour * 100) / 100)
      : `<tr class=""><td>Steady-state cost per hour (not measured: ${projections[0].steady.notMeasured === "sold-out" ? "stock ran out before the sale" : "no normal trading before the sale"})</td>${projections.map(() => `<td class="num">—</td>`).join("")}</tr>`
}
${row(`Total per year${flashSalesOnly(projections[0])}`, (p) => p.perYear, "total")}
</tbody>
</table>`);
}

/** " (flash sales only)" after a per-year figure whose steady state was not measured (no lead-in before the sale, or stock ran out in it); "" otherwise. */
function flashSalesOnly(p: CostProjection | undefined): string {
  return p?.hasFlashSale && !p.steady.measured ? " (flash sales only)" : "";
}

/** The per-sale figure, worded exactly: one sample per sale, at its slowest other channel. */
const EVERYWHERE_LABEL = "A sale visible on every other channel: p50 / p99 / max";

/** "13.8s / 2m21s / 4m32s"; "no samples" with none, "not recorded" for a document written before the field existed. */
function everywhereText(s: StrategyResult): string {
  const lag = s.visibleEverywhereMs;
  if (!lag) return "not recorded";
  if (lag.count === 0) return formatLag(lag, 0);
  return `${formatMs(lag.p50)} / ${formatMs(lag.p99)} / ${formatMs(lag.max)}`;
}

type RowSpec = [label: string, value: (s: StrategyResult) => string, numeric?: (s: StrategyResult) => number];

function figuresTable(doc: ResultDocument, compression: TimeCompression | undefined): string {
  const currency = doc.strategies[0]?.cost.currency ?? "EUR";
  const wall = compression ? " — wall clock" : "";
  const rows: RowSpec[] = [
    ...(compression
      ? [
          ["Trading replayed (scenario time)", () => formatMsWords(compression.scenarioDurationMs)] as RowSpec,
          ["…in wall-clock time", () => `${formatMsWords(compression.wallDurationMs)} (${formatFactor(compression.factor)} faster)`] as RowSpec,
        ]
      : []),
    ["Shoppers arriving", (s) => formatCount(s.orders.attempted)],
    ...(doc.strategies.some((s) => droppedArrivalsOf(s) !== undefined)
      ? [["Planned arrivals not sent (dropped by the load generator)", (s) => {
          const dropped = droppedArrivalsOf(s);
          return dropped === undefined ? "not recorded" : formatCount(dropped);
        }, (s) => droppedArrivalsOf(s) ?? Number.POSITIVE_INFINITY] as RowSpec]
      : []),
    ["Orders accepted by channels", (s) => formatCount(s.orders.accepted)],
    ["Oversold (cancelled)", (s) => formatCount(s.orders.oversold), (s) => s.orders.oversold],
    ["Cancellation rate, all channels together", (s) => formatPercent(s.orders.cancellationRate), (s) => s.orders.cancellationRate],
    ...(doc.strategies.every((s) => worstChannel(doc, s) !== null)
      ? [["Worst channel against its limit (every channel below)", (s) => {
          const worst = worstChannel(doc, s) as ChannelCancellation;
          // Not marked "best": the lower of two rates over the limit is still over it.
          return `${formatPercent(worst.cancellationRate)} on ${worst.channel} (limit ${formatShare(worst.cancellationRateLimit)})`;
        }] as RowSpec]
      : []),
    ["Lost sales", (s) => formatCount(s.orders.lostSales), (s) => s.orders.lostSales],
    [" of which by shopping agents", (s) => formatCount(s.orders.lostSalesByAgents)],
    ["Correctly sold out", (s) => formatCount(s.orders.soldOut)],
    [`Sync lag p50 (buyer-visible)${wall}`, (s) => formatLag(s.syncLagMs, s.syncLagMs.p50), (s) => lagValue(s.syncLagMs, s.syncLagMs.p50)],
    [`Sync lag p90${wall}`, (s) => formatLag(s.syncLagMs, s.syncLagMs.p90), (s) => lagValue(s.syncLagMs, s.syncLagMs.p90)],
    [`Sync lag p99${wall}`, (s) => formatLag(s.syncLagMs, s.syncLagMs.p99), (s) => lagValue(s.syncLagMs, s.syncLagMs.p99)],
    [`Sync lag max${wall}`, (s) => formatLag(s.syncLagMs, s.syncLagMs.max), (s) => lagValue(s.syncLagMs, s.syncLagMs.max)],
    [`Accepted lag p50 (API accepted)${wall}`, (s) => formatLag(s.acceptedLagMs, s.acceptedLagMs.p50), (s) => lagValue(s.acceptedLagMs, s.acceptedLagMs.p50)],
    [`Accepted lag p99${wall}`, (s) => formatLag(s.acceptedLagMs, s.acceptedLagMs.p99), (s) => lagValue(s.acceptedLagMs, s.acceptedLagMs.p99)],
    [`${EVERYWHERE_LABEL}${wall}`, everywhereText, (s) => (s.visibleEverywhereMs ? lagValue(s.visibleEverywhereMs, s.visibleEverywhereMs.p99) : Number.POSITIVE_INFINITY)],
    ["Calls to channel APIs", (s) => formatCount(sumChannels(s, (c) => c.apiCalls))],
    ["Throttled by a channel (HTTP 429)", (s) => formatCount(sumChannels(s, (c) => c.throttled)), (s) => sumChannels(s, (c) => c.throttled)],
    ["Cost", (s) => formatMoney(s.cost.total, currency), (s) => s.cost.total],
  ];
  const body = rows
    .map(([label, value, numeric]) => {
      const nums = numeric ? doc.strategies.map(numeric) : [];
      const best = nums.length > 1 ? Math.min(...nums) : undefined;
      const distinct = nums.some((n) => n !== best);
      return `<tr><td>${esc(label)}</td>${doc.strategies.map((s, i) => `<td class="num${best !== undefined && distinct && nums[i] === best ? " best" : ""}">${esc(value(s))}</td>`).join("")}</tr>`;
    })
    .join("\n");
  return table(`<table class="figures-table"><thead><tr><th></th>${doc.strategies.map((s) => `<th class="num">${esc(strategyShortLabel(s.strategy))}</th>`).join("")}</tr></thead><tbody>\n${body}\n</tbody></table>`);
}

/**
 * One row per channel and strategy, the channel's name spanning its strategies' rows: five columns
 * however many strategies are compared (a column group per strategy ran off the page with three
 * polling intervals).
 */
function channelTable(doc: ResultDocument): string {
  const span = doc.strategies.length;
  const rows = doc.scenario.channels
    .flatMap((channel) =>
      doc.strategies.map((s, i) => {
        const c = s.channels[channel.id];
        const name = i === 0 ? `<td${span > 1 ? ` rowspan="${span}"` : ""} class="channel">${esc(channel.id)} <span class="muted small">${esc(formatShare(channel.share / totalShare(doc)))} of demand</span></td>` : "";
        const cells = c
          ? `<td class="num">${esc(formatLag(c.syncLagMs, c.syncLagMs.p99))} <span class="muted">(${esc(formatLag(c.acceptedLagMs, c.acceptedLagMs.p99))})</span></td><td class="num">${esc(formatCount(c.oversold))}${c.accepted !== undefined && c.cancellationRate !== undefined ? ` <span class="muted">of ${esc(formatCount(c.accepted))} (${esc(formatPercent(c.cancellationRate))})</span>${c.cancellationRate >= (c.cancellationRateLimit ?? CANCELLATION_RATE_LIMIT) ? `<span class="pill bad">over ${esc(formatShare(c.cancellationRateLimit ?? CANCELLATION_RATE_LIMIT))}</span>` : ""}` : ""}</td><td class="num">${esc(formatCount(c.apiCalls))} / ${esc(formatCount(c.throttled))}</td>`
          : `<td class="num">—</td><td class="num">—</td><td class="num">—</td>`;
        return `<tr${i === 0 && span > 1 ? ` class="group"` : ""}>${name}<td class="strategy" style="--c:${strategyColor(s.strategy, doc.strategies)}">${esc(strategyShortLabel(s.strategy))}</td>${cells}</tr>`;
      }),
    )
    .join("\n");
  return table(`<table class="channel-table"><thead><tr><th>Channel</th><th>Strategy</th><th class="num">p99 lag (accepted)</th><th class="num">${doc.strategies.every((s) => channelCancellations(doc, s) !== null) ? "Oversold of accepted (cancellation rate)" : "Oversold"}</th><th class="num">API calls / 429</th></tr></thead><tbody>\n${rows}\n</tbody></table>`);
}

/** A table in a wrapper that scrolls sideways on a narrow screen rather than pushing past the sheet. */
function table(html: string): string {
  return `<div class="table-wrap">${html}</div>`;
}

function assumptionsTable(doc: ResultDocument, first: CostProjection, baseline: StrategyResult | undefined, compression: TimeCompression | undefined): string {
  const c = doc.scenario.cost;
  const currency = String(c.currency);
  const money = (v: unknown) => formatMoney(Number(v), currency);
  const flash = doc.scenario.curve.filter((w) => w.multiplier > 1);
  const total = totalShare(doc);
  const rows: Array<[string, string, [string, string]]> = [
    [
      "Orders per day in normal trading",
      compression ? `${formatCount(doc.scenario.ordersPerDay)} (scenario time; ${formatRate(realPerSecond(doc.scenario.ordersPerDay, compression))} in the time-lapse)` : formatCount(doc.scenario.ordersPerDay),
      flagAndField("--orders-per-day", "demand.ordersPerDay"),
    ],
    [
      "Flash sale",
      flash.length === 0 ? "none in this run" : flash.map((w) => `${w.multiplier}× normal demand for ${formatMsWords(w.durationMs)}, from ${formatElapsedMinutes(w.startMs / MINUTE_MS)}`).join("; "),
      flagAndField("--flash-multiplier --flash-duration", "demand.curve"),
    ],
    ["Length of the run", formatMsWords(doc.scenario.durationMs), flagAndField(undefined, "duration")],
    ...(compression
      ? [
          [
            "Time compression (real run)",
            `${formatFactor(compression.factor)}: ${formatMsWords(compression.scenarioDurationMs)} of trading replayed in ${formatMsWords(compression.wallDurationMs)}; ${
              compression.marketplaceTime === "real" ? "marketplace response times, delays and rate limits as documented (not compressed)" : compression.marketplaceTime === "scaled" ? "marketplace response times and delays shortened and rate limits raised by the same factor" : "marketplace timing not recorded"
            }; engine processing and the polling interval not compressed`,
            flagAndField("--duration --marketplace-time", undefined, "on synclag run"),
          ] as [string, string, [string, string]],
        ]
      : []),
    ...(first.hasFlashSale ? [["Flash sales per year", formatCount(first.flashSalesPerYear), flagAndField("--flash-sales-per-year", undefined, "also on synclag report")] as [string, string, [string, string]]] : []),
    ["Sales channels and their share of demand", doc.scenario.channels.map((ch) => `${ch.id} ${formatShare(ch.share / total)}`).join(", "), flagAndField("--channels", "channels[].kind channels[].share")],
    ["Products in the sale", formatCount(doc.scenario.skus), flagAndField(undefined, "catalog.skus, catalog.stock")],
    ...doc.strategies
      .filter((s) => s.polling)
      .map(
        (s) =>
          [
            `Polling interval (${strategyShortLabel(s.strategy)})`,
            compression ? `${formatMsWords(s.polling?.intervalMs ?? 0)} of wall-clock time (= ${formatMsWords((s.polling?.intervalMs ?? 0) * compression.factor)} of trading at ${formatFactor(compression.factor)})` : formatMsWords(s.polling?.intervalMs ?? 0),
            flagAndField("--polling", "strategies"),
          ] as [string, string, [string, string]],
      ),
    [
      "How orders reach the sync tool",
      (baseline ?? doc.strategies[0])?.orderImport === "push" ? "as they happen (push) — the most favourable case for polling" : `imported periodically (${(baseline ?? doc.strategies[0])?.orderImport ?? ""})`,
      flagAndField(undefined, "orderImport"),
    ],
    ["Average order value", money(c.averageOrderValue), flagAndField("--aov", "cost.averageOrderValue")],
    ["Gross margin", formatShare(Number(c.marginRate)), flagAndField("--margin", "cost.marginRate")],
    ["Cost of handling one cancelled order", money(c.cancellationCost), flagAndField("--cancellation-cost", "cost.cancellationCost")],
    ["Marketplace penalty or fee per cancellation", money(c.marketplacePenalty), flagAndField("--marketplace-penalty", "cost.marketplacePenalty")],
    ["Chance a buyer whose order was cancelled never returns", formatShare(Number(c.churnProbability)), flagAndField("--churn", "cost.churnProbability")],
    ["Customer lifetime value", money(c.customerLifetimeValue), flagAndField("--lifetime-value", "cost.customerLifetimeValue")],
    ["Currency", currency, flagAndField("--currency", "cost.currency")],
    ["Cancellation-rate limit each marketplace holds sellers to (Amazon's published target: 2.5 %)", limitsText(doc), flagAndField(undefined, undefined, "fixed")],
    ["Channel API behaviour (rate limits, response times, delay before an accepted update is visible)", "built-in profile per channel kind", flagAndField(undefined, "channels[].profile")],
    [doc.generator.mode === "simulated" ? "Random seed (same seed, same result)" : "Random seed (same seed, same shoppers)", String(doc.seed), flagAndField("--seed", "seed")],
  ];
  return table(`<table class="assumptions-table"><thead><tr><th>Assumption</th><th>Value</th><th>Demo flag</th><th>Scenario file</th></tr></thead><tbody>
${rows.map(([label, value, [flag, field]]) => `<tr><td>${esc(label)}</td><td><strong>${esc(value)}</strong></td><td>${flag}</td><td>${field}</td></tr>`).join("\n")}
</tbody></table>`);
}

function flagAndField(flag: string | undefined, field: string | undefined, note?: string): [string, string] {
  const codes = (text: string) => text.split(/,?\s+/).map((part) => `<code>${esc(part)}</code>`).join(" ");
  return [flag ? `${codes(flag)}${note ? ` <span class="muted small">${esc(note)}</span>` : ""}` : `<span class="muted">—</span>`, field ? codes(field) : note && !flag ? esc(note) : `<span class="muted">—</span>`];
}

function methodSection(doc: ResultDocument, events: StrategyResult | undefined, compression: TimeCompression | undefined): string {
  const checks = doc.strategies.flatMap((s) => s.checks.map((c) => ({ strategy: s.strategy, ...c })));
  const failed = checks.filter((c) => !c.ok);
  const polling = doc.strategies.find((s) => s.polling);
  const items: string[] = [];
  items.push(`Every strategy replayed the <strong>same shoppers</strong> (same random seed, ${esc(doc.seed)}): same arrival times, same products, same channels. Only the way stock is synchronised differs.`);
  if (polling?.polling) {
    const windows = compression
      ? `every ${esc(formatMsWords(polling.polling.intervalMs))} of wall-clock time, which in this ${esc(formatFactor(compression.factor))} time-lapse is every ${esc(formatMsWords(polling.polling.intervalMs * compression.factor))} of trading — ${esc(formatCount(Math.floor(compression.wallDurationMs / polling.polling.intervalMs)))} sync windows in the run`
      : `${esc(formatCount(polling.polling.syncWindowsPerDay))} sync windows a day`;
    items.push(`<strong>Polling</strong> (${esc(strategyLabel(polling.strategy).toLowerCase())}): on a timer, the tool reads the true stock and sends every SKU whose stock moved since the last tick to every channel — ${windows}, ${esc(formatWindowMean(polling.polling.ordersPerWindow.mean))} orders in an average window and ${esc(formatCount(polling.polling.ordersPerWindow.peak))} in the busiest one, each a chance to sell stock that is already gone.`);
  }
  if (events) items.push(`<strong>Event-driven sync</strong>: each sale changes the stock at once (all-or-nothing, never below zero) and the new quantity is pushed to every other channel straight away, within each channel's API rate limits.`);
  items.push(`<strong>Sync lag</strong> is measured on the marketplace side: from the moment a sale is confirmed on one channel to the moment each other channel shows buyers the new stock — not from the sync tool's own logs.`);
  items.push(
    doc.generator.mode === "simulated"
      ? `This run was <strong>simulated</strong> in virtual time, with each channel's API modelled from its published behaviour (rate limits, response times, faults, the delay before an accepted update is visible). Runs against real services produce the same report.`
      : `This run was <strong>measured on real services</strong> (the engine, its message queue and stock store, and the channel APIs or their mocks)${
          compression
            ? `, <strong>compressed ${esc(formatFactor(compression.factor))} in time</strong>: ${esc(formatMsWords(compression.scenarioDurationMs))} of trading replayed in ${esc(formatMsWords(compression.wallDurationMs))} of wall-clock time. ${esc(lagCaveat(compression))}`
            : ". Its time compression is not recorded in the result document, so its lags cannot be related to real trading time."
        }`,
  );
  const drift = unrepairedDrift(doc);
  items.push(
    failed.length > 0
      ? `<strong>Consistency checks failed:</strong> ${failed.map((c) => `${esc(c.strategy)}: ${esc(c.name)} — ${esc(c.detail)}`).join("; ")}.`
      : drift === ""
        ? `All ${esc(checks.length)} consistency checks passed (stock never negative, every sale applied once, every channel converged to the truth, every oversell cancelled, …).`
        : `All ${esc(checks.length)} consistency checks passed (stock never negative, every sale applied once, every oversell cancelled, …), but not every listing ended at your true stock: see below.`,
  );
  if (drift !== "") items.push(drift);
  return `<section>
<h2><span class="num">8</span>How this was measured</h2>
<ul>${items.map((i) => `<li>${i}</li>`).join("\n")}</ul>
<h3>Words used in this report</h3>
<ul>
<li><strong>Oversell</strong>: a channel still showed stock that was gone, took the order, and the order had to be cancelled.</li>
<li><strong>Lost sale</strong>: a channel showed “out of stock” (or too little) while stock existed, and the buyer left.</li>
<li><strong>Cancellation rate</strong>: cancelled orders ÷ accepted orders, what marketplaces hold sellers to — each marketplace over the orders it took itself, so a channel can be over its limit while all channels together are under it.</li>
<li><strong>Channel update</strong>: a sale reaching one of the other channels${doc.scenario.channels.length > 2 ? ` (with ${esc(doc.scenario.channels.length)} channels, each sale makes ${esc(doc.scenario.channels.length - 1)})` : ""}. Lags are counted per channel update, so “99 % of channel updates within a minute” is not the time until a sale shows on <em>every</em> channel: that waits for its slowest channel.</li>
<li><strong>A sale visible on every other channel</strong>: counted once per sale, from the sale to the moment the <em>last</em> of the other channels showed buyers the new stock — its slowest channel update. So it is never shorter than the sale's channel updates. ${everywhereFootnote(doc)}</li>
${doc.scenario.channels.length > MAX_TIMELINE_CHANNELS ? `<li><strong>Stale exposure</strong>: the share of the run, over all products, during which a channel showed buyers a quantity other than the one your real stock called for; section 1 draws the ${esc(MAX_TIMELINE_CHANNELS)} channels with the most of it.</li>\n` : ""}<li><strong>p50 / p99</strong>: half / 99 % of the channel updates (or, for a sale visible on every other channel, of the sales) were at least this fast.</li>
</ul>
<p class="small muted">Reproduce the run: <code>${esc(doc.reproduce)} --json result.json</code>, then <code>npx synclag report result.json</code>.</p>
</section>`;
}

/**
 * Listings a run without a reconciler left short of the truth (`driftUnrepaired`), per strategy, and
 * why — the consistency checks pass on them (the configuration's cost, not a broken invariant), so
 * without this the report would claim every channel converged. "" when no listing was left short.
 */
function unrepairedDrift(doc: ResultDocument): string {
  const plural = (n: number, word: string) => `${formatCount(n)} ${word}${n === 1 ? "" : "s"}`;
  const parts = doc.strategies.flatMap((s) => {
    const drift = s.driftUnrepaired;
    if (drift === undefined || drift.listings <= 0) return [];
    const channels = Object.entries(s.channels).filter(([, c]) => (c.driftUnrepaired?.listings ?? 0) > 0);
    const where = channels.length === 1 ? ` (all on ${channels[0]?.[0]})` : channels.length > 1 ? ` (${channels.map(([id, c]) => `${id} ${formatCount(c.driftUnrepaired?.listings ?? 0)}`).join(", ")})` : "";
    return [`with ${strategyLabel(s.strategy).toLowerCase()}, ${plural(drift.listings, "listing")}${where} ${drift.listings === 1 ? "was" : "were"} short by ${plural(drift.units, "unit")}`];
  });
  if (parts.length === 0) return "";
  return `<strong>Listings left short</strong>: this run had no periodic reconciliation (nothing read the channels' listings back), so some listings ended short of your stock: ${esc(parts.join("; "))}. Each is short by what sales the sync tool could not account for took off it — orders whose notification never reached the sync tool, and oversold orders bought while the channel was still processing an update — and only a periodic reconciliation repairs that. Buyers on those listings are turned away while you still have the stock.`;
}

/** Which sales the per-sale figure leaves out, in plain words. */
function everywhereFootnote(doc: ResultDocument): string {
  if (doc.strategies.some((s) => !s.visibleEverywhereMs)) return "This result was written before the figure existed, so it shows “not recorded”.";
  const missing = doc.strategies.filter((s) => (s.orders.notVisibleEverywhere ?? 0) > 0);
  if (missing.length === 0 && doc.strategies.some((s) => s.orders.notVisibleEverywhere === undefined)) return "Sales some channel still did not show when the run ended are left out.";
  if (missing.length === 0) return "In this run every sale applied to your stock reached every other channel.";
  return `Sales some channel still did not show when the run ended are left out: ${missing.map((s) => `${esc(formatCount(s.orders.notVisibleEverywhere ?? 0))} with ${esc(strategyLabel(s.strategy).toLowerCase())}`).join(", ")}.`;
}

/** `orders.droppedArrivals` of a real run: arrivals the load generator planned but could not send on time; undefined where the document does not record it (a simulated run never drops one). */
function droppedArrivalsOf(s: StrategyResult): number | undefined {
  const dropped = (s.orders as { readonly droppedArrivals?: unknown }).droppedArrivals;
  return typeof dropped === "number" && Number.isFinite(dropped) ? dropped : undefined;
}

/** Arrivals the load generator planned: the real run's `load.planned`, else those sent plus those dropped. */
function plannedArrivalsOf(s: StrategyResult, dropped: number): number {
  const planned = (s as { readonly load?: { readonly planned?: unknown } }).load?.planned;
  return typeof planned === "number" && planned > 0 ? planned : s.orders.attempted + dropped;
}

/**
 * A real run whose load generator dropped arrivals measured the generator's limits, not sync (`synclag
 * run` warns and exits 1): said at the top, before any figure, like a failed consistency check.
 */
function droppedBanner(doc: ResultDocument): string {
  const dropped = doc.strategies.flatMap((s) => {
    const n = droppedArrivalsOf(s) ?? 0;
    return n > 0 ? [`${formatCount(n)} of ${formatCount(plannedArrivalsOf(s, n))} planned arrivals were not sent with ${strategyLabel(s.strategy).toLowerCase()}`] : [];
  });
  if (dropped.length === 0) return "";
  // "25 of 133 planned arrivals were not sent with event-driven sync, 3 of 133 with polling every 15 min"
  const text = dropped.map((d, i) => (i === 0 ? d : d.replace(" planned arrivals were not sent", ""))).join(", ");
  return `<div class="banner" id="dropped-arrivals"><strong>Warning:</strong> ${esc(text)}: the load generator could not send them on time, so these figures measure the load generator's limits, not sync. <code>synclag run</code> treats such a run as invalid (exit 1): run it again with a longer <code>--duration</code> (or a lower <code>--rate</code>).</div>`;
}

function sumChannels(s: StrategyResult, pick: (c: StrategyResult["channels"][string]) => number): number {
  return Object.values(s.channels).reduce((sum, c) => sum + pick(c), 0);
}

function totalShare(doc: ResultDocument): number {
  return doc.scenario.channels.reduce((sum, c) => sum + c.share, 0) || 1;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** ", replayed on real services in 10 seconds of wall-clock time — 1,080× faster (about 50 orders a second, 500 at the peak)" */
function lapseClause(c: TimeCompression, ordersPerDay: number, peakMultiplier: number | undefined): string {
  const base = realPerSecond(ordersPerDay, c);
  const rates = peakMultiplier === undefined ? `about ${formatRate(base)}` : `about ${formatRate(base)}, ${formatRate(base * peakMultiplier)} at the peak`;
  return ` — replayed on real services in ${esc(formatMsWords(c.wallDurationMs))} of wall-clock time, ${esc(formatFactor(c.factor))} faster (${esc(rates)})`;
}

/** Plain words on what the wall-clock lags of a time-lapse are, and are not. */
function lagCaveat(c: TimeCompression): string {
  const factor = formatFactor(c.factor);
  const marketplaces =
    c.marketplaceTime === "real"
      ? `The marketplaces kept their documented response times, delays and rate limits, so demand compressed ${factor} met real rate limits: a stress test, not a replay of the sale.`
      : `The marketplaces' own response times and visibility and notification delays were shortened ${factor} as well (and their rate limits raised as much), but the engine's processing and the network were not, so these lags are not the ones the same sale would show at real speed: there, the marketplaces' part would take ${factor} longer.`;
  return `Times of day in the charts, rates and order counts are the scenario's; every lag is wall-clock time measured during the time-lapse. ${marketplaces}`;
}

/** A 1,080× time-lapse stated at the top of the page, before any figure. */
function timeLapseNote(c: TimeCompression, strategies: readonly StrategyResult[]): string {
  const polling = strategies.find((s) => s.polling)?.polling;
  const pollingText = polling ? ` The polling interval (${esc(formatMsWords(polling.intervalMs))}) is wall-clock time too: ${esc(formatMsWords(polling.intervalMs * c.factor))} of trading at this speed.` : "";
  return `<div class="lapse-note" id="time-compression"><strong>A real run, compressed ${esc(formatFactor(c.factor))}:</strong> ${esc(formatMsWords(c.scenarioDurationMs))} of trading replayed in ${esc(formatMsWords(c.wallDurationMs))} of wall-clock time. ${esc(lagCaveat(c))}${pollingText}</div>`;
}

/** Real orders per second in the time-lapse for a scenario-time rate per day. */
function realPerSecond(ordersPerDay: number, c: TimeCompression): number {
  return (ordersPerDay / DAY_MS) * 1000 * c.factor;
}

function formatRate(perSecond: number): string {
  const value = perSecond >= 10 ? Math.round(perSecond) : Math.round(perSecond * 10) / 10;
  return `${value.toLocaleString("en-US")} orders a second`;
}
