// Domain types shared by every package. Quantities are integers in units; times are milliseconds
// since the Unix epoch on the Clock port (virtual in the simulator). Easy to get wrong: a `version`
// is per SKU and only ever grows — it is what lets a channel refuse to move back in time.

export type Sku = string;
export type ChannelId = string;
export type OrderId = string;

export interface OrderLine {
  readonly sku: Sku;
  readonly quantity: number;
}

/** An order as the engine receives it from the feed (already decoded and schema-checked). */
export interface OrderEvent {
  readonly orderId: OrderId;
  readonly sourceChannel: ChannelId;
  readonly lines: readonly OrderLine[];
  /** When the source channel confirmed the order: the start of every sync-lag measurement. */
  readonly confirmedAtMs: number;
}

/** Stock of one SKU as the store holds it. */
export interface StockLevel {
  readonly quantity: number;
  readonly version: number;
}

/** One SKU's change inside an atomic mutation: the delta and the level after it. */
export interface SkuChange {
  readonly sku: Sku;
  readonly delta: number;
  readonly quantity: number;
  readonly version: number;
  /**
   * The version before the change, when it is not `version - 1`: a bundle's version is the sum of its
   * components', so one order that changed two of them moves it by 2 (BundleStockStore sets it).
   */
  readonly previousVersion?: number;
}

export interface Shortage {
  readonly sku: Sku;
  readonly requested: number;
  readonly available: number;
}

export interface Problem {
  /** Dotted path into the input, e.g. `lines.2.quantity`; empty for the whole input. */
  readonly path: string;
  readonly message: string;
}

export type AuditKind = "order" | "insufficient" | "restock" | "set";

/** Append-only record of everything the store did; the simulator's conservation checker reads it. */
export interface AuditRecord {
  readonly seq: number;
  readonly atMs: number;
  readonly kind: AuditKind;
  readonly orderId?: OrderId;
  readonly sourceChannel?: ChannelId;
  readonly reason?: string;
  readonly changes: readonly SkuChange[];
  readonly shortages?: readonly Shortage[];
}

/** Push work written in the same atomic step as the stock change (the outbox). */
export interface OutboxEntry {
  readonly id: string;
  readonly atMs: number;
  readonly sourceChannel?: ChannelId;
  readonly changes: readonly SkuChange[];
}

/**
 * A cancellation the engine owes a source channel: an order it accepted that stock could not fill.
 * Written in the same atomic step as the `insufficient` outcome, removed once the channel confirmed
 * (or refused) the cancellation — so it survives a channel outage of any length and a crash.
 */
export interface PendingCancellation {
  /** The audit seq of the `insufficient` record: unique, increasing — the entry's id and order. */
  readonly seq: number;
  readonly orderId: OrderId;
  readonly sourceChannel: ChannelId;
  /** When the oversell was recorded (the store's clock), ms since the epoch. */
  readonly atMs: number;
  /**
   * The order's SKUs (normalised, sorted): what the engine pushes to the source channel again once the
   * cancellation is confirmed — a marketplace may put a cancelled order's units back on sale
   * (WooCommerce does). Absent on entries recorded before the field existed.
   */
  readonly skus?: readonly Sku[];
}

/** An applied order given back because its marketplace cancelled the whole order it was a line of. */
export interface ReleasedOrder {
  readonly orderId: OrderId;
  /** The audit seq of the `restock` record that gave its units back. */
  readonly auditSeq: number;
  /** One per SKU of the order: its units added back, the version bumped. */
  readonly changes: readonly SkuChange[];
}

/** What `StockStore.settleOrderGroup` did. */
export interface OrderGroupSettlement {
  /** Whether the group's marketplace order is cancelled (by this call or an earlier one). */
  readonly cancelled: boolean;
  /** Lines given back by this call — none when an earlier call (or another process) gave them back. */
  readonly released: readonly ReleasedOrder[];
}

export interface AppliedOutcome {
  readonly kind: "applied";
  readonly orderId: OrderId;
  readonly changes: readonly SkuChange[];
  readonly auditSeq: number;
}

export interface InsufficientOutcome {
  readonly kind: "insufficient";
  readonly orderId: OrderId;
  readonly shortages: readonly Shortage[];
  readonly auditSeq: number;
}

/**
 * Expected outcomes of `applyOrder` are values, never exceptions (TigerBeetle result codes).
 * `duplicate` carries the stored first outcome; nothing is written for it.
 */
export type ApplyResult =
  | AppliedOutcome
  | InsufficientOutcome
  | { readonly kind: "duplicate"; readonly orderId: OrderId; readonly original: AppliedOutcome | InsufficientOutcome }
  | { readonly kind: "conflict"; readonly orderId: OrderId; readonly message: string }
  | { readonly kind: "invalid"; readonly orderId?: OrderId; readonly problems: readonly Problem[] };

export type StockChangeResult =
  | { readonly kind: "changed"; readonly change: SkuChange; readonly auditSeq: number }
  | { readonly kind: "invalid"; readonly problems: readonly Problem[] };
