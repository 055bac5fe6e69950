import { describe, expect, it } from "vitest";
import type { ChannelClient, PushOutcome } from "@synclag/core";
import type { HttpReply, HttpTransport } from "../transport.js";
import { EbayChannelClient } from "./ebay-channel-client.js";
import { ShopifyChannelClient } from "./shopify-channel-client.js";

/** Answers every request with the same reply (no server: classification only). */
function answering(reply: HttpReply): HttpTransport {
  return { send: () => Promise.resolve(reply), close: () => Promise.resolve() };
}

const reasonOf = (outcome: PushOutcome | undefined) => (outcome && !outcome.ok ? outcome.reason : "ok");

describe("whole-call HTTP classification", () => {
  it.each([401, 403, 407, 423])("reports HTTP %i as unauthorized (about the caller, not the order or item), for cancellations and pushes alike", async (status) => {
    const ebay: ChannelClient = new EbayChannelClient({ baseUrl: "http://ebay.invalid", credentials: { accessToken: "expired" }, transport: answering({ status, headers: {}, body: '{"errors":[{"errorId":1001,"message":"Invalid access token"}]}' }) });
    expect(reasonOf(await ebay.cancelOrder("ebay:o-1", "insufficient stock"))).toBe("unauthorized");
    expect((await ebay.setQuantities([{ sku: "A", quantity: 1, version: 1 }])).map(reasonOf)).toEqual(["unauthorized"]);
  });

  it.each([400, 404, 409, 422])("still reports HTTP %i as rejected", async (status) => {
    const ebay: ChannelClient = new EbayChannelClient({ baseUrl: "http://ebay.invalid", credentials: { accessToken: "t" }, transport: answering({ status, headers: {}, body: "{}" }) });
    expect(reasonOf(await ebay.cancelOrder("ebay:o-1", "insufficient stock"))).toBe("rejected");
  });

  it("reports Shopify's ACCESS_DENIED (HTTP 200, top-level errors) as unauthorized, and other top-level errors as rejected", async () => {
    const shopify = (errors: unknown) =>
      new ShopifyChannelClient({ baseUrl: "http://shop.invalid", credentials: { accessToken: "t", apiVersion: "2025-01", locationId: "1" }, transport: answering({ status: 200, headers: {}, body: JSON.stringify({ errors }) }) });
    expect(reasonOf(await shopify([{ message: "Access denied for orderCancel field.", extensions: { code: "ACCESS_DENIED" } }]).cancelOrder("shopify:1", "insufficient stock"))).toBe("unauthorized");
    expect(reasonOf(await shopify([{ message: "Field 'x' doesn't exist" }]).cancelOrder("shopify:1", "insufficient stock"))).toBe("rejected");
  });
});
