import { describe, expect, it } from "vitest";
import { InMemoryStockStore, Prng, VirtualScheduler, type ChannelClient, type Disposition, type FeedSubscription, type Labels, type Metrics, type OrderEvent, type OrderFeed, type OrderHandler, type PushOutcome } from "@synclag/core";
import { CancellationRelay, type CancellationRelayOptions, type RefusedCancellation } from "./cancellation-relay.js";
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
    expect(await store.readPendingCancellations({ limit: 10 })).toEqual([{ seq: 3, orderId: "o-2", sourceChannel: "shop", atMs: 1_000, skus: ["A"] }]);
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
    // The channel is probed with one entry per backoff, not all — in turn (always the oldest would let one
    // order the channel keeps failing hold back every other one), after the first two: one failing entry
    // alone says nothing about the channel, so the second is tried at once.
    expect(shop.calls.slice(2).every((call, i) => call.atMs - (shop.calls[i + 1] as { atMs: number }).atMs >= 2_500)).toBe(true);
    expect(shop.calls.filter((call) => call.orderId === "s-1").length).toBeGreaterThan(3);
    expect(shop.calls.filter((call) => call.orderId === "s-2").length).toBeGreaterThan(3);

    await scheduler.runUntil(hourMs + 6 * 60_000);
    expect(shop.cancelled).toEqual(new Set(["s-1", "s-2"]));
    expect(feed.deadLetters).toEqual([]);
    await engine.stop();
  });

  it("gives up an entry the channel refuses (unknown order) once the channel has confirmed another cancellation, counting it as rejected; alone, it is asked again at the backoff rate", async () => {
    const { scheduler, store, engine, feed, metrics } = setup((s) => [new Marketplace("shop", s, undefined, (orderId) => (orderId === "o-1" ? { ok: false, reason: "rejected", message: "404 unknown order" } : undefined))], 0);
    await engine.start();
    feed.deliver(order("o-1"));
    await scheduler.runUntil(10 * 60_000);
    // Alone, a refusal could be the channel's (a wrong base path answers 400 to everything): held, and
    // asked again after each backoff (5 s doubling, ≤ 5 min), never given up on its own — but shown:
    // the held gauge and one onHeld report with the channel's answer.
    expect((await store.readPendingCancellations({ limit: 10 })).map((entry) => entry.orderId)).toEqual(["o-1"]);
    expect(metrics.gaugeValue("cancellations_held", { channel: "shop" })).toBe(1);
    const asked = metrics.counter("cancellations_requested_total", { channel: "shop" });
    expect(asked).toBeGreaterThan(1);
    expect(asked).toBeLessThan(12);
    expect(metrics.counter("cancellations_rejected_total", { channel: "shop" })).toBe(0);
    feed.deliver(order("o-2"));
    await scheduler.runUntil(20 * 60_000);
    // The channel confirmed o-2: the refusal of o-1 was about o-1.
    expect(await store.readPendingCancellations({ limit: 10 })).toEqual([]);
    expect(metrics.counter("cancellations_requested_total", { channel: "shop" })).toBe(asked + 1);
    expect(metrics.counter("cancellations_rejected_total", { channel: "shop" })).toBe(1);
    expect(metrics.counter("cancellations_confirmed_total", { channel: "shop" })).toBe(1);
    expect(metrics.gaugeValue("cancellations_held", { channel: "shop" })).toBe(0);
    await engine.stop();
  });

  it.each([1, 3])("gives up no order when a channel answering 400 to everything lets %i call(s) through, an hour apart (found by reviews of stricter rules)", async (flaps) => {
    const letThrough = Array.from({ length: flaps }, (_, i) => (i + 1) * 3_600_000);
    const { scheduler, store, engine, feed } = setup(
      (s) => [
        new Marketplace("shop", s, undefined, () => {
          const now = s.now();
          if (now >= 6 * 3_600_000) return undefined; // fixed after 6 h
          const due = letThrough.findIndex((at) => now >= at);
          if (due >= 0) {
            letThrough.splice(due, 1); // the next call after each flap time gets through
            return undefined;
          }
          return { ok: false, reason: "rejected", message: "400 unsupported request" };
        }),
      ],
      0,
    );
    await engine.start();
    for (let i = 0; i < 10; i++) feed.deliver(order(`f-${i}`));
    await scheduler.runUntil(8 * 3_600_000);
    expect(engine.cancellations.refused).toEqual([]);
    expect(await store.readPendingCancellations({ limit: 20 })).toEqual([]);
    await engine.stop();
  });

  it("keeps three orders in a row the channel does not know held (visible: gauge and counts), never giving them up while refusals may be the channel's", async () => {
    const unknown = new Set(["u-1", "u-2", "u-3"]);
    const { scheduler, store, engine, feed, metrics } = setup((s) => [new Marketplace("shop", s, undefined, (orderId) => (unknown.has(orderId) ? { ok: false, reason: "rejected", message: "404 unknown order" } : undefined))], 0);
    await engine.start();
    for (const id of ["u-1", "u-2", "u-3", "ok-1", "ok-2"]) feed.deliver(order(id));
    await scheduler.runUntil(3_600_000);
    expect((await store.readPendingCancellations({ limit: 10 })).map((e) => e.orderId)).toEqual(["u-1", "u-2", "u-3"]);
    expect(metrics.counter("cancellations_confirmed_total", { channel: "shop" })).toBe(2);
    expect(metrics.gaugeValue("cancellations_held", { channel: "shop" })).toBeGreaterThan(0);
    expect(engine.cancellations.refused).toEqual([]);
    await engine.stop();
  });

  it("gives up three orders in a row a busy channel does not know once it refused them again after confirming others three times", async () => {
    const unknown = new Set(["u-1", "u-2", "u-3"]);
    const { scheduler, store, engine, feed, metrics } = setup((s) => [new Marketplace("shop", s, undefined, (orderId) => (unknown.has(orderId) ? { ok: false, reason: "rejected", message: "404 unknown order" } : undefined))], 0);
    await engine.start();
    for (const id of ["u-1", "u-2", "u-3"]) feed.deliver(order(id));
    // The channel keeps confirming other oversells' cancellations, one every 10 minutes.
    for (let i = 0; i < 6; i++) {
      feed.deliver(order(`ok-${i}`));
      await scheduler.runUntil((i + 1) * 600_000);
    }
    await scheduler.runUntil(3 * 3_600_000);
    expect(await store.readPendingCancellations({ limit: 10 })).toEqual([]);
    expect(engine.cancellations.refused.map((r) => r.orderId).sort()).toEqual(["u-1", "u-2", "u-3"]);
    expect(metrics.counter("cancellations_confirmed_total", { channel: "shop" })).toBe(6);
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

  describe("a channel's own trouble never loses the entries", () => {
    /** A store with `count` oversells at `channel` (orders `<channel>-0`…), and a relay over the given clients. */
    function relayOver(clients: readonly ChannelClient[], scheduler: VirtualScheduler, oversells: ReadonlyArray<readonly [channel: string, count: number]>, options: Partial<CancellationRelayOptions> = {}) {
      const store = new InMemoryStockStore({ clock: scheduler });
      store.model.setQuantity({ sku: "A", quantity: 0 });
      for (const [channel, count] of oversells) for (let i = 0; i < count; i++) store.model.applyOrder({ orderId: `${channel}-${i}`, sourceChannel: channel, lines: [{ sku: "A", quantity: 1 }] });
      const metrics = new RecordingMetrics();
      const relay = new CancellationRelay({ store, clients: new Map(clients.map((client) => [client.channel, client])), clock: scheduler, scheduler, random: new Prng(1), metrics, ...options });
      return { store, metrics, relay };
    }
    const pendingIds = async (store: InMemoryStockStore) => (await store.readPendingCancellations({ limit: 10_000 })).map((entry) => entry.orderId);

    it("keeps every entry while the channel refuses the whole call (unauthorized: a token expired during an outage), backing off, and cancels them all once it accepts again", async () => {
      const scheduler = new VirtualScheduler(0);
      const fixedAtMs = 30 * 60_000;
      const shop = new Marketplace("shop", scheduler, undefined, () => (scheduler.now() < fixedAtMs ? { ok: false, reason: "unauthorized", message: "HTTP 401 invalid access token" } : undefined));
      const { store, metrics, relay } = relayOver([shop], scheduler, [["shop", 200]]);
      relay.start();
      await scheduler.runUntil(fixedAtMs - 1);
      expect(await pendingIds(store)).toHaveLength(200);
      expect(shop.calls.length).toBeLessThan(20); // backoff, not one call per entry
      expect(metrics.counter("cancellations_rejected_total", { channel: "shop" })).toBe(0);
      expect(metrics.counter("cancellation_retries_total", { channel: "shop", reason: "unauthorized" })).toBe(shop.calls.length);
      await scheduler.runUntil(fixedAtMs + 60 * 60_000);
      expect(shop.cancelled.size).toBe(200);
      expect(await pendingIds(store)).toEqual([]);
      relay.stop();
    });

    it("loses no entry to a channel that rejects everything for hours (a wrong base path answering 400): backs off after 3 in a row and retries them all once it confirms again", async () => {
      const scheduler = new VirtualScheduler(0);
      const refusals: RefusedCancellation[] = [];
      const fixedAtMs = 6 * 3_600_000;
      const shop = new Marketplace("shop", scheduler, undefined, () => (scheduler.now() < fixedAtMs ? { ok: false, reason: "rejected", message: "400 unsupported request" } : undefined));
      const { store, metrics, relay } = relayOver([shop], scheduler, [["shop", 200]], { onRefused: (refusal) => refusals.push(refusal) });
      relay.start();
      await scheduler.runUntil(fixedAtMs - 1);
      expect(await pendingIds(store)).toHaveLength(200);
      expect(shop.calls.length).toBeLessThan(150); // three, then one probe per backoff (capped at 5 min, jittered) — not one per entry and retry
      expect(refusals).toEqual([]);
      expect(metrics.counter("cancellations_rejected_total", { channel: "shop" })).toBe(0);
      await scheduler.runUntil(fixedAtMs + 30 * 60_000);
      expect(shop.cancelled.size).toBe(200);
      expect(await pendingIds(store)).toEqual([]);
      expect(refusals).toEqual([]);
      expect(metrics.counter("cancellations_confirmed_total", { channel: "shop" })).toBe(200);
      relay.stop();
    });

    it("asks again about entries it holds when nothing new arrives: a channel refusing everything, then healthy, gets them all cancelled", async () => {
      const scheduler = new VirtualScheduler(0);
      const fixedAtMs = 6 * 3_600_000;
      const shop = new Marketplace("shop", scheduler, undefined, () => (scheduler.now() < fixedAtMs ? { ok: false, reason: "rejected", message: "400 unsupported request" } : undefined));
      const { store, metrics, relay } = relayOver([shop], scheduler, [["shop", 10]]);
      relay.start();
      await scheduler.runUntil(fixedAtMs + 30 * 60_000);
      expect(shop.cancelled.size).toBe(10);
      expect(await pendingIds(store)).toEqual([]);
      expect(metrics.counter("cancellations_rejected_total", { channel: "shop" })).toBe(0);
      expect(relay.idle).toBe(true);
      relay.stop();
    });

    it("asks about every held entry in turn: one order the channel does not know does not keep the others stuck after a period of 400s", async () => {
      const scheduler = new VirtualScheduler(0);
      const fixedAtMs = 3_600_000;
      const shop = new Marketplace("shop", scheduler, undefined, (orderId) => (scheduler.now() < fixedAtMs || orderId === "shop-0" ? { ok: false, reason: "rejected", message: "400" } : undefined));
      const { store, metrics, relay } = relayOver([shop], scheduler, [["shop", 10]]);
      relay.start();
      await scheduler.runUntil(fixedAtMs + 24 * 3_600_000);
      expect(shop.cancelled.size).toBe(9);
      expect(await pendingIds(store)).toEqual([]);
      expect(relay.refused.map((refusal) => refusal.orderId)).toEqual(["shop-0"]);
      expect(metrics.counter("cancellations_rejected_total", { channel: "shop" })).toBe(1);
      relay.stop();
    });

    it("records every entry it gives up with its order id and the channel's answer", async () => {
      const scheduler = new VirtualScheduler(0);
      const refusals: RefusedCancellation[] = [];
      const shop = new Marketplace("shop", scheduler, undefined, (orderId) => (orderId === "shop-0" ? { ok: false, reason: "rejected", message: "404 unknown order" } : undefined));
      const { relay } = relayOver([shop], scheduler, [["shop", 2]], { onRefused: (refusal) => refusals.push(refusal) });
      relay.start();
      await scheduler.runUntil(60_000);
      expect(refusals).toHaveLength(1);
      expect(refusals[0]).toMatchObject({ orderId: "shop-0", channel: "shop", seq: 2, atMs: 0, message: "404 unknown order" });
      expect(relay.refused).toEqual(refusals);
      relay.stop();
    });

    it("still takes an occasional rejection as final and goes on with the next entries", async () => {
      const scheduler = new VirtualScheduler(0);
      const shop = new Marketplace("shop", scheduler, undefined, (orderId) => (orderId === "shop-1" || orderId === "shop-3" ? { ok: false, reason: "rejected", message: "404 unknown order" } : undefined));
      const { store, metrics, relay } = relayOver([shop], scheduler, [["shop", 5]]);
      relay.start();
      await scheduler.runUntil(10_000);
      expect(shop.calls.map((call) => call.orderId)).toEqual(["shop-0", "shop-1", "shop-2", "shop-3", "shop-4"]);
      expect(await pendingIds(store)).toEqual([]);
      expect(relay.refused.map((refusal) => refusal.orderId)).toEqual(["shop-1", "shop-3"]);
      expect(metrics.counter("cancellations_confirmed_total", { channel: "shop" })).toBe(3);
      relay.stop();
    });

    it.each(["shop", "pos"])("reaches a healthy channel's newer entries when an older backlog (%s: down / no client here) fills a whole read", async (backlogChannel) => {
      const scheduler = new VirtualScheduler(0);
      const shop = new Marketplace("shop", scheduler, { fromMs: 0, untilMs: Number.POSITIVE_INFINITY });
      const other = new Marketplace("other", scheduler);
      const { store, relay } = relayOver([shop, other], scheduler, [[backlogChannel, 6], ["other", 1]], { readBatchSize: 2, maxEntriesPerSweep: 6 });
      relay.start();
      await scheduler.runUntil(2 * 60_000);
      expect(other.cancelled).toEqual(new Set(["other-0"]));
      expect(await pendingIds(store)).toEqual(Array.from({ length: 6 }, (_, i) => `${backlogChannel}-${i}`));
      relay.stop();
    });

    it("reads only the entries after the newest it knows when told of a new oversell, not the whole list again", async () => {
      const scheduler = new VirtualScheduler(0);
      const shop = new Marketplace("shop", scheduler, { fromMs: 0, untilMs: Number.POSITIVE_INFINITY });
      const { store, relay } = relayOver([shop], scheduler, [["pos", 1_000]], { intervalMs: 3_600_000 });
      const reads: (number | undefined)[] = [];
      const read = store.readPendingCancellations.bind(store);
      store.readPendingCancellations = (options) => (reads.push(options.afterSeq), read(options));
      relay.start();
      await scheduler.runUntil(1_000);
      const initialReads = reads.length;
      store.model.applyOrder({ orderId: "shop-new", sourceChannel: "shop", lines: [{ sku: "A", quantity: 1 }] });
      relay.notify("shop");
      await scheduler.runUntil(2_000);
      expect(reads.slice(initialReads)).toEqual([1_001]); // the audit seq of the 1000th oversell (seq 1 set the stock)
      expect(relay.pending).toBe(1_001);
      expect(shop.calls.map((call) => call.orderId)).toEqual(["shop-new"]);
      relay.stop();
    });

    it("arms no timer when a cancellation in flight at stop() fails afterwards", async () => {
      const scheduler = new VirtualScheduler(0);
      const shop = new Marketplace("shop", scheduler, { fromMs: 0, untilMs: Number.POSITIVE_INFINITY });
      const { store, relay } = relayOver([shop], scheduler, [["shop", 1]], { baseDelayMs: 60_000 });
      relay.start();
      await scheduler.runUntil(10); // the read is done, the call is in flight (50 ms)
      relay.stop();
      await scheduler.runUntil(1_000); // the call has failed (503) by now
      expect(scheduler.pending).toBe(0); // a backoff timer here would keep a real process alive after shutdown
      await scheduler.runUntil(3_600_000);
      expect(shop.calls).toHaveLength(1);
      expect(await pendingIds(store)).toEqual(["shop-0"]);
    });

    it("never waits less than its own backoff, even when told Retry-After: 0", async () => {
      const scheduler = new VirtualScheduler(0);
      const shop = new Marketplace("shop", scheduler, undefined, () => ({ ok: false, reason: "rate_limited", message: "429", retryAfterMs: 0 }));
      const { relay } = relayOver([shop], scheduler, [["shop", 1]]);
      relay.start();
      await scheduler.runUntil(10 * 60_000);
      expect(shop.calls.length).toBeGreaterThan(3);
      expect(shop.calls.length).toBeLessThan(15); // 5 s doubling to 5 min: ~8 in 10 min (not one per 50 ms round trip)
      relay.stop();
    });

    it("counts a confirmation once when two processes cancel the same entry (only the one whose removal removed it counts)", async () => {
      const scheduler = new VirtualScheduler(0);
      const shop = new Marketplace("shop", scheduler);
      const store = new InMemoryStockStore({ clock: scheduler });
      store.model.setQuantity({ sku: "A", quantity: 0 });
      for (let i = 0; i < 20; i++) store.model.applyOrder({ orderId: `shop-${i}`, sourceChannel: "shop", lines: [{ sku: "A", quantity: 1 }] });
      const metrics = [new RecordingMetrics(), new RecordingMetrics()];
      const relays = metrics.map((m, i) => new CancellationRelay({ store, clients: new Map([["shop", shop]]), clock: scheduler, scheduler, random: new Prng(10 + i), metrics: m }));
      for (const relay of relays) relay.start();
      await scheduler.runUntil(60_000);
      expect(shop.calls.length).toBeGreaterThan(20); // both sent some: idempotent at the channel
      expect(metrics.reduce((sum, m) => sum + m.counter("cancellations_confirmed_total", { channel: "shop" }), 0)).toBe(20);
      for (const relay of relays) relay.stop();
    });
  });
});
