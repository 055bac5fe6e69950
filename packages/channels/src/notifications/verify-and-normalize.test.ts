// The verifier against what the real marketplaces send, without a server: eBay's own signed test
// vector with the public key exactly as eBay serves it (one line), and WooCommerce's unsigned
// activation ping.

import { describe, expect, it } from "vitest";
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
