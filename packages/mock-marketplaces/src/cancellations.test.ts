// Order cancellations as the marketplaces answer them: what a repeated cancel gets, and whether a
// cancellation puts the order's units back on sale. A mock that answers a repeat with a fresh "ok" and
// never gives stock back hides what the engine must cope with.

import { describe, expect, it } from "vitest";
import { DEFAULT_PROFILES, type MarketplaceKind } from "@synclag/marketplaces";
import { DEFAULT_MOCK_CREDENTIALS as c } from "./credentials.js";
import { MockMarketplace } from "./mock-marketplace.js";
import type { WireRequest } from "./wire/wire.js";

function setup(kind: MarketplaceKind) {
  const now = 1_800_000_000_000;
  const m = new MockMarketplace({ kind, profile: { ...DEFAULT_PROFILES[kind], visibilityDelay: { kind: "constant", ms: 0 } }, clock: () => now, seed: 3 });
  m.seed([{ sku: "sku-1", quantity: 10 }]);
  const send = (method: string, path: string, body: unknown, headers: Record<string, string>) => {
    const request: WireRequest = { method, path, query: new URLSearchParams(), headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
    const outcome = m.respond(request);
    return { status: outcome.reply.status, json: JSON.parse(outcome.reply.body) as Record<string, unknown> };
  };
  const buy = (quantity: number): string => {
    const outcome = m.checkout("sku-1", quantity);
    if (!outcome.ok) throw new Error("checkout failed");
    return outcome.order.nativeId;
  };
  const shown = () => m.model.availability(now, "sku-1");
  const accepted = () => m.model.readQuantities(now, ["sku-1"]).get("sku-1");
  return { m, send, buy, shown, accepted };
}

describe("eBay Post-Order cancellation", () => {
  const auth = { authorization: `IAF ${c.ebay.accessToken}` };
  const cancel = (send: ReturnType<typeof setup>["send"], legacyOrderId: string) => send("POST", "/post-order/v2/cancellation", { legacyOrderId, cancelReason: "OUT_OF_STOCK_OR_CANNOT_FULFILL" }, auth);

  it("a repeated cancel of the same order gets no cancelId but 'not eligible: CANCELLATION_EXIST', as eBay answers it; counted once", () => {
    const { m, send, buy } = setup("ebay");
    const order = buy(1);
    const first = cancel(send, order);
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ cancelId: expect.any(String), cancelStatus: "CANCEL_CLOSED_WITH_REFUND" });
    const again = cancel(send, order);
    expect(again.status).toBe(200);
    expect(again.json.cancelId).toBeUndefined();
    expect(again.json).toEqual({ orderEligibilityResult: { legacyOrderId: order, eligible: false, failureReason: ["CANCELLATION_EXIST"] } });
    expect(m.model.cancellations).toBe(1);
    m.stop();
  });
});

describe("WooCommerce: cancelling an order restocks its items", () => {
  const auth = { authorization: `Basic ${Buffer.from(`${c.woocommerce.consumerKey}:${c.woocommerce.consumerSecret}`).toString("base64")}` };

  it("PUT status cancelled gives the order's units back to the product's stock (wc_maybe_increase_stock_levels), once", () => {
    const { m, send, buy, shown, accepted } = setup("woocommerce");
    const order = buy(3);
    expect(shown()).toBe(7);
    expect(send("PUT", `/wp-json/wc/v3/orders/${order}`, { status: "cancelled" }, auth).status).toBe(200);
    expect(shown()).toBe(10);
    expect(accepted()).toBe(10);
    // Cancelled again (a retry after a lost reply): no second restock — the order's stock is no longer "reduced".
    expect(send("PUT", `/wp-json/wc/v3/orders/${order}`, { status: "cancelled" }, auth).status).toBe(200);
    expect(shown()).toBe(10);
    expect((m.truth("sku-1") as { timeline: { event: string; quantity: number }[] }).timeline.at(-1)).toMatchObject({ event: "restocked", quantity: 10 });
    m.stop();
  });
});

describe("Shopify orderCancel restocks only when asked to", () => {
  const auth = { "x-shopify-access-token": c.shopify.accessToken };
  const CANCEL = "mutation C($orderId: ID!, $restock: Boolean!) { orderCancel(orderId: $orderId, reason: INVENTORY, refund: true, restock: $restock) { orderCancelUserErrors { code } } }";
  const cancel = (send: ReturnType<typeof setup>["send"], order: string, restock: boolean) => send("POST", "/admin/api/2025-01/graphql.json", { query: CANCEL, variables: { orderId: `gid://shopify/Order/${order}`, restock } }, auth);

  it("restock: false (what the engine sends) leaves the inventory alone; restock: true puts the units back, once", () => {
    const { m, send, buy, shown } = setup("shopify");
    const kept = buy(2);
    expect(cancel(send, kept, false).json).toMatchObject({ data: { orderCancel: { orderCancelUserErrors: [] } } });
    expect(shown()).toBe(8);
    const restocked = buy(3);
    cancel(send, restocked, true);
    expect(shown()).toBe(8);
    cancel(send, restocked, true);
    expect(shown()).toBe(8);
    m.stop();
  });
});
