// Bundles through the whole engine: an order for a bundle takes its components and pushes the
// components and every bundle built on them to every channel — the source too, for what its own
// sale did not take off its listings; a restock of a component re-prices its bundles.
import { describe, expect, it } from "vitest";
import { InMemoryStockStore, Prng, VirtualScheduler, noopMetrics, type ChannelClient, type FeedSubscription, type OrderEvent, type OrderFeed, type OrderHandler, type PushOutcome, type QuantityUpdate } from "@synclag/core";
import { ScriptedChannel } from "../test/support.js";
import { Engine } from "./engine.js";

class DirectFeed implements OrderFeed {
  private handler: OrderHandler | undefined;
  consume(handler: OrderHandler): FeedSubscription {
    this.handler = handler;
    return { stop: () => Promise.resolve() };
  }
  deliver(event: OrderEvent, deliveryCount = 1): void {
    void this.handler?.(event, { deliveryCount, working: () => undefined });
  }
}

/** What each channel (or list of calls) was last told per SKU. */
const lastTold = (channel: ScriptedChannel | ReadonlyArray<{ updates: readonly QuantityUpdate[] }>) => {
  const told: Record<string, number> = {};
  for (const call of "calls" in channel ? channel.calls : channel) for (const u of call.updates) told[u.sku] = u.quantity;
  return told;
};

describe("Engine with bundles", () => {
  async function setUp() {
    const scheduler = new VirtualScheduler(0);
    const store = new InMemoryStockStore({ clock: scheduler });
    store.model.setQuantity({ sku: "mug", quantity: 10 });
    store.model.setQuantity({ sku: "tea", quantity: 7 });
    const shop = new ScriptedChannel("shop", 50, scheduler, 5);
    const amazon = new ScriptedChannel("amazon", 1, scheduler, 5);
    const feed = new DirectFeed();
    const engine = new Engine({
      store,
      feed,
      channels: [shop, amazon].map((client) => ({ client, rateLimit: { ratePerSecond: 100, burst: 100 } })),
      clock: scheduler,
      scheduler,
      random: new Prng(1),
      metrics: noopMetrics,
      strategy: { kind: "events" },
      reconcileIntervalMs: 0,
      bundles: [{ sku: "gift-set", components: [{ sku: "mug", quantity: 2 }, { sku: "tea", quantity: 1 }] }],
    });
    await engine.start();
    return { scheduler, store, shop, amazon, feed, engine };
  }

  it("a bundle sold on one channel moves its components and the bundle everywhere", async () => {
    const { scheduler, store, shop, amazon, feed, engine } = await setUp();
    feed.deliver({ orderId: "o-1", sourceChannel: "shop", lines: [{ sku: "gift-set", quantity: 3 }], confirmedAtMs: 0 });
    await scheduler.runUntil(5_000);
    expect(Object.fromEntries(await store.snapshot())).toEqual({ mug: { quantity: 4, version: 2 }, tea: { quantity: 4, version: 2 } });
    // The other channel: components and bundle. The source: its components (its sale took only the bundle off itself).
    expect(lastTold(amazon)).toEqual({ mug: 4, tea: 4, "gift-set": 2 });
    expect(lastTold(shop)).toMatchObject({ mug: 4, tea: 4 });
    await engine.stop();
  });

  it("a component sold alone re-prices its bundles; a restock too; a bundle cannot be restocked", async () => {
    const { scheduler, amazon, feed, engine } = await setUp();
    feed.deliver({ orderId: "o-1", sourceChannel: "shop", lines: [{ sku: "tea", quantity: 7 }], confirmedAtMs: 0 });
    await scheduler.runUntil(5_000);
    // (The start-up replay of the seeding's outbox entries pushed mug at 10.)
    expect(lastTold(amazon)).toEqual({ mug: 10, tea: 0, "gift-set": 0 });
    await engine.adjustStock({ sku: "tea", quantity: 2, kind: "restock" });
    await scheduler.runUntil(10_000);
    expect(lastTold(amazon)).toEqual({ mug: 10, tea: 2, "gift-set": 2 });
    expect((await engine.adjustStock({ sku: "gift-set", quantity: 2, kind: "restock" })).kind).toBe("invalid");
    await engine.stop();
  });
});

