// Group commit over a RedisStockStore whose batchSize is below the gathered call's size. Found by review:
// a gathered call of 4 became two script calls; the second failed (one order's key of the wrong type),
// the one-by-one re-send then found the orders of the first call already applied and reported them
// `duplicate` — to the very callers whose orders it had just applied.
import { describe, expect, it } from "vitest";
import { ManualClock } from "@synclag/testkit";
import type { OrderInput, StockStore } from "@synclag/core";
import { GroupCommitStockStore, RedisStockStore } from "../src/index.js";
import { skipReason, uniquePrefix, useRedisServer } from "./redis-fixture.js";

const order = (orderId: string): OrderInput => ({ orderId, sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }] });

describe.skipIf(skipReason !== undefined)("GroupCommitStockStore over a store with a smaller batch size", () => {
  const redis = useRedisServer();

  /** A store with 10 of A, batchSize 2, and order "bad"'s idempotency key holding a hash (wrong type). */
  async function storeWithABadOrder(tag: string): Promise<RedisStockStore> {
    const { client } = redis();
    const store = new RedisStockStore({ client, clock: new ManualClock(), keyPrefix: uniquePrefix(tag), batchSize: 2 });
    await store.setQuantity({ sku: "A", quantity: 10 });
    await client.sendCommand(["HSET", store.keys.order("bad"), "x", "1"]);
    return store;
  }

  /** "warm" goes alone (nothing in flight); the others are gathered behind it. Each caller's outcome. */
  async function run(grouped: GroupCommitStockStore): Promise<string[]> {
    const first = grouped.applyOrder(order("warm"));
    const outcomes = await Promise.all(
      ["o1", "o2", "o3", "bad"].map((id) =>
        grouped.applyOrder(order(id)).then(
          (result) => result.kind,
          (error: unknown) => `error:${(error as { reason?: string }).reason}`,
        ),
      ),
    );
    expect((await first).kind).toBe("applied");
    return outcomes;
  }

  it("caps a gathered call at the inner store's batch size: each caller gets its own result, the orders it applied as 'applied'", async () => {
    const store = await storeWithABadOrder("gc-cap");
    const grouped = new GroupCommitStockStore(store); // default: 100 orders per gathered call
    expect(await run(grouped)).toEqual(["applied", "applied", "applied", "error:wrong_type"]);
    expect(grouped.maxOrdersPerCall).toBe(2);
    expect((await store.snapshot(["A"])).get("A")?.quantity).toBe(6);
    expect((await store.readAudit()).filter((a) => a.kind === "order").map((a) => a.orderId)).toEqual(["warm", "o1", "o2", "o3"]);
  });

  it("keeps the results an inner store reports for the script calls that completed before one failed (batch size not visible)", async () => {
    const store = await storeWithABadOrder("gc-partial");
    // A wrapper that hides batchSize: the gathered call of 4 becomes two script calls inside applyOrders.
    const hidden = { applyOrders: (orders: readonly OrderInput[]) => store.applyOrders(orders), applyOrder: (o: OrderInput) => store.applyOrder(o) } as unknown as StockStore;
    const grouped = new GroupCommitStockStore(hidden, { maxInFlightCalls: 1 });
    expect(grouped.maxOrdersPerCall).toBe(100);
    expect(await run(grouped)).toEqual(["applied", "applied", "applied", "error:wrong_type"]);
    expect(grouped.stats()).toEqual({ calls: 2, orders: 5, isolations: 1 });
    expect((await store.snapshot(["A"])).get("A")?.quantity).toBe(6);
  });
});
