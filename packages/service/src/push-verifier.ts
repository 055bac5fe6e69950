// Several engine instances share one consumer and one store, and each pushes the levels of the orders
// *it* applied. A applies version 5 of a SKU, B version 6; when B's push lands first and A's after (A's
// queue was longer, a retry, its rate limit), the channel lists version 5 while the store is at 6 — and
// neither pushes again (each holds its own version confirmed): only the reconciler repairs it, minutes
// later, an oversell window when the SKU is selling out.
// So every channel client is wrapped: after a call confirms levels, one store read for the call's SKUs,
// and a SKU the store holds at a newer version than anything this instance has for the channel is handed
// back to the propagator for that channel (it pushes only a version newer than it holds). Whoever's push
// lands last, its instance reads the store after it landed: the newest level ends up last once the SKU's
// orders stop.
// Easy to get wrong: (1) this must never break or delay the push path — the outcomes go back at once and
// the read runs beside it; a failed read is counted, logged once per streak, and not retried (the
// reconciler is the backstop). (2) The decision is made on the propagator's state *after* it processed
// the reply, so the read starts on the next turn of the event loop: a pair with something newer pending
// or in flight is left alone — its own confirmation is verified in turn. (3) One read at a time per
// channel: SKUs confirmed while it runs go into the next one, so a slow Redis costs no pile of reads.

import type { ChannelClient, ChannelId, Labels, Metrics, OrderId, PushOutcome, QuantityUpdate, Sku, StockLevel } from "@synclag/core";
import type { Logger } from "pino";

/** The store as the verifier reads it. */
export interface PushVerifierStore {
  /** Current levels of `skus`; a SKU the store does not hold is left out. */
  snapshot(skus: readonly Sku[]): Promise<ReadonlyMap<Sku, StockLevel>>;
}

/** The propagator as the verifier sees it (`@synclag/engine`'s Propagator). */
export interface PushVerifierPropagator {
  /** Per SKU: the version `channel` confirmed (undefined: none), or null while the pair has something pending or in flight. */
  confirmedVersionsIfIdle(channel: ChannelId, skus: readonly Sku[]): (number | undefined | null)[];
  /** The newest version given up on for (channel, sku); 0 when none. */
  abandonedVersion(channel: ChannelId, sku: Sku): number;
  publish(sku: Sku, level: StockLevel, options: { readonly channels: readonly ChannelId[] }): void;
  /** Bumped by a restart of the versions (a store restore): a read from before it holds the old store's. */
  readonly versionsGeneration: number;
}

export interface PushVerifierOptions {
  readonly store: PushVerifierStore;
  readonly metrics: Metrics;
  readonly logger: Pick<Logger, "error" | "warn" | "info">;
}

export class PushVerifier {
  private propagator: PushVerifierPropagator | undefined;
  private stopped = false;
  /** Reads failed since the last one that succeeded (shared by every channel: the store is one). */
  private failedReads = 0;

  constructor(private readonly options: PushVerifierOptions) {}

  /** The propagator the levels are handed to (it is built with the wrapped clients, so it comes after them). Until then nothing is verified. */
  attach(propagator: PushVerifierPropagator): void {
    this.propagator = propagator;
  }

  /** Wraps a channel's client: its confirmed pushes are verified against the store. */
  wrap(client: ChannelClient): ChannelClient {
    return new VerifyingClient(client, this);
  }

  /** No more reads or republishing (shutdown: before the store closes, so a read cut short is not reported as a failure). */
  stop(): void {
    this.stopped = true;
  }

  /** False once stopped. */
  get running(): boolean {
    return !this.stopped;
  }

  /** @internal A verification that failed other than by its read (a bug): logged, never thrown into the push path. */
  bug(channel: ChannelId, error: unknown): void {
    this.options.logger.error({ channel, err: error }, "push verification failed");
  }

  /** @internal One read for `skus` just confirmed on `channel`, then the republishing. */
  async verify(channel: ChannelId, labels: Labels, skus: readonly Sku[]): Promise<void> {
    if (this.stopped || this.propagator === undefined) return;
    const generation = this.propagator.versionsGeneration;
    let levels: ReadonlyMap<Sku, StockLevel>;
    try {
      levels = await this.options.store.snapshot(skus);
    } catch (error) {
      if (this.stopped) return;
      this.failedReads += 1;
      this.options.metrics.increment("push_verify_errors_total");
      if (this.failedReads === 1) this.options.logger.warn({ channel, err: error }, "push verification: reading the store failed; confirmed pushes are not checked against it until a read succeeds (the reconciler repairs a listing left behind meanwhile)");
      return;
    }
    // The read shares the Redis connection with the order applies: an apply's reply often arrives in the
    // same chunk, and its handler's chain (group commit → epoch guard → processor → publish) is longer
    // than this one. Decide only after it ran (next macrotask), or a version this instance applied but
    // has not published yet looks like another instance's — republished without its source, it would
    // be pushed back to the channel the sale came from (found by review: 58 such on one instance).
    await new Promise<void>((resolve) => setImmediate(resolve));
    // The versions restarted meanwhile (a store restore): these levels may be the lost store's, at
    // versions the restored one will reuse — published, they would block the restored levels.
    if (this.stopped || this.propagator.versionsGeneration !== generation) return;
    if (this.failedReads > 0) {
      this.options.logger.info({ failedReads: this.failedReads }, "push verification: the store answers again");
      this.failedReads = 0;
    }
    const propagator = this.propagator;
    const known = propagator.confirmedVersionsIfIdle(channel, skus);
    let republished = 0;
    skus.forEach((sku, index) => {
      const level = levels.get(sku);
      const confirmed = known[index];
      // null: an update of this pair is pending, in flight or waiting out a retry — its confirmation is
      // verified in turn (one given up is the reconciler's, as without verification).
      if (level === undefined || confirmed === null) return;
      if (level.version <= Math.max(confirmed ?? 0, propagator.abandonedVersion(channel, sku))) return;
      propagator.publish(sku, { quantity: level.quantity, version: level.version }, { channels: [channel] });
      republished += 1;
    });
    if (republished > 0) this.options.metrics.increment("push_verify_republished_total", labels, republished);
  }
}

class VerifyingClient implements ChannelClient {
  readonly channel: ChannelId;
  readonly maxBatchSize: number;
  private readonly labels: Labels;
  /** SKUs confirmed and not yet read (the next read takes them all). */
  private waiting = new Set<Sku>();
  private reading = false;

  constructor(
    private readonly inner: ChannelClient,
    private readonly verifier: PushVerifier,
  ) {
    this.channel = inner.channel;
    this.maxBatchSize = inner.maxBatchSize;
    this.labels = { channel: inner.channel };
  }

  async setQuantities(updates: readonly QuantityUpdate[]): Promise<PushOutcome[]> {
    const outcomes = await this.inner.setQuantities(updates);
    let confirmed = false;
    updates.forEach((update, index) => {
      if (outcomes[index]?.ok !== true) return;
      this.waiting.add(update.sku);
      confirmed = true;
    });
    // The next turn: the propagator takes the reply first (the read must see what it made of it).
    if (confirmed && !this.reading && this.verifier.running) {
      this.reading = true;
      setImmediate(() => void this.readWaiting());
    }
    return outcomes;
  }

  private async readWaiting(): Promise<void> {
    while (this.waiting.size > 0) {
      const skus = [...this.waiting];
      this.waiting = new Set();
      // verify() takes a store failure itself; anything else is a bug, which must not stop later reads.
      await this.verifier.verify(this.channel, this.labels, skus).catch((error: unknown) => this.verifier.bug(this.channel, error));
    }
    this.reading = false;
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
