import { describe, expect, it } from "vitest";
import { resolveFeedOptions } from "./feed-options.js";
import { consumerConfig, diffConsumerConfig, diffStreamConfig, ordersStreamConfig, serverVersionSupported } from "./provision-streams.js";

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

  it("accepts nats-server 2.9 and later, refuses 2.8", () => {
    expect(serverVersionSupported("2.9.10")).toBe(true);
    expect(serverVersionSupported("2.10.0")).toBe(true);
    expect(serverVersionSupported("2.8.4")).toBe(false);
  });
});
