// Shopify's wire codec without a server: requests straight into `MockMarketplace.respond` —
// the compare-and-set fields each API version defines, and the shape of injected server errors.

import { describe, expect, it } from "vitest";
import { DEFAULT_PROFILES, type MarketplaceProfile } from "@synclag/marketplaces";
import { DEFAULT_MOCK_CREDENTIALS } from "../credentials.js";
import { MockMarketplace } from "../mock-marketplace.js";

const c = DEFAULT_MOCK_CREDENTIALS.shopify;
const auth = { "content-type": "application/json", "x-shopify-access-token": c.accessToken };
const SET = "mutation S($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { userErrors { code field message } } }";
/** The set under `@idempotent(key:)`, mandatory from 2026-04. */
const keyed = (key: string) => `mutation S($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) @idempotent(key: ${JSON.stringify(key)}) { userErrors { code field message } } }`;
const item = (n: number) => `gid://shopify/InventoryItem/${40_000_000_000 + n}`;
const entry = (n: number, quantity: number, extra: Record<string, unknown> = {}) => ({ inventoryItemId: item(n), locationId: `gid://shopify/Location/${c.locationId}`, quantity, ...extra });

function setup(profile: MarketplaceProfile = DEFAULT_PROFILES.shopify) {
  const m = new MockMarketplace({ kind: "shopify", profile, clock: () => 1_800_000_000_000, seed: 5 });
  m.seed(Array.from({ length: 20 }, (_, i) => ({ sku: `sku-${i + 1}`, quantity: 10 })));
  const post = (path: string, body: unknown) => {
    const { reply } = m.respond({ method: "POST", path, query: new URLSearchParams(), headers: auth, body: JSON.stringify(body) });
    return { status: reply.status, json: JSON.parse(reply.body) as Record<string, unknown> };
  };
  let keys = 0;
  /** From 2026-04 under a fresh idempotency key (pass `key` to choose it, `null` to send none). */
  const set = (version: string, input: Record<string, unknown>, key?: string | null) => {
    const mandatory = version === "unstable" || version >= "2026-04";
    const query = key === null || (key === undefined && !mandatory) ? SET : keyed(key ?? `key-${++keys}`);
    return post(`/admin/api/${version}/graphql.json`, { query, variables: { input: { name: "available", reason: "correction", ...input } } });
  };
  const accepted = (sku: string) => m.model.listing(sku)?.acceptedQuantity;
  return { m, post, set, accepted };
}

const variableError = { errors: [{ extensions: { code: "INVALID_VARIABLE" } }] };
const userErrors = (...codes: string[]) => ({ data: { inventorySetQuantities: { userErrors: codes.map((code) => ({ code })) } } });

