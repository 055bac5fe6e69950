// The WooCommerce client against scripted replies: what counts as a confirmed update or
// cancellation, and how per-item batch errors are classified.

import { describe, expect, it } from "vitest";
import { htmlReply as html, jsonReply as json, reasonOf, scripted } from "../../test/scripted-transport.js";
import type { HttpTransport } from "../transport.js";
import { WooCommerceChannelClient } from "./woocommerce-channel-client.js";

const PRODUCTS = json([{ id: 101, sku: "a", stock_quantity: 1 }, { id: 102, sku: "b", stock_quantity: 1 }, { id: 103, sku: "c", stock_quantity: 1 }]);


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
