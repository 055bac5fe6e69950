// A dead-letter write that fails on an order's LAST delivery (dead-letter stream full with discard:new,
// a publish timeout, a brief outage) must not end the order. Found by review: the feed nak'd it, the
// server stopped delivering (max_deliver), the max-deliver advisory path tried once more, failed and
// gave up — the order sat in the orders stream, neither processed nor dead-lettered, until max_age.
// Now the last delivery is kept alive and the write retried; the advisory path retries too; and what a
// stopped worker leaves behind is handed back or found by the exhausted-message sweep of the next one.

import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { pollUntil } from "@synclag/testkit";
import { describe, expect, it } from "vitest";
import { JetStreamOrderFeed, type JetStreamFeedOptions, type NatsFeedError } from "../src/index.js";
import { natsMissing, openTestFeed, order, usePrivateNatsServer, type TestFeed } from "./support.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The dead-letter stream refuses every write (1 byte, discard new), like a full DLQ. */
const FULL_DLQ: JetStreamFeedOptions = { deadLetterMaxBytes: 1 };

/** What an operator does: raise the dead-letter stream's limit. */
async function fixDeadLetterStream(connection: NatsConnection, options: JetStreamFeedOptions): Promise<void> {
  const jsm = await jetstreamManager(connection);
  const name = options.deadLetterStreamName ?? "";
  const info = await jsm.streams.info(name);
  await jsm.streams.update(name, { ...info.config, max_bytes: 64 * 1024 * 1024 });
}

/** Once the order is in the dead-letter stream and the orders stream is empty: the dead letters. */
async function deadLetteredAndDrained(t: TestFeed, timeoutMs: number): ReturnType<TestFeed["deadLetters"]> {
  await pollUntil("the order was dead-lettered", async () => (await t.deadLetters()).length === 1, { timeoutMs });
  await pollUntil("the orders stream is empty", async () => (await t.unsettled()) === 0);
  return t.deadLetters();
}

async function consumerState(t: TestFeed): Promise<{ ackPending: number; pending: number }> {
  const jsm = await jetstreamManager(t.connection);
  const info = await jsm.consumers.info(t.options.streamName ?? "", "engine");
  return { ackPending: info.num_ack_pending, pending: info.num_pending };
}

/** A second worker process on the same streams (same connection: the first one was stopped). */
function secondFeed(t: TestFeed, errors: NatsFeedError[], exhaustedSweepIntervalMs = 60_000): JetStreamOrderFeed {
  return new JetStreamOrderFeed({
    connection: t.connection,
    ...t.options,
    failureRetryDelayMs: 50,
    stopTimeoutMs: 5_000,
    apiTimeoutMs: 3_000,
    exhaustedSweepIntervalMs,
    onError: (error) => errors.push(error),
    onDeadLetter: () => {},
  });
}

