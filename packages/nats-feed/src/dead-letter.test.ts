import { headers } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { DEAD_LETTER_HEADERS, deadLetterHeaders, orderIdHint, parseDeadLetter } from "./dead-letter.js";

describe("dead-letter records (no server)", () => {
  it("round-trips the reason, the original bytes and the original headers under a prefix", () => {
    const original = headers();
    original.set("Nats-Msg-Id", "order-7");
    original.append("X-Trace", "a");
    original.append("X-Trace", "b");
    const data = new TextEncoder().encode('{"orderId":"order-7","lines":[]}');
    const h = deadLetterHeaders({ kind: "invalid", reason: "lines: too small\nsecond line", orderId: "order-7", subject: "o.shopify", sequence: 12, deliveryCount: 1, data, headers: original });
    expect(h.get("Nats-Msg-Id")).toBe("");
    const record = parseDeadLetter({ header: h, data, seq: 3, time: new Date(1_700_000_000_000) });
    expect(record).toEqual({
      kind: "invalid",
      reason: "lines: too small second line",
      orderId: "order-7",
      subject: "o.shopify",
      streamSequence: 12,
      deliveryCount: 1,
      data,
      headers: { "Nats-Msg-Id": ["order-7"], "X-Trace": ["a", "b"] },
      deadLetterSequence: 3,
      deadLetteredAtMs: 1_700_000_000_000,
    });
  });

  it("never writes an empty reason", () => {
    const h = deadLetterHeaders({ kind: "rejected", reason: "\n", subject: "s", sequence: 1, deliveryCount: 1, data: new Uint8Array() });
    expect(h.get(DEAD_LETTER_HEADERS.reason)).toBe("(no reason given)");
  });

  it("finds the order id of an invalid event when its JSON has one, and nothing otherwise", () => {
    const bytes = (text: string) => new TextEncoder().encode(text);
    expect(orderIdHint(bytes('{"orderId":"A-1","lines":[{"quantity":-1}]}'))).toBe("A-1");
    expect(orderIdHint(bytes('{"orderId":42}'))).toBeUndefined();
    expect(orderIdHint(bytes("{not json"))).toBeUndefined();
    expect(orderIdHint(bytes("[1,2]"))).toBeUndefined();
  });
});
