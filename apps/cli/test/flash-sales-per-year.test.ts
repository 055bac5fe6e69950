// --flash-sales-per-year (report, demo) is bounded by the year, not by a calendar guess: N × the
// run's hours at most 8,760 (docs/report.md). Several flash sales a day are a real business (hourly
// deals), so 400 flash sales of a 3-hour run (1,200 h) are taken; 3,000 (9,000 h) are not.
import { describe, expect, it } from "vitest";
import { parseFlashSalesPerYear } from "../src/commands/report.js";
import { LONG, runCli, scratchDirs } from "./support.js";
import { join } from "node:path";
import { existsSync } from "node:fs";

const scratchDir = scratchDirs();

describe("parseFlashSalesPerYear", () => {
  it("takes any number ≥ 0 (the year's hours are checked against the run), refuses the rest", () => {
    for (const [text, value] of [["0", 0], ["12", 12], ["400", 400], ["2920", 2920], ["1.5", 1.5]] as const) {
      const problems: string[] = [];
      expect(parseFlashSalesPerYear(text, problems), text).toBe(value);
      expect(problems).toEqual([]);
    }
    for (const text of ["-1", "abc", "", "Infinity"]) {
      const problems: string[] = [];
      expect(parseFlashSalesPerYear(text, problems), text).toBeUndefined();
      expect(problems).toEqual([`--flash-sales-per-year must be a number ≥ 0, got ${JSON.stringify(text)}`]);
    }
  });

  it("is a plain decimal, as demo's other numbers are: 1_2 is 12; 0x0C, 1e1, 0b1100 and 12abc are refused, not read as 12 or 10", () => {
    for (const [text, value] of [["1_2", 12], ["2_000", 2000], [" 12 ", 12], ["0.5", 0.5], [".5", 0.5]] as const) {
      const problems: string[] = [];
      expect(parseFlashSalesPerYear(text, problems), text).toBe(value);
      expect(problems).toEqual([]);
    }
    for (const text of ["0x0C", "1e1", "0b1100", "0o14", "12abc", "1__2", "_12", "12."]) {
      const problems: string[] = [];
      expect(parseFlashSalesPerYear(text, problems), text).toBeUndefined();
      expect(problems).toEqual([`--flash-sales-per-year must be a number ≥ 0, got ${JSON.stringify(text)}`]);
    }
  });
});

describe("synclag report --flash-sales-per-year above 365", LONG, () => {
  it("takes 400 on the 3-hour flash-sale (1,200 h), refuses 3,000 (9,000 h) with how many fit", () => {
    const dir = scratchDir("synclag-fspy-");
    const json = join(dir, "result.json");
    expect(runCli(["compare", "--scenario", "flash-sale", "--polling", "15m", "--json", json]).code).toBe(0);
    const out = join(dir, "report.html");
    const ok = runCli(["report", json, "--out", out, "--flash-sales-per-year", "400"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    const refused = runCli(["report", json, "--out", join(dir, "no.html"), "--flash-sales-per-year", "3000"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("at most 2,920 fit");
  });
});
