// Routes every mock has besides its marketplace's seller API, under `/_synclag/` so they can never be
// mistaken for a real endpoint: the buyer storefront (availability and checkout against the *visible*
// quantity) and the admin API (seed, ground truth, faults, reset, stats). Easy to get wrong: checkout
// reads the visible quantity, not the accepted one — the gap between them is what the harness measures.

import type { Sku } from "@synclag/core";
import type { FaultSettings, MarketplaceContext, SeedListing } from "./context.js";
import type { Route } from "./router.js";
import { isNonNegativeInteger, isRecord, jsonReply, parseJson, result, type WireResult } from "./wire.js";

export const STOREFRONT_PREFIX = "/_synclag/storefront";
export const ADMIN_PREFIX = "/_synclag/admin";

const MAX_GENERATED = 1_000_000;

function badRequest(message: string): WireResult {
  return result(jsonReply(400, { error: "bad_request", message }));
}

function parseSeedBody(body: string): { listings: SeedListing[] } | { error: string } {
  const parsed = parseJson(body);
  if (!parsed.ok) return { error: parsed.message };
  const value = parsed.value;
  if (!isRecord(value)) return { error: "body must be an object" };
  const listings: SeedListing[] = [];
  if (value.generate !== undefined) {
    const g = value.generate;
    if (!isRecord(g) || !isNonNegativeInteger(g.count) || !isNonNegativeInteger(g.stock) || g.count > MAX_GENERATED) return { error: `generate needs {count (≤ ${MAX_GENERATED}), stock} as non-negative integers` };
    const prefix = typeof g.prefix === "string" ? g.prefix : "sku-";
    for (let i = 1; i <= g.count; i++) listings.push({ sku: `${prefix}${i}`, quantity: g.stock });
  }
  if (value.listings !== undefined) {
    if (!Array.isArray(value.listings)) return { error: "listings must be an array" };
    for (const [i, item] of value.listings.entries()) {
      if (!isRecord(item) || typeof item.sku !== "string" || item.sku.length === 0 || !isNonNegativeInteger(item.quantity)) return { error: `listings.${i}: needs {sku: non-empty string, quantity: non-negative integer, version?: integer}` };
      if (item.version !== undefined && !isNonNegativeInteger(item.version)) return { error: `listings.${i}.version must be a non-negative integer` };
      listings.push(item.version === undefined ? { sku: item.sku, quantity: item.quantity } : { sku: item.sku, quantity: item.quantity, version: item.version });
    }
  }
  if (listings.length === 0) return { error: "nothing to seed: give listings:[{sku, quantity, version?}] and/or generate:{count, stock, prefix?}" };
  return { listings };
}

function parseFaults(body: string): FaultSettings | { error: string } {
  const parsed = parseJson(body);
  if (!parsed.ok) return { error: parsed.message };
  const v = parsed.value;
  if (!isRecord(v)) return { error: "body must be an object" };
  const faults: { -readonly [K in keyof FaultSettings]: FaultSettings[K] } = {};
  const rate = (name: "serverErrorRate" | "throttleFactor" | "timeoutAfterApplyRate"): string | undefined => {
    const x = v[name];
    if (x === undefined) return undefined;
    if (typeof x !== "number" || !(x >= 0 && x <= 1)) return `${name} must be a number in [0, 1]`;
    faults[name] = x;
    return undefined;
  };
  for (const name of ["serverErrorRate", "throttleFactor", "timeoutAfterApplyRate"] as const) {
    const problem = rate(name);
    if (problem) return { error: problem };
  }
  for (const name of ["outageMs", "latencyMs"] as const) {
    const x = v[name];
    if (x === undefined) continue;
    if (!isNonNegativeInteger(x)) return { error: `${name} must be a non-negative integer (ms)` };
    faults[name] = x;
  }
  const known = new Set(["outageMs", "serverErrorRate", "latencyMs", "throttleFactor", "timeoutAfterApplyRate"]);
  const unknown = Object.keys(v).filter((k) => !known.has(k));
  if (unknown.length > 0) return { error: `unknown fault(s): ${unknown.join(", ")}; known: ${[...known].join(", ")}` };
  return faults;
}

