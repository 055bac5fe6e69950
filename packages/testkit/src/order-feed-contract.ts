// OrderFeed contract suite: what every adapter of the OrderFeed port must do — the JetStream feed and
// the simulator's in-memory feed alike — so the simulator cannot drift from NATS. Easy to get wrong:
// "never redelivered" cannot be proven by waiting a while; the harness reports how many published
// orders are still unsettled, and a dead-lettered order is checked once that count is zero (nothing
// left that could come back). Every wait is bounded.

import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Disposition, OrderEvent, OrderFeed, OrderHandler, OrderPublisher } from "@synclag/core";

/** What the contract needs to know about a dead letter (adapters keep more). */
export interface ContractDeadLetter {
  readonly reason: string;
  /** Present when the event decoded far enough to have one. */
  readonly orderId?: string;
}

/** One fresh, isolated feed: nothing published before, nothing shared with another harness. */
export interface OrderFeedHarness {
  readonly feed: OrderFeed;
  readonly publisher: OrderPublisher;
  /** Every dead letter recorded so far, oldest first. */
  deadLetters(): Promise<readonly ContractDeadLetter[]>;
  /**
   * Published orders not yet settled — not acked and not dead-lettered — including those waiting for
   * a redelivery. Zero means nothing can be delivered again.
   */
  unsettled(): Promise<number>;
  /** Publishes raw bytes as a foreign producer would (enables the undecodable-event case). */
  publishRaw?(bytes: Uint8Array): Promise<void>;
  /** Stops everything the harness started. */
  dispose(): Promise<void>;
}

export interface OrderFeedContractOptions {
  /** Bound of each wait for something to happen (ms). Default 10 000. */
  readonly waitMs?: number;
  /** Per-test timeout (ms). Default 30 000. */
  readonly testTimeoutMs?: number;
}

/**
 * Polls `check` every `intervalMs` until it returns true; throws naming `what` after `timeoutMs`.
 * Uses real timers (integration tests), never virtual time.
 */
export async function pollUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  options: { readonly timeoutMs?: number; readonly intervalMs?: number } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 25));
  }
}

const ACK: Disposition = { kind: "ack" };

function orders(count: number, tag: string): OrderEvent[] {
  const run = randomUUID().slice(0, 8);
  return Array.from({ length: count }, (_, i) => ({
    orderId: `${tag}-${run}-${i}`,
    sourceChannel: i % 2 === 0 ? "shopify" : "amazon",
    lines: [{ sku: `SKU-${i % 5}`, quantity: 1 + (i % 3) }],
    confirmedAtMs: 1_700_000_000_000 + i,
  }));
}

/** Records every delivery per order id (delivery counts in arrival order). */
function recorder(decide: (event: OrderEvent, deliveryCount: number) => Disposition | Promise<Disposition> = () => ACK) {
  const deliveries = new Map<string, number[]>();
  const events = new Map<string, OrderEvent>();
  const handler: OrderHandler = async (event, delivery) => {
    deliveries.set(event.orderId, [...(deliveries.get(event.orderId) ?? []), delivery.deliveryCount]);
    events.set(event.orderId, event);
    return decide(event, delivery.deliveryCount);
  };
  return { handler, deliveries, events };
}

