// Found by review: a last delivery whose handler returns `retry` after the stopping feed's open pull
// request has ended (e.g. a Redis call that hangs until callTimeoutMs, 10 s by default) is handed back
// with a nak(0) while no pull is open: the server emits the max-deliver advisory only when the NEXT
// worker pulls, and that worker dead-letters the valid order as max-deliver (ADR 0004 says it is not).
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import type { DeliveryInfo, Disposition, OrderEvent } from "@synclag/core";
import { pollUntil } from "@synclag/testkit";
import { describe, expect, it } from "vitest";
import { natsMissing, openTestFeed, order, usePrivateNatsServer } from "./support.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(natsMissing !== undefined)("JetStream feed: stop(), a late retry on the last delivery", () => {
  const nats = usePrivateNatsServer();

  it("an order on its last delivery whose handler hands it back 3.5 s into the stop is applied by the next worker, not dead-lettered", async () => {
    const t = await openTestFeed(nats.url(), { ackWaitMs: 30_000, backoffMs: [], maxDeliver: 2 }, { stopTimeoutMs: 8_000 });
    let stopping = false;
    const deliveries: number[] = [];
    const handler = async (_event: OrderEvent, delivery: DeliveryInfo): Promise<Disposition> => {
      deliveries.push(delivery.deliveryCount);
      if (delivery.deliveryCount === 1) return { kind: "retry", delayMs: 0, reason: "store refused the call" };
      while (!stopping) {
        delivery.working();
        await sleep(50);
      }
      await sleep(3_500); // the Redis call in flight when the stop came times out
      return { kind: "retry", delayMs: 1_000, reason: "the store is unreachable and the processor stops" };
    };
    const first = t.feed.consume(handler);
    let second: ReturnType<typeof t.feed.consume> | undefined;
    try {
      await first.ready;
      await t.publisher.publish(order("late-last-delivery"));
      await pollUntil("the last delivery is running", () => deliveries.length === 2);
      await sleep(300);
      stopping = true;
      await first.stop();
      expect({ deliveries, notices: t.deadLetterNotices, requeued: first.stats().requeued }).toEqual({ deliveries: [1, 2], notices: [], requeued: 1 });

      const applied: string[] = [];
      second = t.feed.consume((event) => {
        applied.push(event.orderId);
        return Promise.resolve({ kind: "ack" });
      });
      await pollUntil("the orders stream is empty", async () => (await t.unsettled()) === 0, { timeoutMs: 15_000 });
      await sleep(500);
      expect({ applied, deadLetters: (await t.deadLetters()).map((l) => `${l.orderId}: ${l.kind}`) }).toEqual({ applied: ["late-last-delivery"], deadLetters: [] });
    } finally {
      stopping = true;
      await first.stop();
      await second?.stop();
      await t.dispose();
    }
  }, 40_000);

  it("the order put back keeps its subject, bytes and the producer's headers, under an id of its own that says where it came from", async () => {
    const t = await openTestFeed(nats.url(), { ackWaitMs: 30_000, backoffMs: [], maxDeliver: 1 });
    let stopping = false;
    const subscription = t.feed.consume(async (_event: OrderEvent, delivery: DeliveryInfo): Promise<Disposition> => {
      while (!stopping) {
        delivery.working();
        await sleep(50);
      }
      await sleep(3_500);
      return { kind: "retry", delayMs: 0, reason: "the processor stops" };
    });
    try {
      await subscription.ready;
      const bytes = new TextEncoder().encode(JSON.stringify(order("with-headers")));
      const h = headers();
      h.set("Nats-Msg-Id", "with-headers");
      h.set("Trace-Id", "abc-123");
      h.append("Trace-Id", "def-456");
      const published = await jetstream(t.connection).publish(`${t.options.subjectPrefix}.webshop`, bytes, { headers: h });
      await pollUntil("the order is being handled", async () => (await jetstreamManager(t.connection)).consumers.info(t.options.streamName ?? "", "engine").then((c) => c.num_ack_pending === 1));
      stopping = true;
      await subscription.stop();
      const jsm = await jetstreamManager(t.connection);
      const { state } = await jsm.streams.info(t.options.streamName ?? "");
      const copy = await jsm.streams.getMessage(t.options.streamName ?? "", { seq: state.last_seq });
      expect({
        messages: state.messages,
        sequence: copy?.seq,
        subject: copy?.subject,
        data: copy ? new TextDecoder().decode(copy.data) : undefined,
        id: copy?.header.get("Nats-Msg-Id"),
        from: copy?.header.get("Synclag-Requeued-From"),
        trace: copy?.header.values("Trace-Id"),
        requeued: subscription.stats().requeued,
        errors: t.errors,
      }).toEqual({
        messages: 1,
        sequence: published.seq + 1,
        subject: `${t.options.subjectPrefix}.webshop`,
        data: new TextDecoder().decode(bytes),
        id: expect.stringMatching(new RegExp(`^%requeue:${t.options.streamName}:${published.seq}:\\d+$`)),
        from: `${t.options.streamName} #${published.seq} (delivery 1, handed back by a stop)`,
        trace: ["abc-123", "def-456"],
        requeued: 1,
        errors: [],
      });
    } finally {
      stopping = true;
      await subscription.stop();
      await t.dispose();
    }
  }, 40_000);

  it("with max deliver 1, an order arriving for the open pull request while stopping is put back once, after that request ended", async () => {
    const t = await openTestFeed(nats.url(), { ackWaitMs: 1_000, backoffMs: [], maxDeliver: 1 });
    const handled: string[] = [];
    const first = t.feed.consume((event) => {
      handled.push(event.orderId);
      return Promise.resolve({ kind: "ack" });
    });
    let second: ReturnType<typeof t.feed.consume> | undefined;
    try {
      await first.ready;
      await sleep(300); // a pull request is open
      const stopped = first.stop();
      await t.publisher.publish(order("arrives-while-stopping"));
      await stopped;
      const stats = first.stats();
      const { state } = await (await jetstreamManager(t.connection)).streams.info(t.options.streamName ?? "");
      // Put back straight into the still-open request, the copy came back to the stopping worker and was
      // put back again, and again, until the request ended: one copy, not a chain of them.
      expect({ handled, released: stats.released, requeued: stats.requeued, stored: state.messages, lastSequence: state.last_seq }).toEqual({
        handled: [],
        released: 1,
        requeued: 1,
        stored: 1,
        lastSequence: 2,
      });
      const applied: string[] = [];
      second = t.feed.consume((event) => {
        applied.push(event.orderId);
        return Promise.resolve({ kind: "ack" });
      });
      await pollUntil("the orders stream is empty", async () => (await t.unsettled()) === 0, { timeoutMs: 15_000 });
      await sleep(500);
      expect({ applied, deadLetters: await t.deadLetters(), errors: t.errors }).toEqual({ applied: ["arrives-while-stopping"], deadLetters: [], errors: [] });
    } finally {
      await first.stop();
      await second?.stop();
      await t.dispose();
    }
  }, 40_000);

  it("an order that cannot be put back (the stream is full) is nak'd, reported and left stored", async () => {
    const t = await openTestFeed(nats.url(), { ackWaitMs: 30_000, backoffMs: [], maxDeliver: 1 });
    let stopping = false;
    const subscription = t.feed.consume(async (_event: OrderEvent, delivery: DeliveryInfo): Promise<Disposition> => {
      while (!stopping) {
        delivery.working();
        await sleep(50);
      }
      return { kind: "retry", delayMs: 0, reason: "the processor stops" };
    });
    try {
      await subscription.ready;
      await t.publisher.publish(order("no-room"));
      await pollUntil("the order is being handled", async () => (await jetstreamManager(t.connection)).consumers.info(t.options.streamName ?? "", "engine").then((c) => c.num_ack_pending === 1));
      const jsm = await jetstreamManager(t.connection);
      const config = (await jsm.streams.info(t.options.streamName ?? "")).config;
      await jsm.streams.update(t.options.streamName ?? "", { ...config, max_msgs: 1 });
      stopping = true;
      await subscription.stop();
      expect({
        requeued: subscription.stats().requeued,
        errors: t.errors.map((e) => `${e.reason}: ${e.message}`),
        stored: await t.unsettled(),
      }).toEqual({
        requeued: 0,
        errors: [expect.stringMatching(/^stream-full: .*handed back by stop\(\) on its last delivery \(1 of 1\) and not put back; nak'd instead/)],
        stored: 1,
      });
    } finally {
      stopping = true;
      await subscription.stop();
      await t.dispose();
    }
  }, 40_000);
});
