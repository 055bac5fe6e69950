// Signatures of the order notifications, as each marketplace documents them (the mock signs, the
// engine's ingest verifies — `@synclag/channels` holds the independent verifier). Easy to get wrong:
// HMACs are computed over the *raw body bytes* exactly as sent; re-serialising the JSON breaks them.

import { createHash, createHmac, createPublicKey, sign, type KeyObject } from "node:crypto";

/** Shopify `X-Shopify-Hmac-Sha256`, WooCommerce `X-WC-Webhook-Signature`, and the Amazon stand-in: base64 HMAC-SHA256 of the body. */
export function hmacSha256Base64(secret: string, body: string): string {
  return createHmac("sha256", secret).update(body, "utf8").digest("base64");
}

/** Flipkart `X_Authorization: FKLOGIN base64(appId:SHA1(date + url + method + secret))`, the SHA-1 in lower-case hex. */
export function flipkartAuthorization(appId: string, appSecret: string, date: string, url: string, method: string): string {
  const digest = createHash("sha1").update(date + url + method + appSecret, "utf8").digest("hex");
  return `FKLOGIN ${Buffer.from(`${appId}:${digest}`, "utf8").toString("base64")}`;
}

/**
 * eBay `X-EBAY-SIGNATURE`: base64 of `{alg, kid, signature, digest}`, the signature ECDSA (DER, base64)
 * over the body with SHA-1. `alg` is lower-case "ecdsa", as eBay sends it (its SDK's test vector).
 */
export function ebaySignature(privateKey: KeyObject, keyId: string, body: string): string {
  const signature = sign("sha1", Buffer.from(body, "utf8"), privateKey).toString("base64");
  return Buffer.from(JSON.stringify({ alg: "ecdsa", kid: keyId, signature, digest: "SHA1" }), "utf8").toString("base64");
}

/** A PEM as eBay's Notification API serves it: BEGIN line, base64 and END line run together on one line. */
export function oneLinePem(pem: string): string {
  return pem.replace(/\r?\n/g, "").trim();
}

/**
 * The key id (`kid`) the mock signs eBay notifications under: derived from the public key (a UUID-shaped
 * SHA-256 prefix of its SPKI), so one id names one key. A restarted mock has a new key and so a new id,
 * as eBay names a rotated key anew — a receiver caching keys by id never checks against an old one.
 */
export function ebayKeyId(key: KeyObject): string {
  // Either half of the pair names it.
  const spki = (key.type === "public" ? key : createPublicKey(key)).export({ type: "spki", format: "der" });
  const h = createHash("sha256").update(spki).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
