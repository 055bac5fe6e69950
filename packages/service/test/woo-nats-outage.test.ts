// WooCommerce does not redeliver a webhook (shared/marketplaces.md: no retries, 60 s timeout): with NATS
// away for 30 s (a restart, a failover) the ingest must keep the delivery open and retry the publish
// until NATS is back, answer 200, and the order must reach the stock — not a 503 after ~22 s and a lost sale.
import { createHmac } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { EngineService, freePort, serviceConfigSchema, startPrivateNats, startPrivateRedis, type PrivateServer } from "../src/index.js";
import { captureLog } from "./log-capture.js";
import { serversMissing } from "./servers.js";

describe.skipIf(serversMissing())("WooCommerce webhook during a NATS outage", () => {
  let nats: PrivateServer | undefined;
  let redis: PrivateServer | undefined;
  let service: EngineService | undefined;
  afterAll(async () => {
    await service?.stop().catch(() => undefined);
    await Promise.all([nats?.dispose(), redis?.dispose()]);
  });

  it("keeps a WooCommerce order (no redelivery) when NATS is away for 30 s: 200 once stored, the stock goes 10 → 7", async () => {
    [nats, redis] = await Promise.all([startPrivateNats(), startPrivateRedis()]);
    const config = serviceConfigSchema.parse({ natsUrl: nats.url, redisUrl: redis.url, ingest: { port: await freePort() }, channels: [{ kind: "woocommerce", baseUrl: "http://127.0.0.1:9" }], reconcileInterval: 0, shutdownTimeout: 5_000 });
    service = await EngineService.start({ config, logger: captureLog("silent").logger });
    await service.engine.adjustStock({ sku: "SKU-1", quantity: 10, kind: "set", reason: "initial" });
    const server = nats;
    await server.kill();
    const restarted = new Promise<void>((resolve) => setTimeout(() => void server.restart().then(resolve), 30_000));
    const body = JSON.stringify({ id: 7001, status: "processing", date_created_gmt: new Date().toISOString().slice(0, 19), line_items: [{ sku: "SKU-1", quantity: 3 }] });
    const sig = createHmac("sha256", "synclag-woocommerce-webhook-secret").update(body).digest("base64");
    const startedAt = Date.now();
    const response = await fetch(`${service.url}/ingest/woocommerce`, { method: "POST", headers: { "x-wc-webhook-signature": sig, "x-wc-webhook-topic": "order.created", "content-type": "application/json" }, body, signal: AbortSignal.timeout(60_000) });
    const answeredAfterMs = Date.now() - startedAt;
    await restarted;
    let quantity: number | undefined;
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 200))) {
      quantity = (await service.store.snapshot(["SKU-1"])).get("SKU-1")?.quantity;
      if (quantity === 7) break;
    }
    expect({ status: response.status, answeredWithinWooTimeout: answeredAfterMs < 60_000, quantity }).toEqual({ status: 200, answeredWithinWooTimeout: true, quantity: 7 });
  }, 120_000);
});
