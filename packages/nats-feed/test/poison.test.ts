import { jetstream } from "@nats-io/jetstream";
import type { Disposition, OrderEvent, OrderHandler } from "@synclag/core";
import { MAX_ORDER_EVENT_BYTES } from "@synclag/core";
import { pollUntil } from "@synclag/testkit";
import { describe, expect, it } from "vitest";
import { NatsFeedError } from "../src/index.js";
import { natsMissing, openTestFeed, order, usePrivateNatsServer } from "./support.js";

const ACK: Disposition = { kind: "ack" };
const text = (value: string): Uint8Array => new TextEncoder().encode(value);
const json = (value: unknown): Uint8Array => text(JSON.stringify(value));
const valid = { orderId: "x", sourceChannel: "shopify", lines: [{ sku: "SKU-1", quantity: 1 }], confirmedAtMs: 1_700_000_000_000 };

/** Each entry is published raw, as a foreign producer would, and must be dead-lettered with this reason. */
const corpus: readonly { readonly name: string; readonly bytes: Uint8Array; readonly reason: RegExp }[] = [
  { name: "malformed JSON", bytes: text('{"orderId": "p-1", "lines": ['), reason: /malformed JSON/ },
  { name: "empty payload", bytes: new Uint8Array(), reason: /malformed JSON/ },
  { name: "bytes that are not UTF-8", bytes: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), reason: /not valid UTF-8/ },
  { name: "a JSON array instead of an object", bytes: json([1, 2, 3]), reason: /expected object/i },
  { name: "JSON null", bytes: text("null"), reason: /expected object/i },
  { name: "a missing order id", bytes: json({ ...valid, orderId: undefined }), reason: /orderId/ },
  { name: "an empty order id", bytes: json({ ...valid, orderId: "" }), reason: /orderId/ },
  { name: "a negative quantity", bytes: json({ ...valid, orderId: "p-neg", lines: [{ sku: "SKU-1", quantity: -2 }] }), reason: /lines\.0\.quantity/ },
  { name: "a fractional quantity", bytes: json({ ...valid, orderId: "p-frac", lines: [{ sku: "SKU-1", quantity: 1.5 }] }), reason: /lines\.0\.quantity/ },
  { name: "a quantity given as a string", bytes: json({ ...valid, orderId: "p-str", lines: [{ sku: "SKU-1", quantity: "1" }] }), reason: /lines\.0\.quantity/ },
  { name: "no lines", bytes: json({ ...valid, orderId: "p-nolines", lines: [] }), reason: /lines/ },
  { name: "a SKU with a control character", bytes: json({ ...valid, orderId: "p-ctl", lines: [{ sku: "A\u0007B", quantity: 1 }] }), reason: /control characters/ },
  { name: "a SKU longer than 200 UTF-8 bytes", bytes: json({ ...valid, orderId: "p-long", lines: [{ sku: "é".repeat(101), quantity: 1 }] }), reason: /at most 200 bytes/ },
];

