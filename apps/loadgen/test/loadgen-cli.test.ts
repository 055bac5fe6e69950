// The load generator as a user runs it (a real process): it refuses storefronts that do not list the
// scenario's SKUs before sending anyone, and fails a run in which no buyer was accepted.

import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { fakeStorefront, type FakeStorefront } from "./storefront-fake.js";

const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "synclag-loadgen.js");
const open: FakeStorefront[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** 1 h of a 3-SKU shop at 3,600 orders a day: ~150 buyers, compressed into 1 s. */
function tinyScenario(): string {
  const file = join(mkdtempSync(join(tmpdir(), "loadgen-cli-")), "tiny.yaml");
  writeFileSync(file, ["name: tiny", "duration: 1h", "catalog: { skus: 3, stock: 50 }", "channels:", "  - { id: shop, kind: shopify, share: 1 }", "demand: { ordersPerDay: 3600 }"].join("\n"));
  return file;
}

function loadgen(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("synclag-loadgen", () => {
  it("exits 4 and sends nobody when the storefront does not list the scenario's SKUs", { timeout: 60_000 }, async () => {
    const shop = await fakeStorefront({ skus: ["sku-1", "sku-2"] });
    open.push(shop);
    const result = await loadgen("--scenario", tinyScenario(), "--duration", "1s", "--storefront", `shop=${shop.url}`);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(`storefront shop (${shop.url}) does not list any of the scenario's 3 SKUs (SKU-0001, SKU-0002, SKU-0003)`);
    expect(result.stderr).toContain("npx synclag marketplaces --scenario");
    expect(result.stdout).toBe("");
    expect(shop.requests.filter((r) => r.includes("checkout"))).toEqual([]);
  });

  it("replays the buyers and exits 0 when they are accepted; exits 1 when every one was turned away", { timeout: 60_000 }, async () => {
    const skus = ["SKU-0001", "SKU-0002", "SKU-0003"];
    const good = await fakeStorefront({ skus });
    const soldOut = await fakeStorefront({ skus, checkout: 409 });
    open.push(good, soldOut);
    const scenario = tinyScenario();
    const ok = await loadgen("--scenario", scenario, "--duration", "1s", "--storefront", `shop=${good.url}`);
    expect(ok.code, ok.stderr).toBe(0);
    const report = JSON.parse(ok.stdout) as { sent: number; accepted: number; errors: number };
    expect(report.sent).toBeGreaterThan(50);
    expect(report.accepted).toBe(report.sent);
    const nothing = await loadgen("--scenario", scenario, "--duration", "1s", "--storefront", `shop=${soldOut.url}`);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/no buyer was accepted \(\d+ turned away, 0 failed\): the run measured nothing/);
  });
});
