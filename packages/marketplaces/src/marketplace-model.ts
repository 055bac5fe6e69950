// The pure behaviour behind one sales channel: what its seller API does with an update (throttle,
// 5xx, per-item rejection, accept), when an accepted update becomes visible to buyers, and what
// buyers see and buy. The simulator drives it in virtual time; the HTTP mocks wrap the same model.
// Easy to get wrong: buyers read and buy the *visible* quantity, never the accepted one — that gap is
// where oversells and lost sales come from. Time is always passed in; randomness comes from a stream —
// the model's own for its API and visibility, the caller's per-order one for a notification's fate.

import { compileSampler, sample, TimedHeap, type ChannelId, type Random, type Sku } from "@synclag/core";
import { attemptOffsetMs } from "./notification-schedule.js";
import type { MarketplaceProfile } from "./profiles.js";
import { RateLimiter, type LimiterConfig, type LimiterDecision, type LimiterState } from "./rate-limiter.js";

export interface Listing {
  acceptedQuantity: number;
  acceptedVersion: number;
  visibleQuantity: number;
  visibleVersion: number;
  /** Highest version ever accepted (ground truth for "never moved back"). */
  maxAcceptedVersion: number;
  revisionsDay: number;
  revisionsToday: number;
  /** Visibility time of this listing's latest accepted update (updates of one SKU stay in order). */
  visibleNotBeforeMs: number;
  /** Accepted updates of this listing not yet visible (a checkout scans the queue only when there are some). */
  pendingUpdates: number;
}

export interface VisibilityChange {
  readonly channel: ChannelId;
  readonly sku: Sku;
  readonly quantity: number;
  readonly version: number;
  readonly atMs: number;
  /** The SKU's slot in `skuSlots` when the model was given that index (observers then skip a lookup). */
  readonly slot?: number | undefined;
}

export interface UpdateItem {
  readonly sku: Sku;
  readonly quantity: number;
  readonly version: number;
}

export type ItemResult = { readonly sku: Sku; readonly ok: true } | { readonly sku: Sku; readonly ok: false; readonly code: "INVALID" | "NOT_FOUND" | "REVISION_LIMIT" | "INVALID_QUANTITY"; readonly message: string };

export type UpdateReply =
  | { readonly kind: "applied"; readonly items: readonly ItemResult[]; readonly limiter: LimiterState; readonly replyLost: boolean }
  | { readonly kind: "throttled"; readonly retryAfterMs: number; readonly limiter: LimiterState; readonly cost: number }
  | { readonly kind: "unavailable"; readonly status: 500 | 503; readonly message: string }
  | { readonly kind: "too-large"; readonly limit: number; readonly received: number };

export type CheckoutResult =
  | { readonly ok: true; readonly orderId: string; readonly shown: number }
  | { readonly ok: false; readonly shown: number };

/** An accepted update waiting to turn visible; it is itself the `VisibilityChange` reported then. */
interface PendingVisibility extends VisibilityChange {
  readonly seq: number;
  readonly slot: number | undefined;
  /** Mutable: sales made before the update turns visible are taken off it (they are reserved). */
  quantity: number;
  readonly listing: Listing;
  /** Set when the listing was re-seeded after this update was accepted: it never turns visible. */
  superseded?: boolean;
}

export interface MarketplaceModelOptions {
  readonly channel: ChannelId;
  readonly profile: MarketplaceProfile;
  readonly random: Random;
  readonly startMs: number;
  /** Called whenever a buyer-visible quantity changes through an update (ground truth). */
  readonly onVisible?: (change: VisibilityChange) => void;
  /** Called when an update is accepted by the API. */
  readonly onAccepted?: (change: VisibilityChange) => void;
  /**
   * Extra seller APIs with a limiter of their own (Shopify's REST leaky bucket beside GraphQL's cost
   * points), chosen per call with `applyUpdates(…, { api })`. Absent: one limiter for every call.
   */
  readonly apiRateLimits?: Readonly<Record<string, LimiterConfig>>;
  /**
   * SKU → dense slot, shared by every model of one run (the simulator's 40 channels × 5,000 SKUs):
   * listings then live in an array, and the one small index stays in cache instead of 40 hash tables
   * missing it on every update. SKUs absent from it fall back to the model's own map.
   */
  readonly skuSlots?: ReadonlyMap<Sku, number>;
}

