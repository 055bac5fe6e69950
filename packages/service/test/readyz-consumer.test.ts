// /readyz and a durable consumer that exists but cannot be consumed: found by review, a consumer whose
// max_batch was lowered under the engine's pulls left /readyz at 200 — the feed's `ready` had failed and
// it warned, but the consumer was "present" — while no order was consumed. Now /readyz is 503 and says
// why until the consumer is fixed, then 200 again without a restart.
import { jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provisionStreams } from "@synclag/nats-feed";
import { EngineService, freePort, serviceConfigSchema, startPrivateNats, startPrivateRedis, type PrivateServer } from "../src/index.js";
import { captureLog } from "./log-capture.js";
import { serversMissing } from "./servers.js";

interface Readyz {
  readonly status: number;
  readonly body: { ready: boolean; checks: Record<string, { ok: boolean; detail: string }> };
}

async function readyzUntil(url: string, what: string, done: (answer: Readyz) => boolean, timeoutMs = 20_000): Promise<Readyz> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${url}/readyz`);
    const answer = { status: response.status, body: (await response.json()) as Readyz["body"] };
    if (done(answer)) return answer;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}; last answer ${answer.status} ${JSON.stringify(answer.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe.skipIf(serversMissing())("readiness: a durable consumer the engine cannot consume with", () => {
  let nats: PrivateServer;
  let redis: PrivateServer;

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startPrivateNats(), startPrivateRedis()]);
  });

  afterAll(async () => {
    await Promise.all([nats?.dispose(), redis?.dispose()]);
  });

  it("is not ready while the consumer's max_batch refuses the engine's pulls, says which field, and is ready again once it is fixed", async () => {
    const feed = { streamName: "RZ_A", subjectPrefix: "rz.a", deadLetterStreamName: "RZ_A_DLQ", deadLetterSubjectPrefix: "rz.adlq", consumerName: "rz-engine" };
    const config = serviceConfigSchema.parse({ natsUrl: nats.url, redisUrl: redis.url, ingest: { host: "127.0.0.1", port: await freePort() }, reconcileInterval: 0, feed, channels: [{ kind: "shopify", baseUrl: "http://127.0.0.1:9" }] });
    const { logger } = captureLog("info");
    const service = await EngineService.start({ config, logger });
    try {
      await readyzUntil(service.url, "ready after start", (answer) => answer.status === 200);
      const jsm = await jetstreamManager(service.connection);
      await jsm.consumers.update(feed.streamName, feed.consumerName, { max_batch: 10 });

      const refused = await readyzUntil(service.url, "not ready", (answer) => answer.status === 503);
      expect(refused.body.ready).toBe(false);
      expect(refused.body.checks.nats).toEqual({ ok: false, detail: expect.stringMatching(/^consumer rz-engine of stream RZ_A cannot be consumed \(fix its settings on the server, or delete it: the engine re-creates it\): .*max_batch: expected unset, or at least 64/) });
      expect(refused.body.checks.nats?.detail).not.toContain("\n");
      expect(refused.body.checks.redis?.ok).toBe(true);

      await provisionStreams(service.connection, { ...feed, onMismatch: "update" });
      const fixed = await readyzUntil(service.url, "ready again once the consumer was fixed", (answer) => answer.status === 200);
      expect(fixed.body.checks.nats).toEqual({ ok: true, detail: "stream RZ_A and consumer rz-engine present" });
    } finally {
      await service.stop();
    }
  }, 60_000);
});
