// The stream or the durable consumer disappears under a running feed: deleted by an operator, or
// nats-server restarted without its storage. nats.js keeps pulling from the missing consumer without a
// word, so the worker used to stop processing orders silently. The feed must report it through onError,
// re-create what is missing with the provisioning settings and go on — messages still stored are
// consumed again, a stream re-created empty just continues with new orders.

import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import type { OrderHandler } from "@synclag/core";
import { natsUrl, pollUntil, startNatsServer, type ServerProcess } from "@synclag/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consumerConfig, deadLetterStreamConfig, diffConsumerConfig, diffStreamConfig, ordersStreamConfig, provisionStreams, resolveFeedOptions } from "../src/index.js";
import { natsMissing, openTestFeed, order, type TestFeed } from "./support.js";

/** The streams and the consumer exist with exactly the provisioning settings. */
async function expectProvisioned(t: TestFeed): Promise<void> {
  const resolved = resolveFeedOptions(t.options);
  const jsm = await jetstreamManager(t.connection);
  expect(diffStreamConfig(ordersStreamConfig(resolved), (await jsm.streams.info(resolved.streamName)).config)).toEqual([]);
  expect(diffStreamConfig(deadLetterStreamConfig(resolved), (await jsm.streams.info(resolved.deadLetterStreamName)).config)).toEqual([]);
  expect(diffConsumerConfig(consumerConfig(resolved), (await jsm.consumers.info(resolved.streamName, resolved.consumerName)).config)).toEqual([]);
}

function collecting(): { handled: Map<string, number>; handler: OrderHandler } {
  const handled = new Map<string, number>();
  return {
    handled,
    handler: async (event) => {
      handled.set(event.orderId, (handled.get(event.orderId) ?? 0) + 1);
      return { kind: "ack" };
    },
  };
}

