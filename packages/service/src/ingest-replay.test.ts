// Replays of captured, genuinely signed notifications (found by review). Shopify's HMAC (like every
// body signature) carries no time, and the store forgets an order id after its idempotency TTL (7 days):
// the ingest refuses an order whose own time is older than the store can deduplicate (a 200 that says
// so: redelivering cannot help) and one far ahead of its clock (503). Flipkart's signature covers no body
// at all: once the deliveries a signature came with have arrived, it is not taken with another body.
import { createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { OrderEvent } from "@synclag/core";
import { flipkartAuthorization } from "@synclag/mock-marketplaces";
import { DEFAULT_IDEMPOTENCY_TTL_MS } from "@synclag/redis-store";
import { captureLog } from "../test/log-capture.js";
import { MAX_ORDER_TIME_AHEAD_MS, ORDER_AGE_MARGIN_MS, SIGNATURE_NEW_CLAIMS_MS, orderTimeLimits, startIngestServer, type IngestServerOptions, type RunningIngestServer } from "./ingest-server.js";
import { countingMetrics } from "./ingest-test-support.js";

const DAY_MS = 86_400_000;
const SHOPIFY_SECRET = "shopify-secret";
const FLIPKART_SECRET = "flipkart-secret";
/** Now, to the whole second (X_Date has whole seconds); the ingest's clock is then set by each test. */
const T0 = Math.floor(Date.now() / 1000) * 1000;

let server: RunningIngestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** An ingest on a free loopback port with a settable clock, recording what it publishes, counts and logs. */
async function start(extra: Partial<Pick<IngestServerOptions, "orderTimeLimits" | "rejectedLogIntervalMs">> = {}) {
  let nowMs = T0;
  const published: OrderEvent[] = [];
  const { counted, metrics } = countingMetrics();
  const { lines, logger } = captureLog("info");
  server = await startIngestServer({
    host: "127.0.0.1",
    port: 0,
    maxBodyBytes: 65_536,
    channels: [
      { id: "shopify", kind: "shopify", secret: SHOPIFY_SECRET },
      { id: "flipkart", kind: "flipkart", secret: FLIPKART_SECRET, appId: "app" },
    ],
    publish: (event) => (published.push(event), Promise.resolve({ duplicate: false })),
    metrics,
    logger,
    renderMetrics: () => Promise.resolve({ contentType: "text/plain", body: "" }),
    readiness: () => Promise.resolve({}),
    now: () => nowMs,
    ...extra,
  });
  const outcomes = () => counted.filter(([name]) => name === "ingest_notifications_total").map(([, labels]) => labels?.outcome);
  return { url: server.url, published, outcomes, lines, setNow: (ms: number) => (nowMs = ms) };
}

/** One captured Shopify delivery (body + its HMAC), posted as often as asked. */
function shopifyDelivery(url: string, id: number, createdAtMs: number) {
  const body = JSON.stringify({ id, created_at: new Date(createdAtMs).toISOString(), line_items: [{ sku: "MUG", quantity: 5 }] });
  const headers = { "content-type": "application/json", "x-shopify-hmac-sha256": createHmac("sha256", SHOPIFY_SECRET).update(body).digest("base64") };
  return async () => {
    const response = await fetch(`${url}/ingest/shopify`, { method: "POST", headers, body });
    return { status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as Record<string, unknown> };
  };
}

describe("ingest: an order's own time against what the store can deduplicate", () => {
  it("orderTimeLimits: the store's TTL less a day, and an hour ahead", () => {
    expect(orderTimeLimits(DEFAULT_IDEMPOTENCY_TTL_MS)).toEqual({ maxAgeMs: 6 * DAY_MS, maxAheadMs: 3_600_000 });
    expect(ORDER_AGE_MARGIN_MS).toBeGreaterThan(MAX_ORDER_TIME_AHEAD_MS);
    expect(() => orderTimeLimits(DAY_MS)).toThrow(/leaves no room/);
  });

  it("a captured delivery replayed once the store forgot its order is answered 200 'too old' and not published again", async () => {
    const { url, published, outcomes, lines, setNow } = await start();
    // The genuine delivery, an hour after the order: published.
    const deliver = shopifyDelivery(url, 4242, T0 - 3_600_000);
    expect((await deliver()).status).toBe(200);
    expect(published.map((e) => e.orderId)).toEqual(["shopify:4242"]);
    // Replayed 7 days later, when the store's record (7-day TTL) may be gone: not published.
    setNow(T0 + 7 * DAY_MS);
    const replay = await deliver();
    expect(replay).toMatchObject({ status: 200, body: { accepted: "ignored", reason: "too_old", orderId: "shopify:4242" } });
    expect(String(replay.body.detail)).toContain("6 days");
    expect(await deliver()).toMatchObject({ status: 200, body: { reason: "too_old" } });
    expect(published).toHaveLength(1);
    expect(outcomes()).toEqual(["published", "too_old", "too_old"]);
    // Logged, at most once per interval (anyone holding old deliveries can send them all).
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ orderId: "shopify:4242", channel: "shopify", maxAgeMs: 6 * DAY_MS, notLoggedSinceLast: 0 });
    expect(String(warnings[0]?.msg)).toContain("older than the store can deduplicate");
  });

  it("takes an order just inside the limit, whatever the default limits are given as", async () => {
    const { url, published, outcomes } = await start({ orderTimeLimits: { maxAgeMs: 6 * DAY_MS, maxAheadMs: 3_600_000 } });
    expect((await shopifyDelivery(url, 1, T0 - 6 * DAY_MS + 60_000)()).status).toBe(200);
    expect((await shopifyDelivery(url, 2, T0 - 6 * DAY_MS - 60_000)()).body).toMatchObject({ reason: "too_old" });
    expect(published.map((e) => e.orderId)).toEqual(["shopify:1"]);
    expect(outcomes()).toEqual(["published", "too_old"]);
  });

  it("answers 503 (redeliver later) to an order time more than an hour ahead of its clock, and takes it once within", async () => {
    const { url, published, outcomes, lines, setNow } = await start();
    const ahead = shopifyDelivery(url, 77, T0 + 2 * 3_600_000);
    const refused = await ahead();
    expect(refused).toMatchObject({ status: 503, body: { error: "order_time_ahead", orderId: "shopify:77" }, retryAfter: "3600" });
    expect(published).toEqual([]);
    expect(lines.find((l) => l.level === 40)).toMatchObject({ orderId: "shopify:77", maxAheadMs: 3_600_000, redelivered: true });
    // Half an hour ahead is within what clocks may differ by.
    expect((await shopifyDelivery(url, 78, T0 + 1_800_000)()).status).toBe(200);
    // The marketplace's redelivery an hour later is taken.
    setNow(T0 + 3_600_000);
    expect((await ahead()).status).toBe(200);
    expect(published.map((e) => e.orderId)).toEqual(["shopify:78", "shopify:77"]);
    expect(outcomes()).toEqual(["too_far_ahead", "published", "published"]);
  });
});

