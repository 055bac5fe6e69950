// The CI gate's core: k6-style thresholds ("sync_lag_ms:p(99)<5s", "oversells:count==0") evaluated
// against one strategy of a result document. Every threshold is parsed and resolved to a metric of
// the document before anything is measured, and all problems come back at once (exit 2 in the CLI).
// Easy to get wrong: silence. A metric the document does not carry, an aggregation that does not
// fit a metric (`oversells:p(99)`), a unit that does not fit (`cost:value<5s`) or a latency
// percentile over zero samples must never pass quietly — the first three are usage problems, the
// last one fails with "no samples".

import { Histogram, evaluateThreshold, formatAggregation, parseThreshold, type Aggregation, type LatencySummary, type Threshold } from "@synclag/metrics";
import type { ChannelResult, ResultDocument, StrategyResult } from "@synclag/sim";
import { formatCount } from "./format.js";
import { pickStrategy } from "./result-document.js";
import { timeCompressionOf, type TimeCompression } from "./time-compression.js";

/** What the measured number is: milliseconds, a count, a 0–1 ratio, or money in the result's currency. */
export type MetricUnit = "ms" | "count" | "ratio" | "money";

type AggregationKind = Aggregation["kind"];

const LATENCY_AGGREGATIONS: readonly AggregationKind[] = ["percentile", "count", "max", "min", "avg", "med"];
const COUNT_AGGREGATIONS: readonly AggregationKind[] = ["count"];
const RATE_AGGREGATIONS: readonly AggregationKind[] = ["rate", "value"];
const VALUE_AGGREGATIONS: readonly AggregationKind[] = ["value"];

/** The metric names a threshold may use; `<id>` is a channel id of the scenario. Documented in docs/ci.md and `gate --help`. */
export const GATE_METRICS: ReadonlyArray<{ readonly name: string; readonly unit: MetricUnit; readonly aggregations: string; readonly description: string }> = [
  { name: "sync_lag_ms", unit: "ms", aggregations: "p(N), max, min, avg, med, count", description: "order confirmed → another channel shows buyers the new stock (one sample per order and other channel)" },
  { name: "accepted_lag_ms", unit: "ms", aggregations: "p(N), max, min, avg, med, count", description: "order confirmed → the channel's API accepted the update" },
  { name: "visible_everywhere_ms", unit: "ms", aggregations: "p(N), max, min, avg, med, count", description: "order confirmed → the last other channel shows buyers the new stock (one sample per order)" },
  { name: "not_visible_everywhere", unit: "count", aggregations: "count", description: "sales some other channel still did not show buyers when the run ended (left out of visible_everywhere_ms: gate it with count==0 beside that latency)" },
  { name: "channels.<id>.sync_lag_ms", unit: "ms", aggregations: "p(N), max, min, avg, med, count", description: "sync lag of one channel" },
  { name: "channels.<id>.accepted_lag_ms", unit: "ms", aggregations: "p(N), max, min, avg, med, count", description: "accepted lag of one channel" },
  { name: "oversells", unit: "count", aggregations: "count", description: "accepted orders stock could not fill (cancelled)" },
  { name: "lost_sales", unit: "count", aggregations: "count", description: "buyers turned away while stock existed" },
  { name: "cancellation_rate", unit: "ratio", aggregations: "rate, value", description: "oversells ÷ accepted orders over every channel together; a marketplace measures its own orders only (channels.<id>.cancellation_rate)" },
  { name: "channels.<id>.cancellation_rate", unit: "ratio", aggregations: "rate, value", description: "one channel's oversells ÷ the orders it accepted: what that marketplace holds the seller to (Amazon: < 2.5%)" },
  { name: "dropped_arrivals", unit: "count", aggregations: "count", description: "planned arrivals the load generator could not send (0 when simulated)" },
  { name: "throttled", unit: "count", aggregations: "count", description: "calls the channels answered with 429 (all channels)" },
  { name: "api_calls", unit: "count", aggregations: "count", description: "calls made to the channels' APIs (all channels)" },
  { name: "channels.<id>.throttled", unit: "count", aggregations: "count", description: "429 answers from one channel" },
  { name: "channels.<id>.api_calls", unit: "count", aggregations: "count", description: "calls made to one channel" },
  { name: "channels.<id>.oversells", unit: "count", aggregations: "count", description: "oversells accepted by one channel" },
  { name: "channels.<id>.lost_sales", unit: "count", aggregations: "count", description: "lost sales at one channel" },
  { name: "drift_unrepaired", unit: "count", aggregations: "count", description: "listings left short of the truth when a simulated run without a reconciler ended (lost notifications, oversells against a pending update); 0 in a real run" },
  { name: "channels.<id>.drift_unrepaired", unit: "count", aggregations: "count", description: "listings of one channel left short (drift_unrepaired)" },
  { name: "cost", unit: "money", aggregations: "value", description: "total cost of oversells, lost sales and churn, in the scenario's currency" },
];

