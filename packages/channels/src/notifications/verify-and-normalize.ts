// The ingest side of order notifications: verify a delivery's signature with the marketplace's
// documented algorithm, then turn its body into the engine's `OrderEvent` (validated by the core's
// order rules) — or say precisely why not. Pure apart from node:crypto; the future ingest gateway
// imports it, and the tests run it against what the mock marketplaces send.
// Easy to get wrong: verify the *raw* bytes before parsing anything; compare signatures in constant
// time, as the exact base64 text (a lenient decoder accepts headers that are not the signature); an
// order line without a SKU (a custom item, a tip) is left out, never a reason to refuse the order
// (its stocked lines would never be subtracted); and Flipkart's documented signature covers date +
// URL + method, *not the body* — a tampered Flipkart body cannot be detected by the signature (the
// verifier checks the date's freshness; `bodyIndependentSignature` hands the ingest what it must
// remember so one delivery's headers do not authenticate another body later).
// eBay sends `alg: "ecdsa"` (lower case) and serves its public key as a one-line PEM that node:crypto
// cannot decode until it is re-wrapped; WooCommerce's activation ping carries no signature at all.

import { createHash, createHmac, timingSafeEqual, verify as verifySignature } from "node:crypto";
import { validateOrderEvent, type ChannelId, type OrderEvent, type Problem } from "@synclag/core";
import type { MarketplaceKind } from "@synclag/marketplaces";

/**
 * A delivered order line left out of the event: it names no SKU (Shopify's custom items, tips and
 * gift cards have `sku: null`; a WooCommerce product without a SKU has `sku: ""`), so there is no
 * stock to subtract, or it takes none (quantity 0).
 */
export interface SkippedLine {
  /** Position of the line in the delivered order (0-based). */
  readonly index: number;
  readonly reason: "no SKU" | "quantity 0";
}

/**
 * `skippedLines`: present when lines of an order were left out — on an `order`, or on an `ignored`
 * order that had no other line. Worth a log line: a SKU left empty by mistake sells stock never subtracted.
 */
export type NotificationVerdict =
  | { readonly ok: true; readonly kind: "order"; readonly event: OrderEvent; readonly eventId: string; readonly deliveryId?: string; readonly skippedLines?: readonly SkippedLine[] }
  | { readonly ok: true; readonly kind: "ping"; readonly detail: string }
  | { readonly ok: true; readonly kind: "ignored"; readonly detail: string; readonly skippedLines?: readonly SkippedLine[] }
  | { readonly ok: false; readonly reason: "signature" | "malformed"; readonly problems: readonly Problem[] };

export interface VerifyOptions {
  /** Channel id for `sourceChannel` and the order-id prefix. Default: the kind. */
  readonly channel?: ChannelId;
  /** Flipkart: the URL and method the notification was received on (part of the signed string). */
  readonly url?: string;
  readonly method?: string;
  /** Flipkart: the app id the signature must name (any when absent). */
  readonly appId?: string;
  /** Flipkart: reject an `X_Date` further than `maxClockSkewMs` (default `FLIPKART_MAX_CLOCK_SKEW_MS`, 5 min) from this instant. Unchecked when absent. */
  readonly nowMs?: number;
  readonly maxClockSkewMs?: number;
}

/** Flipkart: how far `X_Date` may be from the receiver's clock, either way, by default (ms). */
export const FLIPKART_MAX_CLOCK_SKEW_MS = 300_000;

/** Header of the Amazon stand-in signature (real ORDER_CHANGE notifications arrive through SQS). */
export const AMAZON_SIGNATURE_HEADER = "x-synclag-signature";

type Headers = Readonly<Record<string, string | readonly string[] | undefined>>;

function header(headers: Headers, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    return typeof value === "string" ? value : value.join(", ");
  }
  return undefined;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * WooCommerce order statuses that are no sale: stock given back, or the order deleted. Not `failed`:
 * a declined payment can be retried on the same order (failed → processing, when WooCommerce reduces
 * the stock), and only `order.created` is subscribed, so it is counted like `pending`.
 */
