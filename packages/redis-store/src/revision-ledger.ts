// The revision ledger: how many revisions each listing was sent per UTC day, per channel, kept in Redis
// so that a restarted engine takes its daily revision budget back (eBay allows 250 revisions per listing
// per day; the propagator's counters are in process memory, and a restart that forgot them could push a
// hot listing past the cap — eBay then refuses every update of it until midnight UTC).
// One hash per (channel, day): `<keyPrefix>{<partition>}:revisions:<day>:<channel>`, field = SKU, value =
// revisions; it expires at the end of the next UTC day (a day late, for a clock a little behind).
// Easy to get wrong: this sits beside the push path, so `record` never throws and never waits — deltas
// are gathered and written after the current tick (one script call per (channel, day)), failures counted
// and reported, not raised. A write that timed out may still run: a Redis that stalls without dropping the
// connection (CLIENT PAUSE during a failover, a slow command, a fork) answers nothing, yet every EVAL
// queued on the socket runs once it resumes. So writes are idempotent: the deltas of a (channel, day) go
// out as a batch numbered by this ledger (a random writer id, a sequence number), a batch that failed is
// sent again unchanged — same number, same deltas, refunds included — and deltas recorded meanwhile wait
// for the next batch, which is sent only once the previous one was acknowledged. The script applies a
// batch only if its number is above the last one applied for the writer (kept beside the counts, in
// `<keyPrefix>{<partition>}:revision-batches:<day>:<channel>`, expiring with them), so the copies of a
// batch count once and a batch acknowledged is never undone by a late copy of an older one. A count is
// wrong only for what a closed ledger gave up on (pending at `close`, or a write still unanswered then).

import { randomBytes } from "node:crypto";
import { type Clock } from "@synclag/core";
import { RedisStockStoreError, sendWithin, toStoreError } from "./errors.js";
import { stockKeys, type StockKeys } from "./keys.js";
import { DEFAULT_KEY_PREFIX, DEFAULT_PARTITION, type RedisCommandClient } from "./redis-stock-store.js";

const DAY_MS = 86_400_000;
const DAY_S = 86_400;
/** Fields per script call and per HSCAN page: keeps every request and reply bounded. */
const CHUNK = 500;
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Batch ARGV[3] of writer ARGV[2]: unless KEYS[2] (writer -> last batch applied) already holds that batch
 * or a later one (a copy sent again after a timeout, run late), note the batch and HINCRBY each (field,
 * delta) pair of ARGV[4..] on KEYS[1]; EXPIREAT ARGV[1] on both — one atomic step, so neither hash exists
 * without its expiry. The batch is noted first: a script that fails halfway is not rolled back, and its
 * copies must not add what it did add again. Returns 1 when applied, 0 for a copy already applied.
 */
const RECORD_SOURCE = `local last = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0')
if tonumber(ARGV[3]) <= last then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('EXPIREAT', KEYS[2], ARGV[1])
for i = 4, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('EXPIREAT', KEYS[1], ARGV[1])
return 1`;

/** The hash of one channel's revision counts for one UTC day (under the store's hash tag). */
export function revisionLedgerKey(keys: StockKeys, channel: string, day: number): string {
  return `${keys.keyspace}revisions:${day}:${channel}`;
}

/**
 * The hash beside `revisionLedgerKey`'s (same hash tag, same expiry) that makes writes idempotent: field =
 * a ledger's writer id, value = the last batch of it applied. (Another word than `revisions:`, so that no
 * channel id can make one key read as the other.)
 */
export function revisionLedgerBatchesKey(keys: StockKeys, channel: string, day: number): string {
  return `${keys.keyspace}revision-batches:${day}:${channel}`;
}

export interface RevisionCount {
  readonly channel: string;
  readonly sku: string;
  readonly count: number;
}

export interface RevisionLedgerOptions {
  /** A connected client (never closed by the ledger). One without an offline queue fails at once while Redis is away. */
  readonly client: RedisCommandClient;
  /** Channels whose counts `load` reads (those with a revision budget). */
  readonly channels: readonly string[];
  /** The store's key prefix (see `checkKeyspace`). Default "synclag:". */
  readonly keyPrefix?: string;
  /** The store's hash tag. Default "stock". */
  readonly partition?: string;
  /** Longest wait for one Redis reply, in ms; after it the call counts as failed. Default 5 000. */
  readonly callTimeoutMs?: number;
  /** How long after a failed write it is sent again (the same batch), in ms. Default 1 000. */
  readonly retryDelayMs?: number;
  /** Tells a write for a day whose hash has expired (dropped, not written). Default: the system clock. */
  readonly clock?: Clock;
  /** Every failed write (a `RedisStockStoreError`) and every record refused as input (a `TypeError`). Must not throw. */
  readonly onError?: (error: Error) => void;
}

