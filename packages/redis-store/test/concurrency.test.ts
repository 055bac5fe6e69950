// 50 clients (50 connections) hammer one hot SKU and a few shared SKUs with multi-line orders whose total
// demand exceeds stock, while restocks land and a third of the orders are submitted twice at once by two
// different clients. Whatever the interleaving, stock is conserved, never negative, and every order id
// is applied (or refused) exactly once, with exactly one audit record.
import { describe, expect, it } from "vitest";
import { Prng } from "@synclag/core";
import type { ApplyResult, OrderInput } from "@synclag/core";
import { RedisStockStore } from "../src/index.js";
import { skipReason, uniquePrefix, useRedisServer } from "./redis-fixture.js";

const CLIENTS = 50;
const ORDERS = 1_500;
const INITIAL: Readonly<Record<string, number>> = { hot: 60, "shared-1": 40, "shared-2": 40, "shared-3": 40 };
const RESTOCKS = 10;
const RESTOCK_UNITS = 5;

type Work =
  | { readonly kind: "order"; readonly order: OrderInput }
  | { readonly kind: "batch"; readonly orders: readonly OrderInput[] }
  | { readonly kind: "restock" };

function makeWorkload(): { queues: Work[][]; orders: OrderInput[] } {
  const random = new Prng("redis-concurrency").fork("orders");
  const shared = ["shared-1", "shared-2", "shared-3"];
  const orders: OrderInput[] = Array.from({ length: ORDERS }, (_, i) => {
    const lines = [];
    if (random.chance(0.8)) lines.push({ sku: "hot", quantity: 1 + random.int(2) });
    for (const sku of shared) if (random.chance(0.3)) lines.push({ sku, quantity: 1 + random.int(3) });
    if (lines.length === 0) lines.push({ sku: "hot", quantity: 1 });
    return { orderId: `order-${i}`, sourceChannel: ["amazon", "shopify", "ebay"][i % 3] as string, lines };
  });
  const queues: Work[][] = Array.from({ length: CLIENTS }, () => []);
  orders.forEach((order, i) => {
    const client = i % CLIENTS;
    const position = Math.floor(i / CLIENTS);
    // Every third order is also submitted by the client half-way round, at the same queue position.
    const twin = i % 3 === 0 ? (client + CLIENTS / 2) % CLIENTS : undefined;
    for (const target of twin === undefined ? [client] : [client, twin]) {
      const queue = queues[target] as Work[];
      while (queue.length < position) queue.push({ kind: "batch", orders: [] });
      queue.push({ kind: "order", order });
    }
  });
  // Some clients send their orders in batches of 4 (one script call each): same semantics, other path.
  for (let client = 0; client < CLIENTS; client += 5) {
    const queue = queues[client] as Work[];
    const single = queue.flatMap((work) => (work.kind === "order" ? [work.order] : []));
    queues[client] = Array.from({ length: Math.ceil(single.length / 4) }, (_, i) => ({ kind: "batch", orders: single.slice(i * 4, i * 4 + 4) }));
  }
  for (let i = 0; i < RESTOCKS; i++) {
    const queue = queues[(i * 7) % CLIENTS] as Work[];
    queue.splice(Math.min(queue.length, 2 + i * 3), 0, { kind: "restock" });
  }
  return { queues, orders };
}

