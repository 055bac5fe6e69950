// The exhausted-message sweep finds stored messages the consumer will never deliver again (at or below
// its ack floor, not ack-pending). That is not proof of max-deliver: nats-server 2.9 killed (SIGKILL)
// and restarted with file storage restored messages it had already deleted after their ack, and the
// sweep dead-lettered every one as "max-deliver" — 207 false dead letters for orders that had been
// applied (found by review). Now each find runs once more through the handler: an order the store
// already applied is a duplicate there and is acked (deleted); only a refusal or a failure dead-letters
// it, with the handler's reason.

import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { OrderHandler } from "@synclag/core";
import { pollUntil } from "@synclag/testkit";
import { describe, expect, it } from "vitest";
import { natsMissing, openTestFeed, order, usePrivateNatsServer, type TestFeed } from "./support.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Leaves every stored order below the consumer's ack floor without a dead letter and without any feed
 * listening: a plain client takes the one allowed delivery of each and never settles it, then keeps
 * pulling until nats-server has noticed max deliver (it does so when it next looks for a message to send).
 */
async function strandBelowAckFloor(t: TestFeed, count: number): Promise<void> {
  const streamName = t.options.streamName ?? "";
  const consumer = await jetstream(t.connection).consumers.get(streamName, "engine");
  let received = 0;
  for await (const message of await consumer.fetch({ max_messages: count, expires: 5_000 })) {
    void message;
    received++;
  }
  expect(received).toBe(count);
  const jsm = await jetstreamManager(t.connection);
  await pollUntil(
    "nats-server gave up on every order (none pending, none ack-pending, all still stored)",
    async () => {
      const info = await jsm.consumers.info(streamName, "engine");
      if (info.num_ack_pending === 0 && info.num_pending === 0) return true;
      for await (const message of await consumer.fetch({ max_messages: 1, expires: 1_000 })) void message;
      return false;
    },
    { timeoutMs: 20_000 },
  );
  expect(await t.unsettled()).toBe(count);
}

describe.skipIf(natsMissing !== undefined)("JetStream feed: messages found below the consumer's ack floor", () => {
  const nats = usePrivateNatsServer();

  it("runs each once more through the handler: acks what the store already applied, dead-letters only refusals and failures with the handler's reason", async () => {
    const t = await openTestFeed(nats.url(), { ackWaitMs: 500, backoffMs: [], maxDeliver: 1 });
    for (const id of ["applied-1", "refused-1", "failing-1"]) await t.publisher.publish(order(id));
    await strandBelowAckFloor(t, 3);

    const seen: string[] = [];
    const handler: OrderHandler = async (event) => {
      seen.push(event.orderId);
      if (event.orderId === "refused-1") return { kind: "dead-letter", reason: "unknown SKU" };
      if (event.orderId === "failing-1") return { kind: "retry", delayMs: 0, reason: "store refused the call" };
      return { kind: "ack" }; // the idempotent store: already applied, a duplicate
    };
    const subscription = t.feed.consume(handler); // sweeps when consuming starts
    try {
      await subscription.ready;
      await pollUntil("the orders stream is empty", async () => (await t.unsettled()) === 0, { timeoutMs: 20_000 });
      await sleep(500);
      expect(seen.sort()).toEqual(["applied-1", "failing-1", "refused-1"]);
      const letters = await t.deadLetters();
      expect(letters.map((l) => [l.orderId, l.kind]).sort()).toEqual([
        ["failing-1", "retries-exhausted"],
        ["refused-1", "rejected"],
      ]);
      expect(letters.find((l) => l.orderId === "refused-1")?.reason).toMatch(/^unknown SKU \(in a last run through the handler: .*ack floor/);
      expect(letters.find((l) => l.orderId === "failing-1")?.reason).toMatch(/ack floor.*store refused the call/);
    } finally {
      await subscription.stop();
      await t.dispose();
    }
  }, 60_000);

  it("a find whose handler hangs (why it ran out of deliveries) is dead-lettered after one ack wait, and blocks neither the other finds nor stop()", async () => {
    const t = await openTestFeed(nats.url(), { ackWaitMs: 500, backoffMs: [], maxDeliver: 1 }, { stopTimeoutMs: 7_500 });
    for (const id of ["hangs-1", "other-1"]) await t.publisher.publish(order(id));
    await strandBelowAckFloor(t, 2);
    const handler: OrderHandler = async (event) => {
      if (event.orderId === "hangs-1") await new Promise(() => {}); // never settles
      return { kind: "ack" };
    };
    const subscription = t.feed.consume(handler); // sweeps when consuming starts
    try {
      await subscription.ready;
      await pollUntil("both finds settled", async () => (await t.unsettled()) === 0, { timeoutMs: 20_000 });
      const letters = await t.deadLetters();
      expect(letters.map((l) => [l.orderId, l.kind])).toEqual([["hangs-1", "retries-exhausted"]]);
      expect(letters[0]?.reason).toMatch(/did not finish within the ack wait/);
    } finally {
      const began = Date.now();
      await subscription.stop();
      // Before, stop() waited its whole timeout on the hung last run.
      expect(Date.now() - began).toBeLessThan(5_000);
      await t.dispose();
    }
  }, 60_000);
});
