// Amazon Selling Partner API, Listings Items 2021-08-01, as the mock speaks it: `patchListingsItem`
// for quantity (ACCEPTED now, visible after the model's delay; validation failures are INVALID inside
// a 200; `mode=VALIDATION_PREVIEW` validates without applying, VALID or INVALID), `getListingsItem`
// and `searchListingsItems` for reads, a token bucket answering 429 `QuotaExceeded`.
// `searchListingsItems` (`GET /items/{sellerId}`): with `identifiers` (≤ 20, `identifiersType` required
// with them and vice versa) the items found among them — a SKU without a listing is simply absent;
// without, the seller's listings in seed order. Either way paged by `pageSize` (1–20, default 10) with
// `pagination.nextToken`/`previousToken`, at most 1,000 results paged through (`numberOfResults` is still
// the total). `includedData` defaults to `summaries` (a minimal entry: marketplaceId, productType,
// status; the dates are stand-ins, the mock keeps none); `fulfillmentAvailability` and `issues` (none)
// only when asked; the other data sets are accepted and left out. Mock choices: `identifiersType` other
// than SKU is a 400 (the listings carry no ASIN, EAN, …: a quiet empty answer would read as "no
// listing"), and so is a filter it does not implement (variationParentSku, withStatus, createdAfter, …)
// rather than be ignored; `sortBy`/`sortOrder` are checked against their enums, the order stays seed order.
// Reads (by SKU or search) are one model read each and are not charged to the rate limit — the bucket
// is the updates' (as the simulator bills them); a search during an outage is a 503.
// Easy to get wrong: `x-amzn-RateLimit-Limit` is sent on 200/400 only (not on 429), and `Issue`
// requires `categories` in the official model — replies are validated against it in the tests.

import type { ItemResult, UpdateReply } from "@synclag/marketplaces";
import type { MarketplaceContext } from "./context.js";
import type { Route } from "./router.js";
import { counterUuid, isRecord, jsonReply, parseJson, result, type WireReply, type WireRequest, type WireResult } from "./wire.js";

export const AMAZON_LISTINGS_PATH = "/listings/2021-08-01/items";
/** Stand-in: SP-API cancels MFN orders through an order-acknowledgement feed, not a REST call. */
export const AMAZON_CANCEL_STAND_IN_PATH = "/_synclag/stand-in/amazon/orders";

function errorList(status: number, code: string, message: string, headers: Record<string, string> = {}): WireReply {
  return jsonReply(status, { errors: [{ code, message, details: "" }] }, headers);
}

function commonHeaders(ctx: MarketplaceContext, withRateLimit: boolean): Record<string, string> {
  const headers: Record<string, string> = { "x-amzn-requestid": counterUuid(0xa3a2, ctx.nextId("amazon-request")) };
  if (withRateLimit) {
    const limit = ctx.model.profile.rateLimit;
    headers["x-amzn-ratelimit-limit"] = limit.kind === "token-bucket" ? limit.ratePerSecond.toFixed(1) : "5.0";
  }
  return headers;
}

/** Checks auth, seller and marketplace; a reply when the request must be refused. */
function guard(ctx: MarketplaceContext, req: WireRequest, sellerId: string | undefined): WireReply | undefined {
  const creds = ctx.credentials.amazon;
  if (req.headers["x-amz-access-token"] !== creds.accessToken) return errorList(403, "Unauthorized", "Access to requested resource is denied.", commonHeaders(ctx, false));
  if (sellerId !== undefined && sellerId !== creds.sellerId) return errorList(403, "Unauthorized", "Access to requested resource is denied.", commonHeaders(ctx, false));
  const marketplaces = (req.query.get("marketplaceIds") ?? "").split(",").filter(Boolean);
  if (marketplaces.length === 0) return errorList(400, "InvalidInput", "Missing required 'marketplaceIds' query parameter.", commonHeaders(ctx, true));
  if (!marketplaces.includes(creds.marketplaceId)) return errorList(400, "InvalidInput", `Invalid 'marketplaceIds' provided: ${marketplaces.join(",")}.`, commonHeaders(ctx, true));
  return undefined;
}

