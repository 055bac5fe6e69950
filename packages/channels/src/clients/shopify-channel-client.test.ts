// The Shopify client at both levels: against scripted replies (what it sends, how it reads odd
// replies, when it drops a cached inventory item id), and against the mock's wire layer in-process
// (no server) for every API version era.

import { describe, expect, it } from "vitest";
import { DEFAULT_PROFILES } from "@synclag/marketplaces";
import { DEFAULT_MOCK_CREDENTIALS, MockMarketplace } from "@synclag/mock-marketplaces";
import { ChannelError } from "../errors.js";
import { htmlReply as html, jsonReply as json, reasonOf, scripted } from "../../test/scripted-transport.js";
import type { HttpReply, HttpRequest, HttpTransport } from "../transport.js";
import { ShopifyChannelClient } from "./shopify-channel-client.js";

const itemsPage = (nodes: { sku: string; quantity?: number }[]) =>
  json({ data: { inventoryItems: { nodes: nodes.map((n, i) => ({ id: `gid://shopify/InventoryItem/${i + 1}`, sku: n.sku, inventoryLevel: { quantities: n.quantity === undefined ? [] : [{ name: "available", quantity: n.quantity }] } })) } } });
const SET_OK = json({ data: { inventorySetQuantities: { inventoryAdjustmentGroup: { id: "gid://shopify/InventoryAdjustmentGroup/1", changes: [] }, userErrors: [] } } });


function client(transport: HttpTransport, options: { apiVersion?: string; api?: "graphql" | "rest"; compareAndSet?: boolean } = {}) {
  return new ShopifyChannelClient({
    baseUrl: "http://shop.invalid",
    credentials: { accessToken: "t", apiVersion: options.apiVersion ?? "2025-01", locationId: "1" },
    transport,
    ...(options.api ? { api: options.api } : {}),
    ...(options.compareAndSet === undefined ? {} : { compareAndSet: options.compareAndSet }),
  });
}

/** The `quantities` and the rest of the input of the n-th request's mutation. */
function inputOf(request: HttpRequest | undefined): Record<string, unknown> & { quantities: Record<string, unknown>[] } {
  return (JSON.parse(request?.body ?? "{}") as { variables: { input: Record<string, unknown> & { quantities: Record<string, unknown>[] } } }).variables.input;
}

/**
 * A transport straight into `MockMarketplace.respond` (the wire layer both shells share); while
 * `lose.on`, a set's reply is lost after the mock applied it (the client sees a timeout).
 */
function inProcess(marketplace: MockMarketplace, lose: { on: boolean } = { on: false }): HttpTransport {
  return {
    send: (request) => {
      const url = new URL(request.url);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
      const { reply } = marketplace.respond({ method: request.method, path: url.pathname, query: url.searchParams, headers, body: request.body ?? "" });
      if (lose.on && (request.body ?? "").includes("inventorySetQuantities")) return Promise.reject(new ChannelError("timeout", "timed out after 10000 ms"));
      return Promise.resolve({ status: reply.status, headers: reply.headers, body: reply.body });
    },
    close: () => Promise.resolve(),
  };
}

