// Provisioning over an existing stream whose settings the feed never sets itself but that change what
// the stream keeps or how it answers (found by review: each was reused silently). allow_rollup_hdrs let
// one foreign `Nats-Rollup: all` message purge every pending order; no_ack made every publish time out
// although the order was stored; deny_delete kept the max-deliver path from deleting (retried forever);
// sealed, mirror and sources streams cannot serve as the feed's streams at all.
import { jetstream, jetstreamManager, type StreamConfig } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { deadLetterStreamConfig, NatsFeedError, ordersStreamConfig, provisionStreams, resolveFeedOptions, type JetStreamFeedOptions } from "../src/index.js";
import { connectTo, FAST, natsMissing, openTestFeed, order, uniqueNames, usePrivateNatsServer } from "./support.js";

async function refusal(run: Promise<unknown>): Promise<NatsFeedError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NatsFeedError);
  return error as NatsFeedError;
}

describe.skipIf(natsMissing !== undefined)("provisionStreams over streams with settings the feed never sets", () => {
  const nats = usePrivateNatsServer();

  /** Creates the orders stream (or, with `deadLetter`, the dead-letter stream) as the feed would, plus `extra`. */
  async function existing(tag: string, extra: Partial<StreamConfig>, deadLetter = false): Promise<JetStreamFeedOptions> {
    const names = { ...FAST, ...uniqueNames(tag) };
    const connection = await connectTo(nats.url());
    try {
      const resolved = resolveFeedOptions(names);
      await (await jetstreamManager(connection)).streams.add({ ...(deadLetter ? deadLetterStreamConfig(resolved) : ordersStreamConfig(resolved)), ...extra });
    } finally {
      await connection.close();
    }
    return names;
  }

  it("refuses an orders stream that allows rollup headers; onMismatch update turns them off, and a foreign rollup message then purges nothing", async () => {
    const names = await existing("rollup", { allow_rollup_hdrs: true });
    const connection = await connectTo(nats.url());
    try {
      const error = await refusal(provisionStreams(connection, names));
      expect(error.reason).toBe("incompatible-stream");
      expect(error.message).toMatch(/allow_rollup_hdrs \(one message with a Nats-Rollup header purges the stream\): expected false, found true\n/);
      expect(error.message).toMatch(/onMismatch: "update" \}\) changes these fields in place/);

      const updated = await provisionStreams(connection, { ...names, onMismatch: "update" });
      expect(updated.updated).toEqual([`stream ${names.streamName}`]);
      const jsm = await jetstreamManager(connection);
      expect((await jsm.streams.info(names.streamName ?? "")).config.allow_rollup_hdrs).toBe(false);

      const t = await openTestFeed(nats.url(), names);
      try {
        for (let i = 0; i < 5; i++) await t.publisher.publish(order(`rollup-${i}`));
        const rollup = headers();
        rollup.set("Nats-Rollup", "all");
        const foreign = await jetstream(connection)
          .publish(`${names.subjectPrefix}.foreign`, new TextEncoder().encode("{}"), { headers: rollup })
          .then(
            () => "stored",
            (e: Error) => e.message,
          );
        expect(foreign).toMatch(/rollup not permitted/i);
        expect(await t.unsettled()).toBe(5);
      } finally {
        await t.dispose();
      }
    } finally {
      await connection.close();
    }
  }, 20_000);

  it("refuses a dead-letter stream that allows rollup headers (one message would purge every dead letter)", async () => {
    const names = await existing("dlqrollup", { allow_rollup_hdrs: true }, true);
    const connection = await connectTo(nats.url());
    try {
      const error = await refusal(provisionStreams(connection, names));
      expect(error.message).toMatch(new RegExp(`stream ${names.deadLetterStreamName} exists[^]*allow_rollup_hdrs`));
    } finally {
      await connection.close();
    }
  });

  it("refuses an orders stream that sends no PubAck; onMismatch update fixes it and a publish is acknowledged again", async () => {
    const names = await existing("noack", { no_ack: true });
    const connection = await connectTo(nats.url());
    try {
      const error = await refusal(provisionStreams(connection, names));
      expect(error.message).toMatch(/no_ack \(the stream sends no PubAck: every publish times out although stored\): expected false, found true/);
      await provisionStreams(connection, { ...names, onMismatch: "update" });
      const t = await openTestFeed(nats.url(), names);
      try {
        await expect(t.publisher.publish(order("acked-1"))).resolves.toMatchObject({ duplicate: false, sequence: 1 });
      } finally {
        await t.dispose();
      }
    } finally {
      await connection.close();
    }
  }, 20_000);

  it("refuses an orders stream that denies deletes, also with onMismatch update (nats-server cannot lift it), and leaves it as it is", async () => {
    const names = await existing("deny", { deny_delete: true });
    const connection = await connectTo(nats.url());
    try {
      const error = await refusal(provisionStreams(connection, { ...names, onMismatch: "update" }));
      expect(error.reason).toBe("incompatible-stream");
      expect(error.message).toMatch(/deny_delete \(the feed deletes messages the server gave up on; nats-server cannot lift it\): expected false, found true \(cannot be changed in place\)/);
      expect(error.message).toMatch(/recreate the stream/);
      const jsm = await jetstreamManager(connection);
      expect((await jsm.streams.info(names.streamName ?? "")).config.deny_delete).toBe(true);
    } finally {
      await connection.close();
    }
  });

  it("accepts a dead-letter stream that denies deletes or purges (an operator protecting the records; the feed never deletes one)", async () => {
    const names = await existing("dlqdeny", { deny_delete: true, deny_purge: true }, true);
    const connection = await connectTo(nats.url());
    try {
      const result = await provisionStreams(connection, names);
      expect(result.unchanged).toContain(`stream ${names.deadLetterStreamName}`);
    } finally {
      await connection.close();
    }
  });

  it("refuses a sealed orders stream, a mirror and a stream with sources, also with onMismatch update", async () => {
    const connection = await connectTo(nats.url());
    try {
      const jsm = await jetstreamManager(connection);
      const sealed = await existing("sealed", {});
      // (nats.js 3.4 does not type `sealed` on an update; nats-server 2.9 takes it.)
      await jsm.streams.update(sealed.streamName ?? "", { sealed: true } as Partial<StreamConfig>);
      expect((await refusal(provisionStreams(connection, { ...sealed, onMismatch: "update" }))).message).toMatch(/sealed \([^)]*\): expected false, found true \(cannot be changed in place\)/);

      const other = uniqueNames("origin");
      await jsm.streams.add({ name: other.streamName ?? "", subjects: [`${other.subjectPrefix}.*`] });
      const sourced = await existing("sourced", { sources: [{ name: other.streamName ?? "" }] });
      expect((await refusal(provisionStreams(connection, { ...sourced, onMismatch: "update" }))).message).toMatch(
        new RegExp(`sources \\([^)]*\\): expected unset, found \\["${other.streamName}"\\] \\(cannot be changed in place\\)`),
      );
      // nats-server would have removed the sources in place: refused, so they are still there.
      expect((await jsm.streams.info(sourced.streamName ?? "")).config.sources).toHaveLength(1);

      const mirror = { ...FAST, ...uniqueNames("mirror") };
      await jsm.streams.add({ name: mirror.streamName ?? "", mirror: { name: other.streamName ?? "" } });
      expect((await refusal(provisionStreams(connection, { ...mirror, onMismatch: "update" }))).message).toMatch(
        new RegExp(`mirror \\([^)]*\\): expected unset, found "${other.streamName}" \\(cannot be changed in place\\)`),
      );
    } finally {
      await connection.close();
    }
  }, 20_000);
});
