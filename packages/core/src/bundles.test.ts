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

const MUG_DUO: BundleDefinition = { sku: "mug-duo", components: [{ sku: "mug", quantity: 2 }] };

describe("BundleStockStore: an order's identity is the order as placed, not its components", () => {
  it("the same order id with other lines is a conflict even when both expand to the same components", async () => {
    const { store } = await storeWith({ mug: 10, tea: 7 }, [GIFT_SET, MUG_DUO]);
    const giftSet = { orderId: "o-1", sourceChannel: "shopify", lines: [{ sku: "gift-set", quantity: 1 }] };
    expect((await store.applyOrder(giftSet)).kind).toBe("applied");
    // The components named instead of the bundle (2 × mug + tea), or another bundle plus a component: other products.
    expect((await store.applyOrder({ ...giftSet, lines: [{ sku: "mug", quantity: 2 }, { sku: "tea", quantity: 1 }] })).kind).toBe("conflict");
    expect((await store.applyOrder({ ...giftSet, lines: [{ sku: "mug-duo", quantity: 1 }, { sku: "tea", quantity: 1 }] })).kind).toBe("conflict");
    const loose = { orderId: "o-2", sourceChannel: "shopify", lines: [{ sku: "mug-duo", quantity: 1 }, { sku: "tea", quantity: 1 }] };
    expect((await store.applyOrder(loose)).kind).toBe("applied");
    expect((await store.applyOrder({ ...loose, lines: [{ sku: "gift-set", quantity: 1 }] })).kind).toBe("conflict");
    // Through applyOrders (a batch) the same.
    const [batched] = await store.applyOrders([{ ...giftSet, lines: [{ sku: "mug", quantity: 2 }, { sku: "tea", quantity: 1 }] }]);
    expect(batched?.kind).toBe("conflict");
    expect(Object.fromEntries(await store.snapshot(["mug", "tea"]))).toMatchObject({ mug: { quantity: 6 }, tea: { quantity: 5 } });
  });

  it("the same order in another spelling (the bundle's SKU decomposed, its line split in two) is a duplicate", async () => {
    const kit = "CAF\u00c9-KIT";
    const { store } = await storeWith({ mug: 10, tea: 7 }, [GIFT_SET, { sku: kit, components: [{ sku: "tea", quantity: 1 }] }]);
    const order = { orderId: "o-1", sourceChannel: "shopify", lines: [{ sku: kit, quantity: 2 }] };
    expect((await store.applyOrder(order)).kind).toBe("applied");
    expect((await store.applyOrder({ ...order, lines: [{ sku: kit.normalize("NFD"), quantity: 1 }, { sku: kit, quantity: 1 }] })).kind).toBe("duplicate");
  });

  it("a redelivered bundle order returns the result its first delivery returned", async () => {
    const { store } = await storeWith({ mug: 10, tea: 7 }, [GIFT_SET, TEA_DUO, MUG_DUO]);
    const order = { orderId: "o-1", sourceChannel: "shopify", lines: [{ sku: "gift-set", quantity: 1 }, { sku: "mug", quantity: 1 }] };
    const first = await store.applyOrder(order);
    expect(first.kind).toBe("applied");
    const again = await store.applyOrder(order);
    if (again.kind !== "duplicate") throw new Error(again.kind);
    expect(again.original).toEqual(first);
    const [batched] = await store.applyOrders([order]);
    expect(batched).toEqual(again);
  });
});

describe("BundleStockStore: a bundle's version before the order", () => {
  it("each bundle change carries the version its bundle had before the order (its version rises by the components the order changed)", async () => {
    const { store } = await storeWith({ mug: 10, tea: 7 }, [GIFT_SET, TEA_DUO]);
    const result = await store.applyOrder({ orderId: "o-1", sourceChannel: "shopify", lines: [{ sku: "gift-set", quantity: 1 }] });
    if (result.kind !== "applied") throw new Error(result.kind);
    const of = (sku: string) => result.changes.find((c) => c.sku === sku);
    expect(of("gift-set")).toMatchObject({ version: 4, previousVersion: 2 });
    expect(of("tea-duo")).toMatchObject({ version: 2, previousVersion: 1 });
    // A component's own change: one order, one version step (no previousVersion needed).
    expect(of("mug")?.previousVersion).toBeUndefined();
    const tea = await store.applyOrder({ orderId: "o-2", sourceChannel: "shopify", lines: [{ sku: "tea", quantity: 1 }] });
    if (tea.kind !== "applied") throw new Error(tea.kind);
    expect(tea.changes.find((c) => c.sku === "gift-set")).toMatchObject({ version: 5, previousVersion: 4 });
  });
});

