import { headers } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { DEAD_LETTER_HEADERS, deadLetterHeaders, deadLetterMessageId, deadLetterPublishHeaders, ORIGINAL_HEADER_PREFIX, orderIdHint, parseDeadLetter, readOriginalHeaders, timestampNanosFromIso } from "./dead-letter.js";

describe("dead-letter records (no server)", () => {
  it("round-trips the reason, the original bytes and the original headers under a prefix", () => {
    const original = headers();
    original.set("Nats-Msg-Id", "order-7");
    original.append("X-Trace", "a");
    original.append("X-Trace", "b");
    const data = new TextEncoder().encode('{"orderId":"order-7","lines":[]}');
    const h = deadLetterHeaders({ kind: "invalid", reason: "lines: too small\nsecond line", orderId: "order-7", subject: "o.shopify", sequence: 12, timestampNanos: 1_700_000_000_123_456_789n, deliveryCount: 1, data, headers: original });
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

  it("keeps only the copied headers that fit the given room, says how many were left out, and reads that back", () => {
    const original = headers();
    for (let i = 0; i < 100; i++) original.append(`H${i}`, "v");
    const data = new TextEncoder().encode("x".repeat(10));
    const input = { kind: "invalid" as const, reason: "r", subject: "o.x", sequence: 1, timestampNanos: 1n, deliveryCount: 1, data, headers: original };
    const lineBytes = `${ORIGINAL_HEADER_PREFIX}H10: v\r\n`.length;
    const h = deadLetterHeaders(input, 10 * lineBytes);
    expect(h.get(DEAD_LETTER_HEADERS.headersDropped)).toBe("90");
    const record = parseDeadLetter({ header: h, data, seq: 1, time: new Date(0) });
    expect(Object.keys(record.headers)).toEqual(Array.from({ length: 10 }, (_, i) => `H${i}`));
    expect(record.headersDropped).toBe(90);
    expect(record.data).toEqual(data);
    // With room for all of them nothing is dropped and no count is written.
    expect(deadLetterHeaders(input).get(DEAD_LETTER_HEADERS.headersDropped)).toBe("");
    expect(parseDeadLetter({ header: deadLetterHeaders(input), data, seq: 1, time: new Date(0) }).headersDropped).toBeUndefined();
  });

  it("reads headers nats.js refuses to decode as an error instead of a throw, and keeps their raw block in the record", () => {
    const read = readOriginalHeaders(() => {
      throw new Error("invalid header name 'X-Trace Id'");
    });
    expect(read).toEqual({ error: "invalid header name 'X-Trace Id'" });
    const raw = new TextEncoder().encode("NATS/1.0\r\nX-Trace Id: abc\r\n\r\n");
    const data = new TextEncoder().encode("not json");
    const h = deadLetterHeaders({ kind: "invalid", reason: "r", subject: "o.x", sequence: 1, timestampNanos: 1n, deliveryCount: 1, data, unreadableHeaders: { error: read.error ?? "", raw } });
    const record = parseDeadLetter({ header: h, data, seq: 1, time: new Date(0) });
    expect(record.headersUnreadable).toMatch(/could not read the original headers \(invalid header name 'X-Trace Id'\)/);
    expect(record.headersRaw).toEqual(raw);
    expect(record.headers).toEqual({});
  });

  it("never writes an empty reason", () => {
    const h = deadLetterHeaders({ kind: "rejected", reason: "\n", subject: "s", sequence: 1, timestampNanos: 1n, deliveryCount: 1, data: new Uint8Array() });
    expect(h.get(DEAD_LETTER_HEADERS.reason)).toBe("(no reason given)");
  });

  it("finds the order id of an invalid event when its JSON has one, and nothing otherwise", () => {
    const bytes = (text: string) => new TextEncoder().encode(text);
    expect(orderIdHint(bytes('{"orderId":"A-1","lines":[{"quantity":-1}]}'))).toBe("A-1");
    expect(orderIdHint(bytes('{"orderId":42}'))).toBeUndefined();
    expect(orderIdHint(bytes("{not json"))).toBeUndefined();
    expect(orderIdHint(bytes("[1,2]"))).toBeUndefined();
  });

  it("gives a dead letter an id that is the same for every delivery of one stored message and differs after the stream was re-created", () => {
    const storedAt = 1_700_000_000_123_456_789n;
    expect(deadLetterMessageId("ORDERS", 1, storedAt)).toBe(deadLetterMessageId("ORDERS", 1, storedAt));
    // Same sequence in a re-created stream: stored at another time, so another record.
    expect(deadLetterMessageId("ORDERS", 1, storedAt + 1n)).not.toBe(deadLetterMessageId("ORDERS", 1, storedAt));
    expect(deadLetterMessageId("ORDERS", 1, storedAt)).not.toBe(deadLetterMessageId("ORDERS", 11, storedAt));
  });

  it("reads a stored message's RFC 3339 timestamp to the nanosecond, as the delivery's reply subject carries it", () => {
    expect(timestampNanosFromIso("2023-11-14T22:13:20.123456789Z")).toBe(1_700_000_000_123_456_789n);
    // nats-server trims trailing zeros (Go's RFC3339Nano) and may omit the fraction.
    expect(timestampNanosFromIso("2023-11-14T22:13:20.12Z")).toBe(1_700_000_000_120_000_000n);
    expect(timestampNanosFromIso("2023-11-14T22:13:20Z")).toBe(1_700_000_000_000_000_000n);
    expect(timestampNanosFromIso("2023-11-15T00:13:20.000000001+02:00")).toBe(1_700_000_000_000_000_001n);
    expect(() => timestampNanosFromIso("yesterday")).toThrow(/not an RFC 3339 timestamp/);
  });

  it("puts the record id and the expected stream ahead of the copied original headers (nats-server 2.9 reads the first occurrence)", () => {
    const original = headers();
    original.set("Nats-Msg-Id", "order-7");
    original.set("Nats-Expected-Stream", "ORDERS");
    const h = deadLetterPublishHeaders("dlq:ORDERS:12:1", "DLQ", { kind: "rejected", reason: "r", subject: "o.shopify", sequence: 12, timestampNanos: 1n, deliveryCount: 1, data: new Uint8Array(), headers: original });
    // Headers are written in this order.
    expect([...h.keys()].slice(0, 2)).toEqual(["Nats-Msg-Id", "Nats-Expected-Stream"]);
    expect(h.get("Nats-Msg-Id")).toBe("dlq:ORDERS:12:1");
    expect(h.get("Nats-Expected-Stream")).toBe("DLQ");
    expect(h.get(`${ORIGINAL_HEADER_PREFIX}Nats-Msg-Id`)).toBe("order-7");
  });
});
