// The result document: one versioned JSON shape that every renderer (terminal table, gate, HTML
// report) reads, produced identically by the simulator and by `synclag run`. Field by field in
// docs/simulation.md. Easy to get wrong: nothing here may depend on wall-clock time or machine speed,
// or same-seed runs stop being byte-identical.

import type { CostBreakdown } from "@synclag/workload";
import type { LatencySummary } from "@synclag/metrics";
import type { CheckResult } from "./checkers.js";
import type { TimelineSeries } from "./ground-truth.js";

/**
 * Bumped only when a field changes meaning or a field readers need disappears. New fields are added as
 * optional (e.g. `visibleEverywhereMs`), so older documents stay readable by the report and the gate,
 * and older readers (which ignore unknown fields) still read newer documents.
 */
export const RESULT_SCHEMA_VERSION = 1;

/**
 * Time (ms) the engine had updates for a channel but could not send them, by cause — the propagator's
 * `blocked_ms_total{channel, reason}` (packages/engine/src/propagator.ts, `BlockedReason`).
 */
export interface BlockedMs {
  /** Its own token bucket (the rate limit) was empty. */
  readonly rateLimit: number;
  /** Paused: circuit breaker after an outage, 5xx or timeouts, or a 429's Retry-After. */
  readonly paused: number;
  /** A batch call waiting to fill. */
  readonly linger: number;
  /** Updates held back by the per-listing daily revision budget. */
  readonly revisions: number;
  /** Every call slot in flight. */
  readonly slots: number;
}

const BLOCKED_REASONS = ["rateLimit", "paused", "linger", "revisions", "slots"] as const;

/** A channel's `BlockedMs` from the engine's counters (the simulator's metrics or a real run's). */
export function blockedMsOf(metrics: { counter(name: string, labels?: Readonly<Record<string, string>>): number }, channel: string): BlockedMs {
  const entries = BLOCKED_REASONS.map((reason) => [reason, Math.round(metrics.counter("blocked_ms_total", { channel, reason }))] as const);
  return Object.fromEntries(entries) as unknown as BlockedMs;
}

/** Listings left off the truth by lost notifications, and by how many units in all (the gaps summed). */
export interface DriftUnrepaired {
  readonly listings: number;
  readonly units: number;
}

export interface ChannelResult {
  readonly kind: string;
  readonly syncLagMs: LatencySummary;
  readonly acceptedLagMs: LatencySummary;
  /** Every call the engine made to this channel's API (updates, reads, cancellations). */
  readonly apiCalls: number;
  readonly updateCalls: number;
  readonly throttled: number;
  readonly serverErrors: number;
  readonly timeouts: number;
  readonly itemsRejected: number;
  /** Share of SKU-time this channel showed a quantity other than its policy quantity of the truth. */
  readonly staleExposure: number;
  /**
   * Checkouts this channel accepted (orders whose source it is). Optional: documents written before it
   * lack it, with `cancellationRate` and `cancellationRateLimit`; the three are written together.
   */
  readonly accepted?: number;
  /** This channel's accepted orders stock could not fill (cancelled): its share of `orders.oversold`. */
  readonly oversold: number;
  /**
   * oversold / accepted of this channel alone (0 when it took no orders), rounded to 6 digits like
   * `orders.cancellationRate`: what this marketplace's cancellation-rate metric sees.
   */
  readonly cancellationRate?: number;
  /** The cancellation rate this marketplace holds sellers to (its profile's `cancellationRateLimit`, 0.025). */
  readonly cancellationRateLimit?: number;
  readonly lostSales: number;
  readonly cancellations: number;
  /** How the rate limit bounded lag: time updates waited in the engine's queue, and its capacity. */
  readonly rateLimit: {
    readonly updatesPerSecondCapacity: number;
    readonly callsPerSecond: number;
    readonly maxBatchSize: number;
    readonly queueWaitMs: LatencySummary;
    readonly backlogPeak: number;
    /** Time the engine had work for this channel but could not send it, by cause. */
    readonly blockedMs: BlockedMs;
    /**
     * True when queueing behind the rate limit made up most of this channel's accepted lag (at p50 or
     * p99) — queue wait was most of the lag and the rate limit at least half of the blocked time.
     */
    readonly bound: boolean;
  };
  readonly driftRepaired: number;
  /** This channel's share of the strategy's `driftUnrepaired`. Absent in real runs and older documents. */
  readonly driftUnrepaired?: DriftUnrepaired;
  readonly pushesAbandoned: number;
  /**
   * Updates this channel accepted at an older version than its listing had from a request whose client
   * had given up on it (a timeout), its version current when it was sent: the network delivered it
   * after a newer version. (An update sent behind is the engine's regression, whenever it lands.) Not an engine
   * regression (the checker leaves them out); the engine re-pushes after them, and the convergence
   * checker still requires every listing on the latest version. Absent in real runs (the HTTP mocks
   * cannot tell when their client gave up) and in older documents.
   */
  readonly lateLandings?: number;
  /** HDR histograms (compressed base64) of this channel's lags. */
  readonly histograms: { readonly syncLagMs: string; readonly acceptedLagMs: string };
}

