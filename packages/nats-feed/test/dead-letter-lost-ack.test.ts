// A dead-letter write stored by nats-server whose PubAck never reached the feed (a timeout) is written
// again, and the stream answers `duplicate`. Found by review: since dead letters are counted only when
// not a duplicate (so a record written by two paths counts once), such a dead letter was counted and
// reported by nobody — nats_feed_dead_letters_total, FeedStats.deadLettered and the onDeadLetter notice
// (the service's "dead-lettered" log line) all missed it. The PubAck is lost for real here: the feed's
// connection is wrapped so the first request to the dead-letter subjects reaches the server and is
// stored, and its reply is thrown away as a timeout.
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { headers, TimeoutError, type NatsConnection, type RequestOptions } from "@nats-io/transport-node";
import type { Metrics } from "@synclag/core";
import { pollUntil } from "@synclag/testkit";
import { describe, expect, it } from "vitest";
import { deadLetterMessageId, timestampNanosFromIso } from "../src/dead-letter.js";
import { JetStreamOrderFeed, type DeadLetterNotice, type NatsFeedError } from "../src/index.js";
import { natsMissing, openTestFeed, order, usePrivateNatsServer } from "./support.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function countingMetrics(): { readonly metrics: Metrics; readonly counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const metrics: Metrics = {
    increment: (name, labels, by = 1) => {
      const key = `${name}${labels ? JSON.stringify(labels) : ""}`;
      counts.set(key, (counts.get(key) ?? 0) + by);
    },
    observe: () => {},
    gauge: () => {},
  };
  return { metrics, counts };
}

/** `connection`, except that the first `lose` requests on `subjectPrefix.*` are stored but answered with a timeout. */
function losingReplies(connection: NatsConnection, subjectPrefix: string, lose: number): { readonly connection: NatsConnection; readonly lost: () => number } {
  let lost = 0;
  const wrapped = new Proxy(connection, {
    get(target, property) {
      if (property === "request") {
        return async (subject: string, payload?: Uint8Array | string, options?: RequestOptions) => {
          const reply = await target.request(subject, payload, options);
          if (subject.startsWith(`${subjectPrefix}.`) && lost < lose) {
            lost++;
            throw new TimeoutError();
          }
          return reply;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { connection: wrapped, lost: () => lost };
}

describe.skipIf(natsMissing !== undefined)("JetStream feed: a dead letter whose PubAck was lost", () => {
  const nats = usePrivateNatsServer();

  it.each([
    { path: "written again on the next delivery", maxDeliver: 4 },
    { path: "written again while its last delivery is kept alive", maxDeliver: 1 },
  ])("is counted and reported once ($path)", async ({ maxDeliver }) => {
    const t = await openTestFeed(nats.url(), { ackWaitMs: 2_000, backoffMs: [], maxDeliver });
    const { metrics, counts } = countingMetrics();
    const losing = losingReplies(t.connection, t.options.deadLetterSubjectPrefix ?? "", 1);
    const errors: NatsFeedError[] = [];
    const notices: DeadLetterNotice[] = [];
    const feed = new JetStreamOrderFeed({ connection: losing.connection, ...t.options, failureRetryDelayMs: 50, apiTimeoutMs: 3_000, metrics, onError: (e) => errors.push(e), onDeadLetter: (n) => notices.push(n) });
    const subscription = feed.consume(() => Promise.resolve({ kind: "dead-letter", reason: "unknown sku" }));
    try {
      await t.publisher.publish(order("refused-1"));
      await pollUntil("settled", async () => (await t.unsettled()) === 0, { timeoutMs: 10_000 });
      await sleep(300);
      expect({
        lost: losing.lost(),
        failures: errors.map((e) => e.reason),
        deadLettered: subscription.stats().deadLettered,
        metric: counts.get('nats_feed_dead_letters_total{"kind":"rejected"}'),
        notices: notices.map((n) => `${n.orderId}: ${n.kind}, ${n.reason}`),
        records: (await t.deadLetters()).map((l) => `${l.orderId}: ${l.kind}`),
      }).toEqual({
        lost: 1,
        failures: ["dead-letter-failed"],
        deadLettered: 1,
        metric: 1,
        notices: ["refused-1: rejected, unknown sku"],
        records: ["refused-1: rejected"],
      });
    } finally {
      await subscription.stop();
      await t.dispose();
    }
  }, 30_000);

  it("a record another writer already stored is not counted or reported again by this subscription", async () => {
    const t = await openTestFeed(nats.url());
    const o = t.options;
    await t.publisher.publish(order("refused-elsewhere"));
    const stored = await (await jetstreamManager(t.connection)).streams.getMessage(o.streamName ?? "", { seq: 1 });
    if (!stored) throw new Error("the order was not stored");
    // Another worker wrote this dead letter (and counted and reported it) before crashing ahead of its term.
    const h = headers();
    h.set("Nats-Msg-Id", deadLetterMessageId(o.streamName ?? "", 1, timestampNanosFromIso(stored.timestamp)));
    await jetstream(t.connection).publish(`${o.deadLetterSubjectPrefix}.rejected`, stored.data, { headers: h });
    const subscription = t.feed.consume(() => Promise.resolve({ kind: "dead-letter", reason: "unknown sku" }));
    try {
      await pollUntil("settled", async () => (await t.unsettled()) === 0, { timeoutMs: 10_000 });
      expect({ deadLettered: subscription.stats().deadLettered, notices: t.deadLetterNotices.length, records: (await t.deadLetters()).length }).toEqual({ deadLettered: 0, notices: 0, records: 1 });
    } finally {
      await subscription.stop();
      await t.dispose();
    }
  }, 30_000);
});
