// eBay Sell Inventory API as the mock speaks it: `bulk_update_price_quantity` (≤ 25 requests; 200
// when every entry succeeded, 207 multi-status otherwise, per-entry `statusCode` and `errors`;
// 250 revisions per listing per day), `bulk_get_inventory_item` for reads, the Post-Order
// cancellation (a repeat answered "not eligible: CANCELLATION_EXIST", without a cancelId), and the Notification API's public-key lookup used to verify `X-EBAY-SIGNATURE` (the
// PEM on one line, as eBay serves it).
// Easy to get wrong: a listing shows min(ship-to-location quantity, offer quantity) (D) — both are
// remembered per SKU, so an offer quantity set once keeps capping the listing when a later call sets
// only the ship-to-location quantity (as the channel client does), and a sale takes its units off
// both; reads return the inventory item's ship-to-location quantity, not the cap. A 207 carries a body
// the official model does not describe — it is the 200's shape.

import type { UpdateItem } from "@synclag/marketplaces";
import type { MarketplaceContext } from "./context.js";
import { ebayOfferId } from "./ids.js";
import type { Route } from "./router.js";
import { bearerToken, isNonNegativeInteger, isRecord, jsonReply, parseJson, result, type WireReply, type WireRequest, type WireResult } from "./wire.js";

export const EBAY_INVENTORY_BASE = "/sell/inventory/v1";

interface EbayError {
  readonly errorId: number;
  readonly domain: string;
  readonly category: string;
  readonly message: string;
}

const err = (errorId: number, category: string, message: string, domain = "API_INVENTORY"): EbayError => ({ errorId, domain, category, message });

function errors(status: number, list: readonly EbayError[]): WireReply {
  return jsonReply(status, { errors: list });
}

function authorized(ctx: MarketplaceContext, req: WireRequest): boolean {
  return bearerToken(req.headers) === ctx.credentials.ebay.accessToken;
}

const UNAUTHORIZED = errors(401, [err(1001, "REQUEST", "Invalid access token", "OAuth")]);

function callFailure(reply: { kind: "unavailable"; status: 500 | 503 } | { kind: "throttled"; retryAfterMs: number }): WireReply {
  if (reply.kind === "throttled") return errors(429, [err(2001, "REQUEST", "Too many requests. The request limit has been reached for the resource.", "ACCESS")]);
  return errors(reply.status, [err(25001, "APPLICATION", "A system error has occurred. ")]);
}

function bulkUpdate(ctx: MarketplaceContext, req: WireRequest): WireResult {
  if (!authorized(ctx, req)) return result(UNAUTHORIZED);
  const parsed = parseJson(req.body);
  if (!parsed.ok || !isRecord(parsed.value) || !Array.isArray(parsed.value.requests)) return result(errors(400, [err(25709, "REQUEST", "Invalid value for requests. ")]));
  const requests = parsed.value.requests;
  const limit = ctx.model.profile.maxBatchSize;
  if (requests.length === 0 || requests.length > limit) return result(errors(400, [err(25709, "REQUEST", `Invalid value for requests. Between 1 and ${limit} entries are allowed.`)]));
  type Slot = { readonly sku: string; readonly offerId?: string } & ({ readonly error: EbayError } | { readonly index: number; readonly shipTo: number; readonly offer: number | undefined });
  const slots: Slot[] = [];
  const items: UpdateItem[] = [];
  const seen = new Set<string>();
  for (const [position, raw] of requests.entries()) {
    const sku = isRecord(raw) && typeof raw.sku === "string" ? raw.sku : "";
    const entry = ctx.entryBySku(sku);
    if (!isRecord(raw) || !entry) {
      slots.push({ sku, error: err(25702, "REQUEST", `SKU ${sku} is not available in the system`) });
      continue;
    }
    if (seen.has(sku)) {
      slots.push({ sku, error: err(25734, "REQUEST", "SKU should be unique in the request.") });
      continue;
    }
    seen.add(sku);
    const shipTo = isRecord(raw.shipToLocationAvailability) ? raw.shipToLocationAvailability.quantity : undefined;
    const offers = Array.isArray(raw.offers) ? raw.offers.filter(isRecord) : [];
    const offer = offers[0];
    if (offers.length > 1 || (offer && offer.offerId !== ebayOfferId(entry.n))) {
      slots.push({ sku, ...(typeof offer?.offerId === "string" ? { offerId: offer.offerId } : {}), error: err(25709, "REQUEST", "Invalid value for offerId. ") });
      continue;
    }
    const offerQuantity = offer?.availableQuantity;
    if ((shipTo !== undefined && !isNonNegativeInteger(shipTo)) || (offerQuantity !== undefined && !isNonNegativeInteger(offerQuantity)) || (shipTo === undefined && offerQuantity === undefined)) {
      slots.push({ sku, error: err(25709, "REQUEST", "Invalid value for quantity. A non-negative integer shipToLocationAvailability.quantity or offers[].availableQuantity is required.") });
      continue;
    }
    // The listing shows min(ship-to-location quantity, offer quantity) (D): what this call leaves out keeps its last value.
    const before = ctx.ebayListingQuantities(sku);
    const offerAfter = offerQuantity ?? before?.offer;
    const shipToAfter = shipTo ?? before?.shipTo ?? (offerAfter as number);
    const quantity = Math.min(shipToAfter, offerAfter ?? Number.POSITIVE_INFINITY);
    slots.push({ sku, ...(offer ? { offerId: ebayOfferId(entry.n) } : {}), index: items.length, shipTo: shipToAfter, offer: offerAfter });
    items.push({ sku, quantity, version: ctx.versionFor(req, sku, position) });
  }
  const reply = ctx.model.applyUpdates(ctx.nowMs, items);
  if (reply.kind === "unavailable" || reply.kind === "throttled") return result(callFailure(reply));
  if (reply.kind === "too-large") return result(errors(400, [err(25709, "REQUEST", `Invalid value for requests. At most ${reply.limit} entries are allowed.`)]));
  let allOk = true;
  const responses = slots.map((slot) => {
    const base = { sku: slot.sku, ...(slot.offerId ? { offerId: slot.offerId } : {}) };
    if ("error" in slot) {
      allOk = false;
      return { ...base, statusCode: 400, errors: [slot.error] };
    }
    const item = reply.items[slot.index];
    if (item?.ok) {
      ctx.setEbayListingQuantities(slot.sku, { shipTo: slot.shipTo, offer: slot.offer });
      return { ...base, statusCode: 200 };
    }
    allOk = false;
    const message = item?.code === "REVISION_LIMIT" ? `This listing has reached the limit of ${ctx.model.profile.revisionsPerListingPerDay ?? 250} revisions for today. ${item.message}` : (item?.message ?? "missing result");
    return { ...base, statusCode: 400, errors: [err(25002, "REQUEST", `Any User error. ${message}`)] };
  });
  return result(jsonReply(allOk ? 200 : 207, { responses }), { applied: true, replyLost: reply.replyLost });
}

