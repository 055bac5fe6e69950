// The StockStore contract: one vitest suite every adapter of the port must pass (the in-memory store and
// the Redis store run exactly these tests), so the simulator's store cannot drift from Redis. Same
// inputs → same outcomes → same audit; the last test replays a seeded random mix against the core's
// reference StockModel and compares every result, the whole audit, the snapshot and the outbox.
// Easy to get wrong: the clock must be a plain value (ManualClock), not one that ticks per call — stores
// may read it a different number of times; and outbox ids are opaque per adapter, so compare entries
// without them.

import { describe, expect, it } from "vitest";
import { MAX_CHANNEL_ID_BYTES, MAX_LINES, MAX_ORDER_ID_BYTES, MAX_QUANTITY, MAX_SKU_BYTES, Prng, StockModel } from "@synclag/core";
import type { AuditRecord, Clock, OrderInput, OutboxEntry, StockMutationInput, StockStore } from "@synclag/core";

/** A clock that only moves when told to. */
export class ManualClock implements Clock {
  constructor(private nowMs = 1_700_000_000_000) {}
  now(): number {
    return this.nowMs;
  }
  set(nowMs: number): void {
    this.nowMs = nowMs;
  }
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

/** Returns a fresh, empty store using `clock` for audit times. */
export type MakeStockStore = (clock: Clock) => StockStore | Promise<StockStore>;

/** An input the store must reject as `invalid` with exactly these problem paths, writing nothing. */
export interface BadOrderCase {
  readonly name: string;
  readonly order: { readonly orderId: unknown; readonly sourceChannel: unknown; readonly lines: unknown };
  readonly paths: readonly string[];
}

export interface BadMutationCase {
  readonly name: string;
  readonly operation: "restock" | "set";
  readonly input: { readonly sku: unknown; readonly quantity: unknown; readonly reason?: unknown };
  readonly paths: readonly string[];
}

/** Stock every bad-input case starts from. */
export const BAD_INPUT_STOCK: Readonly<Record<string, number>> = { A: 5, B: 3 };

const order = (lines: unknown, overrides: Partial<BadOrderCase["order"]> = {}): BadOrderCase["order"] => ({
  orderId: "bad-1",
  sourceChannel: "amazon",
  lines,
  ...overrides,
});

export const badOrderCases: readonly BadOrderCase[] = [
  { name: "a quantity of 0", order: order([{ sku: "A", quantity: 0 }]), paths: ["lines.0.quantity"] },
  { name: "a negative quantity", order: order([{ sku: "A", quantity: -1 }]), paths: ["lines.0.quantity"] },
  { name: "a fractional quantity", order: order([{ sku: "A", quantity: 1.5 }]), paths: ["lines.0.quantity"] },
  { name: "a numeric string as quantity", order: order([{ sku: "A", quantity: "1" }]), paths: ["lines.0.quantity"] },
  { name: "a quantity above the maximum", order: order([{ sku: "A", quantity: MAX_QUANTITY + 1 }]), paths: ["lines.0.quantity"] },
  { name: "NaN as quantity", order: order([{ sku: "A", quantity: Number.NaN }]), paths: ["lines.0.quantity"] },
  { name: "Infinity as quantity", order: order([{ sku: "A", quantity: Number.POSITIVE_INFINITY }]), paths: ["lines.0.quantity"] },
  { name: "a quantity beyond 2^53", order: order([{ sku: "A", quantity: 2 ** 53 + 2 }]), paths: ["lines.0.quantity"] },
  { name: "no lines", order: order([]), paths: ["lines"] },
  { name: "lines that are not a list", order: order({ sku: "A", quantity: 1 }), paths: ["lines"] },
  { name: `more than ${MAX_LINES} lines`, order: order(Array.from({ length: MAX_LINES + 1 }, (_, i) => ({ sku: `S${i}`, quantity: 1 }))), paths: ["lines"] },
  { name: "a line that is not an object", order: order([null]), paths: ["lines.0"] },
  { name: "an empty SKU", order: order([{ sku: "", quantity: 1 }]), paths: ["lines.0.sku"] },
  { name: "a SKU that is not a string", order: order([{ sku: 7, quantity: 1 }]), paths: ["lines.0.sku"] },
  { name: `a SKU over ${MAX_SKU_BYTES} bytes`, order: order([{ sku: "x".repeat(MAX_SKU_BYTES + 1), quantity: 1 }]), paths: ["lines.0.sku"] },
  { name: `a SKU of ${MAX_SKU_BYTES / 2} characters but over ${MAX_SKU_BYTES} UTF-8 bytes`, order: order([{ sku: "€".repeat(MAX_SKU_BYTES / 2), quantity: 1 }]), paths: ["lines.0.sku"] },
  { name: "a SKU with a control character", order: order([{ sku: "A\nB", quantity: 1 }]), paths: ["lines.0.sku"] },
  { name: "the same SKU twice adding up to more than the maximum", order: order([{ sku: "A", quantity: MAX_QUANTITY }, { sku: "A", quantity: 1 }]), paths: ["lines"] },
  { name: "an empty order id", order: order([{ sku: "A", quantity: 1 }], { orderId: "" }), paths: ["orderId"] },
  { name: "an order id that is not a string", order: order([{ sku: "A", quantity: 1 }], { orderId: 42 }), paths: ["orderId"] },
  { name: `an order id over ${MAX_ORDER_ID_BYTES} bytes`, order: order([{ sku: "A", quantity: 1 }], { orderId: "o".repeat(MAX_ORDER_ID_BYTES + 1) }), paths: ["orderId"] },
  { name: "an empty source channel", order: order([{ sku: "A", quantity: 1 }], { sourceChannel: "" }), paths: ["sourceChannel"] },
  { name: `a source channel over ${MAX_CHANNEL_ID_BYTES} bytes`, order: order([{ sku: "A", quantity: 1 }], { sourceChannel: "c".repeat(MAX_CHANNEL_ID_BYTES + 1) }), paths: ["sourceChannel"] },
  {
    name: "every problem at once",
    order: order([{ sku: "", quantity: 0 }, { sku: "A", quantity: 1.5 }], { orderId: "", sourceChannel: "" }),
    paths: ["orderId", "sourceChannel", "lines.0.sku", "lines.0.quantity", "lines.1.quantity"],
  },
  { name: "an unknown SKU (by its index in the sorted lines)", order: order([{ sku: "ZZ", quantity: 1 }, { sku: "A", quantity: 1 }]), paths: ["lines.1.sku"] },
  { name: "two unknown SKUs", order: order([{ sku: "Q", quantity: 1 }, { sku: "A", quantity: 1 }, { sku: "P", quantity: 2 }]), paths: ["lines.1.sku", "lines.2.sku"] },
];

const mutation = (operation: "restock" | "set", sku: unknown, quantity: unknown, name: string, paths: readonly string[]): BadMutationCase => ({
  name,
  operation,
  input: { sku, quantity },
  paths,
});

export const badMutationCases: readonly BadMutationCase[] = [
  mutation("restock", "A", 0, "a restock of 0", ["quantity"]),
  mutation("restock", "A", -2, "a negative restock", ["quantity"]),
  mutation("restock", "A", 0.5, "a fractional restock", ["quantity"]),
  mutation("restock", "A", "3", "a restock given as a numeric string", ["quantity"]),
  mutation("restock", "A", MAX_QUANTITY + 1, "a restock above the maximum", ["quantity"]),
  mutation("restock", "A", MAX_QUANTITY, "a restock taking stock above the maximum", ["quantity"]),
  mutation("restock", "", 1, "a restock of an empty SKU", ["sku"]),
  mutation("restock", "y".repeat(MAX_SKU_BYTES + 1), 1, "a restock of an over-long SKU", ["sku"]),
  mutation("restock", "A\u0000", 1, "a restock of a SKU with a control character", ["sku"]),
  mutation("restock", "", -1, "a restock with every problem at once", ["sku", "quantity"]),
  mutation("set", "A", -1, "a negative absolute quantity", ["quantity"]),
  mutation("set", "A", 2.5, "a fractional absolute quantity", ["quantity"]),
  mutation("set", "A", MAX_QUANTITY + 1, "an absolute quantity above the maximum", ["quantity"]),
  mutation("set", "A", "4", "an absolute quantity given as a numeric string", ["quantity"]),
  mutation("set", 12, 4, "a set of a SKU that is not a string", ["sku"]),
  { name: "a restock whose reason is not a string", operation: "restock", input: { sku: "A", quantity: 1, reason: 42 }, paths: ["reason"] },
  { name: "a set whose reason is null", operation: "set", input: { sku: "A", quantity: 2, reason: null }, paths: ["reason"] },
  { name: "a restock whose reason has a lone surrogate", operation: "restock", input: { sku: "A", quantity: 1, reason: "PO-\ud800" }, paths: ["reason"] },
  { name: "a restock with a bad SKU, quantity and reason at once", operation: "restock", input: { sku: "", quantity: -1, reason: {} }, paths: ["sku", "quantity", "reason"] },
];

/** SKUs that are awkward as Redis keys or in JSON, all distinct after NFC. */
export const oddSkus: readonly string[] = [
  "a.b",
  "a*b",
  "a>b",
  "a b",
  "{a}",
  "a{b}c",
  "a{c}b",
  "}{",
  "{",
  "x:y:z",
  "quote\"and\\slash/",
  "Café",
  "日本語-SKU",
  "emoji-😀",
  "Ωmega-ß",
];

export function outboxWithoutIds(entries: readonly OutboxEntry[]): Omit<OutboxEntry, "id">[] {
  return entries.map(({ id: _id, ...rest }) => rest);
}

async function setLevels(store: StockStore, levels: Readonly<Record<string, number>>): Promise<void> {
  for (const [sku, quantity] of Object.entries(levels)) {
    const result = await store.setQuantity({ sku, quantity });
    expect(result.kind).toBe("changed");
  }
}

interface StoreState {
  readonly snapshot: Map<string, { quantity: number; version: number }>;
  readonly audit: AuditRecord[];
  readonly outbox: Omit<OutboxEntry, "id">[];
}

async function stateOf(store: StockStore): Promise<StoreState> {
  return { snapshot: await store.snapshot(), audit: await store.readAudit(), outbox: outboxWithoutIds(await store.readOutbox(10_000)) };
}

function callMutation(store: StockStore, operation: "restock" | "set", input: BadMutationCase["input"]) {
  const typed = input as StockMutationInput;
  return operation === "restock" ? store.restock(typed) : store.setQuantity(typed);
}

/**
 * Registers the contract as a `describe` block. `makeStore` is called once per test with a fresh
 * ManualClock and must return an empty store.
 */
export function runStockStoreContract(name: string, makeStore: MakeStockStore): void {
  const fresh = async () => {
    const clock = new ManualClock();
    const store = await makeStore(clock);
    return { clock, store };
  };

  describe(`StockStore contract: ${name}`, () => {
    it("applies every line of an order, bumps each SKU's version and reports the levels after it", async () => {
      const { store } = await fresh();
      await setLevels(store, { A: 5, B: 1 });
      const result = await store.applyOrder({ orderId: "o1", sourceChannel: "amazon", lines: [{ sku: "B", quantity: 1 }, { sku: "A", quantity: 2 }] });
      expect(result).toEqual({
        kind: "applied",
        orderId: "o1",
        changes: [
          { sku: "A", delta: -2, quantity: 3, version: 2 },
          { sku: "B", delta: -1, quantity: 0, version: 2 },
        ],
        auditSeq: 3,
      });
      expect(await store.snapshot()).toEqual(new Map([["A", { quantity: 3, version: 2 }], ["B", { quantity: 0, version: 2 }]]));
    });

    it("records an applied order in the audit with the clock's time, its source channel and every change", async () => {
      const { store, clock } = await fresh();
      clock.set(1_000);
      await setLevels(store, { A: 5 });
      clock.set(2_500);
      await store.applyOrder({ orderId: "o1", sourceChannel: "shopify", lines: [{ sku: "A", quantity: 2 }] });
      expect(await store.readAudit()).toEqual([
        { seq: 1, atMs: 1_000, kind: "set", changes: [{ sku: "A", delta: 5, quantity: 5, version: 1 }] },
        { seq: 2, atMs: 2_500, kind: "order", orderId: "o1", sourceChannel: "shopify", changes: [{ sku: "A", delta: -2, quantity: 3, version: 2 }] },
      ]);
    });

    it("writes one outbox entry per stock change, none for a rejected order, and forgets acknowledged entries", async () => {
      const { store, clock } = await fresh();
      clock.set(10);
      await setLevels(store, { A: 5 });
      clock.set(20);
      await store.applyOrder({ orderId: "o1", sourceChannel: "ebay", lines: [{ sku: "A", quantity: 1 }] });
      await store.applyOrder({ orderId: "o2", sourceChannel: "ebay", lines: [{ sku: "A", quantity: 50 }] });
      await store.applyOrder({ orderId: "o3", sourceChannel: "ebay", lines: [{ sku: "nope", quantity: 1 }] });
      const entries = await store.readOutbox(10);
      expect(outboxWithoutIds(entries)).toEqual([
        { atMs: 10, changes: [{ sku: "A", delta: 5, quantity: 5, version: 1 }] },
        { atMs: 20, sourceChannel: "ebay", changes: [{ sku: "A", delta: -1, quantity: 4, version: 2 }] },
      ]);
      expect(new Set(entries.map((entry) => entry.id)).size).toBe(2);
      expect(outboxWithoutIds(await store.readOutbox(1))).toEqual(outboxWithoutIds(entries.slice(0, 1)));
      await store.ackOutbox([(entries[0] as OutboxEntry).id, "999999-0", "not-an-id"]);
      expect(await store.readOutbox(10)).toEqual(entries.slice(1));
      await store.ackOutbox(entries.map((entry) => entry.id));
      expect(await store.readOutbox(10)).toEqual([]);
    });

    it("rejects an order larger than available stock without decrementing any line, bumping a version or writing an outbox entry", async () => {
      const { store } = await fresh();
      await setLevels(store, { A: 5, B: 1 });
      const before = await stateOf(store);
      const result = await store.applyOrder({ orderId: "o1", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 2 }, { sku: "B", quantity: 2 }] });
      expect(result).toEqual({ kind: "insufficient", orderId: "o1", shortages: [{ sku: "B", requested: 2, available: 1 }], auditSeq: 3 });
      const after = await stateOf(store);
      expect(after.snapshot).toEqual(before.snapshot);
      expect(after.outbox).toEqual(before.outbox);
    });

    it("records an insufficient order once, and a redelivery after a restock returns it as a duplicate without filling it", async () => {
      const { store, clock } = await fresh();
      await setLevels(store, { B: 1 });
      clock.advance(5);
      const first = await store.applyOrder({ orderId: "o1", sourceChannel: "shopify", lines: [{ sku: "B", quantity: 3 }] });
      expect(first).toEqual({ kind: "insufficient", orderId: "o1", shortages: [{ sku: "B", requested: 3, available: 1 }], auditSeq: 2 });
      expect((await store.readAudit({ afterSeq: 1 }))[0]).toEqual({
        seq: 2,
        atMs: clock.now(),
        kind: "insufficient",
        orderId: "o1",
        sourceChannel: "shopify",
        changes: [],
        shortages: [{ sku: "B", requested: 3, available: 1 }],
      });
      await store.restock({ sku: "B", quantity: 10 });
      const redelivered = await store.applyOrder({ orderId: "o1", sourceChannel: "shopify", lines: [{ sku: "B", quantity: 3 }] });
      expect(redelivered).toEqual({ kind: "duplicate", orderId: "o1", original: first });
      expect((await store.snapshot(["B"])).get("B")).toEqual({ quantity: 11, version: 2 });
      expect(await store.readAudit()).toHaveLength(3);
    });

    it("returns the stored outcome for a redelivered order (also when its lines are spelled differently) and writes nothing", async () => {
      const { store, clock } = await fresh();
      await setLevels(store, { A: 5, B: 5 });
      const first = await store.applyOrder({ orderId: "o1", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 2 }, { sku: "B", quantity: 1 }] });
      const before = await stateOf(store);
      clock.advance(60_000);
      expect(await store.applyOrder({ orderId: "o1", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 2 }, { sku: "B", quantity: 1 }] })).toEqual({
        kind: "duplicate",
        orderId: "o1",
        original: first,
      });
      expect(await store.applyOrder({ orderId: "o1", sourceChannel: "amazon", lines: [{ sku: "B", quantity: 1 }, { sku: "A", quantity: 1 }, { sku: "A", quantity: 1 }] })).toEqual({
        kind: "duplicate",
        orderId: "o1",
        original: first,
      });
      expect(await stateOf(store)).toEqual(before);
    });

    it("answers conflict for an order id reused with other lines or another source channel, and writes nothing", async () => {
      const { store } = await fresh();
      await setLevels(store, { A: 5 });
      await store.applyOrder({ orderId: "o1", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }] });
      const before = await stateOf(store);
      for (const reused of [
        { orderId: "o1", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 2 }] },
        { orderId: "o1", sourceChannel: "shopify", lines: [{ sku: "A", quantity: 1 }] },
        { orderId: "o1", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }, { sku: "B", quantity: 1 }] },
      ]) {
        const result = await store.applyOrder(reused);
        expect(result).toMatchObject({ kind: "conflict", orderId: "o1" });
        expect(result.kind === "conflict" && result.message.length > 0).toBe(true);
      }
      expect(await stateOf(store)).toEqual(before);
    });

    it("identifies an order by the fingerprint it carries (the order as placed, before a wrapper rewrote its lines), alone and in a batch", async () => {
      const { store } = await fresh();
      await setLevels(store, { A: 5 });
      // A bundle store sells 1 × SET as 2 × A: the lines the store sees are A's, the order's identity is the set's.
      const asPlaced = { orderId: "o1", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 2 }], fingerprint: 'amazon|"SET":1' };
      const first = await store.applyOrder(asPlaced);
      expect(first).toMatchObject({ kind: "applied", orderId: "o1" });
      const before = await stateOf(store);
      // The same lines placed as themselves (2 × A): another order under the same id.
      expect(await store.applyOrder({ orderId: "o1", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 2 }] })).toMatchObject({ kind: "conflict", orderId: "o1" });
      expect(await store.applyOrders([{ ...asPlaced, fingerprint: 'amazon|"A":2' }])).toEqual([expect.objectContaining({ kind: "conflict", orderId: "o1" })]);
      expect(await store.applyOrder(asPlaced)).toEqual({ kind: "duplicate", orderId: "o1", original: first });
      expect(await store.applyOrders([asPlaced])).toEqual([{ kind: "duplicate", orderId: "o1", original: first }]);
      expect(await stateOf(store)).toEqual(before);
      // An order placed as its own lines, redelivered with its fingerprint spelled out: the same order.
      await store.applyOrder({ orderId: "o2", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }] });
      expect((await store.applyOrder({ orderId: "o2", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }], fingerprint: 'amazon|"A":1' })).kind).toBe("duplicate");
      // A fingerprint that is not text is refused like any other bad field.
      const bad = await store.applyOrder({ orderId: "o3", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }], fingerprint: 7 } as unknown as OrderInput);
      expect(bad).toEqual({ kind: "invalid", orderId: "o3", problems: [{ path: "fingerprint", message: "must be a non-empty string" }] });
    });

    it("merges the same SKU given twice in one order into one line (one change, one version bump)", async () => {
      const { store } = await fresh();
      await setLevels(store, { A: 5 });
      const result = await store.applyOrder({ orderId: "o1", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }, { sku: "A", quantity: 2 }] });
      expect(result).toEqual({ kind: "applied", orderId: "o1", changes: [{ sku: "A", delta: -3, quantity: 2, version: 2 }], auditSeq: 2 });
    });

    it("normalises SKUs to NFC: an order or restock for the decomposed spelling moves the composed SKU's stock", async () => {
      const { store } = await fresh();
      await setLevels(store, { "Caf\u00e9": 3 });
      const result = await store.applyOrder({ orderId: "o1", sourceChannel: "amazon", lines: [{ sku: "Cafe\u0301", quantity: 1 }] });
      expect(result).toEqual({ kind: "applied", orderId: "o1", changes: [{ sku: "Caf\u00e9", delta: -1, quantity: 2, version: 2 }], auditSeq: 2 });
      expect(await store.restock({ sku: "Cafe\u0301", quantity: 4 })).toEqual({ kind: "changed", change: { sku: "Caf\u00e9", delta: 4, quantity: 6, version: 3 }, auditSeq: 3 });
      expect(await store.snapshot(["Cafe\u0301"])).toEqual(new Map([["Cafe\u0301", { quantity: 6, version: 3 }]]));
      expect([...(await store.snapshot()).keys()]).toEqual(["Caf\u00e9"]);
    });

    it("reports unknown SKUs as invalid and records nothing, so the same order id can apply once the SKU exists", async () => {
      const { store } = await fresh();
      await setLevels(store, { A: 5 });
      const before = await stateOf(store);
      const input = { orderId: "o1", sourceChannel: "amazon", lines: [{ sku: "ZZ", quantity: 1 }, { sku: "A", quantity: 1 }] };
      expect(await store.applyOrder(input)).toEqual({ kind: "invalid", orderId: "o1", problems: [{ path: "lines.1.sku", message: 'unknown SKU "ZZ"' }] });
      expect(await stateOf(store)).toEqual(before);
      await store.restock({ sku: "ZZ", quantity: 1 });
      expect((await store.applyOrder(input)).kind).toBe("applied");
    });

    for (const bad of badOrderCases) {
      it(`rejects an order with ${bad.name} as invalid and writes nothing`, async () => {
        const { store } = await fresh();
        await setLevels(store, BAD_INPUT_STOCK);
        const before = await stateOf(store);
        const result = await store.applyOrder(bad.order as OrderInput);
        expect(result.kind).toBe("invalid");
        expect(result.kind === "invalid" && result.problems.map((problem) => problem.path)).toEqual(bad.paths);
        expect(result.kind === "invalid" && result.problems.every((problem) => problem.message.length > 0)).toBe(true);
        expect(result.orderId).toEqual(typeof bad.order.orderId === "string" ? bad.order.orderId : undefined);
        expect(await stateOf(store)).toEqual(before);
      });
    }

    for (const bad of badMutationCases) {
      it(`rejects ${bad.name} as invalid and writes nothing`, async () => {
        const { store } = await fresh();
        await setLevels(store, BAD_INPUT_STOCK);
        await store.restock({ sku: "A", quantity: 1 });
        const before = await stateOf(store);
        const result = await callMutation(store, bad.operation, bad.input);
        expect(result.kind).toBe("invalid");
        expect(result.kind === "invalid" && result.problems.map((problem) => problem.path)).toEqual(bad.paths);
        expect(await stateOf(store)).toEqual(before);
      });
    }

    it("refuses a reason that is not a string, or not well-formed text, with the same problem everywhere, and writes nothing", async () => {
      const { store } = await fresh();
      await setLevels(store, { A: 5 });
      const before = await stateOf(store);
      const cases: [unknown, string][] = [
        [42, "must be a string"],
        [null, "must be a string"],
        [{ text: "PO-17" }, "must be a string"],
        [["PO-17"], "must be a string"],
        ["PO-\udc00", "must be well-formed Unicode (it contains a lone surrogate)"],
      ];
      for (const [reason, message] of cases) {
        const input = { sku: "A", quantity: 1, reason } as unknown as StockMutationInput;
        const expected = { kind: "invalid", problems: [{ path: "reason", message }] };
        expect(await store.restock(input), JSON.stringify(reason)).toEqual(expected);
        expect(await store.setQuantity(input), JSON.stringify(reason)).toEqual(expected);
      }
      expect(await stateOf(store)).toEqual(before);
    });

    it("restocks a SKU: adds to it, bumps its version, audits the reason and writes an outbox entry", async () => {
      const { store, clock } = await fresh();
      await setLevels(store, { A: 5 });
      clock.advance(7);
      expect(await store.restock({ sku: "A", quantity: 3, reason: "PO-17 received" })).toEqual({ kind: "changed", change: { sku: "A", delta: 3, quantity: 8, version: 2 }, auditSeq: 2 });
      expect((await store.readAudit({ afterSeq: 1 }))[0]).toEqual({ seq: 2, atMs: clock.now(), kind: "restock", reason: "PO-17 received", changes: [{ sku: "A", delta: 3, quantity: 8, version: 2 }] });
      expect(outboxWithoutIds(await store.readOutbox(10)).at(-1)).toEqual({ atMs: clock.now(), changes: [{ sku: "A", delta: 3, quantity: 8, version: 2 }] });
    });

    it("creates a SKU on its first restock or set, at version 1", async () => {
      const { store } = await fresh();
      expect(await store.restock({ sku: "N", quantity: 4 })).toEqual({ kind: "changed", change: { sku: "N", delta: 4, quantity: 4, version: 1 }, auditSeq: 1 });
      expect(await store.setQuantity({ sku: "M", quantity: 0, reason: "" })).toEqual({ kind: "changed", change: { sku: "M", delta: 0, quantity: 0, version: 1 }, auditSeq: 2 });
      expect(await store.snapshot()).toEqual(new Map([["M", { quantity: 0, version: 1 }], ["N", { quantity: 4, version: 1 }]]));
      expect((await store.readAudit({ afterSeq: 1 }))[0]).toMatchObject({ kind: "set", reason: "" });
    });

    it("sets an absolute quantity up or down, to zero, and to exactly the maximum", async () => {
      const { store } = await fresh();
      await setLevels(store, { A: 5 });
      expect(await store.setQuantity({ sku: "A", quantity: 2 })).toEqual({ kind: "changed", change: { sku: "A", delta: -3, quantity: 2, version: 2 }, auditSeq: 2 });
      expect(await store.setQuantity({ sku: "A", quantity: 0 })).toEqual({ kind: "changed", change: { sku: "A", delta: -2, quantity: 0, version: 3 }, auditSeq: 3 });
      expect(await store.setQuantity({ sku: "A", quantity: MAX_QUANTITY })).toEqual({ kind: "changed", change: { sku: "A", delta: MAX_QUANTITY, quantity: MAX_QUANTITY, version: 4 }, auditSeq: 4 });
    });

    it("holds stock up to exactly the maximum and sells all of it in one line", async () => {
      const { store } = await fresh();
      await setLevels(store, { A: MAX_QUANTITY - 1 });
      expect(await store.restock({ sku: "A", quantity: 1 })).toMatchObject({ kind: "changed", change: { quantity: MAX_QUANTITY } });
      const result = await store.applyOrder({ orderId: "big", sourceChannel: "b2b", lines: [{ sku: "A", quantity: MAX_QUANTITY }] });
      expect(result).toMatchObject({ kind: "applied", changes: [{ sku: "A", delta: -MAX_QUANTITY, quantity: 0, version: 3 }] });
    });

    it("never sells below zero: stock drains to exactly zero and the next order is insufficient", async () => {
      const { store } = await fresh();
      await setLevels(store, { A: 2 });
      expect((await store.applyOrder({ orderId: "o1", sourceChannel: "c", lines: [{ sku: "A", quantity: 1 }] })).kind).toBe("applied");
      expect((await store.applyOrder({ orderId: "o2", sourceChannel: "c", lines: [{ sku: "A", quantity: 1 }] })).kind).toBe("applied");
      expect(await store.applyOrder({ orderId: "o3", sourceChannel: "c", lines: [{ sku: "A", quantity: 1 }] })).toEqual({
        kind: "insufficient",
        orderId: "o3",
        shortages: [{ sku: "A", requested: 1, available: 0 }],
        auditSeq: 4,
      });
      expect((await store.snapshot(["A"])).get("A")).toEqual({ quantity: 0, version: 3 });
    });

    it("returns only existing SKUs from a snapshot, and every SKU in sorted order when none are named", async () => {
      const { store } = await fresh();
      await setLevels(store, { B: 1, A: 2, a: 3 });
      expect(await store.snapshot(["A", "nope", ""])).toEqual(new Map([["A", { quantity: 2, version: 1 }]]));
      expect([...(await store.snapshot()).entries()]).toEqual([
        ["A", { quantity: 2, version: 1 }],
        ["B", { quantity: 1, version: 1 }],
        ["a", { quantity: 3, version: 1 }],
      ]);
      expect(await store.snapshot([])).toEqual(new Map());
    });

    it("numbers audit records 1, 2, 3… and pages them with afterSeq and limit", async () => {
      const { store } = await fresh();
      await setLevels(store, { A: 9 });
      for (let i = 0; i < 4; i++) await store.applyOrder({ orderId: `o${i}`, sourceChannel: "c", lines: [{ sku: "A", quantity: 1 }] });
      const seqs = (records: AuditRecord[]) => records.map((record) => record.seq);
      expect(seqs(await store.readAudit())).toEqual([1, 2, 3, 4, 5]);
      expect(seqs(await store.readAudit({ afterSeq: 2 }))).toEqual([3, 4, 5]);
      expect(seqs(await store.readAudit({ afterSeq: 2, limit: 2 }))).toEqual([3, 4]);
      expect(seqs(await store.readAudit({ limit: 1 }))).toEqual([1]);
      expect(await store.readAudit({ afterSeq: 5 })).toEqual([]);
      expect(await store.readAudit({ limit: 0 })).toEqual([]);
    });

    it("reads with odd limits and afterSeq values the same way everywhere: NaN or negative limit → none, fractional → floor; NaN or negative afterSeq → from the start", async () => {
      const { store } = await fresh();
      await setLevels(store, { A: 2 });
      for (let i = 1; i <= 4; i++) await store.applyOrder({ orderId: `o${i}`, sourceChannel: "c", lines: [{ sku: "A", quantity: 1 }] });
      // audit: 1 set, 2–3 applied, 4–5 insufficient (pending cancellations 4 and 5); outbox: 3 entries
      const seqs = async (options: { afterSeq?: number; limit?: number }) => (await store.readAudit(options)).map((record) => record.seq);
      expect(await seqs({ limit: -1 })).toEqual([]);
      expect(await seqs({ limit: Number.NaN })).toEqual([]);
      expect(await seqs({ limit: Number.NEGATIVE_INFINITY })).toEqual([]);
      expect(await seqs({ limit: 0.5 })).toEqual([]);
      expect(await seqs({ limit: 2.9 })).toEqual([1, 2]);
      expect(await seqs({ limit: Number.POSITIVE_INFINITY })).toEqual([1, 2, 3, 4, 5]);
      expect(await seqs({ afterSeq: Number.NaN })).toEqual([1, 2, 3, 4, 5]);
      expect(await seqs({ afterSeq: Number.NaN, limit: 2 })).toEqual([1, 2]);
      expect(await seqs({ afterSeq: -3 })).toEqual([1, 2, 3, 4, 5]);
      expect(await seqs({ afterSeq: Number.NEGATIVE_INFINITY })).toEqual([1, 2, 3, 4, 5]);
      expect(await seqs({ afterSeq: 2.5 })).toEqual([3, 4, 5]);
      expect(await seqs({ afterSeq: 1e21 })).toEqual([]);
      expect(await seqs({ afterSeq: Number.POSITIVE_INFINITY })).toEqual([]);

      const outbox = await store.readOutbox(10);
      expect(outbox).toHaveLength(3);
      expect(await store.readOutbox(Number.NaN)).toEqual([]);
      expect(await store.readOutbox(-1)).toEqual([]);
      expect(await store.readOutbox(0.5)).toEqual([]);
      expect(await store.readOutbox(2.9)).toEqual(outbox.slice(0, 2));
      expect(await store.readOutbox(Number.POSITIVE_INFINITY)).toEqual(outbox);

      const pending = await store.readPendingCancellations({ limit: 10 });
      expect(pending.map((entry) => entry.seq)).toEqual([4, 5]);
      expect(await store.readPendingCancellations({ limit: Number.NaN })).toEqual([]);
      expect(await store.readPendingCancellations({ limit: -1 })).toEqual([]);
      expect(await store.readPendingCancellations({ limit: 0.5 })).toEqual([]);
      expect(await store.readPendingCancellations({ limit: 1.9 })).toEqual(pending.slice(0, 1));
      expect(await store.readPendingCancellations({ limit: Number.POSITIVE_INFINITY })).toEqual(pending);
      expect(await store.readPendingCancellations({ afterSeq: Number.NaN, limit: 10 })).toEqual(pending);
      expect(await store.readPendingCancellations({ afterSeq: -1, limit: 10 })).toEqual(pending);
      expect(await store.readPendingCancellations({ afterSeq: 4.5, limit: 10 })).toEqual(pending.slice(1));
      expect(await store.readPendingCancellations({ afterSeq: 1e21, limit: 10 })).toEqual([]);
      expect(await store.readPendingCancellations({ afterSeq: Number.POSITIVE_INFINITY, limit: 10 })).toEqual([]);
    });

    it("ignores SKUs that are not strings in a snapshot, like any SKU that does not exist", async () => {
      const { store } = await fresh();
      await setLevels(store, { A: 2, "42": 1 });
      const odd = [42, null, undefined, { sku: "A" }, "A"] as unknown as string[];
      expect(await store.snapshot(odd)).toEqual(new Map([["A", { quantity: 2, version: 1 }]]));
    });

    it("conserves stock: per SKU the audited deltas add up to the quantity, and no audited level is below zero", async () => {
      const { store } = await fresh();
      await setLevels(store, { A: 4, B: 2 });
      for (let i = 0; i < 8; i++) {
        await store.applyOrder({ orderId: `o${i}`, sourceChannel: "c", lines: [{ sku: "A", quantity: 1 + (i % 2) }, { sku: "B", quantity: 1 }] });
        if (i === 3) await store.restock({ sku: "B", quantity: 3 });
      }
      await store.setQuantity({ sku: "A", quantity: 1 });
      const audit = await store.readAudit();
      const sums = new Map<string, number>();
      for (const change of audit.flatMap((record) => record.changes)) {
        sums.set(change.sku, (sums.get(change.sku) ?? 0) + change.delta);
        expect(change.quantity).toBeGreaterThanOrEqual(0);
      }
      const snapshot = await store.snapshot();
      expect(new Map([...snapshot].map(([sku, level]) => [sku, level.quantity]))).toEqual(sums);
      expect(audit.some((record) => record.kind === "insufficient")).toBe(true);
    });

    it("applies a batch exactly like the same orders one by one: results in input order, a repeated id is a duplicate, a bad order does not stop the others", async () => {
      const { store, clock } = await fresh();
      const reference = new StockModel({ clock });
      for (const target of [store, reference]) {
        await target.setQuantity({ sku: "A", quantity: 3 });
        await target.setQuantity({ sku: "B", quantity: 1 });
      }
      const batch: OrderInput[] = [
        { orderId: "o1", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }] },
        { orderId: "bad", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 0 }] },
        { orderId: "o2", sourceChannel: "shopify", lines: [{ sku: "B", quantity: 2 }] },
        { orderId: "o1", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }] },
        { orderId: "o3", sourceChannel: "ebay", lines: [{ sku: "A", quantity: 2 }, { sku: "B", quantity: 1 }] },
        { orderId: "o4", sourceChannel: "ebay", lines: [{ sku: "A", quantity: 1 }] },
        { orderId: "o1", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 3 }] },
        { orderId: "o5", sourceChannel: "ebay", lines: [{ sku: "unknown", quantity: 1 }] },
      ];
      const results = await store.applyOrders(batch);
      expect(results.map((result) => result.kind)).toEqual(["applied", "invalid", "insufficient", "duplicate", "applied", "insufficient", "conflict", "invalid"]);
      expect(results).toEqual(batch.map((input) => reference.applyOrder(input)));
      expect(await store.readAudit()).toEqual(reference.readAudit());
      expect(await store.snapshot()).toEqual(reference.snapshot());
      expect(await store.applyOrders([])).toEqual([]);
    });

    it("keeps SKUs with . * > spaces braces quotes and non-ASCII characters apart and intact", async () => {
      const { store } = await fresh();
      await setLevels(store, Object.fromEntries(oddSkus.map((sku, i) => [sku, 10 + i])));
      const result = await store.applyOrder({ orderId: "odd {order} *.>", sourceChannel: "channel with spaces", lines: oddSkus.map((sku) => ({ sku, quantity: 1 })) });
      const sorted = [...oddSkus].sort();
      expect(result).toEqual({
        kind: "applied",
        orderId: "odd {order} *.>",
        changes: sorted.map((sku) => ({ sku, delta: -1, quantity: 9 + oddSkus.indexOf(sku), version: 2 })),
        auditSeq: oddSkus.length + 1,
      });
      expect([...(await store.snapshot()).keys()]).toEqual(sorted);
      expect(await store.snapshot(oddSkus)).toEqual(new Map(oddSkus.map((sku, i) => [sku, { quantity: 9 + i, version: 2 }])));
      expect((await store.readAudit({ afterSeq: oddSkus.length }))[0]).toMatchObject({ orderId: "odd {order} *.>", sourceChannel: "channel with spaces" });
    });

    it("matches the reference model on a seeded random mix of orders, redeliveries, conflicts, batches, restocks and sets", async () => {
      const { store, clock } = await fresh();
      const reference = new StockModel({ clock });
      const random = new Prng("stock-store-contract").fork("mix");
      const skus = ["A", "B", "hot", "Caf\u00e9", "x.y{z}", "日本"];
      const channels = ["amazon", "shopify", "ebay"];
      const issued: OrderInput[] = [];
      const pick = <T>(items: readonly T[]): T => items[random.int(items.length)] as T;
      const newOrder = (step: number, index = 0): OrderInput => {
        const lines = Array.from({ length: 1 + random.int(3) }, () => ({ sku: random.chance(0.05) ? "missing" : pick(skus), quantity: random.chance(0.03) ? 0 : 1 + random.int(4) }));
        const input = { orderId: `o${step}-${index}`, sourceChannel: pick(channels), lines };
        issued.push(input);
        return input;
      };
      const replay = (): OrderInput => (issued.length === 0 ? newOrder(-1) : pick(issued));
      const conflicting = (): OrderInput => {
        const original = replay();
        return { ...original, lines: [...original.lines, { sku: "A", quantity: 1 }] };
      };
      for (const sku of skus) {
        const quantity = random.int(12);
        expect(await store.setQuantity({ sku, quantity })).toEqual(reference.setQuantity({ sku, quantity }));
      }
      for (let step = 0; step < 200; step++) {
        clock.advance(1 + random.int(5));
        const roll = random.next();
        if (roll < 0.45) {
          const input = newOrder(step);
          expect(await store.applyOrder(input)).toEqual(reference.applyOrder(input));
        } else if (roll < 0.55) {
          const input = replay();
          expect(await store.applyOrder(input)).toEqual(reference.applyOrder(input));
        } else if (roll < 0.6) {
          const input = conflicting();
          expect(await store.applyOrder(input)).toEqual(reference.applyOrder(input));
        } else if (roll < 0.72) {
          const batch = Array.from({ length: 2 + random.int(5) }, (_, i) => (random.chance(0.25) ? replay() : newOrder(step, i)));
          expect(await store.applyOrders(batch)).toEqual(batch.map((input) => reference.applyOrder(input)));
        } else if (roll < 0.9) {
          const input = { sku: pick(skus), quantity: 1 + random.int(8), ...(random.chance(0.5) ? { reason: `restock ${step}` } : {}) };
          expect(await store.restock(input)).toEqual(reference.restock(input));
        } else {
          const input = { sku: pick(skus), quantity: random.int(15) };
          expect(await store.setQuantity(input)).toEqual(reference.setQuantity(input));
        }
      }
      expect(await store.readAudit()).toEqual(reference.readAudit());
      expect(await store.snapshot()).toEqual(reference.snapshot());
      expect(outboxWithoutIds(await store.readOutbox(10_000))).toEqual(outboxWithoutIds(reference.readOutbox(10_000)));
      expect(await store.readPendingCancellations({ limit: 10_000 })).toEqual(reference.readPendingCancellations({ limit: 10_000 }));
      expect(reference.readAudit().filter((record) => record.kind === "insufficient").length).toBeGreaterThan(0);
    });

    it("records a pending cancellation with each insufficient order in the same step — none for other outcomes, none again for a redelivery", async () => {
      const { store, clock } = await fresh();
      await setLevels(store, { A: 1 });
      clock.set(1_000);
      expect((await store.applyOrder({ orderId: "o1", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }] })).kind).toBe("applied");
      expect((await store.applyOrder({ orderId: "o2", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }] })).kind).toBe("insufficient");
      clock.set(2_000);
      const odd = { orderId: 'odd {order} "q"\\/é', sourceChannel: "channel with spaces", lines: [{ sku: "A", quantity: 2 }] };
      expect((await store.applyOrders([odd, { orderId: "o4", sourceChannel: "ebay", lines: [{ sku: "nope", quantity: 1 }] }])).map((result) => result.kind)).toEqual(["insufficient", "invalid"]);
      expect((await store.applyOrder({ orderId: "o2", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }] })).kind).toBe("duplicate");
      expect((await store.applyOrder({ orderId: "o2", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 2 }] })).kind).toBe("conflict");
      expect((await store.applyOrder({ orderId: "o1", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }] })).kind).toBe("duplicate");
      expect(await store.readPendingCancellations({ limit: 10 })).toEqual([
        { seq: 3, orderId: "o2", sourceChannel: "amazon", atMs: 1_000, skus: ["A"] },
        { seq: 4, orderId: odd.orderId, sourceChannel: odd.sourceChannel, atMs: 2_000, skus: ["A"] },
      ]);
    });

    it("names the order's SKUs in its pending cancellation — every line's, normalised and sorted, the short ones and the others — for the push after the cancellation", async () => {
      const { store } = await fresh();
      await setLevels(store, { "Cafe\u0301": 5, B: 0, 'q"/\\': 3 });
      await store.applyOrder({ orderId: "o1", sourceChannel: "woocommerce", lines: [{ sku: 'q"/\\', quantity: 1 }, { sku: "B", quantity: 1 }, { sku: "Café", quantity: 1 }, { sku: "B", quantity: 1 }] });
      expect((await store.readPendingCancellations({ limit: 10 })).map((entry) => entry.skus)).toEqual([["B", "Café", 'q"/\\']]);
    });

    it("pages pending cancellations by seq and removes them idempotently; a redelivery never records a removed one again", async () => {
      const { store } = await fresh();
      await setLevels(store, { A: 0 });
      for (let i = 1; i <= 5; i++) await store.applyOrder({ orderId: `o${i}`, sourceChannel: i % 2 === 0 ? "ebay" : "amazon", lines: [{ sku: "A", quantity: 1 }] });
      const all = await store.readPendingCancellations({ limit: 100 });
      expect(all.map((entry) => [entry.seq, entry.orderId, entry.sourceChannel])).toEqual([
        [2, "o1", "amazon"],
        [3, "o2", "ebay"],
        [4, "o3", "amazon"],
        [5, "o4", "ebay"],
        [6, "o5", "amazon"],
      ]);
      expect(await store.readPendingCancellations({ limit: 2 })).toEqual(all.slice(0, 2));
      expect(await store.readPendingCancellations({ afterSeq: 3, limit: 2 })).toEqual(all.slice(2, 4));
      expect(await store.readPendingCancellations({ afterSeq: 6, limit: 10 })).toEqual([]);
      expect(await store.readPendingCancellations({ limit: 0 })).toEqual([]);
      expect(await store.removePendingCancellations([2, 4, 999, 2])).toBe(2); // how many this call removed: what a second process can tell apart
      expect(await store.readPendingCancellations({ limit: 100 })).toEqual([all[1], all[3], all[4]]);
      expect(await store.removePendingCancellations([2, 4])).toBe(0);
      expect(await store.removePendingCancellations([])).toBe(0);
      expect(await store.readPendingCancellations({ limit: 100 })).toEqual([all[1], all[3], all[4]]);
      expect((await store.applyOrder({ orderId: "o1", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }] })).kind).toBe("duplicate");
      expect((await store.applyOrders([{ orderId: "o3", sourceChannel: "amazon", lines: [{ sku: "A", quantity: 1 }] }])).map((result) => result.kind)).toEqual(["duplicate"]);
      expect(await store.readPendingCancellations({ limit: 100 })).toEqual([all[1], all[3], all[4]]);
      expect(await store.removePendingCancellations(all.map((entry) => entry.seq))).toBe(3);
      expect(await store.readPendingCancellations({ limit: 100 })).toEqual([]);
    });

    describe("order groups: lines of one marketplace order, cancelled as a whole", () => {
      const settle = (store: StockStore) => {
        const call = store.settleOrderGroup?.bind(store);
        if (!call) throw new Error("the store has no settleOrderGroup");
        return call;
      };
      const line = (orderId: string, sku: string, quantity = 1): OrderInput => ({ orderId, sourceChannel: "ebay", lines: [{ sku, quantity }] });

      it("gives an applied line back once the group is cancelled — exactly once, however often either call comes again", async () => {
        const { store, clock } = await fresh();
        await setLevels(store, { A: 5, B: 0 });
        clock.set(5_000);
        expect((await store.applyOrder(line("ebay:12-34:L1", "A", 2))).kind).toBe("applied");
        expect(await settle(store)({ group: "ebay:12-34", line: "ebay:12-34:L1" })).toEqual({ cancelled: false, released: [] });
        expect((await store.applyOrder(line("ebay:12-34:L2", "B"))).kind).toBe("insufficient");
        expect(await settle(store)({ group: "ebay:12-34", line: "ebay:12-34:L2" })).toEqual({ cancelled: false, released: [] });
        clock.set(9_000);
        const first = await settle(store)({ group: "ebay:12-34", cancel: true });
        expect(first).toEqual({ cancelled: true, released: [{ orderId: "ebay:12-34:L1", auditSeq: 5, changes: [{ sku: "A", delta: 2, quantity: 5, version: 3 }] }] });
        expect(await store.snapshot(["A", "B"])).toEqual(new Map([["A", { quantity: 5, version: 3 }], ["B", { quantity: 0, version: 1 }]]));
        expect((await store.readAudit({ afterSeq: 4 }))).toEqual([
          { seq: 5, atMs: 9_000, kind: "restock", reason: "order ebay:12-34:L1 given back: its marketplace cancelled the whole order ebay:12-34", changes: [{ sku: "A", delta: 2, quantity: 5, version: 3 }] },
        ]);
        expect(outboxWithoutIds(await store.readOutbox(10)).at(-1)).toEqual({ atMs: 9_000, changes: [{ sku: "A", delta: 2, quantity: 5, version: 3 }] });
        const before = await stateOf(store);
        expect(await settle(store)({ group: "ebay:12-34", cancel: true })).toEqual({ cancelled: true, released: [] });
        expect(await settle(store)({ group: "ebay:12-34", line: "ebay:12-34:L1" })).toEqual({ cancelled: true, released: [] });
        expect(await settle(store)({ group: "ebay:12-34", line: "ebay:12-34:L1", cancel: true })).toEqual({ cancelled: true, released: [] });
        expect(await stateOf(store)).toEqual(before);
      });

      it("gives a line recorded after its group was cancelled back at once; other groups are untouched", async () => {
        const { store } = await fresh();
        await setLevels(store, { A: 5 });
        expect(await settle(store)({ group: "ebay:1", cancel: true })).toEqual({ cancelled: true, released: [] });
        await store.applyOrder(line("ebay:2:L1", "A"));
        expect(await settle(store)({ group: "ebay:2", line: "ebay:2:L1" })).toEqual({ cancelled: false, released: [] });
        await store.applyOrder(line("ebay:1:L9", "A", 3));
        const late = await settle(store)({ group: "ebay:1", line: "ebay:1:L9" });
        expect(late.released.map((r) => [r.orderId, r.changes])).toEqual([["ebay:1:L9", [{ sku: "A", delta: 3, quantity: 4, version: 4 }]]]);
        expect((await store.snapshot(["A"])).get("A")).toEqual({ quantity: 4, version: 4 });
        expect(await settle(store)({ group: "ebay:1", line: "ebay:1:L9" })).toEqual({ cancelled: true, released: [] });
      });

      it("gives back every SKU of a multi-line order, each line once, in the order the lines were recorded; ids with quotes and braces", async () => {
        const { store } = await fresh();
        await setLevels(store, { A: 5, 'B"{x}': 5 });
        const odd = 'ebay:o{1}"\\:line 1';
        await store.applyOrder({ orderId: odd, sourceChannel: "ebay", lines: [{ sku: 'B"{x}', quantity: 2 }, { sku: "A", quantity: 1 }] });
        await store.applyOrder(line("ebay:o{1}\"\\:line 2", "A", 2));
        await settle(store)({ group: 'ebay:o{1}"\\', line: odd });
        await settle(store)({ group: 'ebay:o{1}"\\', line: 'ebay:o{1}"\\:line 2' });
        const settled = await settle(store)({ group: 'ebay:o{1}"\\', cancel: true });
        expect(settled.released.map((r) => [r.orderId, r.changes.map((c) => [c.sku, c.delta, c.quantity])])).toEqual([
          [odd, [["A", 1, 3], ['B"{x}', 2, 5]]],
          ['ebay:o{1}"\\:line 2', [["A", 2, 5]]],
        ]);
        expect(await store.snapshot()).toEqual(new Map([["A", { quantity: 5, version: 5 }], ['B"{x}', { quantity: 5, version: 3 }]]));
      });

      it("matches the reference model, audit and outbox included", async () => {
        const { store, clock } = await fresh();
        const reference = new StockModel({ clock });
        const both = async <T>(call: (s: StockStore | StockModel) => T | Promise<T>) => expect(await call(store)).toEqual(await call(reference));
        await both((s) => s.setQuantity({ sku: "A", quantity: 4 }));
        await both((s) => s.applyOrder(line("ebay:g:1", "A", 3)));
        await both((s) => s.applyOrder(line("ebay:g:2", "A", 3)));
        await both((s) => (s instanceof StockModel ? s.settleOrderGroup({ group: "ebay:g", line: "ebay:g:1" }) : settle(s)({ group: "ebay:g", line: "ebay:g:1" })));
        clock.advance(1_000);
        await both((s) => (s instanceof StockModel ? s.settleOrderGroup({ group: "ebay:g", cancel: true }) : settle(s)({ group: "ebay:g", cancel: true })));
        expect(await store.readAudit()).toEqual(reference.readAudit());
        expect(outboxWithoutIds(await store.readOutbox(100))).toEqual(outboxWithoutIds(reference.readOutbox(100)));
      });

      it.each([
        ["an empty group", { group: "" }],
        ["a group that is not a string", { group: 7 }],
        [`a group over ${MAX_ORDER_ID_BYTES} bytes`, { group: "g".repeat(MAX_ORDER_ID_BYTES + 1) }],
        ["an empty line", { group: "g", line: "" }],
        ["a line with a control character", { group: "g", line: "a\nb" }],
      ])("refuses %s with a TypeError, writing nothing", async (_name, input) => {
        const { store } = await fresh();
        await setLevels(store, { A: 1 });
        const before = await stateOf(store);
        await expect(settle(store)(input as unknown as { group: string })).rejects.toThrow(TypeError);
        expect(await stateOf(store)).toEqual(before);
      });
    });
  });
}
