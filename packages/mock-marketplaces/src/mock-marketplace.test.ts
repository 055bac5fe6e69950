// The wire layer without a server (the node-redis "two levels" habit): requests straight into
// `MockMarketplace.respond` at instants the test chooses.

import { describe, expect, it } from "vitest";
import { DEFAULT_PROFILES, type MarketplaceKind } from "@synclag/marketplaces";
import { DEFAULT_MOCK_CREDENTIALS } from "./credentials.js";
import { MockMarketplace } from "./mock-marketplace.js";
import { wooProductId } from "./wire/ids.js";
import type { WireRequest } from "./wire/wire.js";

const c = DEFAULT_MOCK_CREDENTIALS;

function setup(kind: MarketplaceKind, overrides: Partial<typeof DEFAULT_PROFILES.amazon> = {}) {
  let now = 1_800_000_000_000;
  const m = new MockMarketplace({ kind, profile: { ...DEFAULT_PROFILES[kind], ...overrides }, clock: () => now, seed: 3 });
  m.seed(Array.from({ length: 30 }, (_, i) => ({ sku: `sku-${i + 1}`, quantity: 10 })));
  const send = (method: string, pathAndQuery: string, body?: unknown, headers: Record<string, string> = {}) => {
    const [path = "/", query = ""] = pathAndQuery.split("?");
    const request: WireRequest = { method, path, query: new URLSearchParams(query), headers: { "content-type": "application/json", ...headers }, body: body === undefined ? "" : JSON.stringify(body) };
    const outcome = m.respond(request);
    return { ...outcome, status: outcome.reply.status, json: outcome.reply.body ? (JSON.parse(outcome.reply.body) as Record<string, unknown>) : {} };
  };
  return { m, send, advance: (ms: number) => (now += ms), stop: () => m.stop() };
}

const amazonHeaders = { "x-amz-access-token": c.amazon.accessToken };
const amazonPatch = (quantity: number) => ({ productType: "PRODUCT", patches: [{ op: "replace", path: "/attributes/fulfillment_availability", value: [{ fulfillment_channel_code: "DEFAULT", quantity }] }] });
const amazonUrl = (sku: string) => `/listings/2021-08-01/items/${c.amazon.sellerId}/${sku}?marketplaceIds=${c.amazon.marketplaceId}`;

