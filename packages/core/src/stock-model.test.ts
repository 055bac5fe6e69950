import { describe, expect, it } from "vitest";
import { StockModel } from "./stock-model.js";
import { listedQuantity, bundleAvailability } from "./policy.js";
import { normalizeOrder } from "./order.js";
import { parseDuration, formatDuration } from "./duration.js";
import { decodeOrderEvent } from "./order-event.js";

const clock = { now: () => 1_000 };
function model() {
  const m = new StockModel({ clock });
  m.setQuantity({ sku: "A", quantity: 5 });
  m.setQuantity({ sku: "B", quantity: 1 });
  return m;
}

describe("StockModel (the reference stock rules)", () => {
  it("applies all lines, bumps each SKU's version and audits the change", () => {
    const m = model();
    const result = m.applyOrder({ orderId: "o1", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 2 }, { sku: "B", quantity: 1 }] });
    expect(result).toMatchObject({ kind: "applied", changes: [{ sku: "A", delta: -2, quantity: 3, version: 2 }, { sku: "B", delta: -1, quantity: 0, version: 2 }] });
    expect(m.readAudit().at(-1)).toMatchObject({ kind: "order", orderId: "o1", sourceChannel: "amazon", atMs: 1000 });
    expect(m.outboxSize).toBe(3);
  });

  it("rejects an order larger than available stock and writes no stock", () => {
    const m = model();
    const result = m.applyOrder({ orderId: "o1", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 2 }, { sku: "B", quantity: 2 }] });
    expect(result).toMatchObject({ kind: "insufficient", shortages: [{ sku: "B", requested: 2, available: 1 }] });
    expect(m.level("A")).toEqual({ quantity: 5, version: 1 });
    expect(m.level("B")).toEqual({ quantity: 1, version: 1 });
  });

  it("returns the stored result for a redelivered order and conflict for a reused id", () => {
    const m = model();
    const first = m.applyOrder({ orderId: "o1", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }] });
    expect(m.applyOrder({ orderId: "o1", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }] })).toEqual({ kind: "duplicate", orderId: "o1", original: first });
    expect(m.applyOrder({ orderId: "o1", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 2 }] }).kind).toBe("conflict");
    expect(m.level("A")?.quantity).toBe(4);
  });

  it("keeps a cancelled (insufficient) order cancelled after a restock", () => {
    const m = model();
    m.applyOrder({ orderId: "o1", sourceChannel: "shopify", lines: [{ sku: "B", quantity: 3 }] });
    m.restock({ sku: "B", quantity: 10 });
    expect(m.applyOrder({ orderId: "o1", sourceChannel: "shopify", lines: [{ sku: "B", quantity: 3 }] })).toMatchObject({ kind: "duplicate", original: { kind: "insufficient" } });
    expect(m.level("B")?.quantity).toBe(11);
  });

  it("reports every invalid line at once and an unknown SKU as invalid", () => {
    const m = model();
    const result = m.applyOrder({ orderId: "o1", sourceChannel: "x", lines: [{ sku: "", quantity: 0 }, { sku: "A", quantity: 1.5 }] });
    expect(result.kind).toBe("invalid");
    expect(result.kind === "invalid" && result.problems.map((p) => p.path)).toEqual(["lines.0.sku", "lines.0.quantity", "lines.1.quantity"]);
    expect(m.applyOrder({ orderId: "o2", sourceChannel: "x", lines: [{ sku: "Z", quantity: 1 }] }).kind).toBe("invalid");
  });

  it("merges duplicate SKUs and normalises SKUs to NFC before comparing", () => {
    const normalized = normalizeOrder({ orderId: "o", sourceChannel: "c", lines: [{ sku: "Cafe\u0301", quantity: 1 }, { sku: "Café", quantity: 2 }] });
    expect(normalized.ok && normalized.order.lines).toEqual([{ sku: "Café", quantity: 3 }]);
  });

  it("validates an order's lines once: lines it normalized pass again unchanged (frozen), anything else is checked in full", () => {
    const first = normalizeOrder({ orderId: "o", sourceChannel: "c", lines: [{ sku: "B", quantity: 1 }, { sku: "A", quantity: 2 }, { sku: "B", quantity: 1 }] });
    if (!first.ok) throw new Error("expected a valid order");
    expect(Object.isFrozen(first.order.lines) && first.order.lines.every((line) => Object.isFrozen(line))).toBe(true);
    // The store's second pass (an event the feed decoded): same lines object, same result, ids still checked.
    const again = normalizeOrder({ orderId: "o2", sourceChannel: "d", lines: first.order.lines });
    expect(again.ok && again.order).toEqual({ orderId: "o2", sourceChannel: "d", lines: [{ sku: "A", quantity: 2 }, { sku: "B", quantity: 2 }], fingerprint: 'd|"A":2,"B":2' });
    expect(again.ok && again.order.lines).toBe(first.order.lines);
    const badIds = normalizeOrder({ orderId: "", sourceChannel: "c\u0007", lines: first.order.lines });
    expect(badIds.ok === false && badIds.problems.map((p) => p.path)).toEqual(["orderId", "sourceChannel"]);
    // A look-alike array (not produced here) is checked in full.
    const copy = [...first.order.lines, { sku: "", quantity: 0 }];
    const checked = normalizeOrder({ orderId: "o", sourceChannel: "c", lines: copy });
    expect(checked.ok === false && checked.problems.map((p) => p.path)).toEqual(["lines.2.sku", "lines.2.quantity"]);
    // Decoding an event and applying it gives the same outcome as applying the plain object.
    const decoded = decodeOrderEvent(new TextEncoder().encode(JSON.stringify({ orderId: "o3", sourceChannel: "c", lines: [{ sku: "A", quantity: 1 }], confirmedAtMs: 1 })));
    if (!decoded.ok) throw new Error("expected a valid event");
    expect(() => ((decoded.event.lines as unknown as Array<{ quantity: number }>)[0] as { quantity: number }).quantity = 5).toThrow(TypeError);
    const m = model();
    expect(m.applyOrder(decoded.event)).toMatchObject({ kind: "applied" });
  });

  it("refuses a reason that is not a string or not well-formed, as the Redis store does, and writes nothing", () => {
    const m = model();
    const audit = m.readAudit();
    for (const reason of [42, null, {}]) {
      expect(m.restock({ sku: "A", quantity: 1, reason: reason as unknown as string })).toEqual({ kind: "invalid", problems: [{ path: "reason", message: "must be a string" }] });
      expect(m.setQuantity({ sku: "A", quantity: 1, reason: reason as unknown as string })).toEqual({ kind: "invalid", problems: [{ path: "reason", message: "must be a string" }] });
    }
    expect(m.restock({ sku: "A", quantity: 1, reason: "\ud800" })).toMatchObject({ kind: "invalid", problems: [{ path: "reason" }] });
    // Every problem at once, the reason's included.
    expect(m.restock({ sku: "", quantity: 0, reason: 7 as unknown as string })).toMatchObject({ kind: "invalid", problems: [{ path: "sku" }, { path: "quantity" }, { path: "reason" }] });
    expect(m.readAudit()).toEqual(audit);
    expect(m.level("A")).toEqual({ quantity: 5, version: 1 });
    expect(m.restock({ sku: "A", quantity: 1, reason: "" })).toMatchObject({ kind: "changed" });
  });

  it("reads with odd limits and afterSeq values like the Redis store: NaN or negative limit → none, NaN afterSeq → from the start", () => {
    const m = model(); // audit 1–2, outbox 2 entries
    m.applyOrder({ orderId: "o1", sourceChannel: "c", lines: [{ sku: "B", quantity: 5 }] }); // insufficient: audit 3, pending cancellation 3
    expect(m.readAudit({ limit: -1 })).toEqual([]);
    expect(m.readAudit({ limit: Number.NaN })).toEqual([]);
    expect(m.readAudit({ limit: 1.9 }).map((r) => r.seq)).toEqual([1]);
    expect(m.readAudit({ afterSeq: Number.NaN }).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(m.readAudit({ afterSeq: Number.POSITIVE_INFINITY })).toEqual([]);
    expect(m.readOutbox(Number.NaN)).toEqual([]);
    expect(m.readOutbox(1.5)).toHaveLength(1);
    expect(m.readOutbox(Number.POSITIVE_INFINITY)).toHaveLength(2);
    expect(m.readPendingCancellations({ afterSeq: Number.NaN, limit: 5 }).map((p) => p.seq)).toEqual([3]);
    expect(m.readPendingCancellations({ limit: 0.5 })).toEqual([]);
  });

  it("ignores SKUs that are not strings in a snapshot instead of throwing", () => {
    const m = model();
    expect(m.snapshot([42, null, "A"] as unknown as string[])).toEqual(new Map([["A", { quantity: 5, version: 1 }]]));
  });

  it("conserves stock: the sum of audited deltas equals the final quantity", () => {
    const m = model();
    for (let i = 0; i < 10; i++) m.applyOrder({ orderId: `o${i}`, sourceChannel: "c", lines: [{ sku: "A", quantity: 1 }] });
    m.restock({ sku: "A", quantity: 3 });
    const sum = m.readAudit().flatMap((r) => r.changes).filter((c) => c.sku === "A").reduce((s, c) => s + c.delta, 0);
    expect(sum).toBe(m.level("A")?.quantity);
    expect(m.level("A")?.quantity).toBe(3);
  });
});

