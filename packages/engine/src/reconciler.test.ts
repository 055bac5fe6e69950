import { describe, expect, it } from "vitest";
import { InMemoryStockStore, noopMetrics } from "@synclag/core";
import { RecordingMetrics, setup } from "../test/support.js";
import { Reconciler } from "./reconciler.js";

describe("Reconciler", () => {
  it("survives a store error during a round on its own timer: counted, no unhandled rejection (Node would exit), the next round runs", async () => {
    const { scheduler, propagator, config } = setup();
    const store = new InMemoryStockStore({ clock: scheduler });
    let snapshots = 0;
    const flaky = Object.assign(Object.create(store) as InMemoryStockStore, {
      snapshot: () => (++snapshots === 1 ? Promise.reject(new Error("redis: connection lost")) : store.snapshot()),
    });
    const metrics = new RecordingMetrics();
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    const listeners = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection"); // vitest's own would fail the file: record instead
    process.on("unhandledRejection", record);
    try {
      const reconciler = new Reconciler({ store: flaky, propagator, channels: [config], scheduler, clock: scheduler, metrics, intervalMs: 1_000 });
      reconciler.start();
      await scheduler.runUntil(1_500); // the first round's snapshot fails
      await new Promise((resolve) => setTimeout(resolve, 20)); // let Node report unhandled rejections
      await scheduler.runUntil(2_500);
      reconciler.stop();
    } finally {
      process.off("unhandledRejection", record);
      for (const listener of listeners) process.on("unhandledRejection", listener);
    }
    expect(unhandled).toEqual([]);
    expect(snapshots).toBeGreaterThanOrEqual(2);
    expect(metrics.count("reconcile_errors_total", { channel: "(store)" })).toBe(1);
  });

  it("ranks a repair by what the channel was read to show: a sell-out still shown as available goes ahead of a busy channel's backlog", async () => {
    const { scheduler, channel, propagator, config } = setup({ ratePerSecond: 1, burst: 1, latencyMs: 10 });
    const store = new InMemoryStockStore({ clock: scheduler });
    const z = await store.setQuantity({ sku: "Z", quantity: 0 });
    if (z.kind !== "changed") throw new Error("setup");
    propagator.assumeConfirmed("c", "Z", { quantity: 0, version: z.change.version }); // the engine pushed 0 long ago…
    channel.shown.set("Z", 3); // …but the listing shows 3 (edited in the seller console): oversell risk
    const reconciler = new Reconciler({ store, propagator, channels: [config], scheduler, clock: scheduler, metrics: noopMetrics });
    // One shown-high update per second against a 1/s limit, with a standing backlog of 20.
    for (let i = 0; i < 60; i++) propagator.assumeConfirmed("c", `S${i}`, { quantity: 5, version: 1 });
    for (let i = 0; i < 20; i++) propagator.publish(`S${i}`, { quantity: 4, version: 2 });
    let repairs = 0;
    for (let second = 0; second < 40; second++) {
      propagator.publish(`S${20 + second}`, { quantity: 4, version: 2 });
      if (second === 10) repairs = await reconciler.round();
      await scheduler.runUntil(second * 1_000 + 999);
    }
    expect(repairs).toBe(1);
    // Ranked as drift (the engine's belief, 0), it waited behind the backlog for driftAgeingMs (5 min).
    expect(channel.calls.find((c) => c.updates.some((u) => u.sku === "Z"))?.atMs).toBeLessThanOrEqual(12_000);
  });

  it("stops reading a channel for the round once a read is throttled (more reads would take the updates' budget)", async () => {
    const { scheduler, channel, propagator, config } = setup();
    const store = new InMemoryStockStore({ clock: scheduler });
    for (const sku of ["A", "B", "C"]) await store.setQuantity({ sku, quantity: 5 });
    let reads = 0;
    channel.readQuantities = () => {
      reads += 1;
      return Promise.reject(Object.assign(new Error("THROTTLED"), { reason: "rate_limited", retryAfterMs: 2_000 }));
    };
    const metrics = new RecordingMetrics();
    const reconciler = new Reconciler({ store, propagator, channels: [config], scheduler, clock: scheduler, metrics, readBatchSize: 1 });
    expect(await reconciler.round()).toBe(0);
    expect(reads).toBe(1);
    expect(metrics.count("reconcile_errors_total", { channel: "c" })).toBe(1);
  });

  it("re-sends a version given up on when the channel's policy lists the same quantity for it (the shelf is right, its version is not)", async () => {
    const { scheduler, channel, propagator, config } = setup({ latencyMs: 10, policy: { maxListed: 5 } });
    const store = new InMemoryStockStore({ clock: scheduler });
    const start = await store.setQuantity({ sku: "A", quantity: 10 });
    if (start.kind !== "changed") throw new Error("setup");
    propagator.assumeConfirmed("c", "A", { quantity: 5, version: start.change.version });
    channel.shown.set("A", 5);
    const sold = await store.applyOrder({ orderId: "o1", sourceChannel: "shop", lines: [{ sku: "A", quantity: 1 }] });
    if (sold.kind !== "applied") throw new Error("setup");
    const version = sold.changes[0]?.version as number;
    channel.replies.push((u) => u.map(() => ({ ok: false, reason: "rejected", message: "INVALID" })));
    propagator.publish("A", { quantity: 9, version }); // listed 5 (capped): refused, given up
    await scheduler.runUntil(1_000);
    expect(propagator.confirmedVersion("c", "A")).toBe(start.change.version);
    const metrics = new RecordingMetrics();
    const reconciler = new Reconciler({ store, propagator, channels: [config], scheduler, clock: scheduler, metrics });
    expect(await reconciler.round()).toBe(1);
    await scheduler.runUntil(2_000);
    expect(propagator.confirmedVersion("c", "A")).toBe(version);
    expect(metrics.count("reconcile_version_repairs_total", { channel: "c" })).toBe(1);
    expect(metrics.count("drift_repaired_total")).toBe(0);
    expect(await reconciler.round()).toBe(0); // nothing left to re-send
  });
});
