// An orders stream that refuses deletes under a running feed (deny_delete set after provisioning; a
// fresh provisioning refuses such a stream). Found by review: the max-deliver path wrote the dead letter,
// failed to delete the message, and retried the whole step forever — and counted the dead letter again
// on every retry, although the dead-letter stream stored it once (the record id deduplicates).
import { jetstreamManager } from "@nats-io/jetstream";
import { pollUntil } from "@synclag/testkit";
import { describe, expect, it } from "vitest";
import type { Metrics } from "@synclag/core";
import { JetStreamOrderFeed, type DeadLetterNotice, type NatsFeedError } from "../src/index.js";
import { connectTo, natsMissing, openTestFeed, order, usePrivateNatsServer } from "./support.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function countingMetrics(): { readonly metrics: Metrics; readonly counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const metrics: Metrics = {
    increment: (name, labels, by = 1) => {
      const key = `${name}${labels ? JSON.stringify(labels) : ""}`;
      counts.set(key, (counts.get(key) ?? 0) + by);
    },
    observe: () => {},
    gauge: () => {},
  };
  return { metrics, counts };
}

describe.skipIf(natsMissing !== undefined)("JetStream feed: an orders stream that refuses deletes", () => {
  const nats = usePrivateNatsServer();

  it("dead-letters a max-deliver message once, counts it once, reports delete-denied once and stops retrying; the message stays stored", async () => {
    const { metrics, counts } = countingMetrics();
    const t = await openTestFeed(nats.url(), { ackWaitMs: 500, backoffMs: [500], maxDeliver: 3 });
    // An operator turns deny_delete on under the running feed (nats-server allows setting it, never lifting it).
    await (await jetstreamManager(t.connection)).streams.update(t.options.streamName ?? "", { deny_delete: true });
    // The first worker has a connection of its own: it "crashes" (connection closed) at the end, so its
    // hung handler's late ack never reaches the server and the message stays stored.
    const crashing = await connectTo(nats.url());
    const errors: NatsFeedError[] = [];
    const notices: DeadLetterNotice[] = [];
    const feed = new JetStreamOrderFeed({ connection: crashing, ...t.options, failureRetryDelayMs: 50, metrics, onError: (e) => errors.push(e), onDeadLetter: (n) => notices.push(n) });
    let release!: () => void;
    const hung = new Promise<void>((resolve) => (release = resolve));
    const subscription = feed.consume(async () => {
      await hung; // every delivery's ack wait runs out: the server gives up after 3 and sends the advisory
      return { kind: "ack" };
    });
    try {
      await subscription.ready;
      await t.publisher.publish(order("hangs-1"));
      await pollUntil("the dead letter was written", async () => (await t.deadLetters()).length >= 1, { timeoutMs: 15_000 });
      // failureRetryDelayMs is 50 ms: a retry loop would have run many times by now.
      await sleep(3_000);
      expect(counts.get('nats_feed_dead_letters_total{"kind":"max-deliver"}')).toBe(1);
      expect(subscription.stats()).toMatchObject({ deadLettered: 1, deadLettersPending: 0, undeletable: 1 });
      const denied = errors.filter((e) => e.reason === "delete-denied");
      expect(denied).toHaveLength(1);
      expect(denied[0]?.retryable).toBe(false);
      expect(denied[0]?.message).toMatch(/#1 \(its dead letter \(max-deliver\) is written\) cannot be deleted: the stream refuses message deletes \(message delete not permitted/);
      expect(errors.filter((e) => e.reason !== "delete-denied")).toEqual([]);
      expect(counts.get('nats_feed_errors_total{"reason":"delete-denied"}')).toBe(1);
      expect(notices.map((n) => [n.kind, n.orderId])).toEqual([["max-deliver", "hangs-1"]]);
      const [letter, ...others] = await t.deadLetters();
      expect(others).toEqual([]);
      expect(letter).toMatchObject({ kind: "max-deliver", orderId: "hangs-1" });
      // Not lost: dead-lettered, and still stored in the orders stream (never delivered again).
      expect(await t.unsettled()).toBe(1);
    } finally {
      await crashing.close();
      release();
    }

    // A worker started later finds it in its exhausted-message sweep and runs it once more through the
    // handler (an idempotent store answers "duplicate": acked) — once, not on every sweep.
    const later: NatsFeedError[] = [];
    const seen: string[] = [];
    const next = new JetStreamOrderFeed({ connection: t.connection, ...t.options, failureRetryDelayMs: 50, stopTimeoutMs: 5_000, exhaustedSweepIntervalMs: 300, onError: (e) => later.push(e), onDeadLetter: () => {} });
    const second = next.consume((event) => {
      seen.push(event.orderId);
      return Promise.resolve({ kind: "ack" });
    });
    try {
      await pollUntil("the sweep ran it through the handler", () => Promise.resolve(seen.length >= 1), { timeoutMs: 10_000 });
      await sleep(2_000); // several sweeps
      expect(seen).toEqual(["hangs-1"]);
      expect(later.map((e) => e.reason)).toEqual(["delete-denied"]);
      expect(later[0]?.message).toMatch(/the handler acked it in a last run/);
      expect(second.stats()).toMatchObject({ acked: 1, deadLettered: 0, undeletable: 1 });
      expect(await t.unsettled()).toBe(1);
      expect(await t.deadLetters()).toHaveLength(1);
    } finally {
      await second.stop();
      await t.dispose();
    }
  }, 40_000);
});
