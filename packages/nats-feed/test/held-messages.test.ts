// A message held while every handler slot is busy gets +WPI from the sweeper only every ~ackWait/2.
// When it finally starts, the feed counts a fresh ack wait from then — so the server's timer must be
// reset then too, or a handler that finishes well within the ack wait is redelivered anyway (duplicate
// handling, and each such delivery uses up one of max_deliver). Found by review.
import { describe, expect, it } from "vitest";
import { natsMissing, openTestFeed, order, usePrivateNatsServer } from "./support.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(natsMissing !== undefined)("JetStream feed: messages held for a handler slot", () => {
  const nats = usePrivateNatsServer();

  it("does not redeliver a held message whose handler finishes within the ack wait", async () => {
    // One slot, ack wait 2 s, each handler 1.8 s (never calls working()): three messages wait their turn.
    const t = await openTestFeed(nats.url(), { ackWaitMs: 2_000, backoffMs: [2_000], maxDeliver: 5 }, { maxConcurrentHandlers: 1 });
    const seen: string[] = [];
    const subscription = t.feed.consume(async (event, delivery) => {
      seen.push(`${event.orderId}#${delivery.deliveryCount}`);
      await sleep(1_800);
      return { kind: "ack" };
    });
    try {
      await subscription.ready;
      for (let i = 0; i < 4; i++) await t.publisher.publish(order(`h${i}`));
      await sleep(4 * 1_800 + 4_000);
    } finally {
      await subscription.stop();
      await t.dispose();
    }
    expect(seen.filter((s) => !s.endsWith("#1"))).toEqual([]);
    expect(seen).toHaveLength(4);
  }, 60_000);
});
