import { describe, expect, it } from "vitest";
import { BundleStockStore, checkBundles, type BundleDefinition } from "./bundles.js";
import { InMemoryStockStore } from "./stock-model.js";
import type { SkuChange } from "./types.js";

const GIFT_SET: BundleDefinition = { sku: "gift-set", components: [{ sku: "mug", quantity: 2 }, { sku: "tea", quantity: 1 }] };
const TEA_DUO: BundleDefinition = { sku: "tea-duo", components: [{ sku: "tea", quantity: 2 }] };

async function storeWith(stock: Record<string, number>, bundles: readonly BundleDefinition[] = [GIFT_SET, TEA_DUO]) {
  const inner = new InMemoryStockStore({ clock: { now: () => 0 } });
  for (const [sku, quantity] of Object.entries(stock)) await inner.setQuantity({ sku, quantity });
  return { inner, store: new BundleStockStore(inner, bundles) };
}

const bySku = (changes: readonly SkuChange[]) => Object.fromEntries(changes.map((c) => [c.sku, { delta: c.delta, quantity: c.quantity, version: c.version }]));

describe("BundleStockStore", () => {
  it("sells a bundle out of its components, all or none, and reports every bundle built on them", async () => {
    const { inner, store } = await storeWith({ mug: 10, tea: 7 });
    const result = await store.applyOrder({ orderId: "o-1", sourceChannel: "shopify", lines: [{ sku: "gift-set", quantity: 2 }] });
    expect(result.kind).toBe("applied");
    if (result.kind !== "applied") return;
    // mug 10 − 4, tea 7 − 2; the source listed neither component, so their delta (what it took off itself) is 0.
    expect(bySku(result.changes)).toEqual({
      mug: { delta: 0, quantity: 6, version: 2 },
      tea: { delta: 0, quantity: 5, version: 2 },
      // min(6/2, 5/1) = 3 at version 2 + 2; the source took 2 off its own gift-set listing.
      "gift-set": { delta: -2, quantity: 3, version: 4 },
      // tea 5 → floor(5/2) = 2, version = tea's.
      "tea-duo": { delta: 0, quantity: 2, version: 2 },
    });
    expect(Object.fromEntries(await inner.snapshot())).toEqual({ mug: { quantity: 6, version: 2 }, tea: { quantity: 5, version: 2 } });
    // Three more sets need 6 mugs and 3 teas: there are 6 and 5 — then one more is short, and nothing moves.
    expect((await store.applyOrder({ orderId: "o-2", sourceChannel: "amazon", lines: [{ sku: "gift-set", quantity: 3 }] })).kind).toBe("applied");
    const short = await store.applyOrder({ orderId: "o-3", sourceChannel: "amazon", lines: [{ sku: "tea", quantity: 1 }, { sku: "gift-set", quantity: 1 }] });
    expect(short.kind).toBe("insufficient");
    expect(Object.fromEntries(await inner.snapshot())).toEqual({ mug: { quantity: 0, version: 3 }, tea: { quantity: 2, version: 3 } });
  });

  it("keeps a directly ordered component's delta, merged with the units its bundles took", async () => {
    const { store } = await storeWith({ mug: 10, tea: 7 });
    const result = await store.applyOrder({ orderId: "o-1", sourceChannel: "ebay", lines: [{ sku: "mug", quantity: 1 }, { sku: "gift-set", quantity: 1 }] });
    if (result.kind !== "applied") throw new Error(result.kind);
    expect(bySku(result.changes).mug).toEqual({ delta: -1, quantity: 7, version: 2 });
  });

  it("is idempotent per order id through the expansion, and a replay with other lines is a conflict", async () => {
    const { store } = await storeWith({ mug: 10, tea: 7 });
    const order = { orderId: "o-1", sourceChannel: "shopify", lines: [{ sku: "gift-set", quantity: 1 }] };
    await store.applyOrder(order);
    expect((await store.applyOrder(order)).kind).toBe("duplicate");
    expect((await store.applyOrder({ ...order, lines: [{ sku: "gift-set", quantity: 2 }] })).kind).toBe("conflict");
    expect(Object.fromEntries(await store.snapshot(["mug"]))).toMatchObject({ mug: { quantity: 8 } });
  });

  it("refuses a bad bundle line with the line's own path, before the store sees anything", async () => {
    const { inner, store } = await storeWith({ mug: 10, tea: 7 });
    const result = await store.applyOrder({ orderId: "o-1", sourceChannel: "shopify", lines: [{ sku: "mug", quantity: 1 }, { sku: "gift-set", quantity: 1.5 }] });
    expect(result).toEqual({ kind: "invalid", orderId: "o-1", problems: [{ path: "lines.1.quantity", message: "must be an integer" }] });
    expect((await inner.snapshot(["mug"])).get("mug")).toEqual({ quantity: 10, version: 1 });
  });

  it("snapshots a SKU's whole family, and every bundle with the full read", async () => {
    const { store } = await storeWith({ mug: 5, tea: 1, spoon: 3 });
    expect(Object.fromEntries(await store.snapshot(["tea"]))).toEqual({
      tea: { quantity: 1, version: 1 },
      mug: { quantity: 5, version: 1 },
      "gift-set": { quantity: 1, version: 2 },
      "tea-duo": { quantity: 0, version: 1 },
    });
    // A bundle's family: its components and their other bundles (an order for it moved those too).
    expect(Object.fromEntries(await store.snapshot(["gift-set"]))).toEqual({
      mug: { quantity: 5, version: 1 },
      tea: { quantity: 1, version: 1 },
      "gift-set": { quantity: 1, version: 2 },
      "tea-duo": { quantity: 0, version: 1 },
    });
    expect([...(await store.snapshot()).keys()].sort()).toEqual(["gift-set", "mug", "spoon", "tea", "tea-duo"]);
  });

  it("a bundle's version grows with every component change, so a channel is never moved back", async () => {
    const { store } = await storeWith({ mug: 10, tea: 7 });
    const versions: number[] = [];
    for (let i = 0; i < 4; i++) {
      const result = await store.applyOrder({ orderId: `o-${i}`, sourceChannel: "x", lines: [{ sku: i % 2 === 0 ? "mug" : "tea", quantity: 1 }] });
      if (result.kind !== "applied") throw new Error(result.kind);
      versions.push(result.changes.find((c) => c.sku === "gift-set")?.version ?? -1);
    }
    await store.restock({ sku: "mug", quantity: 5 });
    versions.push((await store.snapshot(["gift-set"])).get("gift-set")?.version ?? -1);
    expect(versions).toEqual([3, 4, 5, 6, 7]);
  });

  it("a bundle holds no stock: restocking or setting it is refused with a clear problem", async () => {
    const { store } = await storeWith({ mug: 10, tea: 7 });
    expect(await store.restock({ sku: "gift-set", quantity: 3 })).toEqual({ kind: "invalid", problems: [{ path: "sku", message: expect.stringContaining("is a bundle") }] });
    expect((await store.setQuantity({ sku: "gift-set", quantity: 3 })).kind).toBe("invalid");
  });

  it("checkBundles lists every problem with its path", () => {
    expect(
      checkBundles([
        { sku: "a", components: [{ sku: "b", quantity: 0 }] },
        { sku: "a", components: [] },
        { sku: "c", components: [{ sku: "a", quantity: 1 }] },
      ]),
    ).toEqual([
      { path: "bundles.1.sku", message: 'bundle "a" is defined twice' },
      { path: "bundles.1.components", message: "a bundle needs at least one component" },
      { path: "bundles.0.components.0.quantity", message: "units per bundle must be an integer ≥ 1, got 0" },
      { path: "bundles.2.components.0.sku", message: '"a" is a bundle; a component must be a stocked SKU' },
    ]);
    expect(() => new BundleStockStore(new InMemoryStockStore({ clock: { now: () => 0 } }), [{ sku: "x", components: [] }])).toThrow(/bundles.0.components/);
  });
});
