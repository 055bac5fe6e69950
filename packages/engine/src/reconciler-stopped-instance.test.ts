// Several instances on one store: an instance that stops gracefully drops its pending pushes ("the outbox
// keeps them"), and an instance that keeps running never replays the outbox. Its reconciler must still
// repair what the stopped one left behind, although the store's version is newer than what *it* confirmed
// (a newer level is normally a push on its way: judged when it is still there a round later).
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

describe("Reconciler with several instances", () => {
  it("repairs a listing left behind by an instance that stopped before its push landed", async () => {
    const scheduler = new VirtualScheduler(0);
    const store = new InMemoryStockStore({ clock: scheduler });
    const set = await store.setQuantity({ sku: "A", quantity: 1 });
    if (set.kind !== "changed") throw new Error("setup");
    // The marketplace, as instance A's client sees it: lists 1.
    const channelA = new ScriptedChannel("c", 10, scheduler, 50);
    channelA.shown.set("A", 1);
    const metricsA = new RecordingMetrics();
    const a = new Engine({ store, feed: new DirectFeed(), channels: [{ client: channelA, rateLimit: { ratePerSecond: 100, burst: 100 } }], clock: scheduler, scheduler, random: new Prng(1), metrics: metricsA, strategy: { kind: "events" }, reconcileIntervalMs: 60_000 });
    a.propagator.assumeConfirmed("c", "A", { quantity: 1, version: set.change.version });
    await a.start();

    // Instance B applies the last unit's sale (sold on "shop"), its push to "c" fails once, and B is
    // stopped (scale-in / rolling deploy) while it waits for the retry: the push is dropped.
    const channelB = new ScriptedChannel("c", 10, scheduler, 50);
    channelB.fallback = (u) => u.map(() => ({ ok: false as const, reason: "unavailable" as const, message: "503" }));
    const feedB = new DirectFeed();
    const b = new Engine({ store, feed: feedB, channels: [{ client: channelB, rateLimit: { ratePerSecond: 100, burst: 100 } }], clock: scheduler, scheduler, random: new Prng(2), metrics: new RecordingMetrics(), strategy: { kind: "events" }, reconcileIntervalMs: 60_000 });
    await b.start();
    await feedB.deliver({ orderId: "o1", sourceChannel: "shop", lines: [{ sku: "A", quantity: 1 }], confirmedAtMs: scheduler.now() });
    await scheduler.runUntil(1_000);
    await b.stop();
    expect((await store.snapshot(["A"])).get("A")?.quantity).toBe(0);

    // "c" still lists 1 of a SKU that is sold out. A's reconciler runs 5 rounds (every 60 s).
    await scheduler.runUntil(301_000);
    expect(metricsA.count("reconcile_reads_total")).toBeGreaterThan(0);
    expect(metricsA.count("drift_repaired_total", { channel: "c", direction: "high" })).toBeGreaterThan(0);
    expect(channelA.calls.flatMap((c) => c.updates.map((u) => `${u.sku}=${u.quantity}`))).toContain("A=0");
    await a.stop();
  });
});
