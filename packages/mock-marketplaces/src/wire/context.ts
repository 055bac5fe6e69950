// What a marketplace codec may ask of the mock that hosts it: the pure model, the catalogue of
// native ids, deterministic counters, and the few stateful services (tokens, orders, ground truth).
// Codecs stay free of I/O and of real time: `nowMs` is handed in by the shell, per request.
// Easy to get wrong: read `nowMs` from the context, never from a clock — both shells must be able to
// replay the same request table at the same instants and get byte-identical replies.

import type { ChannelId, Sku } from "@synclag/core";
import type { LimiterState, MarketplaceKind, MarketplaceModel } from "@synclag/marketplaces";
import type { MockCredentials } from "../credentials.js";
import type { WireReply, WireRequest } from "./wire.js";

export interface CatalogEntry {
  readonly sku: Sku;
  /** Stable 1-based number in seed order; native ids derive from it. */
  readonly n: number;
}

export interface MockOrder {
  readonly seq: number;
  /** The marketplace's own order id as it appears on the wire (string form). */
  readonly nativeId: string;
  readonly sku: Sku;
  readonly quantity: number;
  readonly createdAtMs: number;
  cancelled: boolean;
  cancelledAtMs?: number;
}

export type CheckoutOutcome = { readonly ok: true; readonly order: MockOrder; readonly shown: number } | { readonly ok: false; readonly shown: number };

export interface ThrottleStatus {
  readonly maximumAvailable: number;
  readonly currentlyAvailable: number;
  readonly restoreRate: number;
}

export interface FaultSettings {
  /** Answer 503 for this long from now (ms): sets the injected outage's end, so 0 ends it. */
  readonly outageMs?: number;
  /** Extra share of update calls answered 500 (0–1). */
  readonly serverErrorRate?: number;
  /** Extra latency on every reply (ms). */
  readonly latencyMs?: number;
  /** Refill rate multiplier of the rate limiter (0–1; 1 = documented rate). */
  readonly throttleFactor?: number;
  /** Share of applied update calls whose reply is lost: the client times out *after* the update applied. */
  readonly timeoutAfterApplyRate?: number;
}

export interface SeedListing {
  readonly sku: Sku;
  readonly quantity: number;
  readonly version?: number;
}

export interface MarketplaceContext {
  readonly kind: MarketplaceKind;
  readonly channel: ChannelId;
  readonly model: MarketplaceModel;
  readonly credentials: MockCredentials;
  /** The request's instant (ms since the epoch), from the shell. */
  readonly nowMs: number;
  /** Status code of a throttled Shopify GraphQL reply (both are seen in the wild). */
  readonly shopifyThrottleStatus: 200 | 429;

  entryBySku(sku: Sku): CatalogEntry | undefined;
  entryByNumber(n: number): CatalogEntry | undefined;
  /** Next value of a named deterministic counter (1, 2, …). */
  nextId(scope: string): number;
  /**
   * The stock version a push carries for `sku` (`X-Synclag-Version`), or the next one after the
   * listing's highest. `position`: the item's index in the body's array, for the header's by-position form.
   */
  versionFor(request: WireRequest, sku: Sku, position?: number): number;
  /** Limiter state seen on the last update call, restored to `nowMs` (for replies that do not touch the limiter). */
  throttleStatus(last?: LimiterState): ThrottleStatus;

  issueToken(): { readonly token: string; readonly expiresInSeconds: number };
  isTokenValid(token: string | undefined): boolean;

  checkout(sku: Sku, quantity: number): CheckoutOutcome;
  findOrder(nativeId: string): MockOrder | undefined;
  /**
   * Cancels an order once (a repeat answers "already-cancelled"). `restock`: the marketplace puts the
   * order's units back on sale when it cancels it (WooCommerce always; Shopify when `restock: true`).
   */
  cancelOrder(nativeId: string, options?: { readonly restock?: boolean }): "cancelled" | "already-cancelled" | "unknown";

  seed(listings: readonly SeedListing[]): number;
  reset(): void;
  injectFaults(faults: FaultSettings): FaultSettings;
  truth(sku: Sku): unknown;
  truthAll(includeTimeline: boolean): unknown;
  stats(): unknown;
  orders(): readonly MockOrder[];
  notificationPublicKey(keyId: string): string | undefined;
  /** The reply first given under an idempotency key (scoped by the codec, e.g. `shopify:<key>`) and the input it answered; undefined when none is kept. */
  idempotentReply(scopedKey: string): { readonly fingerprint: string; readonly reply: WireReply } | undefined;
  /** Keeps a reply under its idempotency key (24 h of the mock's clock, at most 10,000 keys; a reset forgets them). */
  rememberIdempotentReply(scopedKey: string, fingerprint: string, reply: WireReply): void;
  /** eBay: the ship-to-location and offer quantities last set for a SKU (seeded: the seed quantity, no offer cap); the listing shows their minimum. */
  ebayListingQuantities(sku: Sku): { readonly shipTo: number; readonly offer?: number | undefined } | undefined;
  setEbayListingQuantities(sku: Sku, quantities: { readonly shipTo: number; readonly offer?: number | undefined }): void;
}
