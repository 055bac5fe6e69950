// Two engine instances adopt a stock restore, and each pushes the whole restored catalogue behind a
// rate-limited channel. A sell-out applied through the first instance meanwhile is pushed by it at once;
// the second instance's restored level of that SKU (read before the sell-out) is still queued and lands
// after it — the channel lists a sold-out SKU as available. Until this was fixed neither instance pushed
// again (each held its own version confirmed) and only the reconciler could repair it; now each instance
// reads a SKU again once its push settled and pushes it again when it moved (pushRestoredStock).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MockMarketplace, serveMarketplaces, type RunningServer } from "@synclag/mock-marketplaces";
import { captureLog } from "../test/log-capture.js";
import { serversMissing } from "../test/servers.js";
import { EngineService, freePort, serviceConfigSchema, startPrivateNats, startPrivateRedis, type PrivateServer, type ServiceConfig } from "./index.js";
import { postJson, until, seesLoss } from "../test/store-loss-support.js";

const SKUS = Array.from({ length: 20 }, (_, i) => `SKU-${i + 1}`);
const SETTLED = "stock restore push settled";

describe.skipIf(serversMissing())("store data loss, two instances: the restored catalogue push never leaves a channel on a level older than the store's", () => {
  let nats: PrivateServer;
  let redis: PrivateServer;
  let server: RunningServer;
  let first: EngineService;
  let second: EngineService;
  const firstLog = captureLog("info");
  const secondLog = captureLog("info");
  const woo = new MockMarketplace({ kind: "woocommerce", seed: 1 });

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startPrivateNats(), startPrivateRedis({ persistence: "none" })]);
    woo.seed(SKUS.map((sku) => ({ sku, quantity: 10, version: 0 })));
    server = await serveMarketplaces([{ prefix: "/woocommerce", marketplace: woo }], { host: "127.0.0.1", port: 0 });
    const config = (ratePerSecond: number, port: number): ServiceConfig =>
      serviceConfigSchema.parse({
        natsUrl: nats.url,
        redisUrl: redis.url,
        ingest: { host: "127.0.0.1", port },
        // Rate-limited (as every real channel is under a catalogue-wide push); the second instance's
        // slower limit makes the order of the two pushes certain: the first's sell-out lands first.
        channels: [{ kind: "woocommerce", baseUrl: `${server.url}/woocommerce`, rateLimit: { ratePerSecond, burst: 1 }, batchLinger: "0s" }],
        reconcileInterval: 0, // no drift repair: only the restore push itself can put the truth back
        verifyPushes: false, // nor the check after each push (push-verifier.ts): this is the restore push's own follow-up
        shutdownTimeout: 10_000,
      });
    first = await EngineService.start({ config: config(0.2, await freePort()), logger: firstLog.logger });
    second = await EngineService.start({ config: config(0.1, await freePort()), logger: secondLog.logger });
  }, 30_000);

  afterAll(async () => {
    for (const s of [second, first]) await s?.stop().catch(() => undefined);
    woo.stop();
    await server?.close();
    await Promise.all([nats?.dispose(), redis?.dispose()]);
  }, 60_000);

  it("a sell-out applied through one instance after the restore is listed as 0 once both are done, though the other's restored level 5 landed after it", async () => {
    await redis.kill();
    await redis.restart();
    await until("both instances see the loss", async () => (await seesLoss(first.url)) && (await seesLoss(second.url)));
    await until("the count is restored", async () => (await postJson(`${first.url}/admin/stock`, { kind: "set", items: SKUS.map((sku) => ({ sku, quantity: 5 })) })).status === 200);
    expect((await postJson(`${first.url}/admin/stock/restored`, {})).status).toBe(200);
    await until("the second instance adopted the restore (its catalogue read)", () => secondLog.lines.some((l) => String(l.msg).startsWith("stock restore adopted")));

    // The last unit of SKU-20 is gone: set through the first instance (version 2), pushed by it.
    expect((await postJson(`${first.url}/admin/stock`, { kind: "set", items: [{ sku: "SKU-20", quantity: 0 }] })).status).toBe(200);
    expect((await first.store.snapshot(["SKU-20"])).get("SKU-20")).toMatchObject({ quantity: 0, version: 2 });
    await until("the sell-out reached the channel", () => woo.model.listing("SKU-20")?.acceptedVersion === 2, 30_000);
    // The second instance's restored level (5, version 1) lands after it: the race this guards happened.
    await until("the second instance's older level landed after the sell-out", () => woo.model.stats.versionRegressions > 0, 30_000);
    expect(woo.model.listing("SKU-20")?.acceptedQuantity).toBe(5);

    // Both instances done: every listing is the store's truth, SKU-20 sold out.
    const truth = async (): Promise<boolean> => {
      const levels = await first.store.snapshot(SKUS);
      return SKUS.every((sku) => woo.model.listing(sku)?.acceptedQuantity === levels.get(sku)?.quantity);
    };
    await until("both instances idle and the channel lists the store's truth", async () => first.engine.propagator.idle && second.engine.propagator.idle && (await truth()), 60_000);
    expect(woo.model.listing("SKU-20")).toMatchObject({ acceptedQuantity: 0, acceptedVersion: 2 });
    // The second instance pushed SKU-20 again once its push settled; the first had nothing to push again.
    await until("both restore pushes settled", () => [firstLog, secondLog].every((log) => log.lines.some((l) => String(l.msg).startsWith(SETTLED))), 30_000);
    expect(secondLog.lines.find((l) => String(l.msg).startsWith(SETTLED))).toMatchObject({ repushed: 1, leftToReconciler: 0 });
    expect(firstLog.lines.find((l) => String(l.msg).startsWith(SETTLED))).toMatchObject({ repushed: 0 });
    expect(await truth()).toBe(true);
  }, 150_000);
});
