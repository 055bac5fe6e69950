// The engine composed: outbox acknowledgement keeps up with a sustained order rate, and stop() during
// a poll leaves nothing running. Found by review.
import { describe, expect, it } from "vitest";
import { InMemoryStockStore, Prng, VirtualScheduler, noopMetrics, type Disposition, type FeedSubscription, type OrderEvent, type OrderFeed, type OrderHandler } from "@synclag/core";
import { RecordingMetrics, ScriptedChannel } from "../test/support.js";
import { Engine } from "./engine.js";

/** A feed the test delivers into directly. */
class DirectFeed implements OrderFeed {
  private handler: OrderHandler | undefined;
  readonly results: Disposition[] = [];
  consume(handler: OrderHandler): FeedSubscription {
    this.handler = handler;
    return { stop: () => Promise.resolve() };
  }
  deliver(event: OrderEvent): void {
    void this.handler?.(event, { deliveryCount: 1, working: () => undefined }).then((d) => this.results.push(d));
  }
}

describe("Engine", () => {
  it("acknowledges the outbox as fast as orders settle: 400 orders/s for a minute leave no backlog (one read per sweep capped it at 200/s)", async () => {
    const scheduler = new VirtualScheduler(0);
    const store = new InMemoryStockStore({ clock: scheduler, keepAudit: false });
    const skus = Array.from({ length: 50 }, (_, i) => `S${i}`);
    for (const sku of skus) store.model.setQuantity({ sku, quantity: 1_000_000 });
    const channel = new ScriptedChannel("c", 100, scheduler, 5);
    const feed = new DirectFeed();
    const engine = new Engine({ store, feed, channels: [{ client: channel, rateLimit: { ratePerSecond: 1e6, burst: 1e6 }, maxInFlightCalls: 16 }], clock: scheduler, scheduler, random: new Prng(1), metrics: noopMetrics, strategy: { kind: "events" }, reconcileIntervalMs: 0 });
    await engine.start();
    let n = 0;
    for (let t = 0; t < 60_000; t += 10) {
      await scheduler.runUntil(t);
      for (let k = 0; k < 4; k++) feed.deliver({ orderId: `o${n}`, sourceChannel: "shop", lines: [{ sku: skus[n++ % 50] as string, quantity: 1 }], confirmedAtMs: t });
    }
    await scheduler.runUntil(66_000); // one more sweep after the last order settled
    expect(engine.propagator.idle).toBe(true);
    expect((await store.readOutbox(1_000_000)).length).toBe(0);
    await engine.stop();
  });

  it("stop() during a poll: the poll publishes nothing and starts no reconcile round after the engine stopped", async () => {
    const scheduler = new VirtualScheduler(0);
    const store = new InMemoryStockStore({ clock: scheduler });
    store.model.setQuantity({ sku: "A", quantity: 5 });
    const snapshot = store.snapshot.bind(store);
    store.snapshot = (skus) => new Promise((resolve) => scheduler.setTimer(2_000, () => resolve(snapshot(skus))));
    let reads = 0;
    const channel = new ScriptedChannel("c", 10, scheduler, 5);
    channel.readQuantities = (list) => {
      reads += 1;
      return Promise.resolve(new Map(list.map((sku) => [sku, 5])));
    };
    const engine = new Engine({ store, feed: new DirectFeed(), channels: [{ client: channel, rateLimit: { ratePerSecond: 100, burst: 100 } }], clock: scheduler, scheduler, random: new Prng(1), metrics: noopMetrics, strategy: { kind: "polling", intervalMs: 60_000 }, reconcileIntervalMs: 30_000 });
    await engine.start();
    await scheduler.runUntil(60_500); // the poll began at 60 s; its snapshot returns at 62 s
    await engine.stop();
    const polls = engine.poller?.polls;
    await scheduler.runUntil(70_000);
    expect(engine.poller?.polls).toBe(polls);
    expect(reads).toBe(0);
  });
  it("polling 15m with reconcile 15m (the defaults) reconciles on every poll, however long each poll's snapshot takes", async () => {
    const scheduler = new VirtualScheduler(0);
    const store = new InMemoryStockStore({ clock: scheduler });
    store.model.setQuantity({ sku: "A", quantity: 5 });
    // A real store's snapshot takes a few ms, varying: 5 ms, 3 ms, 5 ms, 3 ms…
    const snapshot = store.snapshot.bind(store);
    let n = 0;
    const pollSnapshotsAtMs: number[] = [];
    store.snapshot = (skus) => {
      if (skus === undefined) pollSnapshotsAtMs.push(scheduler.now());
      const delayMs = n++ % 2 === 0 ? 5 : 3;
      return new Promise((resolve) => scheduler.setTimer(delayMs, () => resolve(snapshot(skus))));
    };
    const channel = new ScriptedChannel("c", 1, scheduler, 10);
    const metrics = new RecordingMetrics();
    const engine = new Engine({ store, feed: new DirectFeed(), channels: [{ client: channel, rateLimit: { ratePerSecond: 10, burst: 10 } }], clock: scheduler, scheduler, random: new Prng(1), metrics, strategy: { kind: "polling", intervalMs: 900_000 } });
    await engine.start();
    await scheduler.runUntil(8 * 900_000 + 60_000);
    await engine.stop();
    expect(pollSnapshotsAtMs.filter((t) => t % 900_000 === 0)).toHaveLength(8);
    expect(metrics.count("reconcile_reads_total")).toBe(8);
  });
});
