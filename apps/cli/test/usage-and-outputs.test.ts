// The CLI's contract with scripts and CI jobs: every usage problem in one message with exit 2 before
// anything runs (however deeply the command is nested), output paths checked up front, `-` meaning
// stdout with stdout left parseable, the reproduce line a user can paste, polling intervals compared
// by value. Real processes, real exit codes; small scenarios (a 1-hour run simulates in about a second).
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { LONG, SMALL_SCENARIO, expectUsageError, runCli } from "./support.js";

const synclagIn = (cwd: string, ...args: string[]) => runCli(args, { cwd });
const synclag = (...args: string[]) => runCli(args);

function scenarioFile(lines: string[], name = "small.yaml") {
  const dir = mkdtempSync(join(tmpdir(), "synclag-usage-"));
  const file = join(dir, name);
  writeFileSync(file, lines.join("\n"));
  return { dir, file };
}
const small = () => scenarioFile([...SMALL_SCENARIO]);

describe("output paths are checked before anything runs", LONG, () => {
  it("refuses an unwritable --json / --out with exit 2 and one line, without running or writing anything", () => {
    const { dir, file } = small();
    for (const args of [
      ["compare", "--scenario", file, "--json", "/nonexistent/dir/x.json"],
      ["simulate", "--scenario", file, "--strategy", "events", "--json", "/nonexistent/dir/x.json"],
      ["run", "--scenario", file, "--strategy", "events", "--json", "/nonexistent/dir/x.json"],
    ]) {
      const result = synclag(...args);
      expectUsageError(result, args[0] as string);
      expect(result.stderr).toContain("--json: cannot write /nonexistent/dir/x.json: directory /nonexistent/dir does not exist");
      expect(result.stderr.trim().split("\n")).toHaveLength(2); // the problem, the --help hint
    }
    // demo: --out is checked first too, so the (writable) --json is not written either.
    const json = join(dir, "demo.json");
    const demo = synclag("demo", "--out", "/nonexistent/x.html", "--json", json);
    expectUsageError(demo, "demo");
    expect(demo.stderr).toContain("--out: cannot write /nonexistent/x.html");
    expect(existsSync(json)).toBe(false);
    const both = synclag("demo", "--out", "/nonexistent/x.html", "--json", "/nonexistent/x.json");
    expect(both.stderr).toContain("2 problems");

    const result = join(dir, "result.json");
    expect(synclag("compare", "--scenario", file, "--json", result).code).toBe(0);
    const report = synclag("report", result, "--out", join(dir, "missing", "r.html"));
    expectUsageError(report, "report");
    expect(report.stderr).toContain(`--out: cannot write ${join(dir, "missing", "r.html")}`);
  });
});

describe("reproduce line", LONG, () => {
  it("names the scenario file that was run, not the scenario's name", () => {
    // Convergence cannot finish in 1 ms: the convergence checker fails, exit 3.
    const { file } = scenarioFile(["name: t", "duration: 10m", "catalog: { skus: 3, stock: 50 }", "channels:", "  - { id: amazon, kind: amazon, share: 1 }", "  - { id: shopify, kind: shopify, share: 1 }", "demand: { ordersPerDay: 20000 }", "convergenceBudget: 1ms"], "t.yaml");
    const result = synclag("simulate", "--scenario", file, "--strategy", "events");
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain(`reproduce: npx synclag simulate --scenario ${file} --strategy events --seed 1\n`);
  });
});

describe("gate: - means stdout", LONG, () => {
  it("writes one machine-readable output to stdout (threshold lines to stderr) and refuses two", () => {
    const { dir, file } = small();
    const json = synclagIn(dir, "gate", "--scenario", file, "--threshold", "oversells:count<1000000", "--json", "-");
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as { schemaVersion: number }).schemaVersion).toBe(1);
    expect(json.stderr).toContain("PASS  oversells:count<1000000");
    expect(existsSync(join(dir, "-"))).toBe(false);

    const junit = synclagIn(dir, "gate", "--scenario", file, "--threshold", "oversells:count<1000000", "--junit", "-", "--summary", join(dir, "summary.md"));
    expect(junit.code, junit.stderr).toBe(0);
    expect(junit.stdout).toMatch(/^<\?xml/);
    expect(junit.stdout).not.toContain("PASS");
    expect(readFileSync(join(dir, "summary.md"), "utf8")).toContain("synclag gate");

    const two = synclagIn(dir, "gate", "--scenario", file, "--threshold", "oversells:count<1000000", "--json", "-", "--summary", "-");
    expectUsageError(two, "gate");
    expect(two.stderr).toContain("--json and --summary both write to stdout (-)");
    expect(readdirSync(dir).sort()).toEqual(["small.yaml", "summary.md"]);
  });
});