export interface GateOutcome {
  readonly threshold: Threshold;
  /** The metric as written (always present: thresholds without a metric are refused). */
  readonly metric: string;
  /** The unit of the measured number (and of the limit): a latency's count is a count, not ms. */
  readonly unit: MetricUnit;
  /** NaN when there was nothing to measure (then `pass` is false and `note` says why). */
  readonly measured: number;
  readonly pass: boolean;
  readonly note?: string;
}

export interface GateReport {
  readonly scenario: string;
  readonly seed: number;
  readonly mode: ResultDocument["generator"]["mode"];
  /** A real run's time compression (its lags are wall-clock ms of a time-lapse); absent when simulated. */
  readonly timeCompression?: TimeCompression;
  readonly strategy: string;
  readonly currency: string;
  readonly reproduce: string;
  readonly outcomes: readonly GateOutcome[];
  /** Invariant checkers that failed in the run ("name: detail"); the results cannot be trusted then. */
  readonly invariantsBroken: readonly string[];
  /**
   * A real run whose load generator dropped planned arrivals (`orders.droppedArrivals` > 0): it
   * measured the load generator's limits, not sync, so the gate fails it (exit 1) whatever the
   * thresholds say, as `synclag run` does. Absent when none were dropped (and for simulated runs).
   */
  readonly droppedArrivals?: { readonly dropped: number; readonly planned: number };
  /**
   * Listings a run without a reconciler left short of the truth (`driftUnrepaired`), with each channel's
   * share: said by every gate output whether or not a threshold names `drift_unrepaired` (it changes no
   * exit code — gate it with `drift_unrepaired:count==0`). Absent when no listing was left short.
   */
  readonly driftUnrepaired?: UnrepairedDrift;
  /** Every threshold passed (invariants and dropped arrivals are reported separately). */
  readonly pass: boolean;
}

/** `GateReport.driftUnrepaired`: listings left short and the units they are short by, overall and per channel (channels with none left out). */
export interface UnrepairedDrift {
  readonly listings: number;
  readonly units: number;
  readonly channels: ReadonlyArray<{ readonly channel: string; readonly listings: number; readonly units: number }>;
}

/** One line on unrepaired drift for the gate's outputs: how many listings, by how much, where and why. */
export function describeDriftUnrepaired(drift: UnrepairedDrift): string {
  const plural = (n: number, word: string) => `${formatCount(n)} ${word}${n === 1 ? "" : "s"}`;
  const only = drift.channels.length === 1 ? drift.channels[0] : undefined;
  const where = only !== undefined ? ` (all on ${only.channel})` : drift.channels.length > 1 ? ` (${drift.channels.map((c) => `${c.channel} ${formatCount(c.listings)}`).join(", ")})` : "";
  return `${plural(drift.listings, "listing")} short by ${plural(drift.units, "unit")} in all when the run ended${where}: sales the engine could not account for (lost notifications, oversells against a pending update) and no reconciler to repair them (engine.reconcileInterval: 0). Gate it with drift_unrepaired:count==0.`;
}

