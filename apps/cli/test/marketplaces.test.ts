// `synclag marketplaces --scenario`: the mocks `synclag-loadgen --scenario` buys from — one per scenario
// channel, listing the scenario's catalogue (for the seed) at each channel's policy quantity.

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { listedQuantity } from "@synclag/core";
import { buildCatalog, loadScenario } from "@synclag/workload";

const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "synclag.js");

function scenarioFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), "synclag-marketplaces-")), "two-amazons.yaml");
  writeFileSync(
    file,
    [
      "name: two-amazons",
      "duration: 1h",
      "catalog: { skus: 4, stock: { min: 5, max: 40 } }",
      "channels:",
      "  - { id: amazon-us, kind: amazon, share: 1 }",
      "  - { id: amazon-uk, kind: amazon, share: 1, policy: { bufferUnits: 2, allocationPercent: 50 } }",
      "  - { id: shop, kind: shopify, share: 1 }",
      "demand: { ordersPerDay: 100 }",
    ].join("\n"),
  );
  return file;
}

describe("synclag marketplaces --scenario", () => {
  it("lists every bad flag at once, including the ones --scenario replaces", () => {
    const result = spawnSync(process.execPath, [bin, "marketplaces", "--scenario", "nope", "--skus", "5", "--prefix", "x-", "--seed", "-1"], { encoding: "utf8", timeout: 60_000 });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("4 problems");
    expect(result.stderr).toContain(`--seed must be a whole number from 0 to 9007199254740991 (2^53 − 1), got "-1"`);
    expect(result.stderr).toContain(`unknown scenario "nope"`);
    expect(result.stderr).toContain("--skus cannot be combined with --scenario");
    expect(result.stderr).toContain("--prefix cannot be combined with --scenario");
  });

  it("starts one mock per channel with the scenario's catalogue at each channel's policy quantity, and stops on SIGTERM", { timeout: 60_000 }, async () => {
    const file = scenarioFile();
    const child = spawn(process.execPath, [bin, "marketplaces", "--scenario", file, "--seed", "7", "--layout", "single-port", "--latency", "none", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString("utf8");
          if (out.includes("\n")) resolve(out.split("\n")[0] as string);
        });
        child.on("close", (code) => reject(new Error(`exited ${code} before printing its URLs`)));
      });
      const printed = JSON.parse(line) as { scenario: string; seed: number; marketplaces: Array<{ channel: string; kind: string; url: string }> };
      expect(printed.scenario).toBe("two-amazons");
      expect(printed.seed).toBe(7);
      expect(printed.marketplaces.map((m) => [m.channel, m.kind])).toEqual([
        ["amazon-us", "amazon"],
        ["amazon-uk", "amazon"],
        ["shop", "shopify"],
      ]);
      const loaded = loadScenario(file);
      if (!loaded.ok) throw new Error(loaded.problems.join("\n"));
      const catalog = buildCatalog(loaded.scenario, 7);
      expect(new Set(catalog.map((i) => i.stock)).size).toBeGreaterThan(1); // the seed decides the stock
      for (const [index, spec] of loaded.scenario.channels.entries()) {
        const url = printed.marketplaces[index]?.url;
        for (const item of catalog) {
          const shown = (await (await fetch(`${url}/_synclag/storefront/items/${item.sku}`)).json()) as { available: number; listed: boolean };
          expect(shown, `${spec.id} ${item.sku}`).toEqual({ sku: item.sku, available: listedQuantity(item.stock, spec.policy), listed: true });
        }
      }
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });
});
