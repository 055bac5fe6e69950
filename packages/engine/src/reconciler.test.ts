import { describe, expect, it } from "vitest";
import { InMemoryStockStore, noopMetrics } from "@synclag/core";
import { RecordingMetrics, callLog, setup } from "../test/support.js";
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

  it("repairs a listing edited by hand while the truth is unchanged: shown high at once, shown low when the same gap is there on the next round", async () => {
    const { scheduler, channel, propagator, config } = setup({ latencyMs: 10 });
    const store = new InMemoryStockStore({ clock: scheduler });
    for (const sku of ["H", "L"]) {
      const set = await store.setQuantity({ sku, quantity: 10 });
      if (set.kind !== "changed") throw new Error("setup");
      propagator.assumeConfirmed("c", sku, { quantity: 10, version: set.change.version });
    }
    channel.shown.set("H", 12);
    channel.shown.set("L", 7);
    const metrics = new RecordingMetrics();
    const reconciler = new Reconciler({ store, propagator, channels: [config], scheduler, clock: scheduler, metrics });
    expect(await reconciler.round()).toBe(1);
    await scheduler.runUntil(1_000);
    expect(callLog(channel)).toEqual(["0:H1"]);
    channel.shown.set("H", 10);
    expect(await reconciler.round()).toBe(1);
    await scheduler.runUntil(2_000);
    expect(callLog(channel)).toEqual(["0:H1", "1000:L1"]);
    expect(metrics.count("drift_repaired_total", { channel: "c", direction: "high" })).toBe(1);
    expect(metrics.count("drift_repaired_total", { channel: "c", direction: "low" })).toBe(1);
  });

  it("leaves a truth newer than the version the channel confirmed to whoever pushes it (the propagator, the next poll): not judged, not drift — on a poll's rounds for good, on its own timer for one round", async () => {
    const { scheduler, channel, propagator, config } = setup({ latencyMs: 10 });
    const store = new InMemoryStockStore({ clock: scheduler });
    const set = await store.setQuantity({ sku: "A", quantity: 10 });
    if (set.kind !== "changed") throw new Error("setup");
    propagator.assumeConfirmed("c", "A", { quantity: 10, version: set.change.version });
    channel.shown.set("A", 10);
    // Sold elsewhere: the store moved, nothing has handed the new level to the propagator yet.
    await store.applyOrder({ orderId: "o1", sourceChannel: "shop", lines: [{ sku: "A", quantity: 3 }] });
    const metrics = new RecordingMetrics();
    const reconciler = new Reconciler({ store, propagator, channels: [config], scheduler, clock: scheduler, metrics, intervalMs: 1_000 });
    // Rounds riding on polls: the next poll pushes it, however many rounds pass.
    expect(await reconciler.roundIfDue(1_000)).toBe(0);
    expect(await reconciler.roundIfDue(2_000)).toBe(0);
    expect(await reconciler.roundIfDue(3_000)).toBe(0);
    // On its own timer (events): a push about to start — not judged the first time it is seen (still there
    // a round later, it is: reconciler-stopped-instance.test.ts).
    const events = new Reconciler({ store, propagator, channels: [config], scheduler, clock: scheduler, metrics });
    expect(await events.round()).toBe(0);
    await scheduler.runUntil(1_000);
    expect(channel.calls).toEqual([]);
    expect(metrics.count("drift_repaired_total")).toBe(0);
  });

  it("judges a listing this process holds no version of (after a restart) on its own timer, but leaves it to the poll on a poll's round", async () => {
    const { scheduler, channel, propagator, config } = setup({ latencyMs: 10 });
    const store = new InMemoryStockStore({ clock: scheduler });
    await store.setQuantity({ sku: "A", quantity: 10 });
    channel.shown.set("A", 12);
    const metrics = new RecordingMetrics();
    const reconciler = new Reconciler({ store, propagator, channels: [config], scheduler, clock: scheduler, metrics, intervalMs: 1_000 });
    expect(await reconciler.roundIfDue(1_000)).toBe(0); // a poll's round: the poll hands the SKU over
    expect(channel.calls).toEqual([]);
    expect(await reconciler.round()).toBe(1);
    await scheduler.runUntil(1_000);
    expect(callLog(channel)).toEqual(["0:A1"]);
    expect(metrics.count("drift_repaired_total", { channel: "c", direction: "high" })).toBe(1);
  });

  it("repairs a listing whose newest version was given up on and which shows another quantity (nothing else will push it)", async () => {
    const { scheduler, channel, propagator, config } = setup({ latencyMs: 10 });
    const store = new InMemoryStockStore({ clock: scheduler });
    const set = await store.setQuantity({ sku: "A", quantity: 10 });
    if (set.kind !== "changed") throw new Error("setup");
    propagator.assumeConfirmed("c", "A", { quantity: 10, version: set.change.version });
    channel.shown.set("A", 10);
    const sold = await store.applyOrder({ orderId: "o1", sourceChannel: "shop", lines: [{ sku: "A", quantity: 3 }] });
    if (sold.kind !== "applied") throw new Error("setup");
    channel.replies.push((u) => u.map(() => ({ ok: false, reason: "rejected", message: "INVALID" })));
    propagator.publish("A", sold.changes[0] as { quantity: number; version: number });
    await scheduler.runUntil(1_000);
    expect(propagator.abandonedVersion("c", "A")).toBe(sold.changes[0]?.version);
    const metrics = new RecordingMetrics();
    const reconciler = new Reconciler({ store, propagator, channels: [config], scheduler, clock: scheduler, metrics });
    expect(await reconciler.round()).toBe(1); // shown high (10 for 7): at once
    await scheduler.runUntil(2_000);
    expect(callLog(channel).at(-1)).toBe(`1000:A${sold.changes[0]?.version}`);
    expect(metrics.count("drift_repaired_total", { channel: "c", direction: "high" })).toBe(1);
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