export type EvaluateGateResult = { ok: true; report: GateReport } | { ok: false; problems: string[] };

export interface EvaluateGateOptions {
  /** The strategy in the document the thresholds apply to. Default "events". */
  readonly strategy?: string;
}

/** What a metric name means, known without a document: its unit, the aggregations that fit, and where it lives. */
interface MetricSpec {
  readonly unit: MetricUnit;
  readonly allowed: readonly AggregationKind[];
  /** For channels.<id>.<field>. */
  readonly channel?: string;
  readonly field: string;
}

/** A threshold whose metric is known and fits. */
interface CheckedThreshold {
  readonly threshold: Threshold;
  readonly metric: string;
  readonly spec: MetricSpec;
}

interface Measured {
  value: number;
  note?: string;
}

type Measure = (aggregation: Aggregation) => Measured;

const STRATEGY_FIELDS: Readonly<Record<string, { unit: MetricUnit; allowed: readonly AggregationKind[] }>> = {
  sync_lag_ms: { unit: "ms", allowed: LATENCY_AGGREGATIONS },
  accepted_lag_ms: { unit: "ms", allowed: LATENCY_AGGREGATIONS },
  visible_everywhere_ms: { unit: "ms", allowed: LATENCY_AGGREGATIONS },
  not_visible_everywhere: { unit: "count", allowed: COUNT_AGGREGATIONS },
  oversells: { unit: "count", allowed: COUNT_AGGREGATIONS },
  lost_sales: { unit: "count", allowed: COUNT_AGGREGATIONS },
  cancellation_rate: { unit: "ratio", allowed: RATE_AGGREGATIONS },
  dropped_arrivals: { unit: "count", allowed: COUNT_AGGREGATIONS },
  throttled: { unit: "count", allowed: COUNT_AGGREGATIONS },
  api_calls: { unit: "count", allowed: COUNT_AGGREGATIONS },
  cost: { unit: "money", allowed: VALUE_AGGREGATIONS },
  drift_unrepaired: { unit: "count", allowed: COUNT_AGGREGATIONS },
};
const CHANNEL_FIELDS: Readonly<Record<string, { unit: MetricUnit; allowed: readonly AggregationKind[] }>> = {
  sync_lag_ms: { unit: "ms", allowed: LATENCY_AGGREGATIONS },
  accepted_lag_ms: { unit: "ms", allowed: LATENCY_AGGREGATIONS },
  throttled: { unit: "count", allowed: COUNT_AGGREGATIONS },
  api_calls: { unit: "count", allowed: COUNT_AGGREGATIONS },
  oversells: { unit: "count", allowed: COUNT_AGGREGATIONS },
  lost_sales: { unit: "count", allowed: COUNT_AGGREGATIONS },
  cancellation_rate: { unit: "ratio", allowed: RATE_AGGREGATIONS },
  drift_unrepaired: { unit: "count", allowed: COUNT_AGGREGATIONS },
};

export type CheckThresholdsResult = { ok: true; thresholds: Threshold[] } | { ok: false; problems: string[] };

/**
 * Checks threshold texts without a result: syntax, a metric name, a known metric, an aggregation and
 * a unit that fit it, and (when `channels` is given) a known channel id. Lets the CLI refuse a typo
 * before it spends seconds simulating.
 */
export function checkThresholds(texts: readonly string[], options: { readonly channels?: readonly string[] } = {}): CheckThresholdsResult {
  const problems: string[] = [];
  const checked = checkAll(texts, options.channels, problems);
  return problems.length === 0 ? { ok: true, thresholds: checked.map((c) => c.threshold) } : { ok: false, problems };
}

/**
 * Parses `texts` (duplicates are evaluated once) and evaluates them against the chosen strategy of
 * `doc`. Problems (bad syntax, unknown metric or channel, unfitting aggregation or unit, missing data)
 * are all returned at once and nothing is evaluated.
 */