describe("channel policy", () => {
  it("applies buffer, then floored allocation, then cap, then zero-below", () => {
    expect(listedQuantity(10, { bufferUnits: 2 })).toBe(8);
    expect(listedQuantity(10, { bufferUnits: 1, allocationPercent: 50 })).toBe(4);
    expect(listedQuantity(100, { maxListed: 20 })).toBe(20);
    expect(listedQuantity(3, { zeroBelow: 4 })).toBe(0);
    expect(listedQuantity(1, { bufferUnits: 5 })).toBe(0);
  });

  it("floors a fractional allocation exactly (in integer hundredths of a percent, not a float product)", () => {
    expect(listedQuantity(1500, { allocationPercent: 4.6 })).toBe(69);
    for (let q = 0; q <= 2000; q += 7) for (let tenths = 1; tenths < 1000; tenths += 13) {
      expect(listedQuantity(q, { allocationPercent: tenths / 10 })).toBe(Math.floor((q * tenths) / 1000));
    }
  });

  it("makes a bundle as available as its scarcest component", () => {
    const stock = new Map([["A", { quantity: 10, version: 1 }], ["B", { quantity: 3, version: 1 }]]);
    expect(bundleAvailability([{ sku: "A", quantity: 2 }, { sku: "B", quantity: 1 }], stock)).toBe(3);
    expect(bundleAvailability([{ sku: "A", quantity: 2 }, { sku: "C", quantity: 1 }], stock)).toBe(0);
  });

  it("counts a component named twice once per bundle with both quantities, and refuses a quantity below 1", () => {
    const stock = new Map([["A", { quantity: 3, version: 1 }]]);
    expect(bundleAvailability([{ sku: "A", quantity: 1 }, { sku: "A", quantity: 1 }], stock)).toBe(1);
    expect(() => bundleAvailability([{ sku: "A", quantity: 0 }], stock)).toThrow(RangeError);
  });
});

