// Flipkart Marketplace Seller API as the mock speaks it: OAuth2 client-credentials tokens,
// `POST /sellers/listings/v3/update/inventory` keyed by seller SKU (≤ 10 SKUs; per-SKU
// SUCCESS/FAILURE inside a 200), a listing read, and a shipment-cancel stand-in.
// Easy to get wrong: the body is an *object keyed by SKU* — a SKU that looks like a number would be
// reordered by a JS object, so per-SKU versions travel by name (`X-Synclag-Version: sku=v&…`), never
// by position. Flipkart's rate limits are unpublished: the profile's limiter is an inference.

import type { UpdateItem } from "@synclag/marketplaces";
import type { MarketplaceContext } from "./context.js";
import { flipkartFsn } from "./ids.js";
import type { Route } from "./router.js";
import { basicCredentials, bearerToken, isNonNegativeInteger, isRecord, jsonReply, parseJson, result, type WireReply, type WireRequest, type WireResult } from "./wire.js";

export const FLIPKART_TOKEN_PATH = "/oauth-service/oauth/token";

function failure(status: number, code: string, description: string, headers: Record<string, string> = {}): WireReply {
  return jsonReply(status, { status: "FAILURE", errors: [{ severity: "ERROR", code, description }] }, headers);
}

function unauthorized(token: string | undefined): WireReply {
  return jsonReply(401, { error: "invalid_token", error_description: `Invalid access token: ${token ?? ""}` });
}

function issueToken(ctx: MarketplaceContext, req: WireRequest): WireResult {
  const creds = ctx.credentials.flipkart;
  const basic = basicCredentials(req.headers);
  if (!basic || basic[0] !== creds.appId || basic[1] !== creds.appSecret) return result(jsonReply(401, { error: "unauthorized", error_description: "Bad credentials" }));
  if (req.query.get("grant_type") !== "client_credentials") return result(jsonReply(400, { error: "unsupported_grant_type", error_description: `Unsupported grant type: ${req.query.get("grant_type") ?? ""}` }));
  const { token, expiresInSeconds } = ctx.issueToken();
  return result(jsonReply(200, { access_token: token, token_type: "bearer", expires_in: expiresInSeconds, scope: req.query.get("scope") ?? "Seller_Api" }));
}

function callFailure(reply: { kind: "unavailable"; status: 500 | 503 } | { kind: "throttled"; retryAfterMs: number }): WireReply {
  if (reply.kind === "throttled") return failure(429, "REQUEST_THROTTLED", "Request rate exceeded the limit for this application.", { "retry-after": String(Math.max(1, Math.ceil(reply.retryAfterMs / 1000))) });
  return reply.status === 503 ? failure(503, "SERVICE_UNAVAILABLE", "Service temporarily unavailable.") : failure(500, "INTERNAL_ERROR", "Internal server error.");
}

function skuFailure(code: string, description: string): Record<string, unknown> {
  return { status: "FAILURE", errors: [{ severity: "ERROR", code, description }], attribute_errors: [] };
}

