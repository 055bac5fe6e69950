import { describe, expect, it } from "vitest";
import { ForwardingStockStore, type ApplyResult, type OrderInput, type StockStore } from "@synclag/core";
import { RedisStockStoreError } from "./errors.js";
import { GroupCommitStockStore } from "./group-commit-stock-store.js";

/** An inner store whose `applyOrders` calls are recorded and answered only when the test says so. */
function fakeStore(answer: (orders: readonly OrderInput[]) => ApplyResult[] | Error = (orders) => orders.map((o) => ({ kind: "applied", orderId: o.orderId as string, changes: [] }) as unknown as ApplyResult)) {
  const calls: { orders: readonly OrderInput[]; release: () => void }[] = [];
  const singles: OrderInput[] = [];
  const store = {
    applyOrders(orders: readonly OrderInput[]) {
      return new Promise<ApplyResult[]>((resolve, reject) => {
        calls.push({
          orders,
          release: () => {
            const reply = answer(orders);
            if (reply instanceof Error) reject(reply);
            else resolve(reply);
          },
        });
      });
    },
    applyOrder(order: OrderInput) {
      singles.push(order);
      const reply = answer([order]);
      return reply instanceof Error ? Promise.reject(reply) : Promise.resolve(reply[0] as ApplyResult);
    },
  } as unknown as StockStore;
  return { store, calls, singles };
}

