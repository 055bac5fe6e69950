// Threshold texts as the CLI takes them — `--threshold` flags and a scenario file's `thresholds:` —
// checked one by one, so each problem names where it was written (`--threshold: …`,
// `thresholds.1: …`). On top of the gate's own checks (syntax, metric, aggregation, unit), a
// threshold that can never pass or always passes is refused here, before anything runs: every
// metric is ≥ 0 (a negative bound, or `< 0`), a rate is at most 100 %, and a count is whole.
// Easy to get wrong: the unit is the *measured* one — a latency's `count` is a count, so
// `sync_lag_ms:count<1.5` is as fractional as `oversells:count<1.5`.

import { parseThreshold, type Threshold } from "@synclag/metrics";
import { GATE_METRICS, checkThresholds, type MetricUnit } from "@synclag/report";

/**
 * The problems of one threshold text, each naming the threshold (no "threshold:" prefix: the caller
 * adds where it was written). `channels`: the scenario's channel ids, when known.
 */
export function thresholdProblems(text: string, channels: readonly string[] | undefined): string[] {
  const checked = checkThresholds([text], channels === undefined ? {} : { channels });
  if (!checked.ok) return checked.problems.map((p) => p.replace(/^threshold:? /, ""));
  const parsed = parseThreshold(text);
  if (!parsed.ok) return [parsed.problem];
  const problem = meaningProblem(parsed.threshold);
  return problem === undefined ? [] : [problem];
}

/** Problems of `--threshold` flags (`--threshold: …`). */
export function flagThresholdProblems(texts: readonly string[], channels: readonly string[] | undefined): string[] {
  return texts.flatMap((text) => thresholdProblems(text, channels).map((p) => `--threshold: ${p}`));
}

/** Problems of a scenario file's `thresholds:` list, by path (`thresholds.1: …`); non-strings are the schema's to report. */
export function fileThresholdProblems(texts: readonly unknown[], channels: readonly string[] | undefined): string[] {
  return texts.flatMap((text, index) => (typeof text === "string" ? thresholdProblems(text, channels).map((p) => `thresholds.${index}: ${p}`) : []));
}

/** The unit of what a threshold measures: a latency's count is a count. */
function measuredUnit(threshold: Threshold): MetricUnit | undefined {
  const metric = threshold.metric ?? "";
  const channel = /^channels\.[^.]+\.([a-z_]+)$/.exec(metric);
  const name = channel ? `channels.<id>.${channel[1] ?? ""}` : metric;
  const unit = GATE_METRICS.find((m) => m.name === name)?.unit;
  return unit === "ms" && threshold.aggregation.kind === "count" ? "count" : unit;
}

/** A threshold that is well-formed but can never pass or always passes, as a problem sentence. */
function meaningProblem(threshold: Threshold): string | undefined {
  const unit = measuredUnit(threshold);
  if (unit === undefined) return undefined;
  const { operator, value, text } = threshold;
  const quoted = JSON.stringify(text);
  const metric = threshold.metric ?? "";
  const left = text.slice(0, text.search(/[<>=!]/)).trimEnd();
  const written = text.slice(text.search(/[<>=!]/) + operator.length).trim();
  const verdict = (neverPasses: boolean) => (neverPasses ? "it could never pass" : "it would always pass, checking nothing");
  if (value < 0) {
    const never = operator === "<" || operator === "<=" || operator === "==";
    return `${quoted}: the bound ${written} is negative, but ${metric} is never below 0, so ${verdict(never)}`;
  }
  if (value === 0 && operator === "<") return `${quoted}: ${metric} is never below 0, so it could never pass (use ${left}==0 for "none at all")`;
  // Every metric is ≥ 0: `>= 0` checks nothing (a slip for `<=0` / `==0`, the usual "none at all").
  if (value === 0 && operator === ">=") return `${quoted}: ${metric} is never below 0, so it would always pass, checking nothing (did you mean ${left}<=0 or ${left}==0?)`;
  if (unit === "ratio") {
    if (value > 1) {
      const never = operator === ">" || operator === ">=" || operator === "==";
      return `${quoted}: a rate is at most 100% (1), the bound is ${written}, so ${verdict(never)} (write e.g. ${metric}:rate<2.5%)`;
    }
    if (value === 1 && operator === ">") return `${quoted}: a rate is at most 100% (1), so it could never pass`;
    if (value === 1 && operator === "<=") return `${quoted}: a rate is at most 100% (1), so it would always pass, checking nothing (write e.g. ${metric}:rate<2.5%)`;
  }
  if (unit === "count" && !Number.isInteger(value)) {
    const below = operator === "<" || operator === "<=";
    const above = operator === ">" || operator === ">=";
    const hint = below ? ` (write ${left}<=${Math.floor(value)})` : above ? ` (write ${left}>=${Math.ceil(value)})` : "";
    return `${quoted}: a count is a whole number, the bound ${written} is not${hint}`;
  }
  return undefined;
}
