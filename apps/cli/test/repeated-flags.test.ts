// A flag given twice must never silently keep only its last value (`--json a --json b` wrote b only,
// `--seed 1 --seed 2` ran seed 2, exit 0): unless it is documented as repeatable it is a usage problem,
// listed with every other problem of the command line (exit 2, nothing run or written). The repeatable
// ones add up: `compare --polling 1m --polling 5m` is `--polling 1m,5m`; `gate --threshold` as before.
// Every spelling counts (`--seed=2`); a flag without a value (--no-color) loses nothing when repeated.
// Real processes, real exit codes; a small scenario (a 1-hour run simulates in about a second).

import { existsSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { LONG, SMALL_SCENARIO, expectUsageError, runCli, scratchDirs } from "./support.js";

const scratchDir = scratchDirs();

function small(): { dir: string; file: string } {
  const dir = scratchDir("synclag-repeated-");
  const file = join(dir, "small.yaml");
  writeFileSync(file, SMALL_SCENARIO.join("\n"));
  return { dir, file };
}

describe("a flag given twice is a usage problem, listed with the others", LONG, () => {
  it("compare: --json, --seed and --scenario twice are refused together, nothing is written", () => {
    const { dir, file } = small();
    const j1 = join(dir, "j1.json");
    const j2 = join(dir, "j2.json");
    const result = runCli(["compare", "--scenario", file, "--scenario", "flash-sale", "--polling", "1m", "--polling", "5m", "--json", j1, "--json", j2, "--seed", "1", "--seed=2", "--bogus"]);
    expectUsageError(result, "compare");
    expect(result.stderr).toContain("4 problems:");
    expect(result.stderr).toContain("unknown option '--bogus'");
    expect(result.stderr).toContain(`--scenario given twice (${file}, flash-sale); give it once`);
    expect(result.stderr).toContain(`--json given twice (${j1}, ${j2}); give it once`);
    expect(result.stderr).toContain("--seed given twice (1, 2); give it once");
    // --polling is repeatable: not a problem.
    expect(result.stderr).not.toContain("--polling");
    expect(existsSync(j1)).toBe(false);
    expect(existsSync(j2)).toBe(false);
  });

  it("compare: --polling adds up (--polling 1m --polling=5m is --polling 1m,5m), and --help says so", () => {
    const { file } = small();
    const result = runCli(["compare", "--scenario", file, "--polling", "1m", "--polling=5m", "--seed", "3", "--json", "-", "--no-color", "--no-color"]);
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as { strategies: { strategy: string }[]; reproduce: string };
    expect(doc.strategies.map((s) => s.strategy)).toEqual(["events", "polling:1m", "polling:5m"]);
    expect(doc.reproduce).toContain("--polling 1m,5m");
    // The same interval in two flags runs once, as within one list.
    const twice = runCli(["compare", "--scenario", file, "--polling", "15m", "--polling", "900s", "--json", "-"]);
    expect(twice.code, twice.stderr).toBe(0);
    expect((JSON.parse(twice.stdout) as { strategies: { strategy: string }[] }).strategies.map((s) => s.strategy)).toEqual(["events", "polling:15m"]);
    expect(twice.stderr).toContain("--polling: 900s is the same interval as 15m: run once");

    const help = runCli(["compare", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout.replace(/\s+/g, " ")).toContain("repeatable: --polling 1m --polling 5m is --polling 1m,5m");
  });

  it("simulate: --strategy, --seed and --json twice, in every spelling, with the other bad flags", () => {
    const { dir, file } = small();
    const out = join(dir, "out.json");
    const result = runCli(["simulate", "--scenario", file, "--strategy", "events", "--strategy=polling:1m", "--seed=1", "--seed", "1", "--json", out, "--json", "-", "--nats-url", "x"]);
    expectUsageError(result, "simulate");
    expect(result.stderr).toContain("4 problems:");
    expect(result.stderr).toContain("unknown option '--nats-url'");
    expect(result.stderr).toContain("--strategy given twice (events, polling:1m); give it once");
    // The same value twice is still given twice: one flag, one value.
    expect(result.stderr).toContain("--seed given twice (1, 1); give it once");
    expect(result.stderr).toContain(`--json given twice (${out}, -); give it once`);
    expect(existsSync(out)).toBe(false);
  });

  it("simulate: three times is said so; a value that looks like a flag is the flag's value, not another flag", () => {
    const { file } = small();
    const three = runCli(["simulate", "--scenario", file, "--strategy", "events", "--seed", "1", "--seed", "2", "--seed", "3"]);
    expectUsageError(three, "simulate");
    expect(three.stderr).toContain("--seed given 3 times (1, 2, 3); give it once");
    // `--json --seed` gives --json the value "--seed" (as commander reads it): --seed is given once.
    // (A bad --strategy keeps it from running: nothing is written.)
    const flagLike = runCli(["simulate", "--scenario", file, "--strategy", "bogus", "--json", "--seed", "--seed", "1"], { cwd: dirname(file) });
    expectUsageError(flagLike, "simulate");
    expect(flagLike.stderr).toContain("--strategy");
    expect(flagLike.stderr).not.toContain("given twice");
  });

  it("report: --out twice is refused, nothing written", () => {
    const { dir, file } = small();
    const result = join(dir, "result.json");
    expect(runCli(["compare", "--scenario", file, "--json", result]).code).toBe(0);
    const a = join(dir, "a.html");
    const b = join(dir, "b.html");
    const report = runCli(["report", result, "--out", a, "--out", b]);
    expectUsageError(report, "report");
    expect(report.stderr).toContain(`--out given twice (${a}, ${b}); give it once`);
    expect(existsSync(a) || existsSync(b)).toBe(false);
  });

  it("gate: --threshold stays repeatable, --json twice is refused", () => {
    const { dir, file } = small();
    const pass = runCli(["gate", "--scenario", file, "--threshold", "oversells:count<100000", "--threshold=lost_sales:count<100000"]);
    expect(pass.code, pass.stderr).toBe(0);
    expect(pass.stdout).toContain("lost_sales");
    const j1 = join(dir, "g1.json");
    const twice = runCli(["gate", "--scenario", file, "--threshold", "oversells:count<100000", "--json", j1, "--json", join(dir, "g2.json")]);
    expectUsageError(twice, "gate");
    expect(twice.stderr).toContain("--json given twice");
    expect(existsSync(j1)).toBe(false);
  });

  it("engine: a server URL given twice is refused without echoing its credentials", () => {
    const result = runCli(["engine", "--nats-url", "nats://ops:s3cret@127.0.0.1:4", "--nats-url", "nats://127.0.0.1:5", "--channel", "amazon=http://127.0.0.1:1", "--channel", "shopify=http://127.0.0.1:2"]);
    expectUsageError(result, "engine");
    expect(result.stderr).toContain("--nats-url given twice (nats://[redacted]@127.0.0.1:4, nats://127.0.0.1:5); give it once");
    expect(result.stderr).not.toContain("s3cret");
    expect(result.stderr).not.toContain("--channel");
  });

  it("values are quoted where they need it", () => {
    const { dir, file } = small();
    const spaced = join(dir, "a b.json");
    const comma = join(dir, "x,y.json");
    const result = runCli(["compare", "--scenario", file, "--json", spaced, "--json", comma]);
    expectUsageError(result, "compare");
    expect(result.stderr).toContain(`--json given twice (${JSON.stringify(spaced)}, ${JSON.stringify(comma)}); give it once`);
    expect(existsSync(spaced) || existsSync(comma)).toBe(false);
  });
});
