// Order notifications over real HTTP, with each marketplace's delivery behaviour: retries of real
// failures on the (scaled) schedule with a stable event id, WooCommerce's no-retry, its unsigned ping,
// its failure count and its 60 s timeout, Flipkart's head-of-line blocking, duplicates, and loss when
// every attempt fails.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_PROFILES, retryOffsetsMs, type MarketplaceKind, type MarketplaceProfile } from "@synclag/marketplaces";
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

/**
 * An ingest endpoint answering `status(nth delivery, body)` after `delayMs(body)` (default at once);
 * a 3xx names `/redirected` as its Location.
 */
async function ingest(status: (n: number, body: string) => number, delayMs: (body: string) => number = () => 0): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
      received.push({ path: req.url ?? "", headers, body });
      const code = status(received.length, body);
      const answer = () => void res.writeHead(code, code >= 300 && code < 400 ? { location: "/redirected" } : {}).end();
      const wait = delayMs(body);
      if (wait > 0) setTimeout(answer, wait).unref();
      else answer();
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

  it("woocommerce's ping is unsigned, like core's deliver_ping(): a user agent and webhook_id=<id>, no X-WC-Webhook-* headers", async () => {
    const { url, received } = await ingest(() => 200);
    const running = await start("woocommerce", url, profile("woocommerce", {}), 1);
    await buy(running, "woocommerce", "sku-1");
    await until(() => stats(running, "woocommerce").delivered === 1);
    const ping = received[0];
    expect(ping?.body).toBe("webhook_id=1");
    expect(ping?.headers["user-agent"]).toMatch(/^WooCommerce\/\S+ Hookshot \(WordPress\/\S+\)$/);
    expect(Object.keys(ping?.headers ?? {}).filter((h) => h.startsWith("x-wc-"))).toEqual([]);
    expect(received[1]?.headers["x-wc-webhook-signature"]).toBeDefined();
  });

  it("woocommerce disables the webhook on the 7th consecutive failed delivery, the failed ping not counted (core's failed_delivery)", async () => {
    const { url, received } = await ingest(() => 500);
    const running = await start("woocommerce", url, profile("woocommerce", {}), 1);
    const disabled = () => (running.get("woocommerce").marketplace.stats() as { notifications: { disabled: boolean } }).notifications.disabled;
    const disabledAfter: boolean[] = [];
    for (let i = 1; i <= 9; i++) {
      await buy(running, "woocommerce", "sku-2");
      await until(() => {
        const s = stats(running, "woocommerce");
        return (s.lost ?? 0) + (s.droppedWhileDisabled ?? 0) === i;
      });
      disabledAfter.push(disabled());
    }
    expect(disabledAfter).toEqual([false, false, false, false, false, false, true, true, true]);
    expect(received.map((r) => (r.body.startsWith("webhook_id=") ? "ping" : "order"))).toEqual(["ping", ...Array<string>(7).fill("order")]);
    expect(stats(running, "woocommerce")).toMatchObject({ lost: 7, droppedWhileDisabled: 2, pingsSent: 1, pingsFailed: 1 });
  });

  it("woocommerce counts a 301/302 reply as delivered without following it, which resets the failure count", async () => {
    // Orders 1–6 fail, 7 gets a 302, 8–13 fail: never 7 failures in a row.
    const { url, received } = await ingest((n, body) => (body.startsWith("webhook_id=") ? 200 : n === 8 ? 302 : 500));
    const running = await start("woocommerce", url, profile("woocommerce", {}), 1);
    for (let i = 1; i <= 13; i++) {
      await buy(running, "woocommerce", "sku-2");
      await until(() => {
        const s = stats(running, "woocommerce");
        return (s.delivered ?? 0) + (s.lost ?? 0) === i;
      });
    }
    expect(stats(running, "woocommerce")).toMatchObject({ delivered: 1, lost: 12, droppedWhileDisabled: 0 });
    expect(received.some((r) => r.path === "/redirected")).toBe(false);
    expect(running.get("woocommerce").marketplace.stats()).toMatchObject({ notifications: { disabled: false } });
  });

  it("woocommerce waits the profile's delivery timeout (60 s by default, as documented) for the receiver's reply", async () => {
    expect(DEFAULT_PROFILES.woocommerce.notifications.deliveryTimeoutMs).toBe(60_000);
    const { url } = await ingest(() => 200, (body) => (body.startsWith("webhook_id=") ? 0 : 1_000));
    const running = await start("woocommerce", url, profile("woocommerce", { deliveryTimeoutMs: 300 }), 1);
    await buy(running, "woocommerce", "sku-1");
    await until(() => stats(running, "woocommerce").lost === 1);
    expect(stats(running, "woocommerce").delivered).toBe(0);
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

  it("flipkart schedules a held notification's retries from its actual first attempt, not from when it was planned", async () => {
    const { url } = await ingest(() => 503);
    const scale = 0.001; // 600 s of retries → 600 ms
    const running = await start("flipkart", url, profile("flipkart", {}), scale);
    await buy(running, "flipkart", "sku-1");
    await buy(running, "flipkart", "sku-2"); // held behind the first, which fails for its whole retry budget
    await until(() => stats(running, "flipkart").lost === 2);
    const recent = (running.get("flipkart").marketplace.stats() as { notifications: { recent: Array<{ eventId: string; attempt: number; atMs: number }> } }).notifications.recent;
    const second = recent.filter((r) => r.eventId === recent[recent.length - 1]?.eventId);
    const offsets = retryOffsetsMs(DEFAULT_PROFILES.flipkart.notifications).map((at) => at * scale);
    expect(second.map((r) => r.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
    const firstAtMs = second[0]?.atMs ?? 0;
    // Each retry no earlier than its offset from the first attempt (1 ms slack for timer rounding).
    second.slice(1).forEach((r, i) => expect(r.atMs - firstAtMs).toBeGreaterThanOrEqual(Math.floor(offsets[i] ?? 0) - 1));
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
