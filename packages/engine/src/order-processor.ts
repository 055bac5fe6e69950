// The order handler both strategies share: validate → apply atomically → (events) push the new
// absolute quantity to every other channel. An order stock cannot fill is an oversell, handled at
// once: counted, its cancellation handed to the CancellationRelay, and (events) the truth pushed
// everywhere, source included; polling pushes it on its next tick like everything else.
// Easy to get wrong: a redelivered order (`duplicate`) must propagate again — the first delivery may
// have crashed between apply and push — but must not count twice. The cancellation is not the
// handler's to retry: the store recorded it as pending in the same atomic step as the `insufficient`
// outcome, so the delivery is acked at once and a source channel down for hours costs no delivery
// attempts (retrying it through the feed dead-lettered the order, and lost the cancellation, once
// max-deliver ran out). An applied order that is one line of a marketplace order (eBay notifies each
// line item: `ebay:<order>:<line>`) is recorded as a line of that order's group in the store, after the
// apply and before the ack — so a redelivery after a crash records it too — so that a cancellation of
// the whole order (another line oversold) gives its units back; if the order was cancelled already,
// that happens at once and the given-back levels are pushed.

import { formatProblems, orderGroupOf, type ApplyResult, type ChannelId, type Clock, type DeliveryInfo, type Disposition, type Metrics, type OrderEvent, type Random, type ReleasedOrder, type Scheduler, type StockStore } from "@synclag/core";
import { backoffDelayMs, DEFAULT_RETRY_POLICY } from "./backoff.js";
import type { Propagator } from "./propagator.js";

export type StrategyMode = "events" | "polling";

/** In-handler retries of a failing store call: 100 ms doubling to 2 s (with jitter). */
const STORE_RETRY = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 2_000 };

export interface OrderProcessorOptions {
  readonly store: StockStore;
  readonly propagator: Propagator;
  /**
   * Told about every oversell, so the cancellation goes out at once (the store already holds it as
   * pending). The Engine passes its CancellationRelay; without one, pending cancellations wait for
   * whichever relay sweeps the store next.
   */
  readonly cancellations?: { notify(channel: ChannelId): void };
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly random: Random;
  readonly metrics: Metrics;
  /** events: push on every applied order; polling: only apply (the polling syncer pushes). */
  readonly mode: StrategyMode;
  /** Delay before the feed redelivers an order whose store calls kept failing, in ms. Default 1000. */
  readonly storeRetryDelayMs?: number;
  /**
   * How long a handler keeps retrying a failing store call itself (backoff from 100 ms to 2 s, telling
   * the feed it is still working) before handing the order back to the feed, in ms. Default: until
   * the processor stops. A store outage of any length then costs no delivery attempts — a budget would
   * spend one per budget, and an outage of a few minutes would dead-letter valid orders once the
   * feed's max-deliver ran out (found by a review: a 12-minute Redis outage lost two orders that way).
   */
  readonly storeRetryBudgetMs?: number;
  /** Observer hook (the simulator's ground truth and logs). */
  readonly onResult?: (event: OrderEvent, result: ApplyResult) => void;
  /** Lines of a cancelled marketplace order given back when they were recorded: to push (the Engine pushes them, events strategy). */
  readonly onReleased?: (released: readonly ReleasedOrder[]) => void | Promise<void>;
}

type StoreCall<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly disposition: Disposition };

export class OrderProcessor {
  private stopping = false;
  /** Handlers asleep between store retries, woken by stop(). */
  private readonly sleepers = new Set<() => void>();

  /** `{ source }` labels per source channel, built once and frozen (the metrics port may then find a series by the object). */
  private readonly sourceLabelsByChannel = new Map<string, Readonly<{ source: string }>>();

  constructor(private readonly options: OrderProcessorOptions) {}

  private sourceLabels(channel: string): Readonly<{ source: string }> {
    let labels = this.sourceLabelsByChannel.get(channel);
    if (labels === undefined) {
      labels = Object.freeze({ source: channel });
      // Bounded whatever a feed carries (channels are a configured few; the metrics keep their own series).
      if (this.sourceLabelsByChannel.size < 1024) this.sourceLabelsByChannel.set(channel, labels);
    }
    return labels;
  }

  /**
   * Handlers retrying a failing store hand their orders back to the feed now (redelivered later, to
   * this process or another): call before stopping the feed, so stopping does not wait on an outage.
   */
  stop(): void {
    this.stopping = true;
    for (const wake of [...this.sleepers]) wake();
  }

