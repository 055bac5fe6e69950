// The mocks' order notifications, received by a real HTTP endpoint and checked by the ingest-side
// verifier: each marketplace's signature verifies with its documented algorithm, a tampered
// delivery fails, and the body normalises to the engine's OrderEvent.

import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PROFILES, MARKETPLACE_KINDS, type MarketplaceKind, type MarketplaceProfile } from "@synclag/marketplaces";
import { DEFAULT_MOCK_CREDENTIALS, type RunningMockMarketplaces } from "@synclag/mock-marketplaces";
import { verifyAndNormalize } from "../src/index.js";
import { startIngestServer, type Delivery, type IngestServer } from "./ingest-server.js";
import { checkout, startMocks } from "./support.js";

const c = DEFAULT_MOCK_CREDENTIALS;
const immediate = (kind: MarketplaceKind): MarketplaceProfile => ({
  ...DEFAULT_PROFILES[kind],
  notifications: { ...DEFAULT_PROFILES[kind].notifications, delay: { kind: "constant", ms: 0 }, duplicateRate: 0, attemptFailureRate: 0 },
});

let ingest: IngestServer;
let running: RunningMockMarketplaces;

function secretFor(kind: MarketplaceKind): string {
  switch (kind) {
    case "amazon":
      return c.amazon.notificationSecret;
    case "shopify":
      return c.shopify.webhookSecret;
    case "woocommerce":
      return c.woocommerce.webhookSecret;
    case "flipkart":
      return c.flipkart.appSecret;
    case "ebay":
      return running.get("ebay").marketplace.ebayPublicKeyPem;
  }
}

function orderDelivery(kind: MarketplaceKind): Delivery {
  const found = ingest.deliveries.find((d) => d.path === `/ingest/${kind}` && !d.body.startsWith("webhook_id="));
  if (!found) throw new Error(`no ${kind} delivery`);
  return found;
}

beforeAll(async () => {
  ingest = await startIngestServer();
  running = await startMocks({ ingestUrl: `${ingest.url}/ingest/{kind}`, profiles: Object.fromEntries(MARKETPLACE_KINDS.map((k) => [k, immediate(k)])) });
  for (const kind of MARKETPLACE_KINDS) expect((await checkout(running, kind, "sku-3", 2)).status).toBe(201);
  await ingest.waitFor(MARKETPLACE_KINDS.length + 1); // + WooCommerce's ping
});
afterAll(async () => {
  await running.close();
  await ingest.close();
});

describe.each(MARKETPLACE_KINDS)("%s order notification", (kind) => {
  it("verifies with the documented algorithm and normalises to an OrderEvent", () => {
    const d = orderDelivery(kind);
    const verdict = verifyAndNormalize(kind, d.headers, d.body, secretFor(kind), { url: d.url, method: d.method, appId: c.flipkart.appId, nowMs: Date.now() });
    expect(verdict.ok && verdict.kind).toBe("order");
    if (!verdict.ok || verdict.kind !== "order") return;
    expect(verdict.event.sourceChannel).toBe(kind);
    expect(verdict.event.lines).toEqual([{ sku: "sku-3", quantity: 2 }]);
    expect(verdict.event.orderId.startsWith(`${kind}:`)).toBe(true);
    expect(verdict.event.confirmedAtMs).toBeGreaterThan(Date.now() - 60_000);
    expect(verdict.eventId.length).toBeGreaterThan(0);
  });

  it("fails verification with the wrong secret", () => {
    const d = orderDelivery(kind);
    const wrong = kind === "ebay" ? running.get("amazon").marketplace.ebayPublicKeyPem : "not-the-secret";
    const verdict = verifyAndNormalize(kind, d.headers, d.body, wrong, { url: d.url, method: d.method });
    expect(verdict).toMatchObject({ ok: false, reason: "signature" });
  });
});

describe.each(["amazon", "shopify", "woocommerce", "ebay"] as const)("%s: tampering", (kind) => {
  it("a tampered body fails verification", () => {
    const d = orderDelivery(kind);
    const tampered = d.body.replace('"quantity":2', '"quantity":1').replace('"Quantity":2', '"Quantity":1');
    expect(tampered).not.toBe(d.body);
    expect(verifyAndNormalize(kind, d.headers, tampered, secretFor(kind))).toMatchObject({ ok: false, reason: "signature" });
  });
});