describe("amazon", () => {
  it("accepts at once and shows buyers the new quantity only after the visibility delay", () => {
    const { send, advance, stop } = setup("amazon", { visibilityDelay: { kind: "constant", ms: 30_000 } });
    expect(send("PATCH", amazonUrl("sku-1"), amazonPatch(2), { ...amazonHeaders, "x-synclag-version": "5" }).json).toMatchObject({ status: "ACCEPTED" });
    expect(send("GET", "/_synclag/storefront/items/sku-1").json.available).toBe(10);
    advance(30_000);
    expect(send("GET", "/_synclag/storefront/items/sku-1").json.available).toBe(2);
    const truth = send("GET", "/_synclag/admin/listings/sku-1").json;
    expect(truth.timeline).toEqual([
      { event: "seeded", quantity: 10, version: 0, atMs: expect.any(Number) },
      { event: "accepted", quantity: 2, version: 5, atMs: 1_800_000_000_000 },
      { event: "visible", quantity: 2, version: 5, atMs: 1_800_000_030_000 },
    ]);
    stop();
  });

  it("buyers check out against the visible quantity — an oversell while an update to 0 is pending", () => {
    const { send, stop } = setup("amazon", { visibilityDelay: { kind: "constant", ms: 60_000 } });
    send("PATCH", amazonUrl("sku-2"), amazonPatch(0), amazonHeaders);
    expect(send("POST", "/_synclag/storefront/checkout", { sku: "sku-2", quantity: 1 }).status).toBe(201);
    expect(send("POST", "/_synclag/storefront/checkout", { sku: "sku-2", quantity: 50 }).json).toMatchObject({ error: "insufficient_stock", shown: 9 });
    stop();
  });

  it("refuses a checkout of a SKU it does not list with 404 unknown_sku, not a quiet 409 sold out", () => {
    const { send, stop } = setup("amazon");
    const checkout = send("POST", "/_synclag/storefront/checkout", { sku: "SKU-0001", quantity: 1 });
    expect(checkout.status).toBe(404);
    expect(checkout.json).toMatchObject({ error: "unknown_sku", sku: "SKU-0001" });
    const look = send("GET", "/_synclag/storefront/items/SKU-0001");
    expect(look.status).toBe(404);
    expect(look.json).toMatchObject({ listed: false, available: 0 });
    expect(send("GET", "/_synclag/admin/orders").json).toMatchObject({ orders: [] });
    stop();
  });

  it("answers INVALID inside a 200 for a negative quantity and QuotaExceeded 429 after a burst of 5", () => {
    const { send, stop } = setup("amazon");
    const invalid = send("PATCH", amazonUrl("sku-1"), amazonPatch(-3), amazonHeaders);
    expect(invalid.status).toBe(200);
    expect(invalid.json).toMatchObject({ status: "INVALID", issues: [{ severity: "ERROR", categories: ["INVALID_ATTRIBUTE"] }] });
    for (let i = 0; i < 4; i++) expect(send("PATCH", amazonUrl("sku-1"), amazonPatch(i), amazonHeaders).status).toBe(200);
    const throttled = send("PATCH", amazonUrl("sku-1"), amazonPatch(1), amazonHeaders);
    expect(throttled.status).toBe(429);
    expect(throttled.json).toEqual({ errors: [{ code: "QuotaExceeded", message: "You exceeded your quota for the requested resource.", details: "" }] });
    expect(throttled.reply.headers["x-amzn-ratelimit-limit"]).toBeUndefined();
    stop();
  });

  it("mode=VALIDATION_PREVIEW answers VALID for a valid submission and applies nothing", () => {
    const { send, stop } = setup("amazon");
    const preview = send("PATCH", `${amazonUrl("sku-1")}&mode=VALIDATION_PREVIEW`, amazonPatch(3), { ...amazonHeaders, "x-synclag-version": "5" });
    expect(preview.status).toBe(200);
    expect(preview.json).toEqual({ sku: "sku-1", status: "VALID", submissionId: expect.any(String), issues: [] });
    expect(preview.reply.headers["x-amzn-ratelimit-limit"]).toBe("5.0");
    const truth = send("GET", "/_synclag/admin/listings/sku-1").json;
    expect(truth.accepted).toEqual({ quantity: 10, version: 0 });
    expect(truth.timeline).toEqual([{ event: "seeded", quantity: 10, version: 0, atMs: expect.any(Number) }]);
    expect(send("GET", "/_synclag/admin/stats").json).toMatchObject({ model: { updateCalls: 0, updatesAccepted: 0 } });
    stop();
  });

  it("mode=VALIDATION_PREVIEW answers INVALID with issues for an unknown SKU, a negative quantity or an unreadable patch", () => {
    const { send, stop } = setup("amazon");
    const previewOf = (sku: string, body: unknown) => send("PATCH", `${amazonUrl(sku)}&mode=VALIDATION_PREVIEW`, body, amazonHeaders);
    for (const [sku, body] of [["no-such-sku", amazonPatch(3)], ["sku-1", amazonPatch(-1)], ["sku-1", { productType: "PRODUCT", patches: [{ op: "delete", path: "/attributes/item_name" }] }]] as const) {
      const reply = previewOf(sku, body);
      expect(reply.status).toBe(200);
      expect(reply.json).toMatchObject({ sku, status: "INVALID", submissionId: expect.any(String), issues: [{ severity: "ERROR", categories: ["INVALID_ATTRIBUTE"] }] });
    }
    expect(send("GET", "/_synclag/admin/listings/sku-1").json.accepted).toEqual({ quantity: 10, version: 0 });
    stop();
  });

  it("mode=VALIDATION_PREVIEW is a call: charged to the rate limit (the sixth in a burst is 429) and refused during an outage", () => {
    const { send, stop } = setup("amazon");
    for (let i = 0; i < 5; i++) expect(send("PATCH", `${amazonUrl("sku-1")}&mode=VALIDATION_PREVIEW`, amazonPatch(i), amazonHeaders).json.status).toBe("VALID");
    expect(send("PATCH", `${amazonUrl("sku-1")}&mode=VALIDATION_PREVIEW`, amazonPatch(1), amazonHeaders).status).toBe(429);
    expect(send("PATCH", amazonUrl("sku-1"), amazonPatch(1), amazonHeaders).status).toBe(429); // the previews used the burst up
    send("POST", "/_synclag/admin/faults", { outageMs: 60_000 });
    expect(send("PATCH", `${amazonUrl("sku-1")}&mode=VALIDATION_PREVIEW`, amazonPatch(1), amazonHeaders).status).toBe(503);
    stop();
  });

  it.each(["VALIDATION", "validation_preview", ""])("mode=%j (not in the model's enum) → 400 InvalidInput, nothing applied", (mode) => {
    const { send, stop } = setup("amazon");
    const reply = send("PATCH", `${amazonUrl("sku-1")}&mode=${mode}`, amazonPatch(3), amazonHeaders);
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ errors: [{ code: "InvalidInput" }] });
    expect(send("GET", "/_synclag/admin/listings/sku-1").json.accepted).toEqual({ quantity: 10, version: 0 });
    stop();
  });

  it("without a version header, a push gets the version after the listing's highest", () => {
    const { send, stop } = setup("amazon");
    send("PATCH", amazonUrl("sku-3"), amazonPatch(4), { ...amazonHeaders, "x-synclag-version": "7" });
    send("PATCH", amazonUrl("sku-3"), amazonPatch(5), amazonHeaders);
    expect(send("GET", "/_synclag/admin/listings/sku-3").json.accepted).toEqual({ quantity: 5, version: 8 });
    stop();
  });

  it("holds the reply of an applied update when a lost reply is injected", () => {
    const { send, stop } = setup("amazon");
    send("POST", "/_synclag/admin/faults", { timeoutAfterApplyRate: 1 });
    const outcome = send("PATCH", amazonUrl("sku-4"), amazonPatch(1), amazonHeaders);
    expect(outcome.replyLost).toBe(true);
    expect(send("GET", "/_synclag/admin/listings/sku-4").json.accepted).toMatchObject({ quantity: 1 });
    stop();
  });
});

