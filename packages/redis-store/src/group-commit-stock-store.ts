// Group commit for the engine's worker: `applyOrder` calls that overlap in time (the feed runs many
// handlers at once) are gathered and sent as ONE `applyOrders` script call, while each caller still gets
// its own result, or its own error — so the worker keeps acking, naking and dead-lettering per order.
// No added latency when idle: with no call in flight an order is sent at once; orders that arrive while
// a call is in flight wait for it to return and then go together (at most `maxOrdersPerCall`).
// Easy to get wrong: one bad order must not fail its neighbours. The APPLY script writes nothing when it
// raises, so when a gathered call is refused for a reason that is not "Redis is unavailable / the outcome
// is unknown", each order is re-sent on its own and only the culprit sees the error. An unavailable or
// unknown outcome is passed to every caller unchanged (their retries are safe: idempotent by order id).
// Only "nothing was written" makes the one-by-one re-send exact: a gathered call larger than the inner
// store's own batch size becomes several script calls, and when a later one failed the orders the earlier
// ones had applied came back from their re-send as `duplicate` instead of `applied` (found by review). So
// a gathered call is capped at the inner store's batch size (one script call: same throughput, since the
// inner store would have split it anyway), and results an inner store reports on its error
// (`partialResults`) are kept rather than asked for again.

import { ForwardingStockStore, type ApplyResult, type OrderInput, type StockStore } from "@synclag/core";
import { RedisStockStoreError } from "./errors.js";

export interface GroupCommitStockStoreOptions {
  /**
   * Orders per gathered call, 1..1000. Default 100. Capped at the inner store's `batchSize` when it has
   * one (RedisStockStore: orders per script call), so that a gathered call is one script call.
   */
  readonly maxOrdersPerCall?: number;
  /**
   * Gathered calls in flight at once. Default 2: while Redis runs one script, the next batch is encoded
   * and the last reply decoded (with 1, Redis idles during both; measured ~1.5× slower on 2 cores).
   */
  readonly maxInFlightCalls?: number;
}

export const DEFAULT_GROUP_COMMIT_ORDERS = 100;

interface Waiting {
  readonly order: OrderInput;
  readonly resolve: (result: ApplyResult) => void;
  readonly reject: (error: unknown) => void;
}

export interface GroupCommitStats {
  /** `applyOrders` calls sent to the inner store for gathered orders. */
  readonly calls: number;
  /** Orders sent through those calls. */
  readonly orders: number;
  /** Gathered calls refused as a whole and re-sent one order at a time to isolate the culprit. */
  readonly isolations: number;
}

/** Errors that say nothing about any single order: every caller gets them (and retries). */
function isWholeCallError(error: unknown): boolean {
  return error instanceof RedisStockStoreError && (error.reason === "unavailable" || error.reason === "outcome_unknown");
}

/** The orders per call the inner store sends as one unit (RedisStockStore's `batchSize`), through forwarding stores. */
function innerBatchSize(store: StockStore): number | undefined {
  for (let current: unknown = store, depth = 0; typeof current === "object" && current !== null && depth < 16; depth++) {
    const batchSize = (current as { batchSize?: unknown }).batchSize;
    if (typeof batchSize === "number" && Number.isSafeInteger(batchSize) && batchSize >= 1) return batchSize;
    if (!(current instanceof ForwardingStockStore)) return undefined;
    current = current.inner;
  }
  return undefined;
}

/** Results an inner store reported on its error for the orders it did settle (RedisStockStoreError.partialResults). */
function partialResultsOf(error: unknown, expected: number): readonly (ApplyResult | undefined)[] | undefined {
  const partial = error instanceof RedisStockStoreError ? error.partialResults : undefined;
  return partial !== undefined && partial.length === expected ? partial : undefined;
}

/** Every call other than applyOrder goes straight to `inner` (an explicit applyOrders batch is already one call). */
export class GroupCommitStockStore extends ForwardingStockStore {
  /** Orders per gathered call in effect: the option, capped at the inner store's batch size. */
  readonly maxOrdersPerCall: number;
  readonly maxInFlightCalls: number;
  private queue: Waiting[] = [];
  private inFlight = 0;
  private readonly counts = { calls: 0, orders: 0, isolations: 0 };

  constructor(inner: StockStore, options: GroupCommitStockStoreOptions = {}) {
    super(inner);
    const maxOrdersPerCall = options.maxOrdersPerCall ?? DEFAULT_GROUP_COMMIT_ORDERS;
    if (!Number.isSafeInteger(maxOrdersPerCall) || maxOrdersPerCall < 1 || maxOrdersPerCall > 1000) {
      throw new RangeError(`maxOrdersPerCall must be an integer in 1..1000, got ${maxOrdersPerCall}`);
    }
    this.maxOrdersPerCall = Math.min(maxOrdersPerCall, innerBatchSize(inner) ?? maxOrdersPerCall);
    this.maxInFlightCalls = options.maxInFlightCalls ?? 2;
    if (!Number.isSafeInteger(this.maxInFlightCalls) || this.maxInFlightCalls < 1 || this.maxInFlightCalls > 64) {
      throw new RangeError(`maxInFlightCalls must be an integer in 1..64, got ${this.maxInFlightCalls}`);
    }
  }

  stats(): GroupCommitStats {
    return { ...this.counts };
  }

  override applyOrder(order: OrderInput): Promise<ApplyResult> {
    return new Promise<ApplyResult>((resolve, reject) => {
      this.queue.push({ order, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlightCalls && this.queue.length > 0) {
      const batch = this.queue.length <= this.maxOrdersPerCall ? this.queue : this.queue.slice(0, this.maxOrdersPerCall);
      this.queue = batch === this.queue ? [] : this.queue.slice(batch.length);
      this.inFlight += 1;
      void this.send(batch).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  private async send(batch: readonly Waiting[]): Promise<void> {
    this.counts.calls += 1;
    this.counts.orders += batch.length;
    let results: ApplyResult[];
    try {
      results = await this.inner.applyOrders(batch.map((w) => w.order));
      if (results.length !== batch.length) throw new RedisStockStoreError("corrupt_state", `applyOrders returned ${results.length} results for ${batch.length} orders`, { retryable: false });
    } catch (error) {
      // Orders the inner store settled before the failure keep their results (re-sent, an applied order
      // would come back `duplicate`); only the rest share the failure.
      const partial = partialResultsOf(error, batch.length);
      const rest: Waiting[] = [];
      batch.forEach((waiting, index) => {
        const known = partial?.[index];
        if (known === undefined) rest.push(waiting);
        else waiting.resolve(known);
      });
      if (rest.length === 1 || isWholeCallError(error)) {
        for (const waiting of rest) waiting.reject(error);
        return;
      }
      // Refused (nothing of the rest written): find the culprit by sending each order on its own.
      this.counts.isolations += 1;
      // (A synchronous throw becomes that order's rejection: every caller is always settled.)
      await Promise.all(rest.map((waiting) => Promise.resolve().then(() => this.inner.applyOrder(waiting.order)).then(waiting.resolve, waiting.reject)));
      return;
    }
    batch.forEach((waiting, index) => waiting.resolve(results[index] as ApplyResult));
  }
}
