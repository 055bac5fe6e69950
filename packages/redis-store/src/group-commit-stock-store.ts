// Group commit for the engine's worker: `applyOrder` calls that overlap in time (the feed runs many
// handlers at once) are gathered and sent as ONE `applyOrders` script call, while each caller still gets
// its own result, or its own error — so the worker keeps acking, naking and dead-lettering per order.
// No added latency when idle: with no call in flight an order is sent at once; orders that arrive while
// a call is in flight wait for it to return and then go together (at most `maxOrdersPerCall`).
// Easy to get wrong: one bad order must not fail its neighbours. The APPLY script writes nothing when it
// raises, so when a gathered call is refused for a reason that is not "Redis is unavailable / the outcome
// is unknown", each order is re-sent on its own and only the culprit sees the error. An unavailable or
// unknown outcome is passed to every caller unchanged (their retries are safe: idempotent by order id).

import { ForwardingStockStore, type ApplyResult, type OrderInput, type StockStore } from "@synclag/core";
import { RedisStockStoreError } from "./errors.js";

export interface GroupCommitStockStoreOptions {
  /** Orders per gathered call, 1..1000 (keep it ≤ the inner store's own batch size: one script call). Default 100. */
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

/** Every call other than applyOrder goes straight to `inner` (an explicit applyOrders batch is already one call). */
export class GroupCommitStockStore extends ForwardingStockStore {
  readonly maxOrdersPerCall: number;
  readonly maxInFlightCalls: number;
  private queue: Waiting[] = [];
  private inFlight = 0;
  private readonly counts = { calls: 0, orders: 0, isolations: 0 };

  constructor(inner: StockStore, options: GroupCommitStockStoreOptions = {}) {
    super(inner);
    this.maxOrdersPerCall = options.maxOrdersPerCall ?? DEFAULT_GROUP_COMMIT_ORDERS;
    if (!Number.isSafeInteger(this.maxOrdersPerCall) || this.maxOrdersPerCall < 1 || this.maxOrdersPerCall > 1000) {
      throw new RangeError(`maxOrdersPerCall must be an integer in 1..1000, got ${this.maxOrdersPerCall}`);
    }
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
      if (batch.length === 1 || isWholeCallError(error)) {
        for (const waiting of batch) waiting.reject(error);
        return;
      }
      // Refused as a whole (nothing written): find the culprit by sending each order on its own.
      this.counts.isolations += 1;
      // (A synchronous throw becomes that order's rejection: every caller is always settled.)
      await Promise.all(batch.map((waiting) => Promise.resolve().then(() => this.inner.applyOrder(waiting.order)).then(waiting.resolve, waiting.reject)));
      return;
    }
    batch.forEach((waiting, index) => waiting.resolve(results[index] as ApplyResult));
  }
}