/** Per-call options of `applyUpdates`. */
export interface UpdateCallOptions {
  /** Which of `apiRateLimits` this call is charged to; absent or unknown = the profile's limiter. */
  readonly api?: string;
  /**
   * The request reaches the API after its client gave up on it (the simulator knows: a round trip longer
   * than twice the client timeout). An older version it sets is a *late landing* — the network delivered
   * a request the engine had abandoned — counted in `lateLandingRegressions` as well as `versionRegressions`,
   * unless the item was sent behind (`sentBehind`).
   */
  readonly clientGaveUp?: boolean;
  /**
   * Per item (by index): its version was already older, when the call was *sent*, than the listing had
   * accepted or than the sender had sent for that SKU before. Easy to get wrong: when a request arrives
   * says nothing about what it carries — an older version sent after a newer one is the sender's
   * regression whenever it lands, so it is never counted as a late landing, however slow its request.
   */
  readonly sentBehind?: readonly boolean[];
}

/** One order notification's delivery plan (`MarketplaceModel.planNotification`). */
export interface NotificationPlan {
  /** Planned first attempt, ms after the order's confirmation (head-of-line blocking may hold it back). */
  readonly firstOffsetMs: number;
  /** Attempts made: the failed ones and, when `delivered`, the last one, which reached the engine. */
  readonly attempts: number;
  /** False when every attempt failed: the notification is lost (the order stays unnotified). */
  readonly delivered: boolean;
  /** A duplicate delivery this long after the first delivery; undefined when there is none. */
  readonly duplicateDelayMs: number | undefined;
}

const DAY_MS = 86_400_000;

export class MarketplaceModel {
  readonly channel: ChannelId;
  readonly profile: MarketplaceProfile;
  private readonly listings = new Map<Sku, Listing>();
  private readonly slotted: Array<Listing | undefined> = [];
  private readonly skuSlots: ReadonlyMap<Sku, number> | undefined;
  private readonly limiter: RateLimiter;
  private readonly apiLimiters = new Map<string, RateLimiter>();
  private readonly pending = new TimedHeap<PendingVisibility>();
  private pendingSeq = 0;
  private orderSeq = 0;
  private readonly cancelled = new Set<string>();
  private forcedOutageUntilMs = 0;
  private extraServerErrorRate = 0;
  private extraLatencyMs = 0;
  /** The profile's distributions, compiled once (drawn per call and per accepted update). */
  private readonly drawLatencyMs: (random: Random) => number;
  private readonly drawVisibilityDelayMs: (random: Random) => number;
  /** Counters the reports read. */
  readonly stats = { updateCalls: 0, updatesAccepted: 0, itemsRejected: 0, throttled: 0, serverErrors: 0, repliesLost: 0, checkouts: 0, turnedAway: 0, cancellations: 0, reads: 0, versionRegressions: 0, lateLandingRegressions: 0 };

  constructor(private readonly options: MarketplaceModelOptions) {
    this.channel = options.channel;
    this.profile = options.profile;
    this.limiter = new RateLimiter(options.profile.rateLimit, options.startMs);
    this.skuSlots = options.skuSlots;
    this.drawLatencyMs = compileSampler(options.profile.apiLatency);
    this.drawVisibilityDelayMs = compileSampler(options.profile.visibilityDelay);
    for (const [api, config] of Object.entries(options.apiRateLimits ?? {})) this.apiLimiters.set(api, new RateLimiter(config, options.startMs));
  }

  /** Seeds (or re-seeds) a listing as both accepted and visible at version `version`. */
  seed(sku: Sku, quantity: number, version: number): void {
    const fresh: Listing = { acceptedQuantity: quantity, acceptedVersion: version, visibleQuantity: quantity, visibleVersion: version, maxAcceptedVersion: version, revisionsDay: 0, revisionsToday: 0, visibleNotBeforeMs: 0, pendingUpdates: 0 };
    // In place when it exists: updates still waiting to turn visible hold the listing object.
    const existing = this.listings.get(sku);
    if (existing) {
      // Updates accepted before the seed and still waiting must not turn visible over it (an older
      // quantity shown after the newer seed). Re-seeding is an admin call, rare: a walk is fine.
      if (existing.pendingUpdates > 0) for (const entry of this.pending.entries()) if (entry.listing === existing) entry.superseded = true;
      Object.assign(existing, fresh);
    } else {
      this.listings.set(sku, fresh);
      const slot = this.skuSlots?.get(sku);
      if (slot !== undefined) this.slotted[slot] = fresh;
    }
  }

  listing(sku: Sku): Readonly<Listing> | undefined {
    return this.find(sku);
  }

