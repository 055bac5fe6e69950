// The simulator's ChannelClient: the engine's calls travel to a MarketplaceModel in virtual time
// (the update lands half-way through the sampled round trip, the reply arrives at the end) and come
// back classified exactly like the HTTP clients classify real replies; reads and cancellations are
// billed where the HTTP mocks bill them (Shopify's cost points), and a listing read counts the calls the
// HTTP client makes for it (one per page: Amazon's `searchListingsItems` takes 20 SKUs). Easy to get wrong: a reply lost after
// the update was applied is a *timeout* for the client — the update still happened; and the client
// times out at its timeout from the call's start, not when the request reaches the server. An update
// that reaches the server after its client gave up (a round trip over twice the timeout) still lands:
// the model is told (`clientGaveUp`), so an older version it sets counts as a late landing, not as the
// engine moving a listing back — when that version was current when sent. Easy to get wrong: arriving
// late excuses only what the network did; an item sent behind (older than the listing had accepted, or
// than this client had sent for the SKU) is the engine's regression however slow its request
// (`sentBehind`, noted at send time).

import { RETRYABLE_REASONS, SynclagError, type ChannelClient, type ChannelFailureReason, type OrderId, type PushOutcome, type QuantityUpdate, type Sku, type VirtualScheduler } from "@synclag/core";
import { DEFAULT_PROFILES, SHOPIFY_MUTATION_COST, SHOPIFY_READ_BASE_COST, SHOPIFY_READ_PAGE, shopifyReadBudgetCost, type MarketplaceKind, type MarketplaceModel, type UpdateCallOptions, type UpdateReply } from "@synclag/marketplaces";

/** Every accepted item's outcome is this one object (outcomes are read, never changed). */
const OK: PushOutcome = Object.freeze({ ok: true });
/** `applyUpdates` options of an update call reaching the server after its client gave up. */
const LANDS_LATE: UpdateCallOptions = Object.freeze({ clientGaveUp: true });
/** Shopify's bill for reading inventory items: 2 points plus one per item asked for (as the mock bills it). */
const READ_BASE_COST = SHOPIFY_READ_BASE_COST;
/** Shopify's bill for `orderCancel`: a mutation's 10 points (as the mock bills it). */
const CANCEL_COST = SHOPIFY_MUTATION_COST;
/**
 * SKUs per call of a listing read, as each HTTP client pages it (packages/channels): Amazon's
 * `searchListingsItems` takes 20 (`identifiers` maxItems 20, asked with pageSize 20; a SKU with a comma
 * would be read alone with `getListingsItem`, but scenario SKUs have none); eBay's
 * `bulk_get_inventory_item` 25; Flipkart's listing read 10; WooCommerce's product lookup 100; Shopify's
 * `inventoryItems` query 250.
 */
const READ_PAGE_SIZE: Readonly<Record<MarketplaceKind, number>> = {
  amazon: 20,
  ebay: DEFAULT_PROFILES.ebay.maxBatchSize,
  flipkart: DEFAULT_PROFILES.flipkart.maxBatchSize,
  woocommerce: 100,
  shopify: SHOPIFY_READ_PAGE,
};

type ServerAnswer<T> = { readonly kind: "ok"; readonly value: T } | { readonly kind: "unavailable" } | { readonly kind: "refused"; readonly outcome: Extract<PushOutcome, { ok: false }> };

/** A failed read, shaped like the HTTP clients' `ChannelError`: `reason` (the reconciler backs off on `rate_limited`), `retryAfterMs`. */
export class SimChannelError extends SynclagError {
  declare readonly reason: ChannelFailureReason;
  constructor(
    reason: ChannelFailureReason,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(reason, message, { retryable: RETRYABLE_REASONS.has(reason) });
    this.name = "SimChannelError";
  }
}

export class SimChannelClient implements ChannelClient {
  readonly channel: string;
  readonly maxBatchSize: number;
  readonly stats = { apiCalls: 0, updateCalls: 0, readCalls: 0, cancelCalls: 0, throttled: 0, serverErrors: 0, timeouts: 0, itemsRejected: 0 };
  /**
   * The highest version sent per SKU (any call, whatever its outcome): an item sent below it was sent
   * behind. By the model's SKU slot (an array: one lookup per item serves this and the listing, on the
   * per-(order, channel) path), by SKU for a SKU without one.
   */
  private readonly highestSent = new Map<Sku, number>();
  private highestSentBySlot = new Float64Array(0);

  constructor(private readonly model: MarketplaceModel, private readonly scheduler: VirtualScheduler) {
    this.channel = model.channel;
    this.maxBatchSize = model.profile.maxBatchSize;
  }

