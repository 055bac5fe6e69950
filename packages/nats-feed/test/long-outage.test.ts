// A store outage holds every handler slot for as long as it lasts (handlers retry the store and tell
// JetStream they are working). Orders received meanwhile wait for a slot; if their ack wait ran out they
// were redelivered until max-deliver and then dead-lettered — valid orders lost to an outage (found by a
// review: a Redis outage longer than ~16 min under load). The feed keeps them alive until a slot frees.

import { describe, expect, it } from "vitest";
import { pollUntil } from "@synclag/testkit";
import type { DeliveryInfo, OrderEvent } from "@synclag/core";
import { natsMissing, openTestFeed, order, usePrivateNatsServer } from "./support.js";

describe.skipIf(natsMissing !== undefined)("JetStream feed: a long outage with every slot busy", () => {
  const nats = usePrivateNatsServer();

  it("keeps orders that wait for a slot alive past max-deliver × ack wait, then handles each once, none dead-lettered", async () => {
    // ack wait 1 s, max deliver 4: without keep-alive a waiting order is dead-lettered after ~4 s.
    const t = await openTestFeed(nats.url(), { ackWaitMs: 1_000, backoffMs: [], maxDeliver: 4 }, { maxConcurrentHandlers: 2, pullBatchSize: 4 });
    let outage = true;
    const handled = new Map<string, number>();
    const handler = async (event: OrderEvent, delivery: DeliveryInfo) => {
      // Like OrderProcessor retrying a store that is down: working() every 200 ms until it is back.
      while (outage) {
        delivery.working();
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      handled.set(event.orderId, (handled.get(event.orderId) ?? 0) + 1);
      return { kind: "ack" as const };
    };
    const subscription = t.feed.consume(handler);
    try {
      await subscription.ready;
      const ids = Array.from({ length: 10 }, (_, i) => `long-outage-${i}`);
      for (const id of ids) await t.publisher.publish(order(id));
      await pollUntil("orders beyond the two slots are held", () => subscription.stats().held > 0, { timeoutMs: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 7_000)); // > max deliver × ack wait
      outage = false;
      await pollUntil("every order was handled", () => ids.every((id) => handled.has(id)), { timeoutMs: 20_000 });
      await pollUntil("the stream is empty", async () => (await t.unsettled()) === 0, { timeoutMs: 10_000 });
      expect([...handled.values()].every((n) => n === 1)).toBe(true);
      expect(await t.deadLetters()).toEqual([]);
      expect(t.deadLetterNotices).toEqual([]);
    } finally {
      outage = false;
      await subscription.stop();
      await t.dispose();
    }
  }, 60_000);
});
