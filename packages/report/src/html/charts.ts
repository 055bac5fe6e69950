// The report's charts, drawn by Apache ECharts and rendered to SVG strings in Node at build time
// (server-side rendering: no DOM, no canvas, no script in the page), so the HTML opens offline with
// no chart library in it. Each chart returns its SVG and how many data points it drew, which the
// tests use to prove every chart has data.
// Easy to get wrong: (1) an ECharts instance keeps a render loop alive until `dispose()`, which would
// keep the CLI from exiting — every render disposes in `finally`; (2) the SVG's ids/classes are
// numbered per instance ("zr3-…"), so they are renamed per chart to keep several charts in one page
// apart and the output identical for the same input.

import { BarChart, LineChart, type BarSeriesOption, type LineSeriesOption } from "echarts/charts";
import { GridComponent, LegendComponent, MarkAreaComponent, MarkLineComponent, type GridComponentOption, type LegendComponentOption, type MarkAreaComponentOption, type MarkLineComponentOption } from "echarts/components";
import * as echarts from "echarts/core";
import type { ComposeOption } from "echarts/core";
import { SVGRenderer } from "echarts/renderers";
import { Histogram, type LatencySummary } from "@synclag/metrics";
import type { ResultDocument, StrategyResult } from "@synclag/sim";
import type { CostProjection } from "../cost-projection.js";
import { formatElapsedMinutes, formatMoney, formatPercent, formatShare } from "../format.js";
import { formatFactor, timeCompressionOf } from "../time-compression.js";
import { CANCELLATION_RATE_LIMIT, channelCancellations, worstChannel } from "./channel-cancellation.js";
import { DANGER, FONT, GRID, INK, MUTED, channelColor, strategyColor, strategyShortLabel } from "./labels.js";

type ChartOption = ComposeOption<LineSeriesOption | BarSeriesOption | GridComponentOption | LegendComponentOption | MarkLineComponentOption | MarkAreaComponentOption>;

export interface RenderedChart {
  readonly svg: string;
  /** Data points drawn (0 means the chart is empty). */
  readonly points: number;
}

let installed = false;
function install(): void {
  if (installed) return;
  echarts.use([LineChart, BarChart, GridComponent, LegendComponent, MarkLineComponent, MarkAreaComponent, SVGRenderer]);
  installed = true;
}

const WIDTH = 960;
const MINUTE_MS = 60_000;
export const MAX_TIMELINE_CHANNELS = 8;

/** Renders one option to a standalone SVG string; `id` makes its class names unique in the page. */
function render(id: string, option: ChartOption, height: number, width = WIDTH): string {
  install();
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width, height });
  try {
    chart.setOption({ animation: false, textStyle: { fontFamily: FONT, color: MUTED, fontSize: 12 }, ...option });
    // Class numbers count up across every instance in the process: renumber them per chart.
    const classes = new Map<string, number>();
    return chart
      .renderToSVGString()
      .replace(/\bzr\d+-/g, `${id}-`)
      .replace(new RegExp(`${id}-cls-(\\d+)`, "g"), (_, n: string) => {
        let index = classes.get(n);
        if (index === undefined) {
          index = classes.size;
          classes.set(n, index);
        }
        return `${id}-cls-${index}`;
      })
      .replace(/<style\s*><\/style>/g, "")
      .replace(/^<svg width="\d+" height="\d+"/, `<svg class="chart-svg" role="img" preserveAspectRatio="xMidYMid meet"`);
  } finally {
    chart.dispose();
  }
}

const axisCommon = {
  axisLine: { lineStyle: { color: "#9ca3af" } },
  axisTick: { lineStyle: { color: "#9ca3af" } },
  axisLabel: { color: MUTED, fontSize: 12 },
  splitLine: { lineStyle: { color: GRID } },
  nameTextStyle: { color: MUTED, fontSize: 12 },
} as const;

/** A legend item's icon width, and the gap to the next item, in px. */
const LEGEND_ICON_PX = 26;
const LEGEND_ITEM_GAP_PX = 18;
const LEGEND_FONT_PX = 12;
const legendCommon: LegendComponentOption = { top: 0, left: 0, itemWidth: LEGEND_ICON_PX, itemHeight: 10, itemGap: LEGEND_ITEM_GAP_PX, itemStyle: { opacity: 0 }, textStyle: { color: INK, fontSize: LEGEND_FONT_PX } };

