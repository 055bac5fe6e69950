// synclag gate on a run without a reconciler: listings left short by sales the engine could not
// account for pass every consistency check (the configuration's cost, not a broken invariant), so the
// gate must say so itself — a `drift_unrepaired` threshold, and a note in the terminal output and the
// markdown summary even when no threshold names it. A real process: exit codes and files.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LONG, runCli } from "./support.js";

/** /tmp/rr-sim/norec.yaml of the review: Amazon loses 20 % of its notifications, no reconciler. */
function noReconcilerScenario(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "synclag-gate-drift-"));
  const file = join(dir, "norec.yaml");
  writeFileSync(
    file,
    [
      "name: no-reconciler",
      "duration: 2h",
      "catalog: { skus: 200, stock: 1000 }",
      "channels:",
      "  - { id: a, kind: amazon, share: 1, profile: { notifications: { attemptFailureRate: 0.2, retries: 0 } } }",
      "  - { id: s, kind: shopify, share: 1 }",
      "demand: { ordersPerDay: 3000 }",
      "engine: { reconcileInterval: 0 }",
    ].join("\n"),
  );
  return { dir, file };
}

describe("synclag gate and unrepaired drift", LONG, () => {
  it("notes the listings left short though no threshold names them (exit 0), and fails drift_unrepaired:count==0 (exit 1)", () => {
    const { dir, file } = noReconcilerScenario();
    const summary = join(dir, "summary.md");
    const quiet = runCli(["gate", "--scenario", file, "--threshold", "oversells:count<1000", "--summary", summary]);
    expect(quiet.code, quiet.stderr).toBe(0);
    // Wrapped to 80 columns: read it as one line.
    expect(quiet.stdout.replace(/\n {2}/g, " ")).toMatch(/note: unrepaired drift: \d+ listings short by \d+ units in all when the run ended \(all on a\): sales the engine could not account for/);
    expect(quiet.stdout).toContain("1 threshold passed → exit 0");
    for (const line of quiet.stdout.split("\n")) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(readFileSync(summary, "utf8")).toMatch(/\*\*Unrepaired drift:\*\* \d+ listings short by/);

    const gated = runCli(["gate", "--scenario", file, "--threshold", "drift_unrepaired:count==0", "--threshold", "channels.s.drift_unrepaired:count==0"]);
    expect(gated.code, gated.stderr).toBe(1);
    expect(gated.stdout).toMatch(/FAIL {2}drift_unrepaired:count==0 +\d+/);
    expect(gated.stdout).toMatch(/PASS {2}channels\.s\.drift_unrepaired:count==0 +0/);
  });

  it("lists the metrics in --help", () => {
    const help = runCli(["gate", "--help"]);
    expect(help.stdout).toContain("drift_unrepaired");
    expect(help.stdout).toContain("channels.<id>.drift_unrepaired");
  });
});