/** The quantity a patch sets, or why it cannot be read (INVALID). */
function quantityFromPatches(patches: readonly unknown[]): { quantity: number } | { problem: string } {
  for (const patch of patches) {
    if (!isRecord(patch) || patch.path !== "/attributes/fulfillment_availability") continue;
    if (patch.op !== "replace" && patch.op !== "merge" && patch.op !== "add") return { problem: `op ${JSON.stringify(patch.op)} cannot set fulfillment_availability` };
    const values = Array.isArray(patch.value) ? patch.value : [];
    const entry = values.find((v): v is Record<string, unknown> => isRecord(v) && (v.fulfillment_channel_code ?? "DEFAULT") === "DEFAULT");
    if (!entry) return { problem: "fulfillment_availability needs an entry with fulfillment_channel_code DEFAULT" };
    // Negative integers go on to the model, which rejects them like any other invalid value.
    if (typeof entry.quantity !== "number" || !Number.isInteger(entry.quantity)) return { problem: `quantity must be an integer, got ${JSON.stringify(entry.quantity)}` };
    return { quantity: entry.quantity };
  }
  return { problem: "no patch of /attributes/fulfillment_availability" };
}

function invalid(ctx: MarketplaceContext, sku: string, code: string, message: string): WireResult {
  const issue = { code, message, severity: "ERROR", attributeNames: ["fulfillment_availability"], categories: ["INVALID_ATTRIBUTE"] };
  return result(jsonReply(200, { sku, status: "INVALID", submissionId: counterUuid(0x5b, ctx.nextId("amazon-submission")), issues: [issue] }, commonHeaders(ctx, true)));
}

const ISSUE_CODES: Readonly<Record<Exclude<ItemResult, { ok: true }>["code"], string>> = {
  NOT_FOUND: "4000001",
  INVALID_QUANTITY: "4000002",
  INVALID: "90220",
  REVISION_LIMIT: "4000003",
};

/**
 * `mode=VALIDATION_PREVIEW`: the checks an update meets (a listed SKU, a non-negative integer
 * quantity), answered VALID or INVALID and never applied. Still a call: refused during an outage and
 * charged to the rate limit like an update.
 */
function preview(ctx: MarketplaceContext, sku: string, target: { quantity: number } | { problem: string }): WireResult {
  if (ctx.model.isDown(ctx.nowMs)) return result(errorList(503, "ServiceUnavailable", "Service temporarily unavailable.", commonHeaders(ctx, false)));
  if (!ctx.model.chargeCall(ctx.nowMs, 1).admitted) return result(errorList(429, "QuotaExceeded", "You exceeded your quota for the requested resource.", commonHeaders(ctx, false)));
  if ("problem" in target) return invalid(ctx, sku, ISSUE_CODES.INVALID, target.problem);
  if (!ctx.model.listing(sku)) return invalid(ctx, sku, ISSUE_CODES.NOT_FOUND, `no listing for SKU ${JSON.stringify(sku)}`);
  if (target.quantity < 0) return invalid(ctx, sku, ISSUE_CODES.INVALID_QUANTITY, `quantity must be a non-negative integer, got ${target.quantity}`);
  return result(jsonReply(200, { sku, status: "VALID", submissionId: counterUuid(0x5b, ctx.nextId("amazon-submission")), issues: [] }, commonHeaders(ctx, true)));
}

function encodeUpdate(ctx: MarketplaceContext, sku: string, reply: UpdateReply): WireResult {
  switch (reply.kind) {
    case "unavailable":
      return result(reply.status === 503 ? errorList(503, "ServiceUnavailable", "Service temporarily unavailable.", commonHeaders(ctx, false)) : errorList(500, "InternalFailure", "We encountered an internal error. Please try again.", commonHeaders(ctx, false)));
    case "throttled":
      return result(errorList(429, "QuotaExceeded", "You exceeded your quota for the requested resource.", commonHeaders(ctx, false)));
    case "too-large":
      return result(errorList(413, "RequestEntityTooLarge", `The request has ${reply.received} items, the limit is ${reply.limit}.`, commonHeaders(ctx, false)));
    case "applied": {
      const item = reply.items[0];
      if (item && !item.ok) return { ...invalid(ctx, sku, ISSUE_CODES[item.code], item.message), applied: true, replyLost: reply.replyLost };
      const body = { sku, status: "ACCEPTED", submissionId: counterUuid(0x5b, ctx.nextId("amazon-submission")), issues: [] };
      return result(jsonReply(200, body, commonHeaders(ctx, true)), { applied: true, replyLost: reply.replyLost });
    }
  }
}

