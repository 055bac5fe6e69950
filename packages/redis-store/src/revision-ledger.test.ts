// The revision ledger against a private redis-server: the revisions an engine spends per (channel,
// listing, UTC day) are counted in a hash per (channel, day), so a restarted engine takes them back.
// Recording is fire-and-forget and must never throw or wait on the push path, whatever Redis does.
import { describe, expect, it } from "vitest";
import { RedisStockStoreError } from "./errors.js";
import { DEFAULT_KEY_PREFIX, DEFAULT_PARTITION, type RedisCommandClient } from "./redis-stock-store.js";
import { RevisionLedger, revisionLedgerKey } from "./revision-ledger.js";
import { stockKeys } from "./keys.js";
import { skipReason, uniquePrefix, useRedisServer } from "../test/redis-fixture.js";

/** Today (UTC day number): a day older than yesterday is not written (its hash has expired). */
const DAY = Math.floor(Date.now() / 86_400_000);
const DAY_S = 86_400;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A client that counts the commands it sends and can be made to fail (reject), throw, or never answer. */
function faultyClient(inner: RedisCommandClient) {
  const state = { mode: "ok" as "ok" | "reject" | "throw" | "hang", commands: [] as string[][] };
  const client: RedisCommandClient = {
    sendCommand(args) {
      state.commands.push([...args]);
      if (state.mode === "throw") throw new Error("socket gone");
      if (state.mode === "reject") return Promise.reject(new Error("connection refused"));
      if (state.mode === "hang") return new Promise(() => {});
      return inner.sendCommand(args);
    },
  };
  return { client, state };
}

const byKey = (counts: readonly { channel: string; sku: string; count: number }[]) => Object.fromEntries(counts.map((c) => [`${c.channel}/${c.sku}`, c.count]));

