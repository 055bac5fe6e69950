// The WooCommerce client against scripted replies: what counts as a confirmed update or
// cancellation, how per-item batch errors are classified, and when a cached product id is dropped.

import { describe, expect, it } from "vitest";
import { htmlReply as html, jsonReply as json, reasonOf, scripted } from "../../test/scripted-transport.js";
import type { HttpTransport } from "../transport.js";
import { WooCommerceChannelClient } from "./woocommerce-channel-client.js";

const PRODUCTS = json([{ id: 101, sku: "a", stock_quantity: 1 }, { id: 102, sku: "b", stock_quantity: 1 }, { id: 103, sku: "c", stock_quantity: 1 }]);
const INVALID_ID = { code: "woocommerce_rest_product_invalid_id", message: "Invalid ID.", data: { status: 404 } };

const client = (transport: HttpTransport) => new WooCommerceChannelClient({ baseUrl: "http://woo.invalid", credentials: { consumerKey: "ck", consumerSecret: "cs" }, transport });

describe("a 200 is success only when its body confirms the operation", () => {
  it.each([
    ["an HTML page", html()],
    ["an empty body", { status: 200, headers: {}, body: "" }],
    ["another product", json({ id: 999, sku: "z", stock_quantity: 5 })],
  ])("single-item PUT answered with %s → unavailable", async (_label, reply) => {
    expect((await client(scripted(PRODUCTS, reply)).setQuantities([{ sku: "a", quantity: 5, version: 2 }])).map(reasonOf)).toEqual(["unavailable"]);
  });

  it("single-item PUT answered with the updated product → ok", async () => {
    expect(await client(scripted(PRODUCTS, json({ id: 101, sku: "a", stock_quantity: 5 }))).setQuantities([{ sku: "a", quantity: 5, version: 2 }])).toEqual([{ ok: true }]);
  });

  it("an unreadable product lookup is unavailable, not 'no product with that SKU' (which would reject the push for good)", async () => {
    const woo = client(scripted(html()));
    expect((await woo.setQuantities([{ sku: "a", quantity: 5, version: 2 }])).map(reasonOf)).toEqual(["unavailable"]);
    await expect(woo.readQuantities(["a"])).rejects.toMatchObject({ reason: "unavailable" });
  });

  it("cancelOrder needs the order back with status cancelled", async () => {
    expect(reasonOf(await client(scripted(html())).cancelOrder("woocommerce:1001"))).toBe("unavailable");
    expect(await client(scripted(json({ id: 1001, status: "cancelled" }))).cancelOrder("woocommerce:1001")).toEqual({ ok: true });
  });
});

describe("batch per-item errors", () => {
  it("classify by the item's data.status: 5xx → unavailable, 429 → rate_limited, 4xx → rejected", async () => {
    const reply = json({
      update: [
        { id: 101, error: { code: "internal_server_error", message: "critical error", data: { status: 500 } } },
        { id: 102, error: { code: "woocommerce_rest_too_many_requests", message: "slow down", data: { status: 429 } } },
        { id: 103, error: { code: "rest_invalid_param", message: "Invalid parameter(s): stock_quantity", data: { status: 400 } } },
      ],
    });
    const outcomes = await client(scripted(PRODUCTS, reply)).setQuantities(["a", "b", "c"].map((sku) => ({ sku, quantity: 1, version: 2 })));
    expect(outcomes.map(reasonOf)).toEqual(["unavailable", "rate_limited", "rejected"]);
  });
});