/** Legend rows laid out by `legendLayout`: one row's top to the next, in px. */
const LEGEND_ROW_PX = 22;
/** ECharts' fixed gap between a legend item's icon and its label, in px. */
const LEGEND_ICON_GAP_PX = 5;
/** How far legend rows reach: the chart's width less the smallest right margin of any plot (the stock chart's). */
const LEGEND_WIDTH_PX = WIDTH - 24;
/**
 * How much wider than ECharts' estimate a label may be drawn. ECharts measures with Helvetica/Arial
 * metrics (Liberation Sans matches them); DejaVu Sans, the widest font the stack can fall back to,
 * drew labels 9–26 % wider in Chromium for realistic names, and up to 40 % for runs of narrow letters
 * ("ttt…": found by review, a 64-letter id ran into the next item at 1.3).
 */
const LABEL_WIDTH_MARGIN = 1.45;

type LegendItem = NonNullable<LegendComponentOption["data"]>[number];

interface LegendLayout {
  /** One legend component per item at its own (left, top), so ECharts never re-wraps it. */
  readonly legend: LegendComponentOption[];
  /** The rows after the first, in px: the caller moves the axis names and the plot down and makes the chart taller by as much. */
  readonly extraPx: number;
}

/**
 * Lays legend items out in rows across the chart, in order, each at a position of its own. ECharts wraps
 * a long legend by itself but knows nothing of what sits under it: its extra rows ran over the y-axis
 * name and into the plot (section 1 with 8 long channel ids, the orders and lag charts with events and
 * four polling intervals). Here the caller gets the extra height and moves the plot down, so the plot
 * keeps its size; widths are over-estimated (LABEL_WIDTH_MARGIN) so no font runs one label into the next
 * item. An item wider than the row (never, for 64-character channel ids) gets a row of its own.
 * `style`: the chart's legend look, `legendCommon` or a variant of it.
 */
function legendLayout(items: readonly LegendItem[], style: LegendComponentOption = legendCommon): LegendLayout {
  const legend: LegendComponentOption[] = [];
  let row = 0;
  let x = 0;
  for (const item of items) {
    const name = typeof item === "string" ? item : (item.name ?? "");
    const width = LEGEND_ICON_PX + LEGEND_ICON_GAP_PX + Math.ceil(echarts.format.getTextRect(name, `${LEGEND_FONT_PX}px sans-serif`).width * LABEL_WIDTH_MARGIN);
    if (x > 0 && x + width > LEGEND_WIDTH_PX) {
      row += 1;
      x = 0;
    }
    legend.push({ ...style, left: x, top: row * LEGEND_ROW_PX, data: [item] });
    x += width + LEGEND_ITEM_GAP_PX;
  }
  return { legend, extraPx: row * LEGEND_ROW_PX };
}

/** The flash-sale window(s) as a shaded band, in minutes. */
function flashBands(doc: ResultDocument, xMaxMinutes: number): MarkAreaComponentOption {
  const data = doc.scenario.curve
    .filter((w) => w.multiplier > 1 && w.startMs / MINUTE_MS < xMaxMinutes)
    .map((w) => [
      { name: `${w.label ?? "peak"} · ${w.multiplier}×`, xAxis: w.startMs / MINUTE_MS },
      { xAxis: Math.min(xMaxMinutes, (w.startMs + w.durationMs) / MINUTE_MS) },
    ]) as unknown as NonNullable<MarkAreaComponentOption["data"]>;
  return { silent: true, itemStyle: { color: "rgba(250, 204, 21, 0.13)" }, label: { color: "#92400e", fontSize: 11, position: "insideTop", distance: 4 }, data };
}

// --- Stock shown vs truth ---------------------------------------------------------------------------

export interface TimelineWindow {
  readonly xMaxMinutes: number;
  /** Minutes between labelled ticks (the right edge is a multiple of it); undefined: ECharts' choice. */
  readonly xTickMinutes: number | undefined;
  readonly yMax: number;
}

