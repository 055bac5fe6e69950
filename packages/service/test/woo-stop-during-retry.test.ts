// A stop while a WooCommerce order is being retried during a NATS outage. The docs (Shutdown): "a
// WooCommerce publish still being retried stops retrying and is answered 503"; the order is lost
// (WooCommerce never redelivers), so the error line naming it must be written before the stop returns.
// Found by review: the attempt running when the stop began held the answer past the ingest's drain, and
// WooCommerce saw the connection closed instead of the 503.
import { createHmac } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { EngineService, freePort, serviceConfigSchema, startPrivateNats, startPrivateRedis, type PrivateServer } from "../src/index.js";
import { captureLog } from "./log-capture.js";
import { serversMissing } from "./servers.js";

describe.skipIf(serversMissing())("stop during a WooCommerce publish retry (NATS down)", () => {
  let nats: PrivateServer | undefined;
  let redis: PrivateServer | undefined;
  afterAll(async () => {
    await Promise.all([nats?.dispose(), redis?.dispose()]);
  });

  it("answers 503 and logs the lost order before stop() resolves", async () => {
    [nats, redis] = await Promise.all([startPrivateNats(), startPrivateRedis()]);
    const config = serviceConfigSchema.parse({ natsUrl: nats.url, redisUrl: redis.url, ingest: { port: await freePort() }, channels: [{ kind: "woocommerce", baseUrl: "http://127.0.0.1:9" }], reconcileInterval: 0, shutdownTimeout: 15_000 });
    const log = captureLog("info");
    const service = await EngineService.start({ config, logger: log.logger });
    await nats.kill();
    const body = JSON.stringify({ id: 7101, status: "processing", date_created_gmt: new Date().toISOString().slice(0, 19), line_items: [{ sku: "SKU-1", quantity: 1 }] });
    const sig = createHmac("sha256", "synclag-woocommerce-webhook-secret").update(body).digest("base64");
    const answer = fetch(`${service.url}/ingest/woocommerce`, { method: "POST", headers: { "x-wc-webhook-signature": sig, "x-wc-webhook-topic": "order.created", "content-type": "application/json" }, body }).then(
      (r) => r.status,
      (e: Error) => `error: ${(e.cause as Error | undefined)?.message ?? e.message}`,
    );
    await new Promise((r) => setTimeout(r, 2_000));
    const outcome = await service.stop().then(
      () => "stopped",
      (e: Error) => `rejected: ${e.message}`,
    );
    const lost = log.lines.filter((l) => l.orderId === "woocommerce:7101" && l.level === 50).map((l) => String(l.msg));
    expect({ outcome, status: await answer, lost }).toEqual({ outcome: "stopped", status: 503, lost: ["publishing the order failed"] });
  }, 90_000);
});