/** Flipkart's headers for a delivery sent at `sentAtMs` to the ingest at `url`. */
function flipkartHeaders(url: string, sentAtMs: number): Record<string, string> {
  const date = new Date(sentAtMs).toUTCString();
  return { "content-type": "application/json", x_date: date, x_authorization: flipkartAuthorization("app", FLIPKART_SECRET, date, `${url}/ingest/flipkart`, "POST") };
}

function flipkartOrder(orderId: string, quantity: number, atMs: number): string {
  return JSON.stringify({ eventType: "shipment_created", eventId: `e-${orderId}`, timestamp: new Date(atMs).toISOString(), attributes: { orderId, shipmentId: `S-${orderId}`, orderItems: [{ sku: "MUG", quantity }] } });
}

async function postFlipkart(url: string, headers: Record<string, string>, body: string) {
  const response = await fetch(`${url}/ingest/flipkart`, { method: "POST", headers, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("ingest: Flipkart's signature, which does not cover the body", () => {
  it("does not take one genuine delivery's headers with a different order once its deliveries have arrived", async () => {
    const { url, published, outcomes, lines, setNow } = await start();
    const headers = flipkartHeaders(url, T0);
    expect((await postFlipkart(url, headers, flipkartOrder("OD1", 1, T0))).status).toBe(200);
    // Another genuine notification sent in the same second carries the very same headers: taken.
    setNow(T0 + 800);
    expect((await postFlipkart(url, headers, flipkartOrder("OD2", 2, T0))).status).toBe(200);
    // A minute later (X_Date still within the 5-minute skew): the captured headers on a forged order.
    setNow(T0 + 60_000);
    const forged = await postFlipkart(url, headers, flipkartOrder("OD-FORGED-1", 5000, T0));
    expect(forged).toMatchObject({ status: 401, body: { error: "signature_reused" } });
    expect(JSON.stringify(forged.body)).not.toContain("OD1");
    // The same order id with other lines is no redelivery either.
    expect((await postFlipkart(url, headers, flipkartOrder("OD1", 5000, T0))).status).toBe(401);
    // A redelivery of a genuine one with its own headers (a proxy's retry) is still taken.
    expect((await postFlipkart(url, headers, flipkartOrder("OD1", 1, T0))).status).toBe(200);
    expect(published.map((e) => e.orderId)).toEqual(["flipkart:OD1", "flipkart:OD2", "flipkart:OD1"]);
    expect(outcomes()).toEqual(["published", "published", "signature_reused", "signature_reused", "published"]);
    // Logged once per interval, naming what it claimed to be.
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ channel: "flipkart", claimedOrderId: "flipkart:OD-FORGED-1", firstSeenAgoMs: 60_000 });
  });

  it("is taken with another body only for the marketplace's delivery timeout after it was first seen", async () => {
    const { url, published, setNow } = await start();
    const headers = flipkartHeaders(url, T0);
    await postFlipkart(url, headers, flipkartOrder("OD1", 1, T0));
    setNow(T0 + SIGNATURE_NEW_CLAIMS_MS);
    expect((await postFlipkart(url, headers, flipkartOrder("OD2", 1, T0))).status).toBe(200);
    setNow(T0 + SIGNATURE_NEW_CLAIMS_MS + 1);
    expect((await postFlipkart(url, headers, flipkartOrder("OD3", 1, T0))).status).toBe(401);
    expect(published.map((e) => e.orderId)).toEqual(["flipkart:OD1", "flipkart:OD2"]);
  });

  it("does not let the headers of a notification that is no order carry an order", async () => {
    const { url, published, setNow } = await start();
    const headers = flipkartHeaders(url, T0);
    const cancelled = JSON.stringify({ eventType: "shipment_cancelled", eventId: "c1", timestamp: new Date(T0).toISOString(), attributes: { orderId: "OD9" } });
    expect(await postFlipkart(url, headers, cancelled)).toMatchObject({ status: 200, body: { accepted: "ignored" } });
    setNow(T0 + 30_000);
    expect((await postFlipkart(url, headers, flipkartOrder("OD-FORGED-2", 50, T0))).status).toBe(401);
    expect((await postFlipkart(url, headers, cancelled)).status).toBe(200);
    expect(published).toEqual([]);
  });
});