/** Tick spacings for a time axis in minutes, and the most labelled ticks it should carry. */
const TIME_TICK_MINUTES = [5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 720, 1440];
const MAX_TIME_TICKS = 8;

/**
 * One x/y range for every strategy's timeline, so small multiples compare at a glance. The x range
 * runs past the last change on the chart and past the end of every flash-sale window (a chart that
 * stops inside the sale hides its end), to a right edge on an even tick.
 */
export function timelineWindow(doc: ResultDocument): TimelineWindow {
  let lastMs = 0;
  let yMax = 1;
  for (const s of doc.strategies) {
    for (const series of [s.timeline.truth, ...Object.values(s.timeline.channels)]) {
      const last = series.at(-1);
      if (last) lastMs = Math.max(lastMs, last[0]);
      for (const [, q] of series) yMax = Math.max(yMax, q);
    }
  }
  for (const w of doc.scenario.curve) if (w.multiplier > 1) lastMs = Math.max(lastMs, w.startMs + w.durationMs);
  const durationMinutes = doc.scenario.durationMs / MINUTE_MS;
  const lastMinutes = Math.min(durationMinutes, lastMs / MINUTE_MS);
  const wanted = Math.max(5, lastMinutes + Math.max(10, lastMinutes * 0.12));
  const step = yMax <= 10 ? 2 : yMax <= 50 ? 5 : 10 ** Math.floor(Math.log10(yMax));
  const yTop = Math.ceil((yMax + 1) / step) * step;
  const even = evenTimeAxis(wanted, durationMinutes);
  if (even) return { xMaxMinutes: even.edge, xTickMinutes: even.tick, yMax: yTop };
  // A run whose length fits no tick spacing (97 minutes): its own length, ECharts' ticks.
  return { xMaxMinutes: Math.max(5, Math.min(durationMinutes, Math.ceil(wanted / 5) * 5)), xTickMinutes: undefined, yMax: yTop };
}

/**
 * A time axis from 0 reaching at least `wantedMinutes` (at most `limitMinutes`) whose right edge is a
 * labelled tick: the finest spacing that needs no more than MAX_TIME_TICKS intervals. Undefined when
 * the limit cuts every spacing short of a tick (ECharts would then label the edge off the rhythm,
 * 1:20 → 1:30 after steps of 20 minutes).
 */
function evenTimeAxis(wantedMinutes: number, limitMinutes: number): { edge: number; tick: number } | undefined {
  for (const tick of TIME_TICK_MINUTES) {
    const edge = Math.min(limitMinutes, Math.ceil(wantedMinutes / tick) * tick);
    if (edge > 0 && edge / tick <= MAX_TIME_TICKS && Number.isInteger(edge / tick)) return { edge, tick };
  }
  return undefined;
}

/** A step series [minute, quantity], held to the window's right edge. */
function stepSeries(points: ReadonlyArray<readonly [number, number]>, xMaxMinutes: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [ms, q] of points) {
    const minute = ms / MINUTE_MS;
    if (minute > xMaxMinutes) break;
    out.push([round(minute, 3), q]);
  }
  const last = out.at(-1) ?? (points[0] ? [0, points[0][1]] : undefined);
  if (last && last[0] < xMaxMinutes) out.push([xMaxMinutes, last[1]]);
  return out;
}

/**
 * The channels the stock charts draw: all of them up to MAX_TIMELINE_CHANNELS; beyond that (a chart of
 * twelve thin lines is unreadable), the ones most worth showing — the most stale exposure summed over
 * the strategies, then the most oversells, then scenario order — the same set on every strategy's chart
 * (small multiples compare at a glance), listed in scenario order. `total`: how many channels there are.
 */
export function timelineChannels(doc: ResultDocument): { readonly ids: readonly string[]; readonly total: number } {
  const ids = doc.scenario.channels.map((c) => c.id);
  if (ids.length <= MAX_TIMELINE_CHANNELS) return { ids, total: ids.length };
  const sum = (id: string, pick: (c: StrategyResult["channels"][string]) => number) => doc.strategies.reduce((total, s) => total + (s.channels[id] ? pick(s.channels[id]) : 0), 0);
  const chosen = new Set(
    ids
      .map((id, index) => ({ id, index, stale: sum(id, (c) => c.staleExposure), oversold: sum(id, (c) => c.oversold) }))
      .sort((a, b) => b.stale - a.stale || b.oversold - a.oversold || a.index - b.index)
      .slice(0, MAX_TIMELINE_CHANNELS)
      .map((c) => c.id),
  );
  return { ids: ids.filter((id) => chosen.has(id)), total: ids.length };
}

