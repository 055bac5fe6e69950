// The ingest gateway's answers for paths that are no channel: 404 for an unknown channel, 400 (never a
// 5xx, which marketplaces retry forever) for a malformed percent-encoding — each counted and logged
// (rate-limited), never as an internal error. And for deliveries that are no order: WooCommerce's
// unsigned activation ping gets the exact 200 core needs, eBay's signed test vector verifies with the
// one-line key eBay serves — neither is published.
import { createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { Labels, Metrics } from "@synclag/core";
import { captureLog } from "../test/log-capture.js";
import { startIngestServer, type IngestServerOptions, type RunningIngestServer } from "./ingest-server.js";

const capture = () => captureLog("info");

/** An ingest server on a free loopback port that counts its metrics and captures its log. */
async function startCounting(options: Pick<IngestServerOptions, "maxBodyBytes" | "channels" | "publish"> & Partial<Pick<IngestServerOptions, "adjustStock" | "drainTimeoutMs" | "requestTimeoutMs">>) {
  const counted: Array<[string, Labels | undefined]> = [];
  const metrics: Metrics = { increment: (name, labels) => void counted.push([name, labels]), observe: () => undefined, gauge: () => undefined };
  const { lines, logger } = capture();
  const server = await startIngestServer({
    host: "127.0.0.1",
    port: 0,
    ...options,
    metrics,
    logger,
    renderMetrics: () => Promise.resolve({ contentType: "text/plain", body: "" }),
    readiness: () => Promise.resolve({}),
  });
  return { server, counted, lines };
}

/** A raw POST (fetch would re-encode the path). */
function post(url: string, path: string, body = "{}", headers: Record<string, string> = { "content-type": "application/json" }): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = httpRequest({ host: target.hostname, port: target.port, method: "POST", path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown> }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("ingest server: paths that are no channel", () => {
  let server: RunningIngestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start() {
    const started = await startCounting({ maxBodyBytes: 1024, channels: [{ id: "shopify", kind: "shopify", secret: "s" }], publish: () => Promise.reject(new Error("not expected")) });
    server = started.server;
    return { url: server.url, counted: started.counted, lines: started.lines };
  }

  it("answers 400 with a clear body (not 500) to a malformed percent-encoding, counted and logged as a warning", async () => {
    const { url, counted, lines } = await start();
    const response = await post(url, "/ingest/%E0%A4%A");
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: "bad_channel_path", known: ["shopify"] });
    expect(counted).toEqual([["ingest_rejected_total", { reason: "bad_path" }]]);
    expect(lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
    expect(lines.find((l) => l.level === 40)).toMatchObject({ reason: "bad_path", channelPath: "%E0%A4%A" });
  });

  it("counts every webhook to an unknown channel and logs them at most once per interval", async () => {
    const { url, counted, lines } = await start();
    for (let i = 0; i < 3; i++) expect((await post(url, "/ingest/amazon")).status).toBe(404);
    expect(counted).toEqual(Array.from({ length: 3 }, () => ["ingest_rejected_total", { reason: "unknown_channel" }]));
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ reason: "unknown_channel", channelPath: "amazon", known: ["shopify"] });
  });
});

// eBay/event-notification-nodejs-sdk test/test.json "VALID" (alg "ecdsa"), and the key as eBay's getPublicKey serves it: one line.
const EBAY_SIGNATURE =
  "eyJhbGciOiJlY2RzYSIsImtpZCI6Ijk5MzYyNjFhLTdkN2ItNDYyMS1hMGYxLTk2Y2NiNDI4YWY0OSIsInNpZ25hdHVyZSI6Ik1FWUNJUUNmeGZJV3V4bVdjSUJRSjljNS9YN2lHREpxczJSQ0dzQkVhQWppbnlycmZBSWhBSVY2d0djVGlCdVY1S0pVaWYyaG9reXJMK1E5c3NIa2FkK214Mm5FRTI1dyIsImRpZ2VzdCI6IlNIQTEifQ==";