export const commonRoutes: readonly Route<MarketplaceContext>[] = [
  // --- Buyer storefront -------------------------------------------------------------------------
  {
    method: "GET",
    pattern: `${STOREFRONT_PREFIX}/items/:sku`,
    handler: (ctx, _req, params) => {
      const sku = params.sku as Sku;
      const known = ctx.entryBySku(sku) !== undefined;
      return result(jsonReply(known ? 200 : 404, { sku, available: ctx.model.availability(ctx.nowMs, sku), listed: known }));
    },
  },
  {
    method: "POST",
    pattern: `${STOREFRONT_PREFIX}/checkout`,
    handler: (ctx, req) => {
      const parsed = parseJson(req.body);
      if (!parsed.ok) return badRequest(parsed.message);
      const v = parsed.value;
      if (!isRecord(v) || typeof v.sku !== "string" || !(isNonNegativeInteger(v.quantity) && v.quantity >= 1)) return badRequest("body must be {sku: string, quantity: positive integer}");
      // Not a buyer turned away by a shown 0: nobody can buy what this marketplace does not list (a load
      // generator pointed at mocks seeded with another catalogue must see an error, not a quiet "sold out").
      if (ctx.entryBySku(v.sku) === undefined) return result(jsonReply(404, { error: "unknown_sku", sku: v.sku, message: `${v.sku} is not listed on the synclag ${ctx.kind} mock (seed it with the scenario's catalogue: synclag marketplaces --scenario NAME)` }));
      const outcome = ctx.checkout(v.sku, v.quantity);
      if (!outcome.ok) return result(jsonReply(409, { error: "insufficient_stock", sku: v.sku, requested: v.quantity, shown: outcome.shown }));
      return result(jsonReply(201, { orderId: outcome.order.nativeId, sku: v.sku, quantity: v.quantity, shown: outcome.shown, createdAtMs: outcome.order.createdAtMs }));
    },
  },
  // --- Admin --------------------------------------------------------------------------------------
  {
    method: "GET",
    pattern: ADMIN_PREFIX,
    handler: (ctx) =>
      result(
        jsonReply(200, {
          kind: ctx.kind,
          channel: ctx.channel,
          endpoints: {
            "POST /_synclag/admin/listings": "seed: {listings:[{sku, quantity, version?}]} and/or {generate:{count, stock, prefix?}}",
            "GET /_synclag/admin/listings[?timeline=1]": "ground truth of every listing",
            "GET /_synclag/admin/listings/{sku}": "ground truth of one listing with its timeline",
            "POST /_synclag/admin/faults": "{outageMs? (503s until that long from now; 0 ends an injected outage), serverErrorRate?, latencyMs?, throttleFactor?, timeoutAfterApplyRate?}",
            "POST /_synclag/admin/reset": "forget listings, orders, faults and pending notifications",
            "GET /_synclag/admin/stats": "call counters, notifications, cancellations",
            "GET /_synclag/admin/orders": "orders placed through the storefront",
            "GET /_synclag/storefront/items/{sku}": "buyer view: visible quantity (404 with listed: false when not listed)",
            "POST /_synclag/storefront/checkout": "buyer checkout: {sku, quantity} → 201 order, 409 insufficient_stock (shown too little), 404 unknown_sku (not listed)",
          },
        }),
      ),
  },
  {
    method: "POST",
    pattern: `${ADMIN_PREFIX}/listings`,
    handler: (ctx, req) => {
      const parsed = parseSeedBody(req.body);
      if ("error" in parsed) return badRequest(parsed.error);
      return result(jsonReply(200, { seeded: ctx.seed(parsed.listings) }));
    },
  },
  { method: "GET", pattern: `${ADMIN_PREFIX}/listings`, handler: (ctx, req) => result(jsonReply(200, { listings: ctx.truthAll(req.query.get("timeline") === "1") })) },
  {
    method: "GET",
    pattern: `${ADMIN_PREFIX}/listings/:sku`,
    handler: (ctx, _req, params) => {
      const truth = ctx.truth(params.sku as Sku);
      return result(truth === undefined ? jsonReply(404, { error: "not_found", sku: params.sku }) : jsonReply(200, truth));
    },
  },
  {
    method: "POST",
    pattern: `${ADMIN_PREFIX}/faults`,
    handler: (ctx, req) => {
      const faults = parseFaults(req.body);
      if ("error" in faults) return badRequest(faults.error);
      return result(jsonReply(200, { faults: ctx.injectFaults(faults) }));
    },
  },
  {
    method: "POST",
    pattern: `${ADMIN_PREFIX}/reset`,
    handler: (ctx) => {
      ctx.reset();
      return result(jsonReply(200, { reset: true }));
    },
  },
  { method: "GET", pattern: `${ADMIN_PREFIX}/stats`, handler: (ctx) => result(jsonReply(200, ctx.stats())) },
  { method: "GET", pattern: `${ADMIN_PREFIX}/orders`, handler: (ctx) => result(jsonReply(200, { orders: ctx.orders() })) },
];
