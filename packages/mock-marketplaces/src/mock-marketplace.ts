// One mock marketplace: the pure `MarketplaceModel` plus what the HTTP shells need around it — the
// catalogue of native ids, orders, ground-truth timelines, fault settings, tokens, the visibility
// timer and the webhook sender — behind one `receive(request)` (then `respond()`) that both shells call.
// Easy to get wrong: the model is pure, so *this* class drives time: it reads the clock once per
// request, and schedules `revealDue` at `model.nextVisibilityAtMs`, or accepted updates would only
// turn visible when the next request happens to arrive. With `latency: "profile"` a seller-API call
// is handled half-way through its sampled round trip (`receive`), as in the simulator. And native
// order ids must never repeat for one marketplace: the order counter survives `reset`, and the HTTP
// composition starts it from its start time (`orderSeqStart`), so a restarted mock does not hand a
// long-running engine an id it has already applied.

import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { Prng, type ChannelId, type Sku } from "@synclag/core";
import { DEFAULT_PROFILES, MarketplaceModel, type LimiterState, type MarketplaceKind, type MarketplaceProfile, type VisibilityChange } from "@synclag/marketplaces";
import { withCredentialOverrides, type CredentialOverrides, type MockCredentials } from "./credentials.js";
import { buildOrderNotification, buildWooPing, notificationEventId } from "./notifications/order-notification.js";
import { ebayKeyId, oneLinePem } from "./notifications/signing.js";
import { WebhookSender } from "./notifications/webhook-sender.js";
import { amazonRoutes } from "./wire/amazon.js";
import { commonRoutes } from "./wire/common.js";
import type { CatalogEntry, CheckoutOutcome, FaultSettings, MarketplaceContext, MockOrder, SeedListing, ThrottleStatus } from "./wire/context.js";
import { ebayRoutes } from "./wire/ebay.js";
import { flipkartRoutes } from "./wire/flipkart.js";
import { amazonOrderId, ebayOfferId, ebayOrderId, flipkartFsn, flipkartOrderId, shopifyInventoryItemGid, shopifyOrderId, wooOrderId, wooProductId } from "./wire/ids.js";
import { Router, type Route } from "./wire/router.js";
import { SHOPIFY_REST_LIMIT, shopifyRoutes } from "./wire/shopify.js";
import { jsonReply, type WireOutcome, type WireReply, type WireRequest, type WireResult } from "./wire/wire.js";
import { wooCommerceRoutes } from "./wire/woocommerce.js";

/**
 * Stand-in header with a push's stock versions: one integer (every item of the call), versions
 * comma-separated in the order of the body's items (`7,12,9`), or `sku=version&…` pairs (by SKU).
 */
export const VERSION_HEADER = "x-synclag-version";

/** A parsed `X-Synclag-Version`: by position (one entry: every item) or by SKU. */
type PushVersions = { readonly by: "position"; readonly versions: readonly number[] } | { readonly by: "sku"; readonly pairs: URLSearchParams };

function parseVersions(raw: string): PushVersions {
  if (raw.includes("=")) return { by: "sku", pairs: new URLSearchParams(raw) };
  return { by: "position", versions: raw.split(",").map((v) => (v.trim() === "" ? Number.NaN : Number(v))) };
}

function isVersion(value: number | undefined): value is number {
  return value !== undefined && Number.isSafeInteger(value) && value >= 0;
}

export interface MockMarketplaceOptions {
  readonly kind: MarketplaceKind;
  /** Channel id in ground truth and notifications. Default: the kind. */
  readonly channel?: ChannelId;
  /** Behaviour; default `DEFAULT_PROFILES[kind]`. */
  readonly profile?: MarketplaceProfile;
  /** Seed of every random draw (faults, delays, duplicates). Default 1. */
  readonly seed?: number;
  /** Wall clock, ms since the epoch. Default `Date.now`; tests pass a fixed clock. */
  readonly clock?: () => number;
  readonly credentials?: CredentialOverrides;
  /**
   * `profile`: every seller-API call takes a round trip sampled from the profile — handled half-way
   * through it, answered at its end (shells call `receive`); `none` (default): handled on arrival,
   * answered after the injected latency only.
   */
  readonly latency?: "none" | "profile";
  /**
   * Order sequence numbers — native order ids derive from them — continue after this. Default 0: a mock
   * seeded the same way answers with the same ids. `startMockMarketplaces` passes `bootOrderSeqStart(now)`
   * so a restarted mock never reuses an order id (a running engine would take the new order for a
   * duplicate or a conflict).
   */
  readonly orderSeqStart?: number;
  /** Where order notifications go; absent = none are sent (orders are still recorded). */
  readonly ingestUrl?: string;
  /** Multiplier on notification retry schedules. Default 0.001 (Shopify's 4 h → 14.4 s). */
  readonly notificationRetryTimeScale?: number;
  /** Multiplier on notification delays. Default 1. */
  readonly notificationDelayScale?: number;
  /** How long a lost reply is held before the connection is dropped, ms. Default: profile client timeout + 5 s. */
  readonly heldReplyMs?: number;
  /** Timeline entries kept per SKU (oldest dropped first, in chunks: up to twice this between trims). Default 1,000. */
  readonly timelineLimit?: number;
  /** Status of a throttled Shopify GraphQL reply. Default 200 (both 200 and 429 are seen). */
  readonly shopifyThrottleStatus?: 200 | 429;
}

