// @synclag/report — renderers over the result document, so the CLI commands stay thin: threshold
// evaluation for the CI gate (→ JUnit XML, markdown summary) and the cost projection. The HTML report
// is the second entry point, `@synclag/report/html`: it loads the charting library (about a second
// of start-up), which the gate and every other command should not pay for. Pure: text in, text out;
// reading and writing files is the caller's job.

// --- Result documents ---
export { parseResultDocument, pickStrategy, validateResultDocument } from "./result-document.js";
export type { ParseResultDocumentResult } from "./result-document.js";

// --- Gate ---
export { GATE_METRICS, checkThresholds, describeDriftUnrepaired, evaluateGate } from "./gate.js";
export type { CheckThresholdsResult, EvaluateGateOptions, EvaluateGateResult, GateOutcome, GateReport, MetricUnit, UnrepairedDrift } from "./gate.js";
export { describeDroppedArrivals, describeOutcome, formatLimit, formatMeasured } from "./gate-format.js";
export { escapeXml, renderJUnit } from "./junit.js";
export { renderGateSummary } from "./markdown-summary.js";

// --- Cost ---
export { DEFAULT_FLASH_SALES_PER_YEAR, costModelOf, firstFlashStartMs, flashSalesPerYearProblem, maxFlashSalesPerYear, projectCost } from "./cost-projection.js";
export type { CostProjection, CostProjectionOptions } from "./cost-projection.js";

// --- A real run's time compression ---
export { describeCompression, formatFactor, timeCompressionOf } from "./time-compression.js";
export type { TimeCompression } from "./time-compression.js";

// --- Formatting (shared with the terminal renderers) ---
export { NO_SAMPLES, formatCount, formatElapsedMinutes, formatLag, formatMoney, formatMoneyCode, formatMs, formatMsWords, formatPercent, formatShare, formatWindowMean, lagValue } from "./format.js";
export type { LagSamples } from "./format.js";
