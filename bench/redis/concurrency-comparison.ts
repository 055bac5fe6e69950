// The concurrency comparison of the Redis benchmark: one workload — 50 clients, one hot SKU and three
// shared SKUs, multi-line orders whose total demand exceeds stock, every order submitted twice at the
// same moment by two different clients — run through the Lua store, the naive check-then-decrement
// store and the WATCH/MULTI store. Counts what each one got wrong.
// Easy to get wrong: "oversold" is read from Redis (units below zero), not from what the store reported;
// "double applied" is an order id reported applied by both of its submissions.

import { performance } from "node:perf_hooks";
import { Prng } from "@synclag/core";
import type { OrderInput } from "@synclag/core";
import type { ContrastResult, ContrastStore } from "./naive-stores.js";

export const COMPARISON_CLIENTS = 50;
export const COMPARISON_ORDERS = 1_000;
export const COMPARISON_STOCK: Readonly<Record<string, number>> = { hot: 100, "shared-1": 60, "shared-2": 60, "shared-3": 60 };

export function comparisonOrders(): OrderInput[] {
  const random = new Prng("redis-bench").fork("comparison");
  return Array.from({ length: COMPARISON_ORDERS }, (_, i) => {
    const lines = [{ sku: "hot", quantity: 1 + random.int(2) }];
    for (const sku of ["shared-1", "shared-2", "shared-3"]) if (random.chance(0.35)) lines.push({ sku, quantity: 1 + random.int(2) });
    return { orderId: `cmp-${i}`, sourceChannel: ["amazon", "shopify", "ebay"][i % 3] as string, lines };
  });
}

export interface ComparisonOutcome {
  /** Units sold that did not exist: Σ over SKUs of max(0, −final quantity), read from Redis. */
  readonly oversoldUnits: number;
  /** Order ids both of whose submissions reported `applied` (stock decremented twice). */
  readonly doubleApplied: number;
  readonly appliedOrders: number;
  readonly submissions: number;
  readonly elapsedMs: number;
}

/**
 * Runs the workload: client `c` submits orders c, c+50, …; the twin client (c+25) submits the same
 * orders at the same positions, so both submissions of an order race.
 */
export async function runComparison(
  stores: readonly ContrastStore[],
  finalQuantity: (sku: string) => Promise<number>,
): Promise<ComparisonOutcome> {
  const orders = comparisonOrders();
  const reports = new Map<string, ContrastResult["kind"][]>();
  const started = performance.now();
  await Promise.all(
    stores.map(async (store, client) => {
      const twinOf = (client + COMPARISON_CLIENTS / 2) % COMPARISON_CLIENTS;
      const mine = orders.filter((_, i) => i % COMPARISON_CLIENTS === client || i % COMPARISON_CLIENTS === twinOf);
      for (const order of mine) {
        const { kind } = await store.applyOrder(order);
        reports.set(order.orderId, [...(reports.get(order.orderId) ?? []), kind]);
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  let oversoldUnits = 0;
  for (const sku of Object.keys(COMPARISON_STOCK)) oversoldUnits += Math.max(0, -(await finalQuantity(sku)));
  const kinds = [...reports.values()];
  return {
    oversoldUnits,
    doubleApplied: kinds.filter((list) => list.filter((kind) => kind === "applied").length > 1).length,
    appliedOrders: kinds.filter((list) => list.includes("applied")).length,
    submissions: kinds.reduce((sum, list) => sum + list.length, 0),
    elapsedMs,
  };
}
