// One pending cancellation the channel keeps failing with a retryable answer, while it cancels other
// orders (eBay answering an order it will not cancel without a cancelId; a marketplace bug about one
// order): the relay used to ask that oldest entry again after every backoff, forever, and never send the
// channel's newer cancellations — silently. ADR 0006: one down channel does not hold back another, and
// neither may one stuck order hold back its own channel.
import { describe, expect, it } from "vitest";
import { InMemoryStockStore, Prng, VirtualScheduler, type ChannelClient, type Disposition, type FeedSubscription, type Labels, type Metrics, type OrderEvent, type OrderFeed, type OrderHandler, type PushOutcome } from "@synclag/core";
import type { FailingCancellation } from "./cancellation-relay.js";
import { Engine } from "./engine.js";

class Gauges implements Metrics {
  readonly values = new Map<string, number>();
  increment(): void {}
  observe(): void {}
  gauge(name: string, value: number, labels?: Labels): void {
    this.values.set(`${name}${JSON.stringify(labels ?? {})}`, value);
  }
}

/** A source channel whose cancel answer is scripted per order (50 ms a call). */
class Channel implements ChannelClient {
  readonly maxBatchSize = 1;
  readonly calls: { atMs: number; orderId: string; ok: boolean }[] = [];
  readonly cancelled = new Set<string>();
  constructor(readonly channel: string, private readonly scheduler: VirtualScheduler, private readonly answer: (orderId: string, atMs: number) => PushOutcome) {}
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
        const outcome = this.answer(orderId, now);
        if (outcome.ok) this.cancelled.add(orderId);
        this.calls.push({ atMs: now, orderId, ok: outcome.ok });
        resolve(outcome);
      }),
    );
  }
}

class Feed implements OrderFeed {
  readonly dispositions: Disposition[] = [];
  private handler: OrderHandler | undefined;
  consume(handler: OrderHandler): FeedSubscription {
    this.handler = handler;
    return { stop: () => Promise.resolve() };
  }
  deliver(event: OrderEvent): void {
    void this.handler?.(event, { deliveryCount: 1, working: () => undefined }).then((d) => this.dispositions.push(d));
  }
}

const UNCONFIRMED: PushOutcome = { ok: false, reason: "unavailable", message: "ebay cancel: the HTTP 200 reply does not confirm it" };
const order = (orderId: string): OrderEvent => ({ orderId, sourceChannel: "ebay", lines: [{ sku: "A", quantity: 1 }], confirmedAtMs: 0 });

function setup(answer: (orderId: string, atMs: number) => PushOutcome) {
  const scheduler = new VirtualScheduler(0);
  const store = new InMemoryStockStore({ clock: scheduler });
  store.model.setQuantity({ sku: "A", quantity: 0 });
  const channel = new Channel("ebay", scheduler, answer);
  const feed = new Feed();
  const failing: FailingCancellation[] = [];
  const metrics = new Gauges();
  const engine = new Engine({
    store,
    feed,
    channels: [{ client: channel, rateLimit: { ratePerSecond: 100, burst: 100 } }],
    clock: scheduler,
    scheduler,
    random: new Prng(7),
    metrics,
    strategy: { kind: "events" },
    reconcileIntervalMs: 0,
    cancellations: { onFailing: (f) => failing.push(f) },
  });
  /** Delivers and lets the handler run at this instant (the virtual scheduler only drains microtasks between its own events). */
  const deliverNow = async (event: OrderEvent) => {
    feed.deliver(event);
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      await scheduler.runUntil(scheduler.now());
    }
  };
  return { scheduler, store, channel, feed, engine, failing, metrics, deliverNow };
}

