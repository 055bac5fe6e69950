import { jetstreamManager } from "@nats-io/jetstream";
import { startNatsServer } from "@synclag/testkit";
import { natsUrl } from "@synclag/testkit";
import { describe, expect, it } from "vitest";
import { JetStreamOrderPublisher, NatsFeedError, provisionStreams } from "../src/index.js";
import { connectTo, FAST, natsMissing, openTestFeed, order, uniqueNames, usePrivateNatsServer } from "./support.js";

describe.skipIf(natsMissing !== undefined)("JetStreamOrderPublisher", () => {
  const nats = usePrivateNatsServer();

  it("stores the order id as Nats-Msg-Id on a subject per source channel, and reports a second publish of the same order as a duplicate", async () => {
    const t = await openTestFeed(nats.url());
    try {
      const first = await t.publisher.publish(order("dup-1", { sourceChannel: "amazon" }));
      const again = await t.publisher.publish(order("dup-1", { sourceChannel: "amazon" }));
      expect(first.duplicate).toBe(false);
      expect(again).toEqual({ duplicate: true, sequence: first.sequence, conflict: false, rechecked: false });
      expect(await t.unsettled()).toBe(1);
      const jsm = await jetstreamManager(t.connection);
      const stored = await jsm.streams.getMessage(t.options.streamName ?? "", { seq: first.sequence });
      expect(stored?.subject).toBe(`${t.options.subjectPrefix}.amazon`);
      expect(stored?.header.get("Nats-Msg-Id")).toBe("dup-1");
    } finally {
      await t.dispose();
    }
  });

  it("publishes a batch with many acks outstanding and returns one outcome per event, in order, duplicates flagged", async () => {
    const t = await openTestFeed(nats.url());
    try {
      const events = Array.from({ length: 300 }, (_, i) => order(`batch-${i}`));
      const outcomes = await t.publisher.publishMany([...events, order("batch-7")]);
      expect(outcomes).toHaveLength(301);
      expect(outcomes.map((o) => o.orderId)).toEqual([...events.map((e) => e.orderId), "batch-7"]);
      expect(outcomes.filter((o) => o.ok && o.duplicate).map((o) => o.orderId)).toEqual(["batch-7"]);
      expect(outcomes.every((o) => o.ok)).toBe(true);
      expect(await t.unsettled()).toBe(300);
    } finally {
      await t.dispose();
    }
  });

  it("reports a failure per event in a batch without stopping the others", async () => {
    const t = await openTestFeed(nats.url());
    try {
      const outcomes = await t.publisher.publishMany([order("ok-1"), order("bad-1", { lines: [] }), order("ok-2")]);
      expect(outcomes.map((o) => (o.ok ? "ok" : o.error.reason))).toEqual(["ok", "invalid-event", "ok"]);
    } finally {
      await t.dispose();
    }
  });

  it("refuses to publish into a stream other than the configured one", async () => {
    const t = await openTestFeed(nats.url());
    try {
      const wrong = new JetStreamOrderPublisher({ connection: t.connection, subjectPrefix: t.options.subjectPrefix ?? "", streamName: "SOME_OTHER_STREAM" });
      const refused = await wrong.publish(order("w-1")).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(NatsFeedError);
      expect((refused as NatsFeedError).reason).toBe("wrong-stream");
      expect(await t.unsettled()).toBe(0);
    } finally {
      await t.dispose();
    }
  });

  it("gives up after its bounded attempts with a retryable error while the server is down", async () => {
    const server = await startNatsServer();
    const connection = await connectTo(natsUrl(server));
    try {
      const names = { ...FAST, ...uniqueNames("down") };
      await provisionStreams(connection, names);
      const publisher = new JetStreamOrderPublisher({ connection, ...names, ackTimeoutMs: 300, maxAttempts: 2, retryDelayMs: 50 });
      await server.kill();
      const refused = await publisher.publish(order("while-down")).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(NatsFeedError);
      expect((refused as NatsFeedError).retryable).toBe(true);
      expect(["timeout", "unavailable"]).toContain((refused as NatsFeedError).reason);
    } finally {
      await connection.close();
      await server.dispose();
    }
  }, 20_000);
});