describe("compare-and-set fields follow the configured API version", () => {
  it("before 2026-01 sends compareQuantity (never changeFromQuantity, which those versions do not define)", async () => {
    const t = scripted(itemsPage([{ sku: "a", quantity: 3 }, { sku: "b", quantity: 0 }]), SET_OK);
    expect(await client(t, { apiVersion: "2025-01" }).setQuantities([{ sku: "a", quantity: 5, version: 2 }, { sku: "b", quantity: 1, version: 2 }])).toEqual([{ ok: true }, { ok: true }]);
    const input = inputOf(t.sent[1]);
    expect(input.ignoreCompareQuantity).toBeUndefined();
    expect(input.quantities.map((q) => q.compareQuantity)).toEqual([3, 0]);
    expect(input.quantities.some((q) => "changeFromQuantity" in q)).toBe(false);
  });

  it("before 2026-01 opts out with ignoreCompareQuantity: true when compare-and-set is off or a quantity is unknown", async () => {
    const off = scripted(itemsPage([{ sku: "a", quantity: 3 }]), SET_OK);
    await client(off, { apiVersion: "2024-07", compareAndSet: false }).setQuantities([{ sku: "a", quantity: 5, version: 2 }]);
    expect(inputOf(off.sent[1])).toMatchObject({ ignoreCompareQuantity: true, quantities: [{ quantity: 5 }] });
    expect(Object.keys(inputOf(off.sent[1]).quantities[0] ?? {})).toEqual(["inventoryItemId", "locationId", "quantity"]);

    const unknown = scripted(itemsPage([{ sku: "a", quantity: 3 }, { sku: "b" }]), SET_OK);
    await client(unknown, { apiVersion: "2025-10" }).setQuantities([{ sku: "a", quantity: 5, version: 2 }, { sku: "b", quantity: 1, version: 2 }]);
    expect(inputOf(unknown.sent[1]).ignoreCompareQuantity).toBe(true);
    expect(inputOf(unknown.sent[1]).quantities.some((q) => "compareQuantity" in q || "changeFromQuantity" in q)).toBe(false);
  });

  it.each(["2026-01", "2026-04", "unstable"])("from 2026-01 (%s) sends changeFromQuantity per entry, null when unknown, and none of the older fields", async (apiVersion) => {
    const t = scripted(itemsPage([{ sku: "a", quantity: 3 }, { sku: "b" }]), SET_OK);
    await client(t, { apiVersion }).setQuantities([{ sku: "a", quantity: 5, version: 2 }, { sku: "b", quantity: 1, version: 2 }]);
    const input = inputOf(t.sent[1]);
    expect(input.quantities.map((q) => q.changeFromQuantity)).toEqual([3, null]);
    expect("ignoreCompareQuantity" in input || input.quantities.some((q) => "compareQuantity" in q)).toBe(false);
  });
});

