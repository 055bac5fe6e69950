// The gate as a markdown summary for a CI job page (GitHub's $GITHUB_STEP_SUMMARY, GitLab and others
// render the same GitHub-flavoured markdown): verdict first, then one table row per threshold. A real
// run whose load generator dropped arrivals fails, with a warning above the table; listings a run
// without a reconciler left short (unrepaired drift) are noted there too, threshold or not.
// Easy to get wrong: table cells. A "|" in a threshold or a note ends the cell, and backticks inside
// code spans break them — both are escaped or avoided here.

import { describeDroppedArrivals, formatLimit, formatMeasured } from "./gate-format.js";
import { describeDriftUnrepaired, type GateReport } from "./gate.js";
import { describeCompression } from "./time-compression.js";

export function renderGateSummary(report: GateReport): string {
  const failed = report.outcomes.filter((o) => !o.pass).length;
  const dropped = report.droppedArrivals;
  const verdict =
    report.invariantsBroken.length > 0
      ? "⚠️ invariant broken"
      : report.pass
        ? dropped
          ? "❌ failed (arrivals dropped)"
          : "✅ passed"
        : `❌ failed (${failed} of ${report.outcomes.length} thresholds${dropped ? "; arrivals dropped" : ""})`;
  const lines: string[] = [];
  lines.push(`### synclag gate ${verdict}`);
  lines.push("");
  const compression = report.timeCompression ? ` · ${describeCompression(report.timeCompression)}` : "";
  lines.push(`Scenario **${cell(report.scenario)}**, strategy **${cell(report.strategy)}** · ${report.mode}${cell(compression)} · seed ${report.seed}`);
  lines.push("");
  if (dropped) {
    lines.push(`> ⚠️ **Dropped arrivals:** ${cell(describeDroppedArrivals(dropped))}`);
    lines.push("");
  }
  if (report.driftUnrepaired) {
    lines.push(`> ℹ️ **Unrepaired drift:** ${cell(describeDriftUnrepaired(report.driftUnrepaired))}`);
    lines.push("");
  }
  lines.push("| | threshold | measured | limit |");
  lines.push("|---|---|---|---|");
  for (const outcome of report.outcomes) {
    const note = outcome.note ? ` <br>${cell(outcome.note)}` : "";
    lines.push(`| ${outcome.pass ? "✅" : "❌"} | ${code(outcome.threshold.text)} | ${cell(formatMeasured(outcome, report.currency))}${note} | ${cell(formatLimit(outcome, report.currency))} |`);
  }
  if (report.invariantsBroken.length > 0) {
    lines.push("");
    lines.push("**Invariants broken — the figures above cannot be trusted:**");
    for (const broken of report.invariantsBroken) lines.push(`- ${cell(broken)}`);
  }
  lines.push("");
  lines.push(`Reproduce: ${code(report.reproduce)}`);
  lines.push("");
  return lines.join("\n");
}

/** Text in a table cell: pipes escaped, newlines flattened, HTML-ish characters neutralised. */
function cell(value: string): string {
  return value.replace(/\r?\n/g, " ").replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A code span that survives backticks in the text (a longer fence) and pipes (escaped even in code, per GFM tables). */
function code(value: string): string {
  const flat = value.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
  const longestRun = Math.max(0, ...[...flat.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longestRun + 1);
  const pad = flat.startsWith("`") || flat.endsWith("`") ? " " : "";
  return `${fence}${pad}${flat}${pad}${fence}`;
}
