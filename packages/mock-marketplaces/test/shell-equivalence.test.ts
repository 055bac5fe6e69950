// The two shells (node:http over real HTTP, msw handlers in-process) share one wire layer; this runs
// the same request table through both — same seed, same frozen clock — and asserts identical replies
// (status, marketplace headers, body), covering success, validation, auth, throttling and size caps
// for every marketplace.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PROFILES, MARKETPLACE_KINDS, type MarketplaceKind } from "@synclag/marketplaces";
import { DEFAULT_MOCK_CREDENTIALS, MockMarketplace, serveMarketplaces, type RunningServer } from "../src/index.js";
import { createMswHandlers, loadMsw } from "../src/msw.js";

const c = DEFAULT_MOCK_CREDENTIALS;
const NOW = 1_800_000_000_000;
const TRANSPORT_HEADERS = new Set(["date", "connection", "keep-alive", "content-length", "transfer-encoding"]);

interface Step {
  readonly kind: MarketplaceKind;
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

interface Seen {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const json = { "content-type": "application/json" };
const amazonAuth = { ...json, "x-amz-access-token": c.amazon.accessToken };
const shopifyAuth = { ...json, "x-shopify-access-token": c.shopify.accessToken };
const wooAuth = { ...json, authorization: `Basic ${Buffer.from(`${c.woocommerce.consumerKey}:${c.woocommerce.consumerSecret}`).toString("base64")}` };
const ebayAuth = { ...json, authorization: `Bearer ${c.ebay.accessToken}` };
const amazonPatch = (quantity: unknown) => ({ productType: "PRODUCT", patches: [{ op: "replace", path: "/attributes/fulfillment_availability", value: [{ fulfillment_channel_code: "DEFAULT", quantity }] }] });
const amazonPath = (sku: string) => `/listings/2021-08-01/items/${c.amazon.sellerId}/${sku}?marketplaceIds=${c.amazon.marketplaceId}`;
const gql = (query: string, variables: unknown) => ({ query, variables });
const SET = "mutation S($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { userErrors { code field message } } }";
/** An `InventoryQuantityInput` with `changeFromQuantity`, which exists from API version 2026-01 (hence those paths). */
const entry = (n: number, quantity: number, changeFromQuantity: number | null) => ({ inventoryItemId: `gid://shopify/InventoryItem/${40_000_000_000 + n}`, locationId: "gid://shopify/Location/1", quantity, changeFromQuantity });

/** The request table; `token` is Flipkart's bearer token from the step that issued it. */
function table(token: string): Step[] {
  const steps: Step[] = [
    { kind: "amazon", method: "PATCH", path: amazonPath("sku-1"), headers: { ...amazonAuth, "x-synclag-version": "4" }, body: amazonPatch(3) },
    { kind: "amazon", method: "PATCH", path: amazonPath("sku-2"), headers: amazonAuth, body: amazonPatch(-1) },
    { kind: "amazon", method: "PATCH", path: amazonPath("missing"), headers: amazonAuth, body: amazonPatch(1) },
    { kind: "amazon", method: "PATCH", path: amazonPath("sku-1"), headers: { ...json, "x-amz-access-token": "wrong" }, body: amazonPatch(1) },
    { kind: "amazon", method: "PATCH", path: "/listings/2021-08-01/items/A2SYNCLAGMOCK/sku-1", headers: amazonAuth, body: amazonPatch(1) },
    { kind: "amazon", method: "PATCH", path: amazonPath("sku-1"), headers: amazonAuth, body: { patches: "nope" } },
    ...Array.from({ length: 4 }, (_, i): Step => ({ kind: "amazon", method: "PATCH", path: amazonPath("sku-3"), headers: amazonAuth, body: amazonPatch(i) })),
    { kind: "amazon", method: "GET", path: `${amazonPath("sku-1")}&includedData=fulfillmentAvailability`, headers: amazonAuth },
    { kind: "amazon", method: "DELETE", path: amazonPath("sku-1"), headers: amazonAuth },
    { kind: "amazon", method: "GET", path: `/listings/2021-08-01/items/${c.amazon.sellerId}?marketplaceIds=${c.amazon.marketplaceId}&identifiers=sku-1,missing,sku-3&identifiersType=SKU&includedData=summaries,fulfillmentAvailability&pageSize=2`, headers: amazonAuth },
    { kind: "amazon", method: "GET", path: `/listings/2021-08-01/items/${c.amazon.sellerId}?marketplaceIds=${c.amazon.marketplaceId}&identifiers=sku-1&pageSize=21`, headers: amazonAuth },
    { kind: "shopify", method: "POST", path: "/admin/api/2026-01/graphql.json", headers: shopifyAuth, body: gql(SET, { input: { name: "available", reason: "correction", quantities: [entry(1, 4, 10), entry(2, 4, 9), entry(99, 1, null)] } }) },
    { kind: "shopify", method: "POST", path: "/admin/api/2026-01/graphql.json", headers: shopifyAuth, body: gql(SET, { input: { name: "available", reason: "correction", quantities: [entry(1, 2, 4)] } }) },
    { kind: "shopify", method: "POST", path: "/admin/api/2026-01/graphql.json", headers: shopifyAuth, body: gql(SET, { input: { name: "available", reason: "correction", quantities: [entry(1, 2, null)] } }) },
    { kind: "shopify", method: "POST", path: "/admin/api/2025-01/graphql.json", headers: shopifyAuth, body: gql("query Q($first: Int!, $query: String!) { inventoryItems(first: $first, query: $query) { nodes { id sku } } }", { first: 5, query: 'sku:"sku-1" OR sku:sku-2' }) },
    { kind: "shopify", method: "POST", path: "/admin/api/2025-01/graphql.json", headers: shopifyAuth, body: gql("mutation { inventorySetQuantities(", {}) },
    { kind: "shopify", method: "POST", path: "/admin/api/2025-01/graphql.json", headers: { ...json }, body: gql(SET, {}) },
    { kind: "shopify", method: "POST", path: "/admin/api/2025-01/inventory_levels/set.json", headers: shopifyAuth, body: { location_id: 1, inventory_item_id: 40_000_000_003, available: 6 } },
    { kind: "shopify", method: "POST", path: "/admin/api/2025-01/inventory_levels/set.json", headers: shopifyAuth, body: { location_id: 2, inventory_item_id: 40_000_000_003, available: 6 } },
    { kind: "woocommerce", method: "PUT", path: "/wp-json/wc/v3/products/101", headers: wooAuth, body: { manage_stock: true, stock_quantity: 8 } },
    { kind: "woocommerce", method: "PUT", path: "/wp-json/wc/v3/products/999", headers: wooAuth, body: { stock_quantity: 8 } },
    { kind: "woocommerce", method: "PUT", path: "/wp-json/wc/v3/products/101", headers: { ...json }, body: { stock_quantity: 8 } },
    { kind: "woocommerce", method: "POST", path: "/wp-json/wc/v3/products/batch", headers: wooAuth, body: { update: [{ id: 102, stock_quantity: 1 }, { id: 999, stock_quantity: 1 }, { id: 103, stock_quantity: -4 }] } },
    { kind: "woocommerce", method: "POST", path: "/wp-json/wc/v3/products/batch", headers: wooAuth, body: { update: Array.from({ length: 101 }, (_, i) => ({ id: 101 + (i % 3), stock_quantity: 1 })) } },
    { kind: "woocommerce", method: "GET", path: "/wp-json/wc/v3/products?sku=sku-1,sku-2,nope", headers: wooAuth },
    { kind: "flipkart", method: "POST", path: "/sellers/listings/v3/update/inventory", headers: { ...json, authorization: `Bearer ${token}` }, body: { "sku-1": { product_id: "FSNSYNC000000001", locations: [{ id: c.flipkart.locationId, status: "ENABLED", inventory: 2 }] }, "sku-2": { product_id: "WRONG", locations: [] } } },
    { kind: "flipkart", method: "POST", path: "/sellers/listings/v3/update/inventory", headers: { ...json, authorization: `Bearer ${token}` }, body: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`sku-${i + 1}`, {}])) },
    { kind: "flipkart", method: "POST", path: "/sellers/listings/v3/update/inventory", headers: { ...json, authorization: "Bearer nope" }, body: {} },
    { kind: "flipkart", method: "GET", path: "/sellers/listings/v3/sku-1,sku-2,nope", headers: { authorization: `Bearer ${token}` } },
    { kind: "ebay", method: "POST", path: "/sell/inventory/v1/bulk_update_price_quantity", headers: ebayAuth, body: { requests: [{ sku: "sku-1", shipToLocationAvailability: { quantity: 3 } }, { sku: "sku-2", shipToLocationAvailability: { quantity: 3 }, offers: [{ offerId: "9000000002", availableQuantity: 1 }] }] } },
    { kind: "ebay", method: "POST", path: "/sell/inventory/v1/bulk_update_price_quantity", headers: ebayAuth, body: { requests: [{ sku: "sku-1", shipToLocationAvailability: { quantity: 2 } }, { sku: "nope", shipToLocationAvailability: { quantity: 1 } }] } },
    { kind: "ebay", method: "POST", path: "/sell/inventory/v1/bulk_update_price_quantity", headers: ebayAuth, body: { requests: Array.from({ length: 26 }, (_, i) => ({ sku: `sku-${i + 1}`, shipToLocationAvailability: { quantity: 1 } })) } },
    { kind: "ebay", method: "POST", path: "/sell/inventory/v1/bulk_get_inventory_item", headers: ebayAuth, body: { requests: [{ sku: "sku-2" }, { sku: "nope" }] } },
  ];
  for (const kind of MARKETPLACE_KINDS) {
    steps.push({ kind, method: "POST", path: "/_synclag/storefront/checkout", body: { sku: "sku-2", quantity: 1 } });
    steps.push({ kind, method: "POST", path: "/_synclag/storefront/checkout", body: { sku: "sku-2", quantity: 1000 } });
    steps.push({ kind, method: "GET", path: "/_synclag/storefront/items/sku-2" });
    steps.push({ kind, method: "POST", path: "/_synclag/storefront/checkout", body: { sku: "SKU-0001", quantity: 1 } });
    steps.push({ kind, method: "GET", path: "/_synclag/storefront/items/SKU-0001" });
    steps.push({ kind, method: "GET", path: "/_synclag/admin/listings?timeline=1" });
    steps.push({ kind, method: "POST", path: "/_synclag/admin/faults", body: { outageMs: 1_000 } });
    steps.push({ kind, method: "GET", path: "/no/such/route" });
  }
  return steps;
}