describe("@idempotent(key:) on the set, from 2026-01 (mandatory from 2026-04)", () => {
  const keyOf = (request: HttpRequest | undefined) => /@idempotent\(key: "([^"]+)"\)/.exec((JSON.parse(request?.body ?? "{}") as { query?: string }).query ?? "")?.[1];
  /** Answers from a script; `"timeout"` makes the transport time out (the set may or may not have applied). */
  function scriptedOrTimeout(...replies: (HttpReply | "timeout")[]): HttpTransport & { readonly sent: HttpRequest[] } {
    const sent: HttpRequest[] = [];
    return {
      sent,
      send: (request) => {
        sent.push(request);
        const next = replies.length > 1 ? replies.shift() : replies[0];
        return next === "timeout" ? Promise.reject(new ChannelError("timeout", "timed out after 10000 ms")) : Promise.resolve(next as HttpReply);
      },
      close: () => Promise.resolve(),
    };
  }
  const userError = (code: string) => json({ data: { inventorySetQuantities: { inventoryAdjustmentGroup: null, userErrors: [{ code, field: null, message: code }] } } });

  it.each(["2024-07", "2025-10"])("%s: no directive (those versions do not take it)", async (apiVersion) => {
    const t = scripted(itemsPage([{ sku: "a", quantity: 3 }]), SET_OK);
    await client(t, { apiVersion }).setQuantities([{ sku: "a", quantity: 5, version: 2 }]);
    expect((JSON.parse(t.sent[1]?.body ?? "{}") as { query: string }).query).not.toContain("@idempotent");
  });

  it.each(["2026-01", "2026-04", "unstable"])("%s: the set carries a key, a fresh one per batch", async (apiVersion) => {
    const t = scripted(itemsPage([{ sku: "a", quantity: 3 }]), SET_OK);
    const shopify = client(t, { apiVersion });
    await shopify.setQuantities([{ sku: "a", quantity: 5, version: 2 }]);
    await shopify.setQuantities([{ sku: "a", quantity: 6, version: 3 }]);
    const [first, second] = [keyOf(t.sent[1]), keyOf(t.sent[2])];
    expect(first).toMatch(/^[0-9a-f-]{36}$/);
    expect(second).toMatch(/^[0-9a-f-]{36}$/);
    expect(second).not.toBe(first);
  });

  it("every attempt carries a fresh key: a timed-out batch sent again unchanged, and an identical input later, get new ones", async () => {
    const t = scriptedOrTimeout(itemsPage([{ sku: "a", quantity: 3 }]), "timeout", itemsPage([{ sku: "a", quantity: 3 }]), SET_OK, SET_OK);
    const shopify = client(t, { apiVersion: "2026-04" });
    expect((await shopify.setQuantities([{ sku: "a", quantity: 5, version: 2 }])).map(reasonOf)).toEqual(["timeout"]);
    expect(await shopify.setQuantities([{ sku: "a", quantity: 5, version: 2 }])).toEqual([{ ok: true }]);
    // The same input (the re-read found 3: the set had not applied), under a new key: Shopify runs it.
    expect(inputOf(t.sent[1])).toEqual(inputOf(t.sent[3]));
    expect(keyOf(t.sent[3])).toMatch(/^[0-9a-f-]{36}$/);
    expect(keyOf(t.sent[3])).not.toBe(keyOf(t.sent[1]));
    const off = scriptedOrTimeout(itemsPage([{ sku: "a", quantity: 3 }]), "timeout", SET_OK, SET_OK);
    const blind = client(off, { apiVersion: "2026-04", compareAndSet: false });
    for (let i = 0; i < 3; i++) await blind.setQuantities([{ sku: "a", quantity: 5, version: 2 }]);
    expect(inputOf(off.sent[1])).toEqual(inputOf(off.sent[2]));
    expect(new Set([1, 2, 3].map((i) => keyOf(off.sent[i]))).size).toBe(3);
  });

  it("IDEMPOTENCY_CONCURRENT_REQUEST and IDEMPOTENCY_KEY_PARAMETER_MISMATCH: retryable, each retry with a fresh key", async () => {
    const t = scripted(itemsPage([{ sku: "a", quantity: 3 }]), userError("IDEMPOTENCY_CONCURRENT_REQUEST"), userError("IDEMPOTENCY_KEY_PARAMETER_MISMATCH"), SET_OK);
    const shopify = client(t, { apiVersion: "2026-04", compareAndSet: false });
    const push = () => shopify.setQuantities([{ sku: "a", quantity: 5, version: 2 }]);
    expect((await push()).map(reasonOf)).toEqual(["unavailable"]);
    expect((await push()).map(reasonOf)).toEqual(["unavailable"]);
    expect(await push()).toEqual([{ ok: true }]);
    expect(new Set([1, 2, 3].map((i) => keyOf(t.sent[i]))).size).toBe(3);
  });
});