export function stockTimelineChart(doc: ResultDocument, strategy: StrategyResult, window: TimelineWindow, id: string, channels: readonly string[] = timelineChannels(doc).ids): RenderedChart {
  const channelIds = channels.filter((c) => strategy.timeline.channels[c] !== undefined);
  const truth = stepSeries(strategy.timeline.truth, window.xMaxMinutes);
  const channelSeries: LineSeriesOption[] = channelIds.map((channel, index) => ({
    type: "line",
    name: channel,
    step: "end",
    symbol: "none",
    data: stepSeries(strategy.timeline.channels[channel] ?? [], window.xMaxMinutes),
    lineStyle: { width: 1.6, color: channelColor(index) },
    itemStyle: { color: channelColor(index) },
    z: 3,
  }));
  const truthSeries: LineSeriesOption = {
    type: "line",
    name: "true stock",
    step: "end",
    symbol: "none",
    data: truth,
    lineStyle: { width: 3, color: INK },
    itemStyle: { color: INK },
    z: 5,
    markArea: flashBands(doc, window.xMaxMinutes),
  };
  const points = truth.length + channelSeries.reduce((n, s) => n + (s.data as unknown[]).length, 0);
  // Up to 9 items with channel ids of up to 64 characters.
  const { legend, extraPx } = legendLayout([truthSeries.name as string, ...channelIds]);
  const svg = render(
    id,
    {
      legend,
      grid: { left: 56, right: 24, top: 56 + extraPx, bottom: 44 },
      xAxis: { type: "value", min: 0, max: window.xMaxMinutes, ...(window.xTickMinutes === undefined ? {} : { interval: window.xTickMinutes }), name: timeAxisName(doc), nameLocation: "middle", nameGap: 28, ...axisCommon, splitLine: { show: false }, axisLabel: { ...axisCommon.axisLabel, formatter: (v: number) => formatElapsedMinutes(v) } },
      yAxis: { type: "value", min: 0, max: window.yMax, name: "units in stock", nameLocation: "end", nameGap: 10, ...axisCommon, nameTextStyle: { ...axisCommon.nameTextStyle, align: "left" } },
      series: [truthSeries, ...channelSeries],
    },
    300 + extraPx,
  );
  return { svg, points };
}

// --- Sync-lag distribution (CDF, log time axis) ------------------------------------------------------

const CDF_PERCENTILES = [
  ...Array.from({ length: 50 }, (_, i) => i * 2),
  ...[99, 99.5, 99.9, 99.99, 100],
].filter((p) => p > 0);

const TIME_TICKS_MS = [100, 1000, 5000, 30_000, 60_000, 300_000, 900_000, 3_600_000, 4 * 3_600_000, 24 * 3_600_000];

/**
 * The CDF line of one lag: [ms, % of samples at or below]. Read from the encoded histogram, whose top is
 * its bucket's highest equivalent value (above the exact max), so every point is held to the summary's
 * exact max and the line ends there — where the figures table and the gate put max and p(100).
 */
export function cdfPoints(encoded: string, summary: LatencySummary): Array<[number, number]> {
  const histogram = Histogram.decode(encoded);
  if (histogram.count === 0) return [];
  const at = (ms: number) => Math.max(1, Math.min(summary.max, ms));
  const points: Array<[number, number]> = [[at(histogram.min), 0]];
  for (const p of CDF_PERCENTILES) points.push([p === 100 ? Math.max(1, summary.max) : at(histogram.percentile(p)), p]);
  return points;
}