const EBAY_BODY =
  '{"metadata":{"topic":"MARKETPLACE_ACCOUNT_DELETION","schemaVersion":"1.0","deprecated":false},"notification":{"notificationId":"49feeaeb-4982-42d9-a377-9645b8479411_33f7e043-fed8-442b-9d44-791923bd9a6d","eventDate":"2021-03-19T20:43:59.462Z","publishDate":"2021-03-19T20:43:59.679Z","publishAttemptCount":1,"data":{"username":"test_user","userId":"ma8vp1jySJC","eiasToken":"nY+sHZ2PrBmdj6wVnY+sEZ2PrA2dj6wJnY+gAZGEpwmdj6x9nY+seQ=="}}}';
const EBAY_KEY_AS_SERVED = "-----BEGIN PUBLIC KEY-----MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZhhxXKtR+TOvtDbgTPCkSof02qgBB7IsYOyf76ilExJ/upAa/vKIKheOoCyOpcLmi4t0b4uepb7LLjmMr90FUg==-----END PUBLIC KEY-----";

describe("ingest server: deliveries that are no order", () => {
  let server: RunningIngestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start() {
    const published: unknown[] = [];
    const keysAsked: string[] = [];
    const started = await startCounting({
      maxBodyBytes: 4096,
      channels: [
        { id: "woo", kind: "woocommerce", secret: "webhook-secret" },
        { id: "ebay", kind: "ebay", secret: (keyId) => (keysAsked.push(keyId ?? ""), Promise.resolve({ kind: "key" as const, pem: EBAY_KEY_AS_SERVED })) },
      ],
      publish: (event) => (published.push(event), Promise.resolve({ duplicate: false })),
    });
    server = started.server;
    return { url: server.url, counted: started.counted, published, keysAsked };
  }

  it("answers WooCommerce's unsigned activation ping with 200 and publishes nothing", async () => {
    const { url, counted, published } = await start();
    // Exactly what WC_Webhook::deliver_ping() sends: a user agent and a form body, no X-WC-Webhook-* headers.
    const response = await post(url, "/ingest/woo", "webhook_id=17", { "user-agent": "WooCommerce/9.0.0 Hookshot (WordPress/6.5.0)", "content-type": "application/x-www-form-urlencoded" });
    expect(response).toEqual({ status: 200, body: { accepted: "ping", detail: "webhook_id=17" } });
    expect(published).toEqual([]);
    expect(counted).toEqual([["ingest_notifications_total", { channel: "woo", outcome: "ping" }]]);
  });

  it("verifies eBay's signed test vector with the one-line public key eBay serves (200, not an order)", async () => {
    const { url, published, keysAsked } = await start();
    const response = await post(url, "/ingest/ebay", EBAY_BODY, { "content-type": "application/json", "x-ebay-signature": EBAY_SIGNATURE });
    expect(response).toEqual({ status: 200, body: { accepted: "ignored", detail: "topic MARKETPLACE_ACCOUNT_DELETION" } });
    expect(keysAsked).toEqual(["9936261a-7d7b-4621-a0f1-96ccb428af49"]);
    expect(published).toEqual([]);
  });
});

/** A raw request on its own socket: the status line and body of the answer, or "closed" when the server hung up without one. */
function rawRequest(url: string, text: string): Promise<{ status: number | "closed"; text: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const socket = connect(Number(target.port), target.hostname);
    let received = "";
    socket.on("connect", () => socket.write(text));
    socket.on("data", (chunk: Buffer) => (received += chunk.toString("utf8")));
    socket.on("error", reject);
    socket.on("close", () => {
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received);
      resolve({ status: match ? Number(match[1]) : "closed", text: received });
    });
  });
}

