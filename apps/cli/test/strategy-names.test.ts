// A strategy typed two ways is one strategy: the result document names it as the simulator names a
// built-in's (polling:15m), and the `reproduce:` line replays the run when pasted into a shell.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LONG, SMALL_SCENARIO, expectUsageError, runCli } from "./support.js";

// Notifications take 2 h to arrive and the budget is 30 min: the convergence checker fails (exit 3).
const SLOW = [
  "name: slow",
  "duration: 1h",
  "catalog: { skus: 5, stock: 10 }",
  "channels:",
  "  - { id: a, kind: amazon, share: 1, profile: { notifications: { delay: { kind: constant, ms: 7200000 } } } }",
  "  - { id: b, kind: shopify, share: 1 }",
  "demand: { ordersPerDay: 500 }",
  "convergenceBudget: 30m",
];

function file(name: string, lines: readonly string[]): string {
  const path = join(mkdtempSync(join(tmpdir(), "synclag-names-")), name);
  writeFileSync(path, lines.join("\n"));
  return path;
}

type Doc = { strategies: Array<{ strategy: string }>; reproduce: string };

describe("strategy names and the reproduce: line", LONG, () => {
  it("simulate --strategy 'polling: 900s' names polling:15m, and its reproduce: line replays the same document", () => {
    const path = file("slow.yaml", SLOW);
    const first = runCli(["simulate", "--scenario", path, "--strategy", "polling: 900s", "--json", "-"]);
    expect(first.code, first.stderr).toBe(3);
    const doc = JSON.parse(first.stdout) as Doc;
    expect(doc.strategies.map((s) => s.strategy)).toEqual(["polling:15m"]);
    const line = /reproduce: npx synclag (.*)/.exec(first.stderr)?.[1] ?? "";
    expect(line).toBe(`simulate --scenario ${path} --strategy polling:15m --seed 1`);
    expect(doc.reproduce).toBe(`npx synclag ${line}`);
    // As a POSIX shell splits it (no quotes needed in it).
    const again = runCli([...line.split(/\s+/), "--json", "-"]);
    expect(again.code, again.stderr).toBe(3);
    expect(again.stdout).toBe(first.stdout);
  });

  it("engine --strategy polling:900s (or SYNCLAG_STRATEGY, or the config file) runs as polling:15m, and a bad name gets simulate's words", () => {
    // NATS on port 1 refuses at once: the engine logs the configuration it runs (stdout), then exits 4.
    const unreachable = ["--nats-url", "nats://127.0.0.1:1", "--port", "0", "--channel", "amazon=http://127.0.0.1:9"];
    const startedAs = (stdout: string) => {
      const line = stdout.split("\n").find((l) => l.includes('"msg":"starting the synclag engine"'));
      return line === undefined ? undefined : (JSON.parse(line) as { config: { strategy: string } }).config.strategy;
    };
    const flag = runCli(["engine", "--strategy", "polling:900s", ...unreachable]);
    expect(flag.code, flag.stderr).toBe(4);
    expect(startedAs(flag.stdout)).toBe("polling:15m");
    const env = runCli(["engine", ...unreachable], { env: { SYNCLAG_STRATEGY: "polling: 60m" } });
    expect(env.code, env.stderr).toBe(4);
    expect(startedAs(env.stdout)).toBe("polling:1h");
    const config = file("engine.json", [JSON.stringify({ strategy: "polling:90m" })]);
    const fromFile = runCli(["engine", "--config", config, ...unreachable]);
    expect(fromFile.code, fromFile.stderr).toBe(4);
    expect(startedAs(fromFile.stdout)).toBe("polling:1h30m");

    // The problem as simulate words it, after the same flag.
    const problem = (stderr: string, command: string) => stderr.split("\n")[0]?.replace(`synclag ${command}: `, "");
    for (const bad of ["poling:5m", "polling:500ms"]) {
      const engine = runCli(["engine", "--strategy", bad]);
      expectUsageError(engine, "engine");
      const simulate = runCli(["simulate", "--scenario", "steady-day", "--strategy", bad]);
      expectUsageError(simulate, "simulate");
      expect(problem(engine.stderr, "engine"), bad).toBe(problem(simulate.stderr, "simulate"));
      expect(problem(engine.stderr, "engine"), bad).toMatch(/^--strategy: /);
    }
    expect(problem(runCli(["engine"], { env: { SYNCLAG_STRATEGY: "poling:5m" } }).stderr, "engine")).toBe('SYNCLAG_STRATEGY: unknown strategy "poling:5m": use events or polling:<interval> (e.g. polling:15m)');
  });

  it("compare --polling 900s and gate --strategy polling:900s name polling:15m too, as compare does for steady-day", () => {
    const small = file("small.yaml", SMALL_SCENARIO);
    const compared = runCli(["compare", "--scenario", small, "--polling", "900s", "--json", "-"]);
    expect(compared.code, compared.stderr).toBe(0);
    const doc = JSON.parse(compared.stdout) as Doc;
    expect(doc.strategies.map((s) => s.strategy)).toEqual(["events", "polling:15m"]);
    expect(doc.reproduce).toBe(`npx synclag compare --scenario ${small} --seed 1 --polling 15m`);

    const slow = file("slow.yaml", SLOW);
    const gate = runCli(["gate", "--scenario", slow, "--strategy", "polling: 900s", "--threshold", "oversells:count<1000000", "--json", "-"]);
    expect(gate.code, gate.stderr).toBe(3);
    expect((JSON.parse(gate.stdout) as Doc).strategies.map((s) => s.strategy)).toEqual(["polling:15m"]);
    expect(gate.stderr).toContain(`reproduce: npx synclag gate --scenario '${slow}' --strategy polling:15m --seed 1 --threshold 'oversells:count<1000000'\n`);
  });
});