describe.skipIf(natsMissing !== undefined)("JetStream feed: poison events", () => {
  const nats = usePrivateNatsServer();

  it("dead-letters every event of the poison corpus with its reason, bytes and headers, and keeps handling the valid ones in between", async () => {
    const t = await openTestFeed(nats.url());
    const handled: OrderEvent[] = [];
    const handler: OrderHandler = async (event) => {
      handled.push(event);
      return ACK;
    };
    const subscription = t.feed.consume(handler);
    const js = jetstream(t.connection);
    try {
      const sentinels: string[] = [];
      for (const [index, item] of corpus.entries()) {
        await js.publish(`${t.options.subjectPrefix}.foreign`, item.bytes, { msgID: `poison-${index}` });
        const sentinel = `after-poison-${index}`;
        sentinels.push(sentinel);
        await t.publisher.publish(order(sentinel));
      }
      await pollUntil("every valid order was handled", () => sentinels.every((id) => handled.some((e) => e.orderId === id)), { timeoutMs: 15_000 });
      await pollUntil("every poison event was dead-lettered", async () => (await t.deadLetters()).length === corpus.length, { timeoutMs: 15_000 });
      await pollUntil("nothing is left unsettled", async () => (await t.unsettled()) === 0);

      expect(handled.map((e) => e.orderId).sort()).toEqual([...sentinels].sort());
      const letters = await t.deadLetters();
      for (const [index, item] of corpus.entries()) {
        const letter = letters.find((l) => l.headers["Nats-Msg-Id"]?.[0] === `poison-${index}`);
        expect(letter, item.name).toBeDefined();
        expect(letter?.kind, item.name).toBe("invalid");
        expect(letter?.reason, item.name).toMatch(item.reason);
        expect(letter?.data, item.name).toEqual(item.bytes);
        expect(letter?.deliveryCount, item.name).toBe(1);
        expect(letter?.subject, item.name).toBe(`${t.options.subjectPrefix}.foreign`);
      }
      expect(letters.find((l) => l.headers["Nats-Msg-Id"]?.[0] === "poison-7")?.orderId).toBe("p-neg");
    } finally {
      await subscription.stop();
      await t.dispose();
    }
  }, 40_000);

  it("delivers valid unicode SKUs normalised to NFC, and ignores unknown fields (documented policy)", async () => {
    const t = await openTestFeed(nats.url());
    const handled = new Map<string, OrderEvent>();
    const subscription = t.feed.consume(async (event) => {
      handled.set(event.orderId, event);
      return ACK;
    });
    try {
      await t.publishRaw(json({ ...valid, orderId: "u-nfd", lines: [{ sku: "cafe\u0301-42", quantity: 2 }] }));
      await t.publishRaw(json({ ...valid, orderId: "u-emoji", lines: [{ sku: "👟-größe-42", quantity: 1 }] }));
      await t.publishRaw(json({ ...valid, orderId: "u-extra", giftNote: "not part of the schema", lines: [{ sku: "SKU-1", quantity: 1, colour: "red" }] }));
      await pollUntil("the three orders were handled", () => handled.size === 3);
      expect(handled.get("u-nfd")?.lines).toEqual([{ sku: "caf\u00e9-42", quantity: 2 }]);
      expect(handled.get("u-emoji")?.lines).toEqual([{ sku: "👟-größe-42", quantity: 1 }]);
      expect(handled.get("u-extra")).toEqual({ ...valid, orderId: "u-extra" });
      expect(await t.deadLetters()).toEqual([]);
    } finally {
      await subscription.stop();
      await t.dispose();
    }
  }, 20_000);

  it("refuses an oversize payload at the publisher and at the stream; nothing is stored or dead-lettered", async () => {
    const t = await openTestFeed(nats.url());
    try {
      const huge = { ...order("too-big"), note: "x".repeat(MAX_ORDER_EVENT_BYTES) } as OrderEvent;
      const refused = await t.publisher.publish(huge).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(NatsFeedError);
      expect((refused as NatsFeedError).reason).toBe("oversize");
      expect((refused as NatsFeedError).retryable).toBe(false);

      // A foreign producer bypassing the publisher hits the stream's max_msg_size.
      await expect(t.publishRaw(new Uint8Array(MAX_ORDER_EVENT_BYTES + 8 * 1024).fill(0x20))).rejects.toThrow(/size exceeds maximum/);
      expect(await t.unsettled()).toBe(0);
      expect(await t.deadLetters()).toEqual([]);
    } finally {
      await t.dispose();
    }
  }, 20_000);

  it("refuses to publish an event the consumer would dead-letter, naming the problem", async () => {
    const t = await openTestFeed(nats.url());
    try {
      const bad = order("neg-1", { lines: [{ sku: "SKU-1", quantity: -1 }] });
      const refused = await t.publisher.publish(bad).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(NatsFeedError);
      expect((refused as NatsFeedError).reason).toBe("invalid-event");
      expect((refused as NatsFeedError).message).toMatch(/lines\.0\.quantity/);
      expect(await t.unsettled()).toBe(0);
    } finally {
      await t.dispose();
    }
  }, 20_000);
});