describe("ingest server: POST /admin/stock", () => {
  let server: RunningIngestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(adjust: IngestServerOptions["adjustStock"] = (input) => Promise.resolve({ ok: true, detail: input })) {
    const applied: Array<{ sku: string; quantity: number; kind: string }> = [];
    const started = await startCounting({
      maxBodyBytes: 1024,
      channels: [],
      publish: () => Promise.reject(new Error("not expected")),
      adjustStock: async (input) => {
        const outcome = await adjust(input);
        if (outcome.ok) applied.push(input);
        return outcome;
      },
    });
    server = started.server;
    return { url: server.url, applied, lines: started.lines };
  }

  it("checks every item before applying any: one invalid item is a 400 and nothing is applied (a retry cannot double a restock)", async () => {
    const { url, applied } = await start();
    const response = await post(url, "/admin/stock", JSON.stringify({ kind: "restock", items: [{ sku: "SKU-1", quantity: 5 }, { sku: "SKU-1", quantity: -1 }] }));
    expect(response.status).toBe(400);
    expect(applied).toEqual([]);
    expect(response.body).toMatchObject({ error: "invalid_items", applied: 0 });
    const results = response.body.results as Array<{ ok: boolean; detail: unknown }>;
    expect(results[0]).toMatchObject({ ok: false, applied: false });
    expect(results[1]).toMatchObject({ ok: false, applied: false, detail: [{ path: "quantity", message: "must be at least 1" }] });
    // A zero restock, a negative count, a SKU that is no text, a fractional quantity: each refused up front.
    for (const item of [{ sku: "SKU-1", quantity: 0 }, { sku: "", quantity: 1 }, { sku: "SKU-1", quantity: 1.5 }]) {
      expect((await post(url, "/admin/stock", JSON.stringify({ kind: "restock", items: [{ sku: "SKU-2", quantity: 1 }, item] }))).status).toBe(400);
    }
    expect((await post(url, "/admin/stock", JSON.stringify({ kind: "set", items: [{ sku: "SKU-2", quantity: 0 }, { sku: "SKU-1", quantity: -1 }] }))).status).toBe(400);
    expect(applied).toEqual([]);
    // All valid: every item applied, in order.
    const ok = await post(url, "/admin/stock", JSON.stringify({ kind: "set", items: [{ sku: "SKU-1", quantity: 0 }, { sku: "SKU-2", quantity: 7 }] }));
    expect(ok.status).toBe(200);
    expect(applied).toEqual([{ sku: "SKU-1", quantity: 0, kind: "set" }, { sku: "SKU-2", quantity: 7, kind: "set" }]);
  });

  it("says which items were applied when the store fails midway (503, not 500)", async () => {
    let calls = 0;
    const { url, applied } = await start((input) => {
      calls += 1;
      return calls === 2 ? Promise.reject(new Error("redis: connection lost")) : Promise.resolve({ ok: true, detail: input });
    });
    const response = await post(url, "/admin/stock", JSON.stringify({ kind: "restock", items: [{ sku: "A", quantity: 1 }, { sku: "B", quantity: 1 }, { sku: "C", quantity: 1 }] }));
    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({ error: "store_unavailable", applied: 1 });
    expect((response.body.results as Array<{ applied: boolean }>).map((r) => r.applied)).toEqual([true, false, false]);
    expect(applied.map((a) => a.sku)).toEqual(["A"]);
  });

  it("answers 400 with a readable problem (not 500) to a JSON null body, a null item or items that are no objects", async () => {
    const { url, applied } = await start();
    for (const body of ["null", "[]", '"text"', "7", '{"items":[null]}', '{"items":[1,2]}', '{"items":null}', '{"kind":"add","items":[{"sku":"A","quantity":1}]}']) {
      const response = await post(url, "/admin/stock", body);
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
      expect(response.body.error).toMatch(/^(bad_body|invalid_items)$/);
      expect(typeof (response.body.message ?? response.body.results)).not.toBe("undefined");
    }
    expect(applied).toEqual([]);
  });

  it("answers 413 (not 'must be JSON') to a body over the size limit", async () => {
    const { url, applied } = await start();
    const response = await post(url, "/admin/stock", JSON.stringify({ items: [{ sku: "A", quantity: 1 }], pad: "x".repeat(5_000) }));
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ error: "too_large" });
    expect(applied).toEqual([]);
  });
});

