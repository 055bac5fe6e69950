// Replays of captured, genuinely signed webhooks on the real stack (found by review; adapted from its
// test). Shopify's HMAC carries no time and the store forgets an order id after its idempotency TTL
// (7 days): a delivery replayed then was applied again. The order's own time is signed with the body, so
// a replay that late is necessarily of an order at least that old — which the ingest now answers 200
// "too old" and never publishes; an order inside the limit meets its record, so its replay is a duplicate.
// And Flipkart's signature, which covers no body: a captured delivery's headers sent with another order
// to *another* replica are refused too — the replicas share what each signature came with in Redis.
import { createHmac } from "node:crypto";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, nanos } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MOCK_CREDENTIALS, flipkartAuthorization } from "@synclag/mock-marketplaces";
import { EngineService, freePort, serviceConfigSchema, startPrivateNats, startPrivateRedis, type PrivateServer } from "../src/index.js";
import { SIGNATURE_NEW_CLAIMS_MS } from "../src/ingest-server.js";
import { captureLog } from "./log-capture.js";
import { serversMissing } from "./servers.js";
import { until } from "./store-loss-support.js";

const DAY_MS = 86_400_000;
const SECRET = DEFAULT_MOCK_CREDENTIALS.shopify.webhookSecret;
let nats: PrivateServer;
let redis: PrivateServer;
const services: EngineService[] = [];

beforeAll(async () => {
  if (serversMissing()) return;
  [nats, redis] = await Promise.all([startPrivateNats(), startPrivateRedis({ persistence: "none" })]);
}, 30_000);
afterAll(async () => {
  for (const service of services) await service.stop().catch(() => undefined);
  await Promise.all([nats?.dispose(), redis?.dispose()]);
}, 30_000);

/** A Shopify delivery as captured (body + its X-Shopify-Hmac-Sha256), posted as often as asked. */
function shopifyDelivery(url: string, id: number, createdAtMs: number, quantity = 5) {
  const body = JSON.stringify({ id, created_at: new Date(createdAtMs).toISOString(), line_items: [{ sku: "MUG", quantity }] });
  const headers = { "content-type": "application/json", "x-shopify-hmac-sha256": createHmac("sha256", SECRET).update(body).digest("base64") };
  return () => fetch(`${url}/ingest/shopify`, { method: "POST", headers, body });
}

