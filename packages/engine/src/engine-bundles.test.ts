// Bundles through the whole engine: an order for a bundle takes its components and pushes the
// components and every bundle built on them to every channel — the source too, for what its own
// sale did not take off its listings; a restock of a component re-prices its bundles.
import { describe, expect, it } from "vitest";
import { InMemoryStockStore, Prng, VirtualScheduler, noopMetrics, type FeedSubscription, type OrderEvent, type OrderFeed, type OrderHandler } from "@synclag/core";
import { ScriptedChannel } from "../test/support.js";
import { Engine } from "./engine.js";

class DirectFeed implements OrderFeed {
  private handler: OrderHandler | undefined;
  consume(handler: OrderHandler): FeedSubscription {
    this.handler = handler;
    return { stop: () => Promise.resolve() };
  }
  deliver(event: OrderEvent): void {
    void this.handler?.(event, { deliveryCount: 1, working: () => undefined });
  }
}

/** What each channel was last told per SKU. */
const lastTold = (channel: ScriptedChannel) => {
  const told: Record<string, number> = {};
  for (const call of channel.calls) for (const u of call.updates) told[u.sku] = u.quantity;
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