describe("shopify", () => {
  const gql = (query: string, variables: unknown) => ({ query, variables });
  const SET = "mutation S($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { userErrors { code } } }";
  const auth = { "x-shopify-access-token": c.shopify.accessToken };
  const item = (n: number) => `gid://shopify/InventoryItem/${40_000_000_000 + n}`;

  it("reports cost and throttle status on every GraphQL reply, and refuses more than 250 entries", () => {
    const { send, stop } = setup("shopify");
    // changeFromQuantity exists from 2026-01 (2025-01 would refuse it as an undefined field).
    const ok = send("POST", "/admin/api/2026-01/graphql.json", gql(SET, { input: { name: "available", quantities: [{ inventoryItemId: item(1), locationId: "gid://shopify/Location/1", quantity: 1, changeFromQuantity: null }] } }), auth);
    expect(ok.json.extensions).toEqual({ cost: { requestedQueryCost: 10, actualQueryCost: 10, throttleStatus: { maximumAvailable: 1000, currentlyAvailable: 990, restoreRate: 100 } } });
    const quantities = Array.from({ length: 251 }, () => ({ inventoryItemId: item(1), locationId: "gid://shopify/Location/1", quantity: 1 }));
    const big = send("POST", "/admin/api/2025-01/graphql.json", gql(SET, { input: { name: "available", quantities } }), auth);
    expect(big.json).toMatchObject({ errors: [{ extensions: { code: "MAX_INPUT_SIZE_EXCEEDED" } }] });
    stop();
  });

  it("uses COMPARE_QUANTITY_STALE for the older compareQuantity field, unless ignoreCompareQuantity", () => {
    const { send, stop } = setup("shopify");
    const entry = { inventoryItemId: item(2), locationId: "gid://shopify/Location/1", quantity: 3, compareQuantity: 4 };
    expect(send("POST", "/admin/api/2025-01/graphql.json", gql(SET, { input: { name: "available", quantities: [entry] } }), auth).json).toMatchObject({ data: { inventorySetQuantities: { userErrors: [{ code: "COMPARE_QUANTITY_STALE" }] } } });
    expect(send("POST", "/admin/api/2025-01/graphql.json", gql(SET, { input: { name: "available", ignoreCompareQuantity: true, quantities: [entry] } }), auth).json).toMatchObject({ data: { inventorySetQuantities: { userErrors: [] } } });
    stop();
  });

  it("REST counts calls in X-Shopify-Shop-Api-Call-Limit and answers 429 with Retry-After when the bucket is full", () => {
    const { send, stop } = setup("shopify");
    const body = { location_id: 1, inventory_item_id: 40_000_000_001, available: 2 };
    expect(send("POST", "/admin/api/2025-01/inventory_levels/set.json", body, auth).reply.headers["x-shopify-shop-api-call-limit"]).toBe("1/40");
    for (let i = 0; i < 39; i++) send("POST", "/admin/api/2025-01/inventory_levels/set.json", body, auth);
    const full = send("POST", "/admin/api/2025-01/inventory_levels/set.json", body, auth);
    expect(full.status).toBe(429);
    expect(full.reply.headers["retry-after"]).toBe("0.5");
    expect(full.reply.headers["x-shopify-shop-api-call-limit"]).toBe("40/40");
    stop();
  });
});

