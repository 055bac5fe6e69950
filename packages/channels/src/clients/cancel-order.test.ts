// Cancellations are confirmed by what the marketplace answers, not by a 2xx alone: a proxy's or a
// maintenance plugin's 200 page is no cancellation (the relay would drop the entry and the order ship).
import { describe, expect, it } from "vitest";
import { htmlReply, jsonReply, reasonOf, scripted } from "../../test/scripted-transport.js";
import type { HttpReply } from "../transport.js";
import { AmazonChannelClient } from "./amazon-channel-client.js";
import { EbayChannelClient } from "./ebay-channel-client.js";

const amazon = (reply: HttpReply) => new AmazonChannelClient({ baseUrl: "http://amazon.invalid", credentials: { sellerId: "S", marketplaceId: "M", accessToken: "t" }, transport: scripted(reply) });
const ebay = (reply: HttpReply) => new EbayChannelClient({ baseUrl: "http://ebay.invalid", credentials: { accessToken: "t" }, transport: scripted(reply) });
const EMPTY: HttpReply = { status: 200, headers: {}, body: "" };

describe("cancelOrder", () => {
  it("Amazon: confirmed by the order's Canceled status; a 200 page or an empty body is unavailable (retried)", async () => {
    expect(await amazon(jsonReply({ amazonOrderId: "1", status: "Canceled", alreadyCanceled: false })).cancelOrder("amazon:1", "insufficient stock")).toEqual({ ok: true });
    expect(reasonOf(await amazon(htmlReply()).cancelOrder("amazon:1", "insufficient stock"))).toBe("unavailable");
    expect(reasonOf(await amazon(EMPTY).cancelOrder("amazon:1", "insufficient stock"))).toBe("unavailable");
    expect(reasonOf(await amazon(jsonReply({ errors: [{ code: "NOT_FOUND" }] }, 404)).cancelOrder("amazon:1", "insufficient stock"))).toBe("rejected");
  });

  it("eBay: confirmed by the cancellation's id; a 200 page or an empty body is unavailable (retried)", async () => {
    expect(await ebay(jsonReply({ cancelId: "5000000001", cancelStatus: "CANCEL_CLOSED_WITH_REFUND" }, 201)).cancelOrder("ebay:1")).toEqual({ ok: true });
    expect(reasonOf(await ebay(htmlReply()).cancelOrder("ebay:1"))).toBe("unavailable");
    expect(reasonOf(await ebay(EMPTY).cancelOrder("ebay:1"))).toBe("unavailable");
  });
});