export function lagCdfChart(doc: ResultDocument, id: string): RenderedChart {
  const compression = timeCompressionOf(doc);
  const series: LineSeriesOption[] = [];
  let minMs = Infinity;
  let maxMs = 0;
  let points = 0;
  for (const s of doc.strategies) {
    const color = strategyColor(s.strategy, doc.strategies);
    for (const [kind, encoded, summary] of [["shown to buyers", s.histograms.syncLagMs, s.syncLagMs], ["accepted by the API", s.histograms.acceptedLagMs, s.acceptedLagMs]] as const) {
      const data = cdfPoints(encoded, summary);
      points += data.length;
      for (const [ms] of data) {
        minMs = Math.min(minMs, ms);
        maxMs = Math.max(maxMs, ms);
      }
      series.push({
        type: "line",
        name: `${strategyShortLabel(s.strategy)}: ${kind}`,
        symbol: "none",
        smooth: false,
        data,
        lineStyle: { width: kind === "shown to buyers" ? 2.6 : 1.6, type: kind === "shown to buyers" ? "solid" : "dashed", color },
        itemStyle: { color },
        z: kind === "shown to buyers" ? 4 : 3,
      });
    }
  }
  if (!Number.isFinite(minMs)) {
    minMs = 100;
    maxMs = 60_000;
  }
  const xMin = Math.max(1, 10 ** Math.floor(Math.log10(minMs)));
  // Room to the right of the slowest update, up to the next labelled tick.
  const xMax = TIME_TICKS_MS.find((t) => t >= maxMs * 1.5) ?? 10 ** Math.ceil(Math.log10(maxMs * 1.5));
  const ticks = TIME_TICKS_MS.filter((t) => t >= xMin && t <= xMax);
  // Two items per strategy: 10 for events and four polling intervals, three rows.
  const { legend, extraPx } = legendLayout(series.map((s) => s.name as string));
  const svg = render(
    id,
    {
      legend,
      grid: { left: 56, right: 28, top: 72 + extraPx, bottom: 48 },
      xAxis: {
        type: "log",
        logBase: 10,
        min: xMin,
        max: xMax,
        name: compression ? `wall-clock time from the sale until the channel reflects it, in the ${formatFactor(compression.factor)} time-lapse (log scale)` : "time from the sale until the channel reflects it (log scale)",
        nameLocation: "middle",
        nameGap: 30,
        ...axisCommon,
        axisLabel: { ...axisCommon.axisLabel, customValues: ticks, formatter: (v: number) => tickLabel(v) },
        axisTick: { ...axisCommon.axisTick, customValues: ticks },
        splitLine: { show: true, lineStyle: { color: GRID } },
        minorSplitLine: { show: false },
      },
      yAxis: { type: "value", min: 0, max: 100, interval: 25, name: "% of updates", nameLocation: "end", nameGap: 12, ...axisCommon, nameTextStyle: { ...axisCommon.nameTextStyle, align: "left" }, axisLabel: { ...axisCommon.axisLabel, formatter: "{value} %" } },
      series,
    },
    360 + extraPx,
  );
  return { svg, points };
}

// --- Oversells and lost sales over time -----------------------------------------------------------

function cumulative(values: readonly number[]): Array<[number, number]> {
  let sum = 0;
  return values.map((v, minute) => [minute + 1, (sum += v)]);
}

