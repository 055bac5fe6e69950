// stop() hands back every message it will not process — including those the server had already sent
// for the open pull request. Found by review: closing the request at once dropped those in transit,
// and each waited out its whole ack wait (30 s+) before another worker got it.

import { natsUrl, pollUntil, startNatsServer } from "@synclag/testkit";
import { describe, expect, it } from "vitest";
import { natsMissing, openTestFeed, order, usePrivateNatsServer } from "./support.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(natsMissing !== undefined)("JetStream feed: stop() while orders stream in", () => {
  const nats = usePrivateNatsServer();

  it("hands back what arrived and what was in transit, so the next worker gets every order long before the 30 s ack wait", async () => {
    const t = await openTestFeed(nats.url(), { ackWaitMs: 30_000, backoffMs: [], maxDeliver: 5 }, { pullBatchSize: 256 });
    await t.publisher.publishMany(Array.from({ length: 3_000 }, (_, i) => order(`s-${i}`)));
    const first = t.feed.consume(async () => {
      await sleep(2);
      return { kind: "ack" };
    });
    await first.ready;
    await sleep(300);
    await first.stop();
    const second = t.feed.consume(async () => ({ kind: "ack" }));
    try {
      // Anything stranded by the first worker's stop() would stay stored for the 30 s ack wait.
      await pollUntil("every order was settled", async () => (await t.unsettled()) === 0, { timeoutMs: 15_000 });
      expect(await t.deadLetters()).toEqual([]);
    } finally {
      await second.stop();
      await t.dispose();
    }
  }, 40_000);

  it("stops at once when nats-server is gone (a fetch has no client-side timer: waiting for it would take the whole stop timeout)", async () => {
    const server = await startNatsServer();
    try {
      const t = await openTestFeed(natsUrl(server), { ackWaitMs: 30_000, backoffMs: [], maxDeliver: 5 }, { stopTimeoutMs: 7_500 });
      const subscription = t.feed.consume(() => Promise.resolve({ kind: "ack" }));
      await subscription.ready;
      await sleep(500);
      await server.kill();
      await sleep(500);
      const began = Date.now();
      await subscription.stop();
      expect(Date.now() - began).toBeLessThan(5_000);
      expect(t.errors.filter((e) => e.reason === "timeout")).toEqual([]);
      await t.connection.close();
    } finally {
      await server.dispose();
    }
  }, 60_000);
});
