// The gate as JUnit XML, the format every CI system shows as test results: one <testcase> per
// threshold, a <failure> (message = the measured value against the limit) for each that failed, an
// <error> test case per broken invariant, and one when a real run's load generator dropped arrivals.
// Easy to get wrong: escaping. Thresholds are full of "<" and ">", and a channel id or detail could
// carry "&" or control characters; every attribute and text goes through `escapeXml`, which also
// drops characters XML 1.0 cannot represent at all.

import { formatCount } from "./format.js";
import { describeDroppedArrivals, describeOutcome, formatMeasured } from "./gate-format.js";
import type { GateReport } from "./gate.js";
import { describeCompression } from "./time-compression.js";

export function renderJUnit(report: GateReport): string {
  const outcomes = report.outcomes;
  const failures = outcomes.filter((o) => !o.pass).length;
  const dropped = report.droppedArrivals;
  const errors = report.invariantsBroken.length + (dropped ? 1 : 0);
  const tests = outcomes.length + errors;
  const suiteName = `synclag gate: ${report.scenario} (${report.strategy})`;
  const classname = `synclag.gate.${report.scenario}.${report.strategy}`.replace(/[^A-Za-z0-9_.:-]/g, "_");
  const lines: string[] = [];
  lines.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  lines.push(`<testsuites name="synclag gate" tests="${tests}" failures="${failures}" errors="${errors}" time="0">`);
  lines.push(`  <testsuite name="${attr(suiteName)}" tests="${tests}" failures="${failures}" errors="${errors}" skipped="0" time="0">`);
  lines.push(`    <properties>`);
  const properties: Array<readonly [string, string]> = [["scenario", report.scenario], ["strategy", report.strategy], ["seed", String(report.seed)], ["mode", report.mode], ["reproduce", report.reproduce]];
  if (report.timeCompression) properties.push(["timeCompression", describeCompression(report.timeCompression)]);
  for (const [name, value] of properties) {
    lines.push(`      <property name="${attr(name)}" value="${attr(value)}"/>`);
  }
  lines.push(`    </properties>`);
  for (const outcome of outcomes) {
    const open = `    <testcase classname="${attr(classname)}" name="${attr(outcome.threshold.text)}" time="0">`;
    const measured = `measured ${formatMeasured(outcome, report.currency)}`;
    if (outcome.pass) {
      lines.push(open, `      <system-out>${text(`${describeOutcome(outcome, report.currency)}: pass`)}</system-out>`, `    </testcase>`);
    } else {
      const message = `${outcome.threshold.text} failed: ${measured}`;
      lines.push(open, `      <failure message="${attr(message)}" type="ThresholdFailed">${text(describeOutcome(outcome, report.currency))}</failure>`, `    </testcase>`);
    }
  }
  for (const broken of report.invariantsBroken) {
    lines.push(
      `    <testcase classname="${attr(classname)}" name="${attr(`invariant: ${broken.split(":")[0] ?? broken}`)}" time="0">`,
      `      <error message="${attr(`invariant broken: ${broken}`)}" type="InvariantBroken">${text(`The run broke an invariant, so its figures cannot be trusted. reproduce: ${report.reproduce}`)}</error>`,
      `    </testcase>`,
    );
  }
  if (dropped) {
    lines.push(
      `    <testcase classname="${attr(classname)}" name="load generator: dropped arrivals" time="0">`,
      `      <error message="${attr(`${formatCount(dropped.dropped)} of ${formatCount(dropped.planned)} planned arrivals were dropped (not sent)`)}" type="ArrivalsDropped">${text(`${describeDroppedArrivals(dropped)} reproduce: ${report.reproduce}`)}</error>`,
      `    </testcase>`,
    );
  }
  lines.push(`  </testsuite>`, `</testsuites>`, "");
  return lines.join("\n");
}

/** Escapes for XML text and attribute values, dropping characters XML 1.0 forbids. */
export function escapeXml(value: string): string {
  return value
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

function attr(value: string): string {
  // Newlines in attributes are normalised to spaces by parsers; keep them as character references.
  return escapeXml(value).replace(/\n/g, "&#10;").replace(/\r/g, "&#13;").replace(/\t/g, "&#9;");
}

function text(value: string): string {
  return escapeXml(value);
}
