// Two contrast implementations of "apply an order" on Redis, for the benchmark's concurrency comparison
// only — never for production. `NaiveStockStore` is the shape of most examples: GET the "seen" mark,
// GET each quantity, compare, DECRBY, then SET the mark — every step its own round trip, so concurrent
// orders interleave between check and act (oversell) and a redelivery racing its original passes the
// check twice (double decrement). `OptimisticStockStore` is WATCH/MULTI/EXEC with retries: correct, but
// every conflicting write aborts the others' transactions, so it pays in retries under contention.
// Easy to get wrong: WATCH state belongs to a connection — each OptimisticStockStore needs its own
// client, used by one transaction at a time.

import { WatchError, createClient } from "redis";
import type { OrderInput } from "@synclag/core";

export type ContrastClient = ReturnType<typeof createContrastClient>;

export function createContrastClient(url: string) {
  return createClient({ url, disableOfflineQueue: true });
}

export type ContrastResult = { readonly kind: "applied" | "insufficient" | "duplicate" };

export interface ContrastStore {
  applyOrder(order: OrderInput): Promise<ContrastResult>;
}

/** Merges duplicate SKUs like the core does, so all three stores see the same demand per order. */
function merged(order: OrderInput): { sku: string; quantity: number }[] {
  const totals = new Map<string, number>();
  for (const line of order.lines) totals.set(line.sku, (totals.get(line.sku) ?? 0) + line.quantity);
  return [...totals].sort(([a], [b]) => (a < b ? -1 : 1)).map(([sku, quantity]) => ({ sku, quantity }));
}

abstract class CounterStore {
  constructor(
    protected readonly client: ContrastClient,
    private readonly prefix: string,
  ) {}

  protected skuKey(sku: string): string {
    return `${this.prefix}{bench}:qty:${sku}`;
  }

  protected seenKey(orderId: string): string {
    return `${this.prefix}{bench}:seen:${orderId}`;
  }

  async setQuantity(sku: string, quantity: number): Promise<void> {
    await this.client.set(this.skuKey(sku), String(quantity));
  }

  async quantity(sku: string): Promise<number> {
    return Number(await this.client.get(this.skuKey(sku)));
  }
}

export class NaiveStockStore extends CounterStore implements ContrastStore {
  async applyOrder(order: OrderInput): Promise<ContrastResult> {
    if (await this.client.get(this.seenKey(order.orderId))) return { kind: "duplicate" };
    const lines = merged(order);
    for (const line of lines) {
      const available = Number(await this.client.get(this.skuKey(line.sku)));
      if (available < line.quantity) return { kind: "insufficient" };
    }
    for (const line of lines) await this.client.decrBy(this.skuKey(line.sku), line.quantity);
    await this.client.set(this.seenKey(order.orderId), "1");
    return { kind: "applied" };
  }
}

export class OptimisticStockStore extends CounterStore implements ContrastStore {
  /** Transactions aborted by a concurrent write to a watched key, and retried. */
  retries = 0;

  constructor(
    client: ContrastClient,
    prefix: string,
    private readonly maxAttempts = 1_000,
  ) {
    super(client, prefix);
  }

  async applyOrder(order: OrderInput): Promise<ContrastResult> {
    const lines = merged(order);
    const seenKey = this.seenKey(order.orderId);
    const skuKeys = lines.map((line) => this.skuKey(line.sku));
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      await this.client.watch([seenKey, ...skuKeys]);
      const [seen, ...quantities] = await this.client.mGet([seenKey, ...skuKeys]);
      if (seen) {
        await this.client.unwatch();
        return { kind: "duplicate" };
      }
      const short = lines.some((line, i) => Number(quantities[i]) < line.quantity);
      const multi = this.client.multi();
      if (!short) for (const [i, line] of lines.entries()) multi.decrBy(skuKeys[i] as string, line.quantity);
      multi.set(seenKey, short ? "insufficient" : "applied");
      try {
        await multi.exec();
        return { kind: short ? "insufficient" : "applied" };
      } catch (error) {
        if (!(error instanceof WatchError)) throw error;
        this.retries += 1;
      }
    }
    throw new Error(`order ${order.orderId}: gave up after ${this.maxAttempts} optimistic attempts`);
  }
}