describe("ingest server: clients that stall", () => {
  it("close() waits for an in-flight request at most drainTimeoutMs, then closes its connection", async () => {
    const { server } = await startCounting({ maxBodyBytes: 1024, channels: [{ id: "shopify", kind: "shopify", secret: "s" }], publish: () => Promise.reject(new Error("not expected")), drainTimeoutMs: 300 });
    // Headers and part of a body, then nothing: the request stays in flight.
    const stalled = rawRequest(server.url, 'POST /ingest/shopify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"id":1,');
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Bounded by the drain timeout: a generous upper bound only proves close() does not hang.
    const closed = await Promise.race([server.close().then(() => "closed"), new Promise((resolve) => setTimeout(() => resolve("still waiting after 10 s"), 10_000))]);
    expect(closed).toBe("closed");
    expect((await stalled).status).toBe("closed");
  }, 30_000);

  it("a request whose body does not arrive within requestTimeoutMs is answered 408 and its connection closed", async () => {
    const { server } = await startCounting({ maxBodyBytes: 1024, channels: [{ id: "shopify", kind: "shopify", secret: "s" }], publish: () => Promise.reject(new Error("not expected")), requestTimeoutMs: 500 });
    try {
      const stalled = rawRequest(server.url, 'POST /ingest/shopify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"id":1,');
      const outcome = await Promise.race([stalled, new Promise<{ status: string }>((resolve) => setTimeout(() => resolve({ status: "no answer after 15 s" }), 15_000))]);
      expect(outcome.status).toBe(408);
    } finally {
      await server.close();
    }
  }, 30_000);
});

describe("ingest server: order lines left out for having no SKU", () => {
  let server: RunningIngestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const signed = (order: unknown) => {
    const body = JSON.stringify(order);
    return { body, headers: { "content-type": "application/json", "x-shopify-topic": "orders/create", "x-shopify-hmac-sha256": createHmac("sha256", "s").update(body).digest("base64") } };
  };

  it("counts and logs them (a stocked product whose SKU was left empty would otherwise oversell without a trace)", async () => {
    const published: unknown[] = [];
    const started = await startCounting({ maxBodyBytes: 64 * 1024, channels: [{ id: "shopify", kind: "shopify", secret: "s" }], publish: (event) => (published.push(event), Promise.resolve({ duplicate: false })) });
    server = started.server;
    // Order times are now: the ingest ignores an order older than the store can deduplicate.
    const partly = signed({ id: 7001, created_at: new Date().toISOString(), line_items: [{ sku: "SKU-1", quantity: 1 }, { sku: null, quantity: 1, title: "Tip" }] });
    expect((await post(server.url, "/ingest/shopify", partly.body, partly.headers)).status).toBe(200);
    const none = signed({ id: 7002, created_at: new Date().toISOString(), line_items: [{ sku: "", quantity: 2 }] });
    expect(await post(server.url, "/ingest/shopify", none.body, none.headers)).toMatchObject({ status: 200, body: { accepted: "ignored" } });
    expect(published).toHaveLength(1);
    expect(started.counted).toEqual([
      ["ingest_lines_skipped_total", { channel: "shopify", reason: "no SKU" }],
      ["ingest_notifications_total", { channel: "shopify", outcome: "published" }],
      ["ingest_lines_skipped_total", { channel: "shopify", reason: "no SKU" }],
      ["ingest_notifications_total", { channel: "shopify", outcome: "no_stocked_lines" }],
    ]);
    const logged = started.lines.filter((l) => /order lines left out/.test(String(l.msg)));
    expect(logged).toHaveLength(2);
    expect(logged[0]).toMatchObject({ channel: "shopify", orderId: "shopify:7001", skippedLines: [{ index: 1, reason: "no SKU" }] });
  });
});
