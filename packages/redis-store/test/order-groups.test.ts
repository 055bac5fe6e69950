// Order groups (`settleOrderGroup`) on a real redis-server, read back from Redis itself: the group hash
// and its TTL, a wrong-typed key refused before anything is written, and two stores racing to give the
// same lines back (each line is given back once).
import { describe, expect, it } from "vitest";
import { ManualClock } from "@synclag/testkit";
import type { OrderInput } from "@synclag/core";
import { RedisStockStore } from "../src/index.js";
import { dumpKeyspace, skipReason, uniquePrefix, useRedisServer } from "./redis-fixture.js";

if (skipReason) {
  it.skip(`order groups on Redis (${skipReason})`, () => {});
} else {
  const redis = useRedisServer();
  const line = (orderId: string, quantity = 1): OrderInput => ({ orderId, sourceChannel: "ebay", lines: [{ sku: "A", quantity }] });

  describe("order groups in Redis", () => {
    it("keeps the group as a hash with the idempotency TTL: lines by recording number, 0 once given back", async () => {
      const { client } = redis();
      const store = new RedisStockStore({ client, clock: new ManualClock(1_000), keyPrefix: uniquePrefix("group"), idempotencyTtlMs: 60_000 });
      await store.setQuantity({ sku: "A", quantity: 5 });
      await store.applyOrder(line("ebay:9:a"));
      await store.settleOrderGroup({ group: "ebay:9", line: "ebay:9:a" });
      await store.settleOrderGroup({ group: "ebay:9", line: "ebay:9:b" });
      let state = await dumpKeyspace(client, store.keys.keyspace);
      expect(state[store.keys.group("ebay:9")]).toMatchObject({ type: "hash", hasTtl: true, value: { count: "2", "l:ebay:9:a": "1", "l:ebay:9:b": "2" } });
      const pttl = Number(await client.sendCommand(["PTTL", store.keys.group("ebay:9")]));
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(60_000);
      await store.settleOrderGroup({ group: "ebay:9", cancel: true });
      state = await dumpKeyspace(client, store.keys.keyspace);
      expect(state[store.keys.group("ebay:9")]).toMatchObject({ value: { cancelled: "1", count: "2", "l:ebay:9:a": "0", "l:ebay:9:b": "0" } });
    });

    it("refuses a line whose idempotency record or SKU key has the wrong type, writing nothing", async () => {
      const { client } = redis();
      const store = new RedisStockStore({ client, clock: new ManualClock(1_000), keyPrefix: uniquePrefix("group-type") });
      await store.setQuantity({ sku: "A", quantity: 5 });
      await store.applyOrder(line("ebay:1:a"));
      await store.settleOrderGroup({ group: "ebay:1", line: "ebay:1:a" });
      await client.sendCommand(["DEL", store.keys.sku("A")]);
      await client.sendCommand(["LPUSH", store.keys.sku("A"), "x"]);
      const before = await dumpKeyspace(client, store.keys.keyspace);
      await expect(store.settleOrderGroup({ group: "ebay:1", cancel: true })).rejects.toMatchObject({ name: "RedisStockStoreError", reason: "wrong_type", retryable: false });
      await client.sendCommand(["SET", store.keys.group("ebay:2"), "x"]);
      await expect(store.settleOrderGroup({ group: "ebay:2", cancel: true })).rejects.toMatchObject({ reason: "wrong_type" });
      await client.sendCommand(["DEL", store.keys.group("ebay:2")]);
      expect(await dumpKeyspace(client, store.keys.keyspace)).toEqual(before);
    });

    it("refuses to give lines back when the seq counter is behind the audit stream or gone, writing nothing", async () => {
      const { client } = redis();
      const store = new RedisStockStore({ client, clock: new ManualClock(1_000), keyPrefix: uniquePrefix("group-seq") });
      await store.setQuantity({ sku: "A", quantity: 5 });
      await store.applyOrder(line("ebay:2:a"));
      await store.settleOrderGroup({ group: "ebay:2", line: "ebay:2:a" });
      // A restore from an older backup: the counter is behind the audit stream's last id.
      await client.sendCommand(["SET", store.keys.seq, "1"]);
      let before = await dumpKeyspace(client, store.keys.keyspace);
      await expect(store.settleOrderGroup({ group: "ebay:2", cancel: true })).rejects.toMatchObject({ reason: "corrupt_state" });
      expect(await dumpKeyspace(client, store.keys.keyspace)).toEqual(before);
      // The counter lost while the stream (trimmed or not) keeps its last id.
      await client.sendCommand(["DEL", store.keys.seq]);
      await client.sendCommand(["XTRIM", store.keys.audit, "MAXLEN", "0"]);
      before = await dumpKeyspace(client, store.keys.keyspace);
      await expect(store.settleOrderGroup({ group: "ebay:2", cancel: true })).rejects.toMatchObject({ reason: "corrupt_state" });
      expect(await dumpKeyspace(client, store.keys.keyspace)).toEqual(before);
    });

    it("two stores cancelling the same group at once give each line back once", async () => {
      const prefix = uniquePrefix("group-race");
      const one = new RedisStockStore({ client: redis().client, clock: new ManualClock(1_000), keyPrefix: prefix });
      const two = new RedisStockStore({ client: await redis().newClient(), clock: new ManualClock(1_000), keyPrefix: prefix });
      await one.setQuantity({ sku: "A", quantity: 50 });
      for (let i = 1; i <= 20; i++) {
        await one.applyOrder(line(`ebay:7:${i}`));
        await (i % 2 === 0 ? one : two).settleOrderGroup({ group: "ebay:7", line: `ebay:7:${i}` });
      }
      const settled = await Promise.all([one.settleOrderGroup({ group: "ebay:7", cancel: true }), two.settleOrderGroup({ group: "ebay:7", cancel: true }), one.settleOrderGroup({ group: "ebay:7", line: "ebay:7:3", cancel: true })]);
      expect(settled.flatMap((s) => s.released.map((r) => r.orderId)).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `ebay:7:${i + 1}`).sort());
      expect((await one.snapshot(["A"])).get("A")?.quantity).toBe(50);
    });
  });
}
