// Shopify Admin API as the mock speaks it. GraphQL: `inventorySetQuantities` (absolute set with
// compare-and-set; a mismatch is a *user error*, not an HTTP error), `inventoryItems(query:"sku:…")`
// for ids and reads, `orderCancel`; cost-point throttling reported in `extensions.cost.throttleStatus`
// on every reply and `THROTTLED` when refused; an injected server error is Shopify's HTTP 200 with
// `INTERNAL_SERVER_ERROR` (an outage stays a 503). REST (legacy): `inventory_levels/set.json` with its
// own leaky bucket, `X-Shopify-Shop-Api-Call-Limit`, 429 + `Retry-After` and real 5xx.
// Easy to get wrong: the compare-and-set fields depend on the API version in the path (D, shopify.dev
// changelog): before 2026-01 only `compareQuantity` / `ignoreCompareQuantity` exist, 2026-01 adds
// `changeFromQuantity` (which overrides them when given, even as null), 2026-04 makes it mandatory
// and removes the older two — an undefined field is an `INVALID_VARIABLE` error, as in any GraphQL
// schema. Likewise `@idempotent(key:)` on the set: taken from 2026-01, mandatory from 2026-04 (D,
// changelog 2025-12-12: "calling these mutations without an idempotency directive will result in an
// error at runtime"; the error's shape is as observed, O); a key seen again with the same input
// answers the first reply without applying anything, with another input
// `IDEMPOTENCY_KEY_PARAMETER_MISMATCH`. The mock executes no GraphQL — it parses the document (syntax
// errors answer like Shopify), dispatches on the root field and reads arguments from `variables` only
// (and the directive's key); the selection set is ignored and a fixed shape is returned. Entries are
// applied one by one (valid entries land even when another entry has a user error) — an inference,
// see the ADR.

import { Kind, parse, type DirectiveNode, type DocumentNode, type OperationDefinitionNode } from "graphql";
import { SHOPIFY_MUTATION_COST, SHOPIFY_READ_BASE_COST, type LimiterState, type UpdateItem } from "@synclag/marketplaces";
import type { MarketplaceContext } from "./context.js";
import { shopifyInventoryItemGid, shopifyInventoryItemId, shopifyLocationGid, trailingNumber } from "./ids.js";
import type { Route } from "./router.js";
import { counterUuid, isRecord, jsonReply, parseJson, result, type WireReply, type WireRequest, type WireResult } from "./wire.js";

/** Shopify's REST leaky bucket on standard plans (D): 40 requests, leaking 2/s. */
export const SHOPIFY_REST_LIMIT = { kind: "leaky-bucket", capacity: 40, leakPerSecond: 2 } as const;
const MAX_QUANTITY = 1_000_000_000;
const THROTTLE_DOC = "https://shopify.dev/api/usage/rate-limits";

/**
 * What an Admin API version's `InventorySetQuantitiesInput` / `InventoryQuantityInput` accept: the
 * compare-and-set fields by release (`YYYY-MM`, compared as text; "unstable" is the newest).
 */
interface InputSchema {
  readonly version: string;
  /** `changeFromQuantity` exists (2026-01 on). */
  readonly changeFrom: boolean;
  /** … and must be given for every entry (2026-04 on). */
  readonly changeFromRequired: boolean;
  /** `compareQuantity` and `ignoreCompareQuantity` exist (until 2026-04). */
  readonly compare: boolean;
  /** The set honours `@idempotent(key:)` (2026-01 on; before, the mock ignores it). */
  readonly idempotent: boolean;
  /** … and refuses to run without it (2026-04 on). */
  readonly idempotentRequired: boolean;
}

function inputSchema(version: string): InputSchema | undefined {
  if (version !== "unstable" && !/^\d{4}-\d{2}$/.test(version)) return undefined;
  const atLeast = (release: string) => version === "unstable" || version >= release;
  return { version, changeFrom: atLeast("2026-01"), changeFromRequired: atLeast("2026-04"), compare: !atLeast("2026-04"), idempotent: atLeast("2026-01"), idempotentRequired: atLeast("2026-04") };
}

const INPUT_BASE_FIELDS = ["name", "reason", "referenceDocumentUri", "quantities"];
const ENTRY_BASE_FIELDS = ["inventoryItemId", "locationId", "quantity"];

