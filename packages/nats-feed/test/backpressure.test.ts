// A worker whose handler slots are all busy must not keep pulling: found by review, it held messages
// alive (+WPI) up to the consumer's max_ack_pending while a healthy worker on the same durable consumer
// idled. Now a worker pulls only what it can start or hold (at most one pull batch held), and a worker
// whose every slot has been stuck for two ack waits hands its held messages back for the others.

import type { OrderHandler } from "@synclag/core";
import { pollUntil } from "@synclag/testkit";
import { describe, expect, it } from "vitest";
import { JetStreamOrderFeed } from "../src/index.js";
import { connectTo, natsMissing, openTestFeed, order, usePrivateNatsServer } from "./support.js";

describe.skipIf(natsMissing !== undefined)("JetStream feed: backpressure when every handler slot is busy", () => {
  const nats = usePrivateNatsServer();

  it("leaves the orders a stuck worker cannot start to a healthy worker on the same durable consumer", async () => {
    const t = await openTestFeed(nats.url(), { ackWaitMs: 1_000, backoffMs: [], maxDeliver: 5 });
    const connectionA = await connectTo(nats.url());
    let outage = true;
    // Worker A cannot reach its store: its handlers retry and report progress (as OrderProcessor does).
    const stuck: OrderHandler = async (_event, delivery) => {
      while (outage) {
        delivery.working();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return { kind: "retry", delayMs: 0, reason: "stopping" };
    };
    const workerA = new JetStreamOrderFeed({ connection: connectionA, ...t.options, maxConcurrentHandlers: 2, pullBatchSize: 20, onError: () => {} }).consume(stuck);
    const handledByB = new Set<string>();
    const workerB = t.feed.consume(async (event) => {
      handledByB.add(event.orderId);
      return { kind: "ack" };
    });
    let mostHeldByA = 0;
    const sampler = setInterval(() => (mostHeldByA = Math.max(mostHeldByA, workerA.stats().held)), 20);
    try {
      await Promise.all([workerA.ready, workerB.ready]);
      await t.publisher.publishMany(Array.from({ length: 200 }, (_, i) => order(`bp-${i}`)));
      // A works on at most 2 (its slots); B gets every other order, A's held ones once A is found stuck.
      await pollUntil("the healthy worker handled all but the stuck worker's two", () => handledByB.size >= 198, { timeoutMs: 20_000 });
      expect(mostHeldByA).toBeLessThanOrEqual(20);
      expect(workerA.stats().inFlight).toBe(2);
      expect(await t.deadLetters()).toEqual([]);
    } finally {
      clearInterval(sampler);
      outage = false;
      await workerB.stop();
      await workerA.stop();
      await connectionA.drain();
      await t.dispose();
    }
  }, 60_000);
});
