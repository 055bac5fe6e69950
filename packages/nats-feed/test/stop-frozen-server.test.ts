// stop() with nats-server frozen (SIGSTOP: the TCP connection stays open, nothing answers). Found by
// review: with nothing in flight stop() still took its whole stopTimeoutMs (7.5 s measured) — it waited
// for the open pull request to end (a fetch has no client-side timer) and then for a final flush the
// server never answers. Each wait on the server is bounded to about a second once the server has
// shown it does not answer; waiting for running handlers (and sending their acks) is not cut short.
import { natsUrl, pollUntil, startNatsServer, type ServerProcess } from "@synclag/testkit";
import { describe, expect, it } from "vitest";
import type { NatsFeedError } from "../src/index.js";
import { natsMissing, openTestFeed, order } from "./support.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What stop() reported (a sweep running when the server froze may report its own timeout too). */
function stopReports(errors: readonly NatsFeedError[]): string[] {
  return errors.filter((e) => e.message.startsWith("stop")).map((e) => `${e.reason}: ${e.message}`);
}

async function frozen<T>(server: ServerProcess, body: (pid: number) => Promise<T>): Promise<T> {
  const pid = server.pid;
  if (pid === undefined) throw new Error("no nats-server pid");
  process.kill(pid, "SIGSTOP");
  try {
    // A stopped process can still answer for a moment (a PONG 2 ms after the signal was seen here):
    // the server is frozen well before stop() begins, as it would be in production.
    await sleep(200);
    return await body(pid);
  } finally {
    process.kill(pid, "SIGCONT");
  }
}

describe.skipIf(natsMissing !== undefined)("JetStream feed: stop() with nats-server frozen", () => {
  it("returns within about a second when nothing is in flight, not after the whole stop timeout", async () => {
    const server = await startNatsServer();
    try {
      const t = await openTestFeed(natsUrl(server), { ackWaitMs: 30_000, backoffMs: [], maxDeliver: 5 }, { stopTimeoutMs: 7_500 });
      const subscription = t.feed.consume(() => Promise.resolve({ kind: "ack" }));
      await subscription.ready;
      await sleep(500);
      const tookMs = await frozen(server, async () => {
        const began = Date.now();
        await subscription.stop();
        return Date.now() - began;
      });
      expect(tookMs).toBeLessThan(2_500);
      // Said once, so an operator knows why acks sent while stopping may come back as redeliveries.
      expect(stopReports(t.errors)).toEqual([expect.stringMatching(/^timeout: stop\(\): nats-server did not answer a ping within 1000 ms/)]);
      await t.dispose();
    } finally {
      await server.dispose();
    }
  }, 60_000);

  it("still waits for a running handler and sends its ack, which the server gets once it runs again", async () => {
    const server = await startNatsServer();
    try {
      const t = await openTestFeed(natsUrl(server), { ackWaitMs: 30_000, backoffMs: [], maxDeliver: 5 }, { stopTimeoutMs: 7_500 });
      let finish!: () => void;
      const finishing = new Promise<void>((resolve) => (finish = resolve));
      const deliveries: number[] = [];
      const subscription = t.feed.consume(async (_event, delivery) => {
        deliveries.push(delivery.deliveryCount);
        await finishing;
        return { kind: "ack" };
      });
      await subscription.ready;
      await t.publisher.publish(order("in-flight-at-stop"));
      await pollUntil("the order is being handled", () => deliveries.length === 1);
      const { tookMs, handlerDoneAtMs } = await frozen(server, async () => {
        const began = Date.now();
        const stopped = subscription.stop();
        await sleep(2_000);
        finish();
        const handlerDoneAtMs = Date.now() - began;
        await stopped;
        return { tookMs: Date.now() - began, handlerDoneAtMs };
      });
      expect(tookMs).toBeGreaterThanOrEqual(handlerDoneAtMs);
      expect(tookMs).toBeLessThan(handlerDoneAtMs + 2_000);
      // The ack left with the stop: once the server runs again the order is settled, never redelivered.
      await pollUntil("the order was acked", async () => (await t.unsettled()) === 0, { timeoutMs: 10_000 });
      expect(deliveries).toEqual([1]);
      expect(stopReports(t.errors)).toEqual([expect.stringMatching(/^timeout: stop\(\): nats-server did not answer a ping within 1000 ms/)]);
      await t.dispose();
    } finally {
      await server.dispose();
    }
  }, 60_000);
});
