// k6-style pass/fail thresholds written as strings ("sync_lag_ms:p(99)<5s", "oversells:count==0",
// "rate<2.5%"), parsed and validated up front so a typo fails the gate loudly instead of passing it.
// Easy to get wrong: units. Time units are normalised to milliseconds and "%" to a fraction, so the
// measured side must be in ms (histograms) or a 0–1 ratio (rates). And "p99" is not "p(99)": it is
// refused with a hint rather than read as a metric or a typo that silently never matches.

import type { Histogram } from "./histogram.js";

export type Aggregation =
  | { kind: "percentile"; p: number }
  | { kind: "count" | "rate" | "max" | "min" | "avg" | "med" | "value" };

export type Operator = "<" | "<=" | ">" | ">=" | "==" | "!=";

export interface Threshold {
  /** As written (trimmed), for messages and reports. */
  text: string;
  /** The metric named before ":", absent when the threshold is attached to a metric elsewhere. */
  metric?: string;
  aggregation: Aggregation;
  operator: Operator;
  /** Normalised: milliseconds for time units, a fraction for "%". */
  value: number;
}

export type ParseThresholdResult = { ok: true; threshold: Threshold } | { ok: false; problem: string };
export type ParseThresholdsResult = { ok: true; thresholds: Threshold[] } | { ok: false; problems: string[] };

export interface ThresholdOutcome {
  pass: boolean;
  measured: number;
  threshold: Threshold;
}

const NAMED_AGGREGATIONS = ["count", "rate", "max", "min", "avg", "med", "value"] as const;
type NamedAggregation = (typeof NAMED_AGGREGATIONS)[number];
const OPERATORS: readonly Operator[] = ["<", "<=", ">", ">=", "==", "!="];
const AGGREGATION_HINT = "use p(N), count, rate, max, min, avg, med or value";
const OPERATOR_HINT = "use <, <=, >, >=, == or !=";
const UNIT_HINT = "use ms, s, m, h or %";

/** Decimal exponent that turns the written number into the normalised one, and a factor after that. */
const UNITS: Readonly<Record<string, { exponent: number; factor: number; kind: "time" | "percent" }>> = {
  ms: { exponent: 0, factor: 1, kind: "time" },
  s: { exponent: 3, factor: 1, kind: "time" },
  m: { exponent: 3, factor: 60, kind: "time" },
  h: { exponent: 3, factor: 3600, kind: "time" },
  "%": { exponent: -2, factor: 1, kind: "percent" },
};

export function parseThreshold(text: string): ParseThresholdResult {
  const trimmed = text.trim();
  const quoted = JSON.stringify(trimmed);
  const fail = (problem: string): ParseThresholdResult => ({ ok: false, problem });
  if (trimmed === "") return fail(`empty threshold: write e.g. "p(99)<5s" or "oversells:count==0"`);

  // The operator splits the text; a ":" before it ends the metric name.
  const operatorMatch = /[<>=!]+/u.exec(trimmed);
  if (operatorMatch === null) return fail(`missing operator in ${quoted}: ${OPERATOR_HINT}`);
  const operatorText = operatorMatch[0];
  if (!(OPERATORS as readonly string[]).includes(operatorText)) {
    const hint = operatorText === "=" ? `use "==" to compare for equality` : OPERATOR_HINT;
    return fail(`unknown operator "${operatorText}" in ${quoted}: ${hint}`);
  }
  const operator = operatorText as Operator;
  let left = trimmed.slice(0, operatorMatch.index);
  const right = trimmed.slice(operatorMatch.index + operatorText.length).trim();

  let metric: string | undefined;
  const colon = left.indexOf(":");
  if (colon !== -1) {
    metric = left.slice(0, colon).trim();
    left = left.slice(colon + 1);
    if (metric === "") return fail(`missing metric name before ":" in ${quoted}`);
    // "-" for channel ids (channels.amazon-01.sync_lag_ms): a scenario's ids may carry one.
    if (!/^[a-z0-9_.-]+$/u.test(metric)) {
      return fail(`invalid metric name "${metric}" in ${quoted}: use lowercase letters, digits, "_", "-" and "."`);
    }
  }

  const aggregation = parseAggregation(left.trim(), quoted);
  if (typeof aggregation === "string") return fail(aggregation);

  const value = parseValue(right, aggregation, operator, quoted);
  if (typeof value === "string") return fail(value);

  const threshold: Threshold =
    metric === undefined ? { text: trimmed, aggregation, operator, value } : { text: trimmed, metric, aggregation, operator, value };
  return { ok: true, threshold };
}

