// Engine-side propagation lag: coalesced versions settle older orders at once; the source owes nothing; failed pushes settle nothing.
import { describe, expect, it } from "vitest";
import type { ChannelClient, PushOutcome, QuantityUpdate } from "@synclag/core";
import { InMemoryMetrics } from "@synclag/metrics";
import { LagObservingClient } from "./lag-observing-client.js";

function client(outcome: PushOutcome): ChannelClient {
  return {
    channel: "woo",
    maxBatchSize: 10,
    setQuantities: (updates: readonly QuantityUpdate[]) => Promise.resolve(updates.map(() => outcome)),
    readQuantities: () => Promise.resolve(new Map()),
    cancelOrder: () => Promise.resolve({ ok: true }),
  };
}

describe("engine-side propagation lag", () => {
  it("settles every older pending order of a SKU when a newer version is accepted (coalescing)", async () => {
    let now = 1_000;
    const metrics = new InMemoryMetrics();
    const observed = new LagObservingClient(client({ ok: true }), { now: () => now }, metrics);
    observed.noteApplied("shop", "SKU-1", 2, 900);
    observed.noteApplied("shop", "SKU-1", 3, 950);
    observed.noteApplied("shop", "SKU-1", 4, 990);
    now = 1_100;
    await observed.setQuantities([{ sku: "SKU-1", quantity: 7, version: 3 }]);
    expect(metrics.counter("propagations_total", { channel: "woo" })).toBe(2);
    expect(metrics.histogram("propagation_lag_ms", { channel: "woo" })?.max).toBe(200);
  });

  it("owes nothing for the channel's own orders and counts nothing for a failed push", async () => {
    const metrics = new InMemoryMetrics();
    const observed = new LagObservingClient(client({ ok: false, reason: "unavailable", message: "down" }), { now: () => 5 }, metrics);
    observed.noteApplied("woo", "SKU-1", 2, 1);
    observed.noteApplied("shop", "SKU-1", 3, 1);
    await observed.setQuantities([{ sku: "SKU-1", quantity: 1, version: 9 }]);
    expect(metrics.counter("propagations_total", { channel: "woo" })).toBe(0);
  });
});