  /** The SKU's slot in `skuSlots` (undefined without one): a caller keeping per-SKU state of its own can index it by this. */
  slotOf(sku: Sku): number | undefined {
    return this.skuSlots?.get(sku);
  }

  /** `listing` by slot (`slotOf`): the simulator's per-item path skips a lookup. */
  listingAt(slot: number): Readonly<Listing> | undefined {
    return this.slotted[slot];
  }

  private find(sku: Sku): Listing | undefined {
    const slot = this.skuSlots?.get(sku);
    return slot === undefined ? this.listings.get(sku) : this.slotted[slot];
  }

  skus(): Sku[] {
    return [...this.listings.keys()];
  }

  /** Sampled round-trip latency of one API call (ms). */
  sampleLatencyMs(): number {
    return this.drawLatencyMs(this.options.random) + this.extraLatencyMs;
  }

  isDown(nowMs: number): boolean {
    if (nowMs < this.forcedOutageUntilMs) return true;
    for (const outage of this.profile.faults.outages) {
      const start = this.options.startMs + outage.startMs;
      if (nowMs >= start && nowMs < start + outage.durationMs) return true;
    }
    return false;
  }

  /** The seller API's handling of one update call at `nowMs`. */
  applyUpdates(nowMs: number, items: readonly UpdateItem[], options?: UpdateCallOptions): UpdateReply {
    this.revealDue(nowMs);
    this.stats.updateCalls += 1;
    const random = this.options.random;
    if (this.isDown(nowMs)) {
      this.stats.serverErrors += 1;
      return { kind: "unavailable", status: 503, message: `${this.channel} is unavailable (outage)` };
    }
    if (random.next() < this.profile.faults.serverErrorRate + this.extraServerErrorRate) {
      this.stats.serverErrors += 1;
      return { kind: "unavailable", status: 500, message: `${this.channel} internal error` };
    }
    if (items.length > this.profile.maxBatchSize) return { kind: "too-large", limit: this.profile.maxBatchSize, received: items.length };
    const limiter = (options?.api === undefined ? undefined : this.apiLimiters.get(options.api)) ?? this.limiter;
    const decision = limiter.tryAcquire(nowMs, items.length);
    if (!decision.admitted) {
      this.stats.throttled += 1;
      return { kind: "throttled", retryAfterMs: decision.retryAfterMs, limiter: decision.state, cost: decision.cost };
    }
    const late = options?.clientGaveUp === true;
    const behind = options?.sentBehind;
    const results: ItemResult[] = items.map((item, index) => this.applyItem(nowMs, item, late && behind?.[index] !== true));
    const replyLost = random.next() < this.profile.faults.timeoutAfterApplyRate;
    if (replyLost) this.stats.repliesLost += 1;
    return { kind: "applied", items: results, limiter: decision.state, replyLost };
  }

  /**
   * Charges a seller-API call that is not an update (a read, a cancellation) to the limiter an update
   * call with the same `options` draws on — without the update path's faults, draws or counters; a
   * refusal counts as throttled.
   */
  chargeCall(nowMs: number, cost: number, options?: UpdateCallOptions): LimiterDecision {
    const limiter = (options?.api === undefined ? undefined : this.apiLimiters.get(options.api)) ?? this.limiter;
    const decision = limiter.tryAcquireCost(nowMs, cost);
    if (!decision.admitted) this.stats.throttled += 1;
    return decision;
  }