const BUNDLES = [
  { sku: "gift-set", components: [{ sku: "mug", quantity: 2 }, { sku: "tea", quantity: 1 }] },
  { sku: "mug-spoon", components: [{ sku: "mug", quantity: 1 }, { sku: "spoon", quantity: 1 }] },
];

function engineOn(store: InMemoryStockStore, scheduler: VirtualScheduler, clients: ChannelClient[], feed: DirectFeed) {
  return new Engine({
    store, feed, clock: scheduler, scheduler, random: new Prng(1), metrics: noopMetrics, strategy: { kind: "events" }, reconcileIntervalMs: 0, bundles: BUNDLES,
    channels: clients.map((client) => ({ client, rateLimit: { ratePerSecond: 100, burst: 100 } })),
  });
}

describe("Engine with bundles: redelivery and restarts (found by re-review)", () => {
  it("a redelivered bundle order re-pushes every bundle its first delivery changed whose push was given up", async () => {
    const scheduler = new VirtualScheduler(0);
    const store = new InMemoryStockStore({ clock: scheduler });
    for (const [sku, q] of [["mug", 10], ["tea", 7], ["spoon", 9]] as const) store.model.setQuantity({ sku, quantity: q });
    const shop = new ScriptedChannel("shop", 50, scheduler, 5);
    const amazon = new ScriptedChannel("amazon", 1, scheduler, 5);
    const feed = new DirectFeed();
    const engine = engineOn(store, scheduler, [shop, amazon], feed);
    await engine.start();
    await scheduler.runUntil(1_000);
    // Amazon refuses the bundles' pushes of the first delivery (given up), then recovers.
    amazon.fallback = (u) => u.map((x): PushOutcome => (x.sku === "gift-set" || x.sku === "mug-spoon" ? { ok: false, reason: "rejected", message: "listing locked" } : { ok: true }));
    const order = { orderId: "o-1", sourceChannel: "shop", lines: [{ sku: "gift-set", quantity: 3 }], confirmedAtMs: 1_000 };
    feed.deliver(order);
    await scheduler.runUntil(5_000);
    amazon.fallback = undefined;
    const before = amazon.calls.length;
    feed.deliver(order, 2); // redelivered
    await scheduler.runUntil(10_000);
    const resent = lastTold(amazon.calls.slice(before));
    // mug 10-6 = 4, tea 4, spoon 9: gift-set min(2, 4) = 2, mug-spoon min(4, 9) = 4.
    expect(resent).toEqual({ "gift-set": 2, "mug-spoon": 4 });
    await engine.stop();
  });

  it("a restart after the components' pushes settled still pushes the bundle whose push was in flight", async () => {
    const scheduler = new VirtualScheduler(0);
    const store = new InMemoryStockStore({ clock: scheduler });
    for (const [sku, q] of [["mug", 10], ["tea", 7], ["spoon", 9]] as const) store.model.setQuantity({ sku, quantity: q });
    const shop = new ScriptedChannel("shop", 50, scheduler, 5);
    // Amazon: the gift-set call hangs (the process dies before its reply); everything else answers in 5 ms.
    const amazonCalls: Array<{ atMs: number; updates: QuantityUpdate[] }> = [];
    const amazon: ChannelClient = {
      channel: "amazon", maxBatchSize: 1,
      setQuantities(updates) {
        amazonCalls.push({ atMs: scheduler.now(), updates: [...updates] });
        if (updates.some((u) => u.sku === "gift-set") && scheduler.now() > 500) return new Promise(() => undefined);
        return new Promise((resolve) => scheduler.setTimer(5, () => resolve(updates.map(() => ({ ok: true })))));
      },
      readQuantities: () => Promise.resolve(new Map()),
      cancelOrder: () => Promise.resolve({ ok: true }),
    };
    const feed = new DirectFeed();
    const engine = engineOn(store, scheduler, [shop, amazon], feed);
    await engine.start();
    await scheduler.runUntil(1_000);
    feed.deliver({ orderId: "o-1", sourceChannel: "shop", lines: [{ sku: "gift-set", quantity: 3 }], confirmedAtMs: 1_000 });
    await scheduler.runUntil(30_000); // outbox sweeps (every 5 s) ack the order's entry: mug and tea settled everywhere
    expect(await store.readOutbox(10)).toEqual([]);
    await engine.stop(); // the crash: gift-set 2 never confirmed on amazon
    const amazon2 = new ScriptedChannel("amazon", 1, scheduler, 5);
    const shop2 = new ScriptedChannel("shop", 50, scheduler, 5);
    const restarted = engineOn(store, scheduler, [shop2, amazon2], new DirectFeed());
    await restarted.start();
    await scheduler.runUntil(60_000);
    expect(lastTold(amazon2.calls)["gift-set"]).toBe(2);
    await restarted.stop();
  });
});