describe("shopify REST: every request is counted, refusals included", () => {
  const auth = { "x-shopify-access-token": c.shopify.accessToken };
  const setLevel = (body: Record<string, unknown>) => ({ location_id: 1, inventory_item_id: 40_000_000_001, available: 2, ...body });

  it.each([
    ["an unknown inventory item", setLevel({ inventory_item_id: 1 })],
    ["an unknown location", setLevel({ location_id: 999 })],
    ["a non-integer quantity", setLevel({ available: 1.5 })],
  ])("a 422 for %s carries X-Shopify-Shop-Api-Call-Limit and uses a slot of the bucket", (_label, body) => {
    const { send, stop } = setup("shopify");
    const first = send("POST", "/admin/api/2025-01/inventory_levels/set.json", body, auth);
    expect(first.status).toBe(422);
    expect(first.reply.headers["x-shopify-shop-api-call-limit"]).toBe("1/40");
    expect(send("POST", "/admin/api/2025-01/inventory_levels/set.json", setLevel({}), auth).reply.headers["x-shopify-shop-api-call-limit"]).toBe("2/40");
    stop();
  });

  it("a burst of 422s fills the bucket: the 41st request is 429 with Retry-After", () => {
    const { send, stop } = setup("shopify");
    const statuses = Array.from({ length: 41 }, () => send("POST", "/admin/api/2025-01/inventory_levels/set.json", setLevel({ inventory_item_id: 1 }), auth));
    expect(statuses.slice(0, 40).every((r) => r.status === 422)).toBe(true);
    expect(statuses[40]?.status).toBe(429);
    expect(statuses[40]?.reply.headers["retry-after"]).toBe("0.5");
    expect(statuses[40]?.reply.headers["x-shopify-shop-api-call-limit"]).toBe("40/40");
    stop();
  });
});