interface TimelineEntry {
  /** `restocked`: the marketplace put a cancelled order's units back (quantity: what it shows after). */
  readonly event: "seeded" | "accepted" | "visible" | "sold" | "restocked";
  readonly quantity: number;
  readonly version: number;
  readonly atMs: number;
}

const TOKEN_LIFETIME_SECONDS = 3_600;
/** How long a reply is kept under its idempotency key (ms of the mock's clock), and how many keys at most (oldest dropped first). */
const IDEMPOTENCY_RETENTION_MS = 86_400_000;
const IDEMPOTENCY_KEYS_MAX = 10_000;
const REVEAL_SLACK_MS = 10;
const MAX_ORDERS = 1_000_000;

export class MockMarketplace implements MarketplaceContext {
  readonly kind: MarketplaceKind;
  readonly channel: ChannelId;
  readonly credentials: MockCredentials;
  readonly shopifyThrottleStatus: 200 | 429;
  nowMs = 0;
  model!: MarketplaceModel;

  private readonly profile: MarketplaceProfile;
  private readonly clock: () => number;
  private readonly router: Router<MarketplaceContext>;
  private readonly ebayKeys: { readonly privateKey: KeyObject; readonly publicKeyPem: string; readonly keyId: string };
  private catalog = new Map<Sku, CatalogEntry>();
  private catalogByNumber: CatalogEntry[] = [];
  /** Survives `reset`: ids handed out before a reset must not be handed out again. */
  private readonly counters = new Map<string, number>();
  private timelines = new Map<Sku, TimelineEntry[]>();
  private ordersById = new Map<string, MockOrder>();
  private tokens = new Map<string, number>();
  private faults: FaultSettings = {};
  private faultRandom!: Prng;
  private lastThrottle: { state: LimiterState; atMs: number } | undefined;
  private revealTimer: { timer: NodeJS.Timeout; atMs: number } | undefined;
  private sender: WebhookSender | undefined;
  private versionCache = new WeakMap<WireRequest, PushVersions>();
  private idempotentReplies = new Map<string, { readonly fingerprint: string; readonly reply: WireReply; readonly atMs: number }>();
  /** eBay: the ship-to-location and offer quantities last set per SKU (the listing shows their minimum). */
  private ebayQuantities = new Map<Sku, { readonly shipTo: number; readonly offer?: number | undefined }>();

  constructor(private readonly options: MockMarketplaceOptions) {
    this.kind = options.kind;
    this.channel = options.channel ?? options.kind;
    this.profile = options.profile ?? DEFAULT_PROFILES[options.kind];
    this.clock = options.clock ?? Date.now;
    this.credentials = withCredentialOverrides(options.credentials);
    this.shopifyThrottleStatus = options.shopifyThrottleStatus ?? 200;
    const kindRoutes: Record<MarketplaceKind, readonly Route<MarketplaceContext>[]> = { amazon: amazonRoutes, shopify: shopifyRoutes, woocommerce: wooCommerceRoutes, flipkart: flipkartRoutes, ebay: ebayRoutes };
    this.router = new Router([...commonRoutes, ...kindRoutes[this.kind]]);
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    // Served on one line, as eBay's getPublicKey does: the verifier must cope with it.
    this.ebayKeys = { privateKey, publicKeyPem: oneLinePem(publicKey.export({ type: "spki", format: "pem" }).toString()), keyId: ebayKeyId(publicKey) };
    if (options.orderSeqStart !== undefined && options.orderSeqStart > 0) this.counters.set("order", Math.floor(options.orderSeqStart));
    this.initialise();
  }