describe("a cached product id that no longer holds the SKU is dropped and looked up again", () => {
  const lookupOf = (request: { url: string } | undefined) => new URL(request?.url ?? "http://x/").searchParams.get("sku");

  it("a PUT answered by the product under another SKU (the SKU moved) is unavailable, not ok; the next push looks the SKU up again", async () => {
    const t = scripted(PRODUCTS, json({ id: 101, sku: "z", stock_quantity: 5 }), json([{ id: 201, sku: "a", stock_quantity: 5 }]), json({ id: 201, sku: "a", stock_quantity: 5 }));
    const woo = client(t);
    expect((await woo.setQuantities([{ sku: "a", quantity: 5, version: 2 }])).map(reasonOf)).toEqual(["unavailable"]);
    expect(await woo.setQuantities([{ sku: "a", quantity: 5, version: 3 }])).toEqual([{ ok: true }]);
    expect(t.sent.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual(["GET /wp-json/wc/v3/products", "PUT /wp-json/wc/v3/products/101", "GET /wp-json/wc/v3/products", "PUT /wp-json/wc/v3/products/201"]);
    expect(lookupOf(t.sent[2])).toBe("a");
  });

  it("a 404 woocommerce_rest_product_invalid_id (product deleted or re-created) is unavailable; the next push looks the SKU up again", async () => {
    const t = scripted(PRODUCTS, json(INVALID_ID, 404), json([{ id: 201, sku: "a", stock_quantity: 1 }]), json({ id: 201, sku: "a", stock_quantity: 4 }));
    const woo = client(t);
    expect((await woo.setQuantities([{ sku: "a", quantity: 4, version: 2 }])).map(reasonOf)).toEqual(["unavailable"]);
    expect(await woo.setQuantities([{ sku: "a", quantity: 4, version: 3 }])).toEqual([{ ok: true }]);
    expect(new URL(t.sent[3]?.url ?? "http://x/").pathname).toBe("/wp-json/wc/v3/products/201");
  });

  it("once the lookup finds no product with the SKU, the push is rejected (no endless retry)", async () => {
    const woo = client(scripted(PRODUCTS, json(INVALID_ID, 404), json([])));
    expect((await woo.setQuantities([{ sku: "a", quantity: 4, version: 2 }])).map(reasonOf)).toEqual(["unavailable"]);
    expect((await woo.setQuantities([{ sku: "a", quantity: 4, version: 3 }])).map(reasonOf)).toEqual(["rejected"]);
  });

  it("a 404 of another kind (no such route) stays a rejection and keeps the id", async () => {
    const t = scripted(PRODUCTS, json({ code: "rest_no_route", message: "No route was found matching the URL and request method.", data: { status: 404 } }, 404));
    const woo = client(t);
    expect((await woo.setQuantities([{ sku: "a", quantity: 4, version: 2 }])).map(reasonOf)).toEqual(["rejected"]);
    await woo.setQuantities([{ sku: "a", quantity: 4, version: 3 }]);
    expect(t.sent.map((r) => r.method)).toEqual(["GET", "PUT", "PUT"]);
  });

  it("an HTML 404 (a proxy's or a theme's page, not WooCommerce's JSON error) says nothing about the product: unavailable, and the id is kept", async () => {
    const t = scripted(PRODUCTS, html(404));
    const woo = client(t);
    expect((await woo.setQuantities([{ sku: "a", quantity: 4, version: 2 }])).map(reasonOf)).toEqual(["unavailable"]);
    expect((await woo.setQuantities(["a", "b"].map((sku) => ({ sku, quantity: 4, version: 3 })))).map(reasonOf)).toEqual(["unavailable", "unavailable"]);
    expect(t.sent.map((r) => r.method)).toEqual(["GET", "PUT", "POST"]);
  });

  it("batch: an item under another SKU or with woocommerce_rest_product_invalid_id is unavailable, and only those SKUs are looked up again", async () => {
    const reply = json({ update: [{ id: 101, sku: "a", stock_quantity: 1 }, { id: 102, sku: "z", stock_quantity: 1 }, { id: 103, error: INVALID_ID }] });
    const t = scripted(PRODUCTS, reply, json([{ id: 202, sku: "b", stock_quantity: 1 }, { id: 203, sku: "c", stock_quantity: 1 }]), json({ update: [{ id: 101, sku: "a" }, { id: 202, sku: "b" }, { id: 203, sku: "c" }] }));
    const woo = client(t);
    const updates = ["a", "b", "c"].map((sku) => ({ sku, quantity: 1, version: 2 }));
    expect((await woo.setQuantities(updates)).map(reasonOf)).toEqual(["ok", "unavailable", "unavailable"]);
    expect(await woo.setQuantities(updates)).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(lookupOf(t.sent[2])).toBe("b,c");
    expect((JSON.parse(t.sent[3]?.body ?? "{}") as { update: { id: number }[] }).update.map((u) => u.id)).toEqual([101, 202, 203]);
  });
});
