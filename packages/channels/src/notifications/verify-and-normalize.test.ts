// The verifier against what the real marketplaces send, without a server: eBay's own signed test
// vector with the public key exactly as eBay serves it (one line), WooCommerce's unsigned
// activation ping, the exact base64 of the HMAC headers, and orders with lines that have no SKU.

import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { flipkartAuthorization } from "@synclag/mock-marketplaces";
import { verifyAndNormalize } from "./verify-and-normalize.js";

// eBay/event-notification-nodejs-sdk, test/test.json "VALID": a MARKETPLACE_ACCOUNT_DELETION
// notification signed by eBay. The header decodes to {"alg":"ecdsa","kid":…,"signature":…,"digest":"SHA1"}.
const EBAY_SIGNATURE =
  "eyJhbGciOiJlY2RzYSIsImtpZCI6Ijk5MzYyNjFhLTdkN2ItNDYyMS1hMGYxLTk2Y2NiNDI4YWY0OSIsInNpZ25hdHVyZSI6Ik1FWUNJUUNmeGZJV3V4bVdjSUJRSjljNS9YN2lHREpxczJSQ0dzQkVhQWppbnlycmZBSWhBSVY2d0djVGlCdVY1S0pVaWYyaG9reXJMK1E5c3NIa2FkK214Mm5FRTI1dyIsImRpZ2VzdCI6IlNIQTEifQ==";
const EBAY_BODY =
  '{"metadata":{"topic":"MARKETPLACE_ACCOUNT_DELETION","schemaVersion":"1.0","deprecated":false},"notification":{"notificationId":"49feeaeb-4982-42d9-a377-9645b8479411_33f7e043-fed8-442b-9d44-791923bd9a6d","eventDate":"2021-03-19T20:43:59.462Z","publishDate":"2021-03-19T20:43:59.679Z","publishAttemptCount":1,"data":{"username":"test_user","userId":"ma8vp1jySJC","eiasToken":"nY+sHZ2PrBmdj6wVnY+sEZ2PrA2dj6wJnY+gAZGEpwmdj6x9nY+seQ=="}}}';
/** As eBay's getPublicKey serves it: one line, which node:crypto cannot decode as it is. */
const EBAY_KEY_AS_SERVED = "-----BEGIN PUBLIC KEY-----MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZhhxXKtR+TOvtDbgTPCkSof02qgBB7IsYOyf76ilExJ/upAa/vKIKheOoCyOpcLmi4t0b4uepb7LLjmMr90FUg==-----END PUBLIC KEY-----";

const withAlg = (alg: string): string => {
  const envelope = JSON.parse(Buffer.from(EBAY_SIGNATURE, "base64").toString("utf8")) as Record<string, unknown>;
  return Buffer.from(JSON.stringify({ ...envelope, alg }), "utf8").toString("base64");
};

describe("eBay X-EBAY-SIGNATURE", () => {
  it("verifies eBay's own test vector (alg \"ecdsa\") with the one-line public key eBay serves", () => {
    expect(verifyAndNormalize("ebay", { "x-ebay-signature": EBAY_SIGNATURE }, EBAY_BODY, EBAY_KEY_AS_SERVED)).toEqual({ ok: true, kind: "ignored", detail: "topic MARKETPLACE_ACCOUNT_DELETION" });
  });

  it("accepts the key in any PEM layout: 64-character lines, one base64 line, or with \\n escapes", () => {
    const base64 = EBAY_KEY_AS_SERVED.replace(/-----[A-Z ]+-----/g, "");
    const layouts = [
      `-----BEGIN PUBLIC KEY-----\n${(base64.match(/.{1,64}/g) ?? []).join("\n")}\n-----END PUBLIC KEY-----\n`,
      `-----BEGIN PUBLIC KEY-----\n${base64}\n-----END PUBLIC KEY-----`,
      `-----BEGIN PUBLIC KEY-----\\n${base64}\\n-----END PUBLIC KEY-----`,
    ];
    for (const key of layouts) expect(verifyAndNormalize("ebay", { "x-ebay-signature": EBAY_SIGNATURE }, EBAY_BODY, key)).toMatchObject({ ok: true, kind: "ignored" });
  });

  it("compares alg without regard to case, and refuses any other algorithm", () => {
    expect(verifyAndNormalize("ebay", { "x-ebay-signature": withAlg("ECDSA") }, EBAY_BODY, EBAY_KEY_AS_SERVED)).toMatchObject({ ok: true, kind: "ignored" });
    expect(verifyAndNormalize("ebay", { "x-ebay-signature": withAlg("RSA") }, EBAY_BODY, EBAY_KEY_AS_SERVED)).toMatchObject({ ok: false, reason: "signature" });
  });

  it("refuses eBay's test vector once a byte of the body changed", () => {
    const tampered = EBAY_BODY.replace("test_user", "test_usex");
    expect(verifyAndNormalize("ebay", { "x-ebay-signature": EBAY_SIGNATURE }, tampered, EBAY_KEY_AS_SERVED)).toMatchObject({ ok: false, reason: "signature" });
  });
});

