// The reconciler under the polling strategy, through the whole engine: its rounds ride on the poll's
// tick, so nothing it does may push the truth between polls — a sale applied while a round reads the
// channels is the next poll's to push, not drift — and a wall clock stepped back keeps its rounds.
import { describe, expect, it } from "vitest";
import { InMemoryStockStore, Prng, VirtualScheduler, type FeedSubscription, type OrderEvent, type OrderFeed, type OrderHandler } from "@synclag/core";
import { RecordingMetrics, ScriptedChannel } from "../test/support.js";
import { Engine } from "./engine.js";

class DirectFeed implements OrderFeed {
  private handler: OrderHandler | undefined;
  consume(handler: OrderHandler): FeedSubscription {
    this.handler = handler;
    return { stop: () => Promise.resolve() };
  }
  deliver(event: OrderEvent): Promise<unknown> {
    return this.handler?.(event, { deliveryCount: 1, working: () => undefined }) ?? Promise.resolve();
  }
}

/** A channel whose listing reads take `readMs` of virtual time (Amazon reads one SKU per GET: 100 SKUs take ~20 s). */
function slowReadingChannel(scheduler: VirtualScheduler, readMs: number): ScriptedChannel {
  const channel = new ScriptedChannel("c", 10, scheduler, 50);
  channel.readQuantities = (skus) => new Promise((resolve) => scheduler.setTimer(readMs, () => resolve(new Map(skus.flatMap((s) => (channel.shown.has(s) ? [[s, channel.shown.get(s) as number] as const] : []))))));
  return channel;
}

describe("Reconciler under polling (engine)", () => {
  it("a sale applied while a round riding on a poll reads the channel waits for the next poll: not pushed between ticks, not counted as drift", async () => {
    const scheduler = new VirtualScheduler(0);
    const store = new InMemoryStockStore({ clock: scheduler });
    const set = await store.setQuantity({ sku: "A", quantity: 10 });
    if (set.kind !== "changed") throw new Error("setup");
    const channel = slowReadingChannel(scheduler, 2_000);
    channel.shown.set("A", 10);
    const feed = new DirectFeed();
    const metrics = new RecordingMetrics();
    const engine = new Engine({ store, feed, channels: [{ client: channel, rateLimit: { ratePerSecond: 100, burst: 100 } }], clock: scheduler, scheduler, random: new Prng(1), metrics, strategy: { kind: "polling", intervalMs: 60_000 }, reconcileIntervalMs: 60_000 });
    engine.propagator.assumeConfirmed("c", "A", { quantity: 10, version: set.change.version });
    await engine.start();
    await scheduler.runUntil(60_500); // the poll at 60 s (nothing moved), then a round reading "c" until 62 s
    expect(metrics.count("reconcile_reads_total")).toBe(0);
    // A sale on another channel lands in the store while the round reads "c".
    await feed.deliver({ orderId: "o1", sourceChannel: "shop", lines: [{ sku: "A", quantity: 1 }], confirmedAtMs: scheduler.now() });
    await scheduler.runUntil(119_000);
    expect(metrics.count("reconcile_reads_total")).toBe(1);
    expect(channel.calls.filter((c) => c.atMs < 120_000)).toEqual([]);
    expect(metrics.count("drift_repaired_total")).toBe(0);
    // The next poll pushes it.
    await scheduler.runUntil(121_000);
    expect(channel.calls.map((c) => `${c.atMs}:${c.updates.map((u) => `${u.sku}=${u.quantity}`).join(",")}`)).toEqual(["120000:A=9"]);
    await engine.stop();
  });

  it("a listing edited at the marketplace is still repaired on a poll's round (the truth did not move)", async () => {
    const scheduler = new VirtualScheduler(0);
    const store = new InMemoryStockStore({ clock: scheduler });
    const set = await store.setQuantity({ sku: "A", quantity: 10 });
    if (set.kind !== "changed") throw new Error("setup");
    const channel = slowReadingChannel(scheduler, 2_000);
    channel.shown.set("A", 14); // shown high: edited in the seller console
    const metrics = new RecordingMetrics();
    const engine = new Engine({ store, feed: new DirectFeed(), channels: [{ client: channel, rateLimit: { ratePerSecond: 100, burst: 100 } }], clock: scheduler, scheduler, random: new Prng(1), metrics, strategy: { kind: "polling", intervalMs: 60_000 }, reconcileIntervalMs: 60_000 });
    engine.propagator.assumeConfirmed("c", "A", { quantity: 10, version: set.change.version });
    await engine.start();
    await scheduler.runUntil(63_000);
    expect(metrics.count("drift_repaired_total", { channel: "c", direction: "high" })).toBe(1);
    expect(channel.calls.map((c) => `${c.atMs}:${c.updates.map((u) => `${u.sku}=${u.quantity}`).join(",")}`)).toEqual(["62000:A=10"]);
    await engine.stop();
  });

  it("keeps its rounds when the wall clock is stepped back (NTP, a VM resumed)", async () => {
    const scheduler = new VirtualScheduler(0);
    let offset = 0;
    const clock = { now: () => scheduler.now() + offset };
    const store = new InMemoryStockStore({ clock: scheduler });
    await store.setQuantity({ sku: "A", quantity: 10 });
    const channel = new ScriptedChannel("c", 10, scheduler, 50);
    channel.shown.set("A", 10);
    const metrics = new RecordingMetrics();
    const engine = new Engine({ store, feed: new DirectFeed(), channels: [{ client: channel, rateLimit: { ratePerSecond: 100, burst: 100 } }], clock, scheduler, random: new Prng(1), metrics, strategy: { kind: "polling", intervalMs: 60_000 }, reconcileIntervalMs: 60_000 });
    await engine.start();
    await scheduler.runUntil(130_000); // rounds ride on the polls at 60 s and 120 s
    const before = metrics.count("reconcile_reads_total");
    expect(before).toBe(2);
    offset = -3_600_000; // the system clock is stepped back an hour
    await scheduler.runUntil(730_000); // 10 more polls, each with a round due (interval 60 s)
    expect(metrics.count("reconcile_reads_total") - before).toBe(10);
    await engine.stop();
  });
});