/** Parses every text; on any problem returns all of them, in input order. */
export function parseThresholds(texts: readonly string[]): ParseThresholdsResult {
  const thresholds: Threshold[] = [];
  const problems: string[] = [];
  for (const text of texts) {
    const result = parseThreshold(text);
    if (result.ok) thresholds.push(result.threshold);
    else problems.push(result.problem);
  }
  return problems.length === 0 ? { ok: true, thresholds } : { ok: false, problems };
}

/** Compares `measured` against the threshold. NaN never passes (not even `!=`). */
export function evaluateThreshold(threshold: Threshold, measured: number): ThresholdOutcome {
  return { pass: !Number.isNaN(measured) && compare(measured, threshold.operator, threshold.value), measured, threshold };
}

/**
 * The measured side for a histogram metric: count, min, max, avg (mean), med (p50) or a percentile.
 * Undefined for `rate` and `value`, which are not properties of a histogram.
 */
export function measureHistogram(histogram: Histogram, aggregation: Aggregation): number | undefined {
  switch (aggregation.kind) {
    case "percentile":
      return histogram.percentile(aggregation.p);
    case "count":
      return histogram.count;
    case "max":
      return histogram.max;
    case "min":
      return histogram.min;
    case "avg":
      return histogram.mean;
    case "med":
      return histogram.percentile(50);
    case "rate":
    case "value":
      return undefined;
  }
}

/** Renders an aggregation back as written: `p(99.9)`, `count`. */
export function formatAggregation(aggregation: Aggregation): string {
  return aggregation.kind === "percentile" ? `p(${aggregation.p})` : aggregation.kind;
}

function compare(measured: number, operator: Operator, value: number): boolean {
  switch (operator) {
    case "<":
      return measured < value;
    case "<=":
      return measured <= value;
    case ">":
      return measured > value;
    case ">=":
      return measured >= value;
    case "==":
      return measured === value;
    case "!=":
      return measured !== value;
  }
}

/** The aggregation, or a problem sentence. */
function parseAggregation(text: string, quoted: string): Aggregation | string {
  if (text === "") return `missing aggregation before the operator in ${quoted}: ${AGGREGATION_HINT}`;
  if ((NAMED_AGGREGATIONS as readonly string[]).includes(text)) return { kind: text as NamedAggregation };

  const bare = /^p(\d+(?:\.\d+)?)$/u.exec(text);
  if (bare !== null) return `unknown aggregation "${text}" in ${quoted}: use p(${bare[1] ?? ""})`;

  if (/^p\s*\(/u.test(text)) {
    const call = /^p\s*\(\s*([^()]*?)\s*\)$/u.exec(text);
    if (call === null) return `malformed percentile "${text}" in ${quoted}: write p(N), e.g. p(99) or p(99.9)`;
    const argument = call[1] ?? "";
    if (!/^\d+(?:\.\d+)?$/u.test(argument)) {
      return `"${text}" is not a percentile in ${quoted}: N in p(N) must be a number with 0 < N ≤ 100`;
    }
    const p = Number(argument);
    if (!(p > 0 && p <= 100)) return `p(${argument}) is not a percentile in ${quoted}: use p(N) with 0 < N ≤ 100`;
    return { kind: "percentile", p };
  }
  return `unknown aggregation "${text}" in ${quoted}: ${AGGREGATION_HINT}`;
}

/** The normalised number, or a problem sentence. */
function parseValue(text: string, aggregation: Aggregation, operator: Operator, quoted: string): number | string {
  if (text === "") return `missing value after "${operator}" in ${quoted}`;
  const match = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*([a-z%]*)$/iu.exec(text);
  if (match === null) return `invalid value "${text}" in ${quoted}: write a number with an optional unit (ms, s, m, h or %)`;
  const digits = match[1] ?? "";
  const unitText = match[2] ?? "";
  if (unitText === "") return Number(digits);

  const unit = Object.hasOwn(UNITS, unitText) ? UNITS[unitText] : undefined; // not "constructor" & co.
  if (unit === undefined) return `unknown unit "${unitText}" in ${quoted}: ${UNIT_HINT}`;
  const kind = aggregation.kind;
  if (unit.kind === "time" && (kind === "count" || kind === "rate")) {
    return `unit "${unitText}" does not fit ${kind} in ${quoted}: ${kind} is ${kind === "count" ? "a number of events" : "a fraction"}, not a duration`;
  }
  if (unit.kind === "percent" && kind !== "rate" && kind !== "value") {
    return `unit "%" does not fit ${formatAggregation(aggregation)} in ${quoted}: "%" is for rate (and value)`;
  }
  // Shift the decimal point in the text, not in binary floating point: 1.1s → 1100, not 1100.0000000000002.
  return Number(`${digits}e${unit.exponent}`) * unit.factor + 0;
}
