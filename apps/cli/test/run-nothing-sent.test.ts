// A `synclag run` in which nothing was sent measured nothing: it must not exit 0 with "p99 0 ms" as if
// the system had been measured — it warns and exits 1 (as synclag-loadgen does), and prints "—" for
// the latencies it has no sample of.

import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, scratchDirs } from "./support.js";

const scratchDir = scratchDirs();

/** Skips (outside CI) without the servers; true when the test can run. */
function serversInstalled(context: { skip: (note: string) => void }): boolean {
  const missing = ["nats-server", "redis-server"].filter((b) => spawnSync("sh", ["-c", `command -v ${b}`]).status !== 0);
  if (missing.length === 0) return true;
  if (process.env.CI === "true") throw new Error(`${missing.join(", ")} missing: apt-get install -y nats-server redis-server`);
  context.skip(`${missing.join(", ")} not installed (apt-get install -y nats-server redis-server)`);
  return false;
}

/** A one-hour, one-channel scenario file with these catalogue and demand lines, run compressed into `duration`. */
function run(catalog: string, demand: string, duration: string) {
  const dir = scratchDir("synclag-run-nothing-");
  const file = join(dir, "quiet.yaml");
  writeFileSync(file, ["name: quiet", "duration: 1h", `catalog: ${catalog}`, "channels:", "  - { id: shopify, kind: shopify, share: 1 }", `demand: ${demand}`].join("\n"));
  return runCli(["run", "--scenario", file, "--strategy", "events", "--duration", duration, "--seed", "1", "--convergence-timeout", "10s", "--json", join(dir, "result.json")]);
}

describe("synclag run that measured nothing", () => {
  it("sent nothing: warns, prints — for the latencies, and exits 1", { timeout: 180_000 }, (context) => {
    if (!serversInstalled(context)) return;
    // One order a day over one hour: the arrival plan for seed 1 is empty.
    const result = run("{ skus: 2, stock: 5 }", "{ ordersPerDay: 1 }", "1s");
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain("run: dropped arrivals 0; storefront latency p99 —; engine propagation lag p99 —");
    expect(result.stderr).toContain("run: WARNING: no arrival was sent (0 planned) — the run measured nothing. Give a higher --rate or a longer --duration. → exit 1");
  });

  it("accepted no order (nothing in stock): warns and exits 1", { timeout: 180_000 }, (context) => {
    if (!serversInstalled(context)) return;
    // About ten buyers in 2 s, every one turned away: there is no stock to sell.
    const result = run("{ skus: 2, stock: 0 }", "{ ordersPerDay: 240 }", "2s");
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/run: WARNING: no order was accepted \(\d+ sent: \d+ turned away, 0 failed\) — the run measured nothing\. → exit 1/);
  });
});
