// The APPLY script's wire protocol without a server: KEYS/ARGV encoding and reply decoding.
import { describe, expect, it } from "vitest";
import { normalizeOrder } from "@synclag/core";
import type { NormalizedOrder } from "@synclag/core";
import { RedisStockStoreError } from "./errors.js";
import { stockKeys } from "./keys.js";
import { CONFLICT_MESSAGE, decodeApplyReply, decodeAuditEntry, decodeLevels, decodeOutboxEntry, decodePendingCancellation, decodeStreamEntry, encodeApply } from "./script-protocol.js";
import type { ApplyOp } from "./script-protocol.js";

const keys = stockKeys({ keyPrefix: "t:", partition: "p" });

function normalized(input: { orderId: string; sourceChannel: string; lines: { sku: string; quantity: number }[] }): NormalizedOrder {
  const result = normalizeOrder(input);
  if (!result.ok) throw new Error("test order is invalid");
  return result.order;
}

const o1 = normalized({ orderId: "o1", sourceChannel: "amazon", lines: [{ sku: "B", quantity: 2 }, { sku: "A", quantity: 1 }] });

describe("APPLY script protocol (no server)", () => {
  it("encodes orders and mutations as KEYS and ARGV walked in step: one key per order, one per line", () => {
    const ops: ApplyOp[] = [{ kind: "order", order: o1 }, { kind: "restock", sku: "C", quantity: 4, reason: "po" }, { kind: "set", sku: "D", quantity: 0 }];
    expect(encodeApply(keys, ops, 1_700_000_000_123, 60_000)).toEqual({
      keys: ["t:{p}:seq", "t:{p}:audit", "t:{p}:outbox", "t:{p}:skus", "t:{p}:cancellations", "t:{p}:order:o1", "t:{p}:sku:A", "t:{p}:sku:B", "t:{p}:sku:C", "t:{p}:sku:D"],
      args: ["1700000000123", "60000", "3", "O", "o1", "amazon", o1.fingerprint, "2", "A", "1", "B", "2", "R", "C", "4", "1", "po", "S", "D", "0", "0", ""],
    });
  });

  it("decodes every result kind into the core's outcome types, with the model's messages", () => {
    const ops: ApplyOp[] = [
      { kind: "order", order: o1 },
      { kind: "order", order: o1 },
      { kind: "order", order: o1 },
      { kind: "order", order: o1 },
      { kind: "order", order: o1 },
      { kind: "restock", sku: "A", quantity: 1 },
      { kind: "set", sku: "A", quantity: 1 },
    ];
    const reply = JSON.stringify([
      { k: "a", s: 7, c: [["A", -1, 4, 2], ["B", -2, 0, 3]] },
      { k: "i", s: 8, h: [["B", 2, 1]] },
      { k: "d", o: { k: "a", s: 7, c: [["A", -1, 4, 2]] } },
      { k: "c" },
      { k: "u", x: [1] },
      { k: "m", s: 9, c: ["A", 1, 5, 3] },
      { k: "x" },
    ]);
    expect(decodeApplyReply(reply, ops)).toEqual([
      { kind: "applied", orderId: "o1", changes: [{ sku: "A", delta: -1, quantity: 4, version: 2 }, { sku: "B", delta: -2, quantity: 0, version: 3 }], auditSeq: 7 },
      { kind: "insufficient", orderId: "o1", shortages: [{ sku: "B", requested: 2, available: 1 }], auditSeq: 8 },
      { kind: "duplicate", orderId: "o1", original: { kind: "applied", orderId: "o1", changes: [{ sku: "A", delta: -1, quantity: 4, version: 2 }], auditSeq: 7 } },
      { kind: "conflict", orderId: "o1", message: CONFLICT_MESSAGE },
      { kind: "invalid", orderId: "o1", problems: [{ path: "lines.1.sku", message: 'unknown SKU "B"' }] },
      { kind: "changed", change: { sku: "A", delta: 1, quantity: 5, version: 3 }, auditSeq: 9 },
      { kind: "invalid", problems: [{ path: "quantity", message: "resulting stock would exceed 1000000000" }] },
    ]);
  });

  it("reports a reply that does not fit the operations as corrupt_state", () => {
    const ops: ApplyOp[] = [{ kind: "order", order: o1 }];
    for (const reply of ["[]", "not json", JSON.stringify([{ k: "?" }]), JSON.stringify([{ k: "a", s: 1.5, c: [] }]), JSON.stringify([{ k: "u", x: [5] }]), 42]) {
      expect(() => decodeApplyReply(reply, ops)).toThrow(RedisStockStoreError);
    }
  });

  it("reads levels and an empty cjson list ({}) as what they are", () => {
    expect(decodeLevels('[["5","2"],false]', 2)).toEqual([{ quantity: 5, version: 2 }, undefined]);
    expect(decodeLevels("{}", 0)).toEqual([]);
  });

  it("decodes audit and outbox stream entries with exactly the model's optional fields", () => {
    const fields = (flat: string[]) => decodeStreamEntry(["3-0", flat]).fields;
    expect(decodeAuditEntry("3-0", fields(["kind", "insufficient", "atMs", "12.5", "orderId", "o", "sourceChannel", "c", "changes", "[]", "shortages", '[["B",2,1]]']))).toEqual({
      seq: 3,
      atMs: 12.5,
      kind: "insufficient",
      orderId: "o",
      sourceChannel: "c",
      changes: [],
      shortages: [{ sku: "B", requested: 2, available: 1 }],
    });
    expect(decodeAuditEntry("4-0", fields(["kind", "restock", "atMs", "1", "changes", '[["A",1,2,3]]']))).toEqual({ seq: 4, atMs: 1, kind: "restock", changes: [{ sku: "A", delta: 1, quantity: 2, version: 3 }] });
    expect(decodeOutboxEntry("1-1", fields(["atMs", "1", "changes", '[["A\\/b",1,2,3]]']))).toEqual({ id: "1-1", atMs: 1, changes: [{ sku: "A/b", delta: 1, quantity: 2, version: 3 }] });
    expect(decodePendingCancellation('[7,"o\\/1","amazon","1700000000000.5"]')).toEqual({ seq: 7, orderId: "o/1", sourceChannel: "amazon", atMs: 1_700_000_000_000.5 });
    expect(() => decodePendingCancellation('[0,"o","amazon","1"]')).toThrow(/seq/u);
    expect(() => decodePendingCancellation('[7,"o","amazon","soon"]')).toThrow(/atMs/u);
    expect(() => decodePendingCancellation("[7,")).toThrow(/not JSON/u);
    expect(() => decodeAuditEntry("3-1", fields(["kind", "order", "atMs", "1", "changes", "[]"]))).toThrow(/seq/u);
    expect(() => decodeAuditEntry("3-0", fields(["kind", "oops", "atMs", "1", "changes", "[]"]))).toThrow(/kind/u);
  });
});
