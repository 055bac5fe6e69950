// The simulator's in-memory feed passes the same OrderFeed contract as the JetStream feed, so the
// simulator cannot drift from NATS. The contract waits in real time, so virtual time is pumped from a
// real timer here (1 virtual ms per real ms).
import { Prng, VirtualScheduler } from "@synclag/core";
import { runOrderFeedContract, type OrderFeedHarness } from "@synclag/testkit";
import { SimOrderFeed } from "../src/index.js";

async function makeFeed(): Promise<OrderFeedHarness> {
  const scheduler = new VirtualScheduler(Date.now());
  const feed = new SimOrderFeed({ scheduler, random: new Prng("contract"), delay: { kind: "constant", ms: 1 }, lostAckRate: 0, ackWaitMs: 1000, duplicateRate: 0, maxDeliver: 5 });
  let running = false;
  const pump = setInterval(() => {
    if (running) return;
    running = true;
    void scheduler.runUntil(Date.now()).finally(() => (running = false));
  }, 2);
  return {
    feed,
    publisher: feed,
    deadLetters: () => Promise.resolve(feed.deadLetters.map((letter) => ({ reason: letter.reason, ...(typeof (letter.event as { orderId?: unknown })?.orderId === "string" ? { orderId: (letter.event as { orderId: string }).orderId } : {}) }))),
    unsettled: () => Promise.resolve(feed.unsettled),
    publishRaw: (bytes) => {
      feed.publishRaw(bytes);
      return Promise.resolve();
    },
    dispose: () => {
      clearInterval(pump);
      return Promise.resolve();
    },
  };
}

runOrderFeedContract("SimOrderFeed (in-memory, virtual time pumped in real time)", makeFeed);
