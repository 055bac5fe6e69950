// Bundles in the engine service (`bundles` setting): a bundle SKU holds no stock of its own. A buyer's
// order for a bundle on one channel arrives by webhook, takes its components in Redis in the order's
// one Lua call (expanded before the store sees it), and every channel that lists the bundle, its
// components and the components' other bundles is pushed the new quantities.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MockMarketplace, serveMarketplaces, type RunningServer } from "@synclag/mock-marketplaces";
import { EngineService, freePort, serviceConfigSchema, startPrivateNats, startPrivateRedis, type PrivateServer } from "../src/index.js";
import { captureLog } from "./log-capture.js";
import { serversMissing } from "./servers.js";
import { until } from "./store-loss-support.js";

/** GIFT-SET = 2 × MUG + 1 × TEA; DUO = 1 × MUG and CAFÉ-KIT = 1 × TEA (other bundles of the same components). */
const CAFE_KIT = "CAF\u00c9-KIT"; // "CAFÉ-KIT", composed (NFC)
const BUNDLES = [
  { sku: "GIFT-SET", components: [{ sku: "MUG", quantity: 2 }, { sku: "TEA", quantity: 1 }] },
  { sku: "DUO", components: [{ sku: "MUG", quantity: 1 }] },
  { sku: CAFE_KIT, components: [{ sku: "TEA", quantity: 1 }] },
];
const SKUS = ["MUG", "TEA", "GIFT-SET", "DUO", CAFE_KIT];

describe.skipIf(serversMissing())("bundles in the engine service", () => {
  let nats: PrivateServer;
  let redis: PrivateServer;
  let server: RunningServer;
  let service: EngineService;
  let shopify: MockMarketplace;
  let woo: MockMarketplace;
  const log = captureLog("info");

  const listed = (marketplace: MockMarketplace) => Object.fromEntries(SKUS.map((sku) => [sku, marketplace.model.listing(sku)?.acceptedQuantity]));

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startPrivateNats(), startPrivateRedis()]);
    const port = await freePort();
    // A Shopify storefront that sends its orders to the engine's ingest, as a real shop's webhook does.
    shopify = new MockMarketplace({ kind: "shopify", seed: 1, ingestUrl: `http://127.0.0.1:${port}/ingest/shopify`, notificationDelayScale: 0.001 });
    woo = new MockMarketplace({ kind: "woocommerce", seed: 1 });
    // The channels list the bundles as products of their own (a push for a SKU a channel does not list is refused).
    for (const m of [shopify, woo]) m.seed(SKUS.map((sku) => ({ sku, quantity: 0, version: 0 })));
    server = await serveMarketplaces([{ prefix: "/shopify", marketplace: shopify }, { prefix: "/woocommerce", marketplace: woo }], { host: "127.0.0.1", port: 0 });
    const config = serviceConfigSchema.parse({
      natsUrl: nats.url, redisUrl: redis.url, ingest: { host: "127.0.0.1", port },
      channels: [{ kind: "shopify", baseUrl: `${server.url}/shopify` }, { kind: "woocommerce", baseUrl: `${server.url}/woocommerce` }],
      bundles: BUNDLES,
      reconcileInterval: 0, shutdownTimeout: 8_000,
    });
    service = await EngineService.start({ config, logger: log.logger });
    await service.engine.adjustStock({ sku: "MUG", quantity: 10, kind: "set" });
    await service.engine.adjustStock({ sku: "TEA", quantity: 4, kind: "set" });
  }, 30_000);

  afterAll(async () => {
    await service?.stop().catch(() => undefined);
    shopify?.stop();
    woo?.stop();
    await server?.close();
    await Promise.all([nats?.dispose(), redis?.dispose()]);
  }, 30_000);

  it("a Shopify order for a bundle takes its components in Redis at once and every channel lists the bundles and components at their new quantities", async () => {
    // Bundles are pushed from their components: GIFT-SET = min(10 / 2, 4 / 1) = 4, DUO = 10, CAFÉ-KIT = 4.
    const before = { MUG: 10, TEA: 4, "GIFT-SET": 4, DUO: 10, [CAFE_KIT]: 4 };
    await until("both channels list the stock", () => JSON.stringify(listed(shopify)) === JSON.stringify(before) && JSON.stringify(listed(woo)) === JSON.stringify(before), 15_000);

    const checkout = await fetch(`${server.url}/shopify/_synclag/storefront/checkout`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ sku: "GIFT-SET", quantity: 1 }) });
    expect(checkout.status).toBe(201);

    // The components in Redis (the bundle itself is no stock key): 10 − 2 and 4 − 1.
    await until("the order applied in Redis", async () => (await service.store.snapshot(["MUG"])).get("MUG")?.quantity === 8, 15_000);
    const redisLevels = await service.store.snapshot(SKUS);
    expect(Object.fromEntries([...redisLevels].map(([sku, level]) => [sku, level.quantity]))).toEqual({ MUG: 8, TEA: 3 });
    // One atomic step: one audit record of the order with both components.
    const records = (await service.store.readAudit()).filter((r) => r.kind === "order");
    expect(records).toHaveLength(1);
    expect(records[0]?.orderId).toMatch(/^shopify:/);
    expect(records[0]?.changes.map((c) => [c.sku, c.quantity]).sort()).toEqual([["MUG", 8], ["TEA", 3]]);

    // Every channel: the components, the bundle sold, and the components' other bundles.
    const after = { MUG: 8, TEA: 3, "GIFT-SET": 3, DUO: 8, [CAFE_KIT]: 3 };
    await until("both channels list the new quantities", () => JSON.stringify(listed(shopify)) === JSON.stringify(after) && JSON.stringify(listed(woo)) === JSON.stringify(after), 15_000);
    expect({ shopify: listed(shopify), woocommerce: listed(woo) }).toEqual({ shopify: after, woocommerce: after });
    expect(log.lines.filter((l) => Number(l.level) >= 50)).toEqual([]);
  }, 40_000);

  it("refuses a stock count of a bundle over the admin API: it holds no stock of its own", async () => {
    const response = await fetch(`${service.url}/admin/stock`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ kind: "set", items: [{ sku: "GIFT-SET", quantity: 50 }] }) });
    const body = (await response.json()) as { results?: Array<{ applied: boolean; detail?: unknown }> };
    expect(body.results?.[0]?.applied).toBe(false);
    expect(JSON.stringify(body)).toContain("is a bundle");
    expect((await service.store.snapshot(["GIFT-SET"])).has("GIFT-SET")).toBe(false);
  }, 20_000);

  it("a stock count naming a bundle among other items applies none of them (every item is checked first), in any Unicode spelling", async () => {
    const mugBefore = (await service.store.snapshot(["MUG"])).get("MUG");
    // CAFÉ-KIT also with its accent decomposed (E + U+0301): the same SKU once normalised, as the store reads it.
    for (const bundle of ["GIFT-SET", "DUO", CAFE_KIT, "CAFE\u0301-KIT"]) {
      const response = await fetch(`${service.url}/admin/stock`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ kind: "set", items: [{ sku: "MUG", quantity: 50 }, { sku: bundle, quantity: 5 }] }) });
      const body = (await response.json()) as { error?: string; applied?: number; results?: Array<{ applied: boolean; detail?: unknown }> };
      expect({ status: response.status, error: body.error, applied: body.applied }).toEqual({ status: 400, error: "invalid_items", applied: 0 });
      expect(JSON.stringify(body.results?.[1]?.detail)).toContain("is a bundle");
    }
    expect((await service.store.snapshot(["MUG"])).get("MUG")).toEqual(mugBefore);
  }, 20_000);
});