function bulkGet(ctx: MarketplaceContext, req: WireRequest): WireResult {
  if (!authorized(ctx, req)) return result(UNAUTHORIZED);
  if (ctx.model.isDown(ctx.nowMs)) return result(callFailure({ kind: "unavailable", status: 503 }));
  const parsed = parseJson(req.body);
  if (!parsed.ok || !isRecord(parsed.value) || !Array.isArray(parsed.value.requests)) return result(errors(400, [err(25709, "REQUEST", "Invalid request. Invalid value for field requests")]));
  const skus = parsed.value.requests.map((r) => (isRecord(r) && typeof r.sku === "string" ? r.sku : ""));
  if (skus.length > ctx.model.profile.maxBatchSize) return result(errors(400, [err(25727, "REQUEST", `The number of InventoryItems in the request cannot exceed ${ctx.model.profile.maxBatchSize}.`)]));
  const found = ctx.model.readQuantities(ctx.nowMs, skus);
  let allOk = true;
  const responses = skus.map((sku) => {
    // The inventory item's own quantity: an offer quantity below it caps the listing, not this figure.
    const quantity = found.has(sku) ? (ctx.ebayListingQuantities(sku)?.shipTo ?? found.get(sku)) : undefined;
    if (quantity === undefined) {
      allOk = false;
      return { sku, statusCode: 404, errors: [err(25710, "REQUEST", "We didn't find the resource/entity you are requesting. Please verify the request")] };
    }
    return { sku, statusCode: 200, inventoryItem: { sku, locale: "en_US", condition: "NEW", availability: { shipToLocationAvailability: { quantity } } } };
  });
  return result(jsonReply(allOk ? 200 : 207, { responses }));
}

function cancel(ctx: MarketplaceContext, req: WireRequest): WireResult {
  if (!authorized(ctx, req)) return result(UNAUTHORIZED);
  if (ctx.model.isDown(ctx.nowMs)) return result(callFailure({ kind: "unavailable", status: 503 }));
  const parsed = parseJson(req.body);
  const orderId = parsed.ok && isRecord(parsed.value) && typeof parsed.value.legacyOrderId === "string" ? parsed.value.legacyOrderId : undefined;
  if (!orderId) return result(errors(400, [err(1200, "REQUEST", "legacyOrderId is required", "API_POSTORDER")]));
  const outcome = ctx.cancelOrder(orderId);
  if (outcome === "unknown") return result(errors(404, [err(1201, "REQUEST", `Order ${orderId} was not found`, "API_POSTORDER")]));
  // A repeat (our reply lost, a second instance): CreateCancelResponse "cancelId … is returned unless the
  // order is not eligible for cancellation"; the reason, from EligibilityFailureReasonEnum, is
  // CANCELLATION_EXIST — "an open order cancellation request already exists for the order" (developer.ebay.com).
  if (outcome === "already-cancelled") return result(jsonReply(200, { orderEligibilityResult: { legacyOrderId: orderId, eligible: false, failureReason: ["CANCELLATION_EXIST"] } }));
  return result(jsonReply(201, { cancelId: String(5_000_000_000 + ctx.nextId("ebay-cancel")), cancelStatus: "CANCEL_CLOSED_WITH_REFUND" }));
}

function publicKey(ctx: MarketplaceContext, req: WireRequest, params: Readonly<Record<string, string>>): WireResult {
  if (!authorized(ctx, req)) return result(UNAUTHORIZED);
  const key = ctx.notificationPublicKey(params.keyId ?? "");
  if (!key) return result(errors(404, [err(195001, "REQUEST", "The specified public key was not found.", "API_NOTIFICATION")]));
  return result(jsonReply(200, { algorithm: "ECDSA", digest: "SHA1", key }));
}

export const ebayRoutes: readonly Route<MarketplaceContext>[] = [
  { method: "POST", pattern: `${EBAY_INVENTORY_BASE}/bulk_update_price_quantity`, handler: (ctx, req) => bulkUpdate(ctx, req) },
  { method: "POST", pattern: `${EBAY_INVENTORY_BASE}/bulk_get_inventory_item`, handler: (ctx, req) => bulkGet(ctx, req) },
  { method: "POST", pattern: "/post-order/v2/cancellation", handler: (ctx, req) => cancel(ctx, req) },
  { method: "GET", pattern: "/commerce/notification/v1/public_key/:keyId", handler: publicKey },
];