describe("batch caps and per-item failures", () => {
  it("woocommerce: 101 objects → 413 woocommerce_rest_request_entity_too_large", () => {
    const { send, stop } = setup("woocommerce");
    const auth = { authorization: `Basic ${Buffer.from(`${c.woocommerce.consumerKey}:${c.woocommerce.consumerSecret}`).toString("base64")}` };
    const r = send("POST", "/wp-json/wc/v3/products/batch", { update: Array.from({ length: 101 }, () => ({ id: 101, stock_quantity: 1 })) }, auth);
    expect(r.status).toBe(413);
    expect(r.json.code).toBe("woocommerce_rest_request_entity_too_large");
    stop();
  });

  it("flipkart: 11 SKUs → 400; a wrong product_id is a per-SKU FAILURE inside a 200", () => {
    const { send, m, stop } = setup("flipkart");
    m.nowMs = 1_800_000_000_000;
    const token = m.issueToken().token;
    const auth = { authorization: `Bearer ${token}` };
    expect(send("POST", "/sellers/listings/v3/update/inventory", Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`sku-${i + 1}`, {}])), auth).status).toBe(400);
    const r = send("POST", "/sellers/listings/v3/update/inventory", { "sku-1": { product_id: "nope", locations: [] }, "sku-2": { product_id: "FSNSYNC000000002", locations: [{ id: c.flipkart.locationId, status: "ENABLED", inventory: 4 }] } }, auth);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ "sku-1": { status: "FAILURE" }, "sku-2": { status: "SUCCESS" } });
    stop();
  });

  it("ebay: 26 requests → 400; the listing shows min(ship-to quantity, offer quantity)", () => {
    const { send, stop } = setup("ebay");
    const auth = { authorization: `Bearer ${c.ebay.accessToken}` };
    expect(send("POST", "/sell/inventory/v1/bulk_update_price_quantity", { requests: Array.from({ length: 26 }, (_, i) => ({ sku: `sku-${i + 1}`, shipToLocationAvailability: { quantity: 1 } })) }, auth).status).toBe(400);
    const r = send("POST", "/sell/inventory/v1/bulk_update_price_quantity", { requests: [{ sku: "sku-1", shipToLocationAvailability: { quantity: 9 }, offers: [{ offerId: "9000000001", availableQuantity: 4 }] }] }, auth);
    expect(r.json).toEqual({ responses: [{ sku: "sku-1", offerId: "9000000001", statusCode: 200 }] });
    expect(send("GET", "/_synclag/admin/listings/sku-1").json.accepted).toMatchObject({ quantity: 4 });
    stop();
  });

  it("ebay: an offer quantity keeps capping the listing when a later call sets only the ship-to-location quantity; a sale takes units off both; reads show the ship-to-location quantity", () => {
    const { send, stop } = setup("ebay", { visibilityDelay: { kind: "constant", ms: 0 } });
    const auth = { authorization: `Bearer ${c.ebay.accessToken}` };
    const update = (request: Record<string, unknown>) => send("POST", "/sell/inventory/v1/bulk_update_price_quantity", { requests: [{ sku: "sku-1", ...request }] }, auth).status;
    const read = () => (send("POST", "/sell/inventory/v1/bulk_get_inventory_item", { requests: [{ sku: "sku-1" }] }, auth).json.responses as { inventoryItem: { availability: { shipToLocationAvailability: { quantity: number } } } }[])[0]?.inventoryItem.availability.shipToLocationAvailability.quantity;
    const shown = () => send("GET", "/_synclag/storefront/items/sku-1").json.available;
    expect(update({ shipToLocationAvailability: { quantity: 5 }, offers: [{ offerId: "9000000001", availableQuantity: 3 }] })).toBe(200);
    expect(update({ shipToLocationAvailability: { quantity: 50 } })).toBe(200);
    expect([shown(), read()]).toEqual([3, 50]);
    expect(send("POST", "/_synclag/storefront/checkout", { sku: "sku-1", quantity: 1 }).status).toBe(201);
    expect([shown(), read()]).toEqual([2, 49]);
    expect(update({ offers: [{ offerId: "9000000001", availableQuantity: 60 }] })).toBe(200);
    expect([shown(), read()]).toEqual([49, 49]);
    stop();
  });
});

