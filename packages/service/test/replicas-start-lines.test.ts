// What an engine prints at start about its share of each channel's budget (`replicas`) and about the
// reconciler's first round: the figures it runs with, and a warning where the split cannot keep the
// replicas together within a marketplace's limit (no replica goes below 1 call of burst or 1 revision).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineService, freePort, serviceConfigSchema, startPrivateNats, startPrivateRedis, type PrivateServer } from "../src/index.js";
import { captureLog } from "./log-capture.js";
import { serversMissing } from "./servers.js";

describe.skipIf(serversMissing())("start-up lines: each channel's budget for this replica, the reconciler's first round", () => {
  let nats: PrivateServer;
  let redis: PrivateServer;

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startPrivateNats(), startPrivateRedis()]);
  });

  afterAll(async () => {
    await Promise.all([nats?.dispose(), redis?.dispose()]);
  });

  const start = async (input: Record<string, unknown>) => {
    const log = captureLog();
    const config = serviceConfigSchema.parse({
      natsUrl: nats.url,
      redisUrl: redis.url,
      ingest: { host: "127.0.0.1", port: await freePort() },
      channels: [{ kind: "amazon", baseUrl: "http://127.0.0.1:9/amazon" }, { kind: "ebay", baseUrl: "http://127.0.0.1:9/ebay", revisionsPerSkuPerDay: 6 }],
      shutdownTimeout: 5_000,
      ...input,
    });
    const service = await EngineService.start({ config, logger: log.logger });
    await service.stop();
    return log.lines;
  };

  it("one replica: the whole budgets; the first round 30 s after the start by default", async () => {
    const lines = await start({});
    expect(lines.find((l) => l.msg === "channel budgets (one replica: each channel's whole rate limit and revision budget)")).toMatchObject({ replicas: 1, channels: { amazon: { ratePerSecond: 5, burst: 5, revisionsPerSkuPerDay: 0 }, ebay: { ratePerSecond: 20, burst: 40, revisionsPerSkuPerDay: 6 } } });
    expect(lines.filter((l) => l.level === 40 && typeof l.msg === "string" && l.msg.includes("cannot be split"))).toEqual([]);
    expect(lines.find((l) => typeof l.msg === "string" && l.msg.startsWith("reconciler: first round"))).toMatchObject({ msg: "reconciler: first round 30s after the start, then every 15m", firstRoundAfterMs: 30_000, intervalMs: 900_000 });
  });

  it("eight replicas: each its share, and a warning for each channel whose figures were raised to 1", async () => {
    const lines = await start({ replicas: 8, reconcileInterval: 0 });
    expect(lines.find((l) => typeof l.msg === "string" && l.msg.startsWith("channel budgets of this replica"))).toMatchObject({ replicas: 8, channels: { amazon: { ratePerSecond: 0.625, burst: 1 }, ebay: { ratePerSecond: 2.5, burst: 5, revisionsPerSkuPerDay: 1 } } });
    const warnings = lines.filter((l) => l.level === 40 && typeof l.msg === "string" && l.msg.includes("cannot be split"));
    expect(warnings.map((l) => l.msg)).toEqual([
      "channel amazon: its budget cannot be split among 8 replicas (at least 1 each): a burst of 1 each, 8 together against 5 — the replicas together may exceed the marketplace's limit; run fewer replicas",
      "channel ebay: its budget cannot be split among 8 replicas (at least 1 each): 1 revision per listing per day each, 8 together against 6 — the replicas together may exceed the marketplace's limit; run fewer replicas",
    ]);
    // The reconciler is off: no line about its first round.
    expect(lines.find((l) => typeof l.msg === "string" && l.msg.startsWith("reconciler: first round"))).toBeUndefined();
  });
});