  /**
   * What a shell does with an arriving request: wait `waitMs` (half the sampled round trip of a
   * seller-API call with `latency: "profile"`, else 0), then `respond()` — which handles it at that
   * instant and answers after the rest of the round trip (`delayMs`). Where the update lands inside the
   * round trip matters: a buyer reading the storefront meanwhile sees the old quantity until then.
   */
  receive(request: WireRequest): { readonly waitMs: number; respond(): WireOutcome } {
    const sampled = this.options.latency === "profile" && !request.path.startsWith("/_synclag/");
    if (!sampled) return { waitMs: 0, respond: () => this.respond(request) };
    // As the simulator does: the server half at latency / 2, the reply at the end.
    const latencyMs = this.model.sampleLatencyMs();
    return { waitMs: latencyMs / 2, respond: () => this.handle(request, latencyMs / 2) };
  }

  /**
   * Handles one request at the clock's current instant (the shells go through `receive`). With
   * `latency: "profile"` the reply waits half a sampled round trip: the half before is the caller's to
   * have waited. Never throws: a bug answers 500.
   */
  respond(request: WireRequest): WireOutcome {
    const sellerApi = !request.path.startsWith("/_synclag/");
    return this.handle(request, !sellerApi ? 0 : this.options.latency === "profile" ? this.model.sampleLatencyMs() / 2 : (this.faults.latencyMs ?? 0));
  }

  private handle(request: WireRequest, delayMs: number): WireOutcome {
    this.nowMs = this.clock();
    const match = this.router.match(request.method, request.path);
    let outcome: WireResult;
    if ("route" in match) {
      try {
        outcome = match.route.handler(this, request, match.params);
      } catch (error) {
        outcome = { reply: jsonReply(500, { error: "mock_internal_error", message: (error as Error).message }) };
      }
    } else {
      outcome = { reply: match.methodMismatch ? jsonReply(405, { error: "method_not_allowed", message: `${request.method} is not allowed on ${request.path}` }) : jsonReply(404, { error: "not_found", message: `no route ${request.method} ${request.path} on the synclag ${this.kind} mock` }) };
    }
    this.scheduleReveal();
    const timeoutRate = this.faults.timeoutAfterApplyRate ?? 0;
    const replyLost = Boolean(outcome.replyLost) || (Boolean(outcome.applied) && timeoutRate > 0 && this.faultRandom.next() < timeoutRate);
    return { reply: outcome.reply, delayMs, replyLost, holdMs: this.options.heldReplyMs ?? this.profile.clientTimeoutMs + 5_000 };
  }

  /** Stops timers and pending notifications. */
  stop(): void {
    if (this.revealTimer) clearTimeout(this.revealTimer.timer);
    this.revealTimer = undefined;
    this.sender?.stop();
  }

  // --- MarketplaceContext -----------------------------------------------------------------------

  entryBySku(sku: Sku): CatalogEntry | undefined {
    return this.catalog.get(sku);
  }

  entryByNumber(n: number): CatalogEntry | undefined {
    return Number.isInteger(n) && n >= 1 ? this.catalogByNumber[n - 1] : undefined;
  }

  nextId(scope: string): number {
    const next = (this.counters.get(scope) ?? 0) + 1;
    this.counters.set(scope, next);
    return next;
  }

  versionFor(request: WireRequest, sku: Sku, position?: number): number {
    const raw = request.headers[VERSION_HEADER];
    if (raw !== undefined) {
      // Parsed once per request.
      let parsed = this.versionCache.get(request);
      if (parsed === undefined) {
        parsed = parseVersions(raw);
        this.versionCache.set(request, parsed);
      }
      let value: number | undefined;
      if (parsed.by === "sku") value = Number(parsed.pairs.get(sku) ?? Number.NaN);
      else if (parsed.versions.length === 1) value = parsed.versions[0];
      else if (position !== undefined) value = parsed.versions[position];
      if (isVersion(value)) return value;
    }
    return (this.model.listing(sku)?.maxAcceptedVersion ?? 0) + 1;
  }