if (skipReason) {
  it.skip(`concurrency against Redis (${skipReason})`, () => {});
} else {
  const redis = useRedisServer();

  describe("50 concurrent clients on one hot SKU and a few shared SKUs", () => {
    it("never oversells, applies each order once even when submitted twice at once, and audits exactly the applied orders", async () => {
      const keyPrefix = uniquePrefix("hammer");
      const clock = { now: () => 1_700_000_000_000 };
      const clients = await Promise.all(Array.from({ length: CLIENTS }, () => redis().newClient()));
      const stores = clients.map((client) => new RedisStockStore({ client, clock, keyPrefix }));
      const first = stores[0] as RedisStockStore;
      for (const [sku, quantity] of Object.entries(INITIAL)) await first.setQuantity({ sku, quantity });

      const { queues, orders } = makeWorkload();
      const submissions = new Map<string, ApplyResult[]>();
      const record = (result: ApplyResult) => {
        const orderId = result.orderId as string;
        submissions.set(orderId, [...(submissions.get(orderId) ?? []), result]);
      };
      await Promise.all(
        queues.map(async (queue, index) => {
          const store = stores[index] as RedisStockStore;
          for (const work of queue) {
            if (work.kind === "order") record(await store.applyOrder(work.order));
            else if (work.kind === "batch" && work.orders.length > 0) (await store.applyOrders(work.orders)).forEach(record);
            else if (work.kind === "restock") expect((await store.restock({ sku: "hot", quantity: RESTOCK_UNITS, reason: "inbound" })).kind).toBe("changed");
          }
        }),
      );

      // Each order id: exactly one first outcome (applied or insufficient); every other submission is a
      // duplicate carrying that same outcome.
      const applied = new Map<string, Extract<ApplyResult, { kind: "applied" }>>();
      let insufficient = 0;
      let twice = 0;
      for (const order of orders) {
        const results = submissions.get(order.orderId) ?? [];
        expect(results.length).toBe(Number(order.orderId.slice(6)) % 3 === 0 ? 2 : 1);
        if (results.length === 2) twice += 1;
        const firsts = results.filter((result) => result.kind === "applied" || result.kind === "insufficient");
        expect(firsts, order.orderId).toHaveLength(1);
        const outcome = firsts[0] as Extract<ApplyResult, { kind: "applied" | "insufficient" }>;
        for (const result of results) if (result !== outcome) expect(result).toEqual({ kind: "duplicate", orderId: order.orderId, original: outcome });
        if (outcome.kind === "applied") applied.set(order.orderId, outcome);
        else insufficient += 1;
      }
      expect(twice).toBe(ORDERS / 3);
      expect(insufficient).toBeGreaterThan(0); // demand exceeded stock: the test did contend
      expect(applied.size).toBeGreaterThan(0);

      // Final stock = initial + restocks − Σ applied quantities, never below zero.
      const snapshot = await first.snapshot();
      const sold = new Map<string, number>();
      for (const outcome of applied.values()) for (const change of outcome.changes) sold.set(change.sku, (sold.get(change.sku) ?? 0) - change.delta);
      for (const [sku, initial] of Object.entries(INITIAL)) {
        const restocked = sku === "hot" ? RESTOCKS * RESTOCK_UNITS : 0;
        const quantity = snapshot.get(sku)?.quantity;
        expect(quantity, sku).toBe(initial + restocked - (sold.get(sku) ?? 0));
        expect(quantity).toBeGreaterThanOrEqual(0);
      }

      // The audit: seqs 1..n without gaps, one order record per applied order and one insufficient
      // record per refused order, no level ever below zero, deltas summing to the final quantities.
      const audit = await first.readAudit();
      expect(audit.map((entry) => entry.seq)).toEqual(audit.map((_, i) => i + 1));
      const orderRecords = audit.filter((entry) => entry.kind === "order");
      expect(orderRecords.map((entry) => entry.orderId).sort()).toEqual([...applied.keys()].sort());
      expect(new Set(orderRecords.map((entry) => entry.orderId)).size).toBe(orderRecords.length);
      expect(audit.filter((entry) => entry.kind === "insufficient")).toHaveLength(insufficient);
      expect(audit.filter((entry) => entry.kind === "restock")).toHaveLength(RESTOCKS);
      const sums = new Map<string, number>();
      for (const change of audit.flatMap((entry) => entry.changes)) {
        expect(change.quantity).toBeGreaterThanOrEqual(0);
        sums.set(change.sku, (sums.get(change.sku) ?? 0) + change.delta);
      }
      for (const [sku, level] of snapshot) expect(sums.get(sku), sku).toBe(level.quantity);
      // Versions: one bump per audited change of the SKU.
      for (const [sku, level] of snapshot) expect(level.version, sku).toBe(audit.flatMap((entry) => entry.changes).filter((change) => change.sku === sku).length);
    }, 30_000);
  });
}
