// WooCommerce never redelivers a webhook (shared/marketplaces.md: no retries, 60 s timeout, disabled
// after > 5 consecutive failures): a 503 loses the sale. So for a channel that does not redeliver, the
// ingest keeps retrying a failed publish for up to its budget (below the sender's timeout) before the
// 503, which is logged as an error with the order id and channel. Channels that redeliver get the 503 at once.
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Labels, Metrics, OrderEvent } from "@synclag/core";
import { captureLog } from "../test/log-capture.js";
import { publishRetryMsFor } from "./engine-service.js";
import { startIngestServer, type IngestChannel } from "./ingest-server.js";

const WOO_SECRET = "woo-secret";
const SHOPIFY_SECRET = "shopify-secret";

async function start(channels: readonly IngestChannel[], publish: (event: OrderEvent) => Promise<{ duplicate: boolean }>, extra: { drainTimeoutMs?: number } = {}) {
  const counted: Array<[string, Labels | undefined]> = [];
  const metrics: Metrics = { increment: (name, labels) => void counted.push([name, labels]), observe: () => undefined, gauge: () => undefined };
  const log = captureLog("info");
  const server = await startIngestServer({ host: "127.0.0.1", port: 0, maxBodyBytes: 65_536, channels, publish, metrics, logger: log.logger, renderMetrics: () => Promise.resolve({ contentType: "text/plain", body: "" }), readiness: () => Promise.resolve({}), ...extra });
  return { server, counted, log };
}

function wooOrder(url: string, id: number) {
  // The order's time is now: the ingest ignores an order older than the store can deduplicate.
  const body = JSON.stringify({ id, status: "processing", date_created_gmt: new Date().toISOString().slice(0, 19), line_items: [{ sku: "SKU-1", quantity: 3 }] });
  return fetch(`${url}/ingest/woocommerce`, { method: "POST", headers: { "content-type": "application/json", "x-wc-webhook-topic": "order.created", "x-wc-webhook-signature": createHmac("sha256", WOO_SECRET).update(body).digest("base64") }, body });
}

function shopifyOrder(url: string, id: number) {
  const body = JSON.stringify({ id, created_at: new Date().toISOString(), line_items: [{ sku: "SKU-1", quantity: 1 }] });
  return fetch(`${url}/ingest/shopify`, { method: "POST", headers: { "content-type": "application/json", "x-shopify-hmac-sha256": createHmac("sha256", SHOPIFY_SECRET).update(body).digest("base64") }, body });
}

const unavailable = () => Object.assign(new Error("no responders: JetStream not reachable"), { name: "NatsFeedError", reason: "unavailable", retryable: true });

