// Shopify bills its inventory reads from the cost bucket its updates draw on (a 100-SKU read costs 102
// points, an update call 10). The reconciler read a catalogue as fast as the channel answered, drained
// the bucket, and the updates that followed were throttled (429) — self-inflicted throttling every
// round (black-friday-40: 472 on Shopify). A channel whose client says what a read costs in update
// calls (`readBudgetCost`) now has its reads reserved from the propagator's token bucket first: they
// wait for the budget, and updates queued meanwhile wait behind them instead of being refused.
import { describe, expect, it } from "vitest";
import { InMemoryStockStore } from "@synclag/core";
import { RecordingMetrics, setup } from "../test/support.js";
import { Reconciler } from "./reconciler.js";
import { TokenBucket } from "./token-bucket.js";

describe("TokenBucket.reserve", () => {
  it("takes several tokens at once, into the future when the bucket holds fewer: the wait is returned, later takes queue behind it", () => {
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 10 }, 0);
    expect(bucket.reserve(0, 4)).toBe(0); // 10 there: 6 left
    expect(bucket.reserve(0, 10)).toBeCloseTo(400, 5); // 6 there, 4 more come in 400 ms
    expect(bucket.tryTake(0)).toBeCloseTo(500, 5); // the next single token after those
    expect(bucket.tryTake(500)).toBe(0);
    // A quiet period refills to the burst only.
    expect(bucket.reserve(60_000, 10)).toBe(0);
    expect(bucket.tryTake(60_000)).toBeCloseTo(100, 5);
    // Fractions of a call (a read costing 10.2 update calls).
    expect(bucket.reserve(120_000, 10.2)).toBeCloseTo(20, 5);
    // A margin left over: waited for, not taken (the next take may use it).
    const kept = new TokenBucket({ ratePerSecond: 10, burst: 10 }, 0);
    expect(kept.reserve(0, 5, 1)).toBe(0); // 10 there: 5 left, 1 of them kept
    expect(kept.reserve(0, 5, 1)).toBeCloseTo(100, 5); // 5 there: waits for 6
    expect(kept.tryTake(0)).toBeCloseTo(100, 5); // the take after the reservation waits for its own token only
    // A margin the burst cannot hold beside the take is capped to what it can.
    expect(new TokenBucket({ ratePerSecond: 10, burst: 10 }, 0).reserve(0, 10, 5)).toBe(0);
  });

  it("is free on an unlimited bucket and refuses a negative or non-finite cost", () => {
    expect(new TokenBucket({ ratePerSecond: Number.POSITIVE_INFINITY, burst: 1 }, 0).reserve(0, 500)).toBe(0);
    const bucket = new TokenBucket({ ratePerSecond: 1, burst: 1 }, 0);
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => bucket.reserve(0, bad)).toThrow(RangeError);
  });
});

describe("Reconciler reads on a channel whose reads share the updates' budget", () => {
  async function catalogue(skus: number, options: { ratePerSecond: number; burst: number; costPerSku?: number }) {
    const { scheduler, channel, propagator, config } = setup({ latencyMs: 10, ratePerSecond: options.ratePerSecond, burst: options.burst });
    const store = new InMemoryStockStore({ clock: scheduler });
    for (let i = 0; i < skus; i++) {
      const sku = `S${String(i).padStart(2, "0")}`;
      const set = await store.setQuantity({ sku, quantity: 5 });
      if (set.kind !== "changed") throw new Error("setup");
      propagator.assumeConfirmed("c", sku, { quantity: 5, version: set.change.version });
      channel.shown.set(sku, 5);
    }
    const readAt: number[] = [];
    const read = channel.readQuantities.bind(channel);
    channel.readQuantities = (batch) => {
      readAt.push(scheduler.now());
      return read(batch);
    };
    const costPerSku = options.costPerSku ?? 1;
    Object.assign(channel, { readBudgetCost: (count: number) => count * costPerSku });
    const metrics = new RecordingMetrics();
    const reconciler = new Reconciler({ store, propagator, channels: [config], scheduler, clock: scheduler, metrics, readBatchSize: 5 });
    return { scheduler, channel, propagator, store, reconciler, readAt, metrics };
  }

  it("waits for the budget before each read, leaving a tenth of the burst over (5 update calls' worth of 5 SKUs, 10 calls/s, burst 10)", async () => {
    const { scheduler, reconciler, readAt } = await catalogue(20, { ratePerSecond: 10, burst: 10 });
    const round = reconciler.round();
    await scheduler.runUntil(5_000);
    expect(await round).toBe(0);
    // 10 tokens: the first read takes 5; the second waits until 6 are there (5 and the margin): 100 ms.
    expect(readAt).toEqual([0, 100, 600, 1_100]);
  });

  it("an update queued while the reads wait for the budget takes the margin they leave, and the reads after it wait for it", async () => {
    const { scheduler, channel, propagator, reconciler, readAt } = await catalogue(20, { ratePerSecond: 10, burst: 10 });
    const round = reconciler.round();
    await scheduler.runUntil(1);
    propagator.publish("S00", { quantity: 4, version: 2 }); // a sale while the round reads
    await scheduler.runUntil(5_000);
    await round;
    expect(channel.calls.map((c) => c.atMs)).toEqual([100]); // its token, not one of the reads'
    expect(readAt).toEqual([0, 100, 700, 1_200]); // each read after it a token later
  });

  it("reads at once on a channel whose reads have a budget of their own (no readBudgetCost, or 0)", async () => {
    const { scheduler, reconciler, readAt } = await catalogue(20, { ratePerSecond: 1, burst: 1, costPerSku: 0 });
    const round = reconciler.round();
    await scheduler.runUntil(1_000);
    await round;
    expect(readAt).toEqual([0, 0, 0, 0]);
  });

  it("a stop while a round waits for the budget ends the round: no read after the stop", async () => {
    const { scheduler, reconciler, readAt } = await catalogue(20, { ratePerSecond: 1, burst: 5 });
    const round = reconciler.round();
    await scheduler.runUntil(1_000);
    reconciler.stop();
    expect(await round).toBe(0);
    await scheduler.runUntil(60_000);
    expect(readAt).toEqual([0]);
  });
});
