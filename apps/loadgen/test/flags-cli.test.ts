// synclag-loadgen as a user runs it: every flag problem at once, exit 2 — an unknown flag, a missing
// --storefront or a flag without its value used to stop commander at that one problem, hiding the bad
// --duration, --seed and scenario (docs/engine-service.md promises them listed together).

import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "synclag-loadgen.js");
const loadgen = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 30_000 });

describe("synclag-loadgen lists every flag problem at once", () => {
  it("an unknown flag, with the other bad flags", { timeout: 30_000 }, () => {
    const run = loadgen("--scenario", "nope", "--duration", "0s", "--seed", "x", "--storefront", "shop=http://127.0.0.1:1", "--bogus");
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toContain("synclag-loadgen: 4 problems:");
    for (const text of ["unknown option '--bogus'", 'unknown scenario "nope"', "--duration", "--seed"]) expect(run.stderr).toContain(text);
    expect(run.stderr).toContain("Run `synclag-loadgen --help` for usage.");
  });

  it("known flags after an unknown one are still read and checked", { timeout: 30_000 }, () => {
    const run = loadgen("--bogus", "1", "--scenario", "flash-sale", "--duration", "0s", "--seed", "x", "--storefront", "amazon=http://127.0.0.1:1", "--also-unknown");
    expect(run.status, run.stderr).toBe(2);
    for (const text of ["unknown option '--bogus'", "unknown option '--also-unknown'", '--duration: "0s"', "--seed must be", "no URL for the scenario's channels shopify, flipkart, woocommerce"]) expect(run.stderr).toContain(text);
    expect(run.stderr).not.toContain("'1'");
  });

  it("a missing --storefront, with the other bad flags", { timeout: 30_000 }, () => {
    const run = loadgen("--scenario", "flash-sale", "--duration", "0s", "--seed", "x");
    expect(run.status, run.stderr).toBe(2);
    for (const text of ["--storefront: no URL for the scenario's channels amazon, shopify, flipkart, woocommerce", "--duration", "--seed"]) expect(run.stderr).toContain(text);
  });

  it("a flag without its value, with the other bad flags", { timeout: 30_000 }, () => {
    const run = loadgen("--duration", "0s", "--storefront", "shop=http://127.0.0.1:1", "--seed");
    expect(run.status, run.stderr).toBe(2);
    for (const text of ["option '--seed <n>' argument missing", "required option '--scenario <name|file>' not specified", '--duration: "0s"']) expect(run.stderr).toContain(text);
  });

  it("--help still prints the usage and exits 0", { timeout: 30_000 }, () => {
    const run = loadgen("--help");
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("--storefront <channel=url>");
  });
});