describe("admin API", () => {
  it("outageMs sets when the injected outage ends: 0 ends it at once, a shorter one shortens it", () => {
    const { send, advance, stop } = setup("ebay");
    const auth = { authorization: `Bearer ${c.ebay.accessToken}` };
    const push = () => send("POST", "/sell/inventory/v1/bulk_update_price_quantity", { requests: [{ sku: "sku-1", shipToLocationAvailability: { quantity: 1 } }] }, auth).status;
    send("POST", "/_synclag/admin/faults", { outageMs: 60_000 });
    advance(1_000);
    expect(push()).toBe(503);
    expect(send("POST", "/_synclag/admin/faults", { outageMs: 0 }).json).toEqual({ faults: { outageMs: 0 } });
    expect(push()).toBe(200);
    send("POST", "/_synclag/admin/faults", { outageMs: 60_000 });
    send("POST", "/_synclag/admin/faults", { outageMs: 5_000 });
    advance(5_000);
    expect(push()).toBe(200);
    stop();
  });

  it("order ids are never handed out twice: an order placed after a reset gets a new id", () => {
    const { send, stop } = setup("shopify");
    const before = send("POST", "/_synclag/storefront/checkout", { sku: "sku-1", quantity: 1 }).json.orderId;
    expect(send("POST", "/_synclag/admin/reset", {}).status).toBe(200);
    send("POST", "/_synclag/admin/listings", { listings: [{ sku: "sku-1", quantity: 10 }] });
    const after = send("POST", "/_synclag/storefront/checkout", { sku: "sku-1", quantity: 1 }).json.orderId;
    expect([before, after]).toEqual(["5000000001", "5000000002"]);
    stop();
  });

  it("orderSeqStart: order ids continue after it (what a restarted HTTP mock is given); without it they start at 1, as before", () => {
    for (const [kind, first] of [["shopify", "1005000000001"], ["woocommerce", "1000000001001"], ["amazon", "114-2000001-1000000000001"], ["flipkart", "OD101000000000001"], ["ebay", "12-20001-1000000000001"]] as const) {
      const m = new MockMarketplace({ kind, seed: 1, clock: () => 1_800_000_000_000, orderSeqStart: 1_000_000_000_000 });
      m.seed([{ sku: "a", quantity: 5 }]);
      const order = m.checkout("a", 1);
      expect(order.ok && order.order.nativeId).toBe(first);
      m.stop();
    }
    const plain = new MockMarketplace({ kind: "shopify", seed: 1, clock: () => 1_800_000_000_000 });
    plain.seed([{ sku: "a", quantity: 5 }]);
    const order = plain.checkout("a", 1);
    expect(order.ok && order.order.nativeId).toBe("5000000001");
    plain.stop();
  });

  it("refuses bad seeds and unknown faults with 400, and reset forgets everything", () => {
    const { send, stop } = setup("woocommerce");
    expect(send("POST", "/_synclag/admin/listings", { listings: [{ sku: "", quantity: 1 }] }).status).toBe(400);
    expect(send("POST", "/_synclag/admin/faults", { meteorStrike: 1 }).status).toBe(400);
    expect(send("POST", "/_synclag/admin/faults", { serverErrorRate: 2 }).status).toBe(400);
    expect(send("POST", "/_synclag/admin/reset", {}).status).toBe(200);
    expect(send("GET", "/_synclag/admin/listings").json).toEqual({ listings: [] });
    expect(send("POST", "/_synclag/admin/listings", { generate: { count: 2, stock: 3, prefix: "p-" } }).json).toEqual({ seeded: 2 });
    expect(send("GET", "/_synclag/admin/listings/p-2").json.visible).toEqual({ quantity: 3, version: 0 });
    stop();
  });
});