describe("WooCommerce activation ping", () => {
  // Exactly what WC_Webhook::deliver_ping() sends: a user agent and a form body, no X-WC-Webhook-* headers.
  const pingHeaders = { "user-agent": "WooCommerce/9.0 Hookshot (WordPress/6.5)", "content-type": "application/x-www-form-urlencoded" };

  it("recognises the unsigned webhook_id=<id> form body as a ping, not an order", () => {
    expect(verifyAndNormalize("woocommerce", pingHeaders, "webhook_id=1", "secret")).toEqual({ ok: true, kind: "ping", detail: "webhook_id=1" });
  });

  it("still requires the signature on anything that is not exactly a ping", () => {
    for (const body of ["webhook_id=1&x=2", "webhook_id=", '{"webhook_id":1}', '{"id":1,"line_items":[]}']) {
      expect(verifyAndNormalize("woocommerce", pingHeaders, body, "secret")).toMatchObject({ ok: false, reason: "signature" });
    }
  });

  it("is only a ping for WooCommerce", () => {
    expect(verifyAndNormalize("shopify", pingHeaders, "webhook_id=1", "secret")).toMatchObject({ ok: false, reason: "signature" });
  });
});

const hmac = (secret: string, body: string): string => createHmac("sha256", secret).update(body, "utf8").digest("base64");

describe("HMAC signature headers (Shopify, WooCommerce, Amazon stand-in)", () => {
  const body = JSON.stringify({ id: 5000000001, created_at: "2026-11-27T10:00:00Z", line_items: [{ sku: "sku-1", quantity: 2 }] });
  const signature = hmac("s", body);
  const shopify = (header: string) => verifyAndNormalize("shopify", { "X-Shopify-Hmac-Sha256": header }, body, "s");

  it("accepts the exact base64 of the HMAC, also with surrounding whitespace", () => {
    expect(shopify(signature)).toMatchObject({ ok: true, kind: "order" });
    expect(shopify(` ${signature} `)).toMatchObject({ ok: true, kind: "order" });
  });

  it.each([
    ["characters after the signature", `${signature}garbage!!`],
    ["a second base64 block after the padding", `${signature}AAAA`],
    ["the base64url alphabet", signature.replaceAll("+", "-").replaceAll("/", "_")],
    ["the padding left off", signature.replace(/=+$/, "")],
    ["whitespace inside", `${signature.slice(0, 10)} ${signature.slice(10)}`],
  ])("refuses a header that only decodes leniently to the HMAC: %s", (_label, header) => {
    // The premise: Node's lenient decoder turns each of these into the right digest.
    expect(Buffer.from(header, "base64").equals(Buffer.from(signature, "base64"))).toBe(true);
    expect(shopify(header)).toMatchObject({ ok: false, reason: "signature" });
  });
});

