import { describe, expect, it } from "vitest";
import { resolveFeedOptions } from "./feed-options.js";
import { consumerConfig, deadLetterStreamConfig, diffConsumerConfig, diffConsumerReception, diffStreamConfig, ordersStreamConfig, serverVersionSupported } from "./provision-streams.js";

describe("provisioning comparisons (no server)", () => {
  const options = resolveFeedOptions({ duplicateWindowMs: 60_000, ackWaitMs: 1_000, backoffMs: [2_000], maxDeliver: 3 });

  it("finds no difference between a stream and its own config", () => {
    const desired = ordersStreamConfig(options);
    expect(diffStreamConfig(desired, { ...desired })).toEqual([]);
  });

  it("names each differing stream field, and says storage cannot change in place", () => {
    const desired = ordersStreamConfig(options);
    const found = diffStreamConfig(desired, { ...desired, storage: "memory" as never, duplicate_window: 5_000_000_000 });
    expect(found).toEqual([
      { field: "storage", expected: '"file"', actual: '"memory"', updatable: false },
      { field: "duplicate_window", expected: "60000 ms", actual: "5000 ms", updatable: true },
    ]);
  });

  it("names the stream settings the feed never sets that change what a stream keeps or how it answers, and which can change in place", () => {
    const desired = ordersStreamConfig(options);
    const found = diffStreamConfig(desired, {
      ...desired,
      allow_rollup_hdrs: true,
      no_ack: true,
      deny_delete: true,
      sealed: true,
      mirror: { name: "ELSEWHERE" },
      sources: [{ name: "B" }, { name: "A" }],
    });
    expect(found.map((m) => [m.field.split(" ")[0], m.expected, m.actual, m.updatable])).toEqual([
      ["allow_rollup_hdrs", "false", "true", true],
      ["no_ack", "false", "true", true],
      ["deny_delete", "false", "true", false],
      ["sealed", "false", "true", false],
      ["mirror", "unset", '"ELSEWHERE"', false],
      ["sources", "unset", '["A","B"]', false],
    ]);
    // What nats-server 2.9 reports for a stream created from the config: false, or the field left out.
    expect(diffStreamConfig(desired, { ...desired, allow_rollup_hdrs: false, no_ack: undefined as never, deny_delete: false, sealed: false, sources: [] })).toEqual([]);
  });

  it("leaves deny_delete on the dead-letter stream to the operator (the feed never deletes a dead letter)", () => {
    const desired = deadLetterStreamConfig(options);
    expect(diffStreamConfig(desired, { ...desired, deny_delete: true, deny_purge: true })).toEqual([]);
    expect(diffStreamConfig(desired, { ...desired, allow_rollup_hdrs: true }).map((m) => m.field.split(" ")[0])).toEqual(["allow_rollup_hdrs"]);
  });

  it("starts the consumer's backoff schedule with the ack wait, as nats-server would rewrite it", () => {
    expect(consumerConfig(options).backoff).toEqual([1_000_000_000, 2_000_000_000]);
    expect(consumerConfig(options).ack_wait).toBe(1_000_000_000);
  });

  it("treats a push consumer or a filtered consumer of the same name as incompatible", () => {
    const desired = consumerConfig(options);
    const found = diffConsumerConfig(desired, { ...desired, deliver_subject: "push.here", filter_subject: "x.y" });
    expect(found.map((m) => [m.field, m.updatable])).toEqual([
      ["deliver_subject (must be a pull consumer)", false],
      ["filter_subject", false],
    ]);
  });

  it("refuses a consumer that would deliver no order bodies or refuse the feed's pulls, and says which fields can be changed in place", () => {
    const desired = consumerConfig(options);
    const found = diffConsumerConfig(
      desired,
      { ...desired, headers_only: true, max_batch: 10, max_expires: 1_000_000_000, max_bytes: 1_000, inactive_threshold: 60_000_000_000, max_waiting: 4 },
      { pullBatchSize: 64, pullExpiresMs: 5_000 },
    );
    expect(found.map((m) => [m.field, m.actual, m.updatable])).toEqual([
      ["headers_only (delivers no order bodies)", "true", true],
      ["max_batch", "10", true],
      ["max_expires", "1000 ms", true],
      ["max_bytes", "1000", true],
      ["inactive_threshold", "60000 ms", true],
      ["max_waiting", "4", false],
    ]);
    expect(found.find((m) => m.field === "max_batch")?.expected).toMatch(/at least 64/);
  });

  it("accepts pull limits at or above what the feed's pulls ask for, and the server's defaults", () => {
    const desired = consumerConfig(options);
    const pull = { pullBatchSize: 64, pullExpiresMs: 5_000 };
    expect(diffConsumerConfig(desired, { ...desired, max_batch: 64, max_expires: 5_000_000_000, max_waiting: 1_000 }, pull)).toEqual([]);
    // What nats-server 2.9 reports for a consumer created from consumerConfig.
    expect(diffConsumerConfig(desired, { ...desired, headers_only: false, max_batch: 0 }, pull)).toEqual([]);
    expect(diffConsumerReception({ max_batch: 63 }, pull).map((m) => m.field)).toEqual(["max_batch"]);
  });

  it("accepts nats-server 2.9 and later, refuses 2.8", () => {
    expect(serverVersionSupported("2.9.10")).toBe(true);
    expect(serverVersionSupported("2.10.0")).toBe(true);
    expect(serverVersionSupported("2.8.4")).toBe(false);
  });
});
