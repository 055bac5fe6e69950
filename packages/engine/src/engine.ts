// The reference engine, composed from its parts against ports only. The simulator and the real
// service construct exactly this object; only the adapters differ. Easy to get wrong: start order —
// replay the outbox before consuming new orders, so a restarted engine first finishes what the
// previous process left undone. The cancellation relay runs under both strategies: an oversell is
// cancelled at once whether pushes are event-driven or polled.

import { BundleStockStore, type BundleDefinition, type ChannelClient, type ChannelId, type Clock, type FeedSubscription, type Metrics, type OrderFeed, type Random, type Scheduler, type StockChangeResult, type StockStore } from "@synclag/core";
import type { RetryPolicy } from "./backoff.js";
import { CancellationRelay, type CancellationRelayOptions } from "./cancellation-relay.js";
import { OrderProcessor, type OrderProcessorOptions } from "./order-processor.js";
import { OutboxRelay } from "./outbox-relay.js";
import { PollingSyncer } from "./polling-syncer.js";
import { Propagator, type ChannelConfig } from "./propagator.js";
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
  /** Outbox acknowledgement sweep period in ms. Default 5000. */
  readonly outboxAckIntervalMs?: number;
  /** Pending-cancellation sweeps and backoff (see CancellationRelay). Defaults: every 30 s; backoff 5 s doubling to 5 min. `onRefused`: where cancellations refused for good are reported. */
  readonly cancellations?: Pick<CancellationRelayOptions, "intervalMs" | "baseDelayMs" | "maxDelayMs" | "onRefused" | "onHeld">;
  readonly onResult?: OrderProcessorOptions["onResult"];
  /**
   * Bundles sold out of component SKUs (no stock of their own): orders for them take their
   * components atomically, and every component change also pushes each bundle built on it, at
   * min over its components (see `BundleStockStore`).
   */
  readonly bundles?: readonly BundleDefinition[];
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
    this.propagator = new Propagator({ channels: options.channels, clock, scheduler, random, metrics, ...(options.retry ? { retry: options.retry } : {}) });
    const clients = new Map<ChannelId, ChannelClient>(options.channels.map((channel) => [channel.client.channel, channel.client]));
    this.cancellations = new CancellationRelay({ store, clients, clock, scheduler, random, metrics, ...options.cancellations });
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
    });
    const reconcileIntervalMs = options.reconcileIntervalMs ?? 900_000;
    const reconciler = reconcileIntervalMs > 0 ? new Reconciler({ store, propagator: this.propagator, channels: options.channels, scheduler, clock, metrics, intervalMs: reconcileIntervalMs }) : undefined;
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
