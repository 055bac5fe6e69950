// WooCommerce REST API v3 as the mock speaks it: product update (`PUT /products/{id}`), batch
// (`POST /products/batch`, ≤ 100 objects, more → 413 `woocommerce_rest_request_entity_too_large`,
// per-item errors inside a 200), product lookup by SKU, order cancellation (`PUT /orders/{id}`, which
// puts the order's units back on the products' stock, as WooCommerce core does).
// Auth: HTTP Basic with the consumer key/secret (or the `consumer_key`/`consumer_secret` query).
// Easy to get wrong: WooCommerce has no rate limit by default — a 429 only appears when a scenario
// gives the profile a limiter (a host's WAF); product ids, not SKUs, address updates.

import type { ItemResult, UpdateItem } from "@synclag/marketplaces";
import type { MarketplaceContext } from "./context.js";
import { wooProductId } from "./ids.js";
import type { Route } from "./router.js";
import { basicCredentials, isNonNegativeInteger, isRecord, jsonReply, parseJson, result, type WireReply, type WireRequest, type WireResult } from "./wire.js";

export const WOO_BASE = "/wp-json/wc/v3";

function wooError(status: number, code: string, message: string, headers: Record<string, string> = {}): WireReply {
  return jsonReply(status, { code, message, data: { status } }, headers);
}

function authorized(ctx: MarketplaceContext, req: WireRequest): boolean {
  const creds = ctx.credentials.woocommerce;
  const basic = basicCredentials(req.headers);
  if (basic) return basic[0] === creds.consumerKey && basic[1] === creds.consumerSecret;
  return req.query.get("consumer_key") === creds.consumerKey && req.query.get("consumer_secret") === creds.consumerSecret;
}

const UNAUTHORIZED = wooError(401, "woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource.");

function product(ctx: MarketplaceContext, sku: string, n: number): Record<string, unknown> {
  const quantity = ctx.model.listing(sku)?.acceptedQuantity ?? 0;
  return { id: wooProductId(n), name: `Product ${sku}`, sku, type: "simple", status: "publish", manage_stock: true, stock_quantity: quantity, stock_status: quantity > 0 ? "instock" : "outofstock" };
}

function callFailure(reply: { kind: "unavailable"; status: 500 | 503 } | { kind: "throttled"; retryAfterMs: number }): WireReply {
  if (reply.kind === "throttled") return wooError(429, "woocommerce_rest_too_many_requests", "Too many requests.", { "retry-after": String(Math.max(1, Math.ceil(reply.retryAfterMs / 1000))) });
  return reply.status === 503 ? wooError(503, "service_unavailable", "Service temporarily unavailable.") : wooError(500, "internal_server_error", "There has been a critical error on this website.");
}

/** Reads `{stock_quantity, manage_stock?}` of one update object; a message when it is invalid. */
function stockOf(value: Record<string, unknown>): { quantity: number } | { message: string } {
  if (value.manage_stock === false) return { message: "manage_stock must be true to set stock_quantity" };
  if (!isNonNegativeInteger(value.stock_quantity)) return { message: "Invalid parameter(s): stock_quantity" };
  return { quantity: value.stock_quantity };
}

function itemError(ctx: MarketplaceContext, id: unknown, item: Exclude<ItemResult, { ok: true }>): Record<string, unknown> {
  const [code, status] = item.code === "NOT_FOUND" ? ["woocommerce_rest_product_invalid_id", 404] : ["rest_invalid_param", 400];
  void ctx;
  return { id, error: { code, message: item.code === "NOT_FOUND" ? "Invalid ID." : item.message, data: { status } } };
}

function updateOne(ctx: MarketplaceContext, req: WireRequest, params: Readonly<Record<string, string>>): WireResult {
  if (!authorized(ctx, req)) return result(UNAUTHORIZED);
  const id = Number(params.id);
  const entry = Number.isInteger(id) ? ctx.entryByNumber(id - wooProductId(0)) : undefined;
  if (!entry) return result(wooError(404, "woocommerce_rest_product_invalid_id", "Invalid ID."));
  const parsed = parseJson(req.body);
  if (!parsed.ok || !isRecord(parsed.value)) return result(wooError(400, "rest_invalid_json", "The JSON body passed in was invalid."));
  const stock = stockOf(parsed.value);
  if ("message" in stock) return result(wooError(400, "rest_invalid_param", stock.message));
  const reply = ctx.model.applyUpdates(ctx.nowMs, [{ sku: entry.sku, quantity: stock.quantity, version: ctx.versionFor(req, entry.sku) }]);
  if (reply.kind === "unavailable" || reply.kind === "throttled") return result(callFailure(reply));
  if (reply.kind === "too-large") return result(wooError(413, "woocommerce_rest_request_entity_too_large", "Unable to accept more than 1 items for this request."));
  const item = reply.items[0];
  if (item && !item.ok) {
    const error = itemError(ctx, id, item).error as { code: string; message: string; data: { status: number } };
    return result(wooError(error.data.status, error.code, error.message), { applied: true, replyLost: reply.replyLost });
  }
  return result(jsonReply(200, product(ctx, entry.sku, entry.n)), { applied: true, replyLost: reply.replyLost });
}

