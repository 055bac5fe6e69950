import { jetstreamManager } from "@nats-io/jetstream";
import type { OrderHandler } from "@synclag/core";
import { natsUrl, startNatsServer, pollUntil, type ServerProcess } from "@synclag/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { natsMissing, openTestFeed, order } from "./support.js";

describe.skipIf(natsMissing !== undefined)("JetStream feed: nats-server restarted mid-stream", () => {
  let server: ServerProcess | undefined;
  beforeAll(async () => {
    server = await startNatsServer();
  }, 20_000);
  afterAll(async () => {
    await server?.dispose();
  });

  it("loses no acknowledged publish across a clean restart (file storage), and the consumer reconnects and continues", async () => {
    if (!server) throw new Error("nats-server was not started");
    const nats = server;
    const t = await openTestFeed(natsUrl(nats));
    const jsm = await jetstreamManager(t.connection);
    const stored = async (): Promise<number> => (await jsm.streams.info(t.options.streamName ?? "")).state.messages;
    const handled = new Set<string>();
    let resume: (() => void) | undefined;
    let paused: Promise<void> | undefined;
    const handler: OrderHandler = async (event) => {
      if (paused) await paused;
      handled.add(event.orderId);
      return { kind: "ack" };
    };
    const subscription = t.feed.consume(handler);
    const acknowledged = new Set<string>();
    let publishing = true;
    let next = 0;
    const publishLoop = (async () => {
      while (publishing) {
        const id = `live-${next++}`;
        try {
          await t.publisher.publish(order(id));
          acknowledged.add(id);
        } catch {
          // not acknowledged: allowed to be lost
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    try {
      await subscription.ready;
      await pollUntil("orders flow before the restart", () => handled.size >= 50, { timeoutMs: 10_000 });

      // Build a backlog the restart must preserve: workers paused, 200 more orders acknowledged.
      paused = new Promise<void>((resolve) => (resume = resolve));
      const backlog = await t.publisher.publishMany(Array.from({ length: 200 }, (_, i) => order(`backlog-${i}`)));
      for (const outcome of backlog) if (outcome.ok) acknowledged.add(outcome.orderId);
      expect(backlog.every((o) => o.ok)).toBe(true);
      expect(await stored()).toBeGreaterThanOrEqual(200);

      await nats.stop("SIGTERM");
      await nats.restart();
      let afterRestart = 0;
      await pollUntil("the restarted server answers", async () => {
        afterRestart = await stored().catch(() => -1);
        return afterRestart >= 0;
      }, { timeoutMs: 15_000 });
      expect(afterRestart).toBeGreaterThanOrEqual(200);
      const resumedAt = next;
      paused = undefined;
      resume?.();

      await pollUntil("publishing resumed after the restart", () => [...acknowledged].some((id) => id.startsWith("live-") && Number(id.slice(5)) > resumedAt + 50), {
        timeoutMs: 20_000,
      });
      publishing = false;
      await publishLoop;
      await pollUntil("every acknowledged order was handled", () => [...acknowledged].every((id) => handled.has(id)), { timeoutMs: 30_000 });
      expect(acknowledged.size).toBeGreaterThan(300);
      await pollUntil("nothing is left unsettled", async () => (await t.unsettled()) === 0, { timeoutMs: 10_000 });
    } finally {
      publishing = false;
      resume?.();
      await publishLoop;
      await subscription.stop();
      await t.dispose();
    }
  }, 60_000);
});