/** Shopify's variable-coercion error: the whole request is refused before anything runs. */
function invalidVariable(input: unknown, path: readonly (string | number)[], explanation: string): WireReply {
  const message = `Variable $input of type InventorySetQuantitiesInput! was provided invalid value for ${path.join(".")} (${explanation})`;
  return jsonReply(200, { errors: [{ message, locations: [{ line: 1, column: 30 }], extensions: { code: "INVALID_VARIABLE", value: input, problems: [{ path, explanation }] } }] });
}

/** The first field of `input` the version's schema does not define, or a missing mandatory one, as an INVALID_VARIABLE reply. */
function checkInputFields(schema: InputSchema, input: Record<string, unknown>, quantities: readonly unknown[]): WireReply | undefined {
  const inputFields = new Set([...INPUT_BASE_FIELDS, ...(schema.compare ? ["ignoreCompareQuantity"] : [])]);
  const entryFields = new Set([...ENTRY_BASE_FIELDS, ...(schema.compare ? ["compareQuantity"] : []), ...(schema.changeFrom ? ["changeFromQuantity"] : [])]);
  for (const field of Object.keys(input)) if (!inputFields.has(field)) return invalidVariable(input, [field], "Field is not defined on InventorySetQuantitiesInput");
  for (const [index, entry] of quantities.entries()) {
    if (!isRecord(entry)) continue;
    for (const field of Object.keys(entry)) if (!entryFields.has(field)) return invalidVariable(input, ["quantities", index, field], "Field is not defined on InventoryQuantityInput");
    // I: the changelog says only that omitting it "returns an error" from 2026-04; a coercion error is the likeliest shape.
    if (schema.changeFromRequired && !("changeFromQuantity" in entry)) return invalidVariable(input, ["quantities", index, "changeFromQuantity"], "Expected value to be provided (changeFromQuantity is required; pass null to opt out of the check)");
  }
  return undefined;
}

interface ParsedOperation {
  readonly rootField: string;
  readonly operation: "query" | "mutation" | "subscription";
  /** The root field's `@idempotent(key:)`: absent, its key (a literal or a variable's name), or unreadable. */
  readonly idempotent?: { readonly key: string } | { readonly variable: string } | { readonly invalid: true };
}

function idempotentDirective(directives: readonly DirectiveNode[] | undefined): ParsedOperation["idempotent"] {
  const directive = directives?.find((d) => d.name.value === "idempotent");
  if (!directive) return undefined;
  const key = directive.arguments?.find((a) => a.name.value === "key")?.value;
  if (key?.kind === Kind.STRING) return { key: key.value };
  if (key?.kind === Kind.VARIABLE) return { variable: key.name.value };
  return { invalid: true };
}

const documentCache = new Map<string, ParsedOperation | { readonly syntaxError: string }>();
const DOCUMENT_CACHE_LIMIT = 256;

function parseOperation(query: string): ParsedOperation | { readonly syntaxError: string } {
  const cached = documentCache.get(query);
  if (cached) return cached;
  let parsed: ParsedOperation | { syntaxError: string };
  try {
    const doc: DocumentNode = parse(query);
    const op = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    const field = op?.selectionSet.selections.find((s) => s.kind === Kind.FIELD);
    if (op && field && field.kind === Kind.FIELD) {
      const idempotent = idempotentDirective(field.directives);
      parsed = { rootField: field.name.value, operation: op.operation, ...(idempotent ? { idempotent } : {}) };
    } else parsed = { syntaxError: "Document has no operation with a root field" };
  } catch (error) {
    parsed = { syntaxError: (error as Error).message };
  }
  if (documentCache.size >= DOCUMENT_CACHE_LIMIT) documentCache.clear();
  documentCache.set(query, parsed);
  return parsed;
}

function costExtension(ctx: MarketplaceContext, requested: number, actual: number | null, state?: LimiterState): Record<string, unknown> {
  const status = ctx.throttleStatus(state);
  return { cost: { requestedQueryCost: requested, actualQueryCost: actual, throttleStatus: { maximumAvailable: status.maximumAvailable, currentlyAvailable: status.currentlyAvailable, restoreRate: status.restoreRate } } };
}