describe("BundleStockStore: SKU spellings (NFC, as every store compares SKUs)", () => {
  const nfd = "CAFE\u0301"; // "CAFÉ" decomposed, as copied from a macOS file name
  const nfc = nfd.normalize("NFC");

  it("a component written decomposed in the definitions prices its bundle and is re-priced with it", async () => {
    const { store } = await storeWith({ [nfc]: 4 }, [{ sku: "cafe-duo", components: [{ sku: nfd, quantity: 2 }] }]);
    expect((await store.snapshot(["cafe-duo"])).get("cafe-duo")).toEqual({ quantity: 2, version: 1 });
    const result = await store.applyOrder({ orderId: "o-1", sourceChannel: "shopify", lines: [{ sku: nfc, quantity: 1 }] });
    if (result.kind !== "applied") throw new Error(result.kind);
    expect(bySku(result.changes)["cafe-duo"]).toEqual({ delta: 0, quantity: 1, version: 2 });
    // Sold as a bundle: takes the component.
    expect((await store.applyOrder({ orderId: "o-2", sourceChannel: "shopify", lines: [{ sku: "cafe-duo", quantity: 1 }] })).kind).toBe("applied");
    expect((await store.snapshot([nfc])).get(nfc)?.quantity).toBe(1);
  });

  it("a bundle written decomposed in the definitions sells under either spelling and is listed composed", async () => {
    const set = `${nfd}-SET`;
    const { store } = await storeWith({ mug: 10 }, [{ sku: set, components: [{ sku: "mug", quantity: 1 }] }]);
    expect(store.bundleSkus).toEqual([set.normalize("NFC")]);
    expect(store.isBundle(set)).toBe(true);
    const result = await store.applyOrder({ orderId: "o-1", sourceChannel: "shopify", lines: [{ sku: set.normalize("NFC"), quantity: 1 }] });
    if (result.kind !== "applied") throw new Error(result.kind);
    expect(bySku(result.changes)[set.normalize("NFC")]).toEqual({ delta: -1, quantity: 9, version: 2 });
    expect((await store.applyOrder({ orderId: "o-2", sourceChannel: "shopify", lines: [{ sku: set, quantity: 1 }] })).kind).toBe("applied");
    expect([...(await store.snapshot([set])).keys()].sort()).toEqual([set.normalize("NFC"), "mug"]);
  });

  it("restocking or setting a bundle in another spelling is refused and stocks nothing", async () => {
    const set = `${nfc}-SET`;
    const { inner, store } = await storeWith({ mug: 10 }, [{ sku: set, components: [{ sku: "mug", quantity: 1 }] }]);
    expect((await store.restock({ sku: set.normalize("NFD"), quantity: 5 })).kind).toBe("invalid");
    expect((await store.setQuantity({ sku: set.normalize("NFD"), quantity: 5 })).kind).toBe("invalid");
    expect([...(await inner.snapshot()).keys()]).toEqual(["mug"]);
  });

  it("checkBundles refuses the same bundle defined twice in two spellings, and a bundle used as a component in another", () => {
    expect(
      checkBundles([
        { sku: `${nfd}-SET`, components: [{ sku: "mug", quantity: 1 }] },
        { sku: `${nfc}-SET`, components: [{ sku: "tea", quantity: 1 }] },
        { sku: "duo", components: [{ sku: `${nfd}-SET`, quantity: 1 }] },
      ]),
    ).toEqual([
      { path: "bundles.1.sku", message: `bundle ${JSON.stringify(`${nfc}-SET`)} is defined twice` },
      { path: "bundles.2.components.0.sku", message: `${JSON.stringify(`${nfc}-SET`)} is a bundle; a component must be a stocked SKU` },
    ]);
  });
});

describe("checkBundles: only SKUs and units an order can carry", () => {
  it("refuses control characters, over-long SKUs and units over the largest quantity, every problem at once", () => {
    expect(
      checkBundles([
        { sku: "GIFT\tSET", components: [{ sku: "mug", quantity: 1 }] },
        { sku: "DUO", components: [{ sku: "x".repeat(201), quantity: 1 }, { sku: "TEA\t", quantity: 2_000_000_000 }] },
      ]),
    ).toEqual([
      { path: "bundles.0.sku", message: "must not contain control characters" },
      { path: "bundles.1.components.0.sku", message: "must be at most 200 bytes" },
      { path: "bundles.1.components.1.sku", message: "must not contain control characters" },
      { path: "bundles.1.components.1.quantity", message: "units per bundle must be at most 1000000000, got 2000000000" },
    ]);
  });
});

describe("BundleStockStore: problems name the order's own lines", () => {
  it("a bundle whose component is not stocked is refused at the bundle's line, naming the component", async () => {
    const { store } = await storeWith({ mug: 10 }); // tea never stocked
    expect(await store.applyOrder({ orderId: "o-1", sourceChannel: "shopify", lines: [{ sku: "gift-set", quantity: 1 }] })).toEqual({
      kind: "invalid",
      orderId: "o-1",
      problems: [{ path: "lines.0.sku", message: 'unknown SKU "tea" (component of bundle "gift-set")' }],
    });
    // A component both ordered directly and inside a bundle: both lines named (lines sorted by SKU, as for any order).
    const both = await store.applyOrder({ orderId: "o-2", sourceChannel: "shopify", lines: [{ sku: "tea", quantity: 1 }, { sku: "gift-set", quantity: 1 }, { sku: "mug", quantity: 1 }] });
    expect(both).toEqual({
      kind: "invalid",
      orderId: "o-2",
      problems: [
        { path: "lines.0.sku", message: 'unknown SKU "tea" (component of bundle "gift-set")' },
        { path: "lines.2.sku", message: 'unknown SKU "tea"' },
      ],
    });
  });

  it("units a bundle line takes over the largest quantity are refused at the order's lines", async () => {
    const { store } = await storeWith({ mug: 10, tea: 10 });
    const result = await store.applyOrder({ orderId: "o-1", sourceChannel: "shopify", lines: [{ sku: "gift-set", quantity: 600_000_000 }] });
    expect(result).toEqual({ kind: "invalid", orderId: "o-1", problems: [{ path: "lines", message: 'total quantity of "mug" exceeds 1000000000 (component of bundle "gift-set")' }] });
  });
});
