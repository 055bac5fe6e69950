import type { Disposition, OrderHandler } from "@synclag/core";
import { pollUntil } from "@synclag/testkit";
import { describe, expect, it } from "vitest";
import { natsMissing, openTestFeed, order, usePrivateNatsServer } from "./support.js";

const ACK: Disposition = { kind: "ack" };

function gate(): { readonly wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe.skipIf(natsMissing !== undefined)("JetStream feed: at-least-once delivery", () => {
  const nats = usePrivateNatsServer();

  it("redelivers an order whose handler never settles once the ack wait has passed, with delivery count 2", async () => {
    const t = await openTestFeed(nats.url());
    const hang = gate();
    const deliveries: number[] = [];
    const handler: OrderHandler = async (_event, delivery) => {
      deliveries.push(delivery.deliveryCount);
      if (delivery.deliveryCount === 1) await hang.wait;
      return ACK;
    };
    const subscription = t.feed.consume(handler);
    try {
      await t.publisher.publish(order("hung-1"));
      await pollUntil("the order was delivered a second time", () => deliveries.length >= 2, { timeoutMs: 10_000 });
      await pollUntil("the order is settled", async () => (await t.unsettled()) === 0);
      expect(deliveries).toEqual([1, 2]);
      await pollUntil("the hung first delivery no longer holds a handler slot", () => subscription.stats().abandoned === 1);
    } finally {
      hang.open();
      await subscription.stop();
      await t.dispose();
    }
  }, 20_000);

  it("keeps an order past its ack wait without a redelivery while the handler reports progress with working()", async () => {
    const t = await openTestFeed(nats.url());
    const deliveries: number[] = [];
    const handler: OrderHandler = async (_event, delivery) => {
      deliveries.push(delivery.deliveryCount);
      // 2.5 × the 1 s ack wait, signalling progress every 250 ms.
      for (let i = 0; i < 10; i++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        delivery.working();
      }
      return ACK;
    };
    const subscription = t.feed.consume(handler);
    try {
      await t.publisher.publish(order("slow-1"));
      await pollUntil("the slow order is settled", async () => deliveries.length > 0 && (await t.unsettled()) === 0, { timeoutMs: 10_000 });
      expect(deliveries).toEqual([1]);
      expect(subscription.stats().abandoned).toBe(0);
    } finally {
      await subscription.stop();
      await t.dispose();
    }
  }, 20_000);

  it("does not stall when every handler slot hangs: the slots are freed at the ack wait and later orders get through", async () => {
    const t = await openTestFeed(nats.url(), {}, { maxConcurrentHandlers: 2 });
    const hang = gate();
    const handled = new Set<string>();
    const handler: OrderHandler = async (event) => {
      if (event.orderId.startsWith("stuck")) await hang.wait;
      handled.add(event.orderId);
      return ACK;
    };
    const subscription = t.feed.consume(handler);
    try {
      await t.publisher.publishMany([order("stuck-1"), order("stuck-2"), ...Array.from({ length: 5 }, (_, i) => order(`free-${i}`))]);
      await pollUntil("the five free orders were handled", () => [0, 1, 2, 3, 4].every((i) => handled.has(`free-${i}`)), { timeoutMs: 10_000 });
      // Both slots were taken by the stuck orders (delivered first), so the free ones needed a freed slot.
      expect(subscription.stats().abandoned).toBeGreaterThanOrEqual(1);
    } finally {
      hang.open();
      await subscription.stop();
      await t.dispose();
    }
  }, 20_000);

  it("hands every order of a 500-order burst to one of two workers sharing the durable consumer", async () => {
    const t = await openTestFeed(nats.url());
    const seen = new Map<string, number>();
    const handler: OrderHandler = async (event) => {
      seen.set(event.orderId, (seen.get(event.orderId) ?? 0) + 1);
      return ACK;
    };
    const first = t.feed.consume(handler);
    const second = t.feed.consume(handler);
    try {
      await Promise.all([first.ready, second.ready]);
      const events = Array.from({ length: 500 }, (_, i) => order(`burst-${i}`, { sourceChannel: i % 2 ? "amazon" : "ebay" }));
      const outcomes = await t.publisher.publishMany(events);
      expect(outcomes.every((o) => o.ok && !o.duplicate)).toBe(true);
      await pollUntil("all 500 were handled", () => seen.size === 500, { timeoutMs: 15_000 });
      await pollUntil("nothing is left unsettled", async () => (await t.unsettled()) === 0);
      expect(first.stats().delivered).toBeGreaterThan(0);
      expect(second.stats().delivered).toBeGreaterThan(0);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
      await t.dispose();
    }
  }, 30_000);
});
