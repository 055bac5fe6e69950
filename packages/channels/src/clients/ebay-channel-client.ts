// eBay Sell Inventory API client: `bulk_update_price_quantity` with the ship-to-location quantity
// of up to 25 SKUs, `bulk_get_inventory_item` for reads, Post-Order cancellation.
// Easy to get wrong: 207 Multi-Status is a normal answer — success and failure are per entry
// (`responses[i].statusCode`); the 250-revisions-a-day cap shows up there, not as an HTTP error. And
// a SKU may have several entries — "one for each offer/inventory item being updated" (the official
// model's `BulkPriceQuantityResponse`) — so a SKU succeeded only when every entry for it says 200.
// Only the ship-to-location quantity is sent, never `offers`: an offer quantity set elsewhere (Seller
// Hub, another tool) keeps capping the listing at min(ship-to-location, offer) — D — and reads of the
// inventory item do not show that cap. A 2xx without `responses` (a proxy's page) confirms nothing and
// says nothing about the SKUs: unavailable, never "no listings"; nor does a read's entry with a 5xx, 429 or
// no statusCode (the read throws), while 200 and 4xx entries are answers about their SKU. A cancellation
// acts on the whole order ("only an entire order can be cancelled", Post-Order check_eligibility): the
// line item id of an engine order id (`ebay:<orderId>:<lineItemId>`) is dropped; a repeated cancel is
// answered "not eligible: CANCELLATION_EXIST", which is ok.

import type { OrderId, PushOutcome, QuantityUpdate, Sku } from "@synclag/core";
import { DEFAULT_PROFILES } from "@synclag/marketplaces";
import { ChannelError } from "../errors.js";
import { HttpChannelClient, failure, isRecord, parseJsonBody, type Failure, type HttpChannelClientOptions } from "./http-channel-client.js";

export interface EbayClientCredentials {
  /** User access token (`Authorization: Bearer …`). */
  readonly accessToken: string;
}

export interface EbayChannelClientOptions extends HttpChannelClientOptions {
  readonly credentials: EbayClientCredentials;
  /** Wait after a 429 (eBay sends no Retry-After), ms. Default 1,000. */
  readonly throttleBackoffMs?: number;
}

const BASE = "/sell/inventory/v1";

export class EbayChannelClient extends HttpChannelClient {
  readonly maxBatchSize = DEFAULT_PROFILES.ebay.maxBatchSize;
  private readonly credentials: EbayClientCredentials;
  private readonly throttleBackoffMs: number;

