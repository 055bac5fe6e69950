// Consumer settings the feed never sets can still decide what it receives. Found by review: an existing
// consumer with `headers_only: true` passed provisioning as unchanged, and every order then arrived with
// an empty body and was dead-lettered as malformed JSON (0 bytes) — orders lost; one with `max_batch`
// below the pull batch passed too, and nats-server refused every pull (409) — nothing consumed while the
// engine looked alive. Now provisioning refuses both (and fixes them with onMismatch "update"), the feed
// refuses to pull from such a consumer (`ready` fails, the error repeats until it is fixed), and a
// body-less delivery is handed back, never dead-lettered.

import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { pollUntil } from "@synclag/testkit";
import { describe, expect, it } from "vitest";
import { consumerConfig, JetStreamOrderFeed, JetStreamOrderPublisher, NatsFeedError, provisionStreams, readDeadLetters, resolveFeedOptions, type JetStreamFeedOptions } from "../src/index.js";
import { ackingHandler, connectTo, FAST, natsMissing, openTestFeed, order, uniqueNames, usePrivateNatsServer } from "./support.js";

/** Someone re-created the durable consumer with `change` on top of the feed's own settings. */
async function recreateConsumerWith(connection: NatsConnection, names: JetStreamFeedOptions, change: Record<string, unknown>): Promise<void> {
  const jsm = await jetstreamManager(connection);
  await jsm.consumers.delete(names.streamName ?? "", "engine");
  await jsm.consumers.add(names.streamName ?? "", { ...consumerConfig(resolveFeedOptions(names)), ...change });
}

async function storedCount(connection: NatsConnection, names: JetStreamFeedOptions): Promise<number> {
  const jsm = await jetstreamManager(connection);
  return (await jsm.streams.info(names.streamName ?? "")).state.messages;
}

