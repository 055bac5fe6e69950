// Engine-side propagation lag: coalesced versions settle older orders at once; the source owes nothing; failed pushes settle nothing.
// After a stock restore (versions start again at 1) the versions owed before the loss are forgotten: left
// at the head of a SKU's list they held back every later order's count, then counted with pre-loss lag.
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

  it("forgetOwed drops the pre-loss versions still owed: an order after the restore is counted at once, with its own lag", async () => {
    let now = 1_000;
    const metrics = new InMemoryMetrics();
    const observed = new LagObservingClient(client({ ok: true }), { now: () => now }, metrics);
    observed.noteApplied("shop", "SKU-1", 6, 100); // owed when the store lost its data
    observed.forgetOwed();
    observed.noteApplied("shop", "SKU-1", 2, 900); // the restored count is version 1, this order 2
    now = 1_050;
    await observed.setQuantities([{ sku: "SKU-1", quantity: 23, version: 2 }]);
    expect(metrics.counter("propagations_total", { channel: "woo" })).toBe(1);
    expect(metrics.histogram("propagation_lag_ms", { channel: "woo" })?.max).toBe(150);
  });

  it("a call sent before forgetOwed and answered after settles nothing (its versions are from before the loss)", async () => {
    const metrics = new InMemoryMetrics();
    let answer: (outcomes: PushOutcome[]) => void = () => undefined;
    const slow: ChannelClient = { ...client({ ok: true }), setQuantities: () => new Promise((resolve) => (answer = resolve)) };
    const observed = new LagObservingClient(slow, { now: () => 5 }, metrics);
    const inFlight = observed.setQuantities([{ sku: "SKU-1", quantity: 3, version: 7 }]); // pre-loss level
    observed.forgetOwed();
    observed.noteApplied("shop", "SKU-1", 2, 1); // after the restore: not on the channel yet
    answer([{ ok: true }]);
    await inFlight;
    expect(metrics.counter("propagations_total", { channel: "woo" })).toBe(0);
    const next = observed.setQuantities([{ sku: "SKU-1", quantity: 23, version: 2 }]);
    answer([{ ok: true }]);
    await next;
    expect(metrics.counter("propagations_total", { channel: "woo" })).toBe(1);
  });

  it("passes the wrapped client's read cost on (the reconciler reserves a Shopify read from the updates' budget by it), 0 when it has none", () => {
    const metrics = new InMemoryMetrics();
    const shopify = Object.assign(client({ ok: true }), { readBudgetCost: (skus: number) => (2 + skus) / 10 });
    expect(new LagObservingClient(shopify, { now: () => 0 }, metrics).readBudgetCost(100)).toBeCloseTo(10.2, 10);
    expect(new LagObservingClient(client({ ok: true }), { now: () => 0 }, metrics).readBudgetCost(100)).toBe(0);
  });
});
