// Engine events read off the Metrics port: one warning per channel outage, one info line on recovery,
// the outbox replay counted — and every call still reaches the wrapped metrics.
import { describe, expect, it } from "vitest";
import type { Labels, Metrics } from "@synclag/core";
import { captureLog } from "../test/log-capture.js";
import { EngineEventLog } from "./engine-events.js";

const capture = () => captureLog("info");

describe("EngineEventLog", () => {
  it("logs a channel going down once per outage and its recovery, and forwards every call", async () => {
    const calls: Array<[string, Labels | undefined, number | undefined]> = [];
    const inner: Metrics = { increment: (name, labels, by) => void calls.push([name, labels, by]), observe: () => undefined, gauge: () => undefined };
    const { lines, logger } = capture();
    let now = 1_000;
    const events = new EngineEventLog(inner, logger, () => now);
    events.increment("pushes_total", { channel: "amazon" }, 3);
    events.increment("channel_failures_total", { channel: "amazon" });
    events.increment("channel_failures_total", { channel: "amazon" });
    events.increment("channel_failures_total", { channel: "amazon" });
    expect(events.channelsDown).toEqual(["amazon"]);
    now = 6_000;
    events.increment("pushes_total", { channel: "shopify" }, 1);
    events.increment("pushes_total", { channel: "amazon" }, 2);
    events.increment("pushes_total", { channel: "amazon" }, 2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toHaveLength(7);
    expect(lines.map((l) => [l.level, l.channel, l.msg])).toEqual([
      [40, "amazon", expect.stringMatching(/^channel down/)],
      [30, "amazon", expect.stringMatching(/^channel recovered/)],
    ]);
    expect(lines[1]).toMatchObject({ downForMs: 5_000, failedCalls: 3 });
    expect(events.channelsDown).toEqual([]);
  });

  it("counts the outbox entries replayed", () => {
    const events = new EngineEventLog({ increment: () => undefined, observe: () => undefined, gauge: () => undefined }, capture().logger);
    events.increment("outbox_replayed_total", undefined, 7);
    expect(events.outboxReplayed).toBe(7);
  });
});
