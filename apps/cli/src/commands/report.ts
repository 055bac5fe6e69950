// `synclag report RESULT.json`: turns a result document (from `compare --json`, `gate --json` or
// `run --json`) into one self-contained HTML file a client can open offline and keep. Easy to get
// wrong: a half-valid document. It is validated field by field first (exit 2 naming every problem),
// so a truncated file never produces a report with silent gaps.

import { readFileSync } from "node:fs";
import { Command } from "commander";
import { DEFAULT_FLASH_SALES_PER_YEAR, flashSalesPerYearProblem, maxFlashSalesPerYear, parseResultDocument } from "@synclag/report";
import type { ResultDocument } from "@synclag/sim";
import { describeReadError } from "@synclag/workload";
import { UsageError } from "../cli-error.js";
import { STDOUT, checkDistinctOutputs, checkOutputPath, writeOutput } from "../output.js";
import { listsParseProblems, parseProblems } from "../parse-problems.js";

export function reportCommand(): Command {
  return listsParseProblems(new Command("report"))
    .description("Write a self-contained HTML report (opens offline, no network requests) from a result document: cost per flash sale and per year, oversells, cancellations, lag charts, every assumption.")
    .argument("<result.json>", "a result document written by synclag compare --json (or gate --json)")
    .option("--out <file>", "the HTML file to write (- for stdout)", "report.html")
    .option("--flash-sales-per-year <n>", `flash sales a year, for the per-year cost (default ${DEFAULT_FLASH_SALES_PER_YEAR})`)
    .addHelpText("after", "\nExamples:\n  npx synclag compare --scenario flash-sale --json result.json\n  npx synclag report result.json --out flash-sale.html\n\n--flash-sales-per-year × the run's hours may be at most the 8,760 hours of a year.\n\nExit codes: 0 written, 2 bad flags or an unreadable/invalid result file (every\nproblem listed, nothing written).\nDetails: docs/report.md")
    .action(async (resultPath: string | undefined, opts: { out: string; flashSalesPerYear?: string }, command: Command) => {
      const problems = parseProblems(command);
      const flashSalesPerYear = parseFlashSalesPerYear(opts.flashSalesPerYear, problems);
      let text: string | undefined;
      if (resultPath !== undefined) {
        try {
          text = readFileSync(resultPath, "utf8");
        } catch (error) {
          problems.push(`cannot read ${resultPath}: ${describeReadError(error)}`);
        }
      }
      const parsed = text === undefined || resultPath === undefined ? undefined : parseResultDocument(text, resultPath);
      if (parsed && !parsed.ok) problems.push(...parsed.problems);
      // A --flash-sales-per-year already refused is not checked again as the default.
      if (parsed?.ok && (opts.flashSalesPerYear === undefined || flashSalesPerYear !== undefined)) checkFlashSalesFitAYear(parsed.doc.scenario, flashSalesPerYear, problems);
      checkOutputPath("--out", opts.out, problems);
      checkDistinctOutputs([["--out", opts.out]], problems, [["the result document", resultPath]]);
      if (problems.length > 0 || !parsed?.ok) throw new UsageError(problems);
      // Loaded here, not at start-up: the charting library costs a second every other command would pay.
      const { renderReportHtml } = await import("@synclag/report/html");
      const html = renderReportHtml(parsed.doc, flashSalesPerYear === undefined ? {} : { flashSalesPerYear });
      writeReport(opts.out, html);
    });
}

/**
 * A plain decimal number, `_` between digits allowed ("2_000", "0.5", "-5"): not "0x0C", "1e1" or
 * "Infinity", which `Number()` would read as 12, 10 and a figure. The rule of every number `demo` and
 * `report` take.
 */
export const PLAIN_NUMBER = /^[+-]?(?:\d+(?:_\d+)*(?:\.\d+)?|\.\d+)$/;

/**
 * `--flash-sales-per-year`: a plain decimal ≥ 0 (PLAIN_NUMBER), or a problem. Shared with `demo`. Its
 * upper bound is the year's hours, checked against the run (checkFlashSalesFitAYear): several flash
 * sales a day are a real business (hourly deals), so there is no calendar cap.
 */
export function parseFlashSalesPerYear(text: string | undefined, problems: string[]): number | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  const value = PLAIN_NUMBER.test(trimmed) ? Number(trimmed.replace(/_/g, "")) : Number.NaN;
  if (!Number.isFinite(value) || value < 0) {
    problems.push(`--flash-sales-per-year must be a number ≥ 0, got ${JSON.stringify(text)}`);
    return undefined;
  }
  return value;
}

/**
 * The flash sales of a year cannot take more hours than the year has (365 runs of 26 hours are 9,490 h):
 * the per-year formula would subtract a negative. Only a run with a flash sale uses the count.
 * `flashSalesPerYear` undefined: the default (said so). `runWords` says what the run is made of (demo).
 */
export function checkFlashSalesFitAYear(run: { readonly durationMs: number; readonly curve: ResultDocument["scenario"]["curve"] }, flashSalesPerYear: number | undefined, problems: string[], runWords = ""): void {
  // As the projection decides it: a window above 1× that starts within the run.
  if (!run.curve.some((w) => w.multiplier > 1 && w.durationMs > 0 && w.startMs < run.durationMs)) return;
  const n = flashSalesPerYear ?? DEFAULT_FLASH_SALES_PER_YEAR;
  const problem = flashSalesPerYearProblem(n, run.durationMs);
  if (problem === undefined) return;
  const max = maxFlashSalesPerYear(run.durationMs);
  const fix = max >= 1 ? `give --flash-sales-per-year ${max} or fewer` : "the run is longer than a year";
  problems.push(`--flash-sales-per-year ${n}${flashSalesPerYear === undefined ? " (the default)" : ""}${runWords}: ${problem} (${fix}${runWords === "" ? "" : ", or a shorter --flash-duration"})`);
}

/** Writes the page (--out, checked with checkOutputPath before the run) and says where, and how big (the goal is small enough to e-mail). */
export function writeReport(path: string, html: string): void {
  if (path === STDOUT) {
    process.stdout.write(html);
    return;
  }
  writeOutput("--out", path, html);
  process.stderr.write(`report written to ${path} (${Math.ceil(Buffer.byteLength(html) / 1024)} KB, self-contained: open it in any browser, offline)\n`);
}