describe.skipIf(natsMissing !== undefined)("JetStream feed: a consumer whose settings change what the feed receives", () => {
  const nats = usePrivateNatsServer();

  it.each([
    ["headers_only: true", { headers_only: true }, /headers_only/],
    ["max_batch below the pull batch", { max_batch: 10 }, /max_batch: expected unset, or at least 64/],
    ["max_expires below the pull expiry", { max_expires: 1_000_000_000 }, /max_expires/],
  ])("refuses a consumer with %s at provisioning and when consuming, dead-letters nothing, and consumes once it is fixed", async (_label, change, field) => {
    const names = { ...FAST, ...uniqueNames("drift") };
    const connection = await connectTo(nats.url());
    const errors: NatsFeedError[] = [];
    const notices: unknown[] = [];
    let subscription: ReturnType<JetStreamOrderFeed["consume"]> | undefined;
    try {
      await provisionStreams(connection, names);
      await recreateConsumerWith(connection, names, change);
      const refused = await provisionStreams(connection, names).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(NatsFeedError);
      expect(refused).toMatchObject({ reason: "incompatible-consumer" });
      expect((refused as Error).message).toMatch(field);

      // A worker started without provisioning (or before the fix) on that consumer.
      await new JetStreamOrderPublisher({ connection, ...names }).publish(order("valid-1"));
      const { handled, handler } = ackingHandler();
      const feed = new JetStreamOrderFeed({ connection, ...names, failureRetryDelayMs: 50, onError: (e) => errors.push(e), onDeadLetter: (n) => notices.push(n) });
      subscription = feed.consume(handler);
      const ready = await subscription.ready.then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(ready).toMatchObject({ reason: "incompatible-consumer" });
      expect((ready as Error).message).toMatch(field);
      // `ready` settles once; consumerProblem() follows the consumer (the service's /readyz reads it).
      expect(feed.consumerProblem()?.message).toMatch(field);
      await pollUntil("the feed said so again on its next attempt", () => errors.filter((e) => e.reason === "incompatible-consumer").length >= 2, { timeoutMs: 10_000 });
      expect(feed.consumerProblem()).toMatchObject({ reason: "incompatible-consumer" });
      expect(handled).toEqual([]);
      expect(notices).toEqual([]);
      expect(await storedCount(connection, names)).toBe(1);

      const fixed = await provisionStreams(connection, { ...names, onMismatch: "update" });
      expect(fixed.updated).toEqual([`consumer ${names.streamName}/engine`]);
      await pollUntil("the order was handled once the consumer was fixed", () => handled.includes("valid-1"), { timeoutMs: 20_000 });
      await pollUntil("the orders stream is empty", async () => (await storedCount(connection, names)) === 0);
      await pollUntil("the consumer problem cleared once a pull was served", () => feed.consumerProblem() === undefined, { timeoutMs: 10_000 });
      expect(await readDeadLetters(connection, names)).toEqual([]);
      expect(await provisionStreams(connection, names)).toMatchObject({ updated: [], created: [] });
    } finally {
      await subscription?.stop();
      await connection.drain();
    }
  }, 60_000);

  it.each([
    ["max_batch", { max_batch: 10 }],
    ["max_expires", { max_expires: 1_000_000_000 }],
  ])("says what to fix when the consumer's %s is lowered while consuming (every pull refused), and consumes again once it is fixed", async (field, change) => {
    const t = await openTestFeed(nats.url());
    const { handled, handler } = ackingHandler();
    const subscription = t.feed.consume(handler);
    try {
      await subscription.ready;
      expect(t.feed.consumerProblem()).toBeUndefined();
      const jsm = await jetstreamManager(t.connection);
      await jsm.consumers.update(t.options.streamName ?? "", "engine", change);
      await pollUntil("the refused pulls were reported with the field to fix", () => t.errors.some((e) => e.reason === "incompatible-consumer" && e.message.includes(field)), {
        timeoutMs: 15_000,
      });
      expect(t.feed.consumerProblem()).toMatchObject({ reason: "incompatible-consumer" });
      expect(t.errors.filter((e) => e.reason === "pull-backpressure")).toEqual([]);
      await provisionStreams(t.connection, { ...t.options, onMismatch: "update" });
      await t.publisher.publish(order("after-fix"));
      await pollUntil("the order was handled once the consumer was fixed", () => handled.includes("after-fix"), { timeoutMs: 20_000 });
      await pollUntil("the consumer problem cleared", () => t.feed.consumerProblem() === undefined, { timeoutMs: 10_000 });
    } finally {
      await subscription.stop();
      await t.dispose();
    }
  }, 60_000);

  it("hands back, and never dead-letters, an order delivered without its body by a consumer switched to headers-only while consuming", async () => {
    const t = await openTestFeed(nats.url());
    const { handled, handler } = ackingHandler();
    const subscription = t.feed.consume(handler);
    try {
      await subscription.ready;
      await t.publisher.publish(order("before"));
      await pollUntil("consuming", () => handled.includes("before"));
      const jsm = await jetstreamManager(t.connection);
      await jsm.consumers.update(t.options.streamName ?? "", "engine", { headers_only: true });
      await t.publisher.publish(order("while-headers-only"));
      await pollUntil("the body-less delivery was reported", () => t.errors.some((e) => e.reason === "incompatible-consumer" && /without its body/.test(e.message)), { timeoutMs: 15_000 });
      await pollUntil("the feed says why it consumes nothing", () => t.feed.consumerProblem() !== undefined);
      expect(await t.deadLetters()).toEqual([]);
      expect(t.deadLetterNotices).toEqual([]);
      expect(await t.unsettled()).toBe(1);
      expect(handled).toEqual(["before"]);

      await provisionStreams(t.connection, { ...t.options, onMismatch: "update" });
      await pollUntil("the order was handled once the consumer was fixed", () => handled.includes("while-headers-only"), { timeoutMs: 20_000 });
      await pollUntil("the orders stream is empty", async () => (await t.unsettled()) === 0);
      await pollUntil("the consumer problem cleared", () => t.feed.consumerProblem() === undefined, { timeoutMs: 10_000 });
      expect(await t.deadLetters()).toEqual([]);
    } finally {
      await subscription.stop();
      await t.dispose();
    }
  }, 60_000);
});
