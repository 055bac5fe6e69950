// synclag-loadgen as a user runs it: a flag given twice used to keep only its last value without a word
// (`--seed 1 --seed 2` replayed seed 2). Only --storefront is repeatable (one per channel); any other
// flag given twice is a problem listed with the rest (exit 2), whatever its spelling (`--seed=2`).

import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "synclag-loadgen.js");
const loadgen = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 30_000 });

describe("synclag-loadgen: a flag given twice", () => {
  it("is listed with the other problems (exit 2); --storefront stays repeatable", { timeout: 30_000 }, () => {
    const run = loadgen("--scenario", "flash-sale", "--scenario=steady-day", "--seed", "1", "--seed=2", "--duration", "10s", "--duration", "20s", "--rate", "x", "--storefront", "amazon=http://127.0.0.1:1", "--storefront", "shopify=http://127.0.0.1:2");
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/synclag-loadgen: \d+ problems:/);
    expect(run.stderr).toContain("--scenario given twice (flash-sale, steady-day); give it once");
    expect(run.stderr).toContain("--seed given twice (1, 2); give it once");
    expect(run.stderr).toContain("--duration given twice (10s, 20s); give it once");
    expect(run.stderr).toContain('--rate: "x" is not a rate');
    expect(run.stderr).not.toContain("--storefront given");
    expect(run.stderr).toContain("Run `synclag-loadgen --help` for usage.");
  });
});
