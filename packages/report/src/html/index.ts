// @synclag/report/html — the self-contained HTML report (result document → one HTML string). A
// separate entry point because it loads Apache ECharts; import it lazily (`await import(...)`) from
// commands that may not need it.

export { renderReportHtml } from "./report-html.js";
export type { ReportData, ReportHtmlOptions } from "./report-html.js";
export { CANCELLATION_RATE_LIMIT } from "./channel-cancellation.js";
