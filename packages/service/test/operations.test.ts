// What an operator sees when things go wrong: start-up failures name the problem without printing a
// password (stderr and the fatal log line, causes included), a port already in use says so, and
// /readyz turns 503 when the durable consumer is gone (the engine cannot consume although the stream
// answers).
import { createServer, type Server } from "node:net";
import { generateKeyPairSync } from "node:crypto";
import { jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MOCK_CREDENTIALS, buildOrderNotification } from "@synclag/mock-marketplaces";
import { provisionStreams } from "@synclag/nats-feed";
import { RedisStockStore } from "@synclag/redis-store";
import { EngineService, ServiceError, freePort, serviceConfigSchema, startPrivateNats, startPrivateRedis, type PrivateServer, type ServiceConfigInput } from "../src/index.js";
import { captureLog } from "./log-capture.js";
import { serversMissing } from "./servers.js";

/** Starts the service as `synclag engine` does and returns what it would print: the stderr line and the log lines. */
async function startFailure(input: ServiceConfigInput): Promise<{ error: ServiceError; stderr: string; log: string }> {
  const captured = captureLog("info");
  const logger = captured.logger;
  try {
    const service = await EngineService.start({ config: serviceConfigSchema.parse({ logLevel: "info", reconcileInterval: 0, ...input }), logger });
    await service.stop();
  } catch (error) {
    if (!(error instanceof ServiceError)) throw error;
    // What apps/cli/src/commands/engine.ts does with it.
    logger.fatal({ reason: error.reason, err: error }, error.message);
    await new Promise((resolve) => setImmediate(resolve));
    return { error, stderr: `synclag engine: ${error.message}\n`, log: captured.text() };
  }
  throw new Error("the service started");
}

describe.skipIf(serversMissing())("operations: start-up failures and readiness", () => {
  let nats: PrivateServer;
  let redis: PrivateServer;

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startPrivateNats(), startPrivateRedis()]);
  });

  afterAll(async () => {
    await Promise.all([nats?.dispose(), redis?.dispose()]);
  });

  it("does not print the NATS password when NATS is unreachable", async () => {
    const port = await freePort();
    const { error, stderr, log } = await startFailure({ natsUrl: `nats://natsuser:natspw@127.0.0.1:${port}`, redisUrl: redis.url });
    expect(error.reason).toBe("environment");
    expect(stderr).toBe(`synclag engine: cannot connect to NATS at nats://[redacted]@127.0.0.1:${port}: connection refused\n`);
    expect(stderr).toContain("connection refused");
    expect(stderr + log).not.toContain("natspw");
    expect(JSON.stringify(error.problems) + String((error.cause as Error).message)).not.toContain("natspw");
  });

  it("does not print the Redis password, and says the connection was refused (not only that nothing replied)", async () => {
    const port = await freePort();
    const { error, stderr, log } = await startFailure({ natsUrl: nats.url, redisUrl: `redis://default:redispw@127.0.0.1:${port}`, feed: { streamName: "OPS_A", subjectPrefix: "ops.a", deadLetterStreamName: "OPS_A_DLQ", deadLetterSubjectPrefix: "ops.adlq" } });
    expect(error.reason).toBe("environment");
    expect(stderr).toContain(`cannot connect to Redis at redis://[redacted]@127.0.0.1:${port}: `);
    expect(stderr).toMatch(/ECONNREFUSED/);
    expect(stderr + log).not.toContain("redispw");
    // The store's own message no longer carries the password either.
    const direct = await RedisStockStore.connect({ url: `redis://default:redispw@127.0.0.1:${port}`, callTimeoutMs: 300 }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(direct?.message).toContain(`redis://[redacted]@127.0.0.1:${port}`);
    expect(direct?.message).not.toContain("redispw");
  }, 30_000);

  it("says the ingest port is already in use (exit 4: an environment problem)", async () => {
    const port = await freePort();
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(port, "127.0.0.1", resolve));
    try {
      const { error, stderr } = await startFailure({
        natsUrl: nats.url,
        redisUrl: redis.url,
        ingest: { host: "127.0.0.1", port },
        feed: { streamName: "OPS_B", subjectPrefix: "ops.b", deadLetterStreamName: "OPS_B_DLQ", deadLetterSubjectPrefix: "ops.bdlq" },
      });
      expect(error.reason).toBe("environment");
      expect(stderr).toContain(`cannot listen on 127.0.0.1:${port}: the port is already in use`);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it("is not ready while the durable consumer or the stream is missing, and says which; a publish into a missing stream is a 503", async () => {
    const feed = { streamName: "OPS_C", subjectPrefix: "ops.c", deadLetterStreamName: "OPS_C_DLQ", deadLetterSubjectPrefix: "ops.cdlq", consumerName: "ops-engine" };
    const config = serviceConfigSchema.parse({ natsUrl: nats.url, redisUrl: redis.url, ingest: { host: "127.0.0.1", port: await freePort() }, reconcileInterval: 0, feed, channels: [{ kind: "shopify", baseUrl: "http://127.0.0.1:9" }] });
    const { lines: log, logger } = captureLog("info");
    const service = await EngineService.start({ config, logger });
    try {
      const readyz = async () => {
        const response = await fetch(`${service.url}/readyz`);
        return { status: response.status, body: (await response.json()) as { ready: boolean; checks: Record<string, { ok: boolean; detail: string }> } };
      };
      expect((await readyz()).status).toBe(200);
      // Stop consuming first: the feed may re-create a lost consumer or stream by itself, which would race the checks.
      await service.engine.stop();
      const jsm = await jetstreamManager(service.connection);
      await jsm.consumers.delete(feed.streamName, feed.consumerName);
      const missing = await readyz();
      expect(missing.status).toBe(503);
      expect(missing.body.checks.nats).toEqual({ ok: false, detail: expect.stringMatching(/^consumer ops-engine of stream OPS_C not found: the engine cannot consume orders/) });
      await provisionStreams(service.connection, feed);
      expect((await readyz()).status).toBe(200);
      expect(log.find((l) => typeof l.msg === "string" && l.msg.startsWith("outbox replayed"))).toMatchObject({ entries: 0 });

      await jsm.streams.delete(feed.streamName);
      expect((await readyz()).body.checks.nats?.detail).toMatch(/^stream OPS_C not found: orders cannot be stored/);
      const order = { seq: 1, nativeId: "7000000001", sku: "SKU-1", quantity: 1, createdAtMs: Date.now(), cancelled: false };
      const message = buildOrderNotification({ kind: "shopify", url: `${service.url}/ingest/shopify`, order, catalogNumber: 1, credentials: DEFAULT_MOCK_CREDENTIALS, sentAtMs: Date.now(), attempt: 1, deliverySeq: 1, ebayKey: generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey });
      const response = await fetch(message.url, { method: "POST", headers: message.headers, body: message.body });
      expect(response.status).toBe(503);
      expect(log.some((l) => l.msg === "publishing the order failed" && l.orderId === "shopify:7000000001")).toBe(true);
    } finally {
      await service.stop();
    }
  }, 30_000);
});