  setQuantities(updates: readonly QuantityUpdate[]): Promise<PushOutcome[]> {
    this.stats.apiCalls += 1;
    this.stats.updateCalls += 1;
    const behind = this.sentBehind(updates);
    const landsLate = behind === undefined ? LANDS_LATE : { clientGaveUp: true, sentBehind: behind };
    return this.roundTrip(
      (nowMs, _clientGaveUp, late) => this.model.applyUpdates(nowMs, updates, late ? landsLate : undefined),
      (reply) => this.classify(reply, updates.length),
      () => updates.map(() => this.timeout()),
      (reply) => reply.kind === "applied" && reply.replyLost,
    );
  }

  /**
   * Which items are sent behind (undefined: none, the usual case — no array per call): a version older
   * than the listing has accepted, or than this client sent for the SKU before. Noted now, at send time:
   * by the time the request lands, a newer version may have landed — that is what a late landing is.
   * An item sent again at the highest version (a retry, a re-push) is not behind.
   */
  private sentBehind(updates: readonly QuantityUpdate[]): boolean[] | undefined {
    let behind: boolean[] | undefined;
    for (let index = 0; index < updates.length; index++) {
      const update = updates[index] as QuantityUpdate;
      const slot = this.model.slotOf(update.sku);
      let sent: number;
      let accepted: number;
      if (slot === undefined) {
        sent = this.highestSent.get(update.sku) ?? 0;
        accepted = this.model.listing(update.sku)?.maxAcceptedVersion ?? 0;
        if (update.version > sent) this.highestSent.set(update.sku, update.version);
      } else {
        if (slot >= this.highestSentBySlot.length) this.growSlots(slot);
        sent = this.highestSentBySlot[slot] as number;
        accepted = this.model.listingAt(slot)?.maxAcceptedVersion ?? 0;
        if (update.version > sent) this.highestSentBySlot[slot] = update.version;
      }
      if (update.version < sent || update.version < accepted) (behind ??= updates.map(() => false))[index] = true;
    }
    return behind;
  }

  private growSlots(slot: number): void {
    const grown = new Float64Array(Math.max(slot + 1, this.highestSentBySlot.length * 2, 1024));
    grown.set(this.highestSentBySlot);
    this.highestSentBySlot = grown;
  }

  /**
   * What a read costs the updates' budget, as the HTTP clients say it (`ChannelClient.readBudgetCost`):
   * Shopify's reads are billed from the cost bucket its updates draw on (2 points plus one per SKU a page,
   * an update call 10); every other marketplace's reads have a budget of their own.
   */
  readBudgetCost(skus: number): number {
    return this.model.profile.kind === "shopify" ? shopifyReadBudgetCost(skus) : 0;
  }

  /**
   * A listing read, billed as the HTTP client makes it: one call per page of `READ_PAGE_SIZE` SKUs, one
   * after the other, each charged where the mock charges it; the first failing page fails the read (the
   * pages after it are never sent). The pages share one round trip: the calls are counted, not timed.
   */
  readQuantities(skus: readonly Sku[]): Promise<Map<Sku, number>> {
    if (skus.length === 0) return Promise.resolve(new Map());
    const pageSize = READ_PAGE_SIZE[this.model.profile.kind];
    // The first page's call is made whatever happens; the server half counts the ones after it.
    this.countReadCalls(1);
    return this.roundTrip(
      (nowMs, clientGaveUp): ServerAnswer<Map<Sku, number>> => {
        if (this.model.isDown(nowMs)) return { kind: "unavailable" };
        // A client that timed out on the first page sends no more.
        const pages = clientGaveUp ? 1 : Math.ceil(skus.length / pageSize);
        for (let page = 0; page < pages; page++) {
          if (page > 0) this.countReadCalls(1);
          const refused = this.charge(nowMs, READ_BASE_COST + Math.min(pageSize, skus.length - page * pageSize));
          if (refused) return refused;
        }
        // Every page admitted: one read of the model for them all (the same instant).
        return { kind: "ok", value: this.model.readQuantities(nowMs, skus) };
      },
      (answer) => {
        switch (answer.kind) {
          case "ok":
            return answer.value;
          case "unavailable":
            throw new SimChannelError("unavailable", `${this.channel} read: ${this.channel} is unavailable`);
          case "refused":
            this.stats.throttled += 1;
            throw new SimChannelError(answer.outcome.reason, `${this.channel} read: ${answer.outcome.message}`, answer.outcome.retryAfterMs);
        }
      },
      () => {
        throw new SimChannelError("timeout", `${this.channel} read timed out`);
      },
    );
  }

  cancelOrder(orderId: OrderId): Promise<PushOutcome> {
    this.stats.apiCalls += 1;
    this.stats.cancelCalls += 1;
    return this.roundTrip(
      (nowMs): ServerAnswer<true> => {
        if (this.model.isDown(nowMs)) return { kind: "unavailable" };
        const refused = this.charge(nowMs, CANCEL_COST);
        if (refused) return refused;
        this.model.cancelOrder(orderId);
        return { kind: "ok", value: true };
      },
      (answer): PushOutcome => {
        switch (answer.kind) {
          case "ok":
            return OK;
          case "unavailable":
            return { ok: false, reason: "unavailable", message: `${this.channel} is unavailable` };
          case "refused":
            if (answer.outcome.reason === "rate_limited") this.stats.throttled += 1;
            return answer.outcome;
        }
      },
      () => this.timeout(),
    );
  }