const order = (id: string): OrderInput => ({ orderId: id, sourceChannel: "amazon", lines: [{ sku: "s", quantity: 1 }] });
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe("GroupCommitStockStore", () => {
  it("sends an order at once when no call is in flight", async () => {
    const { store, calls } = fakeStore();
    const grouped = new GroupCommitStockStore(store, { maxInFlightCalls: 1 });
    const result = grouped.applyOrder(order("a"));
    expect(calls.map((c) => c.orders.map((o) => o.orderId))).toEqual([["a"]]);
    calls[0]?.release();
    await expect(result).resolves.toMatchObject({ kind: "applied", orderId: "a" });
  });

  it("gathers orders that arrive while a call is in flight into one call, each caller getting its own result", async () => {
    const { store, calls } = fakeStore();
    const grouped = new GroupCommitStockStore(store, { maxInFlightCalls: 1 });
    const first = grouped.applyOrder(order("a"));
    const rest = ["b", "c", "d"].map((id) => grouped.applyOrder(order(id)));
    expect(calls).toHaveLength(1);
    calls[0]?.release();
    await first;
    await flush();
    expect(calls.map((c) => c.orders.map((o) => o.orderId))).toEqual([["a"], ["b", "c", "d"]]);
    calls[1]?.release();
    expect((await Promise.all(rest)).map((r) => (r as { orderId: string }).orderId)).toEqual(["b", "c", "d"]);
    expect(grouped.stats()).toEqual({ calls: 2, orders: 4, isolations: 0 });
  });

  it("caps a gathered call at maxOrdersPerCall and sends the rest next", async () => {
    const { store, calls } = fakeStore();
    const grouped = new GroupCommitStockStore(store, { maxOrdersPerCall: 2, maxInFlightCalls: 1 });
    const all = ["a", "b", "c", "d", "e"].map((id) => grouped.applyOrder(order(id)));
    for (let i = 0; i < 3; i++) {
      calls[i]?.release();
      await flush();
    }
    await Promise.all(all);
    expect(calls.map((c) => c.orders.map((o) => o.orderId))).toEqual([["a"], ["b", "c"], ["d", "e"]]);
  });

  it("passes an unavailable or unknown outcome to every order of the call, so each is retried", async () => {
    const failure = new RedisStockStoreError("outcome_unknown", "no reply", { retryable: true });
    const { store, calls, singles } = fakeStore(() => failure);
    const grouped = new GroupCommitStockStore(store, { maxInFlightCalls: 1 });
    const first = grouped.applyOrder(order("a"));
    const rest = ["b", "c"].map((id) => grouped.applyOrder(order(id)));
    calls[0]?.release();
    await expect(first).rejects.toBe(failure);
    await flush();
    calls[1]?.release();
    for (const r of rest) await expect(r).rejects.toBe(failure);
    expect(singles).toEqual([]);
  });

  it("re-sends a refused call one order at a time, so only the bad order fails", async () => {
    const refused = new RedisStockStoreError("wrong_type", "key holds a list; nothing was written", { retryable: false });
    const { store, calls, singles } = fakeStore((orders) => (orders.some((o) => o.orderId === "bad") ? refused : orders.map((o) => ({ kind: "applied", orderId: o.orderId, changes: [] }) as unknown as ApplyResult)));
    const grouped = new GroupCommitStockStore(store, { maxInFlightCalls: 1 });
    const first = grouped.applyOrder(order("a"));
    const rest = ["b", "bad", "c"].map((id) => grouped.applyOrder(order(id)));
    calls[0]?.release();
    await first;
    await flush();
    calls[1]?.release();
    const settled = await Promise.allSettled(rest);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((settled[1] as PromiseRejectedResult).reason).toBe(refused);
    expect(singles.map((o) => o.orderId)).toEqual(["b", "bad", "c"]);
    expect(grouped.stats().isolations).toBe(1);
  });

  it("keeps up to maxInFlightCalls gathered calls out at once", async () => {
    const { store, calls } = fakeStore();
    const grouped = new GroupCommitStockStore(store, { maxInFlightCalls: 2 });
    const all = ["a", "b", "c", "d"].map((id) => grouped.applyOrder(order(id)));
    expect(calls.map((c) => c.orders.map((o) => o.orderId))).toEqual([["a"], ["b"]]);
    calls[0]?.release();
    await flush();
    expect(calls.map((c) => c.orders.map((o) => o.orderId))).toEqual([["a"], ["b"], ["c", "d"]]);
    calls[1]?.release();
    calls[2]?.release();
    await Promise.all(all);
  });

  it("caps a gathered call at the inner store's batch size, also behind a forwarding store", () => {
    const { store } = fakeStore();
    Object.assign(store, { batchSize: 8 });
    expect(new GroupCommitStockStore(store).maxOrdersPerCall).toBe(8);
    expect(new GroupCommitStockStore(new ForwardingStockStore(store), { maxOrdersPerCall: 50 }).maxOrdersPerCall).toBe(8);
    expect(new GroupCommitStockStore(store, { maxOrdersPerCall: 3 }).maxOrdersPerCall).toBe(3);
  });

  it("keeps the results the inner store reports on its error, and gives the failure only to the orders it did not settle", async () => {
    const applied = (id: string) => ({ kind: "applied", orderId: id, changes: [] }) as unknown as ApplyResult;
    const failure = new RedisStockStoreError("outcome_unknown", "no reply (the 2 orders before it were applied)", { retryable: true, partialResults: [applied("b"), applied("c"), undefined] });
    const { store, calls, singles } = fakeStore((orders) => (orders.length === 3 ? failure : orders.map((o) => applied(o.orderId as string))));
    const grouped = new GroupCommitStockStore(store, { maxInFlightCalls: 1 });
    const first = grouped.applyOrder(order("a"));
    const rest = ["b", "c", "d"].map((id) => grouped.applyOrder(order(id)));
    calls[0]?.release();
    await first;
    await flush();
    calls[1]?.release();
    const settled = await Promise.allSettled(rest);
    expect(settled.map((s) => (s.status === "fulfilled" ? s.value.kind : s.reason))).toEqual(["applied", "applied", failure]);
    expect(singles).toEqual([]);
  });

  it("rejects options out of range", () => {
    const { store } = fakeStore();
    expect(() => new GroupCommitStockStore(store, { maxOrdersPerCall: 0 })).toThrow(RangeError);
    expect(() => new GroupCommitStockStore(store, { maxInFlightCalls: 0 })).toThrow(RangeError);
  });
});