  /** The `OrderHandler` to give an `OrderFeed`. */
  readonly handle = async (event: OrderEvent, delivery: DeliveryInfo): Promise<Disposition> => {
    const { store, metrics, clock } = this.options;
    const startedAt = clock.now();
    const applied = await this.storeCall(() => store.applyOrder(event), delivery, startedAt);
    if (!applied.ok) return applied.disposition;
    const result = applied.value;
    this.options.onResult?.(event, result);
    const source = this.sourceLabels(event.sourceChannel);
    switch (result.kind) {
      case "applied":
        metrics.increment("orders_applied_total", source);
        if (this.options.mode === "events") {
          for (const change of result.changes) {
            // A bundle's version moves by the number of its components the order changed (`previousVersion`).
            this.options.propagator.publish(change.sku, change, { source: event.sourceChannel, delta: change.delta, confirmedAtMs: event.confirmedAtMs, ...(change.previousVersion === undefined ? {} : { previousVersion: change.previousVersion }) });
          }
        }
        return this.recordLine(event, delivery, startedAt);
      case "insufficient":
        metrics.increment("orders_insufficient_total", source);
        await this.handleOversell(event);
        return { kind: "ack" };
      case "duplicate":
        metrics.increment("orders_duplicate_total", source);
        // An oversell redelivered: its pending cancellation was recorded with the first outcome (and
        // removed once done), so nothing is counted or recorded again; the truth is pushed again.
        if (result.original.kind === "insufficient") {
          await this.handleOversell(event);
          return { kind: "ack" };
        }
        if (this.options.mode === "events") await this.republish(event, false);
        // The first delivery may have crashed before recording the line.
        return this.recordLine(event, delivery, startedAt);
      case "conflict":
        metrics.increment("orders_conflict_total", source);
        return { kind: "dead-letter", reason: `conflict: ${result.message}` };
      case "invalid":
        metrics.increment("orders_invalid_total", source);
        return { kind: "dead-letter", reason: `invalid: ${formatProblems(result.problems)}` };
    }
  };

  /**
   * Calls the store, retrying a failure here (backoff from 100 ms to 2 s, telling the feed the handler
   * is still working) until it answers — or hands the order back to the feed (see `storeRetryBudgetMs`).
   */
  private async storeCall<T>(call: () => Promise<T>, delivery: DeliveryInfo, startedAt: number): Promise<StoreCall<T>> {
    const { metrics, clock } = this.options;
    for (let attempt = 1; ; attempt++) {
      try {
        return { ok: true, value: await call() };
      } catch (error) {
        // The store is unreachable or the outcome is unknown: safe to retry (idempotent by order id).
        metrics.increment("store_errors_total");
        const delayMs = backoffDelayMs(attempt, STORE_RETRY, this.options.random);
        const handBack = (): StoreCall<T> => ({ ok: false, disposition: { kind: "retry", delayMs: this.options.storeRetryDelayMs ?? 1000, reason: error instanceof Error ? error.message : String(error) } });
        if (this.stopping || clock.now() - startedAt + delayMs > (this.options.storeRetryBudgetMs ?? Number.POSITIVE_INFINITY)) return handBack();
        // Stored data retrying cannot fix (a key of the wrong type, corrupt state): retried here it would
        // pin this handler slot for good, and a few such orders would stall every other one. Handed back
        // instead: the feed redelivers it after a delay and, once max-deliver runs out, dead-letters it
        // with this reason — to be replayed after the repair. Anything else (Redis refusing writes for a
        // while: MISCONF, an ACL or password change) is retried here, as an outage: it costs no delivery.
        const reason = (error as { reason?: unknown } | null)?.reason;
        if (reason === "wrong_type" || reason === "corrupt_state") return handBack();
        delivery.working();
        await this.sleep(delayMs);
        if (this.stopping) return handBack();
      }
    }
  }

  /**
   * An applied order that is a line of a marketplace order (`orderGroupOf`): recorded as a line of its
   * group, so that a cancellation of the whole order gives it back; given back at once (and pushed) if
   * the order was cancelled already. Handed back to the feed when the store cannot be reached (the
   * redelivery is a duplicate and records it then).
   */
  private async recordLine(event: OrderEvent, delivery: DeliveryInfo, startedAt: number): Promise<Disposition> {
    const store = this.options.store;
    const group = orderGroupOf(event.orderId, event.sourceChannel);
    if (group === undefined || store.settleOrderGroup === undefined) return { kind: "ack" };
    const settle = store.settleOrderGroup.bind(store);
    const settled = await this.storeCall(() => settle({ group, line: event.orderId }), delivery, startedAt);
    if (!settled.ok) return settled.disposition;
    // Pushed by `onReleased` (the Engine: every channel, and the bundles built on them).
    if (settled.value.released.length > 0) await this.options.onReleased?.(settled.value.released);
    return { kind: "ack" };
  }

  /** Hands the cancellation to the relay and (events) pushes the truth to every channel, the source included. */
  private async handleOversell(event: OrderEvent): Promise<void> {
    this.options.cancellations?.notify(event.sourceChannel);
    // Events push the truth everywhere at once, the source included (it evidently shows stale stock).
    // Polling leaves that to its next tick, like every other push (it is the baseline's whole point).
    if (this.options.mode === "events") await this.republish(event, true);
  }

  /**
   * Pushes the order's SKUs again. `force` (an oversell): to every channel, whatever it was sent.
   * Otherwise (an applied order delivered again): to the channels whose push of the current level was
   * given up, or that never had it — not to those that confirmed it or still have it pending.
   */
  private async republish(event: OrderEvent, force: boolean): Promise<void> {
    const levels = await this.options.store.snapshot(event.lines.map((line) => line.sku));
    for (const [sku, level] of levels) this.options.propagator.publish(sku, level, force ? { force } : { redelivered: true });
  }

  /** Sleeps `ms` on the scheduler; stop() ends the sleep early. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.sleepers.delete(wake);
        this.options.scheduler.clearTimer(timer);
        resolve();
      };
      const timer = this.options.scheduler.setTimer(ms, wake);
      this.sleepers.add(wake);
    });
  }
}
