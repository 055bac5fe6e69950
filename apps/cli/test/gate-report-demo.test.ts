// synclag gate, report and demo as a CI job and a consultant run them: real processes, real exit
// codes, files written. The scenarios are small (a 1-hour run simulates in about a second).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "synclag.js");
function synclag(...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A 1-hour two-channel scenario with one threshold of its own. */
function smallScenario(thresholds: string[] = ["oversells:count<1000000"]) {
  const dir = mkdtempSync(join(tmpdir(), "synclag-gate-"));
  const file = join(dir, "small.yaml");
  writeFileSync(
    file,
    [
      "name: small",
      "duration: 1h",
      "catalog: { skus: 5, stock: 12 }",
      "channels:",
      "  - { id: amazon, kind: amazon, share: 1 }",
      "  - { id: shopify, kind: shopify, share: 1 }",
      "demand: { ordersPerDay: 1500, curve: [{ start: 20m, duration: 20m, multiplier: 5 }] }",
      "convergenceBudget: 30m",
      `thresholds: [${thresholds.map((t) => JSON.stringify(t)).join(", ")}]`,
    ].join("\n"),
  );
  return { dir, file };
}

// Each test spawns the CLI (tsx start-up, a simulation): bounded generously for shared 2-core CI machines.
const LONG = { timeout: 120_000 };

describe("synclag gate", LONG, () => {
  it("exits 0 when every threshold passes, printing each with its measured value, and writes JUnit and a summary", () => {
    const { dir, file } = smallScenario();
    const junit = join(dir, "gate.xml");
    const summary = join(dir, "summary.md");
    const result = synclag("gate", "--scenario", file, "--threshold", "accepted_lag_ms:p(99)<1h", "--threshold", "cancellation_rate:rate<50%", "--junit", junit, "--summary", summary);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/PASS {2}accepted_lag_ms:p\(99\)<1h +[\d,]+ ms/);
    expect(result.stdout).toContain("PASS  oversells:count<1000000"); // from the scenario file
    expect(result.stdout).toContain("all 3 thresholds passed → exit 0");
    expect(readFileSync(junit, "utf8")).toContain('<testsuites name="synclag gate" tests="3" failures="0"');
    expect(readFileSync(summary, "utf8")).toMatch(/^### synclag gate ✅ passed/);
  });

  it("exits 1 when any threshold fails, naming it with its measured value and a reproduce line", () => {
    const { dir, file } = smallScenario();
    const junit = join(dir, "gate.xml");
    const result = synclag("gate", "--scenario", file, "--strategy", "polling:15m", "--threshold", "sync_lag_ms:p(99)<5000", "--junit", junit);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAIL {2}sync_lag_ms:p\(99\)<5000 +[\d,]+ ms \(\d+m\d\ds\)/);
    expect(result.stdout).toContain("needs < 5,000 ms");
    expect(result.stdout).toContain("1 of 2 thresholds failed → exit 1");
    expect(result.stderr).toContain("reproduce: npx synclag gate --scenario");
    expect(readFileSync(junit, "utf8")).toMatch(/<failure message="sync_lag_ms:p\(99\)&lt;5000 failed: measured [\d,]+ ms/);
    for (const line of result.stdout.split("\n")) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(result.stdout.includes("\u001b[")).toBe(false);
  });

  it("exits 2 naming every malformed threshold, before running anything", () => {
    const { file } = smallScenario(["oversells:p(99)<1"]);
    const result = synclag("gate", "--scenario", file, "--threshold", "sync_lag_ms:p99<5s", "--threshold", "lag:max<1s", "--threshold", "channels.ebay.sync_lag_ms:max<1s");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("4 problems");
    expect(result.stderr).toContain('unknown aggregation "p99"');
    expect(result.stderr).toContain('unknown metric "lag"');
    expect(result.stderr).toContain('no channel "ebay"');
    expect(result.stderr).toContain("p(99) does not fit oversells");
    expect(result.stdout).toBe("");
  });

  it("checks an existing result document, and exits 2 naming the problem in a malformed one", () => {
    const { dir, file } = smallScenario();
    const resultFile = join(dir, "result.json");
    expect(synclag("compare", "--scenario", file, "--json", resultFile).code).toBe(0);
    const ok = synclag("gate", "--result", resultFile, "--strategy", "polling:15m", "--threshold", "api_calls:count>0");
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("synclag gate · small · polling:15m");

    const doc = JSON.parse(readFileSync(resultFile, "utf8")) as { strategies: Array<{ histograms: { syncLagMs: string } }> };
    (doc.strategies[0] as { histograms: { syncLagMs: string } }).histograms.syncLagMs = "garbage";
    const broken = join(dir, "broken.json");
    writeFileSync(broken, JSON.stringify(doc));
    const bad = synclag("gate", "--result", broken, "--threshold", "sync_lag_ms:p(99)<5s");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("strategies[0].histograms.syncLagMs: not an encoded HdrHistogram");

    writeFileSync(broken, "{ not json");
    expect(synclag("gate", "--result", broken, "--threshold", "oversells:count==0").stderr).toContain("is not valid JSON");
    expect(synclag("gate", "--result", join(dir, "missing.json"), "--threshold", "oversells:count==0").stderr).toContain("ENOENT");
  });

  it("refuses --real without a scenario or with a bad --duration, and needs a scenario or a result", () => {
    const { file } = smallScenario();
    const withResult = synclag("gate", "--result", file, "--real", "--duration", "soon", "--threshold", "oversells:count==0");
    expect(withResult.code).toBe(2);
    expect(withResult.stderr).toContain("--real runs a scenario");
    expect(withResult.stderr).toContain("--duration");
    const nothing = synclag("gate", "--threshold", "oversells:count==0");
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain("give --scenario");
  });

  it(
    "--real gates a run through the real stack (private NATS and Redis, HTTP mocks) and prints its measured values",
    { timeout: 240_000 },
    (context) => {
      const missing = ["nats-server", "redis-server"].filter((b) => spawnSync("sh", ["-c", `command -v ${b}`]).status !== 0);
      if (missing.length > 0) {
        if (process.env.CI === "true") throw new Error(`${missing.join(", ")} missing: apt-get install -y nats-server redis-server`);
        context.skip(`${missing.join(", ")} not installed (apt-get install -y nats-server redis-server)`);
        return;
      }
      const { file } = smallScenario();
      const result = synclag("gate", "--scenario", file, "--real", "--duration", "6s", "--threshold", "dropped_arrivals:count==0", "--threshold", "oversells:count<1000000");
      expect(result.stdout).toContain("dropped_arrivals:count==0");
      expect(result.code, result.stderr).toBe(0);
    },
  );

  it("documents metrics and exit codes in --help", () => {
    const help = synclag("gate", "--help");
    expect(help.code).toBe(0);
    for (const text of ["sync_lag_ms", "channels.<id>.accepted_lag_ms", "dropped_arrivals", "cancellation_rate", "every threshold passed", "a threshold failed", "bad flags, threshold, scenario or result file"]) expect(help.stdout).toContain(text);
  });
});

describe("synclag report", LONG, () => {
  it("writes one self-contained HTML file from a result document", () => {
    const { dir, file } = smallScenario();
    const resultFile = join(dir, "result.json");
    expect(synclag("compare", "--scenario", file, "--json", resultFile).code).toBe(0);
    const out = join(dir, "report.html");
    const result = synclag("report", resultFile, "--out", out, "--flash-sales-per-year", "6");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`report written to ${out}`);
    const html = readFileSync(out, "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('"flashSalesPerYear":6');
  });

  it("exits 2 naming the file and the problem for an unreadable or invalid result", () => {
    const dir = mkdtempSync(join(tmpdir(), "synclag-report-"));
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ schemaVersion: 1, strategies: [] }));
    const result = synclag("report", bad, "--out", join(dir, "x.html"));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${bad}: strategies: must be a non-empty array`);
    expect(existsSync(join(dir, "x.html"))).toBe(false);
  });
});

describe("synclag demo", LONG, () => {
  it("lists every bad flag at once, in the user's flag names, and exits 2", () => {
    const result = synclag("demo", "--orders-per-day", "-5", "--aov", "abc", "--currency", "euro", "--channels", "amazon,tiktok", "--polling", "7q", "--margin", "150%");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("6 problems");
    for (const flag of ["--orders-per-day", "--aov", "--currency", '--channels: unknown channel kind "tiktok"', "--polling", '--margin must be between 0 and 1 (0% to 100%), got "150%"']) expect(result.stderr).toContain(flag);
  });

  it("runs the client's numbers and writes the report in their currency", () => {
    const dir = mkdtempSync(join(tmpdir(), "synclag-demo-"));
    const out = join(dir, "client.html");
    const result = synclag("demo", "--orders-per-day", "400", "--aov", "45", "--currency", "GBP", "--channels", "amazon:67%,shopify", "--polling", "30m", "--flash-duration", "30m", "--out", out, "--json", join(dir, "result.json"));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("polling:30m");
    const html = readFileSync(out, "utf8");
    expect(html.replace(/<[^>]+>/g, "")).toMatch(/Polling every 30 min costs you £[\d,.]+ per flash sale\. Event-driven sync: £[\d,.]+\./);
    expect(html).toContain("amazon 67%, shopify 33%"); // shopify: the remaining 33%
    expect(result.stderr).toContain("--channels: amazon 67%, shopify 33%");
    const doc = JSON.parse(readFileSync(join(dir, "result.json"), "utf8")) as { scenario: { cost: { averageOrderValue: number; currency: string } }; reproduce: string };
    expect(doc.scenario.cost).toMatchObject({ averageOrderValue: 45, currency: "GBP" });
    expect(doc.reproduce).toBe("npx synclag demo --orders-per-day 400 --aov 45 --currency GBP --channels amazon:67%,shopify --polling 30m --flash-duration 30m");
  });
});
