import { DiscardPolicy, jetstreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { NatsFeedError, provisionStreams } from "../src/index.js";
import { connectTo, natsMissing, uniqueNames, usePrivateNatsServer } from "./support.js";

async function refusal(run: Promise<unknown>): Promise<NatsFeedError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NatsFeedError);
  return error as NatsFeedError;
}

describe.skipIf(natsMissing !== undefined)("provisionStreams", () => {
  const nats = usePrivateNatsServer();

  it("creates a file-backed work-queue orders stream, a dead-letter stream and a durable pull consumer with the stated limits", async () => {
    const connection = await connectTo(nats.url());
    try {
      const names = uniqueNames("prov");
      const result = await provisionStreams(connection, { ...names, duplicateWindowMs: 90_000, maxBytes: 10_000_000, ackWaitMs: 2_000, backoffMs: [4_000, 8_000], maxDeliver: 6 });
      expect(result.serverVersion).toMatch(/^2\./);
      expect(result.created).toEqual([`stream ${names.streamName}`, `stream ${names.deadLetterStreamName}`, `consumer ${names.streamName}/engine`]);
      const jsm = await jetstreamManager(connection);
      const orders = (await jsm.streams.info(names.streamName ?? "")).config;
      expect(orders).toMatchObject({
        subjects: [`${names.subjectPrefix}.*`],
        storage: StorageType.File,
        retention: RetentionPolicy.Workqueue,
        discard: DiscardPolicy.New,
        duplicate_window: 90_000_000_000,
        max_bytes: 10_000_000,
      });
      const dead = (await jsm.streams.info(names.deadLetterStreamName ?? "")).config;
      expect(dead).toMatchObject({ subjects: [`${names.deadLetterSubjectPrefix}.*`], storage: StorageType.File, retention: RetentionPolicy.Limits });
      const consumer = (await jsm.consumers.info(names.streamName ?? "", "engine")).config;
      expect(consumer).toMatchObject({ ack_policy: "explicit", ack_wait: 2_000_000_000, max_deliver: 6, backoff: [2e9, 4e9, 8e9] });
      expect(consumer.deliver_subject).toBeUndefined();
    } finally {
      await connection.close();
    }
  });

  it("changes nothing when run again with the same options", async () => {
    const connection = await connectTo(nats.url());
    try {
      const names = uniqueNames("again");
      await provisionStreams(connection, names);
      const jsm = await jetstreamManager(connection);
      const before = await jsm.streams.info(names.streamName ?? "");
      const second = await provisionStreams(connection, names);
      expect(second.created).toEqual([]);
      expect(second.updated).toEqual([]);
      expect(second.unchanged).toHaveLength(3);
      expect((await jsm.streams.info(names.streamName ?? "")).created).toBe(before.created);
    } finally {
      await connection.close();
    }
  });

  it("refuses an existing orders stream with memory storage, naming the field instead of reusing it", async () => {
    const connection = await connectTo(nats.url());
    try {
      const names = uniqueNames("mem");
      const jsm = await jetstreamManager(connection);
      await jsm.streams.add({ name: names.streamName ?? "", subjects: [`${names.subjectPrefix}.*`], storage: StorageType.Memory, retention: RetentionPolicy.Workqueue });
      const error = await refusal(provisionStreams(connection, names));
      expect(error.reason).toBe("incompatible-stream");
      expect(error.message).toMatch(/storage: expected "file", found "memory" \(cannot be changed in place\)/);
      // Even when asked to update: storage cannot change in place.
      expect((await refusal(provisionStreams(connection, { ...names, onMismatch: "update" }))).reason).toBe("incompatible-stream");
    } finally {
      await connection.close();
    }
  });

  it("refuses a consumer whose max-deliver differs, and updates it in place only when asked to", async () => {
    const connection = await connectTo(nats.url());
    try {
      const names = uniqueNames("upd");
      await provisionStreams(connection, { ...names, maxDeliver: 5 });
      const error = await refusal(provisionStreams(connection, { ...names, maxDeliver: 7 }));
      expect(error.reason).toBe("incompatible-consumer");
      expect(error.message).toMatch(/max_deliver: expected 7, found 5/);
      const result = await provisionStreams(connection, { ...names, maxDeliver: 7, duplicateWindowMs: 30_000, onMismatch: "update" });
      expect(result.updated).toEqual([`stream ${names.streamName}`, `stream ${names.deadLetterStreamName}`, `consumer ${names.streamName}/engine`]);
      const jsm = await jetstreamManager(connection);
      expect((await jsm.consumers.info(names.streamName ?? "", "engine")).config.max_deliver).toBe(7);
      expect((await jsm.streams.info(names.streamName ?? "")).config.duplicate_window).toBe(30_000_000_000);
    } finally {
      await connection.close();
    }
  });

  it("refuses options nats-server would reject before touching the server", async () => {
    const connection = await connectTo(nats.url());
    try {
      const error = await refusal(provisionStreams(connection, { ...uniqueNames("bad"), backoffMs: [1_000, 2_000, 3_000], maxDeliver: 3 }));
      expect(error.reason).toBe("invalid-options");
    } finally {
      await connection.close();
    }
  });
});
