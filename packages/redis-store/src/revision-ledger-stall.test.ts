// The revision ledger against a Redis that stalls without dropping the connection (CLIENT PAUSE — what
// FAILOVER and managed failovers do —, a slow command, a fork stall): every write times out, yet each EVAL
// queued on the socket runs once Redis answers again. Before, each retry sent another copy of the deltas
// and every copy counted (review: 10 revisions counted as 40 — at the next restart that count froze the
// listing until midnight UTC, sell-outs included). Now a batch is sent again unchanged and applied once.
import { describe, expect, it } from "vitest";
import { DEFAULT_PARTITION, type RedisCommandClient } from "./redis-stock-store.js";
import { RevisionLedger, revisionLedgerBatchesKey, revisionLedgerKey } from "./revision-ledger.js";
import { stockKeys } from "./keys.js";
import { skipReason, uniquePrefix, useRedisServer } from "../test/redis-fixture.js";

const DAY = Math.floor(Date.now() / 86_400_000);
const DAY_S = 86_400;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A Redis that runs what it was sent late, in order: while `held`, each command waits (its reply too), and
 * `release()` runs them all one after another — the copies of a timed-out write included.
 */
function stallingClient(inner: RedisCommandClient) {
  const queue: { args: readonly string[]; resolve: (value: unknown) => void; reject: (error: unknown) => void }[] = [];
  const state = { held: false, sent: 0 };
  const client: RedisCommandClient = {
    sendCommand(args) {
      state.sent += 1;
      if (!state.held) return inner.sendCommand(args);
      return new Promise((resolve, reject) => queue.push({ args, resolve, reject }));
    },
  };
  const release = async () => {
    state.held = false;
    while (queue.length > 0) {
      const { args, resolve, reject } = queue.shift()!;
      await inner.sendCommand(args).then(resolve, reject);
    }
  };
  return { client, state, release };
}

describe.skipIf(skipReason)("RevisionLedger during a Redis stall", () => {
  const redis = useRedisServer();

  it("one revision spent during a 3 s CLIENT PAUSE is counted once (the service's defaults scaled down 25x: callTimeoutMs 200, retryDelayMs 40)", async () => {
    const { client, newClient } = redis();
    const admin = await newClient();
    const keyPrefix = uniquePrefix("stall");
    const ledger = new RevisionLedger({ client, keyPrefix, channels: ["ebay"], callTimeoutMs: 200, retryDelayMs: 40 });
    await admin.sendCommand(["CLIENT", "PAUSE", "3000", "ALL"]);
    ledger.record("ebay", "HOT-1", DAY, 1); // one revision charged by the propagator
    await pause(1_000);
    // Recorded while the first batch is still unacknowledged: the next batch, sent once the first one is.
    ledger.record("ebay", "HOT-1", DAY, 1);
    ledger.record("ebay", "HOT-2", DAY, 1);
    ledger.record("ebay", "HOT-2", DAY, -1); // given back at once: nothing to write
    ledger.record("ebay", "HOT-3", DAY, 1);
    await pause(2_500); // Redis answers again; every queued EVAL runs
    await ledger.flush();
    await pause(200);
    expect(ledger.stats.errors).toBeGreaterThanOrEqual(5); // the first batch was sent again and again
    expect(ledger.stats).toMatchObject({ pending: 0, dropped: 0 });
    expect(await ledger.load(DAY)).toEqual([
      { channel: "ebay", sku: "HOT-1", count: 2 },
      { channel: "ebay", sku: "HOT-3", count: 1 },
    ]);
    // The batch numbers live beside the counts, in the same slot, and expire with them.
    const keys = stockKeys({ keyPrefix, partition: DEFAULT_PARTITION });
    const batchesKey = revisionLedgerBatchesKey(keys, "ebay", DAY);
    expect(batchesKey).toBe(`${keyPrefix}{stock}:revision-batches:${DAY}:ebay`);
    expect(Object.values((await client.sendCommand(["HGETALL", batchesKey])) as Record<string, string>)).toEqual(["2"]);
    expect(await client.sendCommand(["EXPIRETIME", batchesKey])).toBe((DAY + 2) * DAY_S);
    expect(await client.sendCommand(["EXPIRETIME", revisionLedgerKey(keys, "ebay", DAY)])).toBe((DAY + 2) * DAY_S);
  }, 20_000);

  it("copies of a batch that run after it was acknowledged, refunds included, count once; other writers count on", async () => {
    const { client: inner } = redis();
    const keyPrefix = uniquePrefix("stall");
    const { client, state, release } = stallingClient(inner);
    const ledger = new RevisionLedger({ client, keyPrefix, channels: ["ebay"], callTimeoutMs: 50, retryDelayMs: 10 });
    ledger.record("ebay", "A", DAY, 3);
    await ledger.flush();
    state.held = true;
    ledger.record("ebay", "A", DAY, 1);
    ledger.record("ebay", "B", DAY, 2);
    ledger.record("ebay", "A", DAY, -3); // refunds of a batch sent again are kept, not dropped
    await pause(300); // the batch {A: -2, B: 2} times out and is sent again, several times
    const copies = state.sent - 1;
    expect(copies).toBeGreaterThanOrEqual(3);
    // Recorded meanwhile: waits for the next batch (it would otherwise ride along with only some copies).
    ledger.record("ebay", "B", DAY, 1);
    await release(); // every copy runs now, in order
    await ledger.flush();
    expect(ledger.stats.pending).toBe(0);
    // Another process (another writer, its own batch numbers) on the same hash: counted too.
    const other = new RevisionLedger({ client: inner, keyPrefix, channels: ["ebay"] });
    other.record("ebay", "B", DAY, 1);
    await other.flush();
    expect(await ledger.load(DAY)).toEqual([
      { channel: "ebay", sku: "A", count: 1 },
      { channel: "ebay", sku: "B", count: 4 },
    ]);
    const batchesKey = revisionLedgerBatchesKey(stockKeys({ keyPrefix, partition: DEFAULT_PARTITION }), "ebay", DAY);
    expect(Object.values((await inner.sendCommand(["HGETALL", batchesKey])) as Record<string, string>).sort()).toEqual(["1", "3"]);
  });

  it("close gives up a batch waiting to be sent again (counted as dropped), and nothing after it is written", async () => {
    const { client: inner } = redis();
    const keyPrefix = uniquePrefix("stall");
    const { client, state, release } = stallingClient(inner);
    const ledger = new RevisionLedger({ client, keyPrefix, channels: ["ebay"], callTimeoutMs: 50, retryDelayMs: 60_000 });
    state.held = true;
    ledger.record("ebay", "A", DAY, 1);
    await ledger.flush(); // times out: waits for the retry
    ledger.record("ebay", "B", DAY, 1);
    expect(ledger.stats.pending).toBe(2);
    ledger.close();
    expect(ledger.stats).toMatchObject({ pending: 0, dropped: 2 });
    await release(); // the copy already sent may still land: that is the one ambiguous case
    await ledger.flush();
    expect(await ledger.load(DAY)).toEqual([{ channel: "ebay", sku: "A", count: 1 }]);
  });
});
