// @synclag/core — the pure core: domain types, ports, stock rules, channel policy, PRNG.
// Imports nothing that does I/O.

// --- Types ---
export type {
  AppliedOutcome,
  ApplyResult,
  AuditKind,
  AuditRecord,
  ChannelId,
  InsufficientOutcome,
  OrderEvent,
  OrderGroupSettlement,
  OrderId,
  OrderLine,
  OutboxEntry,
  PendingCancellation,
  Problem,
  ReleasedOrder,
  Shortage,
  Sku,
  SkuChange,
  StockChangeResult,
  StockLevel,
} from "./types.js";

// --- Ports ---
export type {
  ChannelClient,
  ChannelFailureReason,
  Clock,
  DeliveryInfo,
  Disposition,
  FeedSubscription,
  Labels,
  Metrics,
  OrderFeed,
  OrderGroupInput,
  OrderHandler,
  OrderInput,
  OrderPublisher,
  PushOutcome,
  QuantityUpdate,
  Random,
  Scheduler,
  StockMutationInput,
  StockStore,
  TimerHandle,
} from "./ports.js";
export { RETRYABLE_REASONS, isRetryable, noopMetrics } from "./ports.js";

// --- Stock rules ---
export { MAX_CHANNEL_ID_BYTES, MAX_LINES, MAX_ORDER_ID_BYTES, MAX_QUANTITY, MAX_SKU_BYTES } from "./limits.js";
export { checkQuantity, normalizeOrder, normalizeSku, orderGroupInputProblem, orderGroupOf } from "./order.js";
export type { NormalizedOrder } from "./order.js";
export { InMemoryStockStore, StockModel, releaseReason } from "./stock-model.js";
export type { StockModelOptions } from "./stock-model.js";
export {
  MAX_ORDER_EVENT_BYTES,
  decodeOrderEvent,
  encodeOrderEvent,
  formatProblems,
  orderEventSchema,
  validateOrderEvent,
} from "./order-event.js";
export type { DecodeResult } from "./order-event.js";

// --- Channel policy ---
export { bundleAvailability, listedQuantity } from "./policy.js";
export type { BundleComponent, ChannelPolicy } from "./policy.js";

// --- Time, randomness, errors ---
export { Prng, exponential, standardNormal } from "./prng.js";
export { compileSampler, constant, median, sample } from "./distribution.js";
export type { Distribution } from "./distribution.js";
export { formatDuration, parseDuration } from "./duration.js";
export { InvariantError, SynclagError, assert } from "./errors.js";
export { VirtualScheduler } from "./virtual-time.js";
export { ForwardingStockStore } from "./forwarding-stock-store.js";
export { BundleStockStore, checkBundles } from "./bundles.js";
export type { BundleDefinition } from "./bundles.js";
export { TimedHeap } from "./min-heap.js";
export type { Timed } from "./min-heap.js";
