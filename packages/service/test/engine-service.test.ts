// The engine service against real servers: signed marketplace notifications in, one application per
// order however often it is delivered, a bad signature refused, pushes to the other channel, the
// operator endpoints, and a graceful stop (not held up by a client that stalled mid-upload).
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MOCK_CREDENTIALS, MockMarketplace, buildOrderNotification, serveMarketplaces, type RunningServer } from "@synclag/mock-marketplaces";
import { generateKeyPairSync } from "node:crypto";
import { jetstream } from "@nats-io/jetstream";
import { readDeadLetters } from "@synclag/nats-feed";
import { EngineService, freePort, serviceConfigSchema, startPrivateNats, startPrivateRedis, type PrivateServer } from "../src/index.js";
import { captureLog } from "./log-capture.js";
import { serversMissing } from "./servers.js";

describe.skipIf(serversMissing())("engine service (real NATS, Redis, HTTP mocks)", () => {
  let nats: PrivateServer;
  let redis: PrivateServer;
  let server: RunningServer;
  let service: EngineService;
  let ingestUrl: string;
  const shopify = new MockMarketplace({ kind: "shopify", seed: 1 });
  const woo = new MockMarketplace({ kind: "woocommerce", seed: 1 });
  const log = captureLog("info");

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startPrivateNats(), startPrivateRedis()]);
    for (const m of [shopify, woo]) m.seed([{ sku: "SKU-1", quantity: 10, version: 1 }]);
    server = await serveMarketplaces([{ prefix: "/shopify", marketplace: shopify }, { prefix: "/woocommerce", marketplace: woo }], { host: "127.0.0.1", port: 0 });
    const port = await freePort();
    const config = serviceConfigSchema.parse({
      natsUrl: nats.url,
      redisUrl: redis.url,
      ingest: { host: "127.0.0.1", port },
      channels: [
        { kind: "shopify", baseUrl: `${server.url}/shopify` },
        { kind: "woocommerce", baseUrl: `${server.url}/woocommerce` },
      ],
      reconcileInterval: 0,
      shutdownTimeout: 8_000,
    });
    service = await EngineService.start({ config, logger: log.logger });
    ingestUrl = `${service.url}/ingest`;
    await service.engine.adjustStock({ sku: "SKU-1", quantity: 10, kind: "set", reason: "initial stock" });
  }, 30_000);

  afterAll(async () => {
    await service?.stop().catch(() => undefined);
    shopify.stop();
    woo.stop();
    await server?.close();
    await Promise.all([nats?.dispose(), redis?.dispose()]);
  });

  function notification(orderSeq: number, sentAtMs: number, attempt: number, quantity = 2) {
    const order = { seq: orderSeq, nativeId: String(5_000_000_000 + orderSeq), sku: "SKU-1", quantity, createdAtMs: Date.now(), cancelled: false };
    return buildOrderNotification({ kind: "shopify", url: `${ingestUrl}/shopify`, order, catalogNumber: 1, credentials: DEFAULT_MOCK_CREDENTIALS, sentAtMs, attempt, deliverySeq: attempt, ebayKey: generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey });
  }

  async function post(message: { url: string; headers: Readonly<Record<string, string>>; body: string }) {
    const response = await fetch(message.url, { method: "POST", headers: message.headers, body: message.body });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error("condition not met in time");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it("applies a webhook delivered three times exactly once and pushes the new quantity to the other channel", async () => {
    const first = await post(notification(1, Date.now(), 1));
    const second = await post(notification(1, Date.now(), 2));
    const third = await post(notification(1, Date.now(), 3));
    expect(first).toMatchObject({ status: 200, body: { orderId: "shopify:5000000001", duplicate: false } });
    expect(second.body.duplicate).toBe(true);
    expect(third.body.duplicate).toBe(true);
    await until(async () => (await service.store.snapshot(["SKU-1"])).get("SKU-1")?.quantity === 8);
    await until(async () => woo.model.listing("SKU-1")?.acceptedQuantity === 8);
    const applied = (await service.store.readAudit()).filter((r) => r.orderId === "shopify:5000000001");
    expect(applied.map((r) => r.kind)).toEqual(["order"]);
  });

  it("refuses a notification whose signature does not match its body, and publishes nothing", async () => {
    const message = notification(2, Date.now(), 1);
    const tampered = { ...message, body: message.body.replace('"quantity":2', '"quantity":1') };
    const response = await post(tampered);
    expect(response.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await service.store.readAudit()).some((r) => r.orderId === "shopify:5000000002")).toBe(false);
  });

  it("serves Prometheus metrics, liveness and readiness (NATS and Redis reachable)", async () => {
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toContain("synclag_orders_applied_total");
    expect(metrics).toContain('synclag_ingest_notifications_total{channel="shopify",outcome="duplicate"} 2');
    expect(metrics).toContain("synclag_propagation_lag_ms_bucket");
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: Record<string, { ok: boolean }> }).checks).toMatchObject({ nats: { ok: true }, redis: { ok: true } });
  });

  it("takes a restock over the admin API and pushes the new quantity to every channel", async () => {
    const before = (await service.store.snapshot(["SKU-1"])).get("SKU-1")?.quantity ?? 0;
    const response = await fetch(`${service.url}/admin/stock`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ kind: "restock", items: [{ sku: "SKU-1", quantity: 3 }] }) });
    expect(response.status).toBe(200);
    await until(async () => [shopify, woo].every((m) => m.model.listing("SKU-1")?.acceptedQuantity === before + 3));
    const bad = await fetch(`${service.url}/admin/stock`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ items: [{ sku: "SKU-1", quantity: -4 }] }) });
    expect(bad.status).toBe(400);
    // One bad item refuses the whole request before anything is applied: a retry cannot add the 5 twice.
    const mixed = await fetch(`${service.url}/admin/stock`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ kind: "restock", items: [{ sku: "SKU-1", quantity: 5 }, { sku: "SKU-1", quantity: -1 }] }) });
    expect(mixed.status).toBe(400);
    expect((await service.store.snapshot(["SKU-1"])).get("SKU-1")?.quantity).toBe(before + 3);
  });

  it("logs a dead-lettered order with its order id and channel", async () => {
    // An event with no lines: the feed cannot decode it as an order and dead-letters it itself.
    await jetstream(service.connection).publish("synclag.orders.shopify", JSON.stringify({ orderId: "shopify:777", sourceChannel: "shopify", lines: [], confirmedAtMs: Date.now() }), { msgID: "shopify:777" });
    const deadLettered = () => log.lines.find((l) => l.orderId === "shopify:777" && String(l.msg).includes("dead-lettered"));
    await until(async () => deadLettered() !== undefined);
    expect(deadLettered()).toMatchObject({ orderId: "shopify:777", channel: "shopify" });
  });

  it("refuses an order id reused with other lines inside JetStream's duplicate window as a conflict (dead-lettered), as after the window", async () => {
    const before = (await service.store.snapshot(["SKU-1"])).get("SKU-1")?.quantity;
    // Order 1 (2 units) was applied above, well inside the 2-minute duplicate window; same id, 3 units:
    const conflicting = await post(notification(1, Date.now(), 4, 3));
    expect(conflicting).toMatchObject({ status: 200, body: { orderId: "shopify:5000000001", duplicate: false } });
    await until(async () => (await readDeadLetters(service.connection)).some((d) => d.orderId === "shopify:5000000001"));
    const [letter] = (await readDeadLetters(service.connection)).filter((d) => d.orderId === "shopify:5000000001");
    expect(letter?.reason).toMatch(/conflict/);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toContain('synclag_orders_conflict_total{source="shopify"} 1');
    expect(metrics).toContain('synclag_ingest_notifications_total{channel="shopify",outcome="rechecked"} 1');
    expect((await service.store.snapshot(["SKU-1"])).get("SKU-1")?.quantity).toBe(before);
    // The conflicting webhook redelivered is a plain duplicate (of its own message id); the original still is too.
    expect((await post(notification(1, Date.now(), 5, 3))).body.duplicate).toBe(true);
    expect((await post(notification(1, Date.now(), 6, 2))).body.duplicate).toBe(true);
  });

  it("stops gracefully: ingest closes, the engine settles, connections close — a client that stalled mid-upload does not hold it up", async () => {
    // Headers and part of a body, then nothing: without a bound the ingest drain would wait for it forever.
    const socket = connect(Number(new URL(service.url).port), "127.0.0.1");
    socket.on("error", () => undefined);
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write('POST /ingest/shopify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"id":1,');
    await new Promise((resolve) => setTimeout(resolve, 200));
    try {
      // Rejects with ServiceError("shutdown") if the 8 s deadline passes.
      await service.stop();
    } finally {
      socket.destroy();
    }
    await expect(fetch(`${service.url}/healthz`)).rejects.toThrow();
    expect(service.connection.isClosed()).toBe(true);
    expect(log.lines.some((l) => l.msg === "stopped")).toBe(true);
  }, 30_000);
});
