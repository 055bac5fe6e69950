// RedisStockStore: the engine's StockStore port on a real Redis. Every order (or batch of orders) is one
// call of the APPLY Lua script, which checks idempotency, validates, decrements all lines or none, bumps
// versions and appends the audit and outbox entries atomically; the in-memory StockModel in @synclag/core
// is the reference it must match (the contract suite in @synclag/testkit runs both).
// Easy to get wrong: an error after a command was sent means "outcome unknown", not "failed" — orders
// are safe to retry with the same order id (the stored result comes back), restocks are not. And the
// script cache is per server process: after a restart or SCRIPT FLUSH, EVALSHA answers NOSCRIPT and
// the call must be re-sent as EVAL (the script did not run), which is done here transparently.

import { MAX_SKU_BYTES, checkQuantity, normalizeOrder, normalizeSku, orderGroupInputProblem } from "@synclag/core";
import type {
  ApplyResult,
  AuditRecord,
  Clock,
  OrderGroupInput,
  OrderGroupSettlement,
  OrderInput,
  OutboxEntry,
  PendingCancellation,
  Problem,
  Sku,
  StockChangeResult,
  StockLevel,
  StockMutationInput,
  StockStore,
} from "@synclag/core";
import { createClient } from "redis";
import { CallTimeoutError, RedisStockStoreError, isNoScript, sendWithin, toStoreError } from "./errors.js";
import type { CallKind } from "./errors.js";
import { stockKeys } from "./keys.js";
import type { StockKeys } from "./keys.js";
import { APPLY_SCRIPT, MAX_COUNTER, READ_LEVELS_SCRIPT, SETTLE_GROUP_SCRIPT } from "./lua.js";
import type { LuaScript } from "./lua.js";
import { asText, auditSeqOfId, decodeApplyReply, decodeAuditEntry, decodeLevels, decodeOutboxEntry, decodePendingCancellation, decodeSettleGroupReply, decodeStreamEntry, encodeApply } from "./script-protocol.js";
import type { ApplyOp } from "./script-protocol.js";

/**
 * The one thing the store needs from a Redis client: a raw command. A node-redis client (RESP2 or RESP3)
 * fits as is; replies are read as plain strings and arrays, so RESP3 maps never reach the store.
 */
export interface RedisCommandClient {
  sendCommand(args: readonly string[]): Promise<unknown>;
}

export interface RedisStockStoreOptions {
  /** A connected client. The store never closes it (use `RedisStockStore.connect` for an owned one). */
  readonly client: RedisCommandClient;
  /** Time written into audit and outbox records (ms since the epoch). Default: the system clock. */
  readonly clock?: Clock;
  /** Prefix of every key; must not contain "{", "}" or control characters (see `checkKeyspace`). Default "synclag:". */
  readonly keyPrefix?: string;
  /** Hash tag carried by every key — one store is one Redis Cluster slot. Default "stock". */
  readonly partition?: string;
  /**
   * Which partition a SKU belongs to. Default: all SKUs belong to `partition`. An order or mutation that
   * touches a SKU of another partition is `invalid` before anything is written — never split across slots.
   */
  readonly skuPartition?: (sku: Sku) => string;
  /**
   * How long an order id is remembered, in ms. Must exceed the feed's redelivery horizon (ack wait ×
   * max deliveries + backoff + any dead-letter replay window). Default 7 days.
   */
  readonly idempotencyTtlMs?: number;
  /** Orders per script call in `applyOrders`, 1..1000. Default 100. */
  readonly batchSize?: number;
  /**
   * Longest wait for one Redis reply (and, in `connect`, for the connection) in ms, up to
   * `MAX_CALL_TIMEOUT_MS`; after it the call fails as `outcome_unknown`. Default 10 000.
   */
  readonly callTimeoutMs?: number;
}

export interface RedisStockStoreConnectOptions extends Omit<RedisStockStoreOptions, "client"> {
  /** `redis://host:port` of the server; the store creates, owns and (on `close`) closes its client. */
  readonly url: string;
  /** Connection errors of the owned client (it reconnects by itself). Default: ignored — calls report them. */
  readonly onClientError?: (error: unknown) => void;
}

