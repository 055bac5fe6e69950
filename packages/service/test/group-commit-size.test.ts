// `redis.maxOrdersPerCall` is the size of one group-commit script call. The gathered calls are capped at
// the store's own batch size (orders per script call, so that a call refused as a whole wrote nothing),
// and the service left that at the store's default of 100: a setting of 101..1000 was silently 100
// (found by review). The service gives the store the setting as its batch size.
import { afterEach, describe, expect, it } from "vitest";
import { EngineService, freePort, serviceConfigSchema, startPrivateNats, startPrivateRedis } from "../src/index.js";
import { captureLog } from "./log-capture.js";
import { serversMissing } from "./servers.js";

describe.skipIf(serversMissing())("group commit: redis.maxOrdersPerCall", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  }, 30_000);

  it("a setting above 100 is the size of one script call, not capped at the store's default", async () => {
    const [nats, redis] = await Promise.all([startPrivateNats(), startPrivateRedis()]);
    cleanups.push(() => Promise.all([nats.dispose(), redis.dispose()]).then(() => undefined));
    const config = serviceConfigSchema.parse({ natsUrl: nats.url, redisUrl: redis.url, ingest: { host: "127.0.0.1", port: await freePort() }, redis: { maxOrdersPerCall: 400 }, reconcileInterval: 0, shutdownTimeout: 5_000 });
    const service = await EngineService.start({ config, logger: captureLog("warn").logger });
    cleanups.push(() => service.stop());
    expect(service.store.batchSize).toBe(400);
    // The gathered calls: under the engine's own wrappers (bundles, the epoch guard), the group-commit store.
    let store: unknown = service.engine.store;
    const sizes: number[] = [];
    for (let depth = 0; depth < 8 && typeof store === "object" && store !== null; depth++) {
      const size = (store as { maxOrdersPerCall?: unknown }).maxOrdersPerCall;
      if (typeof size === "number") sizes.push(size);
      store = (store as { inner?: unknown }).inner;
    }
    expect(sizes).toEqual([400]);
  }, 30_000);
});