export function runOrderFeedContract(name: string, makeFeed: () => Promise<OrderFeedHarness>, options: OrderFeedContractOptions = {}): void {
  const waitMs = options.waitMs ?? 10_000;
  const testTimeoutMs = options.testTimeoutMs ?? 30_000;
  const settledToZero = (h: OrderFeedHarness) => pollUntil("no published order is left unsettled", async () => (await h.unsettled()) === 0, { timeoutMs: waitMs });

  async function withFeed(body: (h: OrderFeedHarness) => Promise<void>): Promise<void> {
    const h = await makeFeed();
    try {
      await body(h);
    } finally {
      await h.dispose();
    }
  }

  describe(`OrderFeed contract: ${name}`, () => {
    it(
      "hands every published order to the handler at least once, as it was published (backlog and live)",
      () =>
        withFeed(async (h) => {
          const all = orders(20, "each");
          const backlog = all.slice(0, 10);
          const live = all.slice(10);
          for (const event of backlog) await h.publisher.publish(event);
          const seen = recorder();
          const subscription = h.feed.consume(seen.handler);
          for (const event of live) await h.publisher.publish(event);
          await pollUntil("every order was handled", () => all.every((e) => seen.deliveries.has(e.orderId)), { timeoutMs: waitMs });
          await subscription.stop();
          for (const event of all) expect(seen.events.get(event.orderId)).toEqual(event);
          await settledToZero(h);
          expect(await h.deadLetters()).toEqual([]);
        }),
      testTimeoutMs,
    );

    it(
      "redelivers an order the handler asked to retry, with the delivery count one higher",
      () =>
        withFeed(async (h) => {
          const [retried, plain] = orders(2, "retry") as [OrderEvent, OrderEvent];
          const seen = recorder((event, deliveryCount) =>
            event.orderId === retried.orderId && deliveryCount === 1 ? { kind: "retry", delayMs: 50, reason: "contract: try again later" } : ACK,
          );
          const subscription = h.feed.consume(seen.handler);
          await h.publisher.publish(retried);
          await h.publisher.publish(plain);
          await pollUntil("the retried order came back", () => (seen.deliveries.get(retried.orderId) ?? []).length >= 2, { timeoutMs: waitMs });
          await pollUntil("the other order was handled", () => seen.deliveries.has(plain.orderId), { timeoutMs: waitMs });
          await settledToZero(h);
          await subscription.stop();
          expect(seen.deliveries.get(retried.orderId)).toEqual([1, 2]);
          expect(seen.deliveries.get(plain.orderId)).toEqual([1]);
          expect(await h.deadLetters()).toEqual([]);
        }),
      testTimeoutMs,
    );

    it(
      "never redelivers an order the handler dead-lettered, and records it with the handler's reason",
      () =>
        withFeed(async (h) => {
          const [rejected, after] = orders(2, "dead") as [OrderEvent, OrderEvent];
          const seen = recorder((event) => (event.orderId === rejected.orderId ? { kind: "dead-letter", reason: "contract: rejected by the handler" } : ACK));
          const subscription = h.feed.consume(seen.handler);
          await h.publisher.publish(rejected);
          await h.publisher.publish(after);
          await pollUntil("the dead letter was recorded", async () => (await h.deadLetters()).length > 0, { timeoutMs: waitMs });
          await pollUntil("the next order was handled", () => seen.deliveries.has(after.orderId), { timeoutMs: waitMs });
          await settledToZero(h);
          await subscription.stop();
          expect(seen.deliveries.get(rejected.orderId)).toEqual([1]);
          const letters = await h.deadLetters();
          expect(letters).toHaveLength(1);
          expect(letters[0]?.orderId).toBe(rejected.orderId);
          expect(letters[0]?.reason).toContain("contract: rejected by the handler");
        }),
      testTimeoutMs,
    );

    it(
      "keeps going after a handler throws: the order is delivered again",
      () =>
        withFeed(async (h) => {
          const [failing, other] = orders(2, "throw") as [OrderEvent, OrderEvent];
          const seen = recorder((event, deliveryCount) => {
            if (event.orderId === failing.orderId && deliveryCount === 1) throw new Error("contract: handler bug");
            return ACK;
          });
          const subscription = h.feed.consume(seen.handler);
          await h.publisher.publish(failing);
          await h.publisher.publish(other);
          await pollUntil("the failed order came back", () => (seen.deliveries.get(failing.orderId) ?? []).length >= 2, { timeoutMs: waitMs });
          await pollUntil("the other order was handled", () => seen.deliveries.has(other.orderId), { timeoutMs: waitMs });
          await settledToZero(h);
          await subscription.stop();
          expect(seen.deliveries.get(failing.orderId)).toEqual([1, 2]);
        }),
      testTimeoutMs,
    );

    it(
      "stop() resolves only after the in-flight handler settled its order, and no handler starts after it",
      () =>
        withFeed(async (h) => {
          const [slow, late] = orders(2, "stop") as [OrderEvent, OrderEvent];
          const log: string[] = [];
          let release!: () => void;
          const gate = new Promise<void>((resolve) => (release = resolve));
          let started = false;
          const first = recorder(async () => {
            started = true;
            await gate;
            log.push("handler finished");
            return ACK;
          });
          const subscription = h.feed.consume(first.handler);
          await h.publisher.publish(slow);
          await pollUntil("the slow handler started", () => started, { timeoutMs: waitMs });
          const stopped = subscription.stop().then(() => log.push("stop resolved"));
          await new Promise((resolve) => setTimeout(resolve, 100));
          expect(log).toEqual([]);
          release();
          await stopped;
          expect(log).toEqual(["handler finished", "stop resolved"]);
          await settledToZero(h);

          await h.publisher.publish(late);
          const second = recorder();
          const next = h.feed.consume(second.handler);
          await pollUntil("a new subscription handled the late order", () => second.deliveries.has(late.orderId), { timeoutMs: waitMs });
          await next.stop();
          expect(first.deliveries.has(late.orderId)).toBe(false);
          expect(first.deliveries.get(slow.orderId)).toEqual([1]);
          expect(second.deliveries.has(slow.orderId)).toBe(false);
        }),
      testTimeoutMs,
    );

    it(
      "dead-letters an undecodable event with a reason, never hands it to the handler, and keeps delivering",
      async (context) => {
        const h = await makeFeed();
        try {
          if (!h.publishRaw) {
            context.skip("the harness cannot publish raw bytes");
            return;
          }
          const [after] = orders(1, "raw") as [OrderEvent];
          const seen = recorder();
          const subscription = h.feed.consume(seen.handler);
          await h.publishRaw(new TextEncoder().encode('{"orderId": "raw-1", "lines": ['));
          await h.publisher.publish(after);
          await pollUntil("the valid order after it was handled", () => seen.deliveries.has(after.orderId), { timeoutMs: waitMs });
          await pollUntil("the dead letter was recorded", async () => (await h.deadLetters()).length > 0, { timeoutMs: waitMs });
          await settledToZero(h);
          await subscription.stop();
          expect([...seen.deliveries.keys()]).toEqual([after.orderId]);
          const letters = await h.deadLetters();
          expect(letters).toHaveLength(1);
          expect(letters[0]?.reason).toMatch(/json/i);
        } finally {
          await h.dispose();
        }
      },
      testTimeoutMs,
    );
  });
}
