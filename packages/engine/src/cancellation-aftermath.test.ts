// What a confirmed cancellation changes at the marketplace, and what the engine must do about it:
// - WooCommerce puts a cancelled order's units back on sale (core hooks wc_maybe_increase_stock_levels to
//   woocommerce_order_status_cancelled): the listing is above the truth again, at a version the engine
//   already sent — the engine pushes the order's SKUs to the source again, forced, at once (events) or
//   at the next poll (polling), not 15 minutes later at the reconcile;
// - eBay notifies every line item as an order of its own but cancels whole orders: the lines of the
//   cancelled order the engine had applied are given back — once, whatever the redeliveries, crashes
//   and processes — and the new levels pushed everywhere.
import { describe, expect, it } from "vitest";
import { InMemoryStockStore, Prng, VirtualScheduler, type ChannelClient, type Disposition, type FeedSubscription, type OrderEvent, type OrderFeed, type OrderHandler, type PushOutcome, type QuantityUpdate } from "@synclag/core";
import { Engine, type Strategy } from "./index.js";

/** A marketplace listing what it was told, whose cancel may restock (WooCommerce) and acts on whole orders (`<channel>:<order>[:<line>]`). */
class Marketplace implements ChannelClient {
  readonly maxBatchSize = 100;
  readonly shown = new Map<string, number>();
  /** Orders as the marketplace knows them (native id → lines), for its restock. */
  readonly orders = new Map<string, { sku: string; quantity: number }[]>();
  readonly cancelCalls: { atMs: number; native: string }[] = [];
  readonly cancelled = new Set<string>();
  constructor(readonly channel: string, private readonly scheduler: VirtualScheduler, private readonly options: { restocks?: boolean; downUntilMs?: number } = {}) {}
  setQuantities(updates: readonly QuantityUpdate[]): Promise<PushOutcome[]> {
    for (const u of updates) this.shown.set(u.sku, u.quantity);
    return Promise.resolve(updates.map(() => ({ ok: true as const })));
  }
  readQuantities(skus: readonly string[]): Promise<Map<string, number>> {
    return Promise.resolve(new Map(skus.filter((s) => this.shown.has(s)).map((s) => [s, this.shown.get(s) as number])));
  }
  /** A buyer's order: the marketplace takes the units off its own listing. */
  sell(native: string, lines: { sku: string; quantity: number }[]): void {
    const known = this.orders.get(native) ?? [];
    this.orders.set(native, [...known, ...lines]);
    for (const line of lines) this.shown.set(line.sku, Math.max(0, (this.shown.get(line.sku) ?? 0) - line.quantity));
  }
  cancelOrder(orderId: string): Promise<PushOutcome> {
    const native = (orderId.slice(this.channel.length + 1).split(":")[0] ?? "");
    this.cancelCalls.push({ atMs: this.scheduler.now(), native });
    if (this.scheduler.now() < (this.options.downUntilMs ?? 0)) return Promise.resolve({ ok: false, reason: "unavailable", message: "503" });
    if (!this.cancelled.has(native) && this.options.restocks === true) for (const line of this.orders.get(native) ?? []) this.shown.set(line.sku, (this.shown.get(line.sku) ?? 0) + line.quantity);
    this.cancelled.add(native);
    return Promise.resolve({ ok: true });
  }
}

class Feed implements OrderFeed {
  readonly dispositions: Disposition[] = [];
  private handler: OrderHandler | undefined;
  consume(handler: OrderHandler): FeedSubscription {
    this.handler = handler;
    return { stop: () => Promise.resolve() };
  }
  async deliver(event: OrderEvent): Promise<void> {
    const handler = this.handler;
    if (!handler) throw new Error("not consuming");
    this.dispositions.push(await handler(event, { deliveryCount: 1, working: () => undefined }));
  }
}