function batch(ctx: MarketplaceContext, req: WireRequest): WireResult {
  if (!authorized(ctx, req)) return result(UNAUTHORIZED);
  const parsed = parseJson(req.body);
  if (!parsed.ok || !isRecord(parsed.value)) return result(wooError(400, "rest_invalid_json", "The JSON body passed in was invalid."));
  const body = parsed.value;
  const updates = Array.isArray(body.update) ? body.update : [];
  const total = updates.length + (Array.isArray(body.create) ? body.create.length : 0) + (Array.isArray(body.delete) ? body.delete.length : 0);
  const limit = ctx.model.profile.maxBatchSize;
  if (total > limit) return result(wooError(413, "woocommerce_rest_request_entity_too_large", `Unable to accept more than ${limit} items for this request.`));
  // Validate first; only valid objects reach the model; results are reassembled in request order.
  const slots: ({ kind: "error"; value: Record<string, unknown> } | { kind: "model"; index: number; id: unknown; n: number })[] = [];
  const items: UpdateItem[] = [];
  for (const [position, raw] of updates.entries()) {
    const id = isRecord(raw) ? raw.id : undefined;
    const entry = typeof id === "number" ? ctx.entryByNumber(id - wooProductId(0)) : undefined;
    if (!isRecord(raw) || !entry) {
      slots.push({ kind: "error", value: { id: id ?? 0, error: { code: "woocommerce_rest_product_invalid_id", message: "Invalid ID.", data: { status: 404 } } } });
      continue;
    }
    const stock = stockOf(raw);
    if ("message" in stock) {
      slots.push({ kind: "error", value: { id, error: { code: "rest_invalid_param", message: stock.message, data: { status: 400 } } } });
      continue;
    }
    slots.push({ kind: "model", index: items.length, id, n: entry.n });
    items.push({ sku: entry.sku, quantity: stock.quantity, version: ctx.versionFor(req, entry.sku, position) });
  }
  const reply = ctx.model.applyUpdates(ctx.nowMs, items);
  if (reply.kind === "unavailable" || reply.kind === "throttled") return result(callFailure(reply));
  if (reply.kind === "too-large") return result(wooError(413, "woocommerce_rest_request_entity_too_large", `Unable to accept more than ${reply.limit} items for this request.`));
  const update = slots.map((slot) => {
    if (slot.kind === "error") return slot.value;
    const item = reply.items[slot.index];
    if (!item) return { id: slot.id, error: { code: "internal_server_error", message: "missing result", data: { status: 500 } } };
    return item.ok ? product(ctx, item.sku, slot.n) : itemError(ctx, slot.id, item);
  });
  return result(jsonReply(200, { update }), { applied: true, replyLost: reply.replyLost });
}

function listProducts(ctx: MarketplaceContext, req: WireRequest): WireResult {
  if (!authorized(ctx, req)) return result(UNAUTHORIZED);
  if (ctx.model.isDown(ctx.nowMs)) return result(callFailure({ kind: "unavailable", status: 503 }));
  const skus = (req.query.get("sku") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  const perPage = Math.min(100, Number(req.query.get("per_page") ?? 10) || 10);
  const found = ctx.model.readQuantities(ctx.nowMs, skus.slice(0, perPage));
  const products = [...found.keys()].flatMap((sku) => {
    const entry = ctx.entryBySku(sku);
    return entry ? [product(ctx, sku, entry.n)] : [];
  });
  return result(jsonReply(200, products, { "x-wp-total": String(products.length), "x-wp-totalpages": "1" }));
}

function updateOrder(ctx: MarketplaceContext, req: WireRequest, params: Readonly<Record<string, string>>): WireResult {
  if (!authorized(ctx, req)) return result(UNAUTHORIZED);
  if (ctx.model.isDown(ctx.nowMs)) return result(callFailure({ kind: "unavailable", status: 503 }));
  const parsed = parseJson(req.body);
  if (!parsed.ok || !isRecord(parsed.value)) return result(wooError(400, "rest_invalid_json", "The JSON body passed in was invalid."));
  if (parsed.value.status !== "cancelled") return result(wooError(400, "rest_invalid_param", "The synclag mock only supports status: cancelled"));
  const id = params.id ?? "";
  // WooCommerce core restocks a cancelled order: add_action('woocommerce_order_status_cancelled',
  // 'wc_maybe_increase_stock_levels') (includes/wc-stock-functions.php) puts every line's units back on
  // the product's stock_quantity — once, since it clears the order's "stock reduced" mark.
  const outcome = ctx.cancelOrder(id, { restock: true });
  if (outcome === "unknown") return result(wooError(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID."));
  const order = ctx.findOrder(id);
  return result(jsonReply(200, { id: Number(id), status: "cancelled", line_items: order ? [{ sku: order.sku, quantity: order.quantity }] : [] }));
}

export const wooCommerceRoutes: readonly Route<MarketplaceContext>[] = [
  { method: "GET", pattern: `${WOO_BASE}/products`, handler: (ctx, req) => listProducts(ctx, req) },
  { method: "POST", pattern: `${WOO_BASE}/products/batch`, handler: (ctx, req) => batch(ctx, req) },
  ...(["PUT", "PATCH", "POST"] as const).map((method) => ({ method, pattern: `${WOO_BASE}/products/:id`, handler: updateOne })),
  ...(["PUT", "PATCH", "POST"] as const).map((method) => ({ method, pattern: `${WOO_BASE}/orders/:id`, handler: updateOrder })),
];