  throttleStatus(last?: LimiterState): ThrottleStatus {
    if (last) this.lastThrottle = { state: last, atMs: this.nowMs };
    const limit = this.profile.rateLimit;
    const maximum = limit.kind === "cost-points" ? limit.maximumAvailable : limit.kind === "token-bucket" ? limit.burst : limit.kind === "leaky-bucket" ? limit.capacity : 0;
    const restore = limit.kind === "cost-points" ? limit.restoreRatePerSecond : limit.kind === "token-bucket" ? limit.ratePerSecond : limit.kind === "leaky-bucket" ? limit.leakPerSecond : 0;
    if (!this.lastThrottle) return { maximumAvailable: maximum, currentlyAvailable: maximum, restoreRate: restore };
    const { state, atMs } = this.lastThrottle;
    const restored = Math.min(state.maximum, state.available + ((this.nowMs - atMs) / 1000) * state.restoreRate);
    return { maximumAvailable: state.maximum, currentlyAvailable: Math.floor(restored), restoreRate: state.restoreRate };
  }

  issueToken(): { token: string; expiresInSeconds: number } {
    const token = `fk-${this.nextId("token").toString(36)}-${Math.floor(this.faultRandom.next() * 2 ** 32).toString(16)}`;
    this.tokens.set(token, this.nowMs + TOKEN_LIFETIME_SECONDS * 1000);
    return { token, expiresInSeconds: TOKEN_LIFETIME_SECONDS };
  }

  isTokenValid(token: string | undefined): boolean {
    const expires = token === undefined ? undefined : this.tokens.get(token);
    return expires !== undefined && expires > this.nowMs;
  }

  checkout(sku: Sku, quantity: number): CheckoutOutcome {
    const result = this.model.checkout(this.nowMs, sku, quantity);
    if (!result.ok) return { ok: false, shown: result.shown };
    const sold = this.ebayQuantities.get(sku);
    // eBay takes a sale off the inventory item and the offer alike.
    if (sold) this.ebayQuantities.set(sku, { shipTo: Math.max(0, sold.shipTo - quantity), offer: sold.offer === undefined ? undefined : Math.max(0, sold.offer - quantity) });
    const seq = this.nextId("order");
    const nativeId = this.nativeOrderId(seq);
    const order: MockOrder = { seq, nativeId, sku, quantity, createdAtMs: this.nowMs, cancelled: false };
    if (this.ordersById.size < MAX_ORDERS) this.ordersById.set(nativeId, order);
    const listing = this.model.listing(sku);
    if (listing) this.addTimeline(sku, { event: "sold", quantity: listing.visibleQuantity, version: listing.visibleVersion, atMs: this.nowMs });
    this.sender?.enqueue({ eventId: notificationEventId(this.kind, order), group: this.kind === "flipkart" ? this.credentials.flipkart.locationId : sku, payload: order });
    return { ok: true, order, shown: result.shown };
  }

  findOrder(nativeId: string): MockOrder | undefined {
    return this.ordersById.get(nativeId);
  }

  cancelOrder(nativeId: string, options: { readonly restock?: boolean } = {}): "cancelled" | "already-cancelled" | "unknown" {
    const order = this.ordersById.get(nativeId);
    if (!order) return "unknown";
    // Restocked only on the first cancellation: a repeat finds nothing left to give back.
    if (order.cancelled) return "already-cancelled";
    order.cancelled = true;
    order.cancelledAtMs = this.nowMs;
    this.model.cancelOrder(nativeId);
    if (options.restock === true) {
      const shown = this.model.restock(this.nowMs, order.sku, order.quantity);
      const listing = this.model.listing(order.sku);
      if (shown !== undefined && listing) this.addTimeline(order.sku, { event: "restocked", quantity: shown, version: listing.visibleVersion, atMs: this.nowMs });
      const ebay = this.ebayQuantities.get(order.sku);
      if (ebay) this.ebayQuantities.set(order.sku, { shipTo: ebay.shipTo + order.quantity, offer: ebay.offer === undefined ? undefined : ebay.offer + order.quantity });
    }
    return "cancelled";
  }

  seed(listings: readonly SeedListing[]): number {
    for (const listing of listings) {
      if (!this.catalog.has(listing.sku)) {
        const entry = { sku: listing.sku, n: this.catalogByNumber.length + 1 };
        this.catalog.set(listing.sku, entry);
        this.catalogByNumber.push(entry);
      }
      const version = listing.version ?? 0;
      this.model.seed(listing.sku, listing.quantity, version);
      if (this.kind === "ebay") this.ebayQuantities.set(listing.sku, { shipTo: listing.quantity });
      this.timelines.set(listing.sku, [{ event: "seeded", quantity: listing.quantity, version, atMs: this.nowMs }]);
    }
    return listings.length;
  }

  reset(): void {
    this.sender?.stop();
    if (this.revealTimer) clearTimeout(this.revealTimer.timer);
    this.revealTimer = undefined;
    this.initialise();
  }