/** `searchListingsItems`' enums and limits (the official model). */
const IDENTIFIER_TYPES: ReadonlySet<string> = new Set(["ASIN", "EAN", "FNSKU", "GTIN", "ISBN", "JAN", "MINSAN", "SKU", "UPC"]);
const INCLUDED_DATA: ReadonlySet<string> = new Set(["summaries", "attributes", "issues", "offers", "fulfillmentAvailability", "procurement", "relationships", "productTypes"]);
const SORT_BY: ReadonlySet<string> = new Set(["sku", "createdDate", "lastUpdatedDate"]);
const SORT_ORDER: ReadonlySet<string> = new Set(["ASC", "DESC"]);
const MAX_IDENTIFIERS = 20;
const MAX_PAGE_SIZE = 20;
const DEFAULT_PAGE_SIZE = 10;
/** "The maximum number of items (SKUs) that can be returned and paged through is 1000." */
const MAX_PAGED_RESULTS = 1_000;
/** Filters of the model the mock does not implement: refused, never ignored (an unfiltered answer would look filtered). */
const UNSUPPORTED_FILTERS = ["variationParentSku", "packageHierarchySku", "createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore", "withIssueSeverity", "withStatus", "withoutStatus"];

const TOKEN_PREFIX = "synclag-offset:";
const pageToken = (offset: number): string => Buffer.from(`${TOKEN_PREFIX}${offset}`, "utf8").toString("base64url");

/** The offset a page token stands for; undefined when the mock never gave it. */
function tokenOffset(token: string): number | undefined {
  const text = Buffer.from(token, "base64url").toString("utf8");
  if (!text.startsWith(TOKEN_PREFIX)) return undefined;
  const offset = Number(text.slice(TOKEN_PREFIX.length));
  return Number.isInteger(offset) && offset >= 0 && offset < MAX_PAGED_RESULTS && pageToken(offset) === token ? offset : undefined;
}

/** A comma-delimited query parameter (`collectionFormat: csv`): undefined when absent, empty entries dropped. */
function csv(req: WireRequest, name: string): string[] | undefined {
  const value = req.query.get(name);
  return value === null ? undefined : value.split(",").filter((v) => v !== "");
}

interface SearchQuery {
  readonly identifiers?: readonly string[];
  readonly includedData: ReadonlySet<string>;
  readonly pageSize: number;
  readonly offset: number;
}

/** The search's query as the model defines it, or the problem to answer 400 with. */
function searchQuery(req: WireRequest): SearchQuery | { problem: string } {
  const unsupported = UNSUPPORTED_FILTERS.find((name) => req.query.has(name));
  if (unsupported) return { problem: `'${unsupported}' is not supported by the synclag mock (it keeps no variations, package hierarchies, dates or issues to filter on).` };
  const identifiers = csv(req, "identifiers");
  const type = req.query.get("identifiersType");
  if (identifiers !== undefined && identifiers.length === 0) return { problem: "Invalid 'identifiers' provided: the list is empty." };
  if (identifiers !== undefined && identifiers.length > MAX_IDENTIFIERS) return { problem: `Invalid 'identifiers' provided: ${identifiers.length} identifiers, at most ${MAX_IDENTIFIERS} are allowed.` };
  if (identifiers !== undefined && type === null) return { problem: "Missing required 'identifiersType' query parameter: it is required when 'identifiers' is provided." };
  if (type !== null && identifiers === undefined) return { problem: "Missing required 'identifiers' query parameter: it is required when 'identifiersType' is provided." };
  if (type !== null && !IDENTIFIER_TYPES.has(type)) return { problem: `Invalid 'identifiersType' provided: ${JSON.stringify(type)}; one of ${[...IDENTIFIER_TYPES].join(", ")}.` };
  if (type !== null && type !== "SKU") return { problem: `identifiersType ${type} is not supported by the synclag mock: its listings carry no ${[...IDENTIFIER_TYPES].filter((t) => t !== "SKU").join(", ")}; search by SKU.` };
  const included = csv(req, "includedData") ?? ["summaries"];
  const unknownData = included.find((d) => !INCLUDED_DATA.has(d));
  if (unknownData !== undefined) return { problem: `Invalid 'includedData' provided: ${JSON.stringify(unknownData)}; one of ${[...INCLUDED_DATA].join(", ")}.` };
  const sortBy = req.query.get("sortBy");
  if (sortBy !== null && !SORT_BY.has(sortBy)) return { problem: `Invalid 'sortBy' provided: ${JSON.stringify(sortBy)}; one of ${[...SORT_BY].join(", ")}.` };
  const sortOrder = req.query.get("sortOrder");
  if (sortOrder !== null && !SORT_ORDER.has(sortOrder)) return { problem: `Invalid 'sortOrder' provided: ${JSON.stringify(sortOrder)}; one of ${[...SORT_ORDER].join(", ")}.` };
  const sizeText = req.query.get("pageSize");
  const pageSize = sizeText === null ? DEFAULT_PAGE_SIZE : /^\d+$/.test(sizeText) ? Number(sizeText) : Number.NaN;
  if (!(pageSize >= 1 && pageSize <= MAX_PAGE_SIZE)) return { problem: `Invalid 'pageSize' provided: ${JSON.stringify(sizeText)}; an integer from 1 to ${MAX_PAGE_SIZE}.` };
  const token = req.query.get("pageToken");
  const offset = token === null ? 0 : tokenOffset(token);
  if (offset === undefined) return { problem: "Invalid 'pageToken' provided: not a token this search gave." };
  return { ...(identifiers === undefined ? {} : { identifiers }), includedData: new Set(included), pageSize, offset };
}

