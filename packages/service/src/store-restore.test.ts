// After Redis lost its data and the stock was restored, every restored SKU starts again at version 1 —
// below the versions the running engines pushed before the loss. A propagator never moves a channel
// back to an older version, so until this was fixed the channels kept their pre-loss quantities (and
// ignored the held orders applied after the restore) until every engine was restarted. Now each
// instance, on adopting the restore, forgets those versions and pushes the restored stock.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MockMarketplace, serveMarketplaces, type RunningServer } from "@synclag/mock-marketplaces";
import { captureLog } from "../test/log-capture.js";
import { serversMissing } from "../test/servers.js";
import { EngineService, startPrivateNats, startPrivateRedis, type PrivateServer, type ServiceConfig } from "./index.js";
import { postOrder, postJson, until, ready, seesLoss, shopifyAndWooConfig, closeAll, onAnotherPort } from "../test/store-loss-support.js";

const ADOPTED = "stock restore adopted";

describe.skipIf(serversMissing())("store data loss: the restored stock reaches the channels without restarting any engine", () => {
  let nats: PrivateServer;
  let redis: PrivateServer;
  let server: RunningServer;
  let config: ServiceConfig;
  let first: EngineService;
  let second: EngineService;
  const firstLog = captureLog("info");
  const secondLog = captureLog("info");
  const shopify = new MockMarketplace({ kind: "shopify", seed: 1 });
  const woo = new MockMarketplace({ kind: "woocommerce", seed: 1 });
  const listed = (m: MockMarketplace): { quantity: number | undefined; version: number | undefined } => ({ quantity: m.model.listing("SKU-1")?.acceptedQuantity, version: m.model.listing("SKU-1")?.acceptedVersion });

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startPrivateNats(), startPrivateRedis({ persistence: "none" })]);
    for (const m of [shopify, woo]) m.seed([{ sku: "SKU-1", quantity: 10, version: 0 }]);
    server = await serveMarketplaces([{ prefix: "/shopify", marketplace: shopify }, { prefix: "/woocommerce", marketplace: woo }], { host: "127.0.0.1", port: 0 });
    config = await shopifyAndWooConfig(nats, redis, server.url);
    first = await EngineService.start({ config, logger: firstLog.logger });
    second = await EngineService.start({ config: await onAnotherPort(config), logger: secondLog.logger });
  }, 30_000);

  afterAll(async () => {
    await closeAll({ engines: [first, second], marketplaces: [shopify, woo], server, servers: [nats, redis] });
  }, 60_000);

  it("both instances push the restored count and the held order applied after it (versions 1 and 2) over the versions up to 6 they pushed before the loss", async () => {
    // Before the loss both instances push several versions: the first up to 4, the second 5 and 6.
    for (const quantity of [10, 9, 8, 7]) await first.engine.adjustStock({ sku: "SKU-1", quantity, kind: "set" });
    const confirmed = (service: EngineService, version: number): boolean => first.engine.propagator.channelIds.every((channel) => service.engine.propagator.confirmedVersion(channel, "SKU-1") === version);
    await until("the first instance's versions land", () => listed(woo).version === 4 && listed(shopify).version === 4 && confirmed(first, 4));
    for (const quantity of [6, 5]) await second.engine.adjustStock({ sku: "SKU-1", quantity, kind: "set" });
    await until("the second instance's versions land", () => listed(woo).version === 6 && listed(shopify).version === 6 && confirmed(second, 6));

    // Redis restarts without persistence: SKU-1 and its versions are gone. Both instances notice.
    await redis.kill();
    await redis.restart();
    await until("both instances see the loss", async () => (await seesLoss(first.url)) && (await seesLoss(second.url)));
    expect((await postOrder(first.url, 201, "SKU-1", 2)).status).toBe(200); // held until the stock is back

    // The operator restores the count (25, version 1) through the first instance and confirms there.
    // (A 503 while the store's client is still reconnecting: a `set` is safe to re-send.)
    await until("the count is restored", async () => (await postJson(`${first.url}/admin/stock`, { kind: "set", items: [{ sku: "SKU-1", quantity: 25 }] })).status === 200);
    const restored = await postJson(`${first.url}/admin/stock/restored`, {});
    expect(restored.status).toBe(200);
    const body = (await restored.json()) as { restored: boolean; next: string };
    expect(body.restored).toBe(true);

    // The held order is applied against the restored count (25 - 2 = 23, version 2) and every channel
    // lists it — the engines still the same processes.
    await until("the held order is applied", async () => (await first.store.snapshot(["SKU-1"])).get("SKU-1")?.quantity === 23);
    await until("every channel lists the restored truth", () => listed(woo).quantity === 23 && listed(shopify).quantity === 23);
    expect(listed(woo).version).toBe(2);
    // The second instance, told by nobody but the store's marker, forgot its versions too and pushed
    // the restored level (1 or 2, depending on whether the held order was applied before it read).
    await until("the second instance pushed the restored truth", () => {
      const version = second.engine.propagator.confirmedVersion("woocommerce", "SKU-1");
      return version !== undefined && version <= 2;
    });
    await until("ready again", async () => (await ready(first.url)) === 200 && (await ready(second.url)) === 200);
    for (const log of [firstLog, secondLog]) expect(log.lines.filter((line) => line.level === 30 && String(line.msg).startsWith(ADOPTED))).toHaveLength(1);
    expect(secondLog.lines.find((line) => String(line.msg).startsWith(ADOPTED))).toMatchObject({ how: "found", wasLost: true, skus: 1 });
    expect(firstLog.lines.find((line) => String(line.msg).startsWith(ADOPTED))).toMatchObject({ how: "confirmed", wasLost: true });

    // Later changes push as usual (version 3): nothing is left comparing against pre-loss versions.
    await first.engine.adjustStock({ sku: "SKU-1", quantity: 20, kind: "set" });
    await until("a later change lands", () => listed(woo).quantity === 20 && listed(shopify).quantity === 20);
    expect(body.next).toMatch(/^nothing to restart: each engine instance, on adopting this restore/);
  }, 120_000);
});