  injectFaults(faults: FaultSettings): FaultSettings {
    // Sets the injected outage's end, sooner or later than before: `outageMs: 0` ends it (profile windows are not affected).
    if (faults.outageMs !== undefined) this.model.setInjectedOutageEnd(this.nowMs + faults.outageMs);
    if (faults.serverErrorRate !== undefined) this.model.injectServerErrorRate(faults.serverErrorRate);
    if (faults.latencyMs !== undefined) this.model.injectLatencyMs(faults.latencyMs);
    if (faults.throttleFactor !== undefined) this.model.tightenThrottle(faults.throttleFactor, this.nowMs);
    this.faults = { ...this.faults, ...faults };
    return this.faults;
  }

  truth(sku: Sku): unknown {
    this.model.revealDue(this.nowMs);
    const listing = this.model.listing(sku);
    const entry = this.catalog.get(sku);
    if (!listing || !entry) return undefined;
    return { ...this.summary(sku, entry), timeline: this.timelines.get(sku) ?? [] };
  }

  truthAll(includeTimeline: boolean): unknown {
    this.model.revealDue(this.nowMs);
    return this.catalogByNumber.map((entry) => ({ ...this.summary(entry.sku, entry), ...(includeTimeline ? { timeline: this.timelines.get(entry.sku) ?? [] } : {}) }));
  }

  stats(): unknown {
    return {
      kind: this.kind,
      channel: this.channel,
      listings: this.catalog.size,
      orders: this.ordersById.size,
      cancellations: this.model.cancellations,
      model: this.model.stats,
      faults: this.faults,
      notifications: this.sender ? { url: this.options.ingestUrl, disabled: this.sender.isDisabled, ...this.sender.stats, recent: this.sender.recentDeliveries().slice(-20) } : { url: null },
    };
  }

  orders(): readonly MockOrder[] {
    return [...this.ordersById.values()];
  }

  notificationPublicKey(keyId: string): string | undefined {
    return keyId === this.ebayKeys.keyId ? this.ebayKeys.publicKeyPem : undefined;
  }

  /** The key id (`kid`) of this mock's eBay notification key: derived from the key, so a restarted mock's new key has a new id. */
  get ebayNotificationKeyId(): string {
    return this.ebayKeys.keyId;
  }

  idempotentReply(scopedKey: string): { readonly fingerprint: string; readonly reply: WireReply } | undefined {
    const kept = this.idempotentReplies.get(scopedKey);
    if (kept && this.nowMs - kept.atMs >= IDEMPOTENCY_RETENTION_MS) {
      this.idempotentReplies.delete(scopedKey);
      return undefined;
    }
    return kept;
  }

  rememberIdempotentReply(scopedKey: string, fingerprint: string, reply: WireReply): void {
    this.idempotentReplies.set(scopedKey, { fingerprint, reply, atMs: this.nowMs });
    if (this.idempotentReplies.size > IDEMPOTENCY_KEYS_MAX) this.idempotentReplies.delete(this.idempotentReplies.keys().next().value as string);
  }

  ebayListingQuantities(sku: Sku): { readonly shipTo: number; readonly offer?: number | undefined } | undefined {
    return this.ebayQuantities.get(sku);
  }

  setEbayListingQuantities(sku: Sku, quantities: { readonly shipTo: number; readonly offer?: number | undefined }): void {
    this.ebayQuantities.set(sku, quantities);
  }

  /** The eBay notification key pair's public half (PEM on one line, as eBay serves it), for the ingest side's verifier. */
  get ebayPublicKeyPem(): string {
    return this.ebayKeys.publicKeyPem;
  }

  // --- internals ---------------------------------------------------------------------------------

