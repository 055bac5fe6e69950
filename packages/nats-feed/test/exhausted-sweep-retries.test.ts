// The exhausted-message sweep must never take an order that is only waiting for its redelivery: a
// handler's `retry` (a store outage) naks it, with or without a delay, and the sweep runs meanwhile.
import { pollUntil } from "@synclag/testkit";
import { describe, expect, it } from "vitest";
import { natsMissing, openTestFeed, order, usePrivateNatsServer } from "./support.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(natsMissing !== undefined)("JetStream feed: the exhausted-message sweep and retried orders", () => {
  const nats = usePrivateNatsServer();

  it.each([0, 3_000])("does not dead-letter orders nak'd for redelivery after %i ms while sweeps run", async (delayMs) => {
    const t = await openTestFeed(nats.url(), { ackWaitMs: 1_000, backoffMs: [1_000], maxDeliver: 5 }, { exhaustedSweepIntervalMs: 200 });
    const seen: string[] = [];
    const subscription = t.feed.consume((event, delivery) => {
      seen.push(`${event.orderId}#${delivery.deliveryCount}`);
      return Promise.resolve(delivery.deliveryCount < 3 ? { kind: "retry", delayMs, reason: "store down" } : { kind: "ack" });
    });
    try {
      await subscription.ready;
      for (let i = 0; i < 3; i++) await t.publisher.publish(order(`retried-${i}`));
      await pollUntil("every order acked", async () => (await t.unsettled()) === 0, { timeoutMs: 20_000 });
      await sleep(1_000);
      expect(await t.deadLetters()).toEqual([]);
      expect(seen.filter((s) => s.endsWith("#3"))).toHaveLength(3);
    } finally {
      await subscription.stop();
      await t.dispose();
    }
  }, 40_000);
});