describe("Engine with bundles: the source's own sale", () => {
  async function started() {
    const scheduler = new VirtualScheduler(0);
    const store = new InMemoryStockStore({ clock: scheduler });
    store.model.setQuantity({ sku: "mug", quantity: 20 });
    store.model.setQuantity({ sku: "tea", quantity: 20 });
    const shop = new ScriptedChannel("shop", 50, scheduler, 5);
    const amazon = new ScriptedChannel("amazon", 50, scheduler, 5);
    const feed = new DirectFeed();
    const engine = new Engine({
      store, feed, clock: scheduler, scheduler, random: new Prng(1), metrics: noopMetrics, strategy: { kind: "events" }, reconcileIntervalMs: 0,
      bundles: [{ sku: "gift-set", components: [{ sku: "mug", quantity: 2 }, { sku: "tea", quantity: 1 }] }, { sku: "mug-duo", components: [{ sku: "mug", quantity: 2 }] }],
      channels: [shop, amazon].map((client) => ({ client, rateLimit: { ratePerSecond: 100, burst: 100 } })),
    });
    await engine.start();
    await scheduler.runUntil(1_000); // start-up pushes confirmed: both list gift-set 10, mug-duo 10
    return { scheduler, shop, amazon, feed, engine };
  }

  it("a bundle of several components sold on a channel is not pushed back to it: its own sale made it exact", async () => {
    const { scheduler, shop, amazon, feed, engine } = await started();
    const shopBefore = shop.calls.length;
    const amazonBefore = amazon.calls.length;
    feed.deliver({ orderId: "o-1", sourceChannel: "shop", lines: [{ sku: "gift-set", quantity: 1 }], confirmedAtMs: 1_000 });
    await scheduler.runUntil(5_000);
    expect(lastTold(amazon.calls.slice(amazonBefore))).toEqual({ mug: 18, tea: 19, "gift-set": 9, "mug-duo": 9 });
    // The shop took the set off its own listing (10 → 9): only what its sale did not move is pushed to it.
    expect(lastTold(shop.calls.slice(shopBefore))).toEqual({ mug: 18, tea: 19, "mug-duo": 9 });
    await engine.stop();
  });

  it("a bundle sold on a channel whose other components moved meanwhile is pushed to it", async () => {
    const { scheduler, shop, feed, engine } = await started();
    // mug sold on amazon: the shop is pushed gift-set 9 (mug 18 → 9 sets)...
    feed.deliver({ orderId: "o-0", sourceChannel: "amazon", lines: [{ sku: "mug", quantity: 2 }], confirmedAtMs: 1_000 });
    feed.deliver({ orderId: "o-1", sourceChannel: "shop", lines: [{ sku: "gift-set", quantity: 1 }, { sku: "mug", quantity: 1 }], confirmedAtMs: 1_000 });
    await scheduler.runUntil(5_000);
    // ...and its own order (2 × mug + tea in the set, 1 mug more) took mug 18 → 15: 7 sets, not the 8 its own sale left on its listing.
    expect(lastTold(shop)["gift-set"]).toBe(7);
    await engine.stop();
  });
});