describe.each([true, false])("a set whose earlier attempt's reply was lost really applies when sent again (mock, 2026-04, compareAndSet %s)", (compareAndSet) => {
  const setUp = (quantity: number) => {
    const now = 1_800_000_000_000;
    const marketplace = new MockMarketplace({ kind: "shopify", profile: DEFAULT_PROFILES.shopify, clock: () => now, seed: 1 });
    marketplace.seed([{ sku: "a", quantity }]);
    const c = DEFAULT_MOCK_CREDENTIALS.shopify;
    const lose = { on: true };
    const make = (transport: HttpTransport, cas: boolean) => new ShopifyChannelClient({ baseUrl: "http://shop.invalid", credentials: { accessToken: c.accessToken, apiVersion: "2026-04", locationId: c.locationId }, transport, compareAndSet: cas });
    return { marketplace, lose, shopify: make(inProcess(marketplace, lose), compareAndSet), other: make(inProcess(marketplace), false), accepted: () => marketplace.model.listing("a")?.acceptedQuantity };
  };

  it("A (reply lost) → B (reply lost) → A again: the listing ends at A and the client says ok", async () => {
    const { marketplace, lose, shopify, accepted } = setUp(5);
    expect((await shopify.setQuantities([{ sku: "a", quantity: 3, version: 1 }]))[0]).toMatchObject({ ok: false, reason: "timeout" });
    expect(accepted()).toBe(3);
    expect((await shopify.setQuantities([{ sku: "a", quantity: 5, version: 2 }]))[0]).toMatchObject({ ok: false, reason: "timeout" });
    expect(accepted()).toBe(5);
    lose.on = false;
    expect(await shopify.setQuantities([{ sku: "a", quantity: 3, version: 3 }])).toEqual([{ ok: true }]);
    expect(accepted()).toBe(3);
    marketplace.stop();
  });

  it("a timed-out set, an outside change the client reads back, then the same quantity again: it applies", async () => {
    const { marketplace, lose, shopify, other, accepted } = setUp(3);
    expect((await shopify.setQuantities([{ sku: "a", quantity: 5, version: 1 }]))[0]).toMatchObject({ ok: false, reason: "timeout" });
    expect(accepted()).toBe(5);
    lose.on = false;
    expect(await other.setQuantities([{ sku: "a", quantity: 3, version: 1 }])).toEqual([{ ok: true }]); // the merchant, or another app
    expect(await shopify.readQuantities(["a"])).toEqual(new Map([["a", 3]]));
    expect(await shopify.setQuantities([{ sku: "a", quantity: 5, version: 2 }])).toEqual([{ ok: true }]);
    expect(accepted()).toBe(5);
    marketplace.stop();
  });
});

describe("the client against the mock's wire layer, per API version", () => {
  it.each(["2024-07", "2025-01", "2025-10", "2026-01", "2026-04"])("%s: sets quantities, detects a stale cached quantity after a sale, and succeeds after re-reading", async (apiVersion) => {
    const now = 1_800_000_000_000;
    const marketplace = new MockMarketplace({ kind: "shopify", profile: DEFAULT_PROFILES.shopify, clock: () => now, seed: 1 });
    marketplace.seed([{ sku: "a", quantity: 10 }, { sku: "b", quantity: 10 }]);
    const c = DEFAULT_MOCK_CREDENTIALS.shopify;
    const shopify = new ShopifyChannelClient({ baseUrl: "http://shop.invalid", credentials: { accessToken: c.accessToken, apiVersion, locationId: c.locationId }, transport: inProcess(marketplace) });
    expect(await shopify.setQuantities([{ sku: "a", quantity: 8, version: 1 }, { sku: "b", quantity: 4, version: 1 }])).toEqual([{ ok: true }, { ok: true }]);
    expect(marketplace.model.listing("a")?.acceptedQuantity).toBe(8);
    expect(marketplace.checkout("a", 1).ok).toBe(true);
    expect((await shopify.setQuantities([{ sku: "a", quantity: 6, version: 2 }])).map(reasonOf)).toEqual(["stale"]);
    expect(await shopify.setQuantities([{ sku: "a", quantity: 6, version: 2 }])).toEqual([{ ok: true }]);
    expect(marketplace.model.listing("a")?.acceptedQuantity).toBe(6);
    marketplace.stop();
  });
});

