import { describe, expect, it } from "vitest";
import { NatsFeedError } from "./errors.js";
import { ackWaitForDelivery, DEFAULT_FEED_OPTIONS, resolveFeedOptions } from "./feed-options.js";

function reasonOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof NatsFeedError ? `${error.reason}: ${error.message}` : `other: ${String(error)}`;
  }
  return undefined;
}

describe("feed options", () => {
  it("fills every default", () => {
    const o = resolveFeedOptions();
    expect(o.streamName).toBe(DEFAULT_FEED_OPTIONS.streamName);
    expect(o.maxDeliver).toBe(5);
    expect(o.maxMessageBytes).toBeGreaterThan(64 * 1024);
    expect(o.deadLetterMaxMessageBytes).toBeGreaterThan(o.maxMessageBytes);
  });

  it("refuses a max-deliver that nats-server would refuse with this many backoff steps", () => {
    expect(reasonOf(() => resolveFeedOptions({ backoffMs: [1_000, 2_000], maxDeliver: 3 }))).toMatch(/^invalid-options: maxDeliver/);
    expect(reasonOf(() => resolveFeedOptions({ backoffMs: [1_000, 2_000], maxDeliver: 4 }))).toBeUndefined();
  });

  it("refuses stream names with dots and subject prefixes with wildcards", () => {
    expect(reasonOf(() => resolveFeedOptions({ streamName: "orders.v1" }))).toMatch(/^invalid-options: streamName/);
    expect(reasonOf(() => resolveFeedOptions({ subjectPrefix: "orders.*" }))).toMatch(/^invalid-options: subjectPrefix/);
  });

  it("refuses overlapping order and dead-letter subjects", () => {
    expect(reasonOf(() => resolveFeedOptions({ subjectPrefix: "a", deadLetterSubjectPrefix: "a.dlq" }))).toMatch(/overlap/);
  });

  it("refuses zero, negative and fractional durations", () => {
    expect(reasonOf(() => resolveFeedOptions({ ackWaitMs: 0 }))).toMatch(/ackWaitMs/);
    expect(reasonOf(() => resolveFeedOptions({ duplicateWindowMs: 1.5 }))).toMatch(/duplicateWindowMs/);
    expect(reasonOf(() => resolveFeedOptions({ backoffMs: [-1] }))).toMatch(/backoffMs\[0\]/);
  });

  it("waits ackWaitMs for the first delivery, then each backoff step, then repeats the last one", () => {
    const o = { ackWaitMs: 100, backoffMs: [200, 300] };
    expect([1, 2, 3, 4, 9].map((n) => ackWaitForDelivery(o, n))).toEqual([100, 200, 300, 300, 300]);
    expect(ackWaitForDelivery({ ackWaitMs: 100, backoffMs: [] }, 4)).toBe(100);
  });
});
