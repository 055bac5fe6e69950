// `synclag run --nats-url …` on the user's own NATS: the run's streams are its own, and it removes them
// however it ends — also when it is interrupted (Ctrl-C) in the middle of the load.
import { jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectNats } from "@synclag/nats-feed";
import { validateScenario } from "@synclag/workload";
import { ServiceError, createLogger, runReal, startPrivateNats, startPrivateRedis, type PrivateServer } from "../src/index.js";
import { serversMissing } from "./servers.js";

const loaded = validateScenario(
  {
    name: "tiny-sale",
    description: "two channels, six SKUs",
    duration: "1h",
    catalog: { skus: 6, stock: { min: 5, max: 12 }, popularity: 1 },
    channels: [
      { id: "shopify", kind: "shopify", share: 0.6 },
      { id: "woocommerce", kind: "woocommerce", share: 0.4 },
    ],
    demand: { ordersPerDay: 1500 },
  },
  "test",
);
if (!loaded.ok) throw new Error(loaded.problems.join("; "));
const scenario = loaded.scenario;

describe.skipIf(serversMissing())("synclag run on servers given by URL", () => {
  let nats: PrivateServer;
  let redis: PrivateServer;
  beforeAll(async () => {
    [nats, redis] = await Promise.all([startPrivateNats(), startPrivateRedis()]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([nats?.dispose(), redis?.dispose()]);
  }, 30_000);

  async function streamNames(): Promise<string[]> {
    const connection = await connectNats({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(connection);
      const names: string[] = [];
      for await (const info of jsm.streams.list()) names.push(info.config.name);
      return names;
    } finally {
      await connection.close();
    }
  }

  it("interrupted during the load: the run's own streams are deleted from the given NATS", async () => {
    const controller = new AbortController();
    let seenDuringRun: string[] = [];
    const outcome = await runReal({
      scenario,
      strategy: "events",
      seed: 3,
      durationMs: 20_000,
      natsUrl: nats.url,
      redisUrl: redis.url,
      logger: createLogger("silent"),
      signal: controller.signal,
      onProgress: (message) => {
        if (!message.startsWith("load:")) return;
        // The load has started: the streams exist now. Then Ctrl-C.
        void streamNames()
          .then((names) => (seenDuringRun = names))
          .finally(() => controller.abort());
      },
    }).then(
      () => "finished",
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(ServiceError);
    expect((outcome as ServiceError).reason).toBe("run");
    expect(seenDuringRun.filter((name) => name.endsWith("_ORDERS") || name.endsWith("_DLQ"))).toHaveLength(2);
    expect(await streamNames()).toEqual([]);
  }, 90_000);
});
