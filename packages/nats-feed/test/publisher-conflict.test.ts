// The duplicate window against issue 3's rule "same order id, different lines = conflict". Found by
// review: a different event reusing an order id inside the window was answered `{ duplicate: true }`
// and vanished — neither stored nor reported. Now a duplicate PubAck is checked against the stored event.
import { jetstreamManager } from "@nats-io/jetstream";
import { pollUntil } from "@synclag/testkit";
import { describe, expect, it } from "vitest";
import { encodeOrderEvent } from "@synclag/core";
import { recheckMessageIdFor } from "../src/index.js";
import { ackingHandler, natsMissing, openTestFeed, order, usePrivateNatsServer } from "./support.js";

describe.skipIf(natsMissing !== undefined)("JetStreamOrderPublisher: an order id reused inside the duplicate window", () => {
  const nats = usePrivateNatsServer();

  it("reports other lines or another source channel under a stored order id as a conflict and stores nothing; the same order (normalised) stays a duplicate", async () => {
    const t = await openTestFeed(nats.url());
    try {
      const first = await t.publisher.publish(order("X-1", { sourceChannel: "amazon", lines: [{ sku: "A", quantity: 2 }] }));
      expect(first).toEqual({ duplicate: false, sequence: 1, conflict: false, rechecked: false });

      const otherLines = await t.publisher.publish(order("X-1", { sourceChannel: "amazon", lines: [{ sku: "B", quantity: 9 }] }));
      expect(otherLines).toEqual({ duplicate: true, sequence: 1, conflict: true, rechecked: false });
      const otherChannel = await t.publisher.publish(order("X-1", { sourceChannel: "shopify", lines: [{ sku: "A", quantity: 2 }] }));
      expect(otherChannel).toMatchObject({ duplicate: true, conflict: true });

      // The same order as the store sees it: duplicate SKUs merged, another confirmation time.
      const same = await t.publisher.publish(order("X-1", { sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }, { sku: "A", quantity: 1 }], confirmedAtMs: 1_700_000_000_999 }));
      expect(same).toEqual({ duplicate: true, sequence: 1, conflict: false, rechecked: false });
      expect(await t.unsettled()).toBe(1);
    } finally {
      await t.dispose();
    }
  });

  it("dead-letters a conflict once however often it is retried: kind rejected, reason conflict, the event's bytes", async () => {
    const t = await openTestFeed(nats.url());
    try {
      await t.publisher.publish(order("X-2", { lines: [{ sku: "A", quantity: 1 }] }));
      const conflicting = order("X-2", { lines: [{ sku: "B", quantity: 3 }] });
      const receipt = await t.publisher.publish(conflicting);
      expect(receipt.conflict).toBe(true);
      const written = await t.publisher.deadLetterConflict(conflicting, receipt);
      expect(written.duplicate).toBe(false);
      // The marketplace retries the webhook: same conflict, same record.
      expect((await t.publisher.deadLetterConflict(conflicting, await t.publisher.publish(conflicting))).duplicate).toBe(true);
      const letters = await t.deadLetters();
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({ kind: "rejected", orderId: "X-2", streamSequence: 0, subject: `${t.options.subjectPrefix}.shopify` });
      expect(letters[0]?.reason).toMatch(/^conflict: order id already used with different lines or source channel \(ORDERS_\w+ #1, published again inside the stream's duplicate window\); this event was not stored$/);
      expect(Buffer.from(letters[0]?.data ?? new Uint8Array()).toString()).toBe(Buffer.from(encodeOrderEvent(conflicting)).toString());
      await expect(t.publisher.deadLetterConflict(conflicting, { duplicate: true, sequence: 1, conflict: false, rechecked: false })).rejects.toThrow(/needs a receipt with conflict: true/);
      expect(await t.unsettled()).toBe(1);
    } finally {
      await t.dispose();
    }
  });

  it("hands an order id whose stored message was already consumed to the store under a content-keyed id: a conflicting event reaches the consumer", async () => {
    const t = await openTestFeed(nats.url());
    const { handled, handler } = ackingHandler();
    const lines: string[] = [];
    const subscription = t.feed.consume(async (event, delivery) => {
      lines.push(JSON.stringify(event.lines));
      return handler(event, delivery);
    });
    try {
      const a = order("X-3", { lines: [{ sku: "A", quantity: 1 }] });
      const b = order("X-3", { lines: [{ sku: "B", quantity: 9 }] });
      await t.publisher.publish(a);
      await pollUntil("the first was consumed and removed", async () => handled.length === 1 && (await t.unsettled()) === 0);

      const second = await t.publisher.publish(b);
      expect(second).toEqual({ duplicate: false, sequence: 2, conflict: false, rechecked: true });
      await pollUntil("the conflicting event reached the consumer (the store refuses it there)", () => Promise.resolve(handled.length === 2));
      expect(lines).toEqual(['[{"sku":"A","quantity":1}]', '[{"sku":"B","quantity":9}]']);
      const jsm = await jetstreamManager(t.connection);
      const stored = await t.publisher.publish(b); // a retry of the same webhook: deduplicated on its own id
      expect(stored).toEqual({ duplicate: true, sequence: 2, conflict: false, rechecked: true });
      expect(recheckMessageIdFor(b)).toMatch(/^X-3%#[0-9a-f]{16}$/);
      expect((await jsm.streams.info(t.options.streamName ?? "")).state.last_seq).toBe(2);
    } finally {
      await subscription.stop();
      await t.dispose();
    }
  }, 20_000);
});