export function evaluateGate(doc: ResultDocument, texts: readonly string[], options: EvaluateGateOptions = {}): EvaluateGateResult {
  const problems: string[] = [];
  const picked = pickStrategy(doc, options.strategy ?? "events");
  if (!picked.ok) problems.push(picked.problem);
  const checked = checkAll(texts, picked.ok ? Object.keys(picked.strategy.channels) : undefined, problems);
  if (!picked.ok || problems.length > 0) return { ok: false, problems };
  const strategy = picked.strategy;
  // A real run that dropped arrivals fails whatever the thresholds: without the count, a pass would be a guess.
  const unknownDrops = missingDroppedArrivals(doc, strategy);
  if (unknownDrops !== undefined) problems.push(unknownDrops);
  const measures: Measure[] = [];
  for (const c of checked) {
    const measure = measurer(doc, strategy, c.spec);
    // Said once above for the whole result: not again for dropped_arrivals.
    if (typeof measure === "string") {
      if (unknownDrops === undefined || c.spec.field !== "dropped_arrivals") problems.push(`threshold ${JSON.stringify(c.threshold.text)}: ${measure}`);
    }
    else measures.push(measure);
  }
  if (problems.length > 0) return { ok: false, problems };

  const outcomes = checked.map(({ threshold, metric, spec }, index): GateOutcome => {
    const { value, note } = (measures[index] as Measure)(threshold.aggregation);
    const { pass } = evaluateThreshold(threshold, value);
    return { threshold, metric, unit: measuredUnit(spec.unit, threshold.aggregation), measured: value, pass, ...(note === undefined ? {} : { note }) };
  });
  const compression = timeCompressionOf(doc);
  const dropped = droppedArrivalsOf(doc, strategy);
  const drift = unrepairedDriftOf(strategy);
  return {
    ok: true,
    report: {
      scenario: doc.scenario.name,
      seed: doc.seed,
      mode: doc.generator.mode,
      ...(compression === undefined ? {} : { timeCompression: compression }),
      ...(dropped === undefined ? {} : { droppedArrivals: dropped }),
      ...(drift === undefined ? {} : { driftUnrepaired: drift }),
      strategy: strategy.strategy,
      currency: strategy.cost.currency,
      reproduce: doc.reproduce,
      outcomes,
      invariantsBroken: strategy.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`),
      pass: outcomes.every((o) => o.pass),
    },
  };
}

/**
 * Why a real result cannot be gated when its strategy lacks `orders.droppedArrivals` (`synclag run`
 * always writes it): the gate fails a real run that dropped arrivals, so an unknown count would pass
 * silently. Undefined for a simulated result (it never drops one) and a real one that has the count.
 */
function missingDroppedArrivals(doc: ResultDocument, strategy: StrategyResult): string | undefined {
  if (doc.generator.mode !== "real") return undefined;
  const dropped = (strategy.orders as { readonly droppedArrivals?: unknown }).droppedArrivals;
  if (typeof dropped === "number" && Number.isFinite(dropped)) return undefined;
  return `this real result has no orders.droppedArrivals for ${strategy.strategy}, so whether its load generator dropped arrivals (which fails a real run) cannot be known: refusing to pass it silently — write it again with synclag run --json (or gate --real --json)`;
}

/**
 * A real run's dropped arrivals when there were any: `orders.droppedArrivals`, out of `load.planned`
 * (or, without it, the arrivals attempted plus those dropped — as the HTML report counts them).
 */
function droppedArrivalsOf(doc: ResultDocument, strategy: StrategyResult): GateReport["droppedArrivals"] {
  if (doc.generator.mode === "simulated") return undefined;
  const dropped = (strategy.orders as { readonly droppedArrivals?: unknown }).droppedArrivals;
  if (typeof dropped !== "number" || !Number.isFinite(dropped) || dropped <= 0) return undefined;
  const planned = (strategy as { readonly load?: { readonly planned?: unknown } }).load?.planned;
  return { dropped, planned: typeof planned === "number" && planned >= dropped ? planned : strategy.orders.attempted + dropped };
}

/** The strategy's unrepaired drift when a listing was left short, with the channels that have some. */
function unrepairedDriftOf(strategy: StrategyResult): UnrepairedDrift | undefined {
  const drift = strategy.driftUnrepaired;
  if (drift === undefined || drift.listings <= 0) return undefined;
  const channels = Object.entries(strategy.channels).flatMap(([channel, c]) => (c.driftUnrepaired !== undefined && c.driftUnrepaired.listings > 0 ? [{ channel, listings: c.driftUnrepaired.listings, units: c.driftUnrepaired.units }] : []));
  return { listings: drift.listings, units: drift.units, channels };
}

/**
 * `drift_unrepaired` (of the strategy, or of one channel): listings left short. A real run excuses no
 * drift (a listing left off fails its convergence check, and the gate exits 3), so it measures 0; a
 * simulated document written before the figure existed cannot be measured, never passed.
 */
function driftMeasure(doc: ResultDocument, strategy: StrategyResult, drift: { readonly listings: number } | undefined, where: string): Measure | string {
  if (drift !== undefined) return () => ({ value: drift.listings });
  if (doc.generator.mode === "real") return () => ({ value: 0, note: "a real run excuses no drift: a listing left off the truth fails its convergence check instead" });
  return `this result has no driftUnrepaired for ${where} (written by an older synclag), so listings left short cannot be counted (refusing to pass it silently): re-run the command in the document's \`reproduce\` field with this version`;
}

function checkAll(texts: readonly string[], channels: readonly string[] | undefined, problems: string[]): CheckedThreshold[] {
  const unique = [...new Set(texts.map((t) => t.trim()))];
  if (unique.length === 0) problems.push("no thresholds: give --threshold 'sync_lag_ms:p(99)<5s' (repeatable) or list them under thresholds: in the scenario file");
  const checked: CheckedThreshold[] = [];
  // Same meaning, different spelling (`count==0` and `count == 0`, `p(99)<5s` and `p(99)<5000`): checked once.
  const meanings = new Set<string>();
  for (const text of unique) {
    const parsed = parseThreshold(text);
    if (!parsed.ok) {
      problems.push(`threshold: ${parsed.problem}`);
      continue;
    }
    const threshold = parsed.threshold;
    const meaning = JSON.stringify([threshold.metric, threshold.aggregation, threshold.operator, threshold.value]);
    if (meanings.has(meaning)) continue;
    meanings.add(meaning);
    const quoted = JSON.stringify(threshold.text);
    const metric = threshold.metric;
    if (metric === undefined) {
      problems.push(`threshold ${quoted} names no metric: write it as METRIC:${threshold.text}, e.g. sync_lag_ms:${threshold.text}`);
      continue;
    }
    const spec = metricSpec(metric, quoted, channels, problems);
    if (!spec) continue;
    if (!spec.allowed.includes(threshold.aggregation.kind)) {
      problems.push(`threshold ${quoted}: ${formatAggregation(threshold.aggregation)} does not fit ${metric} (${describeUnit(spec.unit)}): use ${spec.allowed.map((k) => (k === "percentile" ? "p(N)" : k)).join(", ")}`);
      continue;
    }
    // The parser refuses time units on count/rate and "%" on latencies; the metric decides the rest.
    const unitText = /([a-z%]+)\s*$/i.exec(threshold.text)?.[1];
    if (unitText && unitText !== "%" && spec.unit !== "ms") {
      problems.push(`threshold ${quoted}: the time unit "${unitText}" does not fit ${metric} (${describeUnit(spec.unit)})`);
      continue;
    }
    if (unitText === "%" && spec.unit !== "ratio") {
      problems.push(`threshold ${quoted}: "%" does not fit ${metric} (${describeUnit(spec.unit)})`);
      continue;
    }
    checked.push({ threshold, metric, spec });
  }
  return checked;
}

function metricSpec(metric: string, quoted: string, channels: readonly string[] | undefined, problems: string[]): MetricSpec | undefined {
  const channelMatch = /^channels\.([^.]+)\.([a-z_]+)$/.exec(metric);
  if (channelMatch) {
    const channel = channelMatch[1] as string;
    const field = channelMatch[2] as string;
    if (channels && !channels.includes(channel)) {
      problems.push(`threshold ${quoted}: no channel ${JSON.stringify(channel)} (channels: ${channels.join(", ")})`);
      return undefined;
    }
    const known = CHANNEL_FIELDS[field];
    if (!known) {
      problems.push(`threshold ${quoted}: unknown channel metric "${field}": use ${Object.keys(CHANNEL_FIELDS).map((f) => `channels.${channel}.${f}`).join(", ")}`);
      return undefined;
    }
    return { ...known, channel, field };
  }
  const known = STRATEGY_FIELDS[metric];
  if (!known) {
    problems.push(`threshold ${quoted}: unknown metric "${metric}": use ${Object.keys(STRATEGY_FIELDS).join(", ")}, or channels.<id>.<metric>`);
    return undefined;
  }
  return { ...known, field: metric };
}

/** How to measure a checked metric on this strategy, or a problem (data the document does not carry). */
function measurer(doc: ResultDocument, strategy: StrategyResult, spec: MetricSpec): Measure | string {
  const fixed = (value: number, note?: string): Measure => () => (note === undefined ? { value } : { value, note });
  if (spec.channel !== undefined) {
    const channel = strategy.channels[spec.channel] as ChannelResult;
    switch (spec.field) {
      case "sync_lag_ms":
        return latency(channel.syncLagMs, channel.histograms.syncLagMs);
      case "accepted_lag_ms":
        return latency(channel.acceptedLagMs, channel.histograms.acceptedLagMs);
      case "throttled":
        return fixed(channel.throttled);
      case "api_calls":
        return fixed(channel.apiCalls);
      case "oversells":
        return fixed(channel.oversold);
      case "cancellation_rate":
        // Added to the result document later (optional): an older document cannot be checked, never passed.
        if (channel.cancellationRate === undefined) return `this result has no cancellationRate for channel ${spec.channel} of ${strategy.strategy} (written by an older synclag), so that marketplace's own cancellation rate cannot be checked (refusing to pass it silently; cancellation_rate is every channel's together): re-run the command in the document's \`reproduce\` field with this version`;
        return fixed(channel.cancellationRate);
      case "drift_unrepaired":
        return driftMeasure(doc, strategy, channel.driftUnrepaired, `channel ${spec.channel} of ${strategy.strategy}`);
      default:
        return fixed(channel.lostSales);
    }
  }
  const channels = Object.values(strategy.channels);
  switch (spec.field) {
    case "sync_lag_ms":
      return latency(strategy.syncLagMs, strategy.histograms.syncLagMs);
    case "accepted_lag_ms":
      return latency(strategy.acceptedLagMs, strategy.histograms.acceptedLagMs);
    case "visible_everywhere_ms":
      // Added to the result document later (optional): an older document cannot be checked, never passed.
      if (strategy.visibleEverywhereMs === undefined) return `this result has no visibleEverywhereMs for ${strategy.strategy} (written by an older synclag), so time to visible everywhere cannot be checked (refusing to pass it silently): re-run the command in the document's \`reproduce\` field with this version`;
      return latency(strategy.visibleEverywhereMs, strategy.histograms.visibleEverywhereMs);
    case "not_visible_everywhere":
      // Optional like visibleEverywhereMs: an older document cannot be checked, never passed.
      if (strategy.orders.notVisibleEverywhere === undefined) return `this result has no orders.notVisibleEverywhere for ${strategy.strategy} (written by an older synclag), so sales never visible everywhere cannot be counted (refusing to pass it silently): re-run the command in the document's \`reproduce\` field with this version`;
      return fixed(strategy.orders.notVisibleEverywhere);
    case "oversells":
      return fixed(strategy.orders.oversold);
    case "lost_sales":
      return fixed(strategy.orders.lostSales);
    case "cancellation_rate":
      return fixed(strategy.orders.cancellationRate);
    case "throttled":
      return fixed(channels.reduce((sum, c) => sum + c.throttled, 0));
    case "api_calls":
      return fixed(channels.reduce((sum, c) => sum + c.apiCalls, 0));
    case "cost":
      return fixed(strategy.cost.total);
    case "drift_unrepaired":
      return driftMeasure(doc, strategy, strategy.driftUnrepaired, strategy.strategy);
    default: {
      // dropped_arrivals
      if (doc.generator.mode === "simulated") return fixed(0, "simulated: the open model in virtual time never drops an arrival");
      // The real runner records it beside the other order counts; an older or partial document may not.
      const dropped = (strategy.orders as { readonly droppedArrivals?: unknown }).droppedArrivals;
      if (typeof dropped !== "number") return `this ${doc.generator.mode} result has no orders.droppedArrivals for ${strategy.strategy}, so dropped arrivals cannot be checked (refusing to pass it silently)`;
      return fixed(dropped);
    }
  }
}

/**
 * A latency metric. The figures the summary carries (count, p50, p90, p99, p99.9, max) are read from
 * it, so the gate, the terminal table and the report always agree (and max stays exact: a decoded
 * histogram only knows it to HDR precision); everything else comes from the encoded histogram.
 * Easy to get wrong: the decoded histogram's top is its bucket's highest equivalent value, above the
 * exact max (234,239 for a recorded 234,230). So p(100) is the summary's max (as in k6, where p(100)
 * equals max), and every figure read from the histogram (other percentiles, min, avg) is held to at
 * most the exact max — and at least the exact min when the summary carries one.
 */
function latency(summary: LatencySummary, encoded: string | undefined): Measure {
  let decoded: Histogram | undefined;
  const histogram = () => (decoded ??= Histogram.decode(encoded as string));
  const exactMin = (summary as { readonly min?: unknown }).min;
  const clamp = (value: number) => Math.min(summary.max, typeof exactMin === "number" && Number.isFinite(exactMin) ? Math.max(exactMin, value) : value);
  const noHistogram = { value: Number.NaN, note: "the result carries no encoded histogram for this metric: only count, p(50), p(90), p(99), p(99.9), p(100), med and max can be checked" };
  return (aggregation) => {
      if (aggregation.kind === "count") return { value: summary.count };
      if (summary.count === 0) return { value: Number.NaN, note: "no samples recorded: nothing was measured, so this cannot pass" };
      if (aggregation.kind === "max") return { value: summary.max };
      if (aggregation.kind === "med") return { value: summary.p50 };
      if (aggregation.kind === "percentile") {
        const fromSummary = ({ 50: summary.p50, 90: summary.p90, 99: summary.p99, 99.9: summary.p999, 100: summary.max } as Record<number, number>)[aggregation.p];
        if (fromSummary !== undefined) return { value: fromSummary };
        if (encoded === undefined) return noHistogram;
        return { value: clamp(histogram().percentile(aggregation.p)) };
      }
      if (encoded === undefined) return noHistogram;
      if (aggregation.kind === "min") return { value: clamp(histogram().min) };
      if (aggregation.kind === "avg") return { value: clamp(Math.round(histogram().mean * 1000) / 1000) };
      return { value: Number.NaN };
  };
}

/**
 * The unit of what an aggregation measures: the metric's own unit, except that a count (of a
 * latency's samples) is a plain number and a rate is a 0–1 ratio whatever the metric.
 */
export function measuredUnit(metricUnit: MetricUnit, aggregation: Aggregation): MetricUnit {
  if (aggregation.kind === "count") return "count";
  if (aggregation.kind === "rate") return "ratio";
  return metricUnit;
}

function describeUnit(unit: MetricUnit): string {
  switch (unit) {
    case "ms":
      return "a latency histogram in ms";
    case "count":
      return "a count";
    case "ratio":
      return "a rate (0–1)";
    case "money":
      return "an amount of money";
  }
}
