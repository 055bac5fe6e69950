import { jetstreamManager } from "@nats-io/jetstream";
import type { OrderHandler } from "@synclag/core";
import { pollUntil } from "@synclag/testkit";
import { describe, expect, it } from "vitest";
import { provisionStreams } from "../src/index.js";
import { natsMissing, openTestFeed, order, usePrivateNatsServer } from "./support.js";

const SHORT = { ackWaitMs: 500, backoffMs: [500], maxDeliver: 3 };

describe.skipIf(natsMissing !== undefined)("JetStream feed: max-deliver and dead-letter failures", () => {
  const nats = usePrivateNatsServer();

  it("dead-letters an order that no delivery settled once max-deliver is reached, and removes it from the orders stream", async () => {
    const t = await openTestFeed(nats.url(), SHORT);
    let openGate!: () => void;
    const hang = new Promise<void>((resolve) => (openGate = resolve));
    const deliveries: number[] = [];
    const handler: OrderHandler = async (event, delivery) => {
      if (event.orderId === "never-settles") {
        deliveries.push(delivery.deliveryCount);
        await hang;
      }
      return { kind: "ack" };
    };
    const subscription = t.feed.consume(handler);
    try {
      await t.publisher.publish(order("never-settles"));
      await t.publisher.publish(order("fine"));
      await pollUntil("the max-deliver dead letter was written", async () => (await t.deadLetters()).length === 1, { timeoutMs: 10_000 });
      await pollUntil("the orders stream is empty", async () => (await t.unsettled()) === 0);
      const [letter] = await t.deadLetters();
      expect(letter?.kind).toBe("max-deliver");
      expect(letter?.orderId).toBe("never-settles");
      expect(letter?.deliveryCount).toBe(3);
      expect(letter?.reason).toMatch(/not settled after 3 deliveries/);
      expect(deliveries).toEqual([1, 2, 3]);
      // One notice for the log ("order X dead-lettered: reason"), with what the record holds.
      expect(t.deadLetterNotices).toEqual([
        {
          kind: "max-deliver",
          orderId: "never-settles",
          reason: letter?.reason,
          stream: t.options.streamName,
          subject: letter?.subject,
          streamSequence: letter?.streamSequence,
          deliveryCount: 3,
          deadLetterSequence: letter?.deadLetterSequence,
        },
      ]);
    } finally {
      openGate();
      await subscription.stop();
      await t.dispose();
    }
  }, 20_000);

  it("dead-letters an order still asking for a retry on its last allowed delivery, with the handler's last reason", async () => {
    const t = await openTestFeed(nats.url(), SHORT);
    const deliveries: number[] = [];
    const subscription = t.feed.consume(async (_event, delivery) => {
      deliveries.push(delivery.deliveryCount);
      return { kind: "retry", delayMs: 20, reason: `channel still throttled (attempt ${delivery.deliveryCount})` };
    });
    try {
      await t.publisher.publish(order("keeps-retrying"));
      await pollUntil("the dead letter was written", async () => (await t.deadLetters()).length === 1, { timeoutMs: 10_000 });
      await pollUntil("the orders stream is empty", async () => (await t.unsettled()) === 0);
      const [letter] = await t.deadLetters();
      expect(letter?.kind).toBe("retries-exhausted");
      expect(letter?.reason).toMatch(/gave up after 3 deliveries.*attempt 3/);
      expect(deliveries).toEqual([1, 2, 3]);
      expect(t.deadLetterNotices).toEqual([expect.objectContaining({ kind: "retries-exhausted", orderId: "keeps-retrying", reason: letter?.reason, deliveryCount: 3 })]);
    } finally {
      await subscription.stop();
      await t.dispose();
    }
  }, 20_000);

  it("keeps an order it cannot dead-letter (dead-letter stream gone) and dead-letters it once the stream is back", async () => {
    // recreateMissing off: the feed would otherwise re-create the dead-letter stream itself (resource-loss.test.ts).
    const t = await openTestFeed(nats.url(), { maxDeliver: 20 }, { recreateMissing: false });
    const jsm = await jetstreamManager(t.connection);
    await jsm.streams.delete(t.options.deadLetterStreamName ?? "");
    const deliveries: number[] = [];
    const subscription = t.feed.consume(async (_event, delivery) => {
      deliveries.push(delivery.deliveryCount);
      return { kind: "dead-letter", reason: "unknown SKU" };
    });
    try {
      await t.publisher.publish(order("rejected-while-dlq-down"));
      await pollUntil("a dead-letter write failed", () => t.errors.some((e) => e.reason === "dead-letter-failed"));
      expect(await t.unsettled()).toBe(1);
      await provisionStreams(t.connection, t.options);
      await pollUntil("the dead letter was written", async () => (await t.deadLetters()).length === 1, { timeoutMs: 15_000 });
      await pollUntil("the orders stream is empty", async () => (await t.unsettled()) === 0);
      expect(deliveries.length).toBeGreaterThanOrEqual(2);
      expect((await t.deadLetters())[0]?.reason).toBe("unknown SKU");
    } finally {
      await subscription.stop();
      await t.dispose();
    }
  }, 30_000);
});
