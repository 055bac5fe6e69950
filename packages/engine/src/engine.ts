// The reference engine, composed from its parts against ports only. The simulator and the real
// service construct exactly this object; only the adapters differ. Easy to get wrong: start order —
// replay the outbox before consuming new orders, so a restarted engine first finishes what the
// previous process left undone. The cancellation relay runs under both strategies: an oversell is
// cancelled at once whether pushes are event-driven or polled. Once a marketplace confirms a
// cancellation, the engine (1) gives back the lines of that marketplace order it had applied, when the
// order id names one line of it (eBay: the cancellation acts on the whole order), and (2) pushes the
// order's SKUs to the source channel again, forced — a marketplace may put a cancelled order's units
// back on sale (WooCommerce does), which leaves the listing above the truth at a version the engine
// already sent. Both before the pending entry is removed, so a crash in between does them again (the
// give-back is once per line in the store; a second push is harmless).

import { BundleStockStore, orderGroupOf, type BundleDefinition, type ChannelClient, type ChannelId, type Clock, type FeedSubscription, type Metrics, type OrderFeed, type PendingCancellation, type Random, type ReleasedOrder, type Scheduler, type Sku, type StockChangeResult, type StockStore } from "@synclag/core";
import type { RetryPolicy } from "./backoff.js";
import { CancellationRelay, type CancellationRelayOptions } from "./cancellation-relay.js";
import { OrderProcessor, type OrderProcessorOptions } from "./order-processor.js";
import { OutboxRelay } from "./outbox-relay.js";
import { PollingSyncer } from "./polling-syncer.js";
import { Propagator, type ChannelConfig, type PropagatorOptions } from "./propagator.js";
import { Reconciler } from "./reconciler.js";

export type Strategy = { readonly kind: "events" } | { readonly kind: "polling"; readonly intervalMs: number };

export interface EngineOptions {
  readonly store: StockStore;
  readonly feed: OrderFeed;
  readonly channels: readonly ChannelConfig[];
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  /** Randomness for jitter; the simulator passes a named Prng stream. */
  readonly random: Random;
  readonly metrics: Metrics;
  readonly strategy: Strategy;
  readonly retry?: Partial<RetryPolicy>;
  /** Reconciler period in ms; 0 disables it. Default 15 min. */
  readonly reconcileIntervalMs?: number;
  /**
   * Events: delay of the reconciler's first round after start, in ms (then every interval). Default: one
   * interval (the simulator's behaviour). The service starts it sooner: after a (rolling) restart that
   * added a channel, that round is what pushes the truth to it. Polling: rounds ride on polls (the first
   * poll pushes every SKU anyway).
   */
  readonly reconcileFirstRoundAfterMs?: number;
  /** Outbox acknowledgement sweep period in ms. Default 5000. */
  readonly outboxAckIntervalMs?: number;
  /** Pending-cancellation sweeps and backoff (see CancellationRelay). Defaults: every 30 s; backoff 5 s doubling to 5 min. `onRefused`: where cancellations refused for good are reported. */
  readonly cancellations?: Pick<CancellationRelayOptions, "intervalMs" | "baseDelayMs" | "maxDelayMs" | "onRefused" | "onHeld" | "onFailing" | "failingAfter">;
  /**
   * Called with the lines of a marketplace order the engine gave back because that whole order was
   * cancelled (each line once; see `StockStore.settleOrderGroup`): for logs.
   */
  readonly onReleased?: (released: readonly ReleasedOrder[]) => void;
  readonly onResult?: OrderProcessorOptions["onResult"];
  /**
   * Bundles sold out of component SKUs (no stock of their own): orders for them take their
   * components atomically, and every component change also pushes each bundle built on it, at
   * min over its components (see `BundleStockStore`).
   */
  readonly bundles?: readonly BundleDefinition[];
  /** The propagator's revision-budget observers (the service records them in Redis; see `PropagatorOptions`). */
  readonly onRevisionSpent?: PropagatorOptions["onRevisionSpent"];
  readonly onRevisionRefunded?: PropagatorOptions["onRevisionRefunded"];
}

