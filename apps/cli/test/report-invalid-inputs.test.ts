// synclag report and demo on inputs they must refuse (exit 2, every problem listed, nothing written):
// a result document missing a field the report reads, and more flash sales a year than a year has hours.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LONG, expectUsageError, runCli } from "./support.js";

function scenarioFile(lines: readonly string[]): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "synclag-report-"));
  const file = join(dir, "s.yaml");
  writeFileSync(file, lines.join("\n"));
  return { dir, file };
}

const ONE_HOUR = ["name: s", "duration: 1h", "catalog: { skus: 5, stock: 12 }", "channels:", "  - { id: amazon, kind: amazon, share: 1 }", "  - { id: shopify, kind: shopify, share: 1 }", "demand: { ordersPerDay: 1500, curve: [{ start: 20m, duration: 20m, multiplier: 5 }] }", "convergenceBudget: 30m"];

describe("synclag report on a document missing fields it reads", LONG, () => {
  it("exits 2 naming every missing field — no TypeError, no page with gaps, nothing written", () => {
    const { dir, file } = scenarioFile(ONE_HOUR);
    const json = join(dir, "r.json");
    expect(runCli(["compare", "--scenario", file, "--json", json]).code).toBe(0);
    const doc = JSON.parse(readFileSync(json, "utf8"));
    delete doc.strategies.find((s: { polling?: unknown }) => s.polling).polling.ordersPerWindow;
    delete doc.scenario.ordersPerDay;
    delete doc.scenario.skus;
    writeFileSync(json, JSON.stringify(doc));
    const out = join(dir, "r.html");
    const result = runCli(["report", json, "--out", out]);
    expectUsageError(result, "report");
    expect(result.stderr).not.toMatch(/TypeError/);
    expect(result.stderr).toContain(`${json}: scenario.ordersPerDay: must be a number, got nothing (missing)`);
    expect(result.stderr).toContain(`${json}: scenario.skus: must be a number, got nothing (missing)`);
    expect(result.stderr).toContain(`${json}: strategies[1].polling.ordersPerWindow.mean: must be a number, got nothing (missing)`);
    expect(existsSync(out)).toBe(false);
  });
});

describe("more flash sales a year than a year has hours", LONG, () => {
  it("synclag demo refuses --flash-sales-per-year 365 with --flash-duration 24h (9,490 h), naming both flags", () => {
    const dir = mkdtempSync(join(tmpdir(), "synclag-demo-"));
    const out = join(dir, "r.html");
    const result = runCli(["demo", "--flash-duration", "24h", "--flash-sales-per-year", "365", "--out", out]);
    expectUsageError(result, "demo");
    expect(result.stderr).toContain("--flash-sales-per-year 365 with --flash-duration 24h (a run of 26 h");
    expect(result.stderr).toContain("365 × 26 h = 9,490 h of flash sales, more than the 8,760 h of a year: at most 336 fit (give --flash-sales-per-year 336 or fewer, or a shorter --flash-duration)");
    expect(existsSync(out)).toBe(false);
  });

  it("synclag report refuses --flash-sales-per-year 365 on a 26-hour flash-sale run, and takes 336", () => {
    const { dir, file } = scenarioFile(["name: s", "duration: 26h", "catalog: { skus: 5, stock: 12 }", "channels:", "  - { id: amazon, kind: amazon, share: 1 }", "  - { id: shopify, kind: shopify, share: 1 }", "demand: { ordersPerDay: 20, curve: [{ start: 45m, duration: 24h, multiplier: 2 }] }", "convergenceBudget: 30m"]);
    const json = join(dir, "r.json");
    expect(runCli(["compare", "--scenario", file, "--json", json]).code).toBe(0);
    const out = join(dir, "r.html");
    const refused = runCli(["report", json, "--out", out, "--flash-sales-per-year", "365"]);
    expectUsageError(refused, "report");
    expect(refused.stderr).toContain("--flash-sales-per-year 365: 365 × 26 h = 9,490 h of flash sales, more than the 8,760 h of a year: at most 336 fit (give --flash-sales-per-year 336 or fewer)");
    expect(existsSync(out)).toBe(false);
    const fits = runCli(["report", json, "--out", out, "--flash-sales-per-year", "336"]);
    expect(fits.code, fits.stderr).toBe(0);
    expect(readFileSync(out, "utf8")).toContain("(8,760 h − 336 × 26 h)");
  });
});
