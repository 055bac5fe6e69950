import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { realDoc, smallDoc } from "../test/fixtures.js";
import { formatCount } from "./format.js";
import { describeOutcome, formatLimit, formatMeasured } from "./gate-format.js";
import { evaluateGate, type GateOutcome, type GateReport } from "./gate.js";
import { escapeXml, renderJUnit } from "./junit.js";
import { renderGateSummary } from "./markdown-summary.js";

async function report(texts: string[]): Promise<GateReport> {
  const result = evaluateGate(await smallDoc(), texts, { strategy: "polling:15m" });
  if (!result.ok) throw new Error(result.problems.join("\n"));
  return result.report;
}

interface TestCase {
  "@_name": string;
  "@_classname": string;
  failure?: { "@_message": string; "@_type": string; "#text": string };
  error?: { "@_message": string };
  "system-out"?: string;
}

function parse(xml: string) {
  expect(XMLValidator.validate(xml)).toBe(true);
  const parser = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === "testcase" || name === "testsuite" || name === "property" });
  return parser.parse(xml) as { testsuites: { "@_tests": string; "@_failures": string; testsuite: Array<{ "@_name": string; "@_tests": string; "@_failures": string; "@_errors": string; testcase: TestCase[] }> } };
}

describe("renderJUnit", () => {
  it("writes valid JUnit XML with one test case per threshold and the failing one's measured value", async () => {
    const gate = await report(["oversells:count==0", "accepted_lag_ms:p(99)<20m", "cancellation_rate:rate<50%"]);
    const xml = renderJUnit(gate);
    const doc = parse(xml);
    const suite = doc.testsuites.testsuite[0];
    expect(doc.testsuites["@_tests"]).toBe("3");
    expect(doc.testsuites["@_failures"]).toBe("1");
    expect(suite?.["@_tests"]).toBe("3");
    expect(suite?.["@_failures"]).toBe("1");
    expect(suite?.["@_errors"]).toBe("0");
    const cases = suite?.testcase ?? [];
    expect(cases.map((c) => c["@_name"])).toEqual(["oversells:count==0", "accepted_lag_ms:p(99)<20m", "cancellation_rate:rate<50%"]);
    const oversold = gate.outcomes[0]?.measured;
    expect(oversold).toBeGreaterThan(0);
    expect(cases[0]?.failure?.["@_message"]).toBe(`oversells:count==0 failed: measured ${oversold}`);
    expect(cases[0]?.failure?.["#text"]).toContain(`measured ${oversold}, needs == 0`);
    expect(cases[1]?.failure).toBeUndefined();
    expect(cases[1]?.["system-out"]).toContain("pass");
  });

  it("reports a broken invariant as an error test case", async () => {
    const gate = { ...(await report(["oversells:count>=0"])), invariantsBroken: ["stock never negative: SKU-0001 went to -1"] };
    const suite = parse(renderJUnit(gate)).testsuites.testsuite[0];
    expect(suite?.["@_errors"]).toBe("1");
    expect(suite?.testcase[1]?.error?.["@_message"]).toContain("SKU-0001 went to -1");
  });

  it("escapes markup and drops characters XML cannot hold, so odd names still parse", async () => {
    const gate = { ...(await report(["oversells:count>=0"])), scenario: `a<b>&"c'\u0001d` };
    const xml = renderJUnit(gate);
    expect(parse(xml).testsuites.testsuite[0]?.["@_name"]).toBe(`synclag gate: a<b>&"c'd (polling:15m)`);
    expect(escapeXml("1 < 2 & \u0000")).toBe("1 &lt; 2 &amp; ");
  });
});

describe("renderGateSummary", () => {
  it("leads with the verdict and gives one table row per threshold with measured value and limit", async () => {
    const gate = await report(["oversells:count==0", "accepted_lag_ms:p(99)<20m"]);
    const markdown = renderGateSummary(gate);
    const lines = markdown.split("\n");
    expect(lines[0]).toBe("### synclag gate ❌ failed (1 of 2 thresholds)");
    const rows = lines.filter((l) => l.startsWith("| ❌") || l.startsWith("| ✅"));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain("`oversells:count==0`");
    expect(rows[0]).toContain(`| ${gate.outcomes[0]?.measured} |`);
    expect(markdown).toContain(`Reproduce: \``);
  });

  it("keeps a pipe in a threshold from breaking the table", async () => {
    const gate = await report(["oversells:count>=0"]);
    const outcome = gate.outcomes[0];
    if (!outcome) throw new Error("no outcome");
    const piped = { ...gate, outcomes: [{ ...outcome, threshold: { ...outcome.threshold, text: "a|b" } }] };
    const row = renderGateSummary(piped).split("\n").find((l) => l.startsWith("| ✅"));
    expect(row?.split(/(?<!\\)\|/).length).toBe(6);
  });
});

describe("a latency's count in the gate outputs", () => {
  it("is a plain number, not milliseconds, in the measured value and the limit (terminal sentence, JUnit, markdown)", async () => {
    const gate = await report(["accepted_lag_ms:count<10", "channels.shopify.sync_lag_ms:count>0", "accepted_lag_ms:p(99)>=0"]);
    const count = gate.outcomes[0]?.measured ?? 0;
    expect(count).toBeGreaterThan(10);
    expect(gate.outcomes.map((o) => o.unit)).toEqual(["count", "count", "ms"]);
    const shown = formatCount(count);
    const outcome = gate.outcomes[0];
    if (!outcome) throw new Error("no outcome");
    expect(formatMeasured(outcome, gate.currency)).toBe(shown);
    expect(formatLimit(outcome, gate.currency)).toBe("< 10");
    expect(describeOutcome(outcome, gate.currency)).toBe(`accepted_lag_ms count measured ${shown}, needs < 10`);
    const xml = renderJUnit(gate);
    expect(xml).toContain(`accepted_lag_ms:count&lt;10 failed: measured ${shown}"`);
    expect(xml).not.toMatch(/count[^"]*measured [\d,]+ ms/);
    const row = renderGateSummary(gate).split("\n").find((l) => l.includes("`accepted_lag_ms:count<10`"));
    expect(row).toContain(`| ${shown} | &lt; 10 |`);
    // A percentile of the same metric keeps its unit.
    expect(formatMeasured(gate.outcomes[2] as GateOutcome, gate.currency)).toMatch(/ ms/);
  });
});

describe("a real run's time-lapse in the gate outputs", () => {
  it("says the run was compressed, and that its lags are wall-clock, in JUnit and the markdown summary (never for a simulated run)", async () => {
    const real = evaluateGate(await realDoc(), ["oversells:count>=0"]);
    if (!real.ok) throw new Error(real.problems.join("\n"));
    expect(real.report.timeCompression?.factor).toBe(360);
    const phrase = "compressed 360× (1h of scenario in 10s of wall clock; lags are wall-clock ms)";
    expect(renderGateSummary(real.report)).toContain(phrase);
    const properties = (parse(renderJUnit(real.report)) as unknown as { testsuites: { testsuite: Array<{ properties: { property: Array<{ "@_name": string; "@_value": string }> } }> } }).testsuites.testsuite[0]?.properties.property;
    expect(properties?.find((p) => p["@_name"] === "timeCompression")?.["@_value"]).toBe(phrase);
    const simulated = await report(["oversells:count>=0"]);
    expect(simulated.timeCompression).toBeUndefined();
    expect(renderGateSummary(simulated)).not.toContain("compressed");
  });
});
