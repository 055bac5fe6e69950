// A stop that hands back an order on its last delivery while another worker is running: nats-server
// gives up on the order (max deliver reached) and sends its max-deliver advisory to one worker of the
// queue group — the running one dead-lettered the valid order as `max-deliver` (it cannot tell a stop's
// hand-back from a crashed worker's), a limit ADR 0004 used to document. The handed-back order must
// reach the running worker and be applied, never dead-lettered.
import type { DeliveryInfo, Disposition, OrderEvent } from "@synclag/core";
import { pollUntil } from "@synclag/testkit";
import { describe, expect, it } from "vitest";
import { natsMissing, openTestFeed, order, usePrivateNatsServer } from "./support.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(natsMissing !== undefined)("JetStream feed: stop() with another worker running", () => {
  const nats = usePrivateNatsServer();

  // The advisory reaches either worker of the queue group; three runs so a coin flip cannot hide it.
  it.each([1, 2, 3])(
    "an order whose last delivery a stopping worker hands back is applied by the running worker, not dead-lettered (run %i)",
    async () => {
      const t = await openTestFeed(nats.url(), { ackWaitMs: 30_000, backoffMs: [], maxDeliver: 2 }, { exhaustedSweepIntervalMs: 500 });
      let stopping = false;
      const deliveries: number[] = [];
      const stoppingWorker = t.feed.consume(async (_event: OrderEvent, delivery: DeliveryInfo): Promise<Disposition> => {
        deliveries.push(delivery.deliveryCount);
        if (delivery.deliveryCount === 1) return { kind: "retry", delayMs: 0, reason: "store refused the call" };
        while (!stopping) {
          delivery.working();
          await sleep(50);
        }
        return { kind: "retry", delayMs: 1_000, reason: "the store is unreachable and the processor stops" };
      });
      const applied: string[] = [];
      let runningWorker: ReturnType<typeof t.feed.consume> | undefined;
      try {
        await stoppingWorker.ready;
        await t.publisher.publish(order("last-delivery-two-workers"));
        await pollUntil("the last delivery is running on the stopping worker", () => deliveries.length === 2);
        runningWorker = t.feed.consume((event) => {
          applied.push(event.orderId);
          return Promise.resolve({ kind: "ack" });
        });
        await runningWorker.ready;
        stopping = true;
        await stoppingWorker.stop();
        expect(stoppingWorker.stats().requeued).toBe(1);
        await pollUntil("the orders stream is empty", async () => (await t.unsettled()) === 0, { timeoutMs: 15_000 });
        await sleep(1_000); // an advisory or a sweep would act now
        expect({ deliveries, applied, deadLetters: (await t.deadLetters()).map((l) => `${l.orderId}: ${l.kind}`), notices: t.deadLetterNotices }).toEqual({
          deliveries: [1, 2],
          applied: ["last-delivery-two-workers"],
          deadLetters: [],
          notices: [],
        });
      } finally {
        stopping = true;
        await stoppingWorker.stop();
        await runningWorker?.stop();
        await t.dispose();
      }
    },
    40_000,
  );
});