describe("a cached inventory item id that no longer holds the SKU is dropped and looked up again", () => {
  const itemNode = (gid: number, sku: string, quantity: number) => ({ id: `gid://shopify/InventoryItem/${gid}`, sku, inventoryLevel: { quantities: [{ name: "available", quantity }] } });
  const setReply = (changes: { gid: number; sku: string | null }[], userErrors: Record<string, unknown>[] = []) =>
    json({ data: { inventorySetQuantities: { inventoryAdjustmentGroup: { id: "gid://shopify/InventoryAdjustmentGroup/1", changes: changes.map((c) => ({ name: "available", quantityAfterChange: 5, item: { id: `gid://shopify/InventoryItem/${c.gid}`, sku: c.sku } })) }, userErrors } } });
  const isItemsQuery = (request: HttpRequest | undefined) => (JSON.parse(request?.body ?? "{}") as { query?: string }).query?.includes("inventoryItems(") === true;

  it("an INVALID_INVENTORY_ITEM user error (item deleted or re-created) is unavailable, and the next push looks the SKU up again", async () => {
    const invalid = { code: "INVALID_INVENTORY_ITEM", field: ["input", "quantities", "1", "inventoryItemId"], message: "The specified inventory item could not be found." };
    const t = scripted(itemsPage([{ sku: "a", quantity: 1 }, { sku: "b", quantity: 1 }]), setReply([{ gid: 1, sku: "a" }], [invalid]), json({ data: { inventoryItems: { nodes: [itemNode(7, "b", 1)] } } }), SET_OK);
    const shopify = client(t);
    const updates = [{ sku: "a", quantity: 5, version: 2 }, { sku: "b", quantity: 5, version: 2 }];
    expect((await shopify.setQuantities(updates)).map(reasonOf)).toEqual(["ok", "unavailable"]);
    expect(await shopify.setQuantities(updates)).toEqual([{ ok: true }, { ok: true }]);
    expect(isItemsQuery(t.sent[2])).toBe(true);
    expect(JSON.parse(t.sent[2]?.body ?? "{}")).toMatchObject({ variables: { query: 'sku:"b"' } });
    expect(inputOf(t.sent[3]).quantities.map((q) => q.inventoryItemId)).toEqual(["gid://shopify/InventoryItem/1", "gid://shopify/InventoryItem/7"]);
  });

  it("a change reported for the item under another SKU (the SKU moved) is unavailable, not ok; the next push looks the SKU up again", async () => {
    const t = scripted(itemsPage([{ sku: "a", quantity: 1 }]), setReply([{ gid: 1, sku: "z" }]), json({ data: { inventoryItems: { nodes: [itemNode(7, "a", 1)] } } }), SET_OK);
    const shopify = client(t);
    expect((await shopify.setQuantities([{ sku: "a", quantity: 5, version: 2 }])).map(reasonOf)).toEqual(["unavailable"]);
    expect(await shopify.setQuantities([{ sku: "a", quantity: 5, version: 3 }])).toEqual([{ ok: true }]);
    expect(isItemsQuery(t.sent[2])).toBe(true);
    expect(inputOf(t.sent[3]).quantities[0]?.inventoryItemId).toBe("gid://shopify/InventoryItem/7");
  });

  it("against the mock: after the catalogue is re-created with other ids, a push fails once (retryable) and then sets the right item", async () => {
    const now = 1_800_000_000_000;
    const marketplace = new MockMarketplace({ kind: "shopify", profile: DEFAULT_PROFILES.shopify, clock: () => now, seed: 1 });
    marketplace.seed([{ sku: "a", quantity: 10 }, { sku: "b", quantity: 10 }]);
    const c = DEFAULT_MOCK_CREDENTIALS.shopify;
    const shopify = new ShopifyChannelClient({ baseUrl: "http://shop.invalid", credentials: { accessToken: c.accessToken, apiVersion: c.apiVersion, locationId: c.locationId }, transport: inProcess(marketplace), compareAndSet: false });
    expect(await shopify.setQuantities([{ sku: "a", quantity: 8, version: 1 }, { sku: "b", quantity: 8, version: 1 }])).toEqual([{ ok: true }, { ok: true }]);
    marketplace.reset();
    marketplace.seed([{ sku: "b", quantity: 10 }]); // b now has a's old item id; a's old id is gone
    expect((await shopify.setQuantities([{ sku: "a", quantity: 6, version: 2 }])).map(reasonOf)).toEqual(["unavailable"]);
    expect((await shopify.setQuantities([{ sku: "b", quantity: 6, version: 2 }])).map(reasonOf)).toEqual(["unavailable"]);
    marketplace.seed([{ sku: "a", quantity: 10 }]);
    expect(await shopify.setQuantities([{ sku: "a", quantity: 4, version: 3 }, { sku: "b", quantity: 4, version: 3 }])).toEqual([{ ok: true }, { ok: true }]);
    expect([marketplace.model.listing("a")?.acceptedQuantity, marketplace.model.listing("b")?.acceptedQuantity]).toEqual([4, 4]);
    marketplace.stop();
  });
});