export const DEFAULT_KEY_PREFIX = "synclag:";
export const DEFAULT_PARTITION = "stock";
export const DEFAULT_IDEMPOTENCY_TTL_MS = 7 * 24 * 60 * 60 * 1000;
export const DEFAULT_BATCH_SIZE = 100;
export const MAX_BATCH_SIZE = 1000;
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;
/** Longest `callTimeoutMs`: a Node timer set for longer fires at once (after 1 ms), failing every call. */
export const MAX_CALL_TIMEOUT_MS = 2 ** 31 - 1;
/** Keys per read-script call and entries per XRANGE page: keeps every single reply bounded. */
const READ_CHUNK = 1000;
/** A string with a lone surrogate has no UTF-8 form: Redis would store U+FFFD and merge distinct ids. */
const LONE_SURROGATE = /\p{Cs}/u;
const ILL_FORMED = "must be well-formed Unicode (it contains a lone surrogate)";
const systemClock: Clock = { now: () => Date.now() };

/** The value of a one-parameter CONFIG GET reply: `[name, value]` (RESP2) or `{ name: value }` (RESP3). */
function configValue(reply: unknown): string | undefined {
  const value = Array.isArray(reply) ? reply[1] : reply instanceof Map ? [...reply.values()][0] : typeof reply === "object" && reply !== null ? Object.values(reply)[0] : undefined;
  return typeof value === "string" ? value : undefined;
}

type Checked<T> = { readonly ok: true; readonly op: ApplyOp } | { readonly ok: false; readonly result: T };

interface ResolvedOptions {
  readonly keys: StockKeys;
  readonly clock: Clock;
  readonly skuPartition: ((sku: Sku) => string) | undefined;
  readonly idempotencyTtlMs: number;
  readonly batchSize: number;
  readonly callTimeoutMs: number;
}

/**
 * Checks every option (and fills in the defaults); throws a TypeError or RangeError for the first bad
 * one. `connect` runs it before it creates a client, so a bad option never leaves a connection open
 * (which kept the process alive) and is never reported as a retryable "cannot connect".
 */
function resolveOptions(options: Omit<RedisStockStoreOptions, "client">): ResolvedOptions {
  const keys = stockKeys({ keyPrefix: options.keyPrefix ?? DEFAULT_KEY_PREFIX, partition: options.partition ?? DEFAULT_PARTITION });
  const clock = options.clock ?? systemClock;
  if (typeof clock !== "object" || clock === null || typeof clock.now !== "function") throw new TypeError("clock must be an object with a now() method");
  const skuPartition = options.skuPartition;
  if (skuPartition !== undefined && typeof skuPartition !== "function") throw new TypeError(`skuPartition must be a function, got ${typeof skuPartition}`);
  const idempotencyTtlMs = options.idempotencyTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS;
  if (!Number.isSafeInteger(idempotencyTtlMs) || idempotencyTtlMs < 1 || idempotencyTtlMs > MAX_COUNTER) {
    throw new RangeError(`idempotencyTtlMs must be an integer number of ms in 1..${MAX_COUNTER}, got ${idempotencyTtlMs}`);
  }
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
    throw new RangeError(`batchSize must be an integer in 1..${MAX_BATCH_SIZE}, got ${batchSize}`);
  }
  const callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  if (typeof callTimeoutMs !== "number" || !(callTimeoutMs > 0) || callTimeoutMs > MAX_CALL_TIMEOUT_MS) {
    throw new RangeError(`callTimeoutMs must be a number of ms in (0, ${MAX_CALL_TIMEOUT_MS}], got ${callTimeoutMs}`);
  }
  return { keys, clock, skuPartition, idempotencyTtlMs, batchSize, callTimeoutMs };
}

/** A read's limit: NaN or ≤ 0 → 0, fractional → floor, Infinity → no limit (as the core's StockModel reads). */
function readLimit(limit: number): number {
  return typeof limit === "number" && limit > 0 ? Math.floor(limit) : 0;
}