/** Points a mutation of `items` entries costs under the profile's cost-point limiter (1 otherwise). */
function callCost(ctx: MarketplaceContext, items: number): number {
  const limit = ctx.model.profile.rateLimit;
  return limit.kind === "cost-points" ? limit.costPerCall + limit.costPerItem * items : 1;
}

function graphqlError(message: string, code: string, status = 200, extensions?: Record<string, unknown>): WireReply {
  return jsonReply(status, { errors: [{ message, extensions: { code } }], ...(extensions ? { extensions } : {}) });
}

function authorized(ctx: MarketplaceContext, req: WireRequest): boolean {
  return req.headers["x-shopify-access-token"] === ctx.credentials.shopify.accessToken;
}

const UNAUTHORIZED: WireReply = jsonReply(401, { errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" });
/** An API version that is not one (`/admin/api/latest/…`): Shopify has no such route. */
const NOT_FOUND: WireReply = jsonReply(404, { errors: "Not Found" });

function serverError(status: 500 | 503): WireReply {
  return status === 503 ? jsonReply(503, { errors: "Unavailable Shop" }) : jsonReply(500, { errors: "Internal Server Error" });
}

/**
 * A server error on the GraphQL endpoint: Shopify "returns a 200 with INTERNAL_SERVER_ERROR instead
 * of 500 in most circumstances" (shopify.dev, GraphQL status and error codes). An outage (503) stays a 503.
 */
function graphqlServerError(ctx: MarketplaceContext, status: 500 | 503): WireReply {
  if (status === 503) return serverError(503);
  const requestId = counterUuid(0x5e, ctx.nextId("shopify-request"));
  return jsonReply(200, { errors: [{ message: `Internal error. Looks like something went wrong on our end.\nRequest ID: ${requestId} (include this in support requests).`, extensions: { code: "INTERNAL_SERVER_ERROR", requestId } }] });
}

/**
 * A call refused by the cost-point limiter: THROTTLED with the cost it would have had and the
 * bucket's state — or MAX_COST_EXCEEDED when it costs more than the bucket can ever hold (the limiter
 * says "wait forever"), which no wait cures.
 */
function refusedReply(ctx: MarketplaceContext, refusal: { readonly cost: number; readonly limiter: LimiterState; readonly retryAfterMs: number }): WireReply {
  if (!Number.isFinite(refusal.retryAfterMs)) {
    const max = refusal.limiter.maximum;
    return jsonReply(200, { errors: [{ message: `Query cost is ${refusal.cost}, which exceeds the single query max cost limit (${max}).`, extensions: { code: "MAX_COST_EXCEEDED", cost: refusal.cost, maxCost: max } }] });
  }
  return jsonReply(ctx.shopifyThrottleStatus, { errors: [{ message: "Throttled", extensions: { code: "THROTTLED", documentation: THROTTLE_DOC } }], extensions: costExtension(ctx, refusal.cost, null, refusal.limiter) });
}

interface UserError {
  readonly code: string;
  readonly field: readonly string[];
  readonly message: string;
}

/**
 * The set's idempotency key, or the reply refusing the request: 2026-04 on, a set without the directive
 * is refused before anything runs ("The @idempotent directive is required for this mutation but was not
 * provided.", code BAD_REQUEST — as observed on a live store, O); a key that is not a string likewise.
 */
function idempotencyKey(schema: InputSchema, op: ParsedOperation, variables: Record<string, unknown>): { readonly key: string | undefined } | { readonly refused: WireReply } {
  const directive = schema.idempotent ? op.idempotent : undefined;
  if (!directive) return schema.idempotentRequired ? { refused: graphqlError("The @idempotent directive is required for this mutation but was not provided.", "BAD_REQUEST") } : { key: undefined };
  const key = "key" in directive ? directive.key : "variable" in directive ? variables[directive.variable] : undefined;
  if (typeof key !== "string" || key.length === 0) return { refused: graphqlError("The @idempotent directive's key must be a non-empty string.", "BAD_REQUEST") };
  return { key };
}

/** `inventorySetQuantities`: validates every entry, applies the valid ones through the model. */
function setQuantities(ctx: MarketplaceContext, req: WireRequest, schema: InputSchema, op: ParsedOperation, variables: Record<string, unknown>): WireResult {
  const input = variables.input;
  if (!isRecord(input) || !Array.isArray(input.quantities)) return result(graphqlError("Variable $input of type InventorySetQuantitiesInput! was provided invalid value", "INVALID_VARIABLE"));
  const quantities = input.quantities;
  const undefinedField = checkInputFields(schema, input, quantities);
  if (undefinedField) return result(undefinedField);
  const idempotency = idempotencyKey(schema, op, variables);
  if ("refused" in idempotency) return result(idempotency.refused);
  const key = idempotency.key;
  if (key !== undefined) {
    const first = ctx.idempotentReply(`shopify:${key}`);
    const fingerprint = JSON.stringify(input);
    // Nothing answers during an outage, a replay included.
    if (first && ctx.model.isDown(ctx.nowMs)) return result(graphqlServerError(ctx, 503));
    if (first && first.fingerprint !== fingerprint) {
      const mismatch = { code: "IDEMPOTENCY_KEY_PARAMETER_MISMATCH", field: null, message: "The same idempotency key cannot be used with different operation parameters." };
      return result(jsonReply(200, { data: { inventorySetQuantities: { inventoryAdjustmentGroup: null, userErrors: [mismatch] } } }));
    }
    // A retry of a set that ran: its first reply again, nothing applied twice.
    if (first) return result(first.reply);
    const ran = setQuantitiesOnce(ctx, req, input, quantities);
    if (ran.applied) ctx.rememberIdempotentReply(`shopify:${key}`, fingerprint, ran.reply);
    return ran;
  }
  return setQuantitiesOnce(ctx, req, input, quantities);
}

function setQuantitiesOnce(ctx: MarketplaceContext, req: WireRequest, input: Record<string, unknown>, quantities: readonly unknown[]): WireResult {
  if (quantities.length > ctx.model.profile.maxBatchSize) {
    return result(graphqlError(`The input array size of ${quantities.length} is greater than the maximum allowed of ${ctx.model.profile.maxBatchSize}.`, "MAX_INPUT_SIZE_EXCEEDED"));
  }
  const userErrors: UserError[] = [];
  if (input.name !== "available" && input.name !== "on_hand") userErrors.push({ code: "INVALID_NAME", field: ["input", "name"], message: `The quantity name must be available or on_hand, got ${JSON.stringify(input.name)}.` });
  const locationGid = shopifyLocationGid(ctx.credentials.shopify.locationId);
  const items: UpdateItem[] = [];
  const itemIndexes: number[] = [];
  const ignoreCompare = input.ignoreCompareQuantity === true;
  quantities.forEach((entry, index) => {
    const field = (name: string) => ["input", "quantities", String(index), name];
    if (!isRecord(entry)) return userErrors.push({ code: "INVALID", field: ["input", "quantities", String(index)], message: "Entry must be an object." });
    const n = trailingNumber(entry.inventoryItemId);
    const catalog = n === undefined ? undefined : ctx.entryByNumber(n - shopifyInventoryItemId(0));
    if (!catalog || entry.inventoryItemId !== shopifyInventoryItemGid(catalog.n)) return userErrors.push({ code: "INVALID_INVENTORY_ITEM", field: field("inventoryItemId"), message: "The specified inventory item could not be found." });
    if (entry.locationId !== locationGid) return userErrors.push({ code: "INVALID_LOCATION", field: field("locationId"), message: "The specified location could not be found." });
    const quantity = entry.quantity;
    if (typeof quantity !== "number" || !Number.isInteger(quantity)) return userErrors.push({ code: "INVALID", field: field("quantity"), message: "Quantity must be an integer." });
    if (quantity < 0) return userErrors.push({ code: "INVALID_QUANTITY_NEGATIVE", field: field("quantity"), message: "The quantity can't be negative." });
    if (quantity > MAX_QUANTITY) return userErrors.push({ code: "INVALID_QUANTITY_TOO_HIGH", field: field("quantity"), message: `The quantity can't be higher than ${MAX_QUANTITY}.` });
    // Compare-and-set: changeFromQuantity when given (2026-01 on; explicit null opts out, and it
    // overrides the older fields), else compareQuantity, required unless ignoreCompareQuantity (D).
    const listing = ctx.model.listing(catalog.sku);
    const current = listing?.acceptedQuantity ?? 0;
    if ("changeFromQuantity" in entry) {
      if (entry.changeFromQuantity !== null && entry.changeFromQuantity !== current) {
        return userErrors.push({ code: "CHANGE_FROM_QUANTITY_STALE", field: field("changeFromQuantity"), message: "The specified changeFromQuantity does not match the current quantity." });
      }
    } else if (!ignoreCompare) {
      if (typeof entry.compareQuantity !== "number") return userErrors.push({ code: "COMPARE_QUANTITY_REQUIRED", field: field("compareQuantity"), message: "The compareQuantity argument must be given to each quantity or ignored using ignoreCompareQuantity." });
      if (entry.compareQuantity !== current) return userErrors.push({ code: "COMPARE_QUANTITY_STALE", field: field("compareQuantity"), message: "The specified compare quantity does not match the current quantity." });
    }
    items.push({ sku: catalog.sku, quantity, version: ctx.versionFor(req, catalog.sku, index) });
    itemIndexes.push(index);
    return undefined;
  });
  const reply = ctx.model.applyUpdates(ctx.nowMs, input.name === "available" || input.name === "on_hand" ? items : []);
  switch (reply.kind) {
    case "unavailable":
      return result(graphqlServerError(ctx, reply.status));
    case "too-large":
      return result(graphqlError(`The input array size of ${reply.received} is greater than the maximum allowed of ${reply.limit}.`, "MAX_INPUT_SIZE_EXCEEDED"));
    case "throttled":
      return result(refusedReply(ctx, reply));
    case "applied": {
      const changes: unknown[] = [];
      reply.items.forEach((item, i) => {
        const index = itemIndexes[i] ?? 0;
        if (item.ok) {
          const entry = ctx.entryBySku(item.sku);
          const after = ctx.model.listing(item.sku)?.acceptedQuantity ?? 0;
          changes.push({ name: input.name, delta: null, quantityAfterChange: after, item: { id: entry ? shopifyInventoryItemGid(entry.n) : null, sku: item.sku } });
        } else {
          const code = item.code === "INVALID_QUANTITY" ? "INVALID_QUANTITY_NEGATIVE" : item.code === "NOT_FOUND" ? "INVALID_INVENTORY_ITEM" : "NON_MUTABLE_INVENTORY_ITEM";
          userErrors.push({ code, field: ["input", "quantities", String(index)], message: item.message });
        }
      });
      userErrors.sort((a, b) => Number(a.field[2] ?? -1) - Number(b.field[2] ?? -1));
      const group = changes.length === 0 ? null : { id: `gid://shopify/InventoryAdjustmentGroup/${ctx.nextId("shopify-adjustment")}`, createdAt: new Date(ctx.nowMs).toISOString(), reason: input.reason ?? "correction", referenceDocumentUri: input.referenceDocumentUri ?? null, changes };
      const requested = callCost(ctx, items.length);
      const cost = costExtension(ctx, requested, requested, reply.limiter);
      return result(jsonReply(200, { data: { inventorySetQuantities: { inventoryAdjustmentGroup: group, userErrors } }, extensions: cost }), { applied: true, replyLost: reply.replyLost });
    }
  }
}

/** Parses Shopify search syntax `sku:A OR sku:"B C"` into SKUs. */
export function parseSkuQuery(query: string): string[] {
  const skus: string[] = [];
  const pattern = /sku:(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(\S+))/g;
  for (let match = pattern.exec(query); match; match = pattern.exec(query)) {
    const raw = match[1] ?? match[2] ?? match[3] ?? "";
    skus.push(raw.replace(/\\(.)/g, "$1"));
  }
  return skus;
}

function inventoryItems(ctx: MarketplaceContext, variables: Record<string, unknown>): WireResult {
  if (ctx.model.isDown(ctx.nowMs)) return result(serverError(503));
  const skus = typeof variables.query === "string" ? parseSkuQuery(variables.query) : [];
  const first = typeof variables.first === "number" ? variables.first : 50;
  if (first > 250) return result(graphqlError("The value of first must be at most 250.", "BAD_REQUEST"));
  // Billed before it runs, from the bucket updates draw on: requested ≈ 2 + one point per node asked for (I).
  const wanted = skus.slice(0, first);
  const requested = SHOPIFY_READ_BASE_COST + wanted.length;
  const charge = ctx.model.chargeCall(ctx.nowMs, requested);
  if (!charge.admitted) return result(refusedReply(ctx, { cost: requested, limiter: charge.state, retryAfterMs: charge.retryAfterMs }));
  const found = ctx.model.readQuantities(ctx.nowMs, wanted);
  const nodes: unknown[] = [];
  for (const [sku, quantity] of found) {
    const entry = ctx.entryBySku(sku);
    if (!entry) continue;
    nodes.push({ id: shopifyInventoryItemGid(entry.n), sku, tracked: true, inventoryLevel: { location: { id: shopifyLocationGid(ctx.credentials.shopify.locationId) }, quantities: [{ name: "available", quantity }] } });
  }
  return result(jsonReply(200, { data: { inventoryItems: { nodes, pageInfo: { hasNextPage: false } } }, extensions: costExtension(ctx, requested, SHOPIFY_READ_BASE_COST + nodes.length, charge.state) }));
}

/** A mutation's cost in Shopify's calculator: 10 points (D). */
const CANCEL_COST = SHOPIFY_MUTATION_COST;

function orderCancel(ctx: MarketplaceContext, variables: Record<string, unknown>): WireResult {
  if (ctx.model.isDown(ctx.nowMs)) return result(serverError(503));
  const charge = ctx.model.chargeCall(ctx.nowMs, CANCEL_COST);
  if (!charge.admitted) return result(refusedReply(ctx, { cost: CANCEL_COST, limiter: charge.state, retryAfterMs: charge.retryAfterMs }));
  const n = trailingNumber(variables.orderId);
  const nativeId = n === undefined ? "" : String(n);
  // orderCancel's `restock`: "Whether to restock the inventory committed to the order" (shopify.dev) —
  // the engine sends false; a cancellation with true puts the units back on sale.
  const outcome = ctx.cancelOrder(nativeId, { restock: variables.restock === true });
  const userErrors = outcome === "unknown" ? [{ code: "NOT_FOUND", field: ["orderId"], message: "Order does not exist." }] : [];
  const job = outcome === "unknown" ? null : { id: `gid://shopify/Job/${ctx.nextId("shopify-job")}`, done: false };
  return result(jsonReply(200, { data: { orderCancel: { job, orderCancelUserErrors: userErrors, userErrors } }, extensions: costExtension(ctx, CANCEL_COST, CANCEL_COST, charge.state) }));
}

function graphql(ctx: MarketplaceContext, req: WireRequest, version: string): WireResult {
  if (!authorized(ctx, req)) return result(UNAUTHORIZED);
  const schema = inputSchema(version);
  if (!schema) return result(NOT_FOUND);
  const parsed = parseJson(req.body);
  if (!parsed.ok || !isRecord(parsed.value) || typeof parsed.value.query !== "string") return result(jsonReply(400, { errors: { query: "Required parameter missing or invalid" } }));
  const op = parseOperation(parsed.value.query);
  if ("syntaxError" in op) return result(graphqlError(op.syntaxError, "PARSE_ERROR"));
  const variables = isRecord(parsed.value.variables) ? parsed.value.variables : {};
  if (op.operation === "mutation" && op.rootField === "inventorySetQuantities") return setQuantities(ctx, req, schema, op, variables);
  if (op.operation === "mutation" && op.rootField === "orderCancel") return orderCancel(ctx, variables);
  if (op.operation === "query" && op.rootField === "inventoryItems") return inventoryItems(ctx, variables);
  const type = op.operation === "mutation" ? "Mutation" : "QueryRoot";
  return result(graphqlError(`Field '${op.rootField}' doesn't exist on type '${type}' (the synclag mock implements inventorySetQuantities, orderCancel and inventoryItems)`, "undefinedField"));
}

function callLimitHeader(state: LimiterState | undefined): Record<string, string> {
  if (!state || !Number.isFinite(state.maximum)) return {};
  return { "x-shopify-shop-api-call-limit": `${state.used}/${state.maximum}` };
}

/** What `inventory_levels/set.json` asks for, or the 400/422 that refuses it. */
function restSetRequest(ctx: MarketplaceContext, req: WireRequest): { readonly item: UpdateItem; readonly inventoryItemId: number } | { readonly status: 400 | 422; readonly body: unknown } {
  const parsed = parseJson(req.body);
  if (!parsed.ok || !isRecord(parsed.value)) return { status: 400, body: { errors: { inventory_level: "Required parameter missing or invalid" } } };
  const body = parsed.value;
  const inventoryItemId = typeof body.inventory_item_id === "number" ? body.inventory_item_id : Number.NaN;
  const entry = ctx.entryByNumber(inventoryItemId - shopifyInventoryItemId(0));
  if (!entry) return { status: 422, body: { errors: ["Inventory item does not exist"] } };
  if (String(body.location_id) !== ctx.credentials.shopify.locationId) return { status: 422, body: { errors: ["Location does not exist"] } };
  if (typeof body.available !== "number" || !Number.isInteger(body.available)) return { status: 422, body: { errors: { available: ["must be an integer"] } } };
  return { item: { sku: entry.sku, quantity: body.available, version: ctx.versionFor(req, entry.sku) }, inventoryItemId };
}

function restSet(ctx: MarketplaceContext, req: WireRequest): WireResult {
  if (!authorized(ctx, req)) return result(UNAUTHORIZED);
  const request = restSetRequest(ctx, req);
  // Every request is a call, refused ones included: charged to the bucket first (a full bucket answers
  // 429 before any 422) and counted in the call-limit header; a refused one applies nothing.
  const reply = ctx.model.applyUpdates(ctx.nowMs, "item" in request ? [request.item] : [], { api: "rest" });
  switch (reply.kind) {
    case "unavailable":
      return result(serverError(reply.status));
    case "too-large":
      return result(jsonReply(422, { errors: ["Too many items"] }));
    case "throttled": {
      const seconds = Math.max(0.1, Math.ceil(reply.retryAfterMs / 100) / 10);
      return result(jsonReply(429, { errors: "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service." }, { "retry-after": seconds.toFixed(1), ...callLimitHeader(reply.limiter) }));
    }
    case "applied": {
      if (!("item" in request)) return result(jsonReply(request.status, request.body, callLimitHeader(reply.limiter)));
      const item = reply.items[0];
      if (item && !item.ok) return result(jsonReply(422, { errors: { available: [item.message] } }, callLimitHeader(reply.limiter)), { applied: true, replyLost: reply.replyLost });
      const level = { inventory_item_id: request.inventoryItemId, location_id: Number(ctx.credentials.shopify.locationId), available: request.item.quantity, updated_at: new Date(ctx.nowMs).toISOString(), admin_graphql_api_id: `gid://shopify/InventoryLevel/${ctx.credentials.shopify.locationId}?inventory_item_id=${request.inventoryItemId}` };
      return result(jsonReply(200, { inventory_level: level }, callLimitHeader(reply.limiter)), { applied: true, replyLost: reply.replyLost });
    }
  }
}

function restCancel(ctx: MarketplaceContext, req: WireRequest, params: Readonly<Record<string, string>>): WireResult {
  if (!authorized(ctx, req)) return result(UNAUTHORIZED);
  if (ctx.model.isDown(ctx.nowMs)) return result(serverError(503));
  const outcome = ctx.cancelOrder(params.orderId ?? "");
  if (outcome === "unknown") return result(jsonReply(404, { errors: "Not Found" }));
  const order = ctx.findOrder(params.orderId ?? "");
  return result(jsonReply(200, { order: { id: Number(params.orderId), cancelled_at: new Date(order?.cancelledAtMs ?? ctx.nowMs).toISOString(), cancel_reason: "inventory" } }));
}

export const shopifyRoutes: readonly Route<MarketplaceContext>[] = [
  { method: "POST", pattern: "/admin/api/:version/graphql.json", handler: (ctx, req, params) => graphql(ctx, req, params.version ?? "") },
  { method: "POST", pattern: "/admin/api/:version/inventory_levels/set.json", handler: (ctx, req) => restSet(ctx, req) },
  { method: "POST", pattern: "/admin/api/:version/orders/:orderId/cancel.json", handler: restCancel },
];