function updateInventory(ctx: MarketplaceContext, req: WireRequest): WireResult {
  const token = bearerToken(req.headers);
  if (!ctx.isTokenValid(token)) return result(unauthorized(token));
  const parsed = parseJson(req.body);
  if (!parsed.ok || !isRecord(parsed.value)) return result(failure(400, "INVALID_REQUEST", parsed.ok ? "Request body must be an object keyed by seller SKU." : parsed.message));
  const entries = Object.entries(parsed.value);
  const limit = ctx.model.profile.maxBatchSize;
  if (entries.length === 0) return result(failure(400, "INVALID_REQUEST", "Request has no SKUs."));
  if (entries.length > limit) return result(failure(400, "INVALID_REQUEST", `Number of SKUs in one request (${entries.length}) exceeds the limit of ${limit}.`));
  const outcome: Record<string, Record<string, unknown>> = {};
  const items: UpdateItem[] = [];
  const location = ctx.credentials.flipkart.locationId;
  for (const [sku, value] of entries) {
    const entry = ctx.entryBySku(sku);
    if (!entry) {
      outcome[sku] = skuFailure("SKU_NOT_FOUND", `Listing not found for seller SKU ${sku}.`);
      continue;
    }
    if (!isRecord(value) || value.product_id !== flipkartFsn(entry.n)) {
      outcome[sku] = skuFailure("INVALID_PRODUCT_ID", `product_id does not match the listing of ${sku}.`);
      continue;
    }
    const locations = Array.isArray(value.locations) ? value.locations : [];
    const here = locations.find((l): l is Record<string, unknown> => isRecord(l) && l.id === location);
    if (!here || locations.length !== 1) {
      outcome[sku] = skuFailure("INVALID_LOCATION", `locations must hold exactly the seller location ${location}.`);
      continue;
    }
    if (!isNonNegativeInteger(here.inventory)) {
      outcome[sku] = { status: "FAILURE", errors: [], attribute_errors: [{ attribute: "inventory", severity: "ERROR", code: "INVALID_VALUE", description: "inventory must be a non-negative integer" }] };
      continue;
    }
    items.push({ sku, quantity: here.inventory, version: ctx.versionFor(req, sku) });
  }
  const reply = ctx.model.applyUpdates(ctx.nowMs, items);
  if (reply.kind === "unavailable" || reply.kind === "throttled") return result(callFailure(reply));
  if (reply.kind === "too-large") return result(failure(400, "INVALID_REQUEST", `Number of SKUs in one request (${reply.received}) exceeds the limit of ${reply.limit}.`));
  for (const item of reply.items) {
    outcome[item.sku] = item.ok ? { status: "SUCCESS", errors: [], attribute_errors: [] } : skuFailure(item.code === "NOT_FOUND" ? "SKU_NOT_FOUND" : item.code === "INVALID_QUANTITY" ? "INVALID_VALUE" : "VALIDATION_FAILED", item.message);
  }
  // Reply keyed by SKU in request order.
  const ordered: Record<string, unknown> = {};
  for (const [sku] of entries) ordered[sku] = outcome[sku];
  return result(jsonReply(200, ordered), { applied: true, replyLost: reply.replyLost });
}

function readListings(ctx: MarketplaceContext, req: WireRequest, params: Readonly<Record<string, string>>): WireResult {
  const token = bearerToken(req.headers);
  if (!ctx.isTokenValid(token)) return result(unauthorized(token));
  if (ctx.model.isDown(ctx.nowMs)) return result(callFailure({ kind: "unavailable", status: 503 }));
  const skus = (params.skuIds ?? "").split(",").filter(Boolean);
  if (skus.length > ctx.model.profile.maxBatchSize) return result(failure(400, "INVALID_REQUEST", `At most ${ctx.model.profile.maxBatchSize} SKUs per request.`));
  const found = ctx.model.readQuantities(ctx.nowMs, skus);
  const available: Record<string, unknown> = {};
  const invalid: string[] = [];
  for (const sku of skus) {
    const quantity = found.get(sku);
    const entry = ctx.entryBySku(sku);
    if (quantity === undefined || !entry) invalid.push(sku);
    else available[sku] = { product_id: flipkartFsn(entry.n), locations: [{ id: ctx.credentials.flipkart.locationId, status: "ENABLED", inventory: quantity }] };
  }
  return result(jsonReply(200, { available, invalid }));
}

function cancelShipments(ctx: MarketplaceContext, req: WireRequest): WireResult {
  const token = bearerToken(req.headers);
  if (!ctx.isTokenValid(token)) return result(unauthorized(token));
  if (ctx.model.isDown(ctx.nowMs)) return result(callFailure({ kind: "unavailable", status: 503 }));
  const parsed = parseJson(req.body);
  const shipments = parsed.ok && isRecord(parsed.value) && Array.isArray(parsed.value.shipments) ? parsed.value.shipments : undefined;
  if (!shipments) return result(failure(400, "INVALID_REQUEST", "Body must be {shipments:[{orderId, reason}]}."));
  const statuses = shipments.map((s) => {
    const orderId = isRecord(s) && typeof s.orderId === "string" ? s.orderId : "";
    const outcome = ctx.cancelOrder(orderId);
    return { orderId, status: outcome === "unknown" ? "FAILURE" : "SUCCESS", ...(outcome === "unknown" ? { errorMessage: "Order not found" } : {}) };
  });
  return result(jsonReply(200, { shipments: statuses }));
}

export const flipkartRoutes: readonly Route<MarketplaceContext>[] = [
  { method: "GET", pattern: FLIPKART_TOKEN_PATH, handler: (ctx, req) => issueToken(ctx, req) },
  { method: "POST", pattern: FLIPKART_TOKEN_PATH, handler: (ctx, req) => issueToken(ctx, req) },
  { method: "POST", pattern: "/sellers/listings/v3/update/inventory", handler: (ctx, req) => updateInventory(ctx, req) },
  { method: "GET", pattern: "/sellers/listings/v3/:skuIds", handler: readListings },
  { method: "POST", pattern: "/sellers/v3/shipments/cancel", handler: (ctx, req) => cancelShipments(ctx, req) },
];