describe.skipIf(skipReason)("RevisionLedger (Redis)", () => {
  const redis = useRedisServer();

  it("counts revisions in a hash per (channel, day) under the store's key space, expiring the day after", async () => {
    const { client } = redis();
    const keyPrefix = uniquePrefix("ledger");
    const ledger = new RevisionLedger({ client, keyPrefix, channels: ["ebay"] });
    for (let i = 0; i < 3; i++) ledger.record("ebay", "SKU-1", DAY, 1);
    ledger.record("ebay", "SKU-2", DAY, 1);
    ledger.record("ebay", "SKU-1", DAY, -1);
    await ledger.flush();
    const key = revisionLedgerKey(stockKeys({ keyPrefix, partition: DEFAULT_PARTITION }), "ebay", DAY);
    expect(key).toBe(`${keyPrefix}{stock}:revisions:${DAY}:ebay`);
    expect(await client.sendCommand(["HGETALL", key])).toEqual({ "SKU-1": "2", "SKU-2": "1" });
    // EXPIRETIME: the end of the next UTC day — the counts outlive their day by a day, then go.
    expect(await client.sendCommand(["EXPIRETIME", key])).toBe((DAY + 2) * DAY_S);
    expect(ledger.stats).toMatchObject({ errors: 0, pending: 0 });
  });

  it("load(day) gives back every listing's count of that day for the configured channels, paging through big hashes", async () => {
    const { client } = redis();
    const keyPrefix = uniquePrefix("ledger");
    const writer = new RevisionLedger({ client, keyPrefix, channels: ["ebay", "ebay-uk"] });
    for (let i = 0; i < 2_500; i++) writer.record("ebay", `SKU-${i}`, DAY, 1 + (i % 3));
    writer.record("ebay-uk", "SKU-1", DAY, 7);
    writer.record("ebay", "SKU-0", DAY - 1, 200); // yesterday's
    writer.record("ebay-uk", "SKU-2", DAY, 1);
    writer.record("ebay-uk", "SKU-2", DAY, -1); // given back: 0, not listed
    writer.record("other", "SKU-1", DAY, 5); // a channel this engine does not budget
    await writer.flush();

    // A new process (the restart): another ledger on the same Redis.
    const reader = new RevisionLedger({ client, keyPrefix, channels: ["ebay", "ebay-uk"] });
    const counts = byKey(await reader.load(DAY));
    expect(Object.keys(counts)).toHaveLength(2_501);
    expect(counts["ebay/SKU-0"]).toBe(1);
    expect(counts["ebay/SKU-2"]).toBe(3);
    expect(counts["ebay/SKU-2499"]).toBe(1 + (2_499 % 3));
    expect(counts["ebay-uk/SKU-1"]).toBe(7);
    expect(counts["ebay-uk/SKU-2"]).toBeUndefined();
    expect(counts["other/SKU-1"]).toBeUndefined();
    expect(byKey(await reader.load(DAY - 1))).toEqual({ "ebay/SKU-0": 200 });
    expect(await reader.load(DAY + 1)).toEqual([]);
  });

  it("sends the revisions recorded at once as one call per (channel, day)", async () => {
    const { client: inner } = redis();
    const { client, state } = faultyClient(inner);
    const ledger = new RevisionLedger({ client, keyPrefix: uniquePrefix("ledger"), channels: ["ebay"] });
    for (let i = 0; i < 25; i++) ledger.record("ebay", `SKU-${i}`, DAY, 1);
    await ledger.flush();
    expect(state.commands).toHaveLength(1);
    expect(byKey(await ledger.load(DAY))).toHaveProperty("ebay/SKU-24", 1);
  });

  it("never throws into the caller when Redis fails: errors are counted and reported, and what failed is sent again later, refunds included", async () => {
    const { client: inner } = redis();
    const { client, state } = faultyClient(inner);
    const errors: unknown[] = [];
    const keyPrefix = uniquePrefix("ledger");
    const ledger = new RevisionLedger({ client, keyPrefix, channels: ["ebay"], retryDelayMs: 20, callTimeoutMs: 200, onError: (error) => errors.push(error) });
    for (const mode of ["reject", "throw", "hang"] as const) {
      state.mode = mode;
      expect(() => ledger.record("ebay", "SKU-1", DAY, 1)).not.toThrow();
      expect(() => ledger.record("ebay", "SKU-2", DAY, -1)).not.toThrow();
      await ledger.flush();
    }
    expect(ledger.stats.errors).toBeGreaterThanOrEqual(3);
    expect(errors.length).toBe(ledger.stats.errors);
    expect(errors.every((error) => error instanceof RedisStockStoreError)).toBe(true);
    // Redis back: the three revisions spent and the three given back are written (a batch sent again is
    // applied once, however many of its copies run: a refund is no longer dropped for fear of counting it twice).
    state.mode = "ok";
    await pause(100);
    await ledger.flush();
    expect(byKey(await ledger.load(DAY))).toEqual({ "ebay/SKU-1": 3 });
    expect(await client.sendCommand(["HGET", revisionLedgerKey(stockKeys({ keyPrefix, partition: DEFAULT_PARTITION }), "ebay", DAY), "SKU-2"])).toBe("-3");
    expect(ledger.stats).toMatchObject({ pending: 0, dropped: 0 });
  });

  it("drops what is refused as input (not thrown either), and refuses a key prefix that would break the key space", async () => {
    const { client } = redis();
    const errors: unknown[] = [];
    const ledger = new RevisionLedger({ client, keyPrefix: uniquePrefix("ledger"), channels: ["ebay"], onError: (error) => errors.push(error) });
    for (const [channel, sku, day, delta] of [
      ["ebay", "SKU-1", -1, 1],
      ["ebay", "SKU-1", 1.5, 1],
      ["ebay", "SKU-1", DAY, 0],
      ["ebay", "SKU-1", DAY, 0.5],
      ["ebay", 7, DAY, 1],
      ["ebay", "\ud800", DAY, 1],
    ] as const) {
      expect(() => ledger.record(channel as string, sku as string, day, delta)).not.toThrow();
    }
    await ledger.flush();
    expect(ledger.stats).toMatchObject({ dropped: 6, errors: 0 });
    expect(errors).toHaveLength(6);
    expect(await ledger.load(DAY)).toEqual([]);
    // A day whose hash has expired (the day before yesterday): not written (EXPIREAT would delete the hash at once).
    ledger.record("ebay", "SKU-1", DAY - 2, 1);
    await ledger.flush();
    expect(ledger.stats).toMatchObject({ dropped: 7, errors: 0, writes: 0 });
    expect(await ledger.load(DAY - 2)).toEqual([]);
    expect(() => new RevisionLedger({ client, keyPrefix: "bad{", channels: ["ebay"] })).toThrow(TypeError);
    expect(DEFAULT_KEY_PREFIX).toBe("synclag:");
  });

  it("load rejects with the store's error type when Redis does not answer", async () => {
    const { client: inner } = redis();
    const { client, state } = faultyClient(inner);
    const ledger = new RevisionLedger({ client, keyPrefix: uniquePrefix("ledger"), channels: ["ebay"], callTimeoutMs: 100 });
    state.mode = "hang";
    await expect(ledger.load(DAY)).rejects.toBeInstanceOf(RedisStockStoreError);
    state.mode = "reject";
    await expect(ledger.load(DAY)).rejects.toMatchObject({ reason: "unavailable" });
  });
});