const WOO_NOT_SOLD: ReadonlySet<string> = new Set(["cancelled", "refunded", "trash"]);

/** WooCommerce's ping body (form-encoded; the id is the webhook's). */
const WOO_PING = /^webhook_id=\d{1,20}$/;

const bad = (reason: "signature" | "malformed", message: string, path = ""): NotificationVerdict => ({ ok: false, reason, problems: [{ path, message }] });

function checkHmac(body: Buffer, signature: string | undefined, secret: string, headerName: string): NotificationVerdict | undefined {
  if (!signature) return bad("signature", `missing ${headerName}`);
  // Compared as text with the canonical encoding, not decoded: Node's base64 decoder skips what it
  // cannot read (trailing garbage, whitespace, a second block after the padding) and takes base64url
  // and missing padding, so decoding first would accept headers that are not the signature.
  const expected = createHmac("sha256", secret).update(body).digest("base64");
  return sameBytes(Buffer.from(expected), Buffer.from(signature.trim())) ? undefined : bad("signature", `${headerName} does not match the body`);
}

function checkFlipkart(headers: Headers, secret: string, options: VerifyOptions): NotificationVerdict | undefined {
  const authorization = header(headers, "x_authorization");
  const date = header(headers, "x_date");
  if (!authorization || !date) return bad("signature", "missing X_Authorization or X_Date");
  if (!options.url) return bad("signature", "flipkart verification needs the URL the notification was received on (options.url)");
  const match = /^FKLOGIN\s+(.+)$/.exec(authorization);
  if (!match?.[1]) return bad("signature", "X_Authorization is not FKLOGIN <base64>");
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.lastIndexOf(":");
  const appId = decoded.slice(0, colon);
  const digest = decoded.slice(colon + 1);
  if (colon < 0 || (options.appId !== undefined && appId !== options.appId)) return bad("signature", "X_Authorization names another app");
  const expected = createHash("sha1").update(date + options.url + (options.method ?? "POST") + secret, "utf8").digest("hex");
  if (!sameBytes(Buffer.from(expected), Buffer.from(digest))) return bad("signature", "X_Authorization does not match date + url + method");
  if (options.nowMs !== undefined) {
    const at = Date.parse(date);
    if (Number.isNaN(at) || Math.abs(options.nowMs - at) > (options.maxClockSkewMs ?? FLIPKART_MAX_CLOCK_SKEW_MS)) return bad("signature", `X_Date ${date} is outside the allowed clock skew`);
  }
  return undefined;
}

/**
 * A delivery's signature when it does not cover the body — Flipkart's `X_Date` + `X_Authorization`,
 * which verify with any body until `X_Date` is `FLIPKART_MAX_CLOCK_SKEW_MS` old — as `key` (the two
 * headers, one string), with `signedAtMs` (X_Date). What an ingest remembers so a captured delivery's
 * headers cannot authenticate another body later. Easy to get wrong: every notification Flipkart
 * sends to one URL within the same second carries the very same headers (X_Date has whole seconds),
 * so one signature genuinely comes with several orders. Undefined for the kinds whose signature covers
 * the body (a replayed body is the same order: the store deduplicates it) and when a header is missing
 * or the date unreadable (the verifier refuses those).
 */
export function bodyIndependentSignature(kind: MarketplaceKind, headers: Headers): { readonly key: string; readonly signedAtMs: number } | undefined {
  if (kind !== "flipkart") return undefined;
  const date = header(headers, "x_date");
  const authorization = header(headers, "x_authorization");
  const signedAtMs = date === undefined ? Number.NaN : Date.parse(date);
  if (date === undefined || authorization === undefined || Number.isNaN(signedAtMs)) return undefined;
  return { key: `${date}\n${authorization}`, signedAtMs };
}