function makeMarketplaces(): Map<MarketplaceKind, MockMarketplace> {
  const map = new Map<MarketplaceKind, MockMarketplace>();
  for (const kind of MARKETPLACE_KINDS) {
    const profile = kind === "shopify" ? { ...DEFAULT_PROFILES.shopify, rateLimit: { kind: "cost-points", maximumAvailable: 25, restoreRatePerSecond: 1, costPerCall: 10, costPerItem: 0 } as const } : DEFAULT_PROFILES[kind];
    const m = new MockMarketplace({ kind, profile, seed: 7, clock: () => NOW });
    m.seed(Array.from({ length: 30 }, (_, i) => ({ sku: `sku-${i + 1}`, quantity: 10 })));
    map.set(kind, m);
  }
  return map;
}

function comparable(status: number, headers: Iterable<[string, string]>, body: string): Seen {
  const kept: Record<string, string> = {};
  for (const [k, v] of headers) if (!TRANSPORT_HEADERS.has(k.toLowerCase())) kept[k.toLowerCase()] = v;
  return { status, headers: kept, body };
}

async function flipkartToken(send: (step: Step) => Promise<Seen>): Promise<string> {
  const basic = Buffer.from(`${c.flipkart.appId}:${c.flipkart.appSecret}`).toString("base64");
  const seen = await send({ kind: "flipkart", method: "GET", path: "/oauth-service/oauth/token?grant_type=client_credentials&scope=Seller_Api", headers: { authorization: `Basic ${basic}` } });
  return (JSON.parse(seen.body) as { access_token: string }).access_token;
}

