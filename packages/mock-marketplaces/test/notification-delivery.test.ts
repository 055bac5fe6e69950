// Order notifications over real HTTP, with each marketplace's delivery behaviour: retries of real
// failures on the (scaled) schedule with a stable event id, WooCommerce's no-retry and its ping,
// Flipkart's head-of-line blocking, duplicates, and loss when every attempt fails.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_PROFILES, type MarketplaceKind, type MarketplaceProfile } from "@synclag/marketplaces";
import { startMockMarketplaces, type RunningMockMarketplaces } from "../src/index.js";

interface Received {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

let server: Server | undefined;
let mocks: RunningMockMarketplaces | undefined;
afterEach(async () => {
  await mocks?.close();
  await new Promise<void>((r) => (server ? (server.closeAllConnections(), server.close(() => r())) : r()));
  server = undefined;
  mocks = undefined;
});

/** An ingest endpoint answering `status(nth delivery, body)`. */
async function ingest(status: (n: number, body: string) => number): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
      received.push({ path: req.url ?? "", headers, body });
      res.writeHead(status(received.length, body)).end();
    });
  });
  await new Promise<void>((r) => server?.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest/{kind}`, received };
}

function profile(kind: MarketplaceKind, notifications: Partial<MarketplaceProfile["notifications"]>): MarketplaceProfile {
  const base = DEFAULT_PROFILES[kind];
  return { ...base, notifications: { ...base.notifications, delay: { kind: "constant", ms: 0 }, duplicateRate: 0, attemptFailureRate: 0, ...notifications } };
}

async function start(kind: MarketplaceKind, url: string, p: MarketplaceProfile, retryScale: number): Promise<RunningMockMarketplaces> {
  mocks = await startMockMarketplaces({ kinds: [kind], latency: "none", ingestUrl: url, profiles: { [kind]: p }, notificationRetryTimeScale: retryScale, seedListings: { count: 3, stock: 100 } });
  return mocks;
}

async function buy(running: RunningMockMarketplaces, kind: MarketplaceKind, sku: string): Promise<string> {
  const response = await fetch(`${running.get(kind).url}/_synclag/storefront/checkout`, { method: "POST", body: JSON.stringify({ sku, quantity: 1 }) });
  expect(response.status).toBe(201);
  return String(((await response.json()) as { orderId: string }).orderId);
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

const stats = (running: RunningMockMarketplaces, kind: MarketplaceKind) => (running.get(kind).marketplace.stats() as { notifications: Record<string, number> }).notifications;

describe("order notification delivery", () => {
  it("shopify retries a failing delivery on its schedule with the same X-Shopify-Event-Id", async () => {
    const { url, received } = await ingest((n) => (n <= 2 ? 500 : 200));
    const running = await start("shopify", url, profile("shopify", {}), 0.00001); // 4 h → 144 ms
    await buy(running, "shopify", "sku-1");
    await until(() => stats(running, "shopify").delivered === 1);
    expect(received).toHaveLength(3);
    expect(new Set(received.map((r) => r.headers["x-shopify-event-id"])).size).toBe(1);
    expect(new Set(received.map((r) => r.headers["x-shopify-webhook-id"])).size).toBe(3);
    expect(stats(running, "shopify")).toMatchObject({ attemptsFailed: 2, lost: 0 });
  });

  it("woocommerce pings first and never retries a failed delivery", async () => {
    const { url, received } = await ingest((_n, body) => (body.startsWith("webhook_id=") ? 200 : 500));
    const running = await start("woocommerce", url, profile("woocommerce", {}), 1);
    await buy(running, "woocommerce", "sku-1");
    await until(() => stats(running, "woocommerce").lost === 1);
    expect(received.map((r) => r.body.startsWith("webhook_id="))).toEqual([true, false]);
    expect(received[1]?.headers["x-wc-webhook-topic"]).toBe("order.created");
  });

  it("woocommerce disables the webhook after more than 5 consecutive failures", async () => {
    const { url } = await ingest(() => 500);
    const running = await start("woocommerce", url, profile("woocommerce", {}), 1);
    for (let i = 0; i < 7; i++) await buy(running, "woocommerce", "sku-2");
    await until(() => {
      const s = stats(running, "woocommerce");
      return (s.lost ?? 0) + (s.droppedWhileDisabled ?? 0) === 7;
    });
    expect(stats(running, "woocommerce").droppedWhileDisabled).toBeGreaterThan(0);
    expect(running.get("woocommerce").marketplace.stats()).toMatchObject({ notifications: { disabled: true } });
  });

  it("flipkart holds later notifications of a group behind a failing one (head-of-line blocking)", async () => {
    const { url, received } = await ingest((n) => (n <= 2 ? 503 : 200));
    const running = await start("flipkart", url, profile("flipkart", {}), 0.0001); // 600 s → 60 ms
    const first = await buy(running, "flipkart", "sku-1");
    const second = await buy(running, "flipkart", "sku-2");
    await until(() => stats(running, "flipkart").delivered === 2);
    const orderOf = (r: Received) => (JSON.parse(r.body) as { attributes: { orderId: string } }).attributes.orderId;
    expect(received.map(orderOf)).toEqual([first, first, first, second]);
  });

  it("delivers a duplicate with the same event id when the profile says so", async () => {
    const { url, received } = await ingest(() => 200);
    const running = await start("shopify", url, profile("shopify", { duplicateRate: 1 }), 1);
    await buy(running, "shopify", "sku-1");
    await until(() => stats(running, "shopify").duplicatesDelivered === 1);
    expect(received).toHaveLength(2);
    expect(received[0]?.headers["x-shopify-event-id"]).toBe(received[1]?.headers["x-shopify-event-id"]);
    expect(received[0]?.body).toBe(received[1]?.body);
  });

  it("loses a notification when every attempt fails (simulated failures never reach the engine)", async () => {
    const { url, received } = await ingest(() => 200);
    const running = await start("amazon", url, profile("amazon", { attemptFailureRate: 1 }), 0.00001);
    await buy(running, "amazon", "sku-1");
    await until(() => stats(running, "amazon").lost === 1);
    expect(received).toHaveLength(0);
    expect(stats(running, "amazon").simulatedFailures).toBe(DEFAULT_PROFILES.amazon.notifications.retries + 1);
  });
});