export class Engine {
  readonly propagator: Propagator;
  readonly processor: OrderProcessor;
  readonly reconciler: Reconciler | undefined;
  readonly poller: PollingSyncer | undefined;
  readonly outbox: OutboxRelay;
  readonly cancellations: CancellationRelay;
  private subscription: FeedSubscription | undefined;
  /** The store every part uses: the given one, or it wrapped to sell `bundles`. */
  readonly store: StockStore;
  private readonly bundleStore: BundleStockStore | undefined;

  constructor(private readonly options: EngineOptions) {
    const { clock, scheduler, random, metrics } = options;
    this.bundleStore = options.bundles !== undefined && options.bundles.length > 0 ? new BundleStockStore(options.store, options.bundles) : undefined;
    const store = this.bundleStore ?? options.store;
    this.store = store;
    const ids = new Set<ChannelId>();
    for (const channel of options.channels) {
      if (ids.has(channel.client.channel)) throw new RangeError(`channel ${JSON.stringify(channel.client.channel)} is configured twice`);
      ids.add(channel.client.channel);
    }
    this.propagator = new Propagator({
      channels: options.channels,
      clock,
      scheduler,
      random,
      metrics,
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.onRevisionSpent ? { onRevisionSpent: options.onRevisionSpent } : {}),
      ...(options.onRevisionRefunded ? { onRevisionRefunded: options.onRevisionRefunded } : {}),
    });
    const clients = new Map<ChannelId, ChannelClient>(options.channels.map((channel) => [channel.client.channel, channel.client]));
    this.cancellations = new CancellationRelay({ store, clients, clock, scheduler, random, metrics, ...options.cancellations, onConfirmed: (entry) => this.afterCancellation(entry) });
    this.processor = new OrderProcessor({
      store,
      propagator: this.propagator,
      cancellations: this.cancellations,
      clock,
      scheduler,
      random,
      metrics,
      mode: options.strategy.kind,
      ...(options.onResult ? { onResult: options.onResult } : {}),
      onReleased: (released) => this.released(released),
    });
    const reconcileIntervalMs = options.reconcileIntervalMs ?? 900_000;
    const reconciler = reconcileIntervalMs > 0 ? new Reconciler({ store, propagator: this.propagator, channels: options.channels, scheduler, clock, metrics, intervalMs: reconcileIntervalMs, ...(options.reconcileFirstRoundAfterMs === undefined ? {} : { firstRoundAfterMs: options.reconcileFirstRoundAfterMs }) }) : undefined;
    this.reconciler = reconciler;
    // Polling pushes only on its tick (DESIGN: the baseline "only delays the push"): the reconciler's
    // repairs ride on the poll too, at most once per reconcile interval, instead of on a timer of their own.
    this.poller =
      options.strategy.kind === "polling"
        ? new PollingSyncer({ store, propagator: this.propagator, scheduler, clock, metrics, intervalMs: options.strategy.intervalMs, ...(reconciler ? { afterPoll: (tickAtMs) => reconciler.roundIfDue(tickAtMs) } : {}) })
        : undefined;
    this.outbox = new OutboxRelay({ store, propagator: this.propagator, scheduler, metrics, ...(options.outboxAckIntervalMs === undefined ? {} : { ackIntervalMs: options.outboxAckIntervalMs }) });
  }

  async start(): Promise<void> {
    if (this.options.strategy.kind === "events") {
      await this.outbox.replay();
      // The outbox holds component changes, and an entry is acknowledged once its components are
      // settled, whatever its bundles' pushes: a crash can leave a bundle unpushed with an empty outbox.
      // So every bundle is pushed from the truth at every start (found by re-review).
      if (this.bundleStore) await this.publishBundles(this.bundleStore.bundleSkus);
    }
    this.outbox.start();
    this.cancellations.start();
    this.subscription = this.options.feed.consume(this.processor.handle);
    if (this.poller) this.poller.start();
    else this.reconciler?.start();
  }

  /**
   * A stock change that is not an order (a restock from the warehouse, a stock count): applied
   * atomically and, with the events strategy, pushed to every channel at once.
   */
  async adjustStock(input: { readonly sku: string; readonly quantity: number; readonly kind: "restock" | "set"; readonly reason?: string }): Promise<StockChangeResult> {
    const mutation = { sku: input.sku, quantity: input.quantity, ...(input.reason === undefined ? {} : { reason: input.reason }) };
    const result = input.kind === "restock" ? await this.store.restock(mutation) : await this.store.setQuantity(mutation);
    if (result.kind === "changed" && this.options.strategy.kind === "events") {
      this.propagator.publish(result.change.sku, result.change);
      if (this.bundleStore) await this.publishBundles([result.change.sku]);
    }
    return result;
  }

  /**
   * A marketplace confirmed the cancellation of `entry`'s order (the relay calls this before it removes
   * the entry; a throw keeps the entry, cancelled again later). Gives back the applied lines of the
   * whole marketplace order, then pushes the order's SKUs (and those given back) to the source channel,
   * forced: the cancellation may have put units back on sale there (WooCommerce restocks a cancelled
   * order). Events: at once; polling: at the next poll, like every push.
   */
  private async afterCancellation(entry: PendingCancellation): Promise<void> {
    const store = this.store;
    const group = orderGroupOf(entry.orderId, entry.sourceChannel);
    let released: readonly ReleasedOrder[] = [];
    if (group !== undefined && store.settleOrderGroup) {
      released = (await store.settleOrderGroup({ group, cancel: true })).released;
      if (released.length > 0) await this.released(released);
    }
    const skus = new Set<Sku>(entry.skus ?? []);
    for (const line of released) for (const change of line.changes) skus.add(change.sku);
    if (skus.size === 0) return; // an entry recorded before the SKUs were: the reconciler repairs the listing
    if (this.poller) {
      // With bundles, the family of each SKU (the bundles built on a component) is pushed too, as events do.
      this.poller.forceOnNextPoll(entry.sourceChannel, this.bundleStore ? (await store.snapshot([...skus])).keys() : skus);
      return;
    }
    for (const [sku, level] of await store.snapshot([...skus])) this.propagator.publish(sku, level, { force: true, channels: [entry.sourceChannel] });
  }

  /** Lines given back (`settleOrderGroup`): events push them — and the bundles built on them — to every channel; polling at its next poll. */
  private async released(released: readonly ReleasedOrder[]): Promise<void> {
    this.options.onReleased?.(released);
    if (this.options.strategy.kind !== "events") return;
    const skus: Sku[] = [];
    for (const line of released) {
      for (const change of line.changes) {
        this.propagator.publish(change.sku, change);
        skus.push(change.sku);
      }
    }
    if (this.bundleStore) await this.publishBundles(skus);
  }

  /** Pushes the bundles in the families of `skus` at their current level. */
  private async publishBundles(skus: readonly string[]): Promise<void> {
    const bundles = this.bundleStore;
    if (!bundles) return;
    for (const [sku, level] of await bundles.snapshot(skus)) if (bundles.isBundle(sku)) this.propagator.publish(sku, level);
  }

  /** Stops taking orders, lets in-flight handlers settle, stops timers. Pending pushes are dropped (the outbox keeps them), so are pending cancellations (the store keeps them). */
  async stop(): Promise<void> {
    this.poller?.stop();
    this.reconciler?.stop();
    this.processor.stop();
    await this.subscription?.stop();
    this.outbox.stop();
    this.cancellations.stop();
    this.propagator.stop();
  }
}
