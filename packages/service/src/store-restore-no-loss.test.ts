// `POST /admin/stock/restored` when the store did not lose its data (an operator re-sending the
// confirmation, or confirming "to be safe"): until this was fixed it wrote a fresh restore marker every
// time, and every instance forgot its versions, dropped its queued updates and pushed the whole catalogue
// to every channel again. Now it changes nothing and says so; a confirmation after a real loss still does
// its work, on every instance.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MockMarketplace, serveMarketplaces, type RunningServer } from "@synclag/mock-marketplaces";
import { captureLog } from "../test/log-capture.js";
import { serversMissing } from "../test/servers.js";
import { EngineService, startPrivateNats, startPrivateRedis, type PrivateServer, type ServiceConfig } from "./index.js";
import { postJson, until, seesLoss, shopifyAndWooConfig, closeAll, onAnotherPort } from "../test/store-loss-support.js";

const SKUS = Array.from({ length: 30 }, (_, i) => `SKU-${i + 1}`);
const ADOPTED = "stock restore adopted";

interface Confirmation {
  readonly restored: boolean;
  readonly skus: number;
  readonly wasLost: boolean;
  readonly next: string;
}

describe.skipIf(serversMissing())("confirming a stock restore when the store did not lose its data", () => {
  let nats: PrivateServer;
  let redis: PrivateServer;
  let server: RunningServer;
  let first: EngineService;
  let second: EngineService;
  const firstLog = captureLog("info");
  const secondLog = captureLog("info");
  const shopify = new MockMarketplace({ kind: "shopify", seed: 1 });
  const woo = new MockMarketplace({ kind: "woocommerce", seed: 1 });
  const updateCalls = (): number => woo.model.stats.updateCalls + shopify.model.stats.updateCalls;
  const adopted = (): number => [firstLog, secondLog].reduce((sum, log) => sum + log.lines.filter((l) => String(l.msg).startsWith(ADOPTED)).length, 0);
  const bothIdle = (): boolean => first.engine.propagator.idle && second.engine.propagator.idle;

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startPrivateNats(), startPrivateRedis({ persistence: "none" })]);
    for (const m of [shopify, woo]) m.seed(SKUS.map((sku) => ({ sku, quantity: 10, version: 0 })));
    server = await serveMarketplaces([{ prefix: "/shopify", marketplace: shopify }, { prefix: "/woocommerce", marketplace: woo }], { host: "127.0.0.1", port: 0 });
    const config: ServiceConfig = await shopifyAndWooConfig(nats, redis, server.url);
    first = await EngineService.start({ config, logger: firstLog.logger });
    second = await EngineService.start({ config: await onAnotherPort(config), logger: secondLog.logger });
  }, 30_000);

  afterAll(async () => {
    await closeAll({ engines: [first, second], marketplaces: [shopify, woo], server, servers: [nats, redis] });
  }, 60_000);

  /** Confirms twice (through each instance), waits out two marker checks, and returns the replies. */
  async function confirmTwice(): Promise<Confirmation[]> {
    const replies: Confirmation[] = [];
    for (const service of [first, second]) {
      const reply = await postJson(`${service.url}/admin/stock/restored`, {});
      expect(reply.status).toBe(200);
      replies.push((await reply.json()) as Confirmation);
    }
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await until("idle", bothIdle);
    return replies;
  }

  it("on a store that never lost its data: no marker written, nothing forgotten or pushed again, and the reply says so", async () => {
    expect((await postJson(`${first.url}/admin/stock`, { kind: "set", items: SKUS.map((sku) => ({ sku, quantity: 7 })) })).status).toBe(200);
    await until("every SKU listed", () => SKUS.every((sku) => woo.model.listing(sku)?.acceptedVersion === 1 && shopify.model.listing(sku)?.acceptedVersion === 1) && bothIdle());
    // The first instance created the marker: in its grace (3 s) a confirmation through it is a restore
    // (it could be an engine restarted together with a Redis that lost its data).
    await until("the first instance's grace is over", () => !first.storeEpoch.inGrace);
    const marker = first.storeEpoch.marker;
    const calls = updateCalls();
    const replies = await confirmTwice();
    for (const reply of replies) {
      expect(reply).toMatchObject({ restored: false, skus: 30, wasLost: false });
      expect(reply.next).toMatch(/^nothing to do: the store did not lose its data since the engines started on it — no restore recorded/);
    }
    expect(updateCalls()).toBe(calls);
    expect(adopted()).toBe(0);
    expect([first.storeEpoch.marker, second.storeEpoch.marker]).toEqual([marker, marker]);
    expect(marker).toMatch(/^start:/);
  }, 60_000);

  it("after a real loss the confirmation restores on every instance; sending it again then changes nothing", async () => {
    await redis.kill();
    await redis.restart();
    await until("both instances see the loss", async () => (await seesLoss(first.url)) && (await seesLoss(second.url)));
    await until("the count is restored", async () => (await postJson(`${first.url}/admin/stock`, { kind: "set", items: SKUS.map((sku) => ({ sku, quantity: 4 })) })).status === 200);
    const reply = await postJson(`${first.url}/admin/stock/restored`, {});
    expect(reply.status).toBe(200);
    const body = (await reply.json()) as Confirmation;
    expect(body).toMatchObject({ restored: true, skus: 30, wasLost: true });
    expect(body.next).toMatch(/^nothing to restart: each engine instance, on adopting this restore .* forgets the versions it pushed before the loss/);
    await until("both instances adopted the restore", () => adopted() === 2);
    await until("every channel lists the restored count", () => SKUS.every((sku) => woo.model.listing(sku)?.acceptedQuantity === 4 && shopify.model.listing(sku)?.acceptedQuantity === 4) && bothIdle());
    const marker = first.storeEpoch.marker;
    expect(marker).toMatch(/^restore:/);

    const calls = updateCalls();
    const replies = await confirmTwice();
    for (const again of replies) {
      expect(again).toMatchObject({ restored: false, skus: 30, wasLost: false });
      expect(again.next).toMatch(/^nothing to do: the store did not lose its data since the last confirmed restore/);
    }
    expect(updateCalls()).toBe(calls);
    expect(adopted()).toBe(2);
    expect([first.storeEpoch.marker, second.storeEpoch.marker]).toEqual([marker, marker]);
  }, 90_000);
});