/** One listings item of a search reply, with the data sets asked for. */
function searchItem(ctx: MarketplaceContext, sku: string, quantity: number, included: ReadonlySet<string>): Record<string, unknown> {
  const item: Record<string, unknown> = { sku };
  if (included.has("summaries")) {
    // Stand-in dates: the mock keeps no listing dates (the model requires both).
    const date = new Date(ctx.nowMs).toISOString();
    const shown = ctx.model.listing(sku)?.visibleQuantity ?? 0;
    item.summaries = [{ marketplaceId: ctx.credentials.amazon.marketplaceId, productType: "PRODUCT", status: shown > 0 ? ["BUYABLE", "DISCOVERABLE"] : ["DISCOVERABLE"], createdDate: date, lastUpdatedDate: date }];
  }
  if (included.has("issues")) item.issues = [];
  if (included.has("fulfillmentAvailability")) item.fulfillmentAvailability = [{ fulfillmentChannelCode: "DEFAULT", quantity }];
  return item;
}

/**
 * `searchListingsItems`: the items found (among `identifiers`, or every listing in seed order), one
 * page of them. One model read for the SKUs of the page (`readQuantities`, as getListingsItem), never
 * charged to the rate limit.
 */
function search(ctx: MarketplaceContext, req: WireRequest): WireResult {
  const query = searchQuery(req);
  if ("problem" in query) return result(errorList(400, "InvalidInput", query.problem, commonHeaders(ctx, true)));
  if (ctx.model.isDown(ctx.nowMs)) return result(errorList(503, "ServiceUnavailable", "Service temporarily unavailable.", commonHeaders(ctx, false)));
  let found: { sku: string; quantity: number }[];
  let total: number;
  if (query.identifiers !== undefined) {
    const asked = [...new Set(query.identifiers)];
    const quantities = ctx.model.readQuantities(ctx.nowMs, asked);
    const all = asked.flatMap((sku) => {
      const quantity = quantities.get(sku);
      return quantity === undefined ? [] : [{ sku, quantity }];
    });
    total = all.length;
    found = all.slice(query.offset, Math.min(query.offset + query.pageSize, MAX_PAGED_RESULTS));
  } else {
    const listed = ctx.model.skus();
    total = listed.length;
    const page = listed.slice(query.offset, Math.min(query.offset + query.pageSize, MAX_PAGED_RESULTS));
    const quantities = ctx.model.readQuantities(ctx.nowMs, page);
    found = page.flatMap((sku) => {
      const quantity = quantities.get(sku);
      return quantity === undefined ? [] : [{ sku, quantity }];
    });
  }
  const end = query.offset + query.pageSize;
  const pagination: Record<string, string> = {};
  if (end < Math.min(total, MAX_PAGED_RESULTS)) pagination.nextToken = pageToken(end);
  if (query.offset > 0) pagination.previousToken = pageToken(Math.max(0, query.offset - query.pageSize));
  const body = { numberOfResults: total, ...(Object.keys(pagination).length > 0 ? { pagination } : {}), items: found.map((f) => searchItem(ctx, f.sku, f.quantity, query.includedData)) };
  return result(jsonReply(200, body, commonHeaders(ctx, true)));
}

