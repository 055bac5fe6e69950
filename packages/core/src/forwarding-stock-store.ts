// A StockStore that hands every call to another one: the base of stores that change one or two calls
// (group commit gathers applyOrder calls; the service's epoch guard checks unknown-SKU refusals).

import type { OrderGroupInput, OrderInput, StockMutationInput, StockStore } from "./ports.js";
import type { ApplyResult, AuditRecord, OrderGroupSettlement, OutboxEntry, PendingCancellation, Sku, StockChangeResult, StockLevel } from "./types.js";

export class ForwardingStockStore implements StockStore {
  /** Present when the inner store has it (the port's optional call). */
  readonly settleOrderGroup?: (input: OrderGroupInput) => Promise<OrderGroupSettlement>;

  constructor(readonly inner: StockStore) {
    if (inner.settleOrderGroup) this.settleOrderGroup = (input) => (inner.settleOrderGroup as (input: OrderGroupInput) => Promise<OrderGroupSettlement>).call(inner, input);
  }

  applyOrder(order: OrderInput): Promise<ApplyResult> {
    return this.inner.applyOrder(order);
  }

  applyOrders(orders: readonly OrderInput[]): Promise<ApplyResult[]> {
    return this.inner.applyOrders(orders);
  }

  restock(input: StockMutationInput): Promise<StockChangeResult> {
    return this.inner.restock(input);
  }

  setQuantity(input: StockMutationInput): Promise<StockChangeResult> {
    return this.inner.setQuantity(input);
  }

  snapshot(skus?: readonly Sku[]): Promise<Map<Sku, StockLevel>> {
    return this.inner.snapshot(skus);
  }

  readAudit(options?: { readonly afterSeq?: number; readonly limit?: number }): Promise<AuditRecord[]> {
    return this.inner.readAudit(options);
  }

  readOutbox(limit: number): Promise<OutboxEntry[]> {
    return this.inner.readOutbox(limit);
  }

  ackOutbox(ids: readonly string[]): Promise<void> {
    return this.inner.ackOutbox(ids);
  }

  readPendingCancellations(options: { readonly afterSeq?: number; readonly limit: number }): Promise<PendingCancellation[]> {
    return this.inner.readPendingCancellations(options);
  }

  removePendingCancellations(seqs: readonly number[]): Promise<number> {
    return this.inner.removePendingCancellations(seqs);
  }
}