describe("eBay notification key", () => {
  it("is named after itself: a restarted mock (a new key) serves it under a new key id, never another key under an id a receiver cached", () => {
    const first = new MockMarketplace({ kind: "ebay", seed: 1 });
    const second = new MockMarketplace({ kind: "ebay", seed: 1 });
    expect(first.ebayNotificationKeyId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(second.ebayNotificationKeyId).not.toBe(first.ebayNotificationKeyId);
    expect(first.notificationPublicKey(first.ebayNotificationKeyId)).toBe(first.ebayPublicKeyPem);
    expect(second.notificationPublicKey(first.ebayNotificationKeyId)).toBeUndefined();
    expect(second.notificationPublicKey(second.ebayNotificationKeyId)).toBe(second.ebayPublicKeyPem);
    first.stop();
    second.stop();
  });
});

describe("latency: profile", () => {
  it("a seller-API call is handled half-way through its sampled round trip and answered at its end; admin and storefront calls wait nothing", () => {
    let now = 1_800_000_000_000;
    const m = new MockMarketplace({ kind: "amazon", profile: { ...DEFAULT_PROFILES.amazon, apiLatency: { kind: "constant", ms: 1_000 }, visibilityDelay: { kind: "constant", ms: 0 } }, clock: () => now, seed: 3, latency: "profile" });
    m.seed([{ sku: "sku-1", quantity: 10 }]);
    const t0 = now;
    const received = m.receive({ method: "PATCH", path: `/listings/2021-08-01/items/${c.amazon.sellerId}/sku-1`, query: new URLSearchParams(`marketplaceIds=${c.amazon.marketplaceId}`), headers: { "content-type": "application/json", "x-amz-access-token": c.amazon.accessToken }, body: JSON.stringify(amazonPatch(4)) });
    expect(received.waitMs).toBe(500);
    expect(m.model.availability(now, "sku-1")).toBe(10);
    now += received.waitMs;
    const outcome = received.respond();
    expect([outcome.reply.status, outcome.delayMs]).toEqual([200, 500]);
    const accepted = (m.truth("sku-1") as { timeline: { event: string; atMs: number }[] }).timeline.find((e) => e.event === "accepted");
    expect(accepted?.atMs).toBe(t0 + 500);
    expect(m.receive({ method: "GET", path: "/_synclag/storefront/items/sku-1", query: new URLSearchParams(), headers: {}, body: "" }).waitMs).toBe(0);
    m.stop();
  });
});

describe("X-Synclag-Version", () => {
  const accepted = (send: ReturnType<typeof setup>["send"], sku: string) => send("GET", `/_synclag/admin/listings/${sku}`).json.accepted;
  const wooAuth = { authorization: `Basic ${Buffer.from(`${c.woocommerce.consumerKey}:${c.woocommerce.consumerSecret}`).toString("base64")}` };

  it("by position: each item of an array body takes the version at its index, an item refused in the body included in the count", () => {
    const { send, stop } = setup("woocommerce");
    const update = [{ id: 999_999, stock_quantity: 1 }, { id: wooProductId(3), stock_quantity: 2 }, { id: wooProductId(1), stock_quantity: 3 }];
    const r = send("POST", "/wp-json/wc/v3/products/batch", { update }, { ...wooAuth, "x-synclag-version": "9,7,8" });
    expect(r.status).toBe(200);
    expect([accepted(send, "sku-3"), accepted(send, "sku-1")]).toEqual([
      { quantity: 2, version: 7 },
      { quantity: 3, version: 8 },
    ]);
    stop();
  });

  it("by SKU (`sku=version&…`), one integer for every item, and no usable entry → the version after the listing's highest", () => {
    const { send, stop } = setup("ebay");
    const auth = { authorization: `Bearer ${c.ebay.accessToken}`, "content-language": "en-US" };
    const bulk = (headers: Record<string, string>, ...skus: string[]) => send("POST", "/sell/inventory/v1/bulk_update_price_quantity", { requests: skus.map((sku) => ({ sku, shipToLocationAvailability: { quantity: 4 } })) }, { ...auth, ...headers });
    bulk({ "x-synclag-version": "sku-2=5&sku-1=6" }, "sku-1", "sku-2");
    expect([accepted(send, "sku-1"), accepted(send, "sku-2")]).toEqual([
      { quantity: 4, version: 6 },
      { quantity: 4, version: 5 },
    ]);
    bulk({ "x-synclag-version": "12" }, "sku-1", "sku-2");
    expect([accepted(send, "sku-1"), accepted(send, "sku-2")].map((a) => (a as { version: number }).version)).toEqual([12, 12]);
    bulk({ "x-synclag-version": "20" }, "sku-3");
    bulk({ "x-synclag-version": "30,x" }, "sku-3", "sku-4");
    expect([accepted(send, "sku-3"), accepted(send, "sku-4")].map((a) => (a as { version: number }).version)).toEqual([30, 1]);
    stop();
  });
});
