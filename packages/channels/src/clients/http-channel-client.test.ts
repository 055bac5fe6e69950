import { describe, expect, it } from "vitest";
import type { ChannelClient, PushOutcome } from "@synclag/core";
import type { HttpReply, HttpTransport } from "../transport.js";
import { EbayChannelClient } from "./ebay-channel-client.js";
import { LOOKUP_URL_BUDGET, RETRY_AFTER_CAP_MS, lookupPages, parseRetryAfter } from "./http-channel-client.js";
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

describe("Retry-After", () => {
  const NOW = Date.parse("2026-01-01T00:00:00Z");

  it("reads delta-seconds and the three HTTP-date forms", () => {
    expect(parseRetryAfter("120", NOW)).toBe(120_000);
    expect(parseRetryAfter(" 2.0 ", NOW)).toBe(2_000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", NOW)).toBe(30_000);
    expect(parseRetryAfter("Thursday, 01-Jan-26 00:00:30 GMT", NOW)).toBe(30_000);
    expect(parseRetryAfter("Thu Jan  1 00:00:30 2026", NOW)).toBe(30_000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 23:59:00 GMT", NOW)).toBe(0);
  });

  it("ignores garbage that Number() or Date.parse() alone would take, and caps long waits", () => {
    for (const garbage of ["", "soon", "5 apples", "0x10", "-5", "1e3", "Infinity", "2026-01-01"]) expect(parseRetryAfter(garbage, NOW)).toBeUndefined();
    expect(parseRetryAfter("86400", NOW)).toBe(RETRY_AFTER_CAP_MS);
    expect(parseRetryAfter("Fri, 01 Jan 2027 00:00:00 GMT", NOW)).toBe(RETRY_AFTER_CAP_MS);
  });

  it("a 503 with Retry-After carries the wait on its unavailable outcome (and a 503 without one carries none)", async () => {
    const ebay = (headers: Record<string, string>) => new EbayChannelClient({ baseUrl: "http://ebay.invalid", credentials: { accessToken: "t" }, transport: answering({ status: 503, headers, body: "<html>Briefly unavailable for scheduled maintenance</html>" }) });
    expect(await ebay({ "retry-after": "600" }).setQuantities([{ sku: "A", quantity: 1, version: 1 }])).toEqual([expect.objectContaining({ ok: false, reason: "unavailable", retryAfterMs: 600_000 })]);
    expect(await ebay({ "retry-after": "600" }).cancelOrder("ebay:o-1")).toMatchObject({ reason: "unavailable", retryAfterMs: 600_000 });
    const [bare] = await ebay({}).setQuantities([{ sku: "A", quantity: 1, version: 1 }]);
    expect(bare).toMatchObject({ reason: "unavailable" });
    expect(bare && "retryAfterMs" in bare).toBe(false);
  });

  it("a 429 with an unreadable Retry-After falls back to the client's default wait", async () => {
    const ebay = new EbayChannelClient({ baseUrl: "http://ebay.invalid", credentials: { accessToken: "t" }, transport: answering({ status: 429, headers: { "retry-after": "later" }, body: "" }) });
    expect(await ebay.setQuantities([{ sku: "A", quantity: 1, version: 1 }])).toEqual([expect.objectContaining({ reason: "rate_limited", retryAfterMs: 1_000 })]);
  });
});

describe("lookupPages: SKUs a lookup puts in its URL, paged by count and by encoded length", () => {
  const paging = { maxCount: 100, encodedLength: (sku: string) => sku.length, separatorLength: 3 };
  const skus = (count: number, length: number) => Array.from({ length: count }, (_, i) => String(i).padStart(length, "x"));

  it("short SKUs: pages of the API's size", () => {
    expect(lookupPages(skus(250, 10), paging).map((p) => p.length)).toEqual([100, 100, 50]);
  });

  it("long SKUs: every page's list within the budget, every SKU once and in order", () => {
    const all = skus(100, 100);
    const pages = lookupPages(all, paging);
    expect(pages.length).toBeGreaterThan(1);
    for (const page of pages) expect(page.reduce((n, sku) => n + sku.length, 0) + 3 * (page.length - 1)).toBeLessThanOrEqual(LOOKUP_URL_BUDGET);
    expect(pages.flat()).toEqual(all);
  });

  it("a SKU longer than the budget gets a page of its own; no empty page", () => {
    const huge = "h".repeat(LOOKUP_URL_BUDGET + 1);
    expect(lookupPages(["a", huge, "b"], paging)).toEqual([["a"], [huge], ["b"]]);
    expect(lookupPages([], paging)).toEqual([]);
  });
});
