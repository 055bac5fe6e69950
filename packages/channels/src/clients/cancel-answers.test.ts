// How the clients classify documented cancellation answers that say something other than "cancelled":
// an eBay order not eligible for cancellation (a cancellation already exists, or it cannot be cancelled
// any more) and Shopify's orderCancel user errors. Each one decides whether the cancellation relay
// removes the entry (ok), holds it as a refusal about the order (rejected), or backs the channel off
// (unavailable, unauthorized) — a wrong class either loses a cancellation or blocks the channel.
import { describe, expect, it } from "vitest";
import { jsonReply, reasonOf, scripted } from "../../test/scripted-transport.js";
import { EbayChannelClient } from "./ebay-channel-client.js";
import { ShopifyChannelClient } from "./shopify-channel-client.js";

const ebay = (...replies: Parameters<typeof scripted>) => new EbayChannelClient({ baseUrl: "http://ebay.invalid", credentials: { accessToken: "t" }, transport: scripted(...replies) });
const shopify = (...replies: Parameters<typeof scripted>) =>
  new ShopifyChannelClient({ baseUrl: "http://shop.invalid", credentials: { accessToken: "t", apiVersion: "2025-01", locationId: "1" }, transport: scripted(...replies) });

// developer.ebay.com, Post-Order CreateCancelResponse: "cancelId … is returned unless the order is not
// eligible for cancellation"; OrderEligibilityResult.failureReason from EligibilityFailureReasonEnum.
const notEligible = (...failureReason: string[]) => jsonReply({ orderEligibilityResult: { legacyOrderId: "12-34", eligible: false, failureReason } }, 200);

describe("eBay: an order not eligible for cancellation", () => {
  it("CANCELLATION_EXIST (our own earlier call went through: its reply timed out, or another instance sent it) is ok — never unavailable, which would back the channel off and ask again forever", async () => {
    expect(await ebay(notEligible("CANCELLATION_EXIST")).cancelOrder("ebay:12-34:1")).toEqual({ ok: true });
  });

  it.each([["CANCEL_WINDOW_ELAPSED"], ["CASE_EXIST"], ["CROSS_SITE_ORDER"]])("%s is a refusal about the order (rejected), with eBay's reason in the message", async (reason) => {
    const outcome = await ebay(notEligible(reason)).cancelOrder("ebay:12-34:1");
    expect(reasonOf(outcome)).toBe("rejected");
    expect(outcome).toMatchObject({ message: expect.stringContaining(reason) });
  });

  it("a cancellation that exists wins over another reason listed with it (the order is cancelled)", async () => {
    expect(await ebay(notEligible("CANCEL_WINDOW_ELAPSED", "CANCELLATION_EXIST")).cancelOrder("ebay:12-34:1")).toEqual({ ok: true });
  });

  it("not eligible without any reason, or an eligibility result that says eligible but no cancelId, confirms nothing: unavailable", async () => {
    expect(reasonOf(await ebay(notEligible()).cancelOrder("ebay:12-34:1"))).toBe("unavailable");
    expect(reasonOf(await ebay(jsonReply({ orderEligibilityResult: { legacyOrderId: "12-34", eligible: true } })).cancelOrder("ebay:12-34:1"))).toBe("unavailable");
  });
});

describe("Shopify: orderCancel user errors (OrderCancelUserErrorCode)", () => {
  const userErrors = (...codes: string[]) => jsonReply({ data: { orderCancel: { job: null, orderCancelUserErrors: codes.map((code) => ({ code, field: null, message: `${code} message` })) } } });

  it.each([
    // "Unexpected internal error happened." — Shopify's side, like the top-level INTERNAL_SERVER_ERROR: retried.
    ["INTERNAL_ERROR", "unavailable"],
    // "An order refund was requested but the user does not have the refund_orders permission." — the app's access, not the order.
    ["NO_REFUND_PERMISSION", "unauthorized"],
    ["NO_REFUND_TO_STORE_CREDIT_PERMISSION", "unauthorized"],
    ["NOT_FOUND", "rejected"],
    ["INVALID", "rejected"],
  ])("%s → %s", async (code, reason) => {
    expect(reasonOf(await shopify(userErrors(code)).cancelOrder("shopify:5000000001", "insufficient stock"))).toBe(reason);
  });

  it("a retryable error listed with a refusal is retried (the retry may clear both)", async () => {
    expect(reasonOf(await shopify(userErrors("INVALID", "INTERNAL_ERROR")).cancelOrder("shopify:5000000001", "insufficient stock"))).toBe("unavailable");
    expect(reasonOf(await shopify(userErrors("NOT_FOUND", "NO_REFUND_PERMISSION")).cancelOrder("shopify:5000000001", "insufficient stock"))).toBe("unauthorized");
  });
});