  private initialise(): void {
    const seed = this.options.seed ?? 1;
    const root = new Prng(seed).fork(`mock:${this.channel}`);
    this.nowMs = this.clock();
    this.model = new MarketplaceModel({
      channel: this.channel,
      profile: this.profile,
      random: root.fork("model"),
      startMs: this.nowMs,
      apiRateLimits: this.kind === "shopify" ? { rest: SHOPIFY_REST_LIMIT } : {},
      onAccepted: (change) => this.onChange("accepted", change),
      onVisible: (change) => this.onChange("visible", change),
    });
    this.faultRandom = root.fork("faults");
    this.catalog = new Map();
    this.catalogByNumber = [];
    this.timelines = new Map();
    this.ordersById = new Map();
    this.tokens = new Map();
    this.faults = {};
    this.lastThrottle = undefined;
    this.versionCache = new WeakMap();
    this.idempotentReplies = new Map();
    this.ebayQuantities = new Map();
    const url = this.options.ingestUrl;
    // A profile built field by field (a scenario's overrides) may leave it out: the kind's documented value then.
    const deliveryTimeoutMs = this.profile.notifications.deliveryTimeoutMs ?? DEFAULT_PROFILES[this.kind].notifications.deliveryTimeoutMs;
    this.sender =
      url === undefined
        ? undefined
        : new WebhookSender(url, {
            kind: this.kind,
            notifications: this.profile.notifications,
            random: root.fork("notifications"),
            clock: this.clock,
            ...(this.options.notificationRetryTimeScale === undefined ? {} : { retryTimeScale: this.options.notificationRetryTimeScale }),
            ...(this.options.notificationDelayScale === undefined ? {} : { delayScale: this.options.notificationDelayScale }),
            ...(deliveryTimeoutMs === undefined ? {} : { deliveryTimeoutMs }),
            build: (pending, attempt, deliverySeq, sentAtMs) => {
              const order = pending.payload as MockOrder;
              return buildOrderNotification({ kind: this.kind, url, order, catalogNumber: this.catalog.get(order.sku)?.n ?? 0, credentials: this.credentials, sentAtMs, attempt, deliverySeq, ebayKey: this.ebayKeys.privateKey, ebayKeyId: this.ebayKeys.keyId });
            },
            ...(this.kind === "woocommerce" ? { buildPing: () => buildWooPing(url, this.credentials) } : {}),
          });
  }

  private nativeOrderId(seq: number): string {
    switch (this.kind) {
      case "amazon":
        return amazonOrderId(seq);
      case "shopify":
        return String(shopifyOrderId(seq));
      case "woocommerce":
        return String(wooOrderId(seq));
      case "flipkart":
        return flipkartOrderId(seq);
      case "ebay":
        return ebayOrderId(seq);
    }
  }

  private nativeIds(entry: CatalogEntry): Record<string, string | number> {
    switch (this.kind) {
      case "amazon":
        return { sellerSku: entry.sku };
      case "shopify":
        return { inventoryItemId: shopifyInventoryItemGid(entry.n) };
      case "woocommerce":
        return { productId: wooProductId(entry.n) };
      case "flipkart":
        return { productId: flipkartFsn(entry.n) };
      case "ebay":
        return { offerId: ebayOfferId(entry.n) };
    }
  }

  private summary(sku: Sku, entry: CatalogEntry): Record<string, unknown> {
    const listing = this.model.listing(sku);
    return {
      sku,
      channel: this.channel,
      ids: this.nativeIds(entry),
      accepted: { quantity: listing?.acceptedQuantity ?? 0, version: listing?.acceptedVersion ?? 0 },
      visible: { quantity: listing?.visibleQuantity ?? 0, version: listing?.visibleVersion ?? 0 },
      maxAcceptedVersion: listing?.maxAcceptedVersion ?? 0,
      revisionsToday: listing?.revisionsToday ?? 0,
    };
  }

  private onChange(event: "accepted" | "visible", change: VisibilityChange): void {
    this.addTimeline(change.sku, { event, quantity: change.quantity, version: change.version, atMs: change.atMs });
  }

  private addTimeline(sku: Sku, entry: TimelineEntry): void {
    const timeline = this.timelines.get(sku) ?? [];
    timeline.push(entry);
    // Trimmed in chunks (amortised O(1) per entry): up to twice the limit is kept between trims.
    const limit = this.options.timelineLimit ?? 1_000;
    if (timeline.length > 2 * limit) timeline.splice(0, timeline.length - limit);
    this.timelines.set(sku, timeline);
  }

  private scheduleReveal(): void {
    const next = this.model.nextVisibilityAtMs;
    if (next === undefined) return;
    // Every request reveals what is due before it reads, so the timer only serves idle periods:
    // a timer already due within REVEAL_SLACK_MS of `next` is kept (no setTimeout churn under load).
    if (this.revealTimer && this.revealTimer.atMs <= next + REVEAL_SLACK_MS) return;
    if (this.revealTimer) clearTimeout(this.revealTimer.timer);
    const timer = setTimeout(() => {
      this.revealTimer = undefined;
      this.nowMs = this.clock();
      this.model.revealDue(this.nowMs);
      this.scheduleReveal();
    }, Math.max(1, Math.min(2_147_483_647, next - this.clock())));
    timer.unref();
    this.revealTimer = { timer, atMs: next };
  }
}
