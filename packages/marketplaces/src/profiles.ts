// Default behaviour of each marketplace, from ../shared/marketplaces.md. D = documented by the
// vendor, O = observed in public threads, I = inference (a parameter, not a fact). Every number is a
// default a scenario can override; none is a constant in code.

import type { Distribution } from "@synclag/core";
import type { LimiterConfig } from "./rate-limiter.js";

export type MarketplaceKind = "amazon" | "shopify" | "woocommerce" | "flipkart" | "ebay";
export const MARKETPLACE_KINDS: readonly MarketplaceKind[] = ["amazon", "shopify", "woocommerce", "flipkart", "ebay"];

export interface OutageWindow {
  /** Offset from the scenario start, in ms. */
  readonly startMs: number;
  readonly durationMs: number;
}

export interface MarketplaceProfile {
  readonly kind: MarketplaceKind;
  /** Updates one call may carry (1 = no batch API). */
  readonly maxBatchSize: number;
  /** The marketplace's own limiter. */
  readonly rateLimit: LimiterConfig;
  /** What the engine budgets for update calls: the documented limit, as calls/s and burst. */
  readonly clientRateLimit: { readonly ratePerSecond: number; readonly burst: number };
  /**
   * Engine setting, like `clientRateLimit`: how long an update waits for others to fill a batch call
   * (ms; batch APIs only). Absent = 0, send at once.
   */
  readonly batchLingerMs?: number;
  /** Round trip of one seller-API call (the update is applied half-way). */
  readonly apiLatency: Distribution;
  /** Accepted → visible to buyers. */
  readonly visibilityDelay: Distribution;
  /** The client gives up waiting for a reply after this long, in ms. */
  readonly clientTimeoutMs: number;
  /** Listing revisions allowed per SKU per day (eBay: 250). */
  readonly revisionsPerListingPerDay?: number;
  readonly faults: {
    /** Share of calls answered 5xx without applying anything. */
    readonly serverErrorRate: number;
    /** Share of calls applied whose reply is lost (client times out). */
    readonly timeoutAfterApplyRate: number;
    /** Share of items rejected inside a 200 (INVALID / FAILURE / per-item 4xx). */
    readonly itemRejectRate: number;
    readonly outages: readonly OutageWindow[];
  };
  readonly notifications: {
    /** Confirmation → first delivery attempt. */
    readonly delay: Distribution;
    /** Share of orders delivered twice (at-least-once duplicates). */
    readonly duplicateRate: number;
    /** Share of delivery attempts that fail. */
    readonly attemptFailureRate: number;
    /** Retries after a failed attempt, backing off exponentially over `retrySpanMs` (Shopify 8 over 4 h; Woo 0). */
    readonly retries: number;
    readonly retrySpanMs: number;
    /** A failed delivery blocks later ones of the channel until it succeeds (Flipkart). */
    readonly headOfLineBlocking: boolean;
    /**
     * How long the marketplace waits for the receiver's reply to one delivery before counting it
     * failed, in ms (WooCommerce 60 s, D). Absent = the kind's default here; the mocks' sender
     * falls back to 10,000.
     */
    readonly deliveryTimeoutMs?: number;
  };
  /** Per-order cost of a cancellation as the marketplace's seller metrics see it (for reports). */
  readonly cancellationRateLimit: number;
}

const noFaults = { serverErrorRate: 0, timeoutAfterApplyRate: 0, itemRejectRate: 0, outages: [] } as const;

