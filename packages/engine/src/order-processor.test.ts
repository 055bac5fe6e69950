import { describe, expect, it } from "vitest";
import { InMemoryStockStore, Prng, SynclagError, VirtualScheduler, noopMetrics, type OrderInput, type StockStore } from "@synclag/core";
import { OrderProcessor } from "./order-processor.js";
import { ScriptedChannel } from "../test/support.js";
import { Propagator } from "./propagator.js";

/** A store that fails its first `failures` apply calls, the way Redis does while it restarts. */
function flakyStore(inner: InMemoryStockStore, failures: number): StockStore & { calls: number } {
  const store = Object.assign(Object.create(inner) as StockStore, {
    calls: 0,
    applyOrder(order: OrderInput) {
      store.calls += 1;
      return store.calls <= failures ? Promise.reject(new Error("redis unavailable")) : inner.applyOrder(order);
    },
  });
  return store;
}

function setup(failures: number, storeRetryBudgetMs?: number) {
  const scheduler = new VirtualScheduler(0);
  const inner = new InMemoryStockStore({ clock: scheduler });
  inner.model.setQuantity({ sku: "A", quantity: 5 });
  const store = flakyStore(inner, failures);
  const propagator = new Propagator({ channels: [], clock: scheduler, scheduler, random: new Prng(1), metrics: noopMetrics });
  const processor = new OrderProcessor({ store, propagator, clock: scheduler, scheduler, random: new Prng(2), metrics: noopMetrics, mode: "events", ...(storeRetryBudgetMs === undefined ? {} : { storeRetryBudgetMs }) });
  return { scheduler, inner, store, processor };
}

const order = { orderId: "o-1", sourceChannel: "shop", lines: [{ sku: "A", quantity: 1 }], confirmedAtMs: 0 };

describe("OrderProcessor and a failing store", () => {
  it("retries the store itself while it is down, telling the feed it is still working, then acks once", async () => {
    const { scheduler, inner, store, processor } = setup(4);
    let working = 0;
    const handled = processor.handle(order, { deliveryCount: 1, working: () => (working += 1) });
    await scheduler.runUntil(60_000);
    expect(await handled).toEqual({ kind: "ack" });
    expect(store.calls).toBe(5);
    expect(working).toBe(4);
    expect(inner.model.level("A")?.quantity).toBe(4);
  });

  it("hands the order back to the feed once the retry budget is spent", async () => {
    const { scheduler, store, processor } = setup(1_000, 5_000);
    const handled = processor.handle(order, { deliveryCount: 1, working: () => undefined });
    await scheduler.runUntil(60_000);
    expect(await handled).toMatchObject({ kind: "retry", reason: "redis unavailable" });
    expect(scheduler.now()).toBeGreaterThanOrEqual(5_000);
    expect(store.calls).toBeGreaterThan(3);
  });

  it("keeps retrying through a long outage by default (no delivery spent), and hands the order back at once when stopped", async () => {
    // A 12-minute Redis outage used to cost one delivery per 30-s budget and dead-letter valid orders.
    const { scheduler, inner, store, processor } = setup(500);
    let working = 0;
    const long = processor.handle(order, { deliveryCount: 1, working: () => (working += 1) });
    await scheduler.runUntil(20 * 60_000);
    expect(await long).toEqual({ kind: "ack" });
    expect(store.calls).toBe(501);
    expect(working).toBe(500);
    expect(inner.model.level("A")?.quantity).toBe(4);

    const stuck = setup(1_000_000);
    const handled = stuck.processor.handle({ ...order, orderId: "o-2" }, { deliveryCount: 1, working: () => undefined });
    await stuck.scheduler.runUntil(60_000);
    const callsBeforeStop = stuck.store.calls;
    stuck.processor.stop();
    await stuck.scheduler.runUntil(60_001);
    expect(await handled).toMatchObject({ kind: "retry", reason: "redis unavailable" });
    expect(stuck.store.calls).toBe(callsBeforeStop);
  });

  it("hands an order back at once on an error the store says retrying cannot fix (a key of the wrong type): its slot is not pinned", async () => {
    const { scheduler, inner, processor } = setup(0);
    const apply = inner.applyOrder.bind(inner);
    inner.applyOrder = (o) => (o.lines.some((l) => l.sku === "BAD") ? Promise.reject(new SynclagError("wrong_type", 'key "{stock}:sku:BAD" holds a list; nothing was written', { retryable: false })) : apply(o));
    let working = 0;
    const handled = processor.handle({ ...order, orderId: "p-1", lines: [{ sku: "BAD", quantity: 1 }] }, { deliveryCount: 1, working: () => (working += 1) });
    await scheduler.runUntil(60_000);
    expect(await handled).toMatchObject({ kind: "retry", reason: expect.stringContaining("holds a list") as unknown as string });
    expect(working).toBe(0);
    expect(scheduler.now()).toBe(60_000);
  });

  it("keeps retrying a refusal Redis recovers from on its own (MISCONF while a snapshot fails, an ACL change): no delivery spent", async () => {
    const { scheduler, inner, processor } = setup(0);
    const apply = inner.applyOrder.bind(inner);
    let refusing = true;
    inner.applyOrder = (o) => (refusing ? Promise.reject(new SynclagError("rejected", "Redis rejected the call: NOPERM this user has no permissions to run the 'evalsha' command", { retryable: false })) : apply(o));
    let working = 0;
    const handled = processor.handle({ ...order, orderId: "p-2" }, { deliveryCount: 1, working: () => (working += 1) });
    await scheduler.runUntil(30_000);
    refusing = false;
    await scheduler.runUntil(60_000);
    expect(await handled).toEqual({ kind: "ack" });
    expect(working).toBeGreaterThan(5);
  });
});

