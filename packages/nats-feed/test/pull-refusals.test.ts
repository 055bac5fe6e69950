// nats-server ends a pull request it refuses with a 409 status, and not every 409 means the same. A
// pull beyond the consumer's max_batch or max_expires is refused every time (the consumer does not fit
// the feed: an operator must fix it); "Exceeded MaxWaiting" only says the consumer already holds as
// many waiting pulls as it allows (other workers') — a later pull gets in. Found by review: the feed
// reported every such refusal as an incompatible consumer, which /readyz now reads (contention would
// have made the engine look broken).

import { createInbox, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { pollUntil } from "@synclag/testkit";
import { describe, expect, it } from "vitest";
import { consumerConfig, JetStreamOrderFeed, JetStreamOrderPublisher, provisionStreams, resolveFeedOptions, type NatsFeedError } from "../src/index.js";
import { ackingHandler, connectTo, FAST, natsMissing, order, uniqueNames, usePrivateNatsServer } from "./support.js";

/** Raw pull requests on the durable consumer `engine` of `stream` (what nats.js's fetch publishes). */
const nextSubject = (stream: string): string => `$JS.API.CONSUMER.MSG.NEXT.${stream}.engine`;

/** Another worker's pull request, left waiting on the server until `expiresMs` or until it unsubscribes. */
function holdPull(connection: NatsConnection, stream: string, expiresMs: number): { release: () => void } {
  const inbox = createInbox();
  const subscription = connection.subscribe(inbox);
  connection.publish(nextSubject(stream), JSON.stringify({ batch: 1, expires: expiresMs * 1_000_000 }), { reply: inbox });
  return { release: () => subscription.unsubscribe() };
}

describe.skipIf(natsMissing !== undefined)("JetStream feed: pull requests nats-server refuses", () => {
  const nats = usePrivateNatsServer();

  it("backs off and pulls again while the consumer holds max_waiting pulls of other workers, without reporting an incompatible consumer", async () => {
    const names = { ...FAST, ...uniqueNames("maxwait") };
    const stream = names.streamName ?? "";
    const connection = await connectTo(nats.url());
    const other = await connectTo(nats.url());
    const errors: NatsFeedError[] = [];
    let subscription: ReturnType<JetStreamOrderFeed["consume"]> | undefined;
    let pulls = 0;
    const counter = other.subscribe(nextSubject(stream), { callback: () => void pulls++ });
    try {
      await provisionStreams(connection, names);
      // A consumer that takes one waiting pull at a time, held by another worker.
      const jsm = await jetstreamManager(connection);
      await jsm.consumers.delete(stream, "engine");
      await jsm.consumers.add(stream, { ...consumerConfig(resolveFeedOptions(names)), max_waiting: 1 });
      const holder = holdPull(other, stream, 60_000);
      await other.flush();
      await pollUntil("the other worker's pull is waiting", async () => (await jsm.consumers.info(stream, "engine")).num_waiting === 1);

      const { handled, handler } = ackingHandler();
      const feed = new JetStreamOrderFeed({ connection, ...names, failureRetryDelayMs: 50, onError: (e) => errors.push(e) });
      subscription = feed.consume(handler);
      await subscription.ready;
      await pollUntil("the refused pull was reported as back-pressure", () => errors.some((e) => e.reason === "pull-backpressure"), { timeoutMs: 10_000 });
      const first = errors.find((e) => e.reason === "pull-backpressure");
      expect(first?.message).toMatch(/exceeded maxwaiting/i);
      expect(first?.retryable).toBe(true);
      const pullsBefore = pulls;
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      // Backing off (250 ms doubling): a handful of pulls in 3 s, not a hot loop of refusals.
      expect(pulls - pullsBefore).toBeGreaterThanOrEqual(1);
      expect(pulls - pullsBefore).toBeLessThanOrEqual(8);
      expect(errors.filter((e) => e.reason === "incompatible-consumer")).toEqual([]);
      expect(errors.filter((e) => e.reason === "pull-backpressure")).toHaveLength(1); // once per episode
      expect(feed.consumerProblem()).toBeUndefined();

      // The other worker goes away: its pull loses interest, and the feed's next pull gets in.
      holder.release();
      await other.flush();
      await new JetStreamOrderPublisher({ connection, ...names }).publish(order("after-contention"));
      await pollUntil("the order was handled once a pull got in", () => handled.includes("after-contention"), { timeoutMs: 15_000 });
      expect(errors.filter((e) => e.reason === "incompatible-consumer")).toEqual([]);
    } finally {
      counter.unsubscribe();
      await subscription?.stop();
      await other.drain();
      await connection.drain();
    }
  }, 60_000);

  /** A consumer with one waiting-pull slot (and `extra` settings), and another worker's pull holding it. */
  async function oneSlotHeldByAnother(tag: string, extra: Record<string, number> = {}) {
    const names = { ...FAST, ...uniqueNames(tag) };
    const stream = names.streamName ?? "";
    const connection = await connectTo(nats.url());
    const other = await connectTo(nats.url());
    const jsm = await jetstreamManager(connection);
    await provisionStreams(connection, names);
    await jsm.consumers.delete(stream, "engine");
    await jsm.consumers.add(stream, { ...consumerConfig(resolveFeedOptions(names)), max_waiting: 1, ...extra });
    const holder = holdPull(other, stream, 60_000);
    const errors: NatsFeedError[] = [];
    const backpressure = () => errors.filter((e) => e.reason === "pull-backpressure");
    const close = async () => {
      holder.release();
      await other.drain();
      await connection.drain();
    };
    return { names, stream, connection, jsm, errors, backpressure, close };
  }

  it("clears a consumer problem once the consumer is fixed, even while its pulls are turned away for max_waiting (review)", async () => {
    const { names, stream, connection, jsm, errors, backpressure, close } = await oneSlotHeldByAnother("stale", { max_batch: 10 });
    const feed = new JetStreamOrderFeed({ connection, ...names, failureRetryDelayMs: 50, onError: (e) => errors.push(e) });
    const subscription = feed.consume(ackingHandler().handler);
    try {
      await subscription.ready.catch(() => undefined);
      expect(feed.consumerProblem()?.message).toMatch(/max_batch.*found 10/);
      await jsm.consumers.update(stream, "engine", { max_batch: 0 });
      // The pull now fits the consumer and is turned away only because another worker holds the one waiting slot.
      await pollUntil("the feed pulls again and is turned away", () => backpressure().length > 0, { timeoutMs: 15_000 });
      expect(feed.consumerProblem()).toBeUndefined();
    } finally {
      await subscription.stop();
      await close();
    }
  }, 60_000);

  it("keeps saying so while its pulls are turned away, not only at the first refusal (review)", async () => {
    const { names, connection, errors, backpressure, close } = await oneSlotHeldByAnother("starve");
    const subscription = new JetStreamOrderFeed({ connection, ...names, backpressureReportIntervalMs: 1_000, onError: (e) => errors.push(e) }).consume(ackingHandler().handler);
    try {
      await pollUntil("the refusals reported again", () => backpressure().length >= 2, { timeoutMs: 15_000 });
      expect(backpressure()[1]?.message).toMatch(/no pull served for \d+ s \(\d+ refused\).*raise the consumer's max_waiting/);
    } finally {
      await subscription.stop();
      await close();
    }
  }, 60_000);
});
