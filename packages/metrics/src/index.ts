// @synclag/metrics — pure measurement: HDR latency histograms, the in-memory Metrics adapter and
// k6-style thresholds. No I/O; driven by the deterministic simulator, the runner, the CI gate and the report.

// --- Histograms ---
export { DEFAULT_CDF_FRACTIONS, Histogram } from "./histogram.js";
export type { CdfPoint, HistogramOptions, LatencySummary } from "./histogram.js";

// --- In-memory Metrics adapter ---
export { InMemoryMetrics } from "./in-memory-metrics.js";
export type { CounterSeries, HistogramSeries, InMemoryMetricsOptions } from "./in-memory-metrics.js";

// --- Thresholds ---
export { evaluateThreshold, formatAggregation, measureHistogram, parseThreshold, parseThresholds } from "./threshold.js";
export type {
  Aggregation,
  Operator,
  ParseThresholdResult,
  ParseThresholdsResult,
  Threshold,
  ThresholdOutcome,
} from "./threshold.js";