describe.skipIf(natsMissing !== undefined)("JetStream feed: dead-letter write failing on the last delivery", () => {
  const nats = usePrivateNatsServer();

  it("keeps the last delivery alive and dead-letters the order once the dead-letter stream accepts writes again", async () => {
    // FAST: ack wait 1 s, max deliver 4.
    const t = await openTestFeed(nats.url(), FULL_DLQ);
    const deliveries: number[] = [];
    const subscription = t.feed.consume(async (_event, delivery) => {
      deliveries.push(delivery.deliveryCount);
      return { kind: "dead-letter", reason: "conflict" };
    });
    try {
      await subscription.ready;
      await t.publisher.publish(order("stuck-1"));
      await pollUntil("the last delivery's dead-letter write failed", () => deliveries.length === 4 && t.errors.filter((e) => e.reason === "dead-letter-failed").length >= 5, {
        timeoutMs: 15_000,
      });
      await sleep(3_000); // several ack waits: the kept-alive delivery is neither redelivered nor given up
      expect(deliveries).toEqual([1, 2, 3, 4]);
      expect(await t.unsettled()).toBe(1);
      expect(await consumerState(t)).toEqual({ ackPending: 1, pending: 0 });
      expect(await t.deadLetters()).toEqual([]);

      await fixDeadLetterStream(t.connection, t.options);
      const [letter] = await deadLetteredAndDrained(t, 40_000);
      expect(letter).toMatchObject({ kind: "rejected", reason: "conflict", orderId: "stuck-1", deliveryCount: 4 });
      expect(deliveries).toEqual([1, 2, 3, 4]);
      expect(t.deadLetterNotices).toHaveLength(1);
      expect(subscription.stats()).toMatchObject({ deadLettered: 1, deadLettersPending: 0 });
    } finally {
      await subscription.stop();
      await t.dispose();
    }
  }, 70_000);

  it("retries a failed dead-letter write on the max-deliver advisory path until it succeeds", async () => {
    const t = await openTestFeed(nats.url(), { ...FULL_DLQ, ackWaitMs: 500, backoffMs: [500], maxDeliver: 3 }, { stopTimeoutMs: 500 });
    let openGate!: () => void;
    const hang = new Promise<void>((resolve) => (openGate = resolve));
    const subscription = t.feed.consume(async () => {
      await hang; // never settles: max-deliver, reported by the advisory
      return { kind: "ack" };
    });
    try {
      await subscription.ready;
      await t.publisher.publish(order("hung-1"));
      await pollUntil("the advisory path's dead-letter write failed", () => subscription.stats().deadLettersPending === 1, { timeoutMs: 15_000 });
      await sleep(1_500);
      expect(await t.deadLetters()).toEqual([]);
      expect(subscription.stats().deadLettersPending).toBe(1);

      await fixDeadLetterStream(t.connection, t.options);
      expect((await deadLetteredAndDrained(t, 40_000))[0]).toMatchObject({ kind: "max-deliver", orderId: "hung-1", deliveryCount: 3 });
    } finally {
      openGate();
      await subscription.stop();
      await t.dispose();
    }
  }, 70_000);

  it("hands a still-unwritten last delivery back on stop(); the next worker dead-letters it", async () => {
    const t = await openTestFeed(nats.url(), FULL_DLQ);
    const first = t.feed.consume(async () => ({ kind: "dead-letter", reason: "unknown SKU" }));
    const errors: NatsFeedError[] = [];
    const next = secondFeed(t, errors);
    let second: ReturnType<JetStreamOrderFeed["consume"]> | undefined;
    try {
      await first.ready;
      await t.publisher.publish(order("handed-back-1"));
      await pollUntil("the last delivery waits for a dead-letter retry", () => first.stats().deadLettersPending === 1, { timeoutMs: 15_000 });
      await first.stop();
      expect(t.errors.some((e) => /stopped with 1 dead letter/.test(e.message))).toBe(true);
      expect(await t.unsettled()).toBe(1);

      await fixDeadLetterStream(t.connection, t.options);
      // The same engine code refuses it again (the exhausted-message sweep runs it through the handler).
      second = next.consume(async () => ({ kind: "dead-letter", reason: "unknown SKU" }));
      await second.ready;
      expect((await deadLetteredAndDrained(t, 20_000))[0]?.orderId).toBe("handed-back-1");
    } finally {
      await first.stop();
      await second?.stop();
      await t.dispose();
    }
  }, 60_000);

  it("runs an exhausted message no worker dead-lettered (the advisory was lost with its worker) through the handler when consuming starts", async () => {
    const t = await openTestFeed(nats.url(), { ...FULL_DLQ, ackWaitMs: 500, backoffMs: [500], maxDeliver: 3 }, { stopTimeoutMs: 300 });
    let openGate!: () => void;
    const hang = new Promise<void>((resolve) => (openGate = resolve));
    const first = t.feed.consume(async () => {
      await hang;
      return { kind: "ack" };
    });
    const errors: NatsFeedError[] = [];
    const next = secondFeed(t, errors);
    let second: ReturnType<JetStreamOrderFeed["consume"]> | undefined;
    try {
      await first.ready;
      await t.publisher.publish(order("orphan-1"));
      await pollUntil("the advisory path's dead-letter write failed", () => first.stats().deadLettersPending === 1, { timeoutMs: 15_000 });
      await first.stop(); // the worker goes away with its retry
      expect(await consumerState(t)).toEqual({ ackPending: 0, pending: 0 });
      expect(await t.unsettled()).toBe(1);

      await fixDeadLetterStream(t.connection, t.options);
      // The sweep cannot tell an exhausted message from one restored below the ack floor after an
      // unclean server restart: it gives it a last run through the handler (orphan-sweep.test.ts).
      const handled: string[] = [];
      second = next.consume(async (event) => {
        handled.push(event.orderId);
        return { kind: "ack" };
      });
      await second.ready;
      await pollUntil("the orders stream is empty", async () => (await t.unsettled()) === 0, { timeoutMs: 20_000 });
      expect(handled).toEqual(["orphan-1"]);
      expect(await t.deadLetters()).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      openGate();
      await first.stop();
      await second?.stop();
      await t.dispose();
    }
  }, 60_000);

  it("never dead-letters messages that are merely waiting or in flight when consuming starts", async () => {
    const t = await openTestFeed(nats.url(), {}, { exhaustedSweepIntervalMs: 200 });
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const handled = new Set<string>();
    const subscription = t.feed.consume(async (event, delivery) => {
      delivery.working();
      await gate;
      handled.add(event.orderId);
      return { kind: "ack" };
    });
    try {
      await subscription.ready;
      for (let i = 0; i < 5; i++) await t.publisher.publish(order(`busy-${i}`));
      await sleep(2_500); // several sweeps while everything is ack-pending
      openGate();
      await pollUntil("every order was handled", () => handled.size === 5);
      await pollUntil("the orders stream is empty", async () => (await t.unsettled()) === 0);
      await sleep(1_500);
      expect(await t.deadLetters()).toEqual([]);
    } finally {
      openGate();
      await subscription.stop();
      await t.dispose();
    }
  }, 30_000);
});
