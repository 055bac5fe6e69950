// A burst of orders handed back with a delay (what a store outage used to cause) must all be
// redelivered and acked: nothing may stay ack-pending because no pull request picked it up.
import { describe, expect, it } from "vitest";
import { connectTo, natsMissing, usePrivateNatsServer, uniqueNames } from "./support.js";
import { JetStreamOrderFeed, JetStreamOrderPublisher, provisionStreams } from "../src/index.js";

const nats = usePrivateNatsServer();

describe.skipIf(natsMissing)("a burst of delayed naks", () => {
  it("redelivers and acks every order after the first delivery of each was handed back with a delay", async () => {
    const connection = await connectTo(nats.url());
    const names = { ...uniqueNames("nakburst"), ackWaitMs: 2_000, backoffMs: [2_000], maxDeliver: 5 };
    await provisionStreams(connection, names);
    const publisher = new JetStreamOrderPublisher({ connection, ...names });
    const total = 400;
    await publisher.publishMany(Array.from({ length: total }, (_, i) => ({ orderId: `o-${i}`, sourceChannel: "shop", lines: [{ sku: "A", quantity: 1 }], confirmedAtMs: 0 })));
    const acked = new Set<string>();
    const feed = new JetStreamOrderFeed({ connection, ...names, maxConcurrentHandlers: 64 });
    const subscription = feed.consume((event, delivery) =>
      Promise.resolve(delivery.deliveryCount < 3 ? { kind: "retry" as const, delayMs: 1_000, reason: "store down" } : (acked.add(event.orderId), { kind: "ack" as const })),
    );
    const deadline = Date.now() + 30_000;
    while (acked.size < total && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const stats = subscription.stats();
    await subscription.stop();
    await connection.close();
    expect({ acked: acked.size, stats }).toMatchObject({ acked: total });
  }, 60_000);
});
