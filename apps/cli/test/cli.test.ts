// The CLI as a user runs it: a real process, real exit codes, stdout vs stderr kept apart.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "synclag.js");
function synclag(...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const small = () => {
  const dir = mkdtempSync(join(tmpdir(), "synclag-cli-"));
  const file = join(dir, "small.yaml");
  writeFileSync(file, ["name: small", "duration: 1h", "catalog: { skus: 5, stock: 20 }", "channels:", "  - { id: amazon, kind: amazon, share: 1 }", "  - { id: shopify, kind: shopify, share: 1 }", "demand: { ordersPerDay: 2000 }", "convergenceBudget: 30m"].join("\n"));
  return { dir, file };
};

describe("synclag CLI", () => {
  it("lists every bad flag in one message and exits 2", () => {
    const result = synclag("compare", "--scenario", "nope", "--seed", "x", "--polling", "7q");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("3 problems");
    expect(result.stderr).toContain("unknown scenario");
    expect(result.stderr).toContain("--seed");
    expect(result.stderr).toContain("--polling");
    expect(result.stdout).toBe("");
  });

  it("rejects an unknown option and a missing required one with exit 2", () => {
    expect(synclag("compare", "--frobnicate").code).toBe(2);
    expect(synclag("simulate", "--scenario", "steady-day").code).toBe(2);
  });

  it("prints help with exit 0 for every command", () => {
    for (const command of ["compare", "simulate", "scenarios"]) {
      const result = synclag(command, "--help");
      expect(result.code, command).toBe(0);
      expect(result.stdout).toContain("Usage: synclag");
    }
  });

  it("lists the built-in scenarios one per line", () => {
    const lines = synclag("scenarios").stdout.trim().split("\n");
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(["steady-day", "flash-sale", "viral-moment", "marketplace-outage", "black-friday-40"]);
  });

  it("writes pure JSON to stdout with --json - (progress never mixed in) and the same document to a file", () => {
    const { dir, file } = small();
    const toStdout = synclag("compare", "--scenario", file, "--polling", "5m", "--json", "-");
    expect(toStdout.code).toBe(0);
    const doc = JSON.parse(toStdout.stdout) as { schemaVersion: number; strategies: Array<{ strategy: string }> };
    expect(doc.schemaVersion).toBe(1);
    expect(doc.strategies.map((s) => s.strategy)).toEqual(["events", "polling:5m"]);
    const out = join(dir, "result.json");
    const toFile = synclag("compare", "--scenario", file, "--polling", "5m", "--json", out);
    expect(toFile.code).toBe(0);
    expect(toFile.stdout).toContain("sync lag p99");
    expect(readFileSync(out, "utf8")).toBe(toStdout.stdout);
  });

  it("fits the comparison table in 80 columns without colour when not on a terminal", () => {
    const { file } = small();
    const result = synclag("compare", "--scenario", file, "--polling", "1m,15m");
    expect(result.code).toBe(0);
    for (const line of result.stdout.split("\n")) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(result.stdout.includes("\u001b[")).toBe(false);
  });
});
