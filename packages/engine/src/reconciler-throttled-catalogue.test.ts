// A catalogue bigger than one round's read budget: Shopify bills reads from the bucket updates draw on
// (a 100-SKU read costs 102 of its 1,000 points), so a round over 5,000 SKUs is throttled part-way.
// Each round used to start again at the first SKU: the SKUs past the throttle point were never read,
// and their drift never repaired. Found by reading the reconciler against black-friday-40's numbers.
import { describe, expect, it } from "vitest";
import { InMemoryStockStore } from "@synclag/core";
import { RecordingMetrics, callLog, setup } from "../test/support.js";
import { Reconciler } from "./reconciler.js";

/** Ten SKUs at 5, confirmed on the channel at their version; reads of two SKUs; two reads per round admitted. */
async function throttledCatalogue() {
  const { scheduler, channel, propagator, config } = setup({ latencyMs: 10 });
  const store = new InMemoryStockStore({ clock: scheduler });
  const skus = Array.from({ length: 10 }, (_, i) => `S${i}`);
  for (const sku of skus) {
    const set = await store.setQuantity({ sku, quantity: 5 });
    if (set.kind !== "changed") throw new Error("setup");
    propagator.assumeConfirmed("c", sku, { quantity: 5, version: set.change.version });
    channel.shown.set(sku, 5);
  }
  const reads: string[][] = [];
  let admitted = 0;
  const read = channel.readQuantities.bind(channel);
  channel.readQuantities = (batch) => {
    if (admitted >= 2) return Promise.reject(Object.assign(new Error("THROTTLED"), { reason: "rate_limited", retryAfterMs: 1_000 }));
    admitted += 1;
    reads.push([...batch]);
    return read(batch);
  };
  const metrics = new RecordingMetrics();
  const reconciler = new Reconciler({ store, propagator, channels: [config], scheduler, clock: scheduler, metrics, readBatchSize: 2 });
  let at = 0;
  /** One round with a fresh read budget; returns the repairs it started. */
  const round = async () => {
    admitted = 0;
    const repairs = await reconciler.round();
    at += 1_000;
    await scheduler.runUntil(at);
    return repairs;
  };
  return { channel, reads, round, metrics };
}

describe("Reconciler on a channel that throttles its reads part-way through the catalogue", () => {
  it("starts the next round where the throttle stopped the last one, so every SKU is read in turn", async () => {
    const { reads, round } = await throttledCatalogue();
    for (let i = 0; i < 3; i++) await round();
    expect(reads.map((batch) => batch.join(","))).toEqual(["S0,S1", "S2,S3", "S4,S5", "S6,S7", "S8,S9", "S0,S1"]);
  });

  it("repairs a listing shown high at the end of the catalogue", async () => {
    const { channel, round, metrics } = await throttledCatalogue();
    channel.shown.set("S9", 8); // edited by hand in the seller console: oversell risk
    const repairs = [await round(), await round(), await round()];
    expect(repairs).toEqual([0, 0, 1]);
    expect(callLog(channel)).toEqual(["2000:S91"]);
    expect(metrics.count("drift_repaired_total", { channel: "c", direction: "high" })).toBe(1);
  });

  it("keeps a low gap's suspicion through rounds that do not reach its SKU, and repairs it when the next read finds the same gap", async () => {
    const { channel, reads, round, metrics } = await throttledCatalogue();
    channel.shown.set("S9", 3);
    const repairs: number[] = [];
    for (let i = 0; i < 5; i++) repairs.push(await round());
    // S9 is read in rounds 3 (suspected) and 5 (the same gap again: repaired), not in round 4.
    expect(reads.filter((batch) => batch.includes("S9"))).toHaveLength(2);
    expect(repairs).toEqual([0, 0, 0, 0, 1]);
    expect(callLog(channel)).toEqual(["4000:S91"]);
    expect(metrics.count("drift_repaired_total", { channel: "c", direction: "low" })).toBe(1);
  });
});