describe("order lines without a SKU (custom items, tips, gift cards, products without a SKU)", () => {
  const shopifyOrder = (lineItems: unknown[]) => {
    const body = JSON.stringify({ id: 5000000001, created_at: "2026-11-27T10:00:00Z", line_items: lineItems });
    return verifyAndNormalize("shopify", { "X-Shopify-Hmac-Sha256": hmac("s", body), "x-shopify-topic": "orders/create" }, body, "s");
  };

  it("shopify: a sku: null line is skipped and the stocked lines still make the order, with the skipped lines reported", () => {
    const verdict = shopifyOrder([{ sku: "sku-1", quantity: 2 }, { sku: null, quantity: 1, title: "Gift wrap" }, { sku: "sku-2", quantity: 1 }]);
    expect(verdict).toEqual({
      ok: true,
      kind: "order",
      event: { orderId: "shopify:5000000001", sourceChannel: "shopify", lines: [{ sku: "sku-1", quantity: 2 }, { sku: "sku-2", quantity: 1 }], confirmedAtMs: Date.parse("2026-11-27T10:00:00Z") },
      eventId: "5000000001",
      skippedLines: [{ index: 1, reason: "no SKU" }],
    });
  });

  it("woocommerce: a sku: \"\" line is skipped and the stocked line still makes the order", () => {
    const body = JSON.stringify({ id: 1001, date_created_gmt: "2026-11-27T10:00:00", line_items: [{ sku: "", quantity: 1 }, { sku: "sku-1", quantity: 2 }] });
    const verdict = verifyAndNormalize("woocommerce", { "X-WC-Webhook-Signature": hmac("w", body), "x-wc-webhook-topic": "order.created" }, body, "w");
    expect(verdict).toMatchObject({ ok: true, kind: "order", event: { lines: [{ sku: "sku-1", quantity: 2 }] }, skippedLines: [{ index: 0, reason: "no SKU" }] });
  });

  it.each(["cancelled", "refunded", "trash"])("woocommerce: order.created with status %s (its stock was given back, or never reduced) is ignored, not a sale", (status) => {
    const body = JSON.stringify({ id: 1001, status, date_created_gmt: "2026-11-27T10:00:00", line_items: [{ sku: "sku-1", quantity: 2 }] });
    const verdict = verifyAndNormalize("woocommerce", { "X-WC-Webhook-Signature": hmac("w", body), "x-wc-webhook-topic": "order.created" }, body, "w");
    expect(verdict).toEqual({ ok: true, kind: "ignored", detail: `order 1001 status ${status}` });
  });

  it.each(["pending", "failed", "processing", "on-hold", "completed"])("woocommerce: order.created with status %s is a sale (pending too: WooCommerce reserves its stock while payment is awaited)", (status) => {
    const body = JSON.stringify({ id: 1001, status, date_created_gmt: "2026-11-27T10:00:00", line_items: [{ sku: "sku-1", quantity: 2 }] });
    const verdict = verifyAndNormalize("woocommerce", { "X-WC-Webhook-Signature": hmac("w", body), "x-wc-webhook-topic": "order.created" }, body, "w");
    expect(verdict).toMatchObject({ ok: true, kind: "order", event: { orderId: "woocommerce:1001", lines: [{ sku: "sku-1", quantity: 2 }] } });
  });

  it("woocommerce: an order created failed (card declined) and paid on retry is counted by its order.created delivery", () => {
    // failed → processing reduces WooCommerce's stock; order.updated is ignored by topic, so order.created must count it.
    const deliver = (topic: string, status: string) => {
      const body = JSON.stringify({ id: 1001, status, date_created_gmt: "2026-11-27T10:00:00", line_items: [{ sku: "sku-1", quantity: 2 }] });
      return verifyAndNormalize("woocommerce", { "X-WC-Webhook-Signature": hmac("w", body), "x-wc-webhook-topic": topic }, body, "w");
    };
    expect(deliver("order.created", "failed")).toMatchObject({ ok: true, kind: "order", event: { orderId: "woocommerce:1001", lines: [{ sku: "sku-1", quantity: 2 }] } });
    expect(deliver("order.updated", "processing")).toMatchObject({ ok: true, kind: "ignored" });
  });

  it("amazon: an order item without a SellerSKU is skipped", () => {
    const body = JSON.stringify({
      NotificationType: "ORDER_CHANGE",
      EventTime: "2026-11-27T10:00:00Z",
      NotificationMetadata: { NotificationId: "n-1" },
      Payload: { OrderChangeNotification: { AmazonOrderId: "114-0000001-0000001", Summary: { OrderStatus: "Unshipped", PurchaseDate: "2026-11-27T10:00:00Z", OrderItems: [{ SellerSKU: "sku-1", Quantity: 1 }, { Quantity: 1 }] } } },
    });
    const verdict = verifyAndNormalize("amazon", { "x-synclag-signature": hmac("a", body) }, body, "a");
    expect(verdict).toMatchObject({ ok: true, kind: "order", event: { lines: [{ sku: "sku-1", quantity: 1 }] }, skippedLines: [{ index: 1, reason: "no SKU" }] });
  });

  it("flipkart: an order item with an empty sku is skipped", () => {
    const body = JSON.stringify({ eventType: "shipment_created", eventId: "e-1", timestamp: "2026-11-27T10:00:00Z", attributes: { orderId: "OD1", orderItems: [{ sku: "", quantity: 1 }, { sku: "sku-1", quantity: 3 }] } });
    const date = "Fri, 27 Nov 2026 10:00:00 GMT";
    const url = "http://ingest.invalid/ingest/flipkart";
    const verdict = verifyAndNormalize("flipkart", { x_date: date, x_authorization: flipkartAuthorization("app", "f", date, url, "POST") }, body, "f", { url });
    expect(verdict).toMatchObject({ ok: true, kind: "order", event: { lines: [{ sku: "sku-1", quantity: 3 }] }, skippedLines: [{ index: 0, reason: "no SKU" }] });
  });

  it("a line with quantity 0 is skipped like a line without a SKU", () => {
    expect(shopifyOrder([{ sku: "sku-1", quantity: 0 }, { sku: "sku-2", quantity: 1 }])).toMatchObject({ ok: true, kind: "order", event: { lines: [{ sku: "sku-2", quantity: 1 }] }, skippedLines: [{ index: 0, reason: "quantity 0" }] });
  });

  it("an order of nothing but such lines is ignored (a 2xx: the marketplace must not retry it), not malformed", () => {
    const verdict = shopifyOrder([{ sku: null, quantity: 1, title: "Tip" }, { sku: "", quantity: 1 }, { sku: "sku-1", quantity: 0 }]);
    expect(verdict).toMatchObject({ ok: true, kind: "ignored", skippedLines: [{ index: 0, reason: "no SKU" }, { index: 1, reason: "no SKU" }, { index: 2, reason: "quantity 0" }] });
  });

  it("an order without lines, or with a SKU line whose quantity is invalid, is still malformed — the problem names the delivered line", () => {
    expect(shopifyOrder([])).toMatchObject({ ok: false, reason: "malformed" });
    const verdict = shopifyOrder([{ sku: null, quantity: 1 }, { sku: "sku-1", quantity: 1.5 }]);
    expect(verdict).toMatchObject({ ok: false, reason: "malformed", problems: [{ path: "lines.1.quantity" }] });
  });

  it("only a missing SKU is skipped: a SKU of the wrong type or an item that is not an object is still malformed", () => {
    // Dropped silently, such a stocked line would never be subtracted (an oversell without a trace).
    expect(shopifyOrder([{ sku: 12345, quantity: 2 }])).toMatchObject({ ok: false, reason: "malformed", problems: [{ path: "lines.0.sku" }] });
    expect(shopifyOrder([{ sku: "A", quantity: 1 }, { sku: 12345, quantity: 2 }])).toMatchObject({ ok: false, reason: "malformed", problems: [{ path: "lines.1.sku" }] });
    expect(shopifyOrder([{ sku: "A", quantity: 1 }, null])).toMatchObject({ ok: false, reason: "malformed" });
    expect(shopifyOrder([{ sku: "A", quantity: 1 }, "gift wrap"])).toMatchObject({ ok: false, reason: "malformed" });
    expect(shopifyOrder([{ quantity: 1, title: "no sku key" }, { sku: "A", quantity: 1 }])).toMatchObject({ ok: true, kind: "order", skippedLines: [{ index: 0, reason: "no SKU" }] });
  });
});
