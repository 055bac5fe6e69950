// A reused order id with other lines is a conflict (docs/engine-service.md, "Reused order ids": `order
// refused` warning, orders_conflict_total, dead letter) — also when one of the two orders is for a bundle
// and the other names the bundle's components: the store identifies an order as placed, not as expanded.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MOCK_CREDENTIALS, MockMarketplace, buildOrderNotification, serveMarketplaces, type RunningServer } from "@synclag/mock-marketplaces";
import { readDeadLetters } from "@synclag/nats-feed";
import { generateKeyPairSync } from "node:crypto";
import { EngineService, freePort, serviceConfigSchema, startPrivateNats, startPrivateRedis, type PrivateServer } from "../src/index.js";
import { captureLog } from "./log-capture.js";
import { serversMissing } from "./servers.js";
import { until } from "./store-loss-support.js";

describe.skipIf(serversMissing())("bundles: a reused order id, the bundle vs its components", () => {
  let nats: PrivateServer;
  let redis: PrivateServer;
  let server: RunningServer;
  let service: EngineService;
  const shopify = new MockMarketplace({ kind: "shopify", seed: 1 });
  const log = captureLog("info");

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startPrivateNats(), startPrivateRedis()]);
    shopify.seed(["MUG", "MUG-2PACK"].map((sku) => ({ sku, quantity: 0, version: 0 })));
    server = await serveMarketplaces([{ prefix: "/shopify", marketplace: shopify }], { host: "127.0.0.1", port: 0 });
    const config = serviceConfigSchema.parse({
      natsUrl: nats.url, redisUrl: redis.url, ingest: { host: "127.0.0.1", port: await freePort() },
      channels: [{ kind: "shopify", baseUrl: `${server.url}/shopify` }],
      bundles: [{ sku: "MUG-2PACK", components: [{ sku: "MUG", quantity: 2 }] }],
      reconcileInterval: 0, shutdownTimeout: 8_000,
    });
    service = await EngineService.start({ config, logger: log.logger });
    await service.engine.adjustStock({ sku: "MUG", quantity: 10, kind: "set" });
  }, 30_000);

  afterAll(async () => {
    await service?.stop().catch(() => undefined);
    shopify.stop();
    await server?.close();
    await Promise.all([nats?.dispose(), redis?.dispose()]);
  }, 30_000);

  // Placed now (the ingest ignores an order older than the store can deduplicate), the same for every delivery.
  const orderTimeMs = Date.now();
  const notification = (sku: string, quantity: number, attempt: number) =>
    buildOrderNotification({
      kind: "shopify", url: `${service.url}/ingest/shopify`,
      order: { seq: 1, nativeId: "5000000001", sku, quantity, createdAtMs: orderTimeMs, cancelled: false },
      catalogNumber: 1, credentials: DEFAULT_MOCK_CREDENTIALS, sentAtMs: Date.now(), attempt, deliverySeq: attempt,
      ebayKey: generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey,
    });
  const post = (m: { url: string; headers: Readonly<Record<string, string>>; body: string }) => fetch(m.url, { method: "POST", headers: m.headers, body: m.body });
  const mugs = async () => (await service.store.snapshot(["MUG"])).get("MUG")?.quantity;

  it("order 5000000001 = 1 × MUG-2PACK, then the same id = 2 × MUG (another product): refused as a conflict, dead-lettered", async () => {
    expect((await post(notification("MUG-2PACK", 1, 1))).status).toBe(200);
    await until("the pack's order is applied", async () => (await mugs()) === 8);
    expect((await post(notification("MUG", 2, 2))).status).toBe(200);
    await until("the reused id is dead-lettered", async () => (await readDeadLetters(service.connection)).some((d) => d.orderId === "shopify:5000000001"));
    const [letter] = (await readDeadLetters(service.connection)).filter((d) => d.orderId === "shopify:5000000001");
    expect(letter?.reason).toMatch(/^conflict: /);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toContain('synclag_orders_conflict_total{source="shopify"} 1');
    expect(log.lines.some((l) => l.msg === "order refused" && l.orderId === "shopify:5000000001")).toBe(true);
    expect(await mugs()).toBe(8);
  }, 40_000);
});
