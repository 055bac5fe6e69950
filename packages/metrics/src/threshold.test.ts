import { describe, expect, it } from "vitest";
import { Histogram } from "./histogram.js";
import { evaluateThreshold, formatAggregation, measureHistogram, parseThreshold, parseThresholds } from "./threshold.js";
import type { Aggregation, Operator, Threshold } from "./threshold.js";

function parsed(text: string): Threshold {
  const result = parseThreshold(text);
  if (!result.ok) throw new Error(`expected "${text}" to parse, got: ${result.problem}`);
  return result.threshold;
}

describe("parseThreshold", () => {
  it.each<[string, Omit<Threshold, "text">]>([
    ["p(99)<5000", { aggregation: { kind: "percentile", p: 99 }, operator: "<", value: 5000 }],
    ["p(99.9)<=250ms", { aggregation: { kind: "percentile", p: 99.9 }, operator: "<=", value: 250 }],
    ["p(100) < 1", { aggregation: { kind: "percentile", p: 100 }, operator: "<", value: 1 }],
    ["p(99)<5s", { aggregation: { kind: "percentile", p: 99 }, operator: "<", value: 5000 }],
    ["p(50)<1.1s", { aggregation: { kind: "percentile", p: 50 }, operator: "<", value: 1100 }],
    ["max<2m", { aggregation: { kind: "max" }, operator: "<", value: 120_000 }],
    ["avg < 0.5h", { aggregation: { kind: "avg" }, operator: "<", value: 1_800_000 }],
    ["rate<2.5%", { aggregation: { kind: "rate" }, operator: "<", value: 0.025 }],
    ["rate<=0.01", { aggregation: { kind: "rate" }, operator: "<=", value: 0.01 }],
    ["count==0", { aggregation: { kind: "count" }, operator: "==", value: 0 }],
    ["count!=3", { aggregation: { kind: "count" }, operator: "!=", value: 3 }],
    ["min>=10", { aggregation: { kind: "min" }, operator: ">=", value: 10 }],
    ["med>1", { aggregation: { kind: "med" }, operator: ">", value: 1 }],
    ["value>-1", { aggregation: { kind: "value" }, operator: ">", value: -1 }],
    ["value<50%", { aggregation: { kind: "value" }, operator: "<", value: 0.5 }],
    ["sync_lag_ms:p(99)<5s", { metric: "sync_lag_ms", aggregation: { kind: "percentile", p: 99 }, operator: "<", value: 5000 }],
    ["oversells:count==0", { metric: "oversells", aggregation: { kind: "count" }, operator: "==", value: 0 }],
    [
      "  channels.amazon.sync_lag_ms : p( 99.99 ) <= 1.5 s ",
      { metric: "channels.amazon.sync_lag_ms", aggregation: { kind: "percentile", p: 99.99 }, operator: "<=", value: 1500 },
    ],
  ])("parses %j", (text, expected) => {
    expect(parsed(text)).toEqual({ text: text.trim(), ...expected });
  });

  it("accepts a channel id with '-' in the metric name (scenario ids such as amazon-01)", () => {
    expect(parsed("channels.amazon-01.sync_lag_ms:p(99)<5m")).toMatchObject({ metric: "channels.amazon-01.sync_lag_ms", value: 300_000 });
  });

  it("leaves metric out when there is no prefix (rather than setting it to undefined)", () => {
    expect("metric" in parsed("p(99)<5000")).toBe(false);
  });

  it.each<[string, string]>([
    ["p99<5000", 'unknown aggregation "p99" in "p99<5000": use p(99)'],
    ["p(0)<5", 'p(0) is not a percentile in "p(0)<5": use p(N) with 0 < N ≤ 100'],
    ["p(100.5)<5", 'p(100.5) is not a percentile in "p(100.5)<5": use p(N) with 0 < N ≤ 100'],
    ["p(99)5000", 'missing operator in "p(99)5000": use <, <=, >, >=, == or !='],
    ["count=0", 'unknown operator "=" in "count=0": use "==" to compare for equality'],
    ["count=>0", 'unknown operator "=>" in "count=>0": use <, <=, >, >=, == or !='],
    ["count<<0", 'unknown operator "<<" in "count<<0": use <, <=, >, >=, == or !='],
    ["", 'empty threshold: write e.g. "p(99)<5s" or "oversells:count==0"'],
    ["<5", 'missing aggregation before the operator in "<5": use p(N), count, rate, max, min, avg, med or value'],
    ["mean<5", 'unknown aggregation "mean" in "mean<5": use p(N), count, rate, max, min, avg, med or value'],
    ["p(99<5", 'malformed percentile "p(99" in "p(99<5": write p(N), e.g. p(99) or p(99.9)'],
    ["p(x)<5", '"p(x)" is not a percentile in "p(x)<5": N in p(N) must be a number with 0 < N ≤ 100'],
    ["count==", 'missing value after "==" in "count=="'],
    ["p(99)<fast", 'invalid value "fast" in "p(99)<fast": write a number with an optional unit (ms, s, m, h or %)'],
    ["p(99)<5sec", 'unknown unit "sec" in "p(99)<5sec": use ms, s, m, h or %'],
    ["p(99)<5 S", 'unknown unit "S" in "p(99)<5 S": use ms, s, m, h or %'],
    ["p(99)<5constructor", 'unknown unit "constructor" in "p(99)<5constructor": use ms, s, m, h or %'],
    ["count<5s", 'unit "s" does not fit count in "count<5s": count is a number of events, not a duration'],
    ["rate<5ms", 'unit "ms" does not fit rate in "rate<5ms": rate is a fraction, not a duration'],
    ["p(99)<5%", 'unit "%" does not fit p(99) in "p(99)<5%": "%" is for rate (and value)'],
    [":count==0", 'missing metric name before ":" in ":count==0"'],
    ["Sync-Lag:count==0", 'invalid metric name "Sync-Lag" in "Sync-Lag:count==0": use lowercase letters, digits, "_", "-" and "."'],
  ])("refuses %j, saying what is wrong", (text, problem) => {
    expect(parseThreshold(text)).toEqual({ ok: false, problem });
  });
});

