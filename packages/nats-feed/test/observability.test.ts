// What the feed and the connection tell the service's log: one notice per dead letter the feed wrote,
// connection events (disconnect, reconnect, close), and a missing stream worded as such.

import { jetstreamManager } from "@nats-io/jetstream";
import { natsUrl, pollUntil, startNatsServer } from "@synclag/testkit";
import { describe, expect, it, vi } from "vitest";
import { connectNats, JetStreamOrderFeed, JetStreamOrderPublisher, NatsFeedError, type NatsConnectionEvent } from "../src/index.js";
import { natsMissing, openTestFeed, order, usePrivateNatsServer } from "./support.js";

const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

describe.skipIf(natsMissing !== undefined)("JetStream feed: what reaches the log", () => {
  const nats = usePrivateNatsServer();

  it("reports each dead letter it writes through onDeadLetter: kind, order id (or its hint), reason, sequences", async () => {
    const t = await openTestFeed(nats.url());
    const subscription = t.feed.consume(async () => ({ kind: "ack" }));
    try {
      await t.publishRaw(json({ orderId: "p-neg", sourceChannel: "shopify", lines: [{ sku: "A", quantity: -2 }], confirmedAtMs: 1 }));
      await t.publishRaw(new TextEncoder().encode("{not json"));
      await pollUntil("both dead letters were written", async () => (await t.deadLetters()).length === 2);
      await pollUntil("both were reported", () => t.deadLetterNotices.length === 2);
      const letters = await t.deadLetters();
      const negative = t.deadLetterNotices.find((n) => n.orderId === "p-neg");
      expect(negative).toMatchObject({ kind: "invalid", stream: t.options.streamName, subject: `${t.options.subjectPrefix}.raw`, deliveryCount: 1 });
      expect(negative?.reason).toMatch(/lines\.0\.quantity/);
      expect(negative?.streamSequence).toBe(letters.find((l) => l.orderId === "p-neg")?.streamSequence);
      const garbage = t.deadLetterNotices.find((n) => n.orderId === undefined);
      expect(garbage).toMatchObject({ kind: "invalid" });
      expect(garbage).not.toHaveProperty("orderId");
      expect(garbage?.reason).toMatch(/malformed JSON/);
    } finally {
      await subscription.stop();
      await t.dispose();
    }
  });

  it("writes a dead letter to stderr when no onDeadLetter is given", async () => {
    const t = await openTestFeed(nats.url());
    const lines: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((line: unknown) => void lines.push(String(line)));
    const feed = new JetStreamOrderFeed({ connection: t.connection, ...t.options, onError: () => {} });
    const subscription = feed.consume(async () => ({ kind: "dead-letter", reason: "unknown SKU" }));
    try {
      await t.publisher.publish(order("o-unknown"));
      await pollUntil("the dead letter was logged", () => lines.some((line) => line.includes("o-unknown")));
      expect(lines.find((line) => line.includes("o-unknown"))).toMatch(/order o-unknown dead-lettered \(rejected, .* #1\): unknown SKU/);
    } finally {
      await subscription.stop();
      spy.mockRestore();
      await t.dispose();
    }
  });

  it("words a publish to a missing orders stream as a missing stream, not as JetStream being disabled", async () => {
    const t = await openTestFeed(nats.url());
    try {
      const jsm = await jetstreamManager(t.connection);
      await jsm.streams.delete(t.options.streamName ?? "");
      const publisher = new JetStreamOrderPublisher({ connection: t.connection, ...t.options, maxAttempts: 1 });
      const refused = await publisher.publish(order("no-stream")).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(NatsFeedError);
      expect((refused as NatsFeedError).reason).toBe("stream-not-found");
      expect((refused as NatsFeedError).message).toMatch(/no stream stores subject '.*'.*stream is missing/);
      expect((refused as NatsFeedError).message).not.toMatch(/jetstream is not enabled/i);
    } finally {
      await t.dispose();
    }
  });
});

describe.skipIf(natsMissing !== undefined)("connectNats onStatus", () => {
  it("reports disconnect, reconnect (with the downtime) and close", async () => {
    const server = await startNatsServer();
    const events: NatsConnectionEvent[] = [];
    const connection = await connectNats({ servers: natsUrl(server), reconnectTimeWaitMs: 100, onStatus: (event) => events.push(event) });
    try {
      await server.stop("SIGTERM");
      await pollUntil("the disconnect was reported", () => events.some((e) => e.type === "disconnect"), { timeoutMs: 10_000 });
      await server.restart();
      await pollUntil("the reconnect was reported", () => events.some((e) => e.type === "reconnect"), { timeoutMs: 10_000 });
      await connection.close();
      await pollUntil("the close was reported", () => events.some((e) => e.type === "closed"));
      const disconnect = events.find((e) => e.type === "disconnect");
      expect(disconnect).toMatchObject({ level: "warn", server: expect.stringContaining(String(server.port)) });
      expect(disconnect?.message).toMatch(/lost; reconnecting/);
      const reconnect = events.find((e) => e.type === "reconnect");
      expect(reconnect).toMatchObject({ level: "info", downMs: expect.any(Number) });
      expect(reconnect?.message).toMatch(/re-established after \d+ ms/);
      expect(events.filter((e) => e.type === "disconnect")).toHaveLength(1);
      expect(events.at(-1)).toMatchObject({ type: "closed", level: "info" });
    } finally {
      if (!connection.isClosed()) await connection.close();
      await server.dispose();
    }
  }, 30_000);
});