export function ordersTimelineChart(doc: ResultDocument, id: string): RenderedChart {
  const demandSource = doc.strategies.find((s) => s.strategy === "events") ?? doc.strategies[0];
  const minutes = demandSource?.perMinute.accepted.length ?? 0;
  const series: Array<LineSeriesOption | BarSeriesOption> = [];
  series.push({
    type: "bar",
    name: "orders per minute",
    yAxisIndex: 1,
    data: (demandSource?.perMinute.accepted ?? []).map((n, minute) => [minute + 0.5, n]),
    barWidth: "70%",
    barCategoryGap: 0,
    itemStyle: { color: "#d1d5db" },
    z: 1,
    markArea: flashBands(doc, minutes),
  });
  let points = 0;
  for (const s of doc.strategies) {
    const color = strategyColor(s.strategy, doc.strategies);
    const oversold = cumulative(s.perMinute.oversold);
    const lost = cumulative(s.perMinute.lostSales);
    points += oversold.length + lost.length;
    series.push({ type: "line", name: `${strategyShortLabel(s.strategy)}: oversold`, step: "end", symbol: "none", data: [[0, 0], ...oversold], lineStyle: { width: 2.6, color }, itemStyle: { color }, z: 4 });
    series.push({ type: "line", name: `${strategyShortLabel(s.strategy)}: lost sales`, step: "end", symbol: "none", data: [[0, 0], ...lost], lineStyle: { width: 1.6, type: "dashed", color }, itemStyle: { color }, z: 3 });
  }
  points += minutes;
  // The bars' item, then two per strategy: 11 for events and four polling intervals, three rows.
  const { legend, extraPx } = legendLayout(series.map((s) => (s.type === "bar" ? { name: s.name as string, itemStyle: { opacity: 1 } } : { name: s.name as string })));
  const xMax = Math.max(1, minutes);
  const even = evenTimeAxis(xMax, xMax);
  const svg = render(
    id,
    {
      legend,
      grid: { left: 56, right: 56, top: 72 + extraPx, bottom: 44 },
      xAxis: { type: "value", min: 0, max: xMax, ...(even ? { interval: even.tick } : {}), name: timeAxisName(doc), nameLocation: "middle", nameGap: 28, ...axisCommon, splitLine: { show: false }, axisLabel: { ...axisCommon.axisLabel, formatter: (v: number) => formatElapsedMinutes(v) } },
      yAxis: [
        { type: "value", min: 0, minInterval: 1, name: "orders (running total)", nameLocation: "end", nameGap: 12, ...axisCommon, nameTextStyle: { ...axisCommon.nameTextStyle, align: "left" } },
        { type: "value", min: 0, minInterval: 1, name: "orders / minute", nameLocation: "end", nameGap: 12, position: "right", ...axisCommon, nameTextStyle: { ...axisCommon.nameTextStyle, align: "right" }, splitLine: { show: false } },
      ],
      series,
    },
    340 + extraPx,
  );
  return { svg, points };
}

// --- Cost breakdown ----------------------------------------------------------------------------------

export function costBreakdownChart(projections: readonly CostProjection[], id: string): RenderedChart {
  const currency = projections[0]?.currency ?? "EUR";
  const categories = projections.map((p) => strategyShortLabel(p.strategy));
  const parts = [
    { name: "Cancellations: handling + marketplace penalty", pick: (p: CostProjection) => p.perRun.oversells, color: "#b91c1c" },
    { name: "Customers who never come back (churn)", pick: (p: CostProjection) => p.perRun.churn, color: "#f97316" },
    { name: "Margin lost on missed sales", pick: (p: CostProjection) => p.perRun.lostSales, color: "#facc15" },
  ];
  const series: BarSeriesOption[] = parts.map((part, index) => ({
    type: "bar",
    name: part.name,
    stack: "cost",
    barWidth: 26,
    data: projections.map(part.pick),
    itemStyle: { color: part.color },
    ...(index === parts.length - 1
      ? { label: { show: true, position: "right", color: INK, fontWeight: "bold", fontSize: 13, formatter: (p: { dataIndex: number }) => formatMoney(projections[p.dataIndex]?.perRun.total ?? 0, currency) } }
      : {}),
  }));
  const points = projections.length * parts.length;
  const maxTotal = Math.max(1, ...projections.map((p) => p.perRun.total));
  // Three fixed names, one row; ECharts spaced them by its Arial estimate, so DejaVu Sans ran them into each other.
  const { legend, extraPx } = legendLayout(series.map((s) => s.name as string), { ...legendCommon, itemStyle: { opacity: 1 } });
  const svg = render(
    id,
    {
      legend,
      grid: { left: 120, right: 90, top: 48 + extraPx, bottom: 36 },
      xAxis: { type: "value", min: 0, max: niceCeil(maxTotal * 1.05), ...axisCommon, axisLabel: { ...axisCommon.axisLabel, formatter: (v: number) => formatMoney(v, currency, { whole: true }) } },
      yAxis: { type: "category", data: categories, inverse: true, ...axisCommon, axisTick: { show: false }, axisLabel: { ...axisCommon.axisLabel, color: INK, fontSize: 13 } },
      series,
    },
    Math.max(150, 90 + projections.length * 48) + extraPx,
  );
  return { svg, points };
}

