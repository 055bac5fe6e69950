// Bad input and hostile Redis state, proven by reading Redis itself before and after: every rejected
// call leaves every key of the store exactly as it was (Redis does not roll back a script, so the
// script must refuse before its first write). Runs the store over a RESP2 client on purpose.
import { beforeAll, describe, expect, it } from "vitest";
import { BAD_INPUT_STOCK, ManualClock, badMutationCases, badOrderCases } from "@synclag/testkit";
import type { OrderInput, StockMutationInput } from "@synclag/core";
import { APPLY_SCRIPT, RedisStockStore, RedisStockStoreError } from "../src/index.js";
import type { RedisStockStoreOptions } from "../src/index.js";
import { dumpKeyspace, skipReason, uniquePrefix, useRedisServer } from "./redis-fixture.js";
import type { TestClient } from "./redis-fixture.js";

if (skipReason) {
  it.skip(`bad input against Redis (${skipReason})`, () => {});
} else {
  const redis = useRedisServer();
  let client: TestClient;
  beforeAll(async () => {
    client = await redis().newClient({ resp: 2 });
  });

  const newStore = async (options: Partial<RedisStockStoreOptions> = {}) => {
    const store = new RedisStockStore({ client, clock: new ManualClock(), keyPrefix: uniquePrefix("bad"), ...options });
    for (const [sku, quantity] of Object.entries(BAD_INPUT_STOCK)) await store.setQuantity({ sku, quantity });
    await store.applyOrder({ orderId: "existing", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }] });
    return store;
  };
  const dump = (store: RedisStockStore) => dumpKeyspace(client, store.keys.keyspace);

  describe("bad input leaves Redis untouched (read back from Redis)", () => {
    for (const bad of badOrderCases) {
      it(`writes no key for an order with ${bad.name}`, async () => {
        const store = await newStore();
        const before = await dump(store);
        expect((await store.applyOrder(bad.order as OrderInput)).kind).toBe("invalid");
        expect((await store.applyOrders([bad.order as OrderInput]))[0]?.kind).toBe("invalid");
        expect(await dump(store)).toEqual(before);
      });
    }

    for (const bad of badMutationCases) {
      it(`writes no key for ${bad.name}`, async () => {
        const store = await newStore();
        const before = await dump(store);
        const input = bad.input as StockMutationInput;
        const result = bad.operation === "restock" ? await store.restock(input) : await store.setQuantity(input);
        expect(result.kind).toBe("invalid");
        expect(await dump(store)).toEqual(before);
      });
    }

    it("writes no key for an order id reused with other lines (conflict), nor for its redelivery (duplicate)", async () => {
      const store = await newStore();
      const before = await dump(store);
      expect((await store.applyOrder({ orderId: "existing", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 2 }] })).kind).toBe("conflict");
      expect((await store.applyOrder({ orderId: "existing", sourceChannel: "ebay", lines: [{ sku: "A", quantity: 1 }] })).kind).toBe("conflict");
      expect((await store.applyOrder({ orderId: "existing", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }] })).kind).toBe("duplicate");
      expect(await dump(store)).toEqual(before);
    });

    it("changes no level, version or outbox for an insufficient order — it only records the refusal (audit + idempotency + pending cancellation)", async () => {
      const store = await newStore();
      const before = await dump(store);
      expect((await store.applyOrder({ orderId: "short", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }, { sku: "B", quantity: 99 }] })).kind).toBe("insufficient");
      const after = await dump(store);
      const k = store.keys;
      for (const key of [k.sku("A"), k.sku("B"), k.outbox, k.skus]) expect(after[key], key).toEqual(before[key]);
      expect(Object.keys(after).filter((key) => !(key in before)).sort()).toEqual([k.cancellations, k.order("short")].sort());
      expect((after[k.audit] as { value: unknown[] }).value).toHaveLength((before[k.audit] as { value: unknown[] }).value.length + 1);
    });

    it("rejects an order whose SKUs belong to two partitions (two hash slots) before writing anything", async () => {
      const skuPartition = (sku: string) => (sku.startsWith("US-") ? "us" : "eu");
      const store = await newStore({ partition: "eu", skuPartition });
      const before = await dump(store);
      const result = await store.applyOrder({ orderId: "x", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }, { sku: "US-1", quantity: 1 }] });
      expect(result).toMatchObject({ kind: "invalid", orderId: "x", problems: [{ path: "lines.1.sku" }] });
      expect(result.kind === "invalid" && result.problems[0]?.message).toMatch(/partition "us".*one Redis Cluster hash slot/u);
      expect(await store.restock({ sku: "US-2", quantity: 1 })).toMatchObject({ kind: "invalid", problems: [{ path: "sku" }] });
      expect(await dump(store)).toEqual(before);
    });

    it("rejects ill-formed Unicode (a lone surrogate), which Redis would store as U+FFFD and so merge distinct ids", async () => {
      const store = await newStore();
      const before = await dump(store);
      expect(await store.applyOrder({ orderId: "o\ud800", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }] })).toMatchObject({ kind: "invalid", problems: [{ path: "orderId" }] });
      expect(await store.applyOrder({ orderId: "o", sourceChannel: "amazon", lines: [{ sku: "A\udc00", quantity: 1 }] })).toMatchObject({ kind: "invalid", problems: [{ path: "lines.0.sku" }] });
      expect(await store.restock({ sku: "\ud83d", quantity: 1 })).toMatchObject({ kind: "invalid", problems: [{ path: "sku" }] });
      expect(await store.restock({ sku: "A", quantity: 1, reason: "\udfff" })).toMatchObject({ kind: "invalid", problems: [{ path: "reason" }] });
      expect(await store.snapshot(["\ufffd", "A\ud800"])).toEqual(new Map());
      expect(await dump(store)).toEqual(before);
    });
  });

  describe("keys of the wrong Redis type: an error, and not a single write", () => {
    const cases: { name: string; poison: (store: RedisStockStore) => Promise<unknown> }[] = [
      { name: "a SKU key holding a string", poison: (store) => client.sendCommand(["SET", store.keys.sku("B"), "5"]) },
      { name: "an idempotency key holding a hash", poison: (store) => client.sendCommand(["HSET", store.keys.order("o-new"), "f", "v"]) },
      { name: "the audit stream key holding a string", poison: async (store) => client.sendCommand(["SET", store.keys.audit, "x"]) },
      { name: "the outbox key holding a list", poison: (store) => client.sendCommand(["RPUSH", store.keys.outbox, "x"]) },
      { name: "the seq key holding a set", poison: (store) => client.sendCommand(["SADD", store.keys.seq, "x"]) },
    ];
    for (const { name, poison } of cases) {
      it(`refuses an order when ${name}`, async () => {
        const store = await newStore();
        if (name.includes("audit")) await client.sendCommand(["DEL", store.keys.audit]);
        if (name.includes("outbox")) await client.sendCommand(["DEL", store.keys.outbox]);
        if (name.includes("seq")) await client.sendCommand(["DEL", store.keys.seq, store.keys.audit]);
        await poison(store);
        const before = await dump(store);
        const order = { orderId: "o-new", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }, { sku: "B", quantity: 1 }] };
        const error = await store.applyOrder(order).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(RedisStockStoreError);
        expect(error).toMatchObject({ name: "RedisStockStoreError", reason: "wrong_type", retryable: false });
        // A batch whose other orders are fine is refused as a whole, before any write.
        const good = { orderId: "o-good", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }] };
        await expect(store.applyOrders([good, order])).rejects.toMatchObject({ reason: "wrong_type" });
        expect(await dump(store)).toEqual(before);
      });
    }

    it("refuses a restock when the SKU index is not a set", async () => {
      const store = await newStore();
      await client.sendCommand(["DEL", store.keys.skus]);
      await client.sendCommand(["SET", store.keys.skus, "x"]);
      const before = await dump(store);
      await expect(store.restock({ sku: "new", quantity: 1 })).rejects.toMatchObject({ reason: "wrong_type" });
      await expect(store.snapshot()).rejects.toMatchObject({ reason: "rejected" });
      expect(await dump(store)).toEqual(before);
    });

    it("reports a SKU key of the wrong type on a snapshot instead of guessing", async () => {
      const store = await newStore();
      await client.sendCommand(["SET", store.keys.sku("B"), "5"]);
      await expect(store.snapshot(["A", "B"])).rejects.toMatchObject({ reason: "wrong_type" });
    });
  });

  describe("corrupt state is refused before the first write", () => {
    it("refuses to apply when the seq counter is gone but the audit stream has entries (ids would be reused)", async () => {
      const store = await newStore();
      await client.sendCommand(["DEL", store.keys.seq]);
      const before = await dump(store);
      await expect(store.applyOrder({ orderId: "o2", sourceChannel: "c", lines: [{ sku: "A", quantity: 1 }] })).rejects.toMatchObject({ reason: "corrupt_state" });
      expect(await dump(store)).toEqual(before);
    });

    it("refuses to apply when the seq counter is behind the audit stream (a restore from an older backup), and retries change nothing", async () => {
      const store = await newStore();
      await client.sendCommand(["SET", store.keys.seq, "1"]);
      const before = await dump(store);
      for (let attempt = 0; attempt < 3; attempt++) {
        await expect(store.applyOrder({ orderId: "o2", sourceChannel: "c", lines: [{ sku: "A", quantity: 1 }] })).rejects.toMatchObject({ reason: "corrupt_state" });
      }
      expect(await dump(store)).toEqual(before);
    });

    it("refuses to apply when the counter is gone and the audit stream was trimmed to nothing (its last id remains)", async () => {
      const store = await newStore();
      await client.sendCommand(["DEL", store.keys.seq]);
      await client.sendCommand(["XTRIM", store.keys.audit, "MAXLEN", "0"]);
      const before = await dump(store);
      await expect(store.applyOrder({ orderId: "o2", sourceChannel: "c", lines: [{ sku: "A", quantity: 1 }] })).rejects.toMatchObject({ reason: "corrupt_state" });
      expect(await dump(store)).toEqual(before);
    });

    it("refuses a stored quantity that is not a canonical integer", async () => {
      const store = await newStore();
      await client.sendCommand(["HSET", store.keys.sku("B"), "quantity", "3.5"]);
      const before = await dump(store);
      await expect(store.applyOrder({ orderId: "o2", sourceChannel: "c", lines: [{ sku: "A", quantity: 1 }, { sku: "B", quantity: 1 }] })).rejects.toMatchObject({ reason: "corrupt_state" });
      expect(await dump(store)).toEqual(before);
    });

    it("refuses an unreadable idempotency record", async () => {
      const store = await newStore();
      await client.sendCommand(["SET", store.keys.order("existing"), "{not json"]);
      const before = await dump(store);
      await expect(store.applyOrder({ orderId: "existing", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }] })).rejects.toMatchObject({ reason: "corrupt_state" });
      expect(await dump(store)).toEqual(before);
    });
  });

  describe("the script re-checks its arguments (defence in depth) and writes nothing when they are wrong", () => {
    interface RawCase {
      readonly name: string;
      readonly lines: readonly (readonly string[])[];
      readonly expected: string;
      readonly lineCount?: string;
      readonly ttlMs?: string;
      readonly kind?: string;
      readonly extraArg?: boolean;
    }
    const cases: RawCase[] = [
      { name: "a zero quantity", lines: [["A", "0"]], expected: "quantity is out of range" },
      { name: "a fractional quantity", lines: [["A", "1.5"]], expected: "quantity is not a canonical integer" },
      { name: "a quantity with a leading zero", lines: [["A", "01"]], expected: "quantity is not a canonical integer" },
      { name: "a quantity in exponent form", lines: [["A", "1e3"]], expected: "quantity is not a canonical integer" },
      { name: "a negative quantity", lines: [["A", "-1"]], expected: "quantity is not a canonical integer" },
      { name: "a quantity above the maximum", lines: [["A", "1000000001"]], expected: "quantity is out of range" },
      { name: "the same SKU twice", lines: [["A", "1"], ["A", "1"]], expected: "the same sku twice in one order" },
      { name: "an empty SKU", lines: [["", "1"]], expected: "sku must be 1..200 bytes" },
      { name: "a SKU over 200 bytes", lines: [["s".repeat(201), "1"]], expected: "sku must be 1..200 bytes" },
      { name: "a line count of 0", lines: [], lineCount: "0", expected: "line count is out of range" },
      { name: "a line count above 100", lines: [["A", "1"]], lineCount: "101", expected: "line count is out of range" },
      { name: "a missing argument", lines: [["A"]], lineCount: "1", expected: "missing argument" },
      { name: "a trailing argument", lines: [["A", "1"]], extraArg: true, expected: "extra arguments or keys" },
      { name: "an unknown operation", lines: [["A", "1"]], kind: "Z", expected: "unknown op kind" },
      { name: "a zero TTL", lines: [["A", "1"]], ttlMs: "0", expected: "idempotencyTtlMs is out of range" },
    ];
    for (const raw of cases) {
      it(`refuses ${raw.name}`, async () => {
        const store = await newStore();
        const k = store.keys;
        const keys = [k.seq, k.audit, k.outbox, k.skus, k.cancellations, k.order("o-raw"), ...raw.lines.map((_, i) => k.sku(`line-${i}`))];
        const args = [
          "1000",
          raw.ttlMs ?? "60000",
          "1",
          raw.kind ?? "O",
          "o-raw",
          "amazon",
          "fingerprint",
          raw.lineCount ?? String(raw.lines.length),
          ...raw.lines.flat(),
          ...(raw.extraArg ? ["extra"] : []),
        ];
        const before = await dump(store);
        const error = await client.sendCommand(["EVAL", APPLY_SCRIPT.source, String(keys.length), ...keys, ...args]).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toMatch(new RegExp(`^SYNCLAG_BADARGS ${raw.expected}`, "u"));
        expect(await dump(store)).toEqual(before);
      });
    }
  });

  describe("what one applied order leaves in Redis", () => {
    it("writes the levels, the audit entry, the outbox entry and the idempotency record (with its TTL) in one call", async () => {
      const clock = new ManualClock(1_000);
      const store = new RedisStockStore({ client, clock, keyPrefix: uniquePrefix("layout"), idempotencyTtlMs: 60_000 });
      await store.setQuantity({ sku: "A", quantity: 5 });
      clock.set(2_000);
      const result = await store.applyOrder({ orderId: "o1", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 2 }] });
      const state = await dump(store);
      const k = store.keys;
      expect(state[k.sku("A")]).toEqual({ type: "hash", hasTtl: false, value: ["quantity", "3", "version", "2"] });
      expect(state[k.skus]).toEqual({ type: "set", hasTtl: false, value: ["A"] });
      expect(state[k.seq]).toEqual({ type: "string", hasTtl: false, value: "2" });
      expect(state[k.audit]).toEqual({
        type: "stream",
        hasTtl: false,
        value: [
          ["1-0", ["kind", "set", "atMs", "1000", "changes", '[["A",5,5,1]]']],
          ["2-0", ["kind", "order", "atMs", "2000", "orderId", "o1", "sourceChannel", "amazon", "changes", '[["A",-2,3,2]]']],
        ],
      });
      expect((state[k.outbox] as { value: unknown[] }).value.map((entry) => (entry as [string, string[]])[1])).toEqual([
        ["atMs", "1000", "changes", '[["A",5,5,1]]'],
        ["atMs", "2000", "sourceChannel", "amazon", "changes", '[["A",-2,3,2]]'],
      ]);
      const record = state[k.order("o1")] as { type: string; hasTtl: boolean; value: string };
      expect(record).toMatchObject({ type: "string", hasTtl: true });
      // "<fingerprint bytes>:<fingerprint><outcome>": compared as a string on redelivery.
      expect(record.value).toBe('12:amazon|"A":2{"k":"a","s":2,"c":[["A",-2,3,2]]}');
      const ttlMs = Number(await client.sendCommand(["PTTL", k.order("o1")]));
      expect(ttlMs).toBeGreaterThan(0);
      expect(ttlMs).toBeLessThanOrEqual(60_000);
      expect(result).toMatchObject({ kind: "applied", auditSeq: 2 });
    });

    it("forgets an order id once its idempotency record is gone (why the TTL must outlast the feed's redelivery horizon)", async () => {
      const store = await newStore();
      const input = { orderId: "o-ttl", sourceChannel: "amazon", lines: [{ sku: "B", quantity: 1 }] };
      expect((await store.applyOrder(input)).kind).toBe("applied");
      expect((await store.applyOrder(input)).kind).toBe("duplicate");
      await client.sendCommand(["DEL", store.keys.order("o-ttl")]); // what expiry does
      expect((await store.applyOrder(input)).kind).toBe("applied");
    });
  });
}

if (!skipReason) {
  describe("a server that may evict keys", () => {
    const evicting = useRedisServer({ extraArgs: ["--maxmemory", "64mb", "--maxmemory-policy", "volatile-lru"] });
    it("is refused on connect: eviction would drop idempotency records and apply a redelivered order twice", async () => {
      await expect(RedisStockStore.connect({ url: evicting().server.url, keyPrefix: uniquePrefix("evict") })).rejects.toMatchObject({
        name: "RedisStockStoreError",
        reason: "rejected",
        message: expect.stringMatching(/maxmemory-policy volatile-lru/u),
      });
    });
  });
}