export interface RevisionLedgerStats {
  /** Deltas accepted by `record`. */
  readonly recorded: number;
  /** Script calls that completed (a copy of a batch that had already been applied included). */
  readonly writes: number;
  /** Script calls that failed (the batch is sent again, unchanged). */
  readonly errors: number;
  /** Records refused as input, deltas of days whose hash has expired, and deltas given up by `close`. */
  readonly dropped: number;
  /** (channel, day, SKU) deltas not acknowledged yet: waiting for a batch, or in one being written. */
  readonly pending: number;
}

interface PendingKey {
  readonly key: string;
  readonly channel: string;
  readonly day: number;
  readonly deltas: Map<string, number>;
}

/** A batch of one (channel, day): sent, then sent again unchanged until Redis acknowledges it. */
interface Batch {
  readonly key: string;
  readonly batchesKey: string;
  readonly day: number;
  readonly seq: number;
  readonly fields: readonly (readonly [string, number])[];
  /** A send of it is waiting for its reply (false: it failed, and waits to be sent again). */
  sending: boolean;
}

export class RevisionLedger {
  private readonly client: RedisCommandClient;
  private readonly keys: StockKeys;
  private readonly channels: readonly string[];
  private readonly callTimeoutMs: number;
  private readonly retryDelayMs: number;
  private readonly clock: Clock;
  private readonly onError: ((error: Error) => void) | undefined;
  /** This ledger's name in the batches hash: each process numbers its own batches. */
  private readonly writerId = randomBytes(12).toString("base64url");
  private seq = 0;
  /** Deltas not in a batch yet, by hash key. */
  private readonly pending = new Map<string, PendingKey>();
  /** The batch of each hash key not acknowledged yet: at most one, so batches land in their order. */
  private readonly batches = new Map<string, Batch>();
  private readonly inFlight = new Set<Promise<boolean>>();
  private flushScheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private counters = { recorded: 0, writes: 0, errors: 0, dropped: 0 };

  constructor(options: RevisionLedgerOptions) {
    this.keys = stockKeys({ keyPrefix: options.keyPrefix ?? DEFAULT_KEY_PREFIX, partition: options.partition ?? DEFAULT_PARTITION });
    if (typeof options.client?.sendCommand !== "function") throw new TypeError("client must have a sendCommand method");
    if (!Array.isArray(options.channels) || options.channels.some((channel) => typeof channel !== "string" || channel === "")) throw new TypeError("channels must be a list of channel ids");
    const callTimeoutMs = options.callTimeoutMs ?? 5_000;
    if (!Number.isSafeInteger(callTimeoutMs) || callTimeoutMs < 1 || callTimeoutMs > 2 ** 31 - 1) throw new RangeError(`callTimeoutMs must be a whole number of ms in 1..${2 ** 31 - 1}, got ${callTimeoutMs}`);
    const retryDelayMs = options.retryDelayMs ?? 1_000;
    if (!Number.isSafeInteger(retryDelayMs) || retryDelayMs < 1 || retryDelayMs > 2 ** 31 - 1) throw new RangeError(`retryDelayMs must be a whole number of ms in 1..${2 ** 31 - 1}, got ${retryDelayMs}`);
    this.client = options.client;
    this.channels = [...new Set(options.channels)];
    this.callTimeoutMs = callTimeoutMs;
    this.retryDelayMs = retryDelayMs;
    this.clock = options.clock ?? { now: () => Date.now() };
    this.onError = options.onError;
  }

  get stats(): RevisionLedgerStats {
    let pending = 0;
    for (const entry of this.pending.values()) pending += entry.deltas.size;
    for (const batch of this.batches.values()) pending += batch.fields.length;
    return { ...this.counters, pending };
  }

