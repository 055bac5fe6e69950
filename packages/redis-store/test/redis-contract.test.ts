// The StockStore contract (the same suite the in-memory store passes) against a real redis-server, and
// again against a one-node Redis Cluster: there Redis refuses any script touching keys of two slots,
// so passing proves every key an order touches shares its partition's slot.
import { describe, expect, it } from "vitest";
import { ManualClock, runStockStoreContract } from "@synclag/testkit";
import { RedisStockStore, keySlot } from "../src/index.js";
import { skipReason, uniquePrefix, useRedisServer } from "./redis-fixture.js";

if (skipReason) {
  it.skip(`StockStore contract on Redis (${skipReason})`, () => {});
} else {
  describe("on a standalone redis-server", () => {
    const redis = useRedisServer();
    runStockStoreContract("RedisStockStore", (clock) => new RedisStockStore({ client: redis().client, clock, keyPrefix: uniquePrefix("contract") }));
  });

  describe("on a one-node Redis Cluster (all 16384 slots)", () => {
    const redis = useRedisServer({ cluster: true });
    runStockStoreContract("RedisStockStore in cluster mode", (clock) =>
      new RedisStockStore({ client: redis().client, clock, keyPrefix: uniquePrefix("cluster"), partition: "eu-west" }),
    );

    it("puts every key it writes in the partition's slot, as Redis Cluster itself computes it", async () => {
      const { client } = redis();
      const store = new RedisStockStore({ client, clock: new ManualClock(), keyPrefix: uniquePrefix("slots"), partition: "eu-west" });
      await store.setQuantity({ sku: "a{b}c", quantity: 2 });
      await store.applyOrder({ orderId: "{o}*", sourceChannel: "x", lines: [{ sku: "a{b}c", quantity: 1 }] });
      const keys = (await client.sendCommand(["KEYS", `${store.keys.keyspace.replace(/[*?[\]\\]/gu, "\\$&")}*`])) as string[];
      expect(keys.length).toBeGreaterThanOrEqual(6);
      for (const key of keys) {
        expect(Number(await client.sendCommand(["CLUSTER", "KEYSLOT", key]))).toBe(store.keys.slot);
        expect(keySlot(key)).toBe(store.keys.slot);
      }
    });
  });
}
