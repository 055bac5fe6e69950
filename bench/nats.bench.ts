// The order feed's ceiling from one Node process against a private local nats-server (JetStream, file
// storage): publish rate with one PubAck awaited at a time (sync), publish rate with many PubAcks
// outstanding (async batched), and consume-and-ack rate with a no-op handler draining a backlog.
// The engine issue compares its end-to-end rate to these. Easy to get wrong: client and server share
// the machine's cores, so these are figures for this machine only; and "consumed" is measured until
// the server has processed the acks (the work-queue stream is empty), not until the handler returned.
//
// usage: npm run bench -- nats [--sync N] [--async N] [--concurrency N] [--batch N] [--rounds N]
// Each figure is the median of the rounds (a noisy neighbour on a shared machine moves single runs a lot).

import { jetstreamManager } from "@nats-io/jetstream";
import { loadavg } from "node:os";
import { encodeOrderEvent, type OrderEvent } from "@synclag/core";
import { connectNats, JetStreamOrderFeed, JetStreamOrderPublisher, provisionStreams, type JetStreamFeedOptions } from "@synclag/nats-feed";
import { natsUrl, startNatsServer } from "@synclag/testkit";
import type { BenchContext } from "./run.js";

const BUDGET_MS = 100_000;

function option(args: readonly string[], name: string, fallback: number): number {
  const index = args.indexOf(`--${name}`);
  const value = index >= 0 ? Number(args[index + 1]) : fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
  return value;
}

function event(run: string, i: number): OrderEvent {
  return {
    orderId: `${run}-${i}`,
    sourceChannel: ["shopify", "amazon", "ebay", "woocommerce"][i % 4] ?? "shopify",
    lines: [{ sku: `SKU-${i % 500}`, quantity: 1 + (i % 3) }],
    confirmedAtMs: 1_700_000_000_000 + i,
  };
}

async function until(what: string, check: () => Promise<boolean>, deadline: number): Promise<void> {
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`benchmark budget exceeded waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface Round {
  readonly publishSyncPerSecond: number;
  readonly publishAsyncPerSecond: number;
  readonly consumeAckPerSecond: number;
  readonly redelivered: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : Math.round(((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2);
}

export default async function natsBench(context: BenchContext): Promise<Record<string, unknown>> {
  const syncCount = option(context.args, "sync", 5_000);
  const asyncCount = option(context.args, "async", 50_000);
  const maxConcurrentHandlers = option(context.args, "concurrency", 64);
  const pullBatchSize = option(context.args, "batch", 256);
  const rounds = option(context.args, "rounds", 3);
  const deadline = Date.now() + BUDGET_MS;
  const loadAverageAtStart = Number(loadavg()[0]?.toFixed(2));

  const server = await startNatsServer();
  const connection = await connectNats({ servers: natsUrl(server), name: "synclag-bench" });
  try {
    const names: JetStreamFeedOptions = { streamName: "BENCH_ORDERS", deadLetterStreamName: "BENCH_DLQ", subjectPrefix: "bench.orders", deadLetterSubjectPrefix: "bench.dlq", maxAckPending: 10_000 };
    const provisioned = await provisionStreams(connection, names);
    const jsm = await jetstreamManager(connection);
    const stored = async (): Promise<number> => (await jsm.streams.info("BENCH_ORDERS")).state.messages;
    const publisher = new JetStreamOrderPublisher({ connection, ...names, maxPendingAcks: 512 });
    const feed = new JetStreamOrderFeed({ connection, ...names, maxConcurrentHandlers, pullBatchSize });
    const payloadBytes = encodeOrderEvent(event("run-x", 1)).byteLength;
    context.log(`nats-server ${provisioned.serverVersion} on 127.0.0.1:${server.port}, payload ~${payloadBytes} B, load average ${loadAverageAtStart}`);

    // Warm-up (JIT, connection buffers), then purge so every round starts from an empty stream.
    await publisher.publishMany(Array.from({ length: 2_000 }, (_, i) => event("warm", i)));
    await jsm.streams.purge("BENCH_ORDERS");

    const results: Round[] = [];
    for (let round = 1; round <= rounds; round++) {
      context.log(`round ${round}/${rounds}: publish sync ${syncCount} (one PubAck at a time), async ${asyncCount} (≤ 512 PubAcks outstanding)`);
      let started = performance.now();
      for (let i = 0; i < syncCount; i++) await publisher.publish(event(`r${round}-sync`, i));
      const syncSeconds = (performance.now() - started) / 1000;

      const asyncEvents = Array.from({ length: asyncCount }, (_, i) => event(`r${round}-async`, i));
      started = performance.now();
      const outcomes = await publisher.publishMany(asyncEvents);
      const asyncSeconds = (performance.now() - started) / 1000;
      const failed = outcomes.filter((o) => !o.ok).length;
      if (failed > 0) throw new Error(`${failed} async publishes failed`);

      const total = syncCount + asyncCount;
      await until("the backlog is stored", async () => (await stored()) === total, deadline);
      context.log(`round ${round}/${rounds}: consume+ack ${total}, no-op handler, ${maxConcurrentHandlers} handlers, pull batch ${pullBatchSize}`);
      started = performance.now();
      const subscription = feed.consume(() => Promise.resolve({ kind: "ack" }));
      await until("every event is acked on the server", async () => (await stored()) === 0, deadline);
      const consumeSeconds = (performance.now() - started) / 1000;
      await subscription.stop();
      results.push({
        publishSyncPerSecond: Math.round(syncCount / syncSeconds),
        publishAsyncPerSecond: Math.round(asyncCount / asyncSeconds),
        consumeAckPerSecond: Math.round(total / consumeSeconds),
        redelivered: subscription.stats().delivered - total,
      });
    }

    return {
      publishSyncPerSecond: median(results.map((r) => r.publishSyncPerSecond)),
      publishAsyncPerSecond: median(results.map((r) => r.publishAsyncPerSecond)),
      consumeAckPerSecond: median(results.map((r) => r.consumeAckPerSecond)),
      aggregation: `median of ${rounds} rounds`,
      rounds: results,
      messagesPerRound: { sync: syncCount, async: asyncCount, consumed: syncCount + asyncCount },
      payloadBytes,
      settings: { maxPendingAcks: 512, maxConcurrentHandlers, pullBatchSize, storage: "file", retention: "workqueue", noAsyncTraces: true },
      serverVersion: provisioned.serverVersion,
      loadAverage1m: { atStart: loadAverageAtStart, atEnd: Number(loadavg()[0]?.toFixed(2)) },
      note: "one Node process and nats-server on the same machine; the publisher validates each event (core schema) and sets Nats-Msg-Id; consume+ack is timed until the server has removed every message",
    };
  } finally {
    await connection.close();
    await server.dispose();
  }
}
