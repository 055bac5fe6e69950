// Test support for the CLI's process-level tests: run the real binary, and the usage-error contract.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect } from "vitest";

const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "synclag.js");

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `synclag` in `cwd` (colour off) and waits for it. */
export function runCli(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): CliResult {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: options.cwd ?? process.cwd(), encoding: "utf8", env: { ...process.env, NO_COLOR: "1", ...options.env }, timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Each test spawns the CLI a few times (tsx start-up, small simulations): bounded generously for shared 2-core CI machines. */
export const LONG = { timeout: 120_000 };

/** A two-channel, one-hour scenario that simulates in about a second. */
export const SMALL_SCENARIO = ["name: small", "duration: 1h", "catalog: { skus: 5, stock: 20 }", "channels:", "  - { id: amazon, kind: amazon, share: 1 }", "  - { id: shopify, kind: shopify, share: 1 }", "demand: { ordersPerDay: 2000 }", "convergenceBudget: 30m"];

/** A usage error: exit 2, nothing on stdout, one readable message (no stack) ending in the --help hint. */
export function expectUsageError(result: CliResult, command: string): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr).toContain(`synclag ${command}: `);
  expect(result.stderr).toContain(`Run \`synclag ${command} --help\` for usage.`);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

/**
 * Temp dirs for one test file, removed when it ends. Call once at the top level of the file:
 * `const scratchDir = scratchDirs();` then `scratchDir("synclag-run-x-")` wherever a dir is needed.
 */
export function scratchDirs(): (prefix: string) => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return (prefix) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
}