describe("ingest: channels that do not redeliver", () => {
  it("keeps retrying a failed publish for a WooCommerce order and answers 200 once it is stored", async () => {
    let calls = 0;
    const { server, log } = await start([{ id: "woocommerce", kind: "woocommerce", secret: WOO_SECRET, publishRetryMs: 20_000 }], () => (++calls <= 3 ? Promise.reject(unavailable()) : Promise.resolve({ duplicate: false })));
    try {
      const response = await wooOrder(server.url, 7001);
      expect({ status: response.status, calls }).toEqual({ status: 200, calls: 4 });
      expect(log.lines.filter((l) => l.level === 50)).toEqual([]);
    } finally {
      await server.close();
    }
  }, 30_000);

  it("answers 503 at once for a channel that redelivers (Shopify)", async () => {
    let calls = 0;
    const { server } = await start([{ id: "shopify", kind: "shopify", secret: SHOPIFY_SECRET }], () => (++calls, Promise.reject(unavailable())));
    try {
      expect((await shopifyOrder(server.url, 1)).status).toBe(503);
      expect(calls).toBe(1);
    } finally {
      await server.close();
    }
  });

  it("gives up within its budget — a publish that hangs included — and logs an error naming the order, the channel and that it will not be redelivered", async () => {
    const { server, log, counted } = await start([{ id: "woocommerce", kind: "woocommerce", secret: WOO_SECRET, publishRetryMs: 1_500 }], () => new Promise(() => undefined));
    try {
      const startedAt = Date.now();
      const response = await wooOrder(server.url, 7002);
      const tookMs = Date.now() - startedAt;
      expect(response.status).toBe(503);
      expect(tookMs).toBeGreaterThanOrEqual(1_400);
      expect(tookMs).toBeLessThan(5_000);
      const line = log.lines.find((l) => l.level === 50);
      expect(line).toMatchObject({ orderId: "woocommerce:7002", channel: "woocommerce", redelivered: false });
      expect(line?.msg).toBe("publishing the order failed");
      expect(String(line?.consequence)).toMatch(/woocommerce does not redeliver/);
      expect(counted).toContainEqual(["ingest_notifications_total", { channel: "woocommerce", outcome: "publish_failed" }]);
    } finally {
      await server.close();
    }
  }, 30_000);

  // The docs (Shutdown): "a WooCommerce publish still being retried stops retrying and is answered 503".
  // Found by review: the attempt running when the stop began (a publish that hangs while NATS is down,
  // or a pause between attempts) held the answer past the drain, and WooCommerce saw the connection cut.
  it("a stop while a WooCommerce publish hangs ends that attempt: answered 503 and the lost order logged before close() returns", async () => {
    const { server, log } = await start([{ id: "woocommerce", kind: "woocommerce", secret: WOO_SECRET, publishRetryMs: 55_000 }], () => new Promise(() => undefined), { drainTimeoutMs: 1_000 });
    const answer = wooOrder(server.url, 7004).then((r) => r.status, (e: Error) => `error: ${(e.cause as Error | undefined)?.message ?? e.message}`);
    await new Promise((r) => setTimeout(r, 500));
    const startedAt = Date.now();
    await server.close();
    const closeMs = Date.now() - startedAt;
    const lost = log.lines.filter((l) => l.orderId === "woocommerce:7004" && l.level === 50);
    expect({ status: await answer, lost: lost.map((l) => l.msg), closeMs: closeMs < 900 }).toEqual({ status: 503, lost: ["publishing the order failed"], closeMs: true });
    expect(String(lost[0]?.consequence)).toMatch(/woocommerce does not redeliver/);
  }, 30_000);

  it("a stop during the pause between WooCommerce publish attempts answers 503 at once", async () => {
    let calls = 0;
    const { server, log } = await start([{ id: "woocommerce", kind: "woocommerce", secret: WOO_SECRET, publishRetryMs: 55_000 }], () => (++calls, Promise.reject(unavailable())), { drainTimeoutMs: 5_000 });
    const answer = wooOrder(server.url, 7005).then((r) => r.status, (e: Error) => `error: ${e.message}`);
    // 250 + 500 + 1000 ms of pauses: the stop lands in the 2 s one.
    await new Promise((r) => setTimeout(r, 2_300));
    const startedAt = Date.now();
    await server.close();
    const closeMs = Date.now() - startedAt;
    expect({ status: await answer, closeMs: closeMs < 500, logged: log.lines.filter((l) => l.orderId === "woocommerce:7005" && l.level === 50).length }).toEqual({ status: 503, closeMs: true, logged: 1 });
    expect(calls).toBe(4);
  }, 30_000);

  it("does not retry a publish refused for good (retryable: false)", async () => {
    let calls = 0;
    const refused = Object.assign(new Error("message too large"), { retryable: false });
    const { server } = await start([{ id: "woocommerce", kind: "woocommerce", secret: WOO_SECRET, publishRetryMs: 20_000 }], () => (++calls, Promise.reject(refused)));
    try {
      expect((await wooOrder(server.url, 7003)).status).toBe(503);
      expect(calls).toBe(1);
    } finally {
      await server.close();
    }
  });
});

describe("ingest: log lines about an order", () => {
  it("a signed order refused as malformed is logged with its orderId and channel", async () => {
    const { server, log } = await start([{ id: "shopify", kind: "shopify", secret: SHOPIFY_SECRET }], () => Promise.reject(new Error("not expected")));
    try {
      const body = JSON.stringify({ id: 81, created_at: "2026-11-28T00:00:00Z", line_items: [{ sku: "SKU-1", quantity: "2" }] });
      const response = await fetch(`${server.url}/ingest/shopify`, { method: "POST", headers: { "x-shopify-hmac-sha256": createHmac("sha256", SHOPIFY_SECRET).update(body).digest("base64"), "content-type": "application/json" }, body });
      expect(response.status).toBe(400);
      expect(log.lines.find((l) => l.msg === "notification rejected")).toMatchObject({ channel: "shopify", orderId: "shopify:81", reason: "malformed" });
    } finally {
      await server.close();
    }
  });
});

describe("which channels get publish retries", () => {
  it("WooCommerce (no redelivery, 60 s webhook timeout) gets 55 s; every marketplace that redelivers gets none", () => {
    expect(Object.fromEntries((["amazon", "shopify", "woocommerce", "flipkart", "ebay"] as const).map((kind) => [kind, publishRetryMsFor(kind) ?? null]))).toEqual({ amazon: null, shopify: null, woocommerce: 55_000, flipkart: null, ebay: null });
  });
});