describe("a 200 is success only when its body confirms the operation", () => {
  it.each([
    ["an HTML page", html()],
    ["an empty body", { status: 200, headers: {}, body: "" }],
    ["data: null", json({ data: null })],
    ["a null payload", json({ data: { inventorySetQuantities: null } })],
    ["a payload without userErrors", json({ data: { inventorySetQuantities: { inventoryAdjustmentGroup: null } } })],
  ])("GraphQL update answered with %s → unavailable for every item", async (_label, reply) => {
    const t = scripted(itemsPage([{ sku: "a", quantity: 1 }, { sku: "b", quantity: 1 }]), reply);
    const outcomes = await client(t).setQuantities([{ sku: "a", quantity: 5, version: 2 }, { sku: "b", quantity: 5, version: 2 }]);
    expect(outcomes.map(reasonOf)).toEqual(["unavailable", "unavailable"]);
  });

  it("after an unconfirmed update the cached quantity is dropped: the next push re-reads before comparing", async () => {
    const t = scripted(itemsPage([{ sku: "a", quantity: 1 }]), html(), itemsPage([{ sku: "a", quantity: 5 }]), SET_OK);
    const shopify = client(t);
    expect((await shopify.setQuantities([{ sku: "a", quantity: 5, version: 2 }])).map(reasonOf)).toEqual(["unavailable"]);
    expect(await shopify.setQuantities([{ sku: "a", quantity: 5, version: 2 }])).toEqual([{ ok: true }]);
    expect(inputOf(t.sent[3]).quantities[0]?.compareQuantity).toBe(5);
  });

  it("an unreadable inventoryItems page is unavailable, not 'no such SKU' (which would reject the push for good)", async () => {
    const shopify = client(scripted(html()));
    expect((await shopify.setQuantities([{ sku: "a", quantity: 5, version: 2 }])).map(reasonOf)).toEqual(["unavailable"]);
    await expect(shopify.readQuantities(["a"])).rejects.toMatchObject({ reason: "unavailable" });
  });

  it.each([
    ["an HTML page", html()],
    ["an empty body", { status: 200, headers: {}, body: "" }],
    ["inventory_level missing", json({ errors: "nothing here" })],
  ])("REST update answered with %s → unavailable", async (_label, reply) => {
    const t = scripted(itemsPage([{ sku: "a", quantity: 1 }]), reply);
    expect((await client(t, { api: "rest" }).setQuantities([{ sku: "a", quantity: 5, version: 2 }])).map(reasonOf)).toEqual(["unavailable"]);
  });

  it("REST update with the inventory_level it set → ok", async () => {
    const t = scripted(itemsPage([{ sku: "a", quantity: 1 }]), json({ inventory_level: { inventory_item_id: 1, location_id: 1, available: 5 } }));
    expect(await client(t, { api: "rest" }).setQuantities([{ sku: "a", quantity: 5, version: 2 }])).toEqual([{ ok: true }]);
  });

  it.each([
    ["an HTML page", html()],
    ["data: null", json({ data: null })],
    ["a null orderCancel", json({ data: { orderCancel: null } })],
  ])("cancelOrder answered with %s is a failure to retry, not a cancellation", async (_label, reply) => {
    const outcome = await client(scripted(reply)).cancelOrder("shopify:5000000001", "oversold");
    expect(reasonOf(outcome)).toBe("unavailable");
  });

  it("cancelOrder with an orderCancel payload and no user errors → ok", async () => {
    const outcome = await client(scripted(json({ data: { orderCancel: { job: { id: "gid://shopify/Job/1", done: false }, orderCancelUserErrors: [] } } }))).cancelOrder("shopify:5000000001", "oversold");
    expect(outcome).toEqual({ ok: true });
  });
});

