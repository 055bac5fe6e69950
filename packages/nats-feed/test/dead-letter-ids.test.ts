// Dead-letter record ids against a real nats-server. The id is the dead-letter stream's Nats-Msg-Id, so
// two different dead letters with the same id inside the duplicate window are one record to JetStream:
// the second is dropped silently while the feed terminates its original — an order lost. A re-created
// orders stream restarts at sequence 1, so the id cannot be stream + sequence alone; yet every write of
// the SAME stored message (redeliveries, the handler and the max-deliver advisory path) must give the
// same id, or a lost term would leave two records.

import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { pollUntil } from "@synclag/testkit";
import { describe, expect, it } from "vitest";
import { deadLetterMessageId, timestampNanosFromIso, writeDeadLetter } from "../src/dead-letter.js";
import { resolveFeedOptions } from "../src/index.js";
import { natsMissing, openTestFeed, order, usePrivateNatsServer } from "./support.js";

describe.skipIf(natsMissing !== undefined)("JetStream feed: dead-letter record ids", () => {
  const nats = usePrivateNatsServer();

  it("keeps the dead letter of a re-created stream's message whose sequence matches an earlier dead letter", async () => {
    const t = await openTestFeed(nats.url());
    const subscription = t.feed.consume(async () => ({ kind: "dead-letter", reason: "unknown SKU" }));
    try {
      await subscription.ready;
      // Published without a Nats-Msg-Id (a foreign producer), as the publisher's id is not what matters here.
      await t.publishRaw(new TextEncoder().encode(JSON.stringify(order("before-recreate"))));
      await pollUntil("the first dead letter was written", async () => (await t.deadLetters()).length === 1);
      const jsm = await jetstreamManager(t.connection);
      await jsm.streams.delete(t.options.streamName ?? "");
      await pollUntil("the feed re-created the consumer", async () => jsm.consumers.info(t.options.streamName ?? "", "engine").then(() => true, () => false), { timeoutMs: 20_000 });
      await t.publishRaw(new TextEncoder().encode(JSON.stringify(order("after-recreate"))));
      await pollUntil("the second order was terminated", async () => (await t.unsettled()) === 0 && subscription.stats().deadLettered === 2, { timeoutMs: 20_000 });
      const letters = await t.deadLetters();
      // Both had sequence 1 in their stream; the second must not have been deduplicated away.
      expect(letters.map((l) => [l.orderId, l.streamSequence])).toEqual([
        ["before-recreate", 1],
        ["after-recreate", 1],
      ]);
      expect(t.deadLetterNotices.map((n) => n.orderId)).toEqual(["before-recreate", "after-recreate"]);
    } finally {
      await subscription.stop();
      await t.dispose();
    }
  }, 40_000);

  it("gives one stored message the same record id from a delivery and from a stream read, so a second write is a no-op", async () => {
    const t = await openTestFeed(nats.url());
    try {
      const feed = resolveFeedOptions(t.options);
      await t.publisher.publish(order("dead-lettered-twice"));
      const js = jetstream(t.connection);
      const consumer = await js.consumers.get(feed.streamName, feed.consumerName);
      const delivered = await consumer.next({ expires: 5_000 });
      if (!delivered) throw new Error("no delivery");
      const jsm = await jetstreamManager(t.connection);
      const stored = await jsm.streams.getMessage(feed.streamName, { seq: delivered.seq });
      if (!stored) throw new Error("message not stored");
      // The handler path sees the delivery, the max-deliver advisory path reads the stream.
      expect(timestampNanosFromIso(stored.timestamp)).toBe(delivered.timestampNanos);
      const base = { reason: "unknown SKU", subject: delivered.subject, sequence: delivered.seq, data: delivered.data, headers: delivered.headers };
      const first = await writeDeadLetter(js, feed, { ...base, kind: "rejected", deliveryCount: 1, timestampNanos: delivered.timestampNanos }, 3_000);
      const second = await writeDeadLetter(js, feed, { ...base, kind: "max-deliver", deliveryCount: 4, timestampNanos: timestampNanosFromIso(stored.timestamp) }, 3_000);
      expect(first.duplicate).toBe(false);
      expect(second).toEqual({ sequence: first.sequence, duplicate: true });
      expect(await t.deadLetters()).toHaveLength(1);
      expect(deadLetterMessageId(feed.streamName, delivered.seq, delivered.timestampNanos)).toMatch(new RegExp(`^dlq:${feed.streamName}:${delivered.seq}:\\d{19}$`));
      delivered.term();
    } finally {
      await t.dispose();
    }
  }, 20_000);
});