describe("the node:http shell and the msw shell", () => {
  const viaHttp = makeMarketplaces();
  const viaMsw = makeMarketplaces();
  let server: RunningServer;
  beforeAll(async () => {
    server = await serveMarketplaces(
      [...viaHttp.entries()].map(([kind, marketplace]) => ({ prefix: `/${kind}`, marketplace })),
      { host: "127.0.0.1", port: 0 },
    );
  });
  afterAll(async () => {
    await server.close();
    for (const m of [...viaHttp.values(), ...viaMsw.values()]) m.stop();
  });

  it("answer the same request table with identical replies", async () => {
    const { getResponse } = await loadMsw();
    const handlers = await createMswHandlers([...viaMsw.entries()].map(([kind, marketplace]) => ({ baseUrl: `https://mock.test/${kind}`, marketplace })));
    const init = (step: Step): RequestInit => ({ method: step.method, headers: step.headers ?? {}, ...(step.body === undefined ? {} : { body: JSON.stringify(step.body) }) });
    const sendHttp = async (step: Step): Promise<Seen> => {
      const response = await fetch(`${server.url}/${step.kind}${step.path}`, init(step));
      return comparable(response.status, response.headers, await response.text());
    };
    const sendMsw = async (step: Step): Promise<Seen> => {
      const response = await getResponse(handlers, new Request(`https://mock.test/${step.kind}${step.path}`, init(step)));
      if (!response) throw new Error(`msw did not handle ${step.method} ${step.path}`);
      return comparable(response.status, response.headers, await response.text());
    };
    const tokenHttp = await flipkartToken(sendHttp);
    const tokenMsw = await flipkartToken(sendMsw);
    expect(tokenHttp).toBe(tokenMsw);
    const statuses = new Set<number>();
    for (const step of table(tokenHttp)) {
      const a = await sendHttp(step);
      const b = await sendMsw(step);
      expect(b, `${step.kind} ${step.method} ${step.path}`).toEqual(a);
      statuses.add(a.status);
    }
    // The table really exercises the error paths, not only 200s.
    expect([...statuses].sort()).toEqual([200, 201, 207, 400, 401, 403, 404, 405, 409, 413, 422, 429]);
  });
});
