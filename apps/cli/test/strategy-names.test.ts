// A strategy typed two ways is one strategy: the result document names it as the simulator names a
// built-in's (polling:15m), and the `reproduce:` line replays the run when pasted into a shell.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LONG, SMALL_SCENARIO, runCli } from "./support.js";

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
