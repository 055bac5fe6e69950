// synclag gate on what a real run brings: a load generator that dropped arrivals (a failed gate, as
// `synclag run` exits 1 on it), a polling interval that is wall-clock time under --real (refused when
// it cannot fit a CI job), and channel ids with "-" (black-friday-40's amazon-01). Real processes.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LONG, expectUsageError, runCli } from "./support.js";

/** A 1-hour scenario file whose first channel has the id given. */
function scenarioFile(firstChannel = "amazon"): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "synclag-gate-real-"));
  const file = join(dir, "s.yaml");
  writeFileSync(file, ["name: s", "duration: 1h", "catalog: { skus: 5, stock: 12 }", "channels:", `  - { id: ${firstChannel}, kind: amazon, share: 1 }`, "  - { id: shopify, kind: shopify, share: 1 }", "demand: { ordersPerDay: 1500 }", "convergenceBudget: 30m"].join("\n"));
  return { dir, file };
}

describe("synclag gate on a real run whose load generator dropped arrivals", LONG, () => {
  it("fails it (exit 1) with a warning in the terminal, the markdown summary and JUnit, though every threshold passed", () => {
    const { dir, file } = scenarioFile();
    const simulated = join(dir, "simulated.json");
    expect(runCli(["compare", "--scenario", file, "--polling", "15m", "--json", simulated]).code).toBe(0);
    // The simulated figures in the shape `synclag run --json` writes, 583 arrivals dropped.
    const doc = JSON.parse(readFileSync(simulated, "utf8")) as { generator: { mode: string }; scenario: { durationMs: number }; strategies: Array<{ orders: Record<string, number>; load?: object }> };
    doc.generator.mode = "real";
    for (const s of doc.strategies) {
      s.orders.droppedArrivals = 583;
      s.load = { durationMs: 10_000, timeScale: 10_000 / doc.scenario.durationMs, planned: (s.orders.attempted ?? 0) + 583, sent: s.orders.attempted, errors: 0, marketplaceTime: "scaled" };
    }
    const real = join(dir, "real.json");
    writeFileSync(real, JSON.stringify(doc));
    const summary = join(dir, "summary.md");
    const junit = join(dir, "gate.xml");
    const result = runCli(["gate", "--result", real, "--threshold", "accepted_lag_ms:p(99)<1h", "--summary", summary, "--junit", junit]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toContain("PASS  accepted_lag_ms:p(99)<1h");
    expect(result.stdout).toMatch(/WARNING: 583 of [\d,]+ planned arrivals \([\d.]+%\) were dropped \(not sent\)/);
    expect(result.stdout).toContain("1 threshold passed, but arrivals were dropped → exit 1");
    expect(result.stdout).not.toContain("exit 0");
    for (const line of result.stdout.split("\n")) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(readFileSync(summary, "utf8")).toMatch(/^### synclag gate ❌ failed \(arrivals dropped\)/);
    expect(readFileSync(summary, "utf8")).toContain("**Dropped arrivals:** 583 of");
    expect(readFileSync(junit, "utf8")).toContain('type="ArrivalsDropped"');
    // The same document without drops passes.
    for (const s of doc.strategies) s.orders.droppedArrivals = 0;
    writeFileSync(real, JSON.stringify(doc));
    const clean = runCli(["gate", "--result", real, "--threshold", "accepted_lag_ms:p(99)<1h"]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).not.toMatch(/dropped/i);
  });
});

describe("synclag gate --real with a polling interval (wall-clock time under --real)", LONG, () => {
  it("refuses one longer than 5m, or longer than --duration, before starting anything (exit 2)", () => {
    const { file } = scenarioFile();
    const long = runCli(["gate", "--real", "--scenario", file, "--strategy", "polling:15m", "--duration", "5s", "--threshold", "oversells:count<100000"]);
    expectUsageError(long, "gate");
    expect(long.stderr).toContain("--strategy polling:15m: under --real the polling interval is wall-clock time");
    expect(long.stderr).toContain("use polling:5m or shorter with --real");
    expect(long.stderr).not.toMatch(/gate: (starting|load)/);
    const overDuration = runCli(["gate", "--real", "--scenario", file, "--strategy", "polling:1m", "--threshold", "oversells:count<100000"]);
    expectUsageError(overDuration, "gate");
    expect(overDuration.stderr).toContain("it is longer than the default --duration 30s, so no poll would happen during the load: give --duration 1m or more, or a shorter interval");
    // The same interval without --real is simulated in seconds.
    expect(runCli(["gate", "--scenario", file, "--strategy", "polling:15m", "--threshold", "oversells:count<100000"]).code).toBe(0);
  });
});

describe("synclag gate on a channel whose id has a '-'", LONG, () => {
  it("checks channels.amazon-eu.… (the scenario schema allows the id)", () => {
    const { file } = scenarioFile("amazon-eu");
    const result = runCli(["gate", "--scenario", file, "--threshold", "channels.amazon-eu.oversells:count<100000"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("PASS  channels.amazon-eu.oversells:count<100000");
    const unknown = runCli(["gate", "--scenario", file, "--threshold", "channels.amazon-us.oversells:count<100000"]);
    expectUsageError(unknown, "gate");
    expect(unknown.stderr).toContain('no channel "amazon-us" (channels: amazon-eu, shopify)');
  });
});

describe("synclag gate --result on a real run without orders.droppedArrivals", LONG, () => {
  it("refuses it (exit 2) whatever the thresholds, as it refuses dropped_arrivals:count==0 on it — never a silent pass", () => {
    const { dir, file } = scenarioFile();
    const simulated = join(dir, "simulated.json");
    expect(runCli(["compare", "--scenario", file, "--polling", "15m", "--json", simulated]).code).toBe(0);
    const doc = JSON.parse(readFileSync(simulated, "utf8")) as { generator: { mode: string }; scenario: { durationMs: number }; strategies: Array<{ orders: Record<string, number>; load?: object }> };
    doc.generator.mode = "real";
    for (const s of doc.strategies) s.load = { durationMs: 10_000, timeScale: 10_000 / doc.scenario.durationMs, planned: s.orders.attempted, sent: s.orders.attempted, errors: 0, marketplaceTime: "scaled" };
    const real = join(dir, "no-dropped.json");
    writeFileSync(real, JSON.stringify(doc));
    const result = runCli(["gate", "--result", real, "--threshold", "accepted_lag_ms:p(99)<1h"]);
    expectUsageError(result, "gate");
    expect(result.stderr).toContain("this real result has no orders.droppedArrivals for events, so whether its load generator dropped arrivals (which fails a real run) cannot be known: refusing to pass it silently");
  });
});
