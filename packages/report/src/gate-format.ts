// How a gate outcome reads in every output (terminal, JUnit, markdown): the measured value in the
// metric's unit, and the limit it was held to. Easy to get wrong: the threshold's value is already
// normalised (ms, or a fraction for "%"), so it must be shown in the metric's unit, not as written.

import { NO_SAMPLES, formatCount, formatMoneyCode, formatMs, formatPercent } from "./format.js";
import type { GateOutcome, GateReport, MetricUnit } from "./gate.js";

/** "253,695 ms (4m14s)", "4", "0.63% (0.006319)", "EUR 250"; "no samples" for NaN. */
export function formatMeasured(outcome: GateOutcome, currency: string): string {
  if (Number.isNaN(outcome.measured)) return NO_SAMPLES;
  return formatInUnit(outcome.measured, outcome.unit, currency);
}

/** "< 5,000 ms (5.00s)", "== 0". */
export function formatLimit(outcome: GateOutcome, currency: string): string {
  return `${outcome.threshold.operator} ${formatInUnit(outcome.threshold.value, outcome.unit, currency)}`;
}

/** One sentence for a failure message: "sync_lag_ms p(99) measured 253,695 ms (4m14s), needs < 5,000 ms (5.00s)". */
export function describeOutcome(outcome: GateOutcome, currency: string): string {
  const aggregation = outcome.threshold.aggregation.kind === "percentile" ? `p(${outcome.threshold.aggregation.p})` : outcome.threshold.aggregation.kind;
  const base = `${outcome.metric} ${aggregation} measured ${formatMeasured(outcome, currency)}, needs ${formatLimit(outcome, currency)}`;
  return outcome.note ? `${base} — ${outcome.note}` : base;
}

function formatInUnit(value: number, unit: MetricUnit, currency: string): string {
  switch (unit) {
    case "ms":
      return value >= 1000 ? `${formatCount(value)} ms (${formatMs(value)})` : `${formatCount(value)} ms`;
    case "count":
      return formatCount(value);
    case "ratio":
      return `${formatPercent(value)} (${String(Math.round(value * 1e6) / 1e6)})`;
    case "money":
      return formatMoneyCode(value, currency);
  }
}

/**
 * The dropped-arrivals warning every gate output carries (terminal, markdown, JUnit), worded as
 * `synclag run` words it: "583 of 1,340 planned arrivals (43.51%) were dropped — …".
 */
export function describeDroppedArrivals(dropped: NonNullable<GateReport["droppedArrivals"]>): string {
  const share = dropped.planned > 0 ? ` (${formatPercent(dropped.dropped / dropped.planned)})` : "";
  return `${formatCount(dropped.dropped)} of ${formatCount(dropped.planned)} planned arrivals${share} were dropped (not sent): the load generator could not send them on time, so this run measured its limits, not the system's, and fails whatever the thresholds say. Give a longer --duration.`;
}