export interface StrategyResult {
  readonly strategy: string;
  readonly orderImport: string;
  readonly orders: {
    /** Buyers and agents that arrived at a storefront. */
    readonly attempted: number;
    /** Checkouts a channel accepted (it showed enough stock). */
    readonly accepted: number;
    /** Accepted orders the engine filled. */
    readonly fulfilled: number;
    /** Accepted orders stock could not fill: cancelled. */
    readonly oversold: number;
    /** Arrivals turned away by a channel showing too little while stock existed. */
    readonly lostSales: number;
    readonly lostSalesByAgents: number;
    /** Arrivals correctly turned away (no stock anywhere). */
    readonly soldOut: number;
    /** Accepted orders whose notification never reached the engine. */
    readonly unnotified: number;
    readonly duplicateDeliveries: number;
    /**
     * oversold / accepted over every channel together. A marketplace measures its own orders only:
     * its figure is `channels.<id>.cancellationRate`, which can be over the limit while this is not.
     */
    readonly cancellationRate: number;
    /**
     * Applied orders some other channel still did not show (a version ≥ the order's) when the run
     * ended, so they have no sample in `visibleEverywhereMs`. 0 when every channel converged.
     * Absent in documents written before the field existed.
     */
    readonly notVisibleEverywhere?: number;
  };
  /** One sample per (order, other channel) pair: "99 % of channel updates were visible within …". */
  readonly syncLagMs: LatencySummary;
  readonly acceptedLagMs: LatencySummary;
  /**
   * One sample per applied order: its confirmation → the moment the *last* channel that owed it shows
   * buyers a version ≥ the order's (the maximum of the order's sync lags over those channels) — "a sale
   * visible on every other channel". Orders never visible everywhere by the end of the run are not in
   * it (`orders.notVisibleEverywhere` counts them). Optional: absent in documents written before it
   * existed (schemaVersion stays 1, an additive field); readers show "not recorded" then.
   */
  readonly visibleEverywhereMs?: LatencySummary;
  readonly channels: Readonly<Record<string, ChannelResult>>;
  readonly cost: CostBreakdown;
  readonly polling?: {
    readonly intervalMs: number;
    readonly syncWindowsPerDay: number;
    readonly ordersPerWindow: { readonly mean: number; readonly peak: number };
  };
  readonly engine: {
    readonly pushes: number;
    readonly pushCalls: number;
    readonly retries: number;
    /**
     * Latest versions pushed again after a possible late landing (`late_landing_repushes_total`): an
     * update's outcome was unknown and a newer version went out within its landing window. Optional:
     * older documents lack it.
     */
    readonly lateLandingRepushes?: number;
    readonly throttled: number;
    readonly driftRepaired: number;
    readonly pushesAbandoned: number;
    readonly deadLetters: number;
    readonly storeErrors: number;
  };
  /**
   * Listings still off the truth at the end of a run without a reconciler (`engine.reconcileInterval: 0`)
   * because of sales the engine could not account for — orders it never heard of (`orders.unnotified`),
   * oversells against an update still on its way to buyers — the drift nothing repaired. Always
   * 0 with a reconciler, which must repair it (a listing left off then fails the convergence check).
   * Absent in real runs and in documents written before the field existed.
   */
  readonly driftUnrepaired?: DriftUnrepaired;
  readonly checks: readonly CheckResult[];
  readonly ok: boolean;
  readonly simulatedEvents: number;
  /** Virtual time covered, including the convergence phase. */
  readonly simulatedMs: number;
  /** HDR histograms (compressed base64) for merging and CDF charts; `visibleEverywhereMs` as the field above. */
  readonly histograms: { readonly syncLagMs: string; readonly acceptedLagMs: string; readonly visibleEverywhereMs?: string };
  readonly timeline: TimelineSeries;
  /** Arrivals per minute: accepted orders, oversells and lost sales (for the report's timeline). */
  readonly perMinute: { readonly accepted: number[]; readonly oversold: number[]; readonly lostSales: number[] };
}

export interface ResultDocument {
  readonly schemaVersion: typeof RESULT_SCHEMA_VERSION;
  readonly generator: { readonly name: "synclag"; readonly mode: "simulated" | "real" };
  readonly scenario: {
    readonly name: string;
    readonly description: string;
    readonly durationMs: number;
    readonly startAt: string;
    readonly skus: number;
    readonly ordersPerDay: number;
    readonly channels: ReadonlyArray<{ readonly id: string; readonly kind: string; readonly share: number }>;
    readonly cost: Record<string, number | string>;
    readonly curve: ReadonlyArray<{ readonly startMs: number; readonly durationMs: number; readonly multiplier: number; readonly label?: string }>;
  };
  readonly seed: number;
  readonly strategies: readonly StrategyResult[];
  readonly ok: boolean;
  readonly reproduce: string;
}

/**
 * Whether waiting in the engine's queue *behind the rate limit* made up most of a channel's accepted
 * lag. Two conditions:
 * - queue wait is more than half of the accepted lag, at the median or at p99. Both: queue wait is
 *   counted per update and lag per order, and a busy channel's orders pile up on the updates that
 *   waited longest, so p99 alone misses a saturated channel;
 * - the queue waited for the rate limit: the engine's own token bucket accounts for at least half of
 *   the time the channel had work it could not send. Queue wait alone also counts an outage's
 *   circuit-breaker pause, Retry-After pauses, batch linger and busy call slots, none of which a
 *   higher rate limit would shorten.
 */
export function rateLimitBound(queueWait: { percentile(p: number): number }, acceptedLag: { readonly count: number; percentile(p: number): number }, blockedMs: BlockedMs): boolean {
  if (acceptedLag.count === 0) return false;
  const blocked = blockedMs.rateLimit + blockedMs.paused + blockedMs.linger + blockedMs.revisions + blockedMs.slots;
  if (blocked <= 0 || blockedMs.rateLimit * 2 < blocked) return false;
  return queueWait.percentile(50) * 2 > acceptedLag.percentile(50) || queueWait.percentile(99) * 2 > acceptedLag.percentile(99);
}