describe("inventorySetQuantities fields by API version", () => {
  it.each(["2024-07", "2025-01", "2025-10"])("%s does not define changeFromQuantity: INVALID_VARIABLE, nothing applied", (version) => {
    const { set, accepted, m } = setup();
    const reply = set(version, { quantities: [entry(1, 3, { changeFromQuantity: null })] });
    expect(reply.json).toMatchObject(variableError);
    expect(JSON.stringify(reply.json)).toContain("quantities.0.changeFromQuantity");
    expect(accepted("sku-1")).toBe(10);
    m.stop();
  });

  it("before 2026-01: compareQuantity is required unless ignoreCompareQuantity, and compared", () => {
    const { set, accepted, m } = setup();
    expect(set("2025-01", { quantities: [entry(1, 3)] }).json).toMatchObject(userErrors("COMPARE_QUANTITY_REQUIRED"));
    expect(set("2025-01", { quantities: [entry(1, 3, { compareQuantity: 9 })] }).json).toMatchObject(userErrors("COMPARE_QUANTITY_STALE"));
    expect(accepted("sku-1")).toBe(10);
    expect(set("2025-01", { quantities: [entry(1, 3, { compareQuantity: 10 })] }).json).toMatchObject(userErrors());
    expect(set("2025-01", { ignoreCompareQuantity: true, quantities: [entry(1, 4)] }).json).toMatchObject(userErrors());
    expect(accepted("sku-1")).toBe(4);
    m.stop();
  });

  it("2026-01 takes both: changeFromQuantity (even null) overrides the older fields; without it they still apply", () => {
    const { set, accepted, m } = setup();
    expect(set("2026-01", { quantities: [entry(1, 3, { changeFromQuantity: 9 })] }).json).toMatchObject(userErrors("CHANGE_FROM_QUANTITY_STALE"));
    expect(set("2026-01", { quantities: [entry(1, 3, { changeFromQuantity: null, compareQuantity: 9 })] }).json).toMatchObject(userErrors());
    expect(set("2026-01", { quantities: [entry(1, 2, { compareQuantity: 9 })] }).json).toMatchObject(userErrors("COMPARE_QUANTITY_STALE"));
    expect(accepted("sku-1")).toBe(3);
    m.stop();
  });

  it.each(["2026-04", "unstable"])("%s requires changeFromQuantity and no longer defines compareQuantity or ignoreCompareQuantity", (version) => {
    const { set, accepted, m } = setup();
    expect(set(version, { quantities: [entry(1, 3)] }).json).toMatchObject(variableError);
    expect(set(version, { quantities: [entry(1, 3, { changeFromQuantity: null, compareQuantity: 10 })] }).json).toMatchObject(variableError);
    expect(set(version, { ignoreCompareQuantity: true, quantities: [entry(1, 3, { changeFromQuantity: null })] }).json).toMatchObject(variableError);
    expect(accepted("sku-1")).toBe(10);
    expect(set(version, { quantities: [entry(1, 3, { changeFromQuantity: 10 }), entry(2, 5, { changeFromQuantity: null })] }).json).toMatchObject(userErrors());
    expect([accepted("sku-1"), accepted("sku-2")]).toEqual([3, 5]);
    m.stop();
  });

  it.each(["2026-04", "unstable"])("%s refuses a set without the mandatory @idempotent directive, as Shopify does (BAD_REQUEST), and applies nothing", (version) => {
    const { set, accepted, m } = setup();
    const refused = set(version, { quantities: [entry(1, 3, { changeFromQuantity: null })] }, null);
    expect(refused.status).toBe(200);
    expect(refused.json).toMatchObject({ errors: [{ message: "The @idempotent directive is required for this mutation but was not provided.", extensions: { code: "BAD_REQUEST" } }] });
    expect(refused.json.data).toBeUndefined();
    expect(accepted("sku-1")).toBe(10);
    expect(set(version, { quantities: [entry(1, 3, { changeFromQuantity: null })] }, "k-1").json).toMatchObject(userErrors());
    expect(accepted("sku-1")).toBe(3);
    m.stop();
  });

  it("2026-01 takes the set with or without @idempotent; a key as a variable works like a literal", () => {
    const { post, set, accepted, m } = setup();
    expect(set("2026-01", { quantities: [entry(1, 3, { changeFromQuantity: null })] }, null).json).toMatchObject(userErrors());
    expect(set("2026-01", { quantities: [entry(1, 4, { changeFromQuantity: null })] }, "k-1").json).toMatchObject(userErrors());
    const byVariable = "mutation S($input: InventorySetQuantitiesInput!, $key: String!) { inventorySetQuantities(input: $input) @idempotent(key: $key) { userErrors { code } } }";
    const input = { name: "available", reason: "correction", quantities: [entry(1, 5, { changeFromQuantity: null })] };
    expect(post("/admin/api/2026-04/graphql.json", { query: byVariable, variables: { input, key: "k-2" } }).json).toMatchObject(userErrors());
    expect(accepted("sku-1")).toBe(5);
    m.stop();
  });

  it("a key seen again: the same input gets the first reply and nothing is applied twice; another input is IDEMPOTENCY_KEY_PARAMETER_MISMATCH", () => {
    const { set, accepted, m } = setup();
    const first = set("2026-04", { quantities: [entry(1, 7, { changeFromQuantity: 10 })] }, "k-1");
    expect(first.json).toMatchObject(userErrors());
    m.checkout("sku-1", 1); // 6 now: a second run of the same set would be CHANGE_FROM_QUANTITY_STALE
    expect(set("2026-04", { quantities: [entry(1, 7, { changeFromQuantity: 10 })] }, "k-1").json).toEqual(first.json);
    expect(accepted("sku-1")).toBe(6);
    const mismatch = set("2026-04", { quantities: [entry(1, 2, { changeFromQuantity: 6 })] }, "k-1");
    expect(mismatch.json).toMatchObject({ data: { inventorySetQuantities: { inventoryAdjustmentGroup: null, userErrors: [{ code: "IDEMPOTENCY_KEY_PARAMETER_MISMATCH" }] } } });
    expect(accepted("sku-1")).toBe(6);
    m.stop();
  });

  it("a path whose version is not one answers 404", () => {
    const { set, m } = setup();
    expect(set("latest", { quantities: [entry(1, 3, { changeFromQuantity: null })] }).status).toBe(404);
    m.stop();
  });
});