/**
 * A PEM re-wrapped the way node:crypto (OpenSSL) decodes it: BEGIN line, base64 in 64-character lines,
 * END line. eBay's Notification API serves `-----BEGIN PUBLIC KEY-----MFkw…-----END PUBLIC KEY-----`
 * on one line (its SDK's `formatKey` re-wraps it too); keys pasted into config may carry `\n` escapes.
 * Bare base64 is taken as a public key.
 */
function normalizePem(pem: string): string {
  const text = pem.replace(/\\n/g, "\n").trim();
  const match = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(text);
  const label = match?.[1] ?? "PUBLIC KEY";
  const base64 = (match ? (match[2] ?? "") : text).replace(/\s+/g, "");
  const lines = base64.match(/.{1,64}/g) ?? [];
  return [`-----BEGIN ${label}-----`, ...lines, `-----END ${label}-----`, ""].join("\n");
}

function checkEbay(body: Buffer, signatureHeader: string | undefined, publicKeyPem: string): NotificationVerdict | undefined {
  if (!signatureHeader) return bad("signature", "missing X-EBAY-SIGNATURE");
  let envelope: unknown;
  try {
    envelope = JSON.parse(Buffer.from(signatureHeader, "base64").toString("utf8"));
  } catch {
    return bad("signature", "X-EBAY-SIGNATURE is not base64 JSON");
  }
  if (typeof envelope !== "object" || envelope === null) return bad("signature", "X-EBAY-SIGNATURE is not an object");
  const { alg, signature, digest } = envelope as Record<string, unknown>;
  // eBay sends "ecdsa" (its SDK's test vector); the public-key endpoint says "ECDSA". Either case is ECDSA.
  if (typeof alg !== "string" || alg.toLowerCase() !== "ecdsa" || typeof signature !== "string") return bad("signature", "X-EBAY-SIGNATURE must be ECDSA with a signature");
  const hash = typeof digest === "string" ? digest.toLowerCase().replace("-", "") : "sha1";
  try {
    return verifySignature(hash, body, normalizePem(publicKeyPem), Buffer.from(signature, "base64")) ? undefined : bad("signature", "X-EBAY-SIGNATURE does not match the body");
  } catch (error) {
    return bad("signature", `X-EBAY-SIGNATURE could not be verified: ${(error as Error).message}`);
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function timeOf(value: unknown, assumeUtc = false): number | undefined {
  if (typeof value !== "string") return undefined;
  const text = assumeUtc && !/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? `${value}Z` : value;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** A problem at `lines.<i>` of the event, renumbered to the line's position in the delivered order (skipped lines shift them). */
function atDeliveredLine(problem: Problem, deliveredIndexes: readonly number[]): Problem {
  const match = /^lines\.(\d+)(.*)$/.exec(problem.path);
  const delivered = match ? deliveredIndexes[Number(match[1])] : undefined;
  return match && delivered !== undefined ? { path: `lines.${delivered}${match[2] ?? ""}`, message: problem.message } : problem;
}

/** One delivered line item: undefined when the item is not an object at all (refused, never skipped). */
type DeliveredLine = { sku: unknown; quantity: unknown } | undefined;

function toEvent(channel: ChannelId, nativeId: unknown, lines: readonly DeliveredLine[], confirmedAtMs: number | undefined, eventId: string, deliveryId?: string): NotificationVerdict {
  if ((typeof nativeId !== "string" && typeof nativeId !== "number") || String(nativeId) === "") return bad("malformed", "no order id", "orderId");
  if (confirmedAtMs === undefined) return bad("malformed", "no readable order time", "confirmedAtMs");
  // Lines without a SKU (null, absent or "": custom items, tips, gift cards) or of quantity 0 are left
  // out instead of failing the order: refused as a whole, its stocked lines would never be subtracted
  // (an oversell) and the marketplace would retry in vain. Anything else wrong — a SKU that is not a
  // string (a number from middleware), an item that is not an object — still makes it malformed: a
  // stocked line dropped silently would oversell without a trace.
  const kept: { sku: unknown; quantity: unknown }[] = [];
  const keptIndexes: number[] = [];
  const skippedLines: SkippedLine[] = [];
  lines.forEach((line, index) => {
    if (line === undefined) {
      kept.push({ sku: undefined, quantity: undefined });
      keptIndexes.push(index);
    } else if (line.sku === null || line.sku === undefined || line.sku === "") skippedLines.push({ index, reason: "no SKU" });
    else if (line.quantity === 0) skippedLines.push({ index, reason: "quantity 0" });
    else {
      kept.push(line);
      keptIndexes.push(index);
    }
  });
  // Nothing left to subtract: a 2xx (ignored), since redelivering it can never change that. An order
  // delivered without any lines stays malformed below.
  if (kept.length === 0 && skippedLines.length > 0) return { ok: true, kind: "ignored", detail: `order ${String(nativeId)}: no line with a SKU and a quantity (${skippedLines.length} skipped)`, skippedLines };
  const checked = validateOrderEvent({ orderId: `${channel}:${String(nativeId)}`, sourceChannel: channel, lines: kept, confirmedAtMs });
  if (!checked.ok) return { ok: false, reason: "malformed", problems: checked.problems.map((p) => atDeliveredLine(p, keptIndexes)) };
  return { ok: true, kind: "order", event: checked.event, eventId, ...(deliveryId ? { deliveryId } : {}), ...(skippedLines.length > 0 ? { skippedLines } : {}) };
}

/**
 * Verifies one notification and normalises it. `secret`: the HMAC secret (Shopify app secret,
 * WooCommerce webhook secret, Amazon stand-in secret), Flipkart's app secret, or eBay's public key (PEM).
 */
export function verifyAndNormalize(kind: MarketplaceKind, headers: Headers, rawBody: string | Uint8Array, secret: string, options: VerifyOptions = {}): NotificationVerdict {
  const body = typeof rawBody === "string" ? Buffer.from(rawBody, "utf8") : Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength);
  const channel = options.channel ?? kind;
  // WooCommerce's activation ping (`WC_Webhook::deliver_ping()`): a user agent and the form body
  // `webhook_id=<id>`, no X-WC-Webhook-* headers and so no signature; the webhook is only activated on
  // an exact 200. Recognised before the signature check — it carries nothing to act on, so there is
  // nothing to authenticate, and it never becomes an order.
  if (kind === "woocommerce" && WOO_PING.test(body.toString("latin1"))) return { ok: true, kind: "ping", detail: body.toString("latin1") };
  const signatureProblem =
    kind === "shopify"
      ? checkHmac(body, header(headers, "x-shopify-hmac-sha256"), secret, "X-Shopify-Hmac-Sha256")
      : kind === "woocommerce"
        ? checkHmac(body, header(headers, "x-wc-webhook-signature"), secret, "X-WC-Webhook-Signature")
        : kind === "amazon"
          ? checkHmac(body, header(headers, AMAZON_SIGNATURE_HEADER), secret, "X-Synclag-Signature")
          : kind === "flipkart"
            ? checkFlipkart(headers, secret, options)
            : checkEbay(body, header(headers, "x-ebay-signature"), secret);
  if (signatureProblem) return signatureProblem;

  const text = body.toString("utf8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return bad("malformed", `malformed JSON: ${(error as Error).message}`);
  }
  const root = asRecord(parsed);
  if (!root) return bad("malformed", "body is not a JSON object");

  switch (kind) {
    case "amazon": {
      if (root.NotificationType !== "ORDER_CHANGE") return { ok: true, kind: "ignored", detail: `NotificationType ${String(root.NotificationType)}` };
      const change = asRecord(asRecord(root.Payload)?.OrderChangeNotification);
      const summary = asRecord(change?.Summary);
      const status = summary?.OrderStatus;
      if (status !== "Unshipped" && status !== "Pending") return { ok: true, kind: "ignored", detail: `OrderStatus ${String(status)}` };
      const items = Array.isArray(summary?.OrderItems) ? summary.OrderItems.map(asRecord) : [];
      const lines = items.map((i) => i && { sku: i.SellerSKU, quantity: i.Quantity });
      const eventId = String(asRecord(root.NotificationMetadata)?.NotificationId ?? "");
      return toEvent(channel, change?.AmazonOrderId, lines, timeOf(summary?.PurchaseDate) ?? timeOf(root.EventTime), eventId);
    }
    case "shopify": {
      const topic = header(headers, "x-shopify-topic");
      if (topic !== undefined && topic !== "orders/create") return { ok: true, kind: "ignored", detail: `topic ${topic}` };
      const items = Array.isArray(root.line_items) ? root.line_items.map(asRecord) : [];
      const eventId = header(headers, "x-shopify-event-id") ?? String(root.id ?? "");
      return toEvent(channel, root.id, items.map((i) => i && { sku: i.sku, quantity: i.quantity }), timeOf(root.created_at), eventId, header(headers, "x-shopify-webhook-id"));
    }
    case "woocommerce": {
      const topic = header(headers, "x-wc-webhook-topic");
      if (topic !== undefined && topic !== "order.created") return { ok: true, kind: "ignored", detail: `topic ${topic}` };
      // `order.created` carries the order as it is when the webhook fires: one already cancelled,
      // refunded or trashed has its stock back (or never had it reduced), so it is no sale. A `pending`
      // order (awaiting payment) is still taken as one — WooCommerce reserves its stock for the hold
      // time — and so is a `failed` one: its payment can be retried on the same order (failed →
      // processing, when WooCommerce reduces the stock), and order.updated is not subscribed, so
      // ignoring it here would lose that sale. That WooCommerce later cancels an unpaid one is not seen.
      if (typeof root.status === "string" && WOO_NOT_SOLD.has(root.status)) return { ok: true, kind: "ignored", detail: `order ${String(root.id)} status ${root.status}` };
      const items = Array.isArray(root.line_items) ? root.line_items.map(asRecord) : [];
      return toEvent(channel, root.id, items.map((i) => i && { sku: i.sku, quantity: i.quantity }), timeOf(root.date_created_gmt, true), `woocommerce:order:${String(root.id)}`, header(headers, "x-wc-webhook-delivery-id"));
    }
    case "flipkart": {
      if (root.eventType !== "shipment_created") return { ok: true, kind: "ignored", detail: `eventType ${String(root.eventType)}` };
      const attributes = asRecord(root.attributes);
      const items = Array.isArray(attributes?.orderItems) ? attributes.orderItems.map(asRecord) : [];
      return toEvent(channel, attributes?.orderId, items.map((i) => i && { sku: i.sku, quantity: i.quantity }), timeOf(root.timestamp), String(root.eventId ?? attributes?.shipmentId ?? ""));
    }
    case "ebay": {
      const topic = asRecord(root.metadata)?.topic;
      if (topic !== "ORDER_CONFIRMATION") return { ok: true, kind: "ignored", detail: `topic ${String(topic)}` };
      const notification = asRecord(root.notification);
      const data = asRecord(notification?.data);
      // One notification per line item: the line item id keeps order ids unique per event.
      const nativeId = typeof data?.orderId === "string" && typeof data.lineItemId === "string" ? `${data.orderId}:${data.lineItemId}` : undefined;
      return toEvent(channel, nativeId, [data && { sku: data.sku, quantity: data.quantity }], timeOf(data?.creationDate) ?? timeOf(notification?.eventDate), String(notification?.notificationId ?? ""));
    }
  }
}
