// A frozen dependency (nats-server stopped with SIGSTOP: the TCP connection stays open, nothing
// answers) must not eat the whole shutdown deadline: every stop step is bounded on its own, and what a
// step could not finish is logged and left to redelivery — the process still exits 0 within its budget.
import { afterAll, describe, expect, it } from "vitest";
import { EngineService, freePort, serviceConfigSchema, startPrivateNats, startPrivateRedis, type PrivateServer } from "../src/index.js";
import { captureLog } from "./log-capture.js";
import { serversMissing } from "./servers.js";

describe.skipIf(serversMissing())("graceful stop with nats-server frozen (SIGSTOP)", () => {
  let nats: PrivateServer | undefined;
  let redis: PrivateServer | undefined;
  afterAll(async () => {
    if (nats?.pid !== undefined) process.kill(nats.pid, "SIGCONT");
    await Promise.all([nats?.dispose(), redis?.dispose()]);
  });

  it("finishes well inside shutdownTimeout and resolves (exit 0): no step waits on the frozen server for the whole deadline", async () => {
    [nats, redis] = await Promise.all([startPrivateNats(), startPrivateRedis()]);
    const config = serviceConfigSchema.parse({ natsUrl: nats.url, redisUrl: redis.url, ingest: { port: await freePort() }, channels: [{ kind: "shopify", baseUrl: "http://127.0.0.1:9" }], reconcileInterval: 0, shutdownTimeout: 15_000 });
    const log = captureLog("info");
    const service = await EngineService.start({ config, logger: log.logger });
    process.kill(nats.pid as number, "SIGSTOP");
    const startedAt = Date.now();
    let outcome = "stopped";
    await service.stop().catch((error: unknown) => (outcome = `rejected: ${(error as Error).message}`));
    const tookMs = Date.now() - startedAt;
    const steps = log.lines.filter((l) => typeof l.msg === "string" && (l.msg as string).startsWith("stop")).map((l) => `${String(l.time)} ${String(l.msg)}`);
    expect({ outcome, tookLessThanDeadline: tookMs < 12_000 }, `${tookMs} ms\n${steps.join("\n")}`).toEqual({ outcome: "stopped", tookLessThanDeadline: true });
    // The step that waited on the frozen server says so, and the stop still ran to its end.
    expect(log.lines.some((l) => l.step === "NATS (drain)")).toBe(true);
    expect(log.lines.some((l) => l.msg === "stopped")).toBe(true);
  }, 60_000);
});