describe("flipkart: what its signature covers", () => {
  it("a tampered date, URL or method fails verification", () => {
    const d = orderDelivery("flipkart");
    const secret = c.flipkart.appSecret;
    expect(verifyAndNormalize("flipkart", { ...d.headers, x_date: new Date(0).toUTCString() }, d.body, secret, { url: d.url })).toMatchObject({ ok: false, reason: "signature" });
    expect(verifyAndNormalize("flipkart", d.headers, d.body, secret, { url: `${d.url}x` })).toMatchObject({ ok: false, reason: "signature" });
    expect(verifyAndNormalize("flipkart", d.headers, d.body, secret, { url: d.url, method: "PUT" })).toMatchObject({ ok: false, reason: "signature" });
  });

  it("a stale X_Date is refused when the receiver gives its clock", () => {
    const d = orderDelivery("flipkart");
    expect(verifyAndNormalize("flipkart", d.headers, d.body, c.flipkart.appSecret, { url: d.url, nowMs: Date.now() + 3_600_000 })).toMatchObject({ ok: false, reason: "signature" });
  });

  it("the documented signature does not cover the body: a tampered body still verifies (the ADR says why this matters)", () => {
    const d = orderDelivery("flipkart");
    const tampered = d.body.replace('"quantity":2', '"quantity":1');
    const verdict = verifyAndNormalize("flipkart", d.headers, tampered, c.flipkart.appSecret, { url: d.url });
    expect(verdict.ok && verdict.kind === "order" && verdict.event.lines[0]?.quantity).toBe(1);
  });
});

describe("other deliveries", () => {
  it("woocommerce's first delivery is the unsigned webhook_id ping, recognised without a signature", () => {
    const ping = ingest.deliveries.find((d) => d.path === "/ingest/woocommerce" && d.body.startsWith("webhook_id="));
    expect(ping).toBeDefined();
    // Like core's WC_Webhook::deliver_ping(): no X-WC-Webhook-* headers at all.
    expect(Object.keys(ping?.headers ?? {}).filter((h) => h.startsWith("x-wc-webhook-"))).toEqual([]);
    const verdict = verifyAndNormalize("woocommerce", ping?.headers ?? {}, ping?.body ?? "", c.woocommerce.webhookSecret);
    expect(verdict).toEqual({ ok: true, kind: "ping", detail: `webhook_id=${c.woocommerce.webhookId}` });
  });

  it("a signed body that is not an order is malformed, with the path of the problem", () => {
    const body = JSON.stringify({ id: 1, created_at: new Date().toISOString(), line_items: [{ sku: "a", quantity: -1 }] });
    const signature = createHmac("sha256", "s").update(body).digest("base64");
    const verdict = verifyAndNormalize("shopify", { "X-Shopify-Hmac-Sha256": signature }, body, "s");
    expect(verdict).toMatchObject({ ok: false, reason: "malformed" });
    if (!verdict.ok) expect(verdict.problems[0]?.path).toMatch(/lines/);
  });

  it("eBay deliveries are signed with alg \"ecdsa\", as eBay sends it", () => {
    const envelope = JSON.parse(Buffer.from(orderDelivery("ebay").headers["x-ebay-signature"] ?? "", "base64").toString("utf8")) as Record<string, unknown>;
    expect(envelope).toMatchObject({ alg: "ecdsa", kid: running.get("ebay").marketplace.ebayNotificationKeyId, digest: "SHA1" });
  });

  it("the eBay verification key is served by the mock's Notification API public-key endpoint", async () => {
    const ebay = running.get("ebay");
    const response = await fetch(`${ebay.url}/commerce/notification/v1/public_key/${ebay.marketplace.ebayNotificationKeyId}`, { headers: { authorization: `Bearer ${c.ebay.accessToken}` } });
    const body = (await response.json()) as { key: string; algorithm: string; digest: string };
    expect(body).toMatchObject({ algorithm: "ECDSA", digest: "SHA1" });
    // On one line, as eBay serves it (node:crypto cannot read it unwrapped; the verifier re-wraps it).
    expect(body.key).toMatch(/^-----BEGIN PUBLIC KEY-----[A-Za-z0-9+/=]+-----END PUBLIC KEY-----$/);
    const d = orderDelivery("ebay");
    expect(verifyAndNormalize("ebay", d.headers, d.body, body.key)).toMatchObject({ ok: true, kind: "order" });
  });
});