  constructor(options: EbayChannelClientOptions) {
    super("ebay", options, DEFAULT_PROFILES.ebay.clientTimeoutMs);
    this.credentials = options.credentials;
    this.throttleBackoffMs = options.throttleBackoffMs ?? 1_000;
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.credentials.accessToken}`, "content-type": "application/json", "content-language": "en-US" };
  }

  protected async pushBatch(updates: readonly QuantityUpdate[]): Promise<PushOutcome[]> {
    const body = JSON.stringify({ requests: updates.map((u) => ({ sku: u.sku, shipToLocationAvailability: { quantity: u.quantity } })) });
    const reply = await this.call({ method: "POST", url: this.url(`${BASE}/bulk_update_price_quantity`), headers: { ...this.headers(), ...this.versionHeaders(updates) }, body });
    if ("ok" in reply) return this.repeat(reply, updates.length);
    const whole = this.classifyStatus(reply, this.throttleBackoffMs);
    if (whole) return this.repeat(whole, updates.length);
    const parsed = parseJsonBody(reply);
    if (!isRecord(parsed) || !Array.isArray(parsed.responses)) return this.repeat(this.unconfirmed(reply, "bulk_update_price_quantity"), updates.length);
    const responses = parsed.responses.filter(isRecord);
    return updates.map((u) => {
      const entries = responses.filter((r) => r.sku === u.sku);
      if (entries.length === 0) return failure("unavailable", `ebay: no response entry for ${u.sku}`);
      const failed = entries.filter((r) => r.statusCode !== 200);
      if (failed.length === 0) return { ok: true };
      // A retryable failure first (the retry may clear them all); else the first refusal.
      const statusOf = (r: Record<string, unknown>) => (typeof r.statusCode === "number" ? r.statusCode : 0);
      const entry = failed.find((r) => statusOf(r) >= 500 || statusOf(r) === 429) ?? (failed[0] as Record<string, unknown>);
      const errors = Array.isArray(entry.errors) ? entry.errors.filter(isRecord) : [];
      const text = errors.map((e) => `${String(e.errorId)}: ${String(e.message)}`).join("; ");
      const status = statusOf(entry);
      const where = typeof entry.offerId === "string" ? ` (offer ${entry.offerId})` : "";
      return failure(status >= 500 ? "unavailable" : status === 429 ? "rate_limited" : "rejected", `ebay ${status}${where}: ${text}`, status === 429 ? this.throttleBackoffMs : undefined);
    });
  }

  async readQuantities(skus: readonly Sku[]): Promise<Map<Sku, number>> {
    const result = new Map<Sku, number>();
    for (let i = 0; i < skus.length; i += this.maxBatchSize) {
      this.stats.readCalls += 1;
      const page = skus.slice(i, i + this.maxBatchSize);
      const reply = await this.callOrThrow({ method: "POST", url: this.url(`${BASE}/bulk_get_inventory_item`), headers: this.headers(), body: JSON.stringify({ requests: page.map((sku) => ({ sku })) }) }, "ebay read");
      const parsed = parseJsonBody(reply);
      // Without the `responses` list the page says nothing about the SKUs — not "no listings", which would skip their repair.
      if (!isRecord(parsed) || !Array.isArray(parsed.responses)) throw this.unreadable(reply, "bulk_get_inventory_item read");
      const entries = parsed.responses.filter(isRecord);
      // An entry is a definite answer about its SKU when it says 200 (the item) or 4xx but 429 (no such item,
      // or a SKU eBay refuses); a 5xx, a 429 or no status says nothing about it — not "no listing", which
      // would skip its repair: the read throws, and the reconciler counts a failed read.
      const definite = (s: unknown): boolean => s === 200 || (typeof s === "number" && s >= 400 && s < 500 && s !== 429);
      const unanswered = entries.find((r) => !definite(r.statusCode));
      if (unanswered) {
        const status = typeof unanswered.statusCode === "number" ? unanswered.statusCode : undefined;
        const errors = Array.isArray(unanswered.errors) ? unanswered.errors.filter(isRecord).map((e) => `${String(e.errorId)}: ${String(e.message)}`) : [];
        const message = `ebay read: the bulk_get_inventory_item entry for ${JSON.stringify(unanswered.sku)} says ${status === undefined ? "no statusCode" : `statusCode ${status}`}${errors.length > 0 ? ` (${errors.join("; ")})` : ""}: nothing about that SKU`;
        throw status === 429 ? new ChannelError("rate_limited", message, { retryAfterMs: this.throttleBackoffMs }) : new ChannelError("unavailable", message);
      }
      for (const r of entries) {
        const item = isRecord(r.inventoryItem) ? r.inventoryItem : undefined;
        const availability = item && isRecord(item.availability) && isRecord(item.availability.shipToLocationAvailability) ? item.availability.shipToLocationAvailability : undefined;
        if (r.statusCode === 200 && typeof r.sku === "string" && typeof availability?.quantity === "number") result.set(r.sku, availability.quantity);
      }
    }
    return result;
  }

  async cancelOrder(orderId: OrderId): Promise<PushOutcome> {
    this.stats.cancelCalls += 1;
    const native = this.nativeOrderId(orderId);
    const reply = await this.call({ method: "POST", url: this.url("/post-order/v2/cancellation"), headers: { authorization: `IAF ${this.credentials.accessToken}`, "content-type": "application/json" }, body: JSON.stringify({ legacyOrderId: native, cancelReason: "OUT_OF_STOCK_OR_CANNOT_FULFILL" }) });
    if ("ok" in reply) return reply;
    const whole = this.classifyStatus(reply);
    if (whole) return whole;
    // Confirmed by the cancellation request's id (a proxy's 200 page is no cancellation) — or by eBay
    // saying the order is not eligible because a cancellation already exists (see `ineligible`).
    const parsed = parseJsonBody(reply);
    if (isRecord(parsed) && typeof parsed.cancelId === "string" && parsed.cancelId !== "") return { ok: true };
    return (isRecord(parsed) ? ineligible(parsed, native) : undefined) ?? this.unconfirmed(reply, "cancel");
  }
}

/**
 * Post-Order CreateCancelResponse: "cancelId … is returned unless the order is not eligible for
 * cancellation"; `orderEligibilityResult.failureReason` then lists why (EligibilityFailureReasonEnum,
 * developer.ebay.com). CANCELLATION_EXIST — "an open order cancellation request already exists for the
 * order" — is what a repeated cancel gets (our first call's reply timed out after eBay applied it, a crash
 * before the entry was removed, two instances): the order is cancelled, ok; answered `unavailable` instead,
 * the relay would ask again forever. Any other reason (CANCEL_WINDOW_ELAPSED, CASE_EXIST, …) is a refusal
 * about this order: `rejected`, with eBay's reasons. Not eligible without a reason confirms nothing: undefined.
 */
function ineligible(parsed: Record<string, unknown>, native: string): Failure | { ok: true } | undefined {
  const eligibility = isRecord(parsed.orderEligibilityResult) ? parsed.orderEligibilityResult : undefined;
  if (eligibility?.eligible !== false) return undefined;
  const reasons = Array.isArray(eligibility.failureReason) ? eligibility.failureReason.filter((r): r is string => typeof r === "string" && r !== "") : [];
  if (reasons.length === 0) return undefined;
  if (reasons.includes("CANCELLATION_EXIST")) return { ok: true };
  return failure("rejected", `ebay cancel: order ${native} is not eligible for cancellation: ${reasons.join(", ")}`);
}

