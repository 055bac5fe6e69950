import { describe, expect, it } from "vitest";
import { InMemoryStockStore, Prng, VirtualScheduler, type ChannelClient, type Disposition, type FeedSubscription, type Labels, type Metrics, type OrderEvent, type OrderFeed, type OrderHandler, type PushOutcome } from "@synclag/core";
import { CancellationRelay } from "./cancellation-relay.js";
import { Engine } from "./engine.js";

/** Counters and gauges by name and labels (the engine may import only the core, so no InMemoryMetrics). */
class RecordingMetrics implements Metrics {
  private readonly counters = new Map<string, number>();
  private readonly gauges = new Map<string, number>();
  private static key(name: string, labels: Labels = {}): string {
    return `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
  }
  increment(name: string, labels?: Labels, by = 1): void {
    const key = RecordingMetrics.key(name, labels);
    this.counters.set(key, (this.counters.get(key) ?? 0) + by);
  }
  observe(): void {}
  gauge(name: string, value: number, labels?: Labels): void {
    this.gauges.set(RecordingMetrics.key(name, labels), value);
  }
  counter(name: string, labels?: Labels): number {
    return this.counters.get(RecordingMetrics.key(name, labels)) ?? 0;
  }
  gaugeValue(name: string, labels?: Labels): number | undefined {
    return this.gauges.get(RecordingMetrics.key(name, labels));
  }
}

/** A marketplace whose cancel endpoint is down in a window; cancelling is idempotent, like the real ones. */
class Marketplace implements ChannelClient {
  readonly maxBatchSize = 1;
  readonly cancelled = new Set<string>();
  /** Every cancel call with its virtual time and outcome. */
  readonly calls: { atMs: number; orderId: string; ok: boolean }[] = [];
  constructor(
    readonly channel: string,
    private readonly scheduler: VirtualScheduler,
    private readonly down: { readonly fromMs: number; readonly untilMs: number } = { fromMs: 0, untilMs: 0 },
    private readonly answer?: (orderId: string) => PushOutcome | undefined,
  ) {}
  setQuantities(updates: readonly unknown[]): Promise<PushOutcome[]> {
    return Promise.resolve(updates.map(() => ({ ok: true as const })));
  }
  readQuantities(): Promise<Map<string, number>> {
    return Promise.resolve(new Map());
  }
  cancelOrder(orderId: string): Promise<PushOutcome> {
    const now = this.scheduler.now();
    return new Promise((resolve) =>
      this.scheduler.setTimer(50, () => {
        const scripted = this.answer?.(orderId);
        const isDown = now >= this.down.fromMs && now < this.down.untilMs;
        const outcome: PushOutcome = scripted ?? (isDown ? { ok: false, reason: "unavailable", message: "503" } : { ok: true });
        if (outcome.ok) this.cancelled.add(orderId);
        this.calls.push({ atMs: now, orderId, ok: outcome.ok });
        resolve(outcome);
      }),
    );
  }
}

/**
 * At-least-once delivery the way the JetStream feed does it: a `retry` disposition redelivers after its
 * delay, and after `maxDeliver` deliveries the event is dead-lettered (the default consumer's budget).
 */
class RedeliveringFeed implements OrderFeed {
  readonly dispositions: Disposition[] = [];
  readonly deadLetters: OrderEvent[] = [];
  private handler: OrderHandler | undefined;
  constructor(private readonly scheduler: VirtualScheduler, private readonly maxDeliver = 5) {}
  consume(handler: OrderHandler): FeedSubscription {
    this.handler = handler;
    return { stop: () => Promise.resolve() };
  }
  deliver(event: OrderEvent, deliveryCount = 1): void {
    const handler = this.handler;
    if (!handler) throw new Error("not consuming");
    void handler(event, { deliveryCount, working: () => undefined }).then((disposition) => {
      this.dispositions.push(disposition);
      if (disposition.kind !== "retry") return;
      if (deliveryCount >= this.maxDeliver) this.deadLetters.push(event);
      else this.scheduler.setTimer(disposition.delayMs, () => this.deliver(event, deliveryCount + 1));
    });
  }
}

const order = (orderId: string, quantity = 1, sourceChannel = "shop"): OrderEvent => ({ orderId, sourceChannel, lines: [{ sku: "A", quantity }], confirmedAtMs: 0 });

function engineOn(store: InMemoryStockStore, scheduler: VirtualScheduler, clients: readonly ChannelClient[], metrics = new RecordingMetrics()) {
  const feed = new RedeliveringFeed(scheduler);
  const engine = new Engine({
    store,
    feed,
    channels: clients.map((client) => ({ client, rateLimit: { ratePerSecond: 100, burst: 100 } })),
    clock: scheduler,
    scheduler,
    random: new Prng(7),
    metrics,
    strategy: { kind: "events" },
    reconcileIntervalMs: 0,
  });
  return { engine, feed, metrics };
}

function setup(clients: (scheduler: VirtualScheduler) => ChannelClient[], stock = 1) {
  const scheduler = new VirtualScheduler(0);
  const store = new InMemoryStockStore({ clock: scheduler });
  store.model.setQuantity({ sku: "A", quantity: stock });
  const marketplaces = clients(scheduler);
  return { scheduler, store, marketplaces, ...engineOn(store, scheduler, marketplaces) };
}

describe("oversell cancellations through the store's pending list", () => {
  it("acks an oversold order while its source channel is down for longer than the feed's redelivery budget, and cancels it once the channel is back, counting the oversell once", async () => {
    // The old handler retried the cancellation through feed redeliveries (10 s doubling, max-deliver 5):
    // ~2.5 min of outage dead-lettered the order and the buyer's order stayed open on the marketplace.
    const downForMs = 20 * 60_000;
    const { scheduler, store, marketplaces, engine, feed, metrics } = setup((s) => [new Marketplace("shop", s, { fromMs: 0, untilMs: downForMs }), new Marketplace("other", s)]);
    const shop = marketplaces[0] as Marketplace;
    await engine.start();
    feed.deliver(order("o-1"));
    await scheduler.runUntil(1_000);
    feed.deliver(order("o-2")); // stock is gone: an oversell at a channel that is down
    await scheduler.runUntil(2_000);
    feed.deliver(order("o-2"), 2); // an at-least-once duplicate of it
    await scheduler.runUntil(10 * 60_000);

    expect(feed.dispositions).toEqual([{ kind: "ack" }, { kind: "ack" }, { kind: "ack" }]);
    expect(shop.cancelled.size).toBe(0);
    expect(await store.readPendingCancellations({ limit: 10 })).toEqual([{ seq: 3, orderId: "o-2", sourceChannel: "shop", atMs: 1_000 }]);
    expect(metrics.gaugeValue("cancellations_pending", { channel: "shop" })).toBe(1);
    expect(metrics.gaugeValue("cancellations_pending_oldest_age_ms", { channel: "shop" })).toBeGreaterThan(5 * 60_000);
    expect(metrics.gaugeValue("cancellations_pending", { channel: "other" })).toBe(0);

    await scheduler.runUntil(downForMs + 10 * 60_000);
    expect(feed.deadLetters).toEqual([]);
    expect(shop.cancelled).toEqual(new Set(["o-2"]));
    const confirmedAt = shop.calls.find((call) => call.ok)?.atMs ?? Number.NaN;
    expect(confirmedAt).toBeGreaterThanOrEqual(downForMs);
    expect(confirmedAt).toBeLessThanOrEqual(downForMs + 5 * 60_000); // the backoff's cap
    expect(shop.calls.filter((call) => call.ok)).toHaveLength(1);
    expect(await store.readPendingCancellations({ limit: 10 })).toEqual([]);
    expect(store.model.readAudit().filter((record) => record.kind === "insufficient")).toHaveLength(1);
    expect(metrics.counter("orders_insufficient_total", { source: "shop" })).toBe(1);
    expect(metrics.counter("orders_duplicate_total", { source: "shop" })).toBe(1);
    expect(metrics.counter("cancellations_confirmed_total", { channel: "shop" })).toBe(1);
    expect(metrics.counter("cancellation_retries_total", { channel: "shop", reason: "unavailable" })).toBe(shop.calls.length - 1);
    expect(metrics.gaugeValue("cancellations_pending", { channel: "shop" })).toBe(0);
    expect(engine.cancellations.idle).toBe(true);
    await engine.stop();
  });

  it("backs off per channel with a capped delay: a down channel gets a bounded number of calls and holds back no other channel", async () => {
    const hourMs = 3_600_000;
    const { scheduler, marketplaces, engine, feed } = setup((s) => [new Marketplace("shop", s, { fromMs: 0, untilMs: hourMs }), new Marketplace("other", s)], 0);
    const [shop, other] = marketplaces as [Marketplace, Marketplace];
    await engine.start();
    feed.deliver(order("s-1"));
    feed.deliver(order("s-2"));
    await scheduler.runUntil(60_000);
    feed.deliver(order("x-1", 1, "other"));
    await scheduler.runUntil(61_000);
    expect(other.cancelled).toEqual(new Set(["x-1"]));

    await scheduler.runUntil(hourMs);
    // 5 s doubling to 5 min: about 7 calls to reach the cap, then one per 2.5–5 min.
    expect(shop.calls.length).toBeGreaterThan(10);
    expect(shop.calls.length).toBeLessThan(40);
    const gaps = shop.calls.slice(1).map((call, i) => call.atMs - (shop.calls[i] as { atMs: number }).atMs);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(5 * 60_000 + 100);
    expect(shop.calls.every((call) => call.orderId === "s-1")).toBe(true); // the channel is probed with one entry, not all

    await scheduler.runUntil(hourMs + 6 * 60_000);
    expect(shop.cancelled).toEqual(new Set(["s-1", "s-2"]));
    expect(feed.deadLetters).toEqual([]);
    await engine.stop();
  });

  it("removes an entry the channel refuses for good (unknown order), counting it as rejected instead of retrying", async () => {
    const { scheduler, store, engine, feed, metrics } = setup((s) => [new Marketplace("shop", s, undefined, () => ({ ok: false, reason: "rejected", message: "404 unknown order" }))], 0);
    await engine.start();
    feed.deliver(order("o-1"));
    await scheduler.runUntil(10 * 60_000);
    expect(await store.readPendingCancellations({ limit: 10 })).toEqual([]);
    expect(metrics.counter("cancellations_requested_total", { channel: "shop" })).toBe(1);
    expect(metrics.counter("cancellations_rejected_total", { channel: "shop" })).toBe(1);
    expect(metrics.counter("cancellations_confirmed_total", { channel: "shop" })).toBe(0);
    await engine.stop();
  });

  it("keeps an entry for a channel this process has no client for pending and counted, never dropping it", async () => {
    const { scheduler, store, engine, feed, metrics } = setup((s) => [new Marketplace("shop", s)], 0);
    await engine.start();
    feed.deliver(order("o-9", 1, "pos"));
    await scheduler.runUntil(5 * 60_000);
    expect(feed.dispositions).toEqual([{ kind: "ack" }]);
    expect((await store.readPendingCancellations({ limit: 10 })).map((entry) => entry.orderId)).toEqual(["o-9"]);
    expect(metrics.gaugeValue("cancellations_pending", { channel: "pos" })).toBe(1);
    expect(engine.cancellations.idle).toBe(false);
    await engine.stop();
  });

  it("cancels, on start, what a previous process recorded but did not cancel (it stopped in between)", async () => {
    const scheduler = new VirtualScheduler(0);
    const store = new InMemoryStockStore({ clock: scheduler });
    store.model.setQuantity({ sku: "A", quantity: 0 });
    const shop = new Marketplace("shop", scheduler, { fromMs: 0, untilMs: 60_000 });
    const first = engineOn(store, scheduler, [shop]);
    await first.engine.start();
    first.feed.deliver(order("o-1"));
    await scheduler.runUntil(10_000);
    await first.engine.stop();
    await scheduler.runUntil(120_000);
    expect(shop.cancelled.size).toBe(0);

    const second = engineOn(store, scheduler, [shop]);
    await second.engine.start();
    await scheduler.runUntil(121_000);
    expect(shop.cancelled).toEqual(new Set(["o-1"]));
    expect(await store.readPendingCancellations({ limit: 10 })).toEqual([]);
    await second.engine.stop();
  });

  it("honours a channel's Retry-After instead of its own backoff", async () => {
    const scheduler = new VirtualScheduler(0);
    const store = new InMemoryStockStore({ clock: scheduler });
    store.model.setQuantity({ sku: "A", quantity: 0 });
    store.model.applyOrder({ orderId: "o-1", sourceChannel: "shop", lines: [{ sku: "A", quantity: 1 }] });
    let throttles = 1;
    const shop = new Marketplace("shop", scheduler, undefined, () => (throttles-- > 0 ? { ok: false, reason: "rate_limited", message: "429", retryAfterMs: 42_000 } : undefined));
    const metrics = new RecordingMetrics();
    const relay = new CancellationRelay({ store, clients: new Map([["shop", shop]]), clock: scheduler, scheduler, random: new Prng(1), metrics, intervalMs: 3_600_000 });
    relay.start();
    await scheduler.runUntil(100_000);
    expect(shop.calls.map((call) => [call.atMs, call.ok])).toEqual([
      [0, false],
      [42_050, true],
    ]);
    expect(metrics.counter("cancellation_retries_total", { channel: "shop", reason: "rate_limited" })).toBe(1);
    relay.stop();
  });
});
