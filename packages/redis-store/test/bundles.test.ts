// Bundles (core's BundleStockStore) over Redis, through the group-commit store the service uses: an order
// for a bundle takes its components in the order's one script call, and the order's identity (for
// redeliveries and reused ids) is the order as placed — the bundle — not the components it became.
import { describe, expect, it } from "vitest";
import { BundleStockStore, type ApplyResult, type OrderInput } from "@synclag/core";
import { GroupCommitStockStore, RedisStockStore } from "../src/index.js";
import { skipReason, uniquePrefix, useRedisServer } from "./redis-fixture.js";

const BUNDLES = [
  { sku: "GIFT-SET", components: [{ sku: "MUG", quantity: 2 }, { sku: "TEA", quantity: 1 }] },
  { sku: "MUG-DUO", components: [{ sku: "MUG", quantity: 2 }] },
];

if (skipReason) {
  it.skip(`bundles on Redis (${skipReason})`, () => {});
} else {
  const redis = useRedisServer();
  const storeOn = async (name: string, stock: Record<string, number>) => {
    const inner = new RedisStockStore({ client: redis().client, keyPrefix: uniquePrefix(name) });
    const store = new BundleStockStore(new GroupCommitStockStore(inner, { maxOrdersPerCall: 20 }), BUNDLES);
    for (const [sku, quantity] of Object.entries(stock)) await store.setQuantity({ sku, quantity });
    return store;
  };

  describe("bundles on Redis", () => {
    it("concurrent bundle and component orders: all or none per order, never below zero, conserved", async () => {
      const store = await storeOn("bundle-conc", { MUG: 101, TEA: 40 });
      const orders: OrderInput[] = Array.from({ length: 200 }, (_, i) => ({
        orderId: `o-${i}`, sourceChannel: "shopify",
        lines: i % 3 === 0 ? [{ sku: "GIFT-SET", quantity: 1 }] : i % 3 === 1 ? [{ sku: "MUG-DUO", quantity: 1 }, { sku: "TEA", quantity: 1 }] : [{ sku: "GIFT-SET", quantity: 1 }, { sku: "MUG", quantity: 1 }],
      }));
      const results: ApplyResult[] = await Promise.all(orders.map((o) => store.applyOrder(o)));
      let mug = 0;
      let tea = 0;
      results.forEach((r, i) => {
        if (r.kind !== "applied") return;
        for (const l of (orders[i] as OrderInput).lines) {
          if (l.sku === "GIFT-SET") { mug += 2; tea += 1; } else if (l.sku === "MUG-DUO") mug += 2; else if (l.sku === "MUG") mug += 1; else tea += 1;
        }
      });
      const after = await store.snapshot();
      expect(after.get("MUG")?.quantity).toBe(101 - mug);
      expect(after.get("TEA")?.quantity).toBe(40 - tea);
      expect(after.get("GIFT-SET")?.quantity).toBe(Math.min(Math.floor((101 - mug) / 2), 40 - tea));
      const again = await store.applyOrder(orders[0] as OrderInput);
      expect(again).toEqual({ kind: "duplicate", orderId: "o-0", original: results[0] });
    });

    it("the same order id with other lines is a conflict, also when both expand to the same components", async () => {
      const store = await storeOn("bundle-conflict", { MUG: 10, TEA: 10 });
      const giftSet = { orderId: "o-1", sourceChannel: "shopify", lines: [{ sku: "GIFT-SET", quantity: 1 }] };
      const first = await store.applyOrder(giftSet);
      expect(first.kind).toBe("applied");
      expect((await store.applyOrder({ orderId: "o-2", sourceChannel: "shopify", lines: [{ sku: "MUG-DUO", quantity: 1 }, { sku: "TEA", quantity: 1 }] })).kind).toBe("applied");
      // o-1 again with one MUG-DUO + one TEA (2 × MUG + 1 × TEA, as the set): another product the customer did not buy.
      expect((await store.applyOrder({ ...giftSet, lines: [{ sku: "MUG-DUO", quantity: 1 }, { sku: "TEA", quantity: 1 }] })).kind).toBe("conflict");
      expect((await store.applyOrder({ ...giftSet, lines: [{ sku: "MUG", quantity: 2 }, { sku: "TEA", quantity: 1 }] })).kind).toBe("conflict");
      expect((await store.applyOrder({ orderId: "o-2", sourceChannel: "shopify", lines: [{ sku: "GIFT-SET", quantity: 1 }] })).kind).toBe("conflict");
      // The identical redelivery: the first delivery's result, as it reported it.
      expect(await store.applyOrder(giftSet)).toEqual({ kind: "duplicate", orderId: "o-1", original: first });
      expect(Object.fromEntries(await store.snapshot(["MUG", "TEA"]))).toMatchObject({ MUG: { quantity: 6 }, TEA: { quantity: 8 } });
    });
  });
}