  private applyItem(nowMs: number, item: UpdateItem, late: boolean): ItemResult {
    const slot = this.skuSlots?.get(item.sku);
    const listing = slot === undefined ? this.listings.get(item.sku) : this.slotted[slot];
    if (!listing) {
      this.stats.itemsRejected += 1;
      return { sku: item.sku, ok: false, code: "NOT_FOUND", message: `no listing for SKU ${JSON.stringify(item.sku)}` };
    }
    if (!Number.isInteger(item.quantity) || item.quantity < 0) {
      this.stats.itemsRejected += 1;
      return { sku: item.sku, ok: false, code: "INVALID_QUANTITY", message: `quantity must be a non-negative integer, got ${item.quantity}` };
    }
    const cap = this.profile.revisionsPerListingPerDay;
    if (cap !== undefined) {
      const day = Math.floor(nowMs / DAY_MS);
      if (listing.revisionsDay !== day) {
        listing.revisionsDay = day;
        listing.revisionsToday = 0;
      }
      if (listing.revisionsToday >= cap) {
        this.stats.itemsRejected += 1;
        return { sku: item.sku, ok: false, code: "REVISION_LIMIT", message: `listing revised ${cap} times today` };
      }
      listing.revisionsToday += 1;
    }
    if (this.profile.faults.itemRejectRate > 0 && this.options.random.next() < this.profile.faults.itemRejectRate) {
      this.stats.itemsRejected += 1;
      return { sku: item.sku, ok: false, code: "INVALID", message: "validation failed (injected)" };
    }
    // No version check (real marketplaces have none): an older version is accepted, and counted. Every
    // regression is in `versionRegressions`; those of a request its client had given up on, carrying a
    // version that was current when it was sent (`late`), also in `lateLandingRegressions` (the engine
    // cannot stop the network delivering it; it must repair it).
    if (item.version < listing.acceptedVersion) {
      this.stats.versionRegressions += 1;
      if (late) this.stats.lateLandingRegressions += 1;
    }
    listing.acceptedQuantity = item.quantity;
    listing.acceptedVersion = item.version;
    listing.maxAcceptedVersion = Math.max(listing.maxAcceptedVersion, item.version);
    this.stats.updatesAccepted += 1;
    // A listing's updates become visible in the order they were accepted (per SKU; different SKUs
    // are processed independently, so one slow update does not hold back the whole catalogue).
    // Whole milliseconds, like every other time here (reveals fire on whole ms; the timeline shows these).
    const atMs = Math.max(Math.ceil(nowMs + this.drawVisibilityDelayMs(this.options.random)), listing.visibleNotBeforeMs);
    listing.visibleNotBeforeMs = atMs;
    const update: PendingVisibility = { channel: this.channel, sku: item.sku, quantity: item.quantity, version: item.version, atMs: Math.max(atMs, nowMs), slot, seq: atMs <= nowMs ? 0 : ++this.pendingSeq, listing };
    if (atMs <= nowMs) this.makeVisible(update);
    else {
      listing.pendingUpdates += 1;
      this.pending.push(update);
    }
    // After the update is queued: a driver scheduling its reveal from here (`nextVisibilityAtMs`) must see
    // it, or an update due before the current head would only turn visible at the next reveal.
    this.options.onAccepted?.({ channel: this.channel, sku: item.sku, quantity: item.quantity, version: item.version, atMs: nowMs, slot });
    return { sku: item.sku, ok: true };
  }

  /** When the next accepted update becomes visible (for the driver to schedule `revealDue`). */
  get nextVisibilityAtMs(): number | undefined {
    return this.pending.peek()?.atMs;
  }

  /** Applies every accepted update whose visibility time has come. */
  revealDue(nowMs: number): void {
    for (let next = this.pending.peek(); next !== undefined && next.atMs <= nowMs; next = this.pending.peek()) {
      this.pending.pop();
      if (next.superseded) continue; // its listing was re-seeded (and its count reset) since
      next.listing.pendingUpdates -= 1;
      this.makeVisible(next);
    }
  }

  private makeVisible(update: PendingVisibility): void {
    const listing = update.listing;
    listing.visibleQuantity = update.quantity;
    listing.visibleVersion = update.version;
    this.options.onVisible?.(update);
  }

  /** What a buyer or a shopping agent sees on the storefront. */
  availability(nowMs: number, sku: Sku): number {
    this.revealDue(nowMs);
    return this.find(sku)?.visibleQuantity ?? 0;
  }

  /** A buyer checks out against the visible quantity; the marketplace decrements its own listing. */
  checkout(nowMs: number, sku: Sku, quantity: number): CheckoutResult {
    this.revealDue(nowMs);
    const listing = this.find(sku);
    const shown = listing?.visibleQuantity ?? 0;
    if (!listing || shown < quantity) {
      this.stats.turnedAway += 1;
      return { ok: false, shown };
    }
    listing.visibleQuantity -= quantity;
    listing.acceptedQuantity = Math.max(0, listing.acceptedQuantity - quantity);
    // Units sold while an accepted update is still being processed are reserved: the update, once
    // visible, shows what is left of it (otherwise a sale would be "given back" to the shelf).
    if (listing.pendingUpdates > 0) for (const entry of this.pending.entries()) if (entry.listing === listing && !entry.superseded) entry.quantity = Math.max(0, entry.quantity - quantity);
    this.stats.checkouts += 1;
    this.orderSeq += 1;
    return { ok: true, orderId: `${this.channel}-${this.orderSeq}`, shown };
  }