describe("parseThresholds", () => {
  it("returns every threshold when all parse", () => {
    const result = parseThresholds(["p(99)<5s", "oversells:count==0"]);
    expect(result.ok && result.thresholds.map((t) => t.text)).toEqual(["p(99)<5s", "oversells:count==0"]);
  });

  it("returns all problems at once, in input order", () => {
    const result = parseThresholds(["p99<5000", "p(99)<5s", "count=0", "p(0)<1"]);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.map((problem) => problem.split(" in ")[0])).toEqual([
      'unknown aggregation "p99"',
      'unknown operator "="',
      "p(0) is not a percentile",
    ]);
  });
});

describe("evaluateThreshold", () => {
  it.each<[Operator, number, boolean]>([
    ["<", 99, true],
    ["<", 100, false],
    ["<=", 100, true],
    ["<=", 101, false],
    [">", 101, true],
    [">", 100, false],
    [">=", 100, true],
    [">=", 99, false],
    ["==", 100, true],
    ["==", 100.5, false],
    ["!=", 99, true],
    ["!=", 100, false],
  ])("%s 100 with measured %d: pass is %s", (operator, measured, pass) => {
    const threshold = parsed(`max${operator}100`);
    expect(evaluateThreshold(threshold, measured)).toEqual({ pass, measured, threshold });
  });

  it("never passes NaN, not even with !=", () => {
    expect(evaluateThreshold(parsed("count!=0"), Number.NaN).pass).toBe(false);
    expect(evaluateThreshold(parsed("count<1"), Number.NaN).pass).toBe(false);
  });

  it("compares normalised units: p(99)<5s against milliseconds, rate<2.5% against a fraction", () => {
    expect(evaluateThreshold(parsed("p(99)<5s"), 4999).pass).toBe(true);
    expect(evaluateThreshold(parsed("p(99)<5s"), 5000).pass).toBe(false);
    expect(evaluateThreshold(parsed("rate<2.5%"), 0.02).pass).toBe(true);
    expect(evaluateThreshold(parsed("rate<2.5%"), 0.03).pass).toBe(false);
  });
});

describe("measureHistogram", () => {
  it("reads each aggregation from a histogram, and nothing for rate and value", () => {
    const histogram = new Histogram();
    for (let v = 1; v <= 1000; v++) histogram.record(v);
    const read = (aggregation: Aggregation): number | undefined => measureHistogram(histogram, aggregation);
    expect(read({ kind: "percentile", p: 99 })).toBe(990);
    expect(read({ kind: "med" })).toBe(500);
    expect(read({ kind: "count" })).toBe(1000);
    expect(read({ kind: "max" })).toBe(1000);
    expect(read({ kind: "min" })).toBe(1);
    expect(read({ kind: "avg" })).toBe(500.5);
    expect(read({ kind: "rate" })).toBeUndefined();
    expect(read({ kind: "value" })).toBeUndefined();
  });

  it("formats aggregations back as written", () => {
    expect(formatAggregation(parsed("p(99.9)<1").aggregation)).toBe("p(99.9)");
    expect(formatAggregation(parsed("count==0").aggregation)).toBe("count");
  });
});
