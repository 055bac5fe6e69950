// Two engine instances on one store and one channel: instance A's push of a SKU waits behind its rate
// limit while B applies a newer level of that SKU and pushes it at once; A's older level lands after
// B's. Neither instance would push again (each holds its own version confirmed), so with no
// verification the channel keeps listing A's older quantity until the reconciler's next round; with
// `verifyPushes` (off by default: one instance needs none) A reads the store after its push landed and
// pushes the newer level.
import { afterEach, describe, expect, it } from "vitest";
import { InMemoryMetrics } from "@synclag/metrics";
import { MockMarketplace, serveMarketplaces, type RunningServer } from "@synclag/mock-marketplaces";
import { EngineService, freePort, serviceConfigSchema, startPrivateNats, startPrivateRedis, type PrivateServer } from "../src/index.js";
import { captureLog } from "./log-capture.js";
import { serversMissing } from "./servers.js";
import { until } from "./store-loss-support.js";

const X = "SKU-X";
const Y = "SKU-Y";
/** A's budget: one call, then one every 4 s — B's push lands well inside that wait. */
const A_RATE = { ratePerSecond: 0.25, burst: 1 };

interface Setup {
  readonly woo: MockMarketplace;
  readonly a: EngineService;
  readonly b: EngineService;
  readonly aMetrics: InMemoryMetrics;
  readonly bMetrics: InMemoryMetrics;
}

describe.skipIf(serversMissing())("push verification: two instances, the older push lands last", () => {
  const cleanups: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  }, 60_000);

  /** Two instances on private servers, with `verifyPushes` as given. */
  async function start(verifyPushes: boolean | undefined): Promise<Setup> {
    const [nats, redis]: [PrivateServer, PrivateServer] = await Promise.all([startPrivateNats(), startPrivateRedis()]);
    cleanups.push(() => Promise.all([nats.dispose(), redis.dispose()]).then(() => undefined));
    const woo = new MockMarketplace({ kind: "woocommerce", seed: 1 });
    woo.seed([X, Y].map((sku) => ({ sku, quantity: 5, version: 0 })));
    const server: RunningServer = await serveMarketplaces([{ prefix: "/woocommerce", marketplace: woo }], { host: "127.0.0.1", port: 0 });
    cleanups.push(async () => {
      woo.stop();
      await server.close();
    });
    const config = async (rateLimit: { ratePerSecond: number; burst: number } | undefined) =>
      serviceConfigSchema.parse({
        natsUrl: nats.url,
        redisUrl: redis.url,
        ingest: { host: "127.0.0.1", port: await freePort() },
        channels: [{ kind: "woocommerce", baseUrl: `${server.url}/woocommerce`, batchLinger: "0s", ...(rateLimit ? { rateLimit } : {}) }],
        reconcileInterval: 0, // no drift repair: only the engines' own pushes can put the truth back
        shutdownTimeout: 10_000,
        ...(verifyPushes === undefined ? {} : { verifyPushes }),
      });
    const aMetrics = new InMemoryMetrics();
    const bMetrics = new InMemoryMetrics();
    const a = await EngineService.start({ config: await config(A_RATE), logger: captureLog("warn").logger, metrics: aMetrics });
    cleanups.push(() => a.stop());
    const b = await EngineService.start({ config: await config(undefined), logger: captureLog("warn").logger, metrics: bMetrics });
    cleanups.push(() => b.stop());
    return { woo, a, b, aMetrics, bMetrics };
  }

  /** A's push of X (quantity 3, version 2) lands after B's (quantity 0, version 3). */
  async function race({ woo, a, b }: Setup): Promise<void> {
    const listing = (sku: string) => woo.model.listing(sku);
    // X at version 1, pushed by B.
    await b.engine.adjustStock({ sku: X, quantity: 5, kind: "set" });
    await until("X version 1 listed", () => listing(X)?.acceptedVersion === 1);
    // A spends its one call on another SKU: its next push waits 4 s.
    await a.engine.adjustStock({ sku: Y, quantity: 5, kind: "set" });
    await until("A's push of Y landed", () => listing(Y)?.acceptedVersion === 1);
    expect(await a.engine.adjustStock({ sku: X, quantity: 3, kind: "set" })).toMatchObject({ kind: "changed", change: { version: 2 } });
    expect(await b.engine.adjustStock({ sku: X, quantity: 0, kind: "set" })).toMatchObject({ kind: "changed", change: { version: 3 } });
    await until("B's sell-out landed", () => listing(X)?.acceptedVersion === 3, 3_000);
    expect(listing(X)?.acceptedQuantity).toBe(0);
    await until("A's older level landed after it", () => woo.model.stats.versionRegressions > 0, 10_000);
    expect(listing(X)).toMatchObject({ acceptedQuantity: 3, acceptedVersion: 2 });
    expect((await a.store.snapshot([X])).get(X)).toMatchObject({ quantity: 0, version: 3 });
  }

  it("by default, the instance whose older push landed last reads the store and pushes the newer level: the channel ends at the store's quantity", async () => {
    const setup = await start(true);
    await race(setup);
    await until("the channel lists the store's level again", () => setup.woo.model.listing(X)?.acceptedVersion === 3, 15_000);
    expect(setup.woo.model.listing(X)).toMatchObject({ acceptedQuantity: 0, acceptedVersion: 3 });
    await until("both instances idle", () => setup.a.engine.propagator.idle && setup.b.engine.propagator.idle);
    expect(setup.aMetrics.counter("push_verify_republished_total", { channel: "woocommerce" })).toBe(1);
    expect(setup.bMetrics.counter("push_verify_republished_total", { channel: "woocommerce" })).toBe(0);
    expect(setup.aMetrics.counter("push_verify_errors_total") + setup.bMetrics.counter("push_verify_errors_total")).toBe(0);
  }, 60_000);

  it("with verifyPushes off (the old behaviour) the channel keeps listing the older quantity, with nothing pending on either instance", async () => {
    const setup = await start(false);
    await race(setup);
    await until("both instances idle", () => setup.a.engine.propagator.idle && setup.b.engine.propagator.idle);
    // Longer than a verification read would take: still nothing pending, still the stale level.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(setup.a.engine.propagator.idle && setup.b.engine.propagator.idle).toBe(true);
    expect(setup.woo.model.listing(X)).toMatchObject({ acceptedQuantity: 3, acceptedVersion: 2 });
    expect(setup.aMetrics.counter("push_verify_republished_total", { channel: "woocommerce" })).toBe(0);
  }, 60_000);
});
