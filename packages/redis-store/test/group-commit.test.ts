// The group-commit decorator on a real Redis: it passes the same StockStore contract as the store it
// wraps, and under many concurrent callers (some submitting the same order id at once) every order is
// applied or refused exactly once, stock is conserved — and the orders really went in gathered calls.
import { describe, expect, it } from "vitest";
import { runStockStoreContract } from "@synclag/testkit";
import type { ApplyResult, OrderInput } from "@synclag/core";
import { GroupCommitStockStore, RedisStockStore } from "../src/index.js";
import { skipReason, uniquePrefix, useRedisServer } from "./redis-fixture.js";

if (skipReason) {
  it.skip(`group commit on Redis (${skipReason})`, () => {});
} else {
  const redis = useRedisServer();
  describe("GroupCommitStockStore on a standalone redis-server", () => {
    runStockStoreContract("GroupCommitStockStore(RedisStockStore)", (clock) => new GroupCommitStockStore(new RedisStockStore({ client: redis().client, clock, keyPrefix: uniquePrefix("group-contract") })));

    it("applies each of 400 concurrent orders (100 of them submitted twice at once) exactly once, in gathered calls", async () => {
      const inner = new RedisStockStore({ client: redis().client, keyPrefix: uniquePrefix("group-concurrency") });
      const store = new GroupCommitStockStore(inner, { maxOrdersPerCall: 50 });
      await store.setQuantity({ sku: "hot", quantity: 300 });
      const orders: OrderInput[] = Array.from({ length: 400 }, (_, i) => ({ orderId: `o-${i}`, sourceChannel: "shopify", lines: [{ sku: "hot", quantity: 1 }] }));
      const submissions = [...orders, ...orders.filter((_, i) => i % 4 === 0)];
      const results: ApplyResult[] = await Promise.all(submissions.map((o) => store.applyOrder(o)));
      const firstKinds = new Map<string, string[]>();
      results.forEach((r, i) => {
        const id = submissions[i]?.orderId as string;
        firstKinds.set(id, [...(firstKinds.get(id) ?? []), r.kind]);
      });
      for (const [id, kinds] of firstKinds) {
        const twin = Number(id.slice(2)) % 4 === 0;
        expect(kinds.filter((k) => k === "applied" || k === "insufficient")).toHaveLength(1);
        expect(kinds).toHaveLength(twin ? 2 : 1);
      }
      const applied = results.filter((r) => r.kind === "applied").length;
      expect(applied).toBe(300);
      expect(results.filter((r) => r.kind === "insufficient")).toHaveLength(100);
      expect((await store.snapshot(["hot"])).get("hot")?.quantity).toBe(0);
      expect((await store.readAudit()).filter((a) => a.kind === "order")).toHaveLength(300);
      expect(store.stats().calls).toBeLessThan(submissions.length / 5);
    });
  });
}