function engine(store: InMemoryStockStore, scheduler: VirtualScheduler, clients: readonly ChannelClient[], strategy: Strategy = { kind: "events" }, seed = 7) {
  const feed = new Feed();
  const e = new Engine({ store, feed, channels: clients.map((client) => ({ client, rateLimit: { ratePerSecond: 100, burst: 100 } })), clock: scheduler, scheduler, random: new Prng(seed), metrics: { increment() {}, observe() {}, gauge() {} }, strategy });
  return { engine: e, feed };
}

const event = (orderId: string, sourceChannel: string, lines: { sku: string; quantity: number }[]): OrderEvent => ({ orderId, sourceChannel, lines, confirmedAtMs: 0 });

describe("a cancellation that puts the units back on sale at the marketplace (WooCommerce)", () => {
  it("events: the source is told the true quantity again right after the cancellation, not at the next reconcile", async () => {
    const scheduler = new VirtualScheduler(0);
    const store = new InMemoryStockStore({ clock: scheduler });
    store.model.setQuantity({ sku: "A", quantity: 0 });
    store.model.setQuantity({ sku: "B", quantity: 4 });
    const woo = new Marketplace("woocommerce", scheduler, { restocks: true, downUntilMs: 60_000 });
    woo.shown.set("A", 1);
    woo.shown.set("B", 4);
    // Default reconcile interval (15 min), as `synclag engine` runs.
    const { engine: e, feed } = engine(store, scheduler, [woo]);
    await e.start();
    // A buyer bought the last unit Woo still showed, with a unit of B: Woo took both off (A 1 → 0, B 4 → 3); A was gone already.
    woo.sell("1001", [{ sku: "A", quantity: 1 }, { sku: "B", quantity: 1 }]);
    await feed.deliver(event("woocommerce:1001", "woocommerce", [{ sku: "A", quantity: 1 }, { sku: "B", quantity: 1 }]));
    await scheduler.runUntil(60_000);
    expect(woo.cancelled.size).toBe(0);
    expect(woo.shown.get("B")).toBe(4); // the oversell's push of the truth (B was not sold)
    await scheduler.runUntil(6 * 60_000);
    const cancelledAt = woo.cancelCalls.at(-1)?.atMs ?? Number.NaN;
    expect(woo.cancelled).toEqual(new Set(["1001"]));
    // WooCommerce restocked A 0 → 1 and B 4 → 5 when it cancelled; the engine set both back at once.
    expect(woo.shown.get("A")).toBe(0);
    expect(woo.shown.get("B")).toBe(4);
    expect(cancelledAt).toBeLessThan(6 * 60_000);
    await e.stop();
  });

  it("polling: the next poll pushes the order's SKUs to the source though their version did not move", async () => {
    const scheduler = new VirtualScheduler(0);
    const store = new InMemoryStockStore({ clock: scheduler });
    store.model.setQuantity({ sku: "A", quantity: 0 });
    const woo = new Marketplace("woocommerce", scheduler, { restocks: true });
    woo.shown.set("A", 1);
    const { engine: e, feed } = engine(store, scheduler, [woo], { kind: "polling", intervalMs: 60_000 });
    await e.start();
    await scheduler.runUntil(61_000);
    expect(woo.shown.get("A")).toBe(0); // the first poll pushed the truth
    // A checkout that raced that push: WooCommerce took the unit off (floored at 0), the engine finds no stock.
    woo.sell("1001", [{ sku: "A", quantity: 1 }]);
    await feed.deliver(event("woocommerce:1001", "woocommerce", [{ sku: "A", quantity: 1 }]));
    await scheduler.runUntil(62_000);
    expect(woo.cancelled).toEqual(new Set(["1001"]));
    expect(woo.shown.get("A")).toBe(1); // WooCommerce's restock; A's version has not moved since the first poll
    await scheduler.runUntil(121_000);
    expect(woo.shown.get("A")).toBe(0);
    await e.stop();
  });
});

