// A message the orders stream accepted can outgrow the dead-letter stream's message size once its
// headers are copied under `Synclag-Original-Header-*` (24 more bytes per header): the write failed with
// "message size exceeds maximum allowed" on every delivery and the message was retried forever (found by
// review: 1 500 small headers and 50 KB). Now the record is written again with the copied headers that
// fit and a count of those left out — the original bytes always whole.

import { jetstream } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import { pollUntil } from "@synclag/testkit";
import { describe, expect, it } from "vitest";
import { natsMissing, openTestFeed, usePrivateNatsServer } from "./support.js";

describe.skipIf(natsMissing !== undefined)("JetStream feed: a dead letter larger than the dead-letter stream allows", () => {
  const nats = usePrivateNatsServer();

  it("dead-letters an invalid message with many headers, keeping its bytes and the headers that fit, counting the rest", async () => {
    const t = await openTestFeed(nats.url());
    const subscription = t.feed.consume(async () => ({ kind: "ack" }));
    try {
      await subscription.ready;
      const h = headers();
      for (let i = 0; i < 1_500; i++) h.append(`H${i}`, "v"); // ~12 KB of headers, ~48 KB once prefixed
      const data = new TextEncoder().encode("x".repeat(50_000)); // not JSON: dead-lettered as invalid
      await jetstream(t.connection).publish(`${t.options.subjectPrefix}.foreign`, data, { headers: h });
      await pollUntil("the message was dead-lettered", async () => (await t.deadLetters()).length === 1, { timeoutMs: 15_000 });
      await pollUntil("the orders stream is empty", async () => (await t.unsettled()) === 0);
      const [letter] = await t.deadLetters();
      expect(letter?.kind).toBe("invalid");
      expect(letter?.data).toEqual(data);
      const kept = Object.keys(letter?.headers ?? {}).length;
      expect(kept).toBeGreaterThan(0);
      expect(letter?.headers["H0"]).toEqual(["v"]);
      expect(kept + (letter?.headersDropped ?? 0)).toBe(1_500);
      expect(letter?.headersDropped).toBeGreaterThan(0);
    } finally {
      await subscription.stop();
      await t.dispose();
    }
  }, 30_000);
});