describe.skipIf(serversMissing())("webhook replays on the real stack", () => {
  it("a signed Shopify order older than the store can deduplicate is answered 200 'too old' and never applied; a younger one's replay is a duplicate", async () => {
    // The channel's pushes go nowhere (no mock listens there): only the store matters here.
    const config = serviceConfigSchema.parse({ natsUrl: nats.url, redisUrl: redis.url, ingest: { host: "127.0.0.1", port: await freePort() }, channels: [{ kind: "shopify", baseUrl: `http://127.0.0.1:${await freePort()}` }], reconcileInterval: 0, shutdownTimeout: 5_000, feed: { streamName: "SHOPIFY_ORDERS", subjectPrefix: "synclag.shopify.orders" }, redis: { keyPrefix: "shopify:" } });
    const log = captureLog("info");
    const service = await EngineService.start({ config, logger: log.logger });
    services.push(service);
    await service.engine.adjustStock({ sku: "MUG", quantity: 50, kind: "set" });
    const quantity = async () => (await service.store.snapshot(["MUG"])).get("MUG")?.quantity;

    // Placed 8 days ago: whatever the store remembers, a delivery now is a replay (or hopelessly late).
    const old = await shopifyDelivery(service.url, 4242, Date.now() - 8 * DAY_MS)();
    expect(old.status).toBe(200);
    expect(await old.json()).toMatchObject({ accepted: "ignored", reason: "too_old", orderId: "shopify:4242" });
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toContain('synclag_ingest_notifications_total{channel="shopify",outcome="too_old"} 1');
    expect(log.lines.find((l) => String(l.msg).includes("older than the store can deduplicate"))).toMatchObject({ orderId: "shopify:4242", maxAgeMs: 6 * DAY_MS });

    // Placed 5 days ago: applied, and its replay after JetStream's duplicate window meets the store's record.
    const deliver = shopifyDelivery(service.url, 4243, Date.now() - 5 * DAY_MS);
    expect((await deliver()).status).toBe(200);
    await until("applied once", async () => (await quantity()) === 45);
    const nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info("SHOPIFY_ORDERS");
    await jsm.streams.update("SHOPIFY_ORDERS", { ...info.config, duplicate_window: nanos(1_000) });
    await nc.close();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect((await deliver()).status).toBe(200);
    await until("the replay reached the store", async () => (await (await fetch(`${service.url}/metrics`)).text()).includes('synclag_orders_duplicate_total{source="shopify"} 1'));
    expect(await quantity()).toBe(45);
  }, 60_000);

  it("one captured Flipkart delivery's headers do not carry another order through another replica", async () => {
    const secret = "flipkart-app-secret-of-this-test";
    const publicUrl = "https://hooks.example.com";
    // Two replicas behind one gateway (one public URL, as Flipkart signs it), on one NATS and one Redis.
    const replicaConfig = async () =>
      serviceConfigSchema.parse({
        natsUrl: nats.url,
        redisUrl: redis.url,
        ingest: { host: "127.0.0.1", port: await freePort(), publicUrl },
        channels: [{ kind: "flipkart", baseUrl: `http://127.0.0.1:${await freePort()}`, credentials: { appId: "app", appSecret: secret, locationId: "LOC1" } }],
        reconcileInterval: 0,
        shutdownTimeout: 5_000,
        replicas: 2,
        feed: { streamName: "FLIPKART_ORDERS", subjectPrefix: "synclag.flipkart.orders", deadLetterStreamName: "FLIPKART_DLQ", deadLetterSubjectPrefix: "synclag.flipkart.dlq" },
        redis: { keyPrefix: "flipkart:" },
      });
    const logA = captureLog("info");
    const logB = captureLog("info");
    const a = await EngineService.start({ config: await replicaConfig(), logger: logA.logger });
    services.push(a);
    const b = await EngineService.start({ config: await replicaConfig(), logger: logB.logger });
    services.push(b);
    await a.engine.adjustStock({ sku: "MUG", quantity: 50, kind: "set" });
    const quantity = async () => (await a.store.snapshot(["MUG"])).get("MUG")?.quantity;

    const date = new Date().toUTCString();
    const headers = { "content-type": "application/json", x_date: date, x_authorization: flipkartAuthorization("app", secret, date, `${publicUrl}/ingest/flipkart`, "POST") };
    const order = (orderId: string, units: number) => JSON.stringify({ eventType: "shipment_created", eventId: `e-${orderId}`, timestamp: new Date().toISOString(), attributes: { orderId, shipmentId: `S-${orderId}`, orderItems: [{ sku: "MUG", quantity: units }] } });
    const post = (service: EngineService, body: string) => fetch(`${service.url}/ingest/flipkart`, { method: "POST", headers, body });

    expect((await post(a, order("OD1", 1))).status).toBe(200);
    await until("the genuine order applied", async () => (await quantity()) === 49);
    // Once the deliveries of that second have arrived, its headers go to the other replica with a forged order.
    await new Promise((resolve) => setTimeout(resolve, SIGNATURE_NEW_CLAIMS_MS + 500));
    const forged = await post(b, order("OD-FORGED-1", 40));
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ error: "signature_reused" });
    expect((await post(a, order("OD-FORGED-2", 40))).status).toBe(401);
    // A redelivery of the genuine one with its own headers is taken on either (and is a duplicate).
    expect((await post(b, order("OD1", 1))).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await quantity()).toBe(49);
    expect(await (await fetch(`${b.url}/metrics`)).text()).toContain('synclag_ingest_notifications_total{channel="flipkart",outcome="signature_reused"} 1');
    expect(logB.lines.find((l) => String(l.msg).includes("signature headers already came with other notifications"))).toMatchObject({ channel: "flipkart", claimedOrderId: "flipkart:OD-FORGED-1" });
  }, 60_000);
});
