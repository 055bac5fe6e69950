// Shared support for the integration tests: one private nats-server per test file (free loopback
// port, temp store, stopped in afterAll), unique stream names per feed, short ack waits, and the
// JetStream harness for the OrderFeed contract. Easy to get wrong: every test must stop what it
// starts (subscriptions, connections) or the vitest worker hangs.

import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { OrderEvent, OrderHandler } from "@synclag/core";
import { natsServerMissing, natsUrl, startNatsServer, type OrderFeedHarness, type ServerProcess } from "@synclag/testkit";
import { afterAll, beforeAll } from "vitest";
import {
  connectNats,
  JetStreamOrderFeed,
  JetStreamOrderPublisher,
  provisionStreams,
  readDeadLetters,
  type DeadLetterNotice,
  type DeadLetterRecord,
  type JetStreamFeedOptions,
  type JetStreamOrderFeedOptions,
  type NatsFeedError,
} from "../src/index.js";

/** Why the integration tests are skipped (nats-server missing outside CI); throws under CI=true. */
export const natsMissing = natsServerMissing();
if (natsMissing) console.warn(`skipping the JetStream integration tests: ${natsMissing}`);

/** Short waits so redelivery happens within the test budget. */
export const FAST: JetStreamFeedOptions = { ackWaitMs: 1_000, backoffMs: [1_000], maxDeliver: 4, duplicateWindowMs: 60_000 };

/** Starts one private nats-server for the calling test file. */
export function usePrivateNatsServer(): { readonly server: () => ServerProcess; readonly url: () => string } {
  let server: ServerProcess | undefined;
  beforeAll(async () => {
    if (!natsMissing) server = await startNatsServer();
  }, 20_000);
  afterAll(async () => {
    await server?.dispose();
  });
  const get = (): ServerProcess => {
    if (!server) throw new Error("nats-server was not started");
    return server;
  };
  return { server: get, url: () => natsUrl(get()) };
}

let counter = 0;
/** Stream, subject and consumer names no other test uses. */
export function uniqueNames(tag: string): JetStreamFeedOptions {
  const id = `${tag}${process.pid}x${++counter}`.replace(/[^A-Za-z0-9]/g, "");
  return {
    streamName: `ORDERS_${id}`,
    deadLetterStreamName: `DLQ_${id}`,
    subjectPrefix: `t.${id}.orders`,
    deadLetterSubjectPrefix: `t.${id}.dlq`,
    consumerName: "engine",
  };
}

export function connectTo(url: string): Promise<NatsConnection> {
  return connectNats({ servers: url, reconnectTimeWaitMs: 100, timeoutMs: 5_000 });
}

export function order(orderId: string, overrides: Partial<OrderEvent> = {}): OrderEvent {
  return { orderId, sourceChannel: "shopify", lines: [{ sku: "SKU-1", quantity: 1 }], confirmedAtMs: 1_700_000_000_000, ...overrides };
}

/** A handler that acks every order and records its id, in arrival order. */
export function ackingHandler(): { readonly handled: string[]; readonly handler: OrderHandler } {
  const handled: string[] = [];
  return {
    handled,
    handler: (event) => {
      handled.push(event.orderId);
      return Promise.resolve({ kind: "ack" });
    },
  };
}

export interface TestFeed extends OrderFeedHarness {
  readonly connection: NatsConnection;
  readonly options: JetStreamFeedOptions;
  readonly feed: JetStreamOrderFeed;
  readonly publisher: JetStreamOrderPublisher;
  deadLetters(): Promise<DeadLetterRecord[]>;
  /** Errors the feed reported through onError. */
  readonly errors: NatsFeedError[];
  /** Dead letters the feed reported through onDeadLetter. */
  readonly deadLetterNotices: DeadLetterNotice[];
  /** Publishes raw bytes on a subject of the orders stream (a foreign producer). */
  publishRaw(bytes: Uint8Array, channel?: string): Promise<void>;
}

/** Provisions fresh streams on the server at `url` and returns a feed, a publisher and probes. */
export async function openTestFeed(url: string, options: JetStreamFeedOptions = {}, feedOptions: Partial<JetStreamOrderFeedOptions> = {}): Promise<TestFeed> {
  const names = { ...FAST, ...uniqueNames("t"), ...options };
  const connection = await connectTo(url);
  await provisionStreams(connection, names);
  const errors: NatsFeedError[] = [];
  const deadLetterNotices: DeadLetterNotice[] = [];
  const feed = new JetStreamOrderFeed({
    connection,
    ...names,
    failureRetryDelayMs: 50,
    stopTimeoutMs: 5_000,
    apiTimeoutMs: 3_000,
    onError: (error) => errors.push(error),
    onDeadLetter: (notice) => deadLetterNotices.push(notice),
    ...feedOptions,
  });
  const publisher = new JetStreamOrderPublisher({ connection, ...names, ackTimeoutMs: 2_000, retryDelayMs: 100 });
  const jsm = await jetstreamManager(connection);
  const js = jetstream(connection);
  return {
    connection,
    options: names,
    feed,
    publisher,
    errors,
    deadLetterNotices,
    deadLetters: () => readDeadLetters(connection, names),
    // Work-queue stream: a message stays stored until it is acked or terminated.
    unsettled: async () => (await jsm.streams.info(names.streamName ?? "")).state.messages,
    publishRaw: async (bytes, channel = "raw") => {
      await js.publish(`${names.subjectPrefix}.${channel}`, bytes);
    },
    dispose: async () => {
      if (!connection.isClosed()) await connection.drain();
    },
  };
}
