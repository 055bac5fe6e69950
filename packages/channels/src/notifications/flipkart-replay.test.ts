// Found by review: Flipkart's signature does not cover the body, so one captured delivery's headers
// verify with any body until X_Date is 5 minutes old. The verifier cannot tell — every notification
// Flipkart sends to a URL within one second carries the same headers — so it names the signature
// (`bodyIndependentSignature`) for the ingest, which remembers what each one came with (the service's
// signature-replay-guard.ts; tested over HTTP in ingest-replay.test.ts).
import { describe, expect, it } from "vitest";
import { flipkartAuthorization } from "@synclag/mock-marketplaces";
import { FLIPKART_MAX_CLOCK_SKEW_MS, bodyIndependentSignature, verifyAndNormalize } from "./verify-and-normalize.js";

const url = "https://hooks.example.com/ingest/flipkart";
const date = new Date().toUTCString();
const headers = { x_date: date, x_authorization: flipkartAuthorization("app", "real-app-secret", date, url, "POST") };
const genuine = JSON.stringify({ eventType: "shipment_created", eventId: "e1", timestamp: new Date().toISOString(), attributes: { orderId: "OD1", shipmentId: "S1", orderItems: [{ sku: "MUG", quantity: 1 }] } });
const forged = JSON.stringify({ eventType: "shipment_created", eventId: "e2", timestamp: new Date().toISOString(), attributes: { orderId: "OD-FORGED-1", shipmentId: "S2", orderItems: [{ sku: "MUG", quantity: 5000 }] } });
const options = { url, method: "POST", appId: "app", nowMs: Date.now() };

describe("Flipkart: a signature that does not cover the body", () => {
  it("verifies with another order's body: the signature alone cannot bind it (the ingest must)", () => {
    expect(verifyAndNormalize("flipkart", headers, genuine, "real-app-secret", options)).toMatchObject({ ok: true, kind: "order", event: { orderId: "flipkart:OD1" } });
    expect(verifyAndNormalize("flipkart", headers, forged, "real-app-secret", options)).toMatchObject({ ok: true, kind: "order", event: { orderId: "flipkart:OD-FORGED-1" } });
  });

  it("bodyIndependentSignature names the same signature for both deliveries, with its date", () => {
    const signature = bodyIndependentSignature("flipkart", headers);
    expect(signature).toEqual({ key: `${date}\n${headers.x_authorization}`, signedAtMs: Date.parse(date) });
    // Header names are case-insensitive, as the verifier reads them.
    expect(bodyIndependentSignature("flipkart", { X_Date: date, X_Authorization: headers.x_authorization })).toEqual(signature);
    // Another second, another signature.
    const later = new Date(Date.parse(date) + 1_000).toUTCString();
    expect(bodyIndependentSignature("flipkart", { x_date: later, x_authorization: flipkartAuthorization("app", "real-app-secret", later, url, "POST") })?.key).not.toBe(signature?.key);
  });

  it("names none where the signature covers the body, or the headers are missing or unreadable", () => {
    expect(bodyIndependentSignature("shopify", headers)).toBeUndefined();
    expect(bodyIndependentSignature("ebay", headers)).toBeUndefined();
    expect(bodyIndependentSignature("flipkart", { x_date: date })).toBeUndefined();
    expect(bodyIndependentSignature("flipkart", { x_date: "yesterday", x_authorization: headers.x_authorization })).toBeUndefined();
  });

  it("the verifier's default skew is the exported one", () => {
    const stale = new Date(Date.parse(date) - FLIPKART_MAX_CLOCK_SKEW_MS - 1_000).toUTCString();
    const staleHeaders = { x_date: stale, x_authorization: flipkartAuthorization("app", "real-app-secret", stale, url, "POST") };
    expect(verifyAndNormalize("flipkart", staleHeaders, genuine, "real-app-secret", { ...options, nowMs: Date.parse(date) })).toMatchObject({ ok: false, reason: "signature" });
    const fresh = new Date(Date.parse(date) - FLIPKART_MAX_CLOCK_SKEW_MS + 1_000).toUTCString();
    const freshHeaders = { x_date: fresh, x_authorization: flipkartAuthorization("app", "real-app-secret", fresh, url, "POST") };
    expect(verifyAndNormalize("flipkart", freshHeaders, genuine, "real-app-secret", { ...options, nowMs: Date.parse(date) })).toMatchObject({ ok: true });
  });
});