  /**
   * Adds `delta` (+1 a revision spent, -1 one given back) to the listing's count of `day` (a UTC day
   * number, `Math.floor(ms / 86_400_000)`). Returns at once: written after the current tick. Never throws.
   */
  record(channel: string, sku: string, day: number, delta: number): void {
    try {
      const problem = recordProblem(channel, sku, day, delta);
      if (problem !== undefined) {
        this.counters.dropped += 1;
        this.report(new TypeError(`revision ledger: record(${JSON.stringify(channel)}, ${JSON.stringify(sku)}, ${day}, ${delta}) refused: ${problem}`));
        return;
      }
      if (this.closed) {
        this.counters.dropped += 1;
        return;
      }
      this.counters.recorded += 1;
      this.add(channel, sku, day, delta);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          this.sendPending(false);
        });
      }
    } catch {
      // Nothing here throws by design; if something did, the push path must not see it.
    }
  }

  /**
   * The counts of `day` for the configured channels (counts ≤ 0 left out). Reads Redis only (what
   * `record` has not written yet is not in it). Rejects with a `RedisStockStoreError` when Redis fails.
   */
  async load(day: number): Promise<RevisionCount[]> {
    if (!Number.isSafeInteger(day) || day < 0) throw new RangeError(`day must be a whole UTC day number ≥ 0, got ${day}`);
    const counts: RevisionCount[] = [];
    for (const channel of this.channels) {
      const key = revisionLedgerKey(this.keys, channel, day);
      // HSCAN may return a field twice (the hash rehashing between pages): the last value read wins.
      const fields = new Map<string, number>();
      let cursor = "0";
      for (let page = 0; ; page++) {
        if (page >= 1_000_000) throw new RedisStockStoreError("corrupt_state", `HSCAN ${key} did not finish`, { retryable: false });
        let reply: unknown;
        try {
          reply = await this.send(["HSCAN", key, cursor, "COUNT", String(CHUNK)]);
        } catch (error) {
          throw toStoreError(error, { kind: "read", keys: [key] });
        }
        const [next, entries] = Array.isArray(reply) ? reply : [];
        if (typeof next !== "string" || !Array.isArray(entries)) throw new RedisStockStoreError("corrupt_state", `HSCAN ${key} reply is not [cursor, fields]`, { retryable: false });
        for (let i = 0; i + 1 < entries.length; i += 2) {
          const sku: unknown = entries[i];
          const value = Number(entries[i + 1]);
          if (typeof sku === "string" && Number.isSafeInteger(value)) fields.set(sku, value);
        }
        cursor = next;
        if (cursor === "0") break;
      }
      for (const [sku, count] of fields) if (count > 0) counts.push({ channel, sku, count });
    }
    return counts;
  }

  /**
   * Writes what is pending now (a failed batch sent again at once) and waits for every write in flight
   * (each bounded by `callTimeoutMs`); for a shutdown and for tests. Stops after a round in which a write
   * failed (what failed stays pending).
   */
  async flush(): Promise<void> {
    // A (channel, day) with more than CHUNK listings pending takes a round per batch.
    for (let round = 0; round < 1_000; round++) {
      if (this.pending.size === 0 && this.batches.size === 0 && this.inFlight.size === 0) return;
      this.sendPending(true);
      const results = await Promise.all([...this.inFlight]);
      if (results.includes(false)) return;
    }
  }

  /**
   * No more writes: records are dropped from now on, a retry waiting is cancelled, and what is not
   * acknowledged is given up (`flush` first to keep it). A write still in flight may land or not.
   */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    for (const entry of this.pending.values()) this.counters.dropped += entry.deltas.size;
    this.pending.clear();
    // A batch waiting to be sent again is given up; one in flight settles (and is counted) when answered.
    for (const [key, batch] of this.batches) {
      if (batch.sending) continue;
      this.counters.dropped += batch.fields.length;
      this.batches.delete(key);
    }
  }

  private add(channel: string, sku: string, day: number, delta: number): void {
    const key = revisionLedgerKey(this.keys, channel, day);
    let entry = this.pending.get(key);
    if (entry === undefined) {
      entry = { key, channel, day, deltas: new Map() };
      this.pending.set(key, entry);
    }
    const total = (entry.deltas.get(sku) ?? 0) + delta;
    if (total === 0) entry.deltas.delete(sku);
    else entry.deltas.set(sku, total);
    if (entry.deltas.size === 0) this.pending.delete(key);
  }

  /**
   * Sends a batch for every hash key with deltas pending and none unacknowledged; with `retry`, sends
   * again each batch that failed (unchanged: the script applies it once whatever the copies).
   */
  private sendPending(retry: boolean): void {
    if (this.closed) return;
    if (retry && this.retryTimer !== undefined) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    const today = Math.floor(this.clock.now() / DAY_MS);
    // Its hash has expired (or expires now): EXPIREAT in the past would delete it, and no one reads it.
    const expired = (day: number) => day + 2 <= today;
    if (retry) {
      for (const [key, batch] of this.batches) {
        if (batch.sending) continue;
        if (expired(batch.day)) {
          this.counters.dropped += batch.fields.length;
          this.batches.delete(key);
          continue;
        }
        this.write(batch);
      }
    }
    for (const [key, entry] of this.pending) {
      if (this.batches.has(key)) continue;
      if (expired(entry.day)) {
        this.counters.dropped += entry.deltas.size;
        this.pending.delete(key);
        continue;
      }
      const fields: (readonly [string, number])[] = [];
      for (const field of entry.deltas) {
        fields.push(field);
        entry.deltas.delete(field[0]);
        if (fields.length === CHUNK) break;
      }
      if (entry.deltas.size === 0) this.pending.delete(key);
      this.seq += 1;
      const batch: Batch = { key, batchesKey: revisionLedgerBatchesKey(this.keys, entry.channel, entry.day), day: entry.day, seq: this.seq, fields, sending: false };
      this.batches.set(key, batch);
      this.write(batch);
    }
  }

  private write(batch: Batch): void {
    batch.sending = true;
    const args = ["EVAL", RECORD_SOURCE, "2", batch.key, batch.batchesKey, String((batch.day + 2) * DAY_S), this.writerId, String(batch.seq)];
    for (const [sku, delta] of batch.fields) args.push(sku, String(delta));
    const call: Promise<boolean> = this.send(args).then(
      () => {
        batch.sending = false;
        this.counters.writes += 1;
        if (this.batches.get(batch.key) === batch) this.batches.delete(batch.key);
        // The deltas recorded meanwhile go out now, in the next batch.
        if (this.pending.has(batch.key)) this.sendPending(false);
        return true;
      },
      (error: unknown) => {
        batch.sending = false;
        this.counters.errors += 1;
        // The reason as the store names it (unavailable, outcome_unknown, …); the message says what was lost.
        const reason = toStoreError(error, { kind: "order", keys: [batch.key] }).reason;
        const detail = error instanceof Error ? error.message : String(error);
        this.report(new RedisStockStoreError(reason, `revision ledger: writing ${batch.fields.length} listing count${batch.fields.length === 1 ? "" : "s"} to ${batch.key} failed (${detail}); sent again unchanged (applied once, however many copies run)`, { cause: error, retryable: true }));
        if (this.closed) {
          this.counters.dropped += batch.fields.length;
          if (this.batches.get(batch.key) === batch) this.batches.delete(batch.key);
          return false;
        }
        if (this.retryTimer === undefined) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.sendPending(true);
          }, this.retryDelayMs);
          this.retryTimer.unref();
        }
        return false;
      },
    );
    this.inFlight.add(call);
    void call.finally(() => this.inFlight.delete(call));
  }

  private report(error: Error): void {
    try {
      this.onError?.(error);
    } catch {
      // An observer that throws must not reach the push path either.
    }
  }

  /** One command with a bounded wait for its reply; a client that throws synchronously rejects instead. */
  private send(args: string[]): Promise<unknown> {
    return sendWithin(this.client, args, this.callTimeoutMs);
  }
}

function recordProblem(channel: unknown, sku: unknown, day: unknown, delta: unknown): string | undefined {
  if (typeof channel !== "string" || channel === "" || LONE_SURROGATE.test(channel)) return "channel must be a non-empty, well-formed string";
  if (typeof sku !== "string" || sku === "" || LONE_SURROGATE.test(sku)) return "sku must be a non-empty, well-formed string";
  if (typeof day !== "number" || !Number.isSafeInteger(day) || day < 0) return "day must be a whole UTC day number ≥ 0";
  if (typeof delta !== "number" || !Number.isSafeInteger(delta) || delta === 0) return "delta must be a whole number other than 0";
  return undefined;
}
