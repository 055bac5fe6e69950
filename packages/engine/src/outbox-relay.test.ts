import { describe, expect, it } from "vitest";
import { InMemoryStockStore, noopMetrics } from "@synclag/core";
import { setup } from "../test/support.js";
import { OutboxRelay } from "./outbox-relay.js";

describe("OutboxRelay.replay after a crash", () => {
  it("pushes the latest truth of every SKU even when the unacknowledged outbox is longer than one read", async () => {
    const { scheduler, channel, propagator } = setup({ maxBatchSize: 25, latencyMs: 10 });
    const store = new InMemoryStockStore({ clock: scheduler, keepAudit: false });
    // What a crashed process left: A listed at 10, then 30 restocks of B, then A sold out.
    await store.setQuantity({ sku: "A", quantity: 10 });
    for (let i = 0; i < 30; i++) await store.restock({ sku: "B", quantity: 1 });
    const soldOut = await store.setQuantity({ sku: "A", quantity: 0 });
    if (soldOut.kind !== "changed") throw new Error("setup");
    const relay = new OutboxRelay({ store, propagator, scheduler, metrics: noopMetrics, replayReadLimit: 20, batchSize: 100 });
    expect(await relay.replay()).toBe(20);
    await scheduler.runUntil(60_000);
    const pushed = channel.calls.flatMap((c) => c.updates);
    expect(pushed.filter((u) => u.sku === "A").at(-1)).toMatchObject({ quantity: 0, version: soldOut.change.version });
    expect(pushed.filter((u) => u.sku === "B").at(-1)).toMatchObject({ quantity: 30 });
    // Every entry, the ones beyond the read too, settles once the channel confirmed the latest truth.
    expect(await relay.sweep()).toBe(32);
    expect(await store.readOutbox(100)).toEqual([]);
  });
});