export const DEFAULT_PROFILES: Readonly<Record<MarketplaceKind, MarketplaceProfile>> = {
  amazon: {
    kind: "amazon",
    maxBatchSize: 1, // listings PATCH is per SKU (D); feeds are the bulk path
    rateLimit: { kind: "token-bucket", ratePerSecond: 5, burst: 5 }, // D
    clientRateLimit: { ratePerSecond: 5, burst: 5 },
    apiLatency: { kind: "lognormal", medianMs: 180, p99Ms: 900 }, // I
    visibilityDelay: { kind: "lognormal", medianMs: 20_000, p99Ms: 180_000 }, // "Accepted is not applied" (D); delay I
    clientTimeoutMs: 10_000,
    faults: noFaults,
    notifications: { delay: { kind: "lognormal", medianMs: 2_000, p99Ms: 30_000 }, duplicateRate: 0.01, attemptFailureRate: 0, retries: 3, retrySpanMs: 300_000, headOfLineBlocking: false, deliveryTimeoutMs: 10_000 }, // SQS, at-least-once (D/O); timeout I
    cancellationRateLimit: 0.025,
  },
  shopify: {
    kind: "shopify",
    maxBatchSize: 250, // inventorySetQuantities (D)
    rateLimit: { kind: "cost-points", maximumAvailable: 1000, restoreRatePerSecond: 100, costPerCall: 10, costPerItem: 0 }, // standard plan (D); cost I
    clientRateLimit: { ratePerSecond: 10, burst: 100 },
    batchLingerMs: 250, // engine setting (I)
    apiLatency: { kind: "lognormal", medianMs: 120, p99Ms: 600 },
    visibilityDelay: { kind: "constant", ms: 0 }, // synchronous (I)
    clientTimeoutMs: 10_000,
    faults: noFaults,
    notifications: { delay: { kind: "lognormal", medianMs: 1_000, p99Ms: 15_000 }, duplicateRate: 0.02, attemptFailureRate: 0.01, retries: 8, retrySpanMs: 4 * 3_600_000, headOfLineBlocking: false, deliveryTimeoutMs: 10_000 }, // D; timeout I
    cancellationRateLimit: 0.025,
  },
  woocommerce: {
    kind: "woocommerce",
    maxBatchSize: 100, // products/batch (D)
    rateLimit: { kind: "none" }, // no limit by default (I)
    clientRateLimit: { ratePerSecond: 20, burst: 20 }, // polite default for a shared WordPress host (I)
    batchLingerMs: 500, // engine setting (I)
    apiLatency: { kind: "lognormal", medianMs: 350, p99Ms: 2_000 },
    visibilityDelay: { kind: "constant", ms: 0 },
    clientTimeoutMs: 15_000,
    faults: noFaults,
    notifications: { delay: { kind: "lognormal", medianMs: 500, p99Ms: 5_000 }, duplicateRate: 0.005, attemptFailureRate: 0.005, retries: 0, retrySpanMs: 0, headOfLineBlocking: false, deliveryTimeoutMs: 60_000 }, // no retries, 60 s timeout (D)
    cancellationRateLimit: 0.025,
  },
  flipkart: {
    kind: "flipkart",
    maxBatchSize: 10, // (D)
    rateLimit: { kind: "token-bucket", ratePerSecond: 10, burst: 10 }, // unpublished (I)
    clientRateLimit: { ratePerSecond: 10, burst: 10 },
    batchLingerMs: 250, // engine setting (I)
    apiLatency: { kind: "lognormal", medianMs: 250, p99Ms: 1_200 },
    visibilityDelay: { kind: "lognormal", medianMs: 2_000, p99Ms: 20_000 }, // I
    clientTimeoutMs: 10_000,
    faults: noFaults,
    notifications: { delay: { kind: "lognormal", medianMs: 3_000, p99Ms: 30_000 }, duplicateRate: 0.01, attemptFailureRate: 0.005, retries: 5, retrySpanMs: 600_000, headOfLineBlocking: true, deliveryTimeoutMs: 10_000 }, // per-group ordering (D); timeout I
    cancellationRateLimit: 0.025,
  },
  ebay: {
    kind: "ebay",
    maxBatchSize: 25, // bulk_update_price_quantity (D)
    rateLimit: { kind: "token-bucket", ratePerSecond: 20, burst: 40 }, // daily quotas (D); per-second shape I
    clientRateLimit: { ratePerSecond: 20, burst: 40 },
    batchLingerMs: 1000, // engine setting (I)
    apiLatency: { kind: "lognormal", medianMs: 400, p99Ms: 2_000 },
    visibilityDelay: { kind: "lognormal", medianMs: 1_000, p99Ms: 10_000 }, // I
    clientTimeoutMs: 15_000,
    revisionsPerListingPerDay: 250, // D
    faults: noFaults,
    notifications: { delay: { kind: "lognormal", medianMs: 5_000, p99Ms: 60_000 }, duplicateRate: 0.02, attemptFailureRate: 0, retries: 3, retrySpanMs: 600_000, headOfLineBlocking: false, deliveryTimeoutMs: 10_000 }, // timeout I
    cancellationRateLimit: 0.025,
  },
};
