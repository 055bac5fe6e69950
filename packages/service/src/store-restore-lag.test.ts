// The engine's own lag signal (LagObservingClient: propagation_lag_ms, propagations_total) across a stock
// restore. An order still owed to a channel when the store lost its data (version 6) stayed at the head of
// the SKU's owed list; after the restore versions start again at 1, so every later order (version 2) was
// held back behind it — not counted while the channel already listed it. The restore now forgets what
// was owed before the loss.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MockMarketplace, serveMarketplaces, type RunningServer } from "@synclag/mock-marketplaces";
import { captureLog } from "../test/log-capture.js";
import { serversMissing } from "../test/servers.js";
import { EngineService, startPrivateNats, startPrivateRedis, type PrivateServer } from "./index.js";
import { postOrder, postJson, until, seesLoss, shopifyAndWooConfig } from "../test/store-loss-support.js";

async function metric(url: string, line: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const found = text.split("\n").find((l) => l.startsWith(line + " "));
  return found === undefined ? 0 : Number(found.slice(line.length + 1));
}

describe.skipIf(serversMissing())("store data loss: the engine-side lag signal after a restore", () => {
  let nats: PrivateServer;
  let redis: PrivateServer;
  let server: RunningServer;
  let first: EngineService;
  const log = captureLog("info");
  const shopify = new MockMarketplace({ kind: "shopify", seed: 1 });
  const woo = new MockMarketplace({ kind: "woocommerce", seed: 1 });
  const wooListing = () => woo.model.listing("SKU-1");

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startPrivateNats(), startPrivateRedis({ persistence: "none" })]);
    for (const m of [shopify, woo]) m.seed([{ sku: "SKU-1", quantity: 10, version: 0 }]);
    server = await serveMarketplaces([{ prefix: "/shopify", marketplace: shopify }, { prefix: "/woocommerce", marketplace: woo }], { host: "127.0.0.1", port: 0 });
    const config = await shopifyAndWooConfig(nats, redis, server.url);
    first = await EngineService.start({ config, logger: log.logger });
  }, 30_000);

  afterAll(async () => {
    await first?.stop().catch(() => undefined);
    shopify.stop();
    woo.stop();
    await server?.close();
    await Promise.all([nats?.dispose(), redis?.dispose()]);
  }, 60_000);

  it("an order applied after the restore is counted in propagations_total{channel=woocommerce} once woo lists it, though a pre-loss order was still owed", async () => {
    for (const quantity of [10, 9, 8, 7]) await first.engine.adjustStock({ sku: "SKU-1", quantity, kind: "set" });
    await until("v4 on woo", () => wooListing()?.acceptedVersion === 4);
    // Before the loss an order (v5) is counted once woo lists it.
    expect((await postOrder(first.url, 100, "SKU-1", 1)).status).toBe(200);
    await until("v5 on woo", () => wooListing()?.acceptedVersion === 5);
    await until("control order counted", async () => (await metric(first.url, 'synclag_propagations_total{channel="woocommerce"}')) === 1);
    // WooCommerce is down for a few seconds; a Shopify order (version 6) is owed to it when Redis loses its data.
    woo.injectFaults({ outageMs: 10_000 });
    expect((await postOrder(first.url, 101, "SKU-1", 1)).status).toBe(200);
    await until("the order is applied (v6)", async () => (await first.store.snapshot(["SKU-1"])).get("SKU-1")?.version === 6);
    await redis.kill();
    await redis.restart();
    await until("loss seen", () => seesLoss(first.url));
    await until("count restored", async () => (await postJson(`${first.url}/admin/stock`, { kind: "set", items: [{ sku: "SKU-1", quantity: 25 }] })).status === 200);
    expect((await postJson(`${first.url}/admin/stock/restored`, {})).status).toBe(200);
    await until("woo lists the restored count", () => wooListing()?.acceptedQuantity === 25, 60_000);

    const before = await metric(first.url, 'synclag_propagations_total{channel="woocommerce"}');
    expect((await postOrder(first.url, 102, "SKU-1", 2)).status).toBe(200); // version 2 after the restore
    await until("woo lists the order", () => wooListing()?.acceptedQuantity === 23 && wooListing()?.acceptedVersion === 2, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = await metric(first.url, 'synclag_propagations_total{channel="woocommerce"}');
    expect(after).toBe(before + 1);
  }, 150_000);
});