describe("top-level GraphQL error codes", () => {
  const error = (code: string) => json({ errors: [{ message: code, extensions: { code } }] });
  it.each([
    ["INTERNAL_SERVER_ERROR", "unavailable"],
    ["SERVICE_UNAVAILABLE", "unavailable"],
    ["SHOP_INACTIVE", "unauthorized"],
    ["ACCESS_DENIED", "unauthorized"],
    ["MAX_COST_EXCEEDED", "rejected"],
  ])("%s inside a 200 → %s, for pushes, reads and cancellations", async (code, reason) => {
    const push = await client(scripted(itemsPage([{ sku: "a", quantity: 1 }]), error(code))).setQuantities([{ sku: "a", quantity: 5, version: 2 }]);
    expect(push.map(reasonOf)).toEqual([reason]);
    await expect(client(scripted(error(code))).readQuantities(["a"])).rejects.toMatchObject({ reason });
    expect(reasonOf(await client(scripted(error(code))).cancelOrder("shopify:1", "oversold"))).toBe(reason);
  });
});

describe("throttling", () => {
  const throttled = (status: number, headers: Record<string, string> = {}) =>
    json({ errors: [{ message: "Throttled", extensions: { code: "THROTTLED" } }], extensions: { cost: { requestedQueryCost: 52, actualQueryCost: null, throttleStatus: { maximumAvailable: 1000, currentlyAvailable: 2, restoreRate: 100 } } } }, status, headers);

  it("a 429 with Retry-After waits what the header says, not what the cost figures imply", async () => {
    const [outcome] = await client(scripted(itemsPage([{ sku: "a", quantity: 1 }]), throttled(429, { "retry-after": "5" }))).setQuantities([{ sku: "a", quantity: 5, version: 2 }]);
    expect(outcome).toMatchObject({ ok: false, reason: "rate_limited", retryAfterMs: 5_000 });
  });

  it("a THROTTLED without Retry-After waits until the bucket holds the requested cost", async () => {
    const [outcome] = await client(scripted(itemsPage([{ sku: "a", quantity: 1 }]), throttled(200))).setQuantities([{ sku: "a", quantity: 5, version: 2 }]);
    expect(outcome).toMatchObject({ ok: false, reason: "rate_limited", retryAfterMs: 500 });
  });

  it("a throttled read surfaces as rate_limited with the wait: a ChannelError from readQuantities, a per-item outcome from a push that needed the read", async () => {
    const error = await client(scripted(throttled(200))).readQuantities(["a"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChannelError);
    expect(error).toMatchObject({ reason: "rate_limited", retryable: true, retryAfterMs: 500 });
    const outcomes = await client(scripted(throttled(429, { "retry-after": "2" }))).setQuantities([{ sku: "a", quantity: 5, version: 2 }, { sku: "b", quantity: 5, version: 2 }]);
    expect(outcomes).toEqual([0, 1].map(() => expect.objectContaining({ reason: "rate_limited", retryAfterMs: 2_000 })));
  });
});

describe("ShopifyChannelClient.readBudgetCost", () => {
  it("under GraphQL: a read's cost points in update calls (2 + n a page of up to 250, a mutation 10), for the engine to reserve; under REST 0 (the updates' call limit is REST's own)", () => {
    expect(client(scripted()).readBudgetCost(100)).toBeCloseTo(10.2, 10);
    expect(client(scripted()).readBudgetCost(600)).toBeCloseTo((252 + 252 + 102) / 10, 10);
    expect(client(scripted()).readBudgetCost(0)).toBe(0);
    expect(client(scripted(), { api: "rest" }).readBudgetCost(100)).toBe(0);
  });
});