  private countReadCalls(calls: number): void {
    this.stats.apiCalls += calls;
    this.stats.readCalls += calls;
  }

  /**
   * Bills a read or a cancellation where the HTTP mock does: Shopify's GraphQL `inventoryItems` and
   * `orderCancel` are charged to the bucket updates draw on (mock-marketplaces' wire/shopify.ts; on a
   * limiter that counts calls they count as one). The other marketplaces' mocks charge neither.
   * Undefined when admitted; else the refusal as the HTTP client classifies it: THROTTLED →
   * rate_limited, a cost above the bucket's maximum (MAX_COST_EXCEEDED) → rejected.
   */
  private charge(nowMs: number, cost: number): { readonly kind: "refused"; readonly outcome: Extract<PushOutcome, { ok: false }> } | undefined {
    if (this.model.profile.kind !== "shopify") return undefined;
    const decision = this.model.chargeCall(nowMs, cost);
    if (decision.admitted) return undefined;
    if (!Number.isFinite(decision.retryAfterMs)) return { kind: "refused", outcome: { ok: false, reason: "rejected", message: `MAX_COST_EXCEEDED: query cost ${cost} exceeds the bucket's maximum ${decision.state.maximum}` } };
    return { kind: "refused", outcome: { ok: false, reason: "rate_limited", message: `${this.channel} throttled (cost ${cost}, ${decision.state.available} available)`, retryAfterMs: decision.retryAfterMs } };
  }

  /**
   * Runs `atServer` half-way through a sampled round trip and resolves with `toClient` at its end. A
   * round trip longer than the client timeout resolves with `onTimeout` at the timeout, counted from
   * the call's start like the HTTP clients' abort — whenever the request reaches the server (a slow
   * request still lands, at its half-way point, after the client gave up). A reply lost after the
   * server ran is a timeout too, at the same time. `atServer` is told whether the client gives up on
   * the call (a paged read sends no more pages), and whether it already had when the request arrives
   * (`landsLate`: half the round trip is past the timeout — an update landing then is a late landing).
   */
  private roundTrip<S, R>(atServer: (nowMs: number, clientGaveUp: boolean, landsLate: boolean) => S, toClient: (server: S) => R, onTimeout: () => R, replyLost: (server: S) => boolean = () => false): Promise<R> {
    const latency = this.model.sampleLatencyMs();
    const timeoutMs = this.model.profile.clientTimeoutMs;
    return new Promise<R>((resolve, reject) => {
      const settle = (produce: () => R) => {
        try {
          resolve(produce());
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      };
      const timedOut = latency > timeoutMs;
      if (timedOut) this.scheduler.setTimer(timeoutMs, () => settle(onTimeout));
      // Synchronous: the server half runs the model and arms the reply; only the reply settles the call.
      this.scheduler.setSyncTimer(latency / 2, () => {
        const server = atServer(this.scheduler.now(), timedOut, timedOut && latency / 2 > timeoutMs);
        if (timedOut) return;
        if (replyLost(server)) {
          this.scheduler.setTimer(timeoutMs - latency / 2, () => settle(onTimeout));
          return;
        }
        this.scheduler.setTimer(latency / 2, () => settle(() => toClient(server)));
      });
    });
  }

  private timeout(): PushOutcome {
    this.stats.timeouts += 1;
    return { ok: false, reason: "timeout", message: `${this.channel}: no reply within ${this.model.profile.clientTimeoutMs} ms` };
  }

  private classify(reply: UpdateReply, count: number): PushOutcome[] {
    switch (reply.kind) {
      case "applied":
        return reply.items.map((item) => {
          if (item.ok) return OK;
          this.stats.itemsRejected += 1;
          return { ok: false, reason: "rejected", message: `${item.code}: ${item.message}` } as const;
        });
      case "throttled": {
        this.stats.throttled += 1;
        const outcome: PushOutcome = { ok: false, reason: "rate_limited", message: `${this.channel} throttled`, retryAfterMs: Number.isFinite(reply.retryAfterMs) ? reply.retryAfterMs : 60_000 };
        return Array.from({ length: count }, () => outcome);
      }
      case "unavailable": {
        this.stats.serverErrors += 1;
        const outcome: PushOutcome = { ok: false, reason: "unavailable", message: reply.message };
        return Array.from({ length: count }, () => outcome);
      }
      case "too-large": {
        const outcome: PushOutcome = { ok: false, reason: "rejected", message: `batch of ${reply.received} exceeds ${reply.limit}` };
        return Array.from({ length: count }, () => outcome);
      }
    }
  }
}