describe("eBay: one short line cancels the whole order, and its other lines are given back", () => {
  const setup = () => {
    const scheduler = new VirtualScheduler(0);
    const store = new InMemoryStockStore({ clock: scheduler });
    store.model.setQuantity({ sku: "A", quantity: 5 });
    store.model.setQuantity({ sku: "B", quantity: 0 });
    const ebay = new Marketplace("ebay", scheduler);
    const amazon = new Marketplace("amazon", scheduler);
    return { scheduler, store, ebay, amazon };
  };
  const L1 = event("ebay:12-34:L1", "ebay", [{ sku: "A", quantity: 1 }]);
  const L2 = event("ebay:12-34:L2", "ebay", [{ sku: "B", quantity: 1 }]);

  it("gives back the applied line once eBay confirmed the cancellation, and pushes A everywhere", async () => {
    const { scheduler, store, ebay, amazon } = setup();
    const { engine: e, feed } = engine(store, scheduler, [ebay, amazon]);
    await e.start();
    await feed.deliver(L1); // applied: A 5 → 4
    await scheduler.runUntil(1_000);
    expect(amazon.shown.get("A")).toBe(4);
    await feed.deliver(L2); // insufficient: eBay cancels order 12-34, L1 included
    await scheduler.runUntil(10_000);
    expect(ebay.cancelled).toEqual(new Set(["12-34"]));
    expect((await store.snapshot(["A"])).get("A")).toEqual({ quantity: 5, version: 3 });
    expect(amazon.shown.get("A")).toBe(5);
    expect(ebay.shown.get("A")).toBe(5);
    // Redeliveries of both lines change nothing.
    await feed.deliver(L1);
    await feed.deliver(L2);
    await scheduler.runUntil(20_000);
    expect((await store.snapshot(["A"])).get("A")?.quantity).toBe(5);
    expect(store.model.readAudit().filter((record) => record.kind === "restock")).toHaveLength(1);
    await e.stop();
  });

  it("a line delivered after the whole order was cancelled is given back at once", async () => {
    const { scheduler, store, ebay, amazon } = setup();
    const { engine: e, feed } = engine(store, scheduler, [ebay, amazon]);
    await e.start();
    await feed.deliver(L2);
    await scheduler.runUntil(10_000);
    expect(ebay.cancelled).toEqual(new Set(["12-34"]));
    await feed.deliver(L1); // applied (A 5 → 4), then given back: its order is cancelled
    await scheduler.runUntil(20_000);
    expect((await store.snapshot(["A"])).get("A")?.quantity).toBe(5);
    expect(amazon.shown.get("A")).toBe(5);
    await e.stop();
  });

  it("two engine processes that both cancel the order give the line back once", async () => {
    const { scheduler, store, ebay, amazon } = setup();
    const one = engine(store, scheduler, [ebay, amazon], { kind: "events" }, 1);
    const two = engine(store, scheduler, [ebay, amazon], { kind: "events" }, 2);
    await one.engine.start();
    await one.feed.deliver(L1);
    // Both read the pending entry before either removes it.
    await two.engine.start();
    await one.feed.deliver(L2);
    await scheduler.runUntil(60_000);
    expect(ebay.cancelCalls.length).toBeGreaterThanOrEqual(1);
    expect((await store.snapshot(["A"])).get("A")?.quantity).toBe(5);
    await one.engine.stop();
    await two.engine.stop();
  });

  it("a store failure while giving back keeps the pending entry: cancelled again later, given back once", async () => {
    const { scheduler, store, ebay, amazon } = setup();
    const settle = store.settleOrderGroup.bind(store);
    let failures = 2;
    store.settleOrderGroup = (input) => (input.cancel === true && failures-- > 0 ? Promise.reject(new Error("store down")) : settle(input));
    const { engine: e, feed } = engine(store, scheduler, [ebay, amazon]);
    await e.start();
    await feed.deliver(L1);
    await feed.deliver(L2);
    await scheduler.runUntil(2 * 60_000);
    expect(ebay.cancelCalls.length).toBe(3);
    expect(await store.readPendingCancellations({ limit: 10 })).toEqual([]);
    expect((await store.snapshot(["A"])).get("A")?.quantity).toBe(5);
    await e.stop();
  });
});
