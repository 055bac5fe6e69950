// A ChannelClient decorator that measures the engine's own view of sync lag: from an order's
// confirmation at its source to the moment *this* channel's API accepted a version ≥ the order's
// version (`propagation_lag_ms{channel}`), plus `propagations_total{channel}`. Ground truth still comes
// from the marketplace side (the runner reads the admin API); this is the operator's live signal.
// Easy to get wrong: one accepted version settles every older pending order of that SKU at once
// (coalescing), and the source channel owes nothing for its own order. After a stock restore the
// store's versions start again at 1 (store-epoch.ts): `forgetOwed` drops what was owed before, or a
// pre-loss version at the head of a SKU's list would hold back the count of every order after the restore.

import type { ChannelClient, ChannelId, Clock, Metrics, OrderId, PushOutcome, QuantityUpdate, Sku } from "@synclag/core";

/** Pending (version, confirmation) pairs kept per SKU before the oldest are dropped. */
const MAX_PENDING_PER_SKU = 10_000;

export class LagObservingClient implements ChannelClient {
  readonly channel: ChannelId;
  readonly maxBatchSize: number;
  private readonly pending = new Map<Sku, Array<{ version: number; confirmedAtMs: number }>>();
  /** One labels object for every observation, not one per update. */
  private readonly labels: { readonly channel: ChannelId };
  /** Bumped by `forgetOwed`: a reply to a call sent before it carries pre-restore versions. */
  private generation = 0;

  constructor(private readonly inner: ChannelClient, private readonly clock: Clock, private readonly metrics: Metrics) {
    this.channel = inner.channel;
    this.maxBatchSize = inner.maxBatchSize;
    this.labels = { channel: inner.channel };
  }

  /** An order was applied at `version` of `sku`; every channel but its source now owes it. */
  noteApplied(sourceChannel: ChannelId, sku: Sku, version: number, confirmedAtMs: number): void {
    if (sourceChannel === this.channel) return;
    let list = this.pending.get(sku);
    if (!list) this.pending.set(sku, (list = []));
    list.push({ version, confirmedAtMs });
    if (list.length > MAX_PENDING_PER_SKU) list.splice(0, list.length - MAX_PENDING_PER_SKU);
  }

  /**
   * The store's versions restarted (a stock restore): forgets every version this channel still owes.
   * A call sent before and answered after settles nothing — its versions are from before the loss and
   * would pass for the new ones. Orders applied after the restore but noted before this call (an
   * instance adopts a restore up to a second after it) go with the rest: the lag signal skips a few
   * orders around a restore rather than count pre-loss ones.
   */
  forgetOwed(): void {
    this.pending.clear();
    this.generation += 1;
  }

  async setQuantities(updates: readonly QuantityUpdate[]): Promise<PushOutcome[]> {
    const generation = this.generation;
    const outcomes = await this.inner.setQuantities(updates);
    const now = this.clock.now();
    if (this.pending.size === 0 || generation !== this.generation) return outcomes;
    updates.forEach((update, index) => {
      if (!outcomes[index]?.ok) return;
      const list = this.pending.get(update.sku);
      if (!list) return;
      let settled = 0;
      while (settled < list.length && (list[settled]?.version ?? Infinity) <= update.version) {
        const entry = list[settled] as { confirmedAtMs: number };
        this.metrics.observe("propagation_lag_ms", Math.max(0, now - entry.confirmedAtMs), this.labels);
        settled += 1;
      }
      if (settled > 0) {
        if (settled === list.length) this.pending.delete(update.sku);
        else list.splice(0, settled);
        this.metrics.increment("propagations_total", this.labels, settled);
      }
    });
    return outcomes;
  }

  readQuantities(skus: readonly Sku[]): Promise<Map<Sku, number>> {
    return this.inner.readQuantities(skus);
  }

  /** The wrapped client's (the reconciler reserves a Shopify read from the updates' budget by it). */
  readBudgetCost(skus: number): number {
    return this.inner.readBudgetCost?.(skus) ?? 0;
  }

  cancelOrder(orderId: OrderId, reason: string): Promise<PushOutcome> {
    return this.inner.cancelOrder(orderId, reason);
  }
}