describe("injected server errors", () => {
  it("GraphQL answers Shopify's 200 with INTERNAL_SERVER_ERROR; REST keeps its 500; an outage is a 503 on both", () => {
    const { post, set, m } = setup();
    m.injectFaults({ serverErrorRate: 1 });
    const graphql = set("2025-01", { ignoreCompareQuantity: true, quantities: [entry(1, 3)] });
    expect(graphql.status).toBe(200);
    expect(graphql.json).toMatchObject({ errors: [{ extensions: { code: "INTERNAL_SERVER_ERROR", requestId: expect.any(String) } }] });
    expect(graphql.json.data).toBeUndefined();
    expect(post("/admin/api/2025-01/inventory_levels/set.json", { location_id: 1, inventory_item_id: 40_000_000_001, available: 3 }).status).toBe(500);
    m.injectFaults({ serverErrorRate: 0, outageMs: 60_000 });
    expect(set("2025-01", { ignoreCompareQuantity: true, quantities: [entry(1, 3)] }).status).toBe(503);
    expect(m.model.listing("sku-1")?.acceptedQuantity).toBe(10);
    m.stop();
  });
});

describe("cost-point refusals", () => {
  const perItem: MarketplaceProfile = { ...DEFAULT_PROFILES.shopify, rateLimit: { kind: "cost-points", maximumAvailable: 100, restoreRatePerSecond: 1, costPerCall: 10, costPerItem: 10 } };
  const quantities = (count: number) => Array.from({ length: count }, (_, i) => entry(i + 1, 1));

  it("THROTTLED with the refused cost and the bucket's state when the points run out", () => {
    const { set, m } = setup(perItem);
    expect(set("2025-01", { ignoreCompareQuantity: true, quantities: quantities(8) }).json).toMatchObject(userErrors());
    const refused = set("2025-01", { ignoreCompareQuantity: true, quantities: quantities(2) });
    expect(refused.json).toMatchObject({ errors: [{ extensions: { code: "THROTTLED" } }], extensions: { cost: { requestedQueryCost: 30, actualQueryCost: null, throttleStatus: { maximumAvailable: 100, currentlyAvailable: 10, restoreRate: 1 } } } });
    m.stop();
  });

  it("MAX_COST_EXCEEDED, not THROTTLED, for a call costing more than the bucket holds (no wait would admit it)", () => {
    const { set, accepted, m } = setup(perItem);
    const refused = set("2025-01", { ignoreCompareQuantity: true, quantities: quantities(10) });
    expect(refused.json).toMatchObject({ errors: [{ extensions: { code: "MAX_COST_EXCEEDED", cost: 110, maxCost: 100 } }] });
    expect(accepted("sku-1")).toBe(10);
    m.stop();
  });
});

describe("reads and cancellations draw on the same cost points as updates", () => {
  const small: MarketplaceProfile = { ...DEFAULT_PROFILES.shopify, rateLimit: { kind: "cost-points", maximumAvailable: 30, restoreRatePerSecond: 1, costPerCall: 10, costPerItem: 0 } };
  const READ = "query Q($first: Int!, $query: String!) { inventoryItems(first: $first, query: $query) { nodes { id sku } } }";
  const CANCEL = "mutation C($orderId: ID!) { orderCancel(orderId: $orderId, reason: INVENTORY, refund: true, restock: false) { orderCancelUserErrors { code } } }";

  it("charges inventoryItems and orderCancel, and answers THROTTLED like an update when the points run out", () => {
    const { post, set, m } = setup(small);
    const read = (count: number) => post("/admin/api/2025-01/graphql.json", { query: READ, variables: { first: 5, query: Array.from({ length: count }, (_, i) => `sku:sku-${i + 1}`).join(" OR ") } });
    expect(read(3).json).toMatchObject({ extensions: { cost: { requestedQueryCost: 5, actualQueryCost: 5, throttleStatus: { currentlyAvailable: 25 } } } });
    const order = m.checkout("sku-1", 1);
    if (!order.ok) throw new Error("checkout failed");
    const cancel = post("/admin/api/2025-01/graphql.json", { query: CANCEL, variables: { orderId: `gid://shopify/Order/${order.order.nativeId}` } });
    expect(cancel.json).toMatchObject({ data: { orderCancel: { orderCancelUserErrors: [] } }, extensions: { cost: { requestedQueryCost: 10, throttleStatus: { currentlyAvailable: 15 } } } });
    expect(set("2025-01", { ignoreCompareQuantity: true, quantities: [entry(1, 3)] }).json).toMatchObject(userErrors());
    const throttled = { errors: [{ extensions: { code: "THROTTLED" } }], extensions: { cost: { actualQueryCost: null, throttleStatus: { currentlyAvailable: 5 } } } };
    expect(read(4).json).toMatchObject({ ...throttled, extensions: { cost: { requestedQueryCost: 6 } } });
    expect(post("/admin/api/2025-01/graphql.json", { query: CANCEL, variables: { orderId: "gid://shopify/Order/1" } }).json).toMatchObject(throttled);
    expect(m.model.stats.throttled).toBe(2);
    m.stop();
  });
});