describe("usage errors", LONG, () => {
  it("exit 2 for nested commands too (scenarios show)", () => {
    const missing = synclag("scenarios", "show");
    expectUsageError(missing, "scenarios show");
    expect(missing.stderr).toContain("missing required argument 'name'");
    const bogus = synclag("scenarios", "show", "--bogus");
    expectUsageError(bogus, "scenarios show");
    expect(bogus.stderr).toContain("unknown option '--bogus'");
    expect(bogus.stderr).toContain("missing required argument 'name'");
    expect(bogus.stderr).not.toContain('unknown scenario "--bogus"');
    expect(synclag("scenarios", "show", "--help").code).toBe(0);
  });

  it("lists unknown options, bad values and missing required options together", () => {
    const compare = synclag("compare", "--bogus", "--seed", "abc", "--frob");
    expectUsageError(compare, "compare");
    expect(compare.stderr).toContain("3 problems");
    for (const text of ["unknown option '--bogus'", "unknown option '--frob'", '--seed must be a whole number from 0 to 9007199254740991 (2^53 − 1), got "abc"']) expect(compare.stderr).toContain(text);
    expect(compare.stderr).not.toContain("too many arguments");

    const simulate = synclag("simulate");
    expectUsageError(simulate, "simulate");
    expect(simulate.stderr).toContain("required option '--scenario <name|file>' not specified");
    expect(simulate.stderr).toContain("required option '--strategy <strategy>' not specified");

    // An option without its value is reported once, not again as a bad value.
    const seed = synclag("simulate", "--scenario", "nope", "--strategy", "events", "--seed");
    expectUsageError(seed, "simulate");
    expect(seed.stderr).toContain("2 problems");
    expect(seed.stderr).toContain("option '--seed <n>' argument missing");
  });

  it("compare checks the scenario file's thresholds too (a typo there must not wait for the gate)", () => {
    const { file } = scenarioFile(["name: t", "duration: 1h", "catalog: { skus: 5, stock: 20 }", "channels:", "  - { id: amazon, kind: amazon, share: 1 }", "demand: { ordersPerDay: 100 }", 'thresholds: ["sync_lag_ms:p(99)<5s", "nonsense", "channels.ebay.sync_lag_ms:p(99)<1s"]']);
    const result = synclag("compare", "--scenario", file);
    expectUsageError(result, "compare");
    expect(result.stderr).toContain("2 problems");
    expect(result.stderr).toContain('missing operator in "nonsense"');
    expect(result.stderr).toContain('no channel "ebay"');
  });

  it("gate: --duration without --real is a usage error, not silently ignored", () => {
    const result = synclag("gate", "--scenario", "steady-day", "--threshold", "oversells:count<1000000", "--duration", "10s");
    expectUsageError(result, "gate");
    expect(result.stderr).toContain("--duration applies only with --real");
  });

  it("run: checks --nats-url and --redis-url before starting anything", () => {
    const result = synclag("run", "--scenario", "flash-sale", "--strategy", "events", "--nats-url", "foo", "--redis-url", "bar");
    expectUsageError(result, "run");
    expect(result.stderr).toContain('--nats-url: "foo" is not a URL');
    expect(result.stderr).toContain('--redis-url: "bar" is not a URL');
    const schemes = synclag("run", "--scenario", "flash-sale", "--strategy", "events", "--nats-url", "http://127.0.0.1:4222", "--redis-url", "redis://:6379");
    expectUsageError(schemes, "run");
    expect(schemes.stderr).toContain('--nats-url: "http://127.0.0.1:4222" must start with nats://');
    expect(schemes.stderr).toContain("--redis-url");
  });
});

