// A flag given without its value is listed as a problem — and must not make the other checks lie
// (found by review): a trailing `--storefront` erased every storefront given before it ("no URL for the
// scenario's channels"), a trailing `--duration` was checked as the default "--duration 60s", and a
// default --duration longer than the scenario did not say it was the default.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "synclag-loadgen.js");
const loadgen = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 30_000 });
const all = ["amazon", "shopify", "flipkart", "woocommerce"].flatMap((c) => ["--storefront", `${c}=http://127.0.0.1:9`]);
const dir = mkdtempSync(join(tmpdir(), "synclag-loadgen-flags-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const shortScenario = () => {
  const file = join(dir, "short.json");
  writeFileSync(file, JSON.stringify({ name: "short", description: "20 s", duration: "20s", catalog: { skus: 1, stock: 5 }, channels: [{ id: "a", kind: "shopify", share: 1 }], demand: { ordersPerDay: 20000 } }));
  return file;
};

describe("synclag-loadgen: a flag without its value", () => {
  it("a trailing --storefront keeps the storefronts given before it", { timeout: 30_000 }, () => {
    const run = loadgen("--scenario", "flash-sale", "--duration", "5s", ...all, "--storefront");
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("option '--storefront <channel=url>' argument missing");
    expect(run.stderr).not.toContain("no URL for the scenario's channels");
  });
  it("a trailing --duration is not checked as the default 60s", { timeout: 30_000 }, () => {
    const run = loadgen("--scenario", shortScenario(), "--storefront", "a=http://127.0.0.1:9", "--duration");
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("option '--duration <duration>' argument missing");
    expect(run.stderr).not.toContain("60s is longer than the scenario");
  });
  it("the default --duration longer than the scenario is called the default, with a value that fits", { timeout: 30_000 }, () => {
    const run = loadgen("--scenario", shortScenario(), "--storefront", "a=http://127.0.0.1:9");
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("the default --duration 60s is longer than the scenario (short: 20s)");
    expect(run.stderr).toContain("(e.g. --duration 20s)");
  });
});
