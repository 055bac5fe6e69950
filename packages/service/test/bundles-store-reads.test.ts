// Bundles: every place the service reads stock to push or to check a push reads the engine's store
// (`engine.store`, which computes a bundle's level from its components), not the raw Redis store, which
// holds no bundle. Found by review: after a store restore the catalogue push (pushRestoredStock) read
// Redis and left every bundle at its pre-loss quantity; the push verifier (verifyPushes) never found a
// bundle in Redis, so a bundle's older push landing after another instance's newer one stayed.
import { afterEach, describe, expect, it } from "vitest";
import { InMemoryMetrics } from "@synclag/metrics";
import { MockMarketplace, serveMarketplaces, type RunningServer } from "@synclag/mock-marketplaces";
import { EngineService, freePort, serviceConfigSchema, startPrivateNats, startPrivateRedis, type PrivateServer } from "../src/index.js";
import { captureLog } from "./log-capture.js";
import { serversMissing } from "./servers.js";
import { postJson, seesLoss, until } from "./store-loss-support.js";

describe.skipIf(serversMissing())("bundles: the service pushes and verifies from the engine's store", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  }, 60_000);

  async function servers(persistence: "none" | "aof"): Promise<{ nats: PrivateServer; redis: PrivateServer }> {
    const [nats, redis] = await Promise.all([startPrivateNats(), startPrivateRedis({ persistence })]);
    cleanups.push(() => Promise.all([nats.dispose(), redis.dispose()]).then(() => undefined));
    return { nats, redis };
  }

  async function mockWoo(skus: readonly string[]): Promise<{ woo: MockMarketplace; server: RunningServer }> {
    const woo = new MockMarketplace({ kind: "woocommerce", seed: 1 });
    woo.seed(skus.map((sku) => ({ sku, quantity: 0, version: 0 })));
    const server = await serveMarketplaces([{ prefix: "/woocommerce", marketplace: woo }], { host: "127.0.0.1", port: 0 });
    cleanups.push(async () => {
      woo.stop();
      await server.close();
    });
    return { woo, server };
  }

  it("after a store restore every channel lists each bundle at its restored components' level", async () => {
    const bundles = [
      { sku: "GIFT-SET", components: [{ sku: "MUG", quantity: 2 }, { sku: "TEA", quantity: 1 }] },
      { sku: "DUO", components: [{ sku: "MUG", quantity: 1 }] },
    ];
    const { nats, redis } = await servers("none");
    const { woo, server } = await mockWoo(["MUG", "TEA", "GIFT-SET", "DUO"]);
    const config = serviceConfigSchema.parse({
      natsUrl: nats.url, redisUrl: redis.url, ingest: { host: "127.0.0.1", port: await freePort() },
      channels: [{ kind: "woocommerce", baseUrl: `${server.url}/woocommerce`, batchLinger: "0s" }],
      bundles, reconcileInterval: 0, shutdownTimeout: 10_000,
    });
    const service = await EngineService.start({ config, logger: captureLog("warn").logger });
    cleanups.push(() => service.stop());
    const quantity = (sku: string) => woo.model.listing(sku)?.acceptedQuantity;
    await service.engine.adjustStock({ sku: "MUG", quantity: 10, kind: "set" });
    await service.engine.adjustStock({ sku: "TEA", quantity: 4, kind: "set" });
    await until("the bundles listed", () => quantity("GIFT-SET") === 4 && quantity("DUO") === 10, 15_000);

    // Redis comes back empty; the operator counts the stock again (other quantities) and confirms.
    await redis.kill();
    await redis.restart();
    await until("the loss is seen", () => seesLoss(service.url), 15_000);
    // A set is safe to re-send: 503 while the store's own connection to the restarted Redis comes back.
    await until("the stock count taken", async () => (await postJson(`${service.url}/admin/stock`, { kind: "set", items: [{ sku: "MUG", quantity: 4 }, { sku: "TEA", quantity: 10 }] })).status === 200, 15_000);
    const restored = await postJson(`${service.url}/admin/stock/restored`, {});
    expect({ status: restored.status, body: await restored.text() }).toMatchObject({ status: 200 });

    // GIFT-SET = min(4 / 2, 10 / 1) = 2, DUO = 4: pushed with the components.
    await until("the restored levels listed", () => quantity("MUG") === 4 && quantity("TEA") === 10, 15_000);
    await until("the bundles' restored levels listed", () => quantity("GIFT-SET") === 2 && quantity("DUO") === 4, 10_000);
    expect({ gift: quantity("GIFT-SET"), duo: quantity("DUO") }).toEqual({ gift: 2, duo: 4 });
  }, 60_000);

  it("verifyPushes: a bundle's older level landing after another instance's newer one is pushed again", async () => {
    // KIT = 1 × PART. A's push (PART and KIT at 3, version 2) waits behind A's rate limit while B sells
    // the last units out (version 3) and pushes at once; A's older levels land after B's.
    const bundles = [{ sku: "KIT", components: [{ sku: "PART", quantity: 1 }] }];
    const { nats, redis } = await servers("aof");
    const { woo, server } = await mockWoo(["PART", "KIT", "OTHER"]);
    const config = async (rateLimit: { ratePerSecond: number; burst: number } | undefined) =>
      serviceConfigSchema.parse({
        natsUrl: nats.url, redisUrl: redis.url, ingest: { host: "127.0.0.1", port: await freePort() },
        channels: [{ kind: "woocommerce", baseUrl: `${server.url}/woocommerce`, batchLinger: "0s", ...(rateLimit ? { rateLimit } : {}) }],
        bundles, reconcileInterval: 0, shutdownTimeout: 10_000, verifyPushes: true,
      });
    const aMetrics = new InMemoryMetrics();
    const a = await EngineService.start({ config: await config({ ratePerSecond: 0.25, burst: 1 }), logger: captureLog("warn").logger, metrics: aMetrics });
    cleanups.push(() => a.stop());
    const b = await EngineService.start({ config: await config(undefined), logger: captureLog("warn").logger });
    cleanups.push(() => b.stop());
    const listing = (sku: string) => woo.model.listing(sku);

    await b.engine.adjustStock({ sku: "PART", quantity: 5, kind: "set" });
    await until("PART and KIT at version 1", () => listing("PART")?.acceptedVersion === 1 && listing("KIT")?.acceptedVersion === 1);
    // A spends its one call: its next waits 4 s.
    await a.engine.adjustStock({ sku: "OTHER", quantity: 5, kind: "set" });
    await until("A's push of OTHER landed", () => listing("OTHER")?.acceptedVersion === 1);
    expect(await a.engine.adjustStock({ sku: "PART", quantity: 3, kind: "set" })).toMatchObject({ kind: "changed", change: { version: 2 } });
    expect(await b.engine.adjustStock({ sku: "PART", quantity: 0, kind: "set" })).toMatchObject({ kind: "changed", change: { version: 3 } });
    await until("B's sell-out landed", () => listing("KIT")?.acceptedVersion === 3 && listing("PART")?.acceptedVersion === 3, 3_000);
    await until("A's older levels landed after it", () => listing("KIT")?.acceptedVersion === 2, 10_000);

    // A reads the engine's store after its push landed: PART and KIT are both pushed again at 0.
    await until("the channel lists the store's levels again", () => listing("KIT")?.acceptedVersion === 3 && listing("PART")?.acceptedVersion === 3, 15_000);
    expect({ part: listing("PART")?.acceptedQuantity, kit: listing("KIT")?.acceptedQuantity }).toEqual({ part: 0, kit: 0 });
    expect(aMetrics.counter("push_verify_republished_total", { channel: "woocommerce" })).toBe(2);
  }, 60_000);
});
