// The seams between the engine and the world. The engine is written against these only; the
// simulator plugs in virtual-time in-memory adapters, the real runner NATS, Redis and HTTP.
// Easy to get wrong: every port that takes time takes it from `Clock`/`Scheduler`, never from
// Date.now/setTimeout, or the simulator stops being deterministic.

import type {
  ApplyResult,
  AuditRecord,
  ChannelId,
  OrderEvent,
  OrderGroupSettlement,
  OrderId,
  OutboxEntry,
  PendingCancellation,
  Sku,
  StockChangeResult,
  StockLevel,
} from "./types.js";

// ---------------------------------------------------------------------------------------------
// Time and randomness
// ---------------------------------------------------------------------------------------------

export interface Clock {
  /** Milliseconds since the Unix epoch (virtual in the simulator). */
  now(): number;
}

export interface TimerHandle {
  readonly id: number;
}

export interface Scheduler {
  /** Runs `callback` after `delayMs` (≥ 0) on this scheduler's clock. */
  setTimer(delayMs: number, callback: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/** A stream of uniform numbers in [0, 1). The simulator hands each component its own named stream. */
export interface Random {
  next(): number;
}

// ---------------------------------------------------------------------------------------------
// Stock
// ---------------------------------------------------------------------------------------------

export interface OrderInput {
  readonly orderId: OrderId;
  readonly sourceChannel: ChannelId;
  readonly lines: readonly { readonly sku: Sku; readonly quantity: number }[];
  /**
   * The order's identity for idempotency, when a wrapper rewrote its lines (BundleStockStore sells a
   * bundle line as its components): `normalizeOrder(order as placed).order.fingerprint`. Stores compare
   * this instead of the text of `lines`, so the same id with other lines as placed is a conflict even
   * when both expand to the same components. Absent: the fingerprint of (sourceChannel, lines).
   */
  readonly fingerprint?: string;
}

export interface StockMutationInput {
  readonly sku: Sku;
  readonly quantity: number;
  readonly reason?: string;
}

/**
 * The source of truth for stock. `applyOrder` is all lines or none, never below zero, idempotent per
 * order id (same id + different lines = `conflict`), bumps each touched SKU's version, and appends
 * the audit record and the outbox entry in the same atomic step. An `insufficient` order records a
 * pending cancellation in that same step (once per order id: a redelivery records nothing).
 */
export interface StockStore {
  applyOrder(order: OrderInput): Promise<ApplyResult>;
  /** Many orders in one round trip; results in input order, each with `applyOrder`'s semantics. */
  applyOrders(orders: readonly OrderInput[]): Promise<ApplyResult[]>;
  /** Adds stock (quantity ≥ 1). Creates the SKU if it does not exist. */
  restock(input: StockMutationInput): Promise<StockChangeResult>;
  /** Sets the absolute quantity (≥ 0). Creates the SKU if it does not exist. */
  setQuantity(input: StockMutationInput): Promise<StockChangeResult>;
  /** Current levels; all SKUs when `skus` is omitted. Unknown SKUs are absent from the map. */
  snapshot(skus?: readonly Sku[]): Promise<Map<Sku, StockLevel>>;
  readAudit(options?: { readonly afterSeq?: number; readonly limit?: number }): Promise<AuditRecord[]>;
  /** Outbox entries not yet acknowledged, oldest first. */
  readOutbox(limit: number): Promise<OutboxEntry[]>;
  ackOutbox(ids: readonly string[]): Promise<void>;
  /** Pending cancellations with `seq` > `afterSeq` (default 0), oldest (lowest seq) first, at most `limit`. */
  readPendingCancellations(options: { readonly afterSeq?: number; readonly limit: number }): Promise<PendingCancellation[]>;
  /**
   * Removes pending cancellations by `seq`; unknown seqs are ignored, so a repeated call is harmless.
   * Resolves to how many entries this call removed (0 when another process removed them first).
   */
  removePendingCancellations(seqs: readonly number[]): Promise<number>;
  /**
   * Orders that are lines of one marketplace order, for marketplaces that notify each line item as an
   * order of its own but cancel only whole orders (eBay: `ebay:<orderId>:<lineItemId>`, group
   * `ebay:<orderId>`; see `orderGroupOf`). `line`: records that order id as a line of `group`; `cancel`:
   * records that the marketplace cancelled the group's order. Whenever the group is cancelled, every
   * line recorded for it whose order was applied is given back — its units added back (a `restock`
   * audit record naming the order, an outbox entry, each SKU's version bumped) — exactly once per line,
   * however often and in whatever order the two are called, by however many processes. Lines not
   * applied (insufficient) give nothing back. Optional: a store without it gives nothing back.
   * Throws a TypeError for a group or line that is not a non-empty, well-formed id of at most
   * MAX_ORDER_ID_BYTES bytes.
   */
  settleOrderGroup?(input: OrderGroupInput): Promise<OrderGroupSettlement>;
}

export interface OrderGroupInput {
  /** The marketplace order the lines belong to (`orderGroupOf`). */
  readonly group: string;
  /** An order id to record as a line of the group (after it was applied). */
  readonly line?: OrderId;
  /** The marketplace confirmed the cancellation of the group's whole order. */
  readonly cancel?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Order feed
// ---------------------------------------------------------------------------------------------

export type Disposition =
  | { readonly kind: "ack" }
  | { readonly kind: "retry"; readonly delayMs: number; readonly reason: string }
  | { readonly kind: "dead-letter"; readonly reason: string };

export interface DeliveryInfo {
  /** 1 on first delivery. */
  readonly deliveryCount: number;
  /** Tells the feed the handler is still working (extends the ack deadline). */
  working(): void;
}

export type OrderHandler = (event: OrderEvent, delivery: DeliveryInfo) => Promise<Disposition>;

export interface FeedSubscription {
  /** Stops pulling, lets in-flight handlers finish and settle, then resolves. */
  stop(): Promise<void>;
}

/**
 * At-least-once delivery of order events. Adapters decode and validate the wire bytes; events that
 * fail are dead-lettered with a reason by the adapter and never reach the handler.
 */
export interface OrderFeed {
  consume(handler: OrderHandler): FeedSubscription;
}

export interface OrderPublisher {
  publish(event: OrderEvent): Promise<{ readonly duplicate: boolean }>;
}

// ---------------------------------------------------------------------------------------------
// Channels
// ---------------------------------------------------------------------------------------------

export interface QuantityUpdate {
  readonly sku: Sku;
  /** Absolute quantity to list — never a delta. */
  readonly quantity: number;
  /** The stock version this quantity reflects; channels must never be moved back to an older one. */
  readonly version: number;
}

export type ChannelFailureReason =
  | "rate_limited" // throttled; retry after `retryAfterMs`
  | "unavailable" // 5xx, outage
  | "timeout" // no reply in time: the update may or may not have been applied
  | "transport" // connection refused/reset
  | "stale" // compare-and-set mismatch (Shopify)
  | "unauthorized" // 401/403/407/423: the whole call was refused (credentials, account) — says nothing about the item; not retryable
  | "rejected"; // 4xx / INVALID / per-item validation failure: not retryable

export type PushOutcome =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason: ChannelFailureReason;
      readonly message: string;
      readonly retryAfterMs?: number;
    };

export const RETRYABLE_REASONS: ReadonlySet<ChannelFailureReason> = new Set([
  "rate_limited",
  "unavailable",
  "timeout",
  "transport",
  "stale",
]);

export function isRetryable(outcome: PushOutcome): boolean {
  return !outcome.ok && RETRYABLE_REASONS.has(outcome.reason);
}

/** One sales channel's seller API, as the engine sees it. */
export interface ChannelClient {
  readonly channel: ChannelId;
  /** Most updates one call may carry (1 when the API has no batch form). */
  readonly maxBatchSize: number;
  /** Sets absolute quantities; one outcome per update, in order. A whole-call failure repeats per item. */
  setQuantities(updates: readonly QuantityUpdate[]): Promise<PushOutcome[]>;
  /** What the channel's API reports as listed (accepted) for each SKU; absent = unknown listing. */
  readQuantities(skus: readonly Sku[]): Promise<Map<Sku, number>>;
  /**
   * What `readQuantities` of `skus` listings costs in the budget update calls draw on, counted in update
   * calls (fractions allowed): Shopify bills its inventory reads from the cost bucket its updates use (a
   * 100-SKU read 102 points, an update call 10: 10.2). Absent or 0: reads have a budget of their own
   * (Amazon's, eBay's, WooCommerce's, Flipkart's) and the engine does not charge them to the updates'.
   */
  readBudgetCost?(skus: number): number;
  /** Cancels an order the channel accepted but stock could not fill. */
  cancelOrder(orderId: OrderId, reason: string): Promise<PushOutcome>;
}

// ---------------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------------

export type Labels = Readonly<Record<string, string>>;

/** Counters, histograms and gauges. Histogram and gauge names carry their unit (`push_latency_ms`). */
export interface Metrics {
  increment(name: string, labels?: Labels, by?: number): void;
  observe(name: string, value: number, labels?: Labels): void;
  /** Sets a level (last value wins): a queue's length, the age of its oldest entry. */
  gauge(name: string, value: number, labels?: Labels): void;
}

export const noopMetrics: Metrics = {
  increment() {},
  observe() {},
  gauge() {},
};