  /**
   * The marketplace itself puts `quantity` units back on a listing (a cancelled order restocked, as
   * WooCommerce does): the reverse of a checkout — the visible and the accepted quantity grow, and so
   * do accepted updates still waiting to turn visible. No version: the seller's API did not set it.
   * Returns the visible quantity after it; undefined for a SKU that is not listed.
   */
  restock(nowMs: number, sku: Sku, quantity: number): number | undefined {
    this.revealDue(nowMs);
    const listing = this.find(sku);
    if (!listing || !(quantity > 0)) return listing?.visibleQuantity;
    listing.visibleQuantity += quantity;
    listing.acceptedQuantity += quantity;
    if (listing.pendingUpdates > 0) for (const entry of this.pending.entries()) if (entry.listing === listing && !entry.superseded) entry.quantity += quantity;
    return listing.visibleQuantity;
  }

  /** Seller API listing read (what the reconciler sees): the accepted quantity. */
  readQuantities(nowMs: number, skus: readonly Sku[]): Map<Sku, number> {
    this.revealDue(nowMs);
    this.stats.reads += 1;
    const result = new Map<Sku, number>();
    for (const sku of skus) {
      const listing = this.find(sku);
      if (listing) result.set(sku, listing.acceptedQuantity);
    }
    return result;
  }

  /** Cancels an order; idempotent (a second cancel of the same order is not counted). */
  cancelOrder(orderId: string): boolean {
    if (this.cancelled.has(orderId)) return false;
    this.cancelled.add(orderId);
    this.stats.cancellations += 1;
    return true;
  }

  get cancellations(): number {
    return this.cancelled.size;
  }

  /** The order ids cancelled through the API (any id is accepted: checkers compare them with the oversold orders). */
  get cancelledOrderIds(): ReadonlySet<string> {
    return this.cancelled;
  }

  /** Fault injection: the API answers 503 until `untilMs` (or longer, when an injected outage already lasts longer). */
  injectOutage(untilMs: number): void {
    this.forcedOutageUntilMs = Math.max(this.forcedOutageUntilMs, untilMs);
  }

  /**
   * Fault injection (an operator's): the injected outage ends at `untilMs`, sooner or later than it
   * would have — at or before now it is over. The profile's scheduled outage windows are not affected.
   */
  setInjectedOutageEnd(untilMs: number): void {
    this.forcedOutageUntilMs = untilMs;
  }

  injectServerErrorRate(rate: number): void {
    this.extraServerErrorRate = Math.max(0, Math.min(1, rate));
  }

  injectLatencyMs(ms: number): void {
    this.extraLatencyMs = Math.max(0, ms);
  }

  /** Fault injection: refill slower (factor 0–1 of the documented rate). */
  tightenThrottle(factor: number, nowMs: number): void {
    this.limiter.setTightening(factor, nowMs);
    for (const limiter of this.apiLimiters.values()) limiter.setTightening(factor, nowMs);
  }

  /**
   * Delivery plan of one order notification: when its first attempt is planned, how many attempts it
   * takes and whether the last one reaches the engine, and the delay of a duplicate after the first
   * delivery. The times of the attempts are the driver's to compute (`notificationAttemptAtMs`): a channel
   * with head-of-line blocking sends the first attempt only once the job before it is done, and
   * times its retries from then, as the HTTP sender does.
   *
   * Every draw comes from `random`, the caller's stream for this order — never from the model's own,
   * which the seller API's calls consume: two runs that call the API differently (events and polling)
   * would otherwise give the same order a different fate. Pass a stream keyed to the order (the
   * simulator forks one per arrival), so the fate of one order does not depend on any other draw.
   */
  planNotification(random: Random): NotificationPlan {
    const n = this.profile.notifications;
    const firstOffsetMs = sample(n.delay, random);
    let attempts = 0;
    let delivered = false;
    for (let attempt = 0; attempt <= n.retries; attempt++) {
      attempts += 1;
      if (!(n.attemptFailureRate > 0 && random.next() < n.attemptFailureRate)) {
        delivered = true;
        break;
      }
    }
    const duplicateDelayMs = delivered && n.duplicateRate > 0 && random.next() < n.duplicateRate ? sample(n.delay, random) : undefined;
    return { firstOffsetMs, attempts, delivered, duplicateDelayMs };
  }

  /** When attempt `attempt` (0 = the first) of a notification goes out, its first attempt at `firstAtMs`. */
  notificationAttemptAtMs(firstAtMs: number, attempt: number): number {
    return attemptOffsetMs(this.profile.notifications, firstAtMs, attempt);
  }
}