describe("OrderProcessor and a redelivered order that was already applied", () => {
  function withChannels() {
    const scheduler = new VirtualScheduler(0);
    const store = new InMemoryStockStore({ clock: scheduler });
    store.model.setQuantity({ sku: "A", quantity: 5 });
    const down = new ScriptedChannel("down", 1, scheduler, 10);
    const up = new ScriptedChannel("up", 1, scheduler, 10);
    const slow = new ScriptedChannel("slow", 1, scheduler, 30_000);
    const channels = [down, up, slow].map((client) => ({ client, rateLimit: { ratePerSecond: 10, burst: 10 }, maxInFlightCalls: 1 }));
    const propagator = new Propagator({ channels, clock: scheduler, scheduler, random: new Prng(1), metrics: noopMetrics, retry: { maxOutageMs: 60_000 } });
    const processor = new OrderProcessor({ store, propagator, clock: scheduler, scheduler, random: new Prng(2), metrics: noopMetrics, mode: "events" });
    const log = (channel: ScriptedChannel, from = 0) => channel.calls.slice(from).map((c) => c.updates.map((u) => `${u.sku}${u.version}=${u.quantity}`).join(","));
    return { scheduler, down, up, slow, propagator, processor, log };
  }
  const delivery = (deliveryCount: number) => ({ deliveryCount, working: () => undefined });

  it("pushes its level again to a channel whose push was given up (pushes are idempotent)", async () => {
    const { scheduler, down, up, slow, processor, log } = withChannels();
    down.fallback = (u) => u.map(() => ({ ok: false, reason: "unavailable", message: "503" })); // down for 3 minutes: A2 given up
    expect(await processor.handle(order, delivery(1))).toEqual({ kind: "ack" });
    await scheduler.runUntil(180_000);
    down.fallback = undefined;
    const before = { down: down.calls.length, up: up.calls.length, slow: slow.calls.length };
    expect(await processor.handle(order, delivery(2))).toEqual({ kind: "ack" });
    await scheduler.runUntil(200_000);
    expect(log(down, before.down)).toEqual(["A2=4"]);
    // Channels that confirmed version 2 are not sent it again.
    expect(log(up, before.up)).toEqual([]);
    expect(log(slow, before.slow)).toEqual([]);
  });

  it("does not send again what a channel has confirmed, has in flight or still has queued (duplicates must not multiply calls)", async () => {
    const { scheduler, down, up, slow, processor, log } = withChannels();
    down.fallback = (u) => u.map(() => ({ ok: false, reason: "unavailable", message: "503" })); // failing, not yet given up
    expect(await processor.handle(order, delivery(1))).toEqual({ kind: "ack" });
    await scheduler.runUntil(1_000); // up: confirmed; slow: in flight for 30 s; down: queued behind its circuit breaker
    const before = { down: down.calls.length, up: up.calls.length, slow: slow.calls.length };
    for (let i = 2; i <= 5; i++) expect(await processor.handle(order, delivery(i))).toEqual({ kind: "ack" });
    down.fallback = undefined;
    await scheduler.runUntil(60_000);
    expect(log(up, before.up)).toEqual([]);
    expect(log(slow)).toEqual(["A2=4"]);
    expect(log(down, before.down)).toEqual(["A2=4"]); // its retry once the channel is back: one call, not five
  });
});
