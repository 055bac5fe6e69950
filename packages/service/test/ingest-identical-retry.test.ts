// rr-feed review: an identical webhook retried after its order was consumed must stay a plain duplicate.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MOCK_CREDENTIALS, MockMarketplace, buildOrderNotification, serveMarketplaces, type RunningServer } from "@synclag/mock-marketplaces";
import { generateKeyPairSync } from "node:crypto";
import { jetstreamManager } from "@nats-io/jetstream";
import { EngineService, freePort, serviceConfigSchema, startPrivateNats, startPrivateRedis, type PrivateServer } from "../src/index.js";
import { captureLog } from "./log-capture.js";
import { serversMissing } from "./servers.js";

describe.skipIf(serversMissing())("identical webhook retry after consumption", () => {
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
      natsUrl: nats.url, redisUrl: redis.url, ingest: { host: "127.0.0.1", port },
      channels: [{ kind: "shopify", baseUrl: `${server.url}/shopify` }, { kind: "woocommerce", baseUrl: `${server.url}/woocommerce` }],
      reconcileInterval: 0, shutdownTimeout: 8_000,
    });
    service = await EngineService.start({ config, logger: log.logger });
    ingestUrl = `${service.url}/ingest`;
    await service.engine.adjustStock({ sku: "SKU-1", quantity: 10, kind: "set", reason: "initial stock" });
  }, 30_000);

  afterAll(async () => {
    await service?.stop().catch(() => undefined);
    shopify.stop(); woo.stop();
    await server?.close();
    await Promise.all([nats?.dispose(), redis?.dispose()]);
  });

  // Placed now (the ingest ignores an order older than the store can deduplicate), the same for every delivery.
  const orderTimeMs = Date.now();
  const notification = (attempt: number) =>
    buildOrderNotification({ kind: "shopify", url: `${ingestUrl}/shopify`, order: { seq: 1, nativeId: "5000000001", sku: "SKU-1", quantity: 2, createdAtMs: orderTimeMs, cancelled: false }, catalogNumber: 1, credentials: DEFAULT_MOCK_CREDENTIALS, sentAtMs: Date.now(), attempt, deliverySeq: attempt, ebayKey: generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey });
  const post = async (m: { url: string; headers: Readonly<Record<string, string>>; body: string }) => (await (await fetch(m.url, { method: "POST", headers: m.headers, body: m.body })).json()) as { duplicate: boolean };

  it("a marketplace retry of the same webhook after the engine applied it is a duplicate, not a new stream message", async () => {
    expect((await post(notification(1))).duplicate).toBe(false);
    const deadline = Date.now() + 10_000;
    while ((await service.store.snapshot(["SKU-1"])).get("SKU-1")?.quantity !== 8 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    const jsm = await jetstreamManager(service.connection);
    const before = (await jsm.streams.info("ORDERS")).state.last_seq;
    const retries = [await post(notification(2)), await post(notification(3))];
    await new Promise((r) => setTimeout(r, 1_000));
    const after = (await jsm.streams.info("ORDERS")).state.last_seq;
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect({
      retries: retries.map((r) => r.duplicate),
      newStreamMessages: after - before,
      storeDuplicates: metrics.split("\n").filter((l) => l.startsWith("synclag_orders_duplicate_total")),
      ingest: metrics.split("\n").filter((l) => l.startsWith("synclag_ingest_notifications_total")),
    }).toEqual({ retries: [true, true], newStreamMessages: 0, storeDuplicates: [], ingest: ['synclag_ingest_notifications_total{channel="shopify",outcome="published"} 1', 'synclag_ingest_notifications_total{channel="shopify",outcome="duplicate"} 2'] });
  });
});