/** A read's afterSeq: missing, NaN or ≤ 0 → 0 (from the start), fractional → floor (as the core's StockModel reads). */
function readAfterSeq(afterSeq: number | undefined): number {
  return typeof afterSeq === "number" && afterSeq > 0 ? Math.floor(afterSeq) : 0;
}

export class RedisStockStore implements StockStore {
  readonly keys: StockKeys;
  readonly idempotencyTtlMs: number;
  readonly batchSize: number;
  private readonly client: RedisCommandClient;
  private readonly clock: Clock;
  private readonly skuPartition: ((sku: Sku) => string) | undefined;
  private readonly callTimeoutMs: number;
  private owned: { close(): Promise<unknown> } | undefined;
  private noScriptReplies = 0;

  /** Creates and connects an owned client, loads the scripts by SHA, and returns the store. */
  static async connect(options: RedisStockStoreConnectOptions): Promise<RedisStockStore> {
    const { url, onClientError, ...rest } = options;
    // Every option is checked before a client exists: nothing to close when one is bad.
    const timeoutMs = resolveOptions(rest).callTimeoutMs;
    if (typeof url !== "string") throw new TypeError(`url must be a string, got ${typeof url}`);
    if (onClientError !== undefined && typeof onClientError !== "function") throw new TypeError(`onClientError must be a function, got ${typeof onClientError}`);
    // No offline queue: while reconnecting, calls fail at once as `unavailable` instead of waiting.
    const client = createClient({ url, disableOfflineQueue: true, socket: { connectTimeout: timeoutMs } });
    // Without an 'error' listener a lost connection would crash the process; calls report it instead.
    // The last connection error names the cause when connecting times out (refused, host not found…).
    let lastConnectError: unknown;
    client.on("error", (error: unknown) => {
      lastConnectError = error;
      onClientError?.(error);
    });
    let timer: NodeJS.Timeout | undefined;
    const connecting = client.connect();
    connecting.catch(() => {}); // if the timeout wins, the late rejection must not go unhandled
    try {
      await Promise.race([
        connecting,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new CallTimeoutError(timeoutMs, { lastError: lastConnectError })), timeoutMs);
        }),
      ]);
    } catch (error) {
      client.destroy();
      throw new RedisStockStoreError("unavailable", `cannot connect to ${url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1[redacted]@")}: ${error instanceof Error ? error.message : String(error)}`, { cause: error, retryable: true });
    } finally {
      clearTimeout(timer);
    }
    // Connected: from here on any failure must destroy the client, or its socket keeps the process alive.
    // Destroy, not close: a graceful close waits for the replies of calls that timed out — maybe forever.
    try {
      const store = new RedisStockStore({ ...rest, client });
      store.owned = client;
      await store.loadScripts();
      return store;
    } catch (error) {
      client.destroy();
      throw error;
    }
  }

  constructor(options: RedisStockStoreOptions) {
    const resolved = resolveOptions(options);
    this.client = options.client;
    this.clock = resolved.clock;
    this.keys = resolved.keys;
    this.skuPartition = resolved.skuPartition;
    this.idempotencyTtlMs = resolved.idempotencyTtlMs;
    this.batchSize = resolved.batchSize;
    this.callTimeoutMs = resolved.callTimeoutMs;
  }

  /** How often the server answered NOSCRIPT and the call was re-sent as EVAL (restart, SCRIPT FLUSH). */
  get scriptReloads(): number {
    return this.noScriptReplies;
  }

  /**
   * Loads the scripts into the server's script cache (SCRIPT LOAD) and checks their SHA1s, and refuses a
   * server that may evict keys (`maxmemory-policy` other than noeviction): eviction would drop
   * idempotency records (they carry a TTL, so volatile-* policies pick them first) and so apply a
   * redelivered order twice. The policy check is skipped when CONFIG is not permitted.
   */
  async loadScripts(): Promise<void> {
    const policy = await this.send(["CONFIG", "GET", "maxmemory-policy"]).then(configValue, () => undefined);
    if (policy !== undefined && policy !== "noeviction") {
      throw new RedisStockStoreError(
        "rejected",
        `Redis runs with maxmemory-policy ${policy}: it may evict idempotency records or stock; the store needs noeviction`,
        { retryable: false },
      );
    }
    for (const script of [APPLY_SCRIPT, READ_LEVELS_SCRIPT, SETTLE_GROUP_SCRIPT]) {
      let sha: unknown;
      try {
        sha = await this.send(["SCRIPT", "LOAD", script.source]);
      } catch (error) {
        throw toStoreError(error, { kind: "read" });
      }
      if (asText(sha, "SCRIPT LOAD reply") !== script.sha) {
        throw new RedisStockStoreError("rejected", `SCRIPT LOAD of ${script.name} returned ${String(sha)}, expected ${script.sha}`, { retryable: false });
      }
    }
  }

  /** Closes the client if the store created it (`connect`); a client passed in is left open. */
  async close(): Promise<void> {
    const owned = this.owned;
    this.owned = undefined;
    if (owned) await owned.close();
  }

  // ---------------------------------------------------------------------------------------------
  // Writes
  // ---------------------------------------------------------------------------------------------

  async applyOrder(order: OrderInput): Promise<ApplyResult> {
    const [result] = await this.applyOrders([order]);
    if (!result) throw new RedisStockStoreError("corrupt_state", "no result for the order", { retryable: false });
    return result;
  }

  /**
   * Applies the orders in input order, `batchSize` per script call, each with `applyOrder`'s semantics
   * (a repeated id later in the list is a `duplicate`). If a call fails, the orders of earlier calls stay
   * applied: retry the whole list with the same ids — those return their stored results (as
   * `duplicate`); their first results are on the error's `partialResults`.
   */
  async applyOrders(orders: readonly OrderInput[]): Promise<ApplyResult[]> {
    const results = new Array<ApplyResult | undefined>(orders.length);
    const pending: { index: number; op: ApplyOp }[] = [];
    orders.forEach((input, index) => {
      const checked = this.checkOrder(input);
      if (checked.ok) pending.push({ index, op: checked.op });
      else results[index] = checked.result;
    });
    for (let start = 0; start < pending.length; start += this.batchSize) {
      const chunk = pending.slice(start, start + this.batchSize);
      let decoded: (ApplyResult | StockChangeResult)[];
      try {
        decoded = await this.apply(chunk.map((entry) => entry.op), "order");
      } catch (error) {
        if (start > 0 && error instanceof RedisStockStoreError) {
          throw new RedisStockStoreError(error.reason, `${error.message} (the ${start} orders before it were applied)`, {
            cause: error,
            retryable: error.retryable,
            partialResults: [...results],
          });
        }
        throw error;
      }
      chunk.forEach((entry, i) => (results[entry.index] = decoded[i] as ApplyResult));
    }
    return results as ApplyResult[];
  }

  restock(input: StockMutationInput): Promise<StockChangeResult> {
    return this.mutate(input, "restock");
  }

  setQuantity(input: StockMutationInput): Promise<StockChangeResult> {
    return this.mutate(input, "set");
  }

  private async mutate(input: StockMutationInput, kind: "restock" | "set"): Promise<StockChangeResult> {
    const checked = this.checkMutation(input, kind);
    if (!checked.ok) return checked.result;
    const [result] = await this.apply([checked.op], "mutation");
    return result as StockChangeResult;
  }

  private async apply(ops: readonly ApplyOp[], kind: CallKind): Promise<(ApplyResult | StockChangeResult)[]> {
    const atMs = this.clock.now();
    if (!Number.isFinite(atMs)) throw new TypeError(`clock.now() returned ${atMs}`);
    const call = encodeApply(this.keys, ops, atMs, this.idempotencyTtlMs);
    const reply = await this.evalScript(APPLY_SCRIPT, call.keys, call.args, kind);
    return decodeApplyReply(reply, ops);
  }

  // ---------------------------------------------------------------------------------------------
  // Validation (the core's rules, plus what only a Redis key space needs)
  // ---------------------------------------------------------------------------------------------

  private checkOrder(input: OrderInput): Checked<ApplyResult> {
    const normalized = normalizeOrder(input);
    const invalid = (problems: readonly Problem[]): Checked<ApplyResult> => ({
      ok: false,
      result: typeof input.orderId === "string" ? { kind: "invalid", orderId: input.orderId, problems } : { kind: "invalid", problems },
    });
    if (!normalized.ok) return invalid(normalized.problems);
    const { order } = normalized;
    const problems: Problem[] = [];
    if (LONE_SURROGATE.test(order.orderId)) problems.push({ path: "orderId", message: ILL_FORMED });
    if (LONE_SURROGATE.test(order.sourceChannel)) problems.push({ path: "sourceChannel", message: ILL_FORMED });
    order.lines.forEach((line, index) => {
      const problem = this.skuProblem(line.sku);
      if (problem) problems.push({ path: `lines.${index}.sku`, message: problem });
    });
    if (problems.length > 0) return invalid(problems);
    return { ok: true, op: { kind: "order", order } };
  }

  private checkMutation(input: StockMutationInput, kind: "restock" | "set"): Checked<StockChangeResult> {
    const problems: Problem[] = [];
    const normalized = normalizeSku(input.sku);
    if ("problem" in normalized) problems.push({ path: "sku", message: normalized.problem });
    const quantityProblem = checkQuantity(input.quantity, kind === "set");
    if (quantityProblem) problems.push({ path: "quantity", message: quantityProblem });
    if (problems.length === 0 && "sku" in normalized) {
      const skuProblem = this.skuProblem(normalized.sku);
      if (skuProblem) problems.push({ path: "sku", message: skuProblem });
    }
    // Reported with the other problems (every problem at once), as the core's StockModel does.
    if (input.reason !== undefined && (typeof input.reason !== "string" || LONE_SURROGATE.test(input.reason))) {
      problems.push({ path: "reason", message: typeof input.reason === "string" ? ILL_FORMED : "must be a string" });
    }
    if (problems.length > 0 || !("sku" in normalized)) return { ok: false, result: { kind: "invalid", problems } };
    return {
      ok: true,
      op: { kind, sku: normalized.sku, quantity: input.quantity, ...(input.reason === undefined ? {} : { reason: input.reason }) },
    };
  }

  private skuProblem(sku: Sku): string | undefined {
    if (LONE_SURROGATE.test(sku)) return ILL_FORMED;
    if (this.skuPartition === undefined) return undefined;
    const partition = this.skuPartition(sku);
    if (partition === this.keys.partition) return undefined;
    return `belongs to partition ${JSON.stringify(partition)} but this store serves ${JSON.stringify(this.keys.partition)}: an order must stay in one partition (one Redis Cluster hash slot), so it is rejected before anything is written`;
  }

  // ---------------------------------------------------------------------------------------------
  // Reads
  // ---------------------------------------------------------------------------------------------

  async snapshot(skus?: readonly Sku[]): Promise<Map<Sku, StockLevel>> {
    const names = skus === undefined ? (await this.allSkus()).sort() : [...skus];
    const lookups = names.map((name) => (typeof name === "string" && !LONE_SURROGATE.test(name) ? name.normalize("NFC") : undefined));
    // A SKU longer than MAX_SKU_BYTES UTF-16 units has more bytes than that, so it cannot exist.
    const wanted = [...new Set(lookups.filter((sku): sku is string => sku !== undefined && sku.length > 0 && sku.length <= MAX_SKU_BYTES))];
    const levels = new Map<Sku, StockLevel>();
    for (let start = 0; start < wanted.length; start += READ_CHUNK) {
      const chunk = wanted.slice(start, start + READ_CHUNK);
      const keys = chunk.map((sku) => this.keys.sku(sku));
      const reply = await this.evalScript(READ_LEVELS_SCRIPT, keys, [], "read");
      decodeLevels(reply, chunk.length).forEach((level, i) => {
        if (level) levels.set(chunk[i] as string, level);
      });
    }
    const result = new Map<Sku, StockLevel>();
    names.forEach((name, i) => {
      const lookup = lookups[i];
      const level = lookup === undefined ? undefined : levels.get(lookup);
      if (level) result.set(name, level);
    });
    return result;
  }

  async readAudit(options?: { readonly afterSeq?: number; readonly limit?: number }): Promise<AuditRecord[]> {
    const limit = options?.limit === undefined ? Infinity : readLimit(options.limit);
    const after = readAfterSeq(options?.afterSeq);
    // No seq exceeds MAX_COUNTER; a larger afterSeq (1e21, Infinity) would not even form a stream id.
    if (after >= MAX_COUNTER) return [];
    let from = after + 1;
    const records: AuditRecord[] = [];
    while (records.length < limit) {
      const count = Math.min(READ_CHUNK, limit - records.length);
      const page = await this.xrange(this.keys.audit, `${from}-0`, count);
      for (const { id, fields } of page) records.push(decodeAuditEntry(id, fields));
      if (page.length < count) break;
      from = auditSeqOfId((page.at(-1) as { id: string }).id) + 1;
    }
    return records;
  }

  async readOutbox(limit: number): Promise<OutboxEntry[]> {
    const wanted = readLimit(limit);
    const entries: OutboxEntry[] = [];
    let from = "-";
    while (entries.length < wanted) {
      const count = Math.min(READ_CHUNK, wanted - entries.length);
      const page = await this.xrange(this.keys.outbox, from, count);
      for (const { id, fields } of page) entries.push(decodeOutboxEntry(id, fields));
      if (page.length < count) break;
      from = `(${(page.at(-1) as { id: string }).id}`;
    }
    return entries;
  }

  /** Removes acknowledged outbox entries. Ids that are not stream ids (or unknown) are ignored. */
  async ackOutbox(ids: readonly string[]): Promise<void> {
    const valid = ids.filter((id) => typeof id === "string" && /^\d{1,20}-\d{1,20}$/u.test(id));
    for (let start = 0; start < valid.length; start += READ_CHUNK) {
      try {
        await this.send(["XDEL", this.keys.outbox, ...valid.slice(start, start + READ_CHUNK)]);
      } catch (error) {
        // XDEL of an already deleted id is a no-op: like an order, an unknown outcome is safe to retry.
        throw toStoreError(error, { kind: "order", keys: [this.keys.outbox] });
      }
    }
  }

  /** Pending cancellations (oldest first) from the sorted set APPLY writes them to, paged by seq. */
  async readPendingCancellations(options: { readonly afterSeq?: number; readonly limit: number }): Promise<PendingCancellation[]> {
    const wanted = readLimit(options.limit);
    const entries: PendingCancellation[] = [];
    let after = readAfterSeq(options.afterSeq);
    if (after >= MAX_COUNTER) return []; // no seq exceeds MAX_COUNTER
    while (entries.length < wanted) {
      const count = Math.min(READ_CHUNK, wanted - entries.length);
      let reply: unknown;
      try {
        reply = await this.send(["ZRANGE", this.keys.cancellations, `(${after}`, "+inf", "BYSCORE", "LIMIT", "0", String(count)]);
      } catch (error) {
        throw toStoreError(error, { kind: "read", keys: [this.keys.cancellations] });
      }
      if (!Array.isArray(reply)) throw new RedisStockStoreError("corrupt_state", `ZRANGE ${this.keys.cancellations} reply is not a list`, { retryable: false });
      const page = reply.map((member) => decodePendingCancellation(member));
      entries.push(...page);
      const last = page.at(-1);
      if (page.length < count || !last) break;
      after = last.seq;
    }
    return entries;
  }

  /** Removes pending cancellations by seq (each its own ZREMRANGEBYSCORE: removing one twice is a no-op); resolves to how many it removed. */
  async removePendingCancellations(seqs: readonly number[]): Promise<number> {
    let removed = 0;
    for (const seq of new Set(seqs)) {
      if (!Number.isSafeInteger(seq) || seq < 1 || seq > MAX_COUNTER) continue;
      let reply: unknown;
      try {
        reply = await this.send(["ZREMRANGEBYSCORE", this.keys.cancellations, String(seq), String(seq)]);
      } catch (error) {
        // Like an order, an unknown outcome is safe to retry: removing an absent entry is a no-op.
        throw toStoreError(error, { kind: "order", keys: [this.keys.cancellations] });
      }
      if (typeof reply !== "number") throw new RedisStockStoreError("corrupt_state", `ZREMRANGEBYSCORE ${this.keys.cancellations} reply is not an integer`, { retryable: false });
      removed += reply;
    }
    return removed;
  }

  /**
   * See `StockStore.settleOrderGroup`: one SETTLE_GROUP script call. Safe to repeat after an unknown
   * outcome (a line is given back once, whatever the number of calls).
   */
  async settleOrderGroup(input: OrderGroupInput): Promise<OrderGroupSettlement> {
    const problem = orderGroupInputProblem(input);
    if (problem) throw new TypeError(`settleOrderGroup: ${problem}`);
    if (LONE_SURROGATE.test(input.group) || (input.line !== undefined && LONE_SURROGATE.test(input.line))) throw new TypeError(`settleOrderGroup: ${ILL_FORMED}`);
    const atMs = this.clock.now();
    if (!Number.isFinite(atMs)) throw new TypeError(`clock.now() returned ${atMs}`);
    const keys = [this.keys.seq, this.keys.audit, this.keys.outbox, this.keys.group(input.group)];
    const args = [String(atMs), String(this.idempotencyTtlMs), this.keys.keyspace, input.group, input.cancel === true ? "1" : "0", input.line ?? ""];
    // Like an order: an unknown outcome is safe to retry.
    const reply = await this.evalScript(SETTLE_GROUP_SCRIPT, keys, args, "order");
    return decodeSettleGroupReply(reply);
  }

  private async allSkus(): Promise<Sku[]> {
    const skus: Sku[] = [];
    let cursor = "0";
    // SSCAN visits every member present for the whole scan; a bounded page per call.
    for (let page = 0; page < 1_000_000; page++) {
      let reply: unknown;
      try {
        reply = await this.send(["SSCAN", this.keys.skus, cursor, "COUNT", String(READ_CHUNK)]);
      } catch (error) {
        throw toStoreError(error, { kind: "read", keys: [this.keys.skus] });
      }
      const [next, members] = Array.isArray(reply) ? reply : [];
      if (!Array.isArray(members)) throw new RedisStockStoreError("corrupt_state", "SSCAN reply is not [cursor, members]", { retryable: false });
      for (const member of members) skus.push(asText(member, "SKU"));
      cursor = asText(next, "SSCAN cursor");
      if (cursor === "0") return [...new Set(skus)];
    }
    throw new RedisStockStoreError("corrupt_state", "SSCAN did not finish", { retryable: false });
  }

  private async xrange(key: string, from: string, count: number): Promise<{ id: string; fields: Map<string, string> }[]> {
    let reply: unknown;
    try {
      reply = await this.send(["XRANGE", key, from, "+", "COUNT", String(count)]);
    } catch (error) {
      throw toStoreError(error, { kind: "read", keys: [key] });
    }
    if (!Array.isArray(reply)) throw new RedisStockStoreError("corrupt_state", `XRANGE ${key} reply is not a list`, { retryable: false });
    return reply.map((entry) => decodeStreamEntry(entry));
  }

  // ---------------------------------------------------------------------------------------------
  // Transport
  // ---------------------------------------------------------------------------------------------

  private async evalScript(script: LuaScript, keys: readonly string[], args: readonly string[], kind: CallKind): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.send(["EVALSHA", script.sha, ...tail]);
    } catch (error) {
      if (!isNoScript(error)) throw toStoreError(error, { kind, keys });
    }
    // NOSCRIPT: the server lost its script cache (restart, SCRIPT FLUSH, failover) and did not run the
    // call. EVAL runs it and caches the script again, so the next calls go back to EVALSHA.
    this.noScriptReplies += 1;
    try {
      return await this.send(["EVAL", script.source, ...tail]);
    } catch (error) {
      throw toStoreError(error, { kind, keys });
    }
  }

  /** One command with a bounded wait for its reply. */
  private send(args: string[]): Promise<unknown> {
    return sendWithin(this.client, args, this.callTimeoutMs);
  }
}