describe("one order the channel keeps failing retryably", () => {
  it("does not hold back the channel's later cancellations: they go out at once, and the stuck one is reported with its order id", async () => {
    const { scheduler, channel, engine, failing, metrics, deliverNow } = setup((orderId) => (orderId === "ebay:poison" ? UNCONFIRMED : { ok: true }));
    await engine.start();
    await deliverNow(order("ebay:poison"));
    await scheduler.runUntil(1_000);
    for (let i = 1; i <= 3; i++) await deliverNow(order(`ebay:o-${i}`));
    await scheduler.runUntil(2_000);
    // Within a second, while the channel still backs off from the stuck order's failure.
    expect(channel.cancelled).toEqual(new Set(["ebay:o-1", "ebay:o-2", "ebay:o-3"]));
    // Six hours on: more oversells at the channel, each cancelled within seconds; the stuck order is
    // asked again at its own capped backoff (≤ 5 min, ≥ 2.5 min once capped), never in a tight loop.
    for (let hour = 1; hour <= 6; hour++) {
      await scheduler.runUntil(hour * 3_600_000);
      await deliverNow(order(`ebay:late-${hour}`));
      await scheduler.runUntil(hour * 3_600_000 + 1_000);
      expect(channel.cancelled.has(`ebay:late-${hour}`)).toBe(true);
    }
    const poisonCalls = channel.calls.filter((call) => call.orderId === "ebay:poison");
    expect(poisonCalls.length).toBeGreaterThan(60);
    expect(poisonCalls.length).toBeLessThan(160);
    const gaps = poisonCalls.slice(1).map((call, i) => call.atMs - (poisonCalls[i] as { atMs: number }).atMs);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(5 * 60_000 + 100);
    expect(gaps.slice(10).every((gap) => gap >= 2_500)).toBe(true);
    // Reported: at 3 failures in a row, then each time the count doubles — a handful of lines in six hours.
    expect(failing.length).toBeGreaterThanOrEqual(3);
    expect(failing.length).toBeLessThanOrEqual(8);
    expect(failing[0]).toMatchObject({ orderId: "ebay:poison", channel: "ebay", failures: 3, reason: "unavailable", message: UNCONFIRMED.ok ? "" : UNCONFIRMED.message, othersConfirmed: true });
    expect(failing.map((f) => f.failures)).toEqual(failing.map((_, i) => 3 * 2 ** i));
    expect(metrics.values.get(`cancellations_failing${JSON.stringify({ channel: "ebay" })}`)).toBe(1);
    expect(metrics.values.get(`cancellations_pending${JSON.stringify({ channel: "ebay" })}`)).toBe(1);
    await engine.stop();
  });

  it("a backlog whose oldest entry is the stuck one (a restart): the others go out at once, not after a backoff", async () => {
    const { scheduler, store, channel, engine } = setup((orderId) => (orderId === "ebay:poison" ? UNCONFIRMED : { ok: true }));
    for (const id of ["ebay:poison", "ebay:o-1", "ebay:o-2"]) store.model.applyOrder(order(id)); // what a previous process left
    await engine.start();
    await scheduler.runUntil(1_000);
    expect(channel.cancelled).toEqual(new Set(["ebay:o-1", "ebay:o-2"]));
    expect(channel.calls.map((call) => call.orderId)).toEqual(["ebay:poison", "ebay:o-1", "ebay:o-2"]);
    await engine.stop();
  });

  it("a channel that is down for everyone still gets one call per backoff, the probes taking turns, and everything goes out within one backoff of its return", async () => {
    const downUntil = 3_600_000;
    const { scheduler, channel, feed, engine } = setup((_orderId, atMs) => (atMs < downUntil ? UNCONFIRMED : { ok: true }));
    await engine.start();
    for (let i = 1; i <= 4; i++) feed.deliver(order(`ebay:o-${i}`));
    await scheduler.runUntil(downUntil);
    // Two at first (one failing entry alone says nothing about the channel), then one per backoff (≥ 2.5 s, ≤ 5 min).
    expect(channel.calls.length).toBeGreaterThan(10);
    expect(channel.calls.length).toBeLessThan(40);
    expect(channel.calls.slice(2).every((call, i) => call.atMs - (channel.calls[i + 1] as { atMs: number }).atMs >= 2_500)).toBe(true);
    for (let i = 1; i <= 4; i++) expect(channel.calls.filter((call) => call.orderId === `ebay:o-${i}`).length).toBeGreaterThan(1);
    await scheduler.runUntil(downUntil + 5 * 60_000 + 1_000);
    expect(channel.cancelled.size).toBe(4);
    await engine.stop();
  });

  it("throttling right after a confirmation is the channel's: it backs off instead of trying the next entry", async () => {
    let throttledOnce = false;
    const { scheduler, channel, engine, deliverNow } = setup((orderId) => {
      if (orderId === "ebay:o-2" && !throttledOnce) {
        throttledOnce = true;
        return { ok: false, reason: "rate_limited", message: "429", retryAfterMs: 10_000 };
      }
      return { ok: true };
    });
    await engine.start();
    for (let i = 1; i <= 3; i++) await deliverNow(order(`ebay:o-${i}`));
    await scheduler.runUntil(5_000);
    // o-1 confirmed, o-2 throttled: o-3 waits for the Retry-After like o-2.
    expect(channel.calls.map((call) => call.orderId)).toEqual(["ebay:o-1", "ebay:o-2"]);
    await scheduler.runUntil(20_000);
    expect(channel.cancelled.size).toBe(3);
    await engine.stop();
  });
});
