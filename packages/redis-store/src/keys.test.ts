// Key layout without a server: slots as Redis Cluster computes them, and keys that stay in their slot.
import { describe, expect, it } from "vitest";
import { oddSkus } from "@synclag/testkit";
import { checkKeyspace, keySlot, stockKeys } from "./keys.js";

describe("key layout and cluster slots", () => {
  it("computes the slots Redis Cluster computes (CRC16/XMODEM mod 16384, hash tag rules)", () => {
    // Reference values from `CLUSTER KEYSLOT` on redis-server 7.0 and the cluster specification.
    expect(keySlot("123456789")).toBe(12739);
    expect(keySlot("foo")).toBe(12182);
    expect(keySlot("stock")).toBe(3902);
    expect(keySlot("synclag:{stock}:sku:a{b}c")).toBe(3902);
    expect(keySlot("{user1000}.following")).toBe(keySlot("{user1000}.followers"));
    // An empty tag does not count: the whole key is hashed.
    expect(keySlot("foo{}{bar}")).not.toBe(keySlot("bar"));
    expect(keySlot("foo{}{bar}")).toBe(keySlot(new TextEncoder().encode("foo{}{bar}")));
    expect(keySlot("foo{{bar}}zap")).toBe(keySlot("{bar"));
  });

  it("keeps every key of a store in its partition's slot, whatever braces or characters SKUs and order ids contain", () => {
    const keys = stockKeys({ keyPrefix: "shop:", partition: "eu-1" });
    expect(keys.slot).toBe(keySlot("eu-1"));
    const names = [...oddSkus, "}", "{x}", "{", "", "Cafe\u0301", "a".repeat(200)];
    for (const key of [keys.seq, keys.audit, keys.outbox, keys.skus, ...names.map(keys.sku), ...names.map(keys.order)]) {
      expect(keySlot(key)).toBe(keys.slot);
      expect(key.startsWith(keys.keyspace)).toBe(true);
    }
  });

  it("gives SKUs and order ids their own namespaces, so no SKU key can equal another key", () => {
    const keys = stockKeys({ keyPrefix: "synclag:", partition: "stock" });
    const fixed = new Set([keys.seq, keys.audit, keys.outbox, keys.skus]);
    for (const name of ["seq", "audit", ":audit", "../outbox", "order:x"]) {
      expect(fixed.has(keys.sku(name))).toBe(false);
      expect(keys.sku(name)).not.toBe(keys.order(name));
    }
  });

  it("refuses a prefix or partition that would capture or empty the hash tag", () => {
    expect(checkKeyspace("synclag:", "stock")).toBeUndefined();
    expect(checkKeyspace("a{b", "stock")).toMatch(/keyPrefix/u);
    expect(checkKeyspace("a}b", "stock")).toMatch(/keyPrefix/u);
    expect(checkKeyspace("synclag:", "")).toMatch(/empty/u);
    expect(checkKeyspace("synclag:", "a}b")).toMatch(/partition/u);
    expect(checkKeyspace("synclag:", "p".repeat(65))).toMatch(/bytes/u);
    expect(checkKeyspace("a\nb:", "stock")).toMatch(/^keyPrefix "a\\nb:" must not contain control characters/u);
    expect(checkKeyspace("a\u007f", "stock")).toMatch(/^keyPrefix .*control characters/u);
    expect(checkKeyspace("synclag:", "eu\u0000")).toMatch(/^partition .*control characters/u);
    expect(checkKeyspace(42 as unknown as string, "stock")).toMatch(/^keyPrefix must be a string/u);
    expect(checkKeyspace("synclag:", null as unknown as string)).toMatch(/^partition must be a string/u);
    expect(() => stockKeys({ keyPrefix: "{x}", partition: "stock" })).toThrow(TypeError);
    expect(() => stockKeys({ keyPrefix: 42 as unknown as string, partition: "stock" })).toThrow(TypeError);
  });
});