describe.skipIf(natsMissing !== undefined)("JetStream feed: stream or consumer lost on the server", () => {
  let server: ServerProcess | undefined;
  const url = (): string => {
    if (!server) throw new Error("nats-server was not started");
    return natsUrl(server);
  };
  beforeAll(async () => {
    server = await startNatsServer();
  }, 20_000);
  afterAll(async () => {
    await server?.dispose();
  });

  it("reports a deleted durable consumer, re-creates it with the provisioning settings and handles new orders", async () => {
    const t = await openTestFeed(url());
    const { handled, handler } = collecting();
    const subscription = t.feed.consume(handler);
    try {
      await subscription.ready;
      await t.publisher.publish(order("before-delete"));
      await pollUntil("the first order was handled", () => handled.has("before-delete"));
      const jsm = await jetstreamManager(t.connection);
      await jsm.consumers.delete(t.options.streamName ?? "", t.options.consumerName ?? "");
      const after = Array.from({ length: 5 }, (_, i) => `after-delete-${i}`);
      for (const id of after) await t.publisher.publish(order(id));
      await pollUntil("orders published after the delete were handled", () => after.every((id) => handled.has(id)), { timeoutMs: 20_000 });
      const lost = t.errors.find((e) => e.reason === "consumer-not-found");
      expect(lost?.message).toMatch(/lost its consumer .*re-creating/);
      await expectProvisioned(t);
      await pollUntil("nothing is left unsettled", async () => (await t.unsettled()) === 0);
      expect(subscription.stats().deadLettered).toBe(0);
    } finally {
      await subscription.stop();
      await t.dispose();
    }
  }, 40_000);

  it("consumes again the orders still stored when the consumer was deleted with deliveries in flight", async () => {
    const t = await openTestFeed(url(), {}, { maxConcurrentHandlers: 4 });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const handled = new Set<string>();
    const subscription = t.feed.consume(async (event) => {
      await gate;
      handled.add(event.orderId);
      return { kind: "ack" };
    });
    try {
      await subscription.ready;
      const backlog = Array.from({ length: 20 }, (_, i) => `backlog-${i}`);
      for (const outcome of await t.publisher.publishMany(backlog.map((id) => order(id)))) expect(outcome.ok).toBe(true);
      await pollUntil("handlers are busy", () => subscription.stats().inFlight === 4);
      const jsm = await jetstreamManager(t.connection);
      await jsm.consumers.delete(t.options.streamName ?? "", t.options.consumerName ?? "");
      open();
      await t.publisher.publish(order("after-delete"));
      await pollUntil("every stored order was handled", () => [...backlog, "after-delete"].every((id) => handled.has(id)), { timeoutMs: 20_000 });
      await pollUntil("nothing is left unsettled", async () => (await t.unsettled()) === 0, { timeoutMs: 10_000 });
      expect(t.errors.some((e) => e.reason === "consumer-not-found")).toBe(true);
    } finally {
      open();
      await subscription.stop();
      await t.dispose();
    }
  }, 40_000);

  it("re-creates a deleted orders stream (empty) and its consumer, and handles the orders published after", async () => {
    const t = await openTestFeed(url());
    const { handled, handler } = collecting();
    const subscription = t.feed.consume(handler);
    try {
      await subscription.ready;
      await t.publisher.publish(order("before-delete"));
      await pollUntil("the first order was handled", () => handled.has("before-delete"));
      const jsm = await jetstreamManager(t.connection);
      await jsm.streams.delete(t.options.streamName ?? "");
      await pollUntil("the feed re-created the orders stream", async () => (await jsm.streams.info(t.options.streamName ?? "").then(() => true, () => false)), { timeoutMs: 20_000 });
      await pollUntil("the feed re-created the consumer", async () => (await jsm.consumers.info(t.options.streamName ?? "", "engine").then(() => true, () => false)), { timeoutMs: 20_000 });
      await t.publisher.publish(order("after-delete"));
      await pollUntil("the order published after the delete was handled", () => handled.has("after-delete"), { timeoutMs: 20_000 });
      expect(t.errors.some((e) => e.reason === "stream-not-found" || e.reason === "consumer-not-found")).toBe(true);
      expect(handled.get("before-delete")).toBe(1);
      await expectProvisioned(t);
    } finally {
      await subscription.stop();
      await t.dispose();
    }
  }, 40_000);

  it("recovers when nats-server restarts with empty storage: reports the lost stream, re-creates streams and consumer, continues", async () => {
    const nats = await startNatsServer();
    const t = await openTestFeed(natsUrl(nats));
    const { handled, handler } = collecting();
    const subscription = t.feed.consume(handler);
    try {
      await subscription.ready;
      await t.publisher.publish(order("before-restart"));
      await pollUntil("the first order was handled", () => handled.has("before-restart"));

      await nats.stop("SIGTERM");
      for (const entry of readdirSync(nats.dataDir)) rmSync(join(nats.dataDir, entry), { recursive: true, force: true });
      await nats.restart();

      await pollUntil("the lost stream was reported", () => t.errors.some((e) => e.reason === "stream-not-found"), { timeoutMs: 20_000 });
      const jsm = await jetstreamManager(t.connection);
      await pollUntil("the feed re-created the consumer", async () => (await jsm.consumers.info(t.options.streamName ?? "", "engine").then(() => true, () => false)), { timeoutMs: 20_000 });
      await expectProvisioned(t);
      const after = Array.from({ length: 5 }, (_, i) => `after-restart-${i}`);
      for (const id of after) await t.publisher.publish(order(id));
      await pollUntil("orders published after the restart were handled", () => after.every((id) => handled.has(id)), { timeoutMs: 20_000 });
      expect(t.errors.find((e) => e.reason === "stream-not-found")?.message).toMatch(/lost its stream/);
    } finally {
      await subscription.stop();
      await t.dispose();
      await nats.dispose();
    }
  }, 60_000);

  it("re-creates a deleted dead-letter stream when a dead letter cannot be written, and dead-letters the order after all", async () => {
    const t = await openTestFeed(url(), { maxDeliver: 20 });
    const subscription = t.feed.consume(async () => ({ kind: "dead-letter", reason: "unknown SKU" }));
    try {
      await subscription.ready;
      const jsm = await jetstreamManager(t.connection);
      await jsm.streams.delete(t.options.deadLetterStreamName ?? "");
      await t.publisher.publish(order("rejected-without-dlq"));
      await pollUntil("the dead letter was written", async () => (await t.deadLetters().catch(() => [])).length === 1, { timeoutMs: 15_000 });
      await pollUntil("the orders stream is empty", async () => (await t.unsettled()) === 0);
      const failed = t.errors.find((e) => e.reason === "dead-letter-failed");
      expect(failed?.message).toMatch(/no stream stores subject '.*dlq\.rejected'/);
      expect(t.deadLetterNotices).toEqual([expect.objectContaining({ kind: "rejected", orderId: "rejected-without-dlq", reason: "unknown SKU" })]);
      await expectProvisioned(t);
    } finally {
      await subscription.stop();
      await t.dispose();
    }
  }, 30_000);

  it("reports missed heartbeats while the server is frozen, and goes on once it answers again", async () => {
    const nats = await startNatsServer();
    const t = await openTestFeed(natsUrl(nats));
    const { handled, handler } = collecting();
    const subscription = t.feed.consume(handler);
    const pid = nats.pid;
    try {
      if (pid === undefined) throw new Error("no nats-server pid");
      await subscription.ready;
      process.kill(pid, "SIGSTOP");
      try {
        await pollUntil("missed heartbeats were reported", () => t.errors.some((e) => e.reason === "heartbeats-missed"), { timeoutMs: 15_000 });
      } finally {
        process.kill(pid, "SIGCONT");
      }
      expect(t.errors.filter((e) => e.reason === "heartbeats-missed")).toHaveLength(1);
      await t.publisher.publish(order("after-freeze"));
      await pollUntil("the order published after the freeze was handled", () => handled.has("after-freeze"), { timeoutMs: 20_000 });
    } finally {
      if (pid !== undefined && nats.running) process.kill(pid, "SIGCONT");
      await subscription.stop();
      await t.dispose();
      await nats.dispose();
    }
  }, 60_000);

  it("with recreateMissing off, reports the lost consumer and resumes once it is provisioned again", async () => {
    const t = await openTestFeed(url(), {}, { recreateMissing: false });
    const { handled, handler } = collecting();
    const subscription = t.feed.consume(handler);
    try {
      await subscription.ready;
      const jsm = await jetstreamManager(t.connection);
      await jsm.consumers.delete(t.options.streamName ?? "", t.options.consumerName ?? "");
      await t.publisher.publish(order("while-missing"));
      await pollUntil("the lost consumer was reported", () => t.errors.some((e) => e.reason === "consumer-not-found"), { timeoutMs: 20_000 });
      expect(t.errors.find((e) => e.reason === "consumer-not-found")?.message).toMatch(/recreateMissing is off/);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await jsm.consumers.info(t.options.streamName ?? "", "engine").then(() => true, () => false)).toBe(false);
      expect(handled.has("while-missing")).toBe(false);
      await provisionStreams(t.connection, t.options);
      await pollUntil("the order was handled once the consumer was back", () => handled.has("while-missing"), { timeoutMs: 20_000 });
    } finally {
      await subscription.stop();
      await t.dispose();
    }
  }, 40_000);
});