describe("polling intervals are compared in milliseconds", LONG, () => {
  it("runs an interval given twice once (note on stderr), rejects one below 1s, and gate --result finds polling:15m as polling:900s", () => {
    const { dir, file } = small();
    const out = join(dir, "result.json");
    const result = synclag("compare", "--scenario", file, "--polling", "15m,900s", "--json", out);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("--polling: 900s is the same interval as 15m: run once");
    const doc = JSON.parse(readFileSync(out, "utf8")) as { strategies: Array<{ strategy: string }> };
    expect(doc.strategies.map((s) => s.strategy)).toEqual(["events", "polling:15m"]);

    const fast = synclag("compare", "--scenario", file, "--polling", "1ms,5m");
    expectUsageError(fast, "compare");
    expect(fast.stderr).toContain('--polling: "1ms" is below the shortest polling interval, 1s');
    expectUsageError(synclag("simulate", "--scenario", file, "--strategy", "polling:500ms"), "simulate");

    const gate = synclag("gate", "--result", out, "--strategy", "polling:900s", "--threshold", "api_calls:count>0");
    expect(gate.code, gate.stderr).toBe(0);
    expect(gate.stdout).toContain("synclag gate · small · polling:15m");
  });
});

describe("help and scenarios show", LONG, () => {
  it("run --help says what each --marketplace-time mode does; gate --help lists exit code 4", () => {
    const run = synclag("run", "--help").stdout;
    expect(run).not.toContain("API latency, rate limits and the polling interval are real");
    expect(run).toContain("--marketplace-time scaled (default)");
    expect(run).toContain("--marketplace-time real");
    // Several instances need verifyPushes on each (it is off by default): the help says so.
    expect(synclag("engine", "--help").stdout).toContain("SYNCLAG_VERIFY_PUSHES=true on every");
    const gate = synclag("gate", "--help").stdout;
    expect(gate).toMatch(/\n {2}4 {2}with --real: nats-server or redis-server missing/);
    expect(gate).not.toContain("thresholds: apply");
  });

  it("scenarios show prints every default filled in", () => {
    const shown = synclag("scenarios", "show", "flash-sale");
    expect(shown.code, shown.stderr).toBe(0);
    const printed = parse(shown.stdout) as Record<string, unknown>;
    for (const key of ["cost", "engine", "feed", "orderImport", "startAt", "thresholds"]) expect(printed, key).toHaveProperty(key);
    expect(printed).toMatchObject({ duration: "3h", convergenceBudget: "1h", cost: { currency: "EUR", marginRate: 0.3 } });
    // Derived from catalog.price unless given, so left out (a printed 80 would win over a price added later).
    expect(printed).not.toHaveProperty(["cost", "averageOrderValue"]);
    // Every built-in replays to the same scenario: scenarios-show.test.ts.
  });
});

describe("comparison table", LONG, () => {
  it("shows — for lag with no samples, a thousands separator in syncs/day, and '1 channel'", () => {
    const { file } = scenarioFile(["name: one", "duration: 1h", "catalog: { skus: 5, stock: 20 }", "channels:", "  - { id: amazon, kind: amazon, share: 1 }", "demand: { ordersPerDay: 2000 }", "convergenceBudget: 30m"]);
    const result = synclag("compare", "--scenario", file, "--polling", "2s");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("· 1 channel ·");
    expect(result.stdout).toMatch(/\| sync lag p99 +\| — +\| — +\|/);
    expect(result.stdout).not.toMatch(/\b0ms\b/);
    expect(result.stdout).toContain("polling:2s: 43,200 syncs/day");
  });
  it("says '1 sync every 2d' rather than '0 syncs/day' for an interval over a day, and separates thousands per window", () => {
    const { file } = scenarioFile(["name: busy", "duration: 1h", "catalog: { skus: 5, stock: 100000 }", "channels:", "  - { id: amazon, kind: amazon, share: 1 }", "  - { id: shopify, kind: shopify, share: 1 }", "demand: { ordersPerDay: 100000 }", "convergenceBudget: 30m"]);
    const result = synclag("compare", "--scenario", file, "--polling", "2d");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/polling:2d: 1 sync every 2d, \d,\d{3} orders per window on average/);
  });
});
