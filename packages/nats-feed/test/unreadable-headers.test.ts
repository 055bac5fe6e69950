// A stored message whose header block nats.js refuses to decode (a header name with a space, or
// non-ASCII — a non-JS producer can publish that): nats.js decodes headers lazily and throws on first
// access, and the dead-letter write copied the headers — so it threw on every delivery and the message
// was retried forever (found by review). Now it is dead-lettered with its bytes, and with the raw header
// block kept base64-encoded in one header.

import { connect as tcp } from "node:net";
import { encodeOrderEvent, type OrderHandler } from "@synclag/core";
import { pollUntil } from "@synclag/testkit";
import { describe, expect, it } from "vitest";
import { ackingHandler, natsMissing, openTestFeed, order, usePrivateNatsServer } from "./support.js";

/** Publishes with the raw client protocol (HPUB), as a non-JS producer may. */
async function rawPublish(url: string, subject: string, headerLines: string, payload: Uint8Array): Promise<void> {
  const { hostname, port } = new URL(url);
  const header = Buffer.from(`NATS/1.0\r\n${headerLines}\r\n\r\n`);
  await new Promise<void>((resolve, reject) => {
    const socket = tcp(Number(port), hostname, () => {
      socket.write(`CONNECT {"verbose":false,"pedantic":false,"headers":true,"protocol":1}\r\nHPUB ${subject} ${header.length} ${header.length + payload.length}\r\n`);
      socket.write(Buffer.concat([header, payload, Buffer.from("\r\nPING\r\n")]));
    });
    let seen = "";
    socket.on("data", (chunk) => {
      seen += chunk.toString();
      if (seen.includes("-ERR")) reject(new Error(seen));
      else if (seen.includes("PONG")) socket.end(() => resolve());
    });
    socket.on("error", reject);
  });
}

const BAD_HEADER = "X-Trace Id: abc";

describe.skipIf(natsMissing !== undefined)("JetStream feed: headers nats.js cannot decode", () => {
  const nats = usePrivateNatsServer();

  it("dead-letters an invalid event with such a header, keeping its bytes and the raw header block, and keeps consuming", async () => {
    const t = await openTestFeed(nats.url());
    const { handled, handler } = ackingHandler();
    const subscription = t.feed.consume(handler);
    try {
      await subscription.ready;
      await rawPublish(nats.url(), `${t.options.subjectPrefix}.foreign`, BAD_HEADER, new TextEncoder().encode("not json"));
      await t.publisher.publish(order("after-bad-header"));
      await pollUntil("the message was dead-lettered", async () => (await t.deadLetters()).length === 1, { timeoutMs: 15_000 });
      await pollUntil("the orders stream is empty", async () => (await t.unsettled()) === 0);
      const [letter] = await t.deadLetters();
      expect(letter?.kind).toBe("invalid");
      expect(new TextDecoder().decode(letter?.data)).toBe("not json");
      expect(letter?.headersUnreadable).toMatch(/could not read the original headers/);
      expect(new TextDecoder().decode(letter?.headersRaw)).toContain(BAD_HEADER);
      expect(handled).toEqual(["after-bad-header"]);
    } finally {
      await subscription.stop();
      await t.dispose();
    }
  }, 30_000);

  it("dead-letters a valid order with such a header once max-deliver runs out (the stored-message path)", async () => {
    const t = await openTestFeed(nats.url(), { ackWaitMs: 500, backoffMs: [], maxDeliver: 2 });
    let openGate!: () => void;
    const hang = new Promise<void>((resolve) => (openGate = resolve));
    const handler: OrderHandler = async () => {
      await hang; // never settles: the max-deliver advisory path reads the stored message
      return { kind: "ack" };
    };
    const subscription = t.feed.consume(handler);
    try {
      await subscription.ready;
      await rawPublish(nats.url(), `${t.options.subjectPrefix}.foreign`, BAD_HEADER, encodeOrderEvent(order("hung-with-bad-header")));
      await pollUntil("the order was dead-lettered", async () => (await t.deadLetters()).length === 1, { timeoutMs: 15_000 });
      await pollUntil("the orders stream is empty", async () => (await t.unsettled()) === 0);
      const [letter] = await t.deadLetters();
      expect(letter).toMatchObject({ kind: "max-deliver", orderId: "hung-with-bad-header" });
      expect(new TextDecoder().decode(letter?.headersRaw)).toContain(BAD_HEADER);
    } finally {
      openGate();
      await subscription.stop();
      await t.dispose();
    }
  }, 30_000);
});