export const amazonRoutes: readonly Route<MarketplaceContext>[] = [
  {
    method: "PATCH",
    pattern: `${AMAZON_LISTINGS_PATH}/:sellerId/:sku`,
    handler: (ctx, req, params) => {
      const sku = params.sku as string;
      const refused = guard(ctx, req, params.sellerId);
      if (refused) return result(refused);
      // The model's `mode` enum has one value; anything else is refused rather than applied as an update.
      const mode = req.query.get("mode");
      if (mode !== null && mode !== "VALIDATION_PREVIEW") return result(errorList(400, "InvalidInput", `Invalid 'mode' provided: ${JSON.stringify(mode)}; the only mode is VALIDATION_PREVIEW.`, commonHeaders(ctx, true)));
      if (!(req.headers["content-type"] ?? "").includes("application/json")) return result(errorList(415, "UnsupportedMediaType", "The request's Content-Type is not supported.", commonHeaders(ctx, false)));
      const parsed = parseJson(req.body);
      if (!parsed.ok) return result(errorList(400, "InvalidInput", parsed.message, commonHeaders(ctx, true)));
      const body = parsed.value;
      if (!isRecord(body) || typeof body.productType !== "string" || !Array.isArray(body.patches) || body.patches.length === 0) {
        return result(errorList(400, "InvalidInput", "Request body must have productType (string) and patches (non-empty array).", commonHeaders(ctx, true)));
      }
      const target = quantityFromPatches(body.patches);
      if (mode === "VALIDATION_PREVIEW") return preview(ctx, sku, target);
      if ("problem" in target) {
        // Still a call: it is charged to the rate limit and can meet an outage like any other.
        const call = ctx.model.applyUpdates(ctx.nowMs, []);
        return call.kind === "applied" ? invalid(ctx, sku, "90220", target.problem) : encodeUpdate(ctx, sku, call);
      }
      const reply = ctx.model.applyUpdates(ctx.nowMs, [{ sku, quantity: target.quantity, version: ctx.versionFor(req, sku) }]);
      return encodeUpdate(ctx, sku, reply);
    },
  },
  {
    method: "GET",
    pattern: `${AMAZON_LISTINGS_PATH}/:sellerId/:sku`,
    handler: (ctx, req, params) => {
      const sku = params.sku as string;
      const refused = guard(ctx, req, params.sellerId);
      if (refused) return result(refused);
      if (ctx.model.isDown(ctx.nowMs)) return result(errorList(503, "ServiceUnavailable", "Service temporarily unavailable.", commonHeaders(ctx, false)));
      const quantity = ctx.model.readQuantities(ctx.nowMs, [sku]).get(sku);
      if (quantity === undefined) return result(errorList(404, "NOT_FOUND", `SKU '${sku}' not found in marketplace ${ctx.credentials.amazon.marketplaceId}`, commonHeaders(ctx, true)));
      return result(jsonReply(200, { sku, fulfillmentAvailability: [{ fulfillmentChannelCode: "DEFAULT", quantity }] }, commonHeaders(ctx, true)));
    },
  },
  {
    method: "GET",
    pattern: `${AMAZON_LISTINGS_PATH}/:sellerId`,
    handler: (ctx, req, params) => {
      const refused = guard(ctx, req, params.sellerId);
      return refused ? result(refused) : search(ctx, req);
    },
  },
  {
    method: "POST",
    pattern: `${AMAZON_CANCEL_STAND_IN_PATH}/:orderId/cancel`,
    handler: (ctx, req, params) => {
      if (req.headers["x-amz-access-token"] !== ctx.credentials.amazon.accessToken) return result(errorList(403, "Unauthorized", "Access to requested resource is denied.", commonHeaders(ctx, false)));
      if (ctx.model.isDown(ctx.nowMs)) return result(errorList(503, "ServiceUnavailable", "Service temporarily unavailable.", commonHeaders(ctx, false)));
      const outcome = ctx.cancelOrder(params.orderId as string);
      if (outcome === "unknown") return result(errorList(404, "NOT_FOUND", `order ${params.orderId} not found`, commonHeaders(ctx, false)));
      return result(jsonReply(200, { amazonOrderId: params.orderId, status: "Canceled", alreadyCanceled: outcome === "already-cancelled" }, commonHeaders(ctx, false)));
    },
  },
];

