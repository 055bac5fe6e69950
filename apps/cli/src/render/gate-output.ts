// The gate's terminal output: one line per threshold (PASS/FAIL, the threshold as written, the
// measured value), a warning when a real run dropped arrivals, a note when a run without a reconciler
// left listings short (unrepaired drift), a verdict line naming the exit code.
// Fits 80 columns: a long threshold pushes its measured value onto the next line instead of wrapping
// mid-word. Coloured on a TTY, plain otherwise.
// Easy to get wrong: colour codes have no width — pad the plain text first, colour it afterwards.
// The `reproduce:` command line is not part of this: the command prints it to stderr, unwrapped.

import pc from "picocolors";
import { describeCompression, describeDriftUnrepaired, describeDroppedArrivals, formatLimit, formatMeasured, type GateReport } from "@synclag/report";

const WIDTH = 80;
const STATUS_WIDTH = 6;

export function renderGate(report: GateReport, options: { readonly color: boolean }): string {
  const c = options.color ? pc : pc.createColors(false);
  const lines: string[] = [];
  lines.push(c.bold(`synclag gate · ${report.scenario} · ${report.strategy}`) + c.dim(` · ${report.mode} · seed ${report.seed}`));
  if (report.timeCompression) lines.push(c.dim(`  ${describeCompression(report.timeCompression)}`));
  const textWidth = Math.min(44, Math.max(...report.outcomes.map((o) => o.threshold.text.length), 10));
  for (const outcome of report.outcomes) {
    const status = outcome.pass ? c.green("PASS".padEnd(STATUS_WIDTH)) : c.red(c.bold("FAIL".padEnd(STATUS_WIDTH)));
    const measured = formatMeasured(outcome, report.currency);
    const text = outcome.threshold.text;
    const oneLine = 2 + STATUS_WIDTH + Math.max(text.length, textWidth) + 2 + measured.length <= WIDTH && text.length <= textWidth;
    if (oneLine) lines.push(`  ${status}${text.padEnd(textWidth)}  ${outcome.pass ? measured : c.red(measured)}`);
    else {
      lines.push(`  ${status}${text}`);
      lines.push(`  ${" ".repeat(STATUS_WIDTH)}${c.dim("measured")} ${outcome.pass ? measured : c.red(measured)}`);
    }
    if (!outcome.pass && !Number.isNaN(outcome.measured)) lines.push(`  ${" ".repeat(STATUS_WIDTH)}${c.dim(`needs ${formatLimit(outcome, report.currency)}`)}`);
    if (outcome.note) lines.push(`  ${" ".repeat(STATUS_WIDTH)}${c.dim(outcome.note)}`);
  }
  const failed = report.outcomes.filter((o) => !o.pass).length;
  const dropped = report.droppedArrivals;
  // Before the verdict, as `synclag run` warns: such a run measured the load generator, not sync.
  if (dropped) for (const line of wrap(`WARNING: ${describeDroppedArrivals(dropped)}`, WIDTH)) lines.push(c.red(c.bold(line)));
  // Said whether or not a threshold names drift_unrepaired: the checks pass on it, so nothing else would.
  if (report.driftUnrepaired) for (const line of wrap(`note: unrepaired drift: ${describeDriftUnrepaired(report.driftUnrepaired)}`, WIDTH)) lines.push(c.yellow(line));
  if (report.invariantsBroken.length > 0) {
    lines.push(c.red(c.bold(`invariant broken: the run cannot be trusted → exit 3`)));
    for (const broken of report.invariantsBroken) lines.push(c.red(`  ${broken}`));
  } else if (failed === 0 && dropped) lines.push(c.red(c.bold(`${report.outcomes.length === 1 ? "1 threshold" : `all ${report.outcomes.length} thresholds`} passed, but arrivals were dropped → exit 1`)));
  else if (failed === 0) lines.push(c.green(`${report.outcomes.length === 1 ? "1 threshold" : `all ${report.outcomes.length} thresholds`} passed → exit 0`));
  else lines.push(c.red(c.bold(`${report.outcomes.length === 1 ? "1 threshold" : `${failed} of ${report.outcomes.length} thresholds`} failed → exit 1`)));
  return lines.join("\n");
}

/** Words into lines of at most `width` columns, continuation lines indented by two. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    const candidate = line === "" ? word : `${line} ${word}`;
    if (candidate.length > width && line !== "") {
      lines.push(line);
      line = `  ${word}`;
    } else line = candidate;
  }
  if (line !== "") lines.push(line);
  return lines;
}