describe("durations and order events", () => {
  it("parses and formats durations strictly", () => {
    expect(parseDuration("15m")).toBe(900_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("15 minutes")).toBeUndefined();
    expect(formatDuration(90_000)).toBe("1m30s");
  });

  it("takes each unit once, largest first, and refuses a total beyond exact integers", () => {
    expect(parseDuration("1d2h3m4s5ms")).toBe(93_784_005);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("1m500ms")).toBe(60_500);
    expect(parseDuration("2.5s")).toBe(2_500);
    for (const bad of ["1h1h", "30s1h", "", "ms", "1x", "5", `${"9".repeat(400)}s`, "999999999999d"]) expect(parseDuration(bad), bad).toBeUndefined();
    expect(formatDuration(0.4)).toBe("0s");
    expect(formatDuration(-1000)).toBe("-1s");
  });

  it("decodes a valid event and names every problem of a bad one", () => {
    const good = new TextEncoder().encode(JSON.stringify({ orderId: "o", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }], confirmedAtMs: 5, extra: 1 }));
    expect(decodeOrderEvent(good)).toMatchObject({ ok: true, event: { orderId: "o" } });
    expect(decodeOrderEvent(new TextEncoder().encode("{nope"))).toMatchObject({ ok: false });
    const bad = decodeOrderEvent(new TextEncoder().encode(JSON.stringify({ orderId: "", lines: [{ sku: "A", quantity: -1 }] })));
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problems.length).toBeGreaterThanOrEqual(3);
  });
});

describe("identifier hygiene", () => {
  it("rejects lone surrogates and control characters in SKUs, order ids and channels", () => {
    const result = normalizeOrder({ orderId: "o\u0007", sourceChannel: "a\uD800", lines: [{ sku: "x\uDC00", quantity: 1 }] });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.map((p) => p.path)).toEqual(["orderId", "sourceChannel", "lines.0.sku"]);
    expect(normalizeOrder({ orderId: "o", sourceChannel: "a", lines: [{ sku: "😀 ok", quantity: 1 }] }).ok).toBe(true);
  });
});
