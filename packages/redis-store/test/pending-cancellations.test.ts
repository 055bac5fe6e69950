// Pending cancellations on a real redis-server, read back from Redis itself: written by the APPLY script
// in the same call as the insufficient outcome, once per order id (also for idempotency records written
// before pending cancellations existed), removed idempotently, paged by seq over RESP2 and RESP3.
import { describe, expect, it } from "vitest";
import { ManualClock } from "@synclag/testkit";
import type { OrderInput } from "@synclag/core";
import { RedisStockStore } from "../src/index.js";
import { dumpKeyspace, skipReason, uniquePrefix, useRedisServer } from "./redis-fixture.js";
import type { TestClient } from "./redis-fixture.js";

if (skipReason) {
  it.skip(`pending cancellations on Redis (${skipReason})`, () => {});
} else {
  const redis = useRedisServer();

  const newStore = async (client: TestClient, options: { readonly batchSize?: number } = {}) => {
    const clock = new ManualClock(1_000);
    const store = new RedisStockStore({ client, clock, keyPrefix: uniquePrefix("cancel"), ...options });
    await store.setQuantity({ sku: "A", quantity: 1 });
    return { store, clock };
  };
  const oversell = (orderId: string, sourceChannel = "amazon"): OrderInput => ({ orderId, sourceChannel, lines: [{ sku: "A", quantity: 5 }] });

  describe("pending cancellations in Redis", () => {
    it("stores one sorted-set member per insufficient order, scored by its audit seq, and marks its idempotency record", async () => {
      const { client } = redis();
      const { store, clock } = await newStore(client);
      clock.set(2_000);
      expect(await store.applyOrder(oversell('o "1"/é'))).toMatchObject({ kind: "insufficient", auditSeq: 2 });
      expect((await store.applyOrder({ orderId: "o2", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }] })).kind).toBe("applied");
      expect((await store.applyOrder(oversell('o "1"/é'))).kind).toBe("duplicate");
      const resp2 = await redis().newClient({ resp: 2 });
      // Written by cjson (the id needs escaping), which also escapes "/": any JSON reader decodes it back.
      const state = await dumpKeyspace(resp2, store.keys.keyspace);
      expect(state[store.keys.cancellations]).toEqual({ type: "zset", hasTtl: false, value: ['[2,"o \\"1\\"\\/é","amazon","2000",["A"]]', "2"] });
      expect((state[store.keys.order('o "1"/é')] as { value: string }).value).toBe('12:amazon|"A":5{"k":"i","s":2,"h":[["A",5,1]],"p":1}');
      expect(await store.readPendingCancellations({ limit: 10 })).toEqual([{ seq: 2, orderId: 'o "1"/é', sourceChannel: "amazon", atMs: 2_000, skus: ["A"] }]);
    });

    it("reads a member written before the SKUs were recorded (four elements) without them", async () => {
      const { client } = redis();
      const { store } = await newStore(client);
      await client.sendCommand(["ZADD", store.keys.cancellations, "7", '[7,"old","ebay","5000"]']);
      expect(await store.readPendingCancellations({ limit: 10 })).toEqual([{ seq: 7, orderId: "old", sourceChannel: "ebay", atMs: 5_000 }]);
    });

    it("records the cancellation once for an insufficient record written before pending cancellations existed, keeping its TTL, and never again once removed", async () => {
      const { client } = redis();
      const { store, clock } = await newStore(client);
      const first = await store.applyOrder(oversell("legacy"));
      expect(first).toMatchObject({ kind: "insufficient", auditSeq: 2 });
      // What the previous version wrote: no pending entry, an outcome without the mark.
      const key = store.keys.order("legacy");
      const record = String(await client.sendCommand(["GET", key]));
      await client.sendCommand(["SET", key, record.replace(',"p":1}', "}"), "KEEPTTL"]);
      await client.sendCommand(["DEL", store.keys.cancellations]);
      const ttlBefore = Number(await client.sendCommand(["PTTL", key]));
      expect(await store.readPendingCancellations({ limit: 10 })).toEqual([]);

      clock.set(9_000);
      // A redelivery (here twice in one batch, then once more alone) records it exactly once.
      expect(await store.applyOrders([oversell("legacy"), oversell("legacy")])).toEqual([
        { kind: "duplicate", orderId: "legacy", original: first },
        { kind: "duplicate", orderId: "legacy", original: first },
      ]);
      expect(await store.applyOrder(oversell("legacy"))).toEqual({ kind: "duplicate", orderId: "legacy", original: first });
      expect(await store.readPendingCancellations({ limit: 10 })).toEqual([{ seq: 2, orderId: "legacy", sourceChannel: "amazon", atMs: 9_000, skus: ["A"] }]);
      expect(String(await client.sendCommand(["GET", key]))).toBe(record);
      const ttlAfter = Number(await client.sendCommand(["PTTL", key]));
      expect(ttlAfter).toBeGreaterThan(0);
      expect(ttlAfter).toBeLessThanOrEqual(ttlBefore);
      expect(await store.readAudit()).toHaveLength(2); // the oversell is audited (counted) once

      await store.removePendingCancellations([2]);
      await store.removePendingCancellations([2]);
      expect((await store.applyOrder(oversell("legacy"))).kind).toBe("duplicate");
      expect(await store.readPendingCancellations({ limit: 10 })).toEqual([]);
    });

    it("pages more entries than one reply carries, in seq order, over a RESP2 client as over RESP3", async () => {
      for (const resp of [2, 3] as const) {
        const { store } = await newStore(await redis().newClient({ resp }), { batchSize: 500 });
        const orders = Array.from({ length: 1_203 }, (_, i) => oversell(`o${i}`, i % 3 === 0 ? "ebay" : "amazon"));
        expect((await store.applyOrders(orders)).every((result) => result.kind === "insufficient")).toBe(true);
        const all = await store.readPendingCancellations({ limit: 5_000 });
        expect(all.map((entry) => entry.orderId)).toEqual(orders.map((order) => order.orderId));
        expect(all.map((entry) => entry.seq)).toEqual(orders.map((_, i) => i + 2));
        expect(await store.readPendingCancellations({ afterSeq: 1_000, limit: 3 })).toEqual(all.slice(999, 1_002));
        await store.removePendingCancellations(all.slice(0, 1_200).map((entry) => entry.seq));
        expect(await store.readPendingCancellations({ limit: 5_000 })).toEqual(all.slice(1_200));
      }
    });

    it("refuses an insufficient order when the pending-cancellation key has the wrong type, writing nothing; other orders do not read it", async () => {
      const { client } = redis();
      const { store } = await newStore(client);
      await client.sendCommand(["SET", store.keys.cancellations, "x"]);
      const before = await dumpKeyspace(client, store.keys.keyspace);
      await expect(store.applyOrder(oversell("o1"))).rejects.toMatchObject({ name: "RedisStockStoreError", reason: "wrong_type", retryable: false });
      await expect(store.applyOrders([{ orderId: "fine", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }] }, oversell("o1")])).rejects.toMatchObject({ reason: "wrong_type" });
      expect(await dumpKeyspace(client, store.keys.keyspace)).toEqual(before);
      expect((await store.applyOrder({ orderId: "fine", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }] })).kind).toBe("applied");
      await expect(store.readPendingCancellations({ limit: 1 })).rejects.toMatchObject({ name: "RedisStockStoreError" });
    });
  });
}