// --- Cancellation rate against the marketplace line --------------------------------------------------

/**
 * Per strategy, the rate over every channel together (pale) and — when the document records each
 * channel's — the worst channel's against its own limit (solid, named under its bar): a marketplace
 * measures only the orders it took, so the pooled bar can stand under the line while one marketplace is
 * over it. One dashed line per distinct limit (one, 2.5 %, with the built-in profiles).
 */
export function cancellationRateChart(doc: ResultDocument, id: string): RenderedChart {
  const bars = doc.strategies.flatMap((s) => {
    const color = strategyColor(s.strategy, doc.strategies);
    const worst = worstChannel(doc, s);
    const pooled = { label: worst ? `${strategyShortLabel(s.strategy)}\nall channels` : strategyShortLabel(s.strategy), value: s.orders.cancellationRate * 100, color: worst ? paler(color) : color };
    return worst ? [pooled, { label: `${strategyShortLabel(s.strategy)}\n${worst.channel}`, value: worst.cancellationRate * 100, color }] : [pooled];
  });
  const limits = [...new Set(doc.strategies.flatMap((s) => channelCancellations(doc, s)?.map((c) => c.cancellationRateLimit) ?? [CANCELLATION_RATE_LIMIT]))].sort((a, b) => a - b);
  const yMax = Math.max(3, Math.ceil(Math.max(...bars.map((b) => b.value), ...limits.map((l) => l * 100)) * 1.25));
  const series: BarSeriesOption[] = [
    {
      type: "bar",
      name: "cancellation rate",
      barMaxWidth: 42,
      data: bars.map((b) => ({ value: b.value, itemStyle: { color: b.color } })),
      label: { show: true, position: "top", color: INK, fontWeight: "bold", fontSize: 13, formatter: (p: { value: unknown }) => formatPercent(Number(p.value) / 100) },
      markLine: {
        silent: true,
        symbol: "none",
        lineStyle: { color: DANGER, type: "dashed", width: 2 },
        label: { color: DANGER, fontSize: 12, position: "end", lineHeight: 15 },
        data: limits.map((limit) => ({ yAxis: limit * 100, label: { formatter: `${limits.length === 1 ? "marketplace\n" : ""}limit ${formatShare(limit)}` } })),
      },
    },
  ];
  const svg = render(
    id,
    {
      grid: { left: 48, right: 96, top: 24, bottom: bars.length > doc.strategies.length ? 52 : 36 },
      xAxis: { type: "category", data: bars.map((b) => b.label), ...axisCommon, axisTick: { show: false }, axisLabel: { ...axisCommon.axisLabel, color: INK, fontSize: 13, interval: 0, lineHeight: 16 } },
      yAxis: { type: "value", min: 0, max: yMax, ...axisCommon, axisLabel: { ...axisCommon.axisLabel, formatter: "{value} %" } },
      series,
    },
    bars.length > doc.strategies.length ? 300 : 280,
    Math.max(460, 150 + bars.length * 96),
  );
  return { svg, points: bars.length };
}

/** A "#rrggbb" colour mixed half-way with white: the pooled bar beside its strategy's worst channel. */
function paler(hex: string): string {
  const channel = (i: number) => Math.round((parseInt(hex.slice(i, i + 2), 16) + 255) / 2).toString(16).padStart(2, "0");
  return `#${channel(1)}${channel(3)}${channel(5)}`;
}

/** Axis tick text for the log time axis: 100ms, 1s, 5s, 30s, 1 min, 15 min, 1 h, 4 h, 1 day. */
function tickLabel(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${ms / 1000}s`;
  if (ms < 3_600_000) return `${ms / 60_000} min`;
  if (ms < 86_400_000) return `${ms / 3_600_000} h`;
  return `${ms / 86_400_000} day`;
}

function niceCeil(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** The time axis of the stock and orders charts: scenario time, which a real run's time-lapse must say. */
function timeAxisName(doc: ResultDocument): string {
  const compression = timeCompressionOf(doc);
  return compression ? `scenario time since the start (h:mm; replayed ${formatFactor(compression.factor)} faster)` : "time since the start (h:mm)";
}
