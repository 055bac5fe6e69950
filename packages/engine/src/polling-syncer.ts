// The polling baseline, modelled fairly: every interval read the whole truth and push every SKU whose
// version moved to every channel — through the same propagator, so polling gets the same rate limits,
// batching and retries as events. Easy to get wrong: a poll that is still running when the next tick
// fires must not overlap it (a slow store would otherwise pile up snapshots). A channel that changed a
// listing itself (a cancellation that put the order's units back on sale) is at the same version as
// before: `forceOnNextPoll` makes the next poll push those SKUs to it anyway, as a polling tool that
// pushes every quantity on every tick would.

import type { ChannelId, Clock, Metrics, Scheduler, Sku, StockStore, TimerHandle } from "@synclag/core";
import type { Propagator } from "./propagator.js";

export interface PollingSyncerOptions {
  readonly store: StockStore;
  readonly propagator: Propagator;
  readonly scheduler: Scheduler;
  readonly clock: Clock;
  readonly metrics: Metrics;
  /** Time between polls in ms (Sellbrite 15 min; many ERP connectors 60 min). */
  readonly intervalMs: number;
  /** Delay of the first poll after start, in ms. Default: one interval. */
  readonly firstPollAfterMs?: number;
  /**
   * Runs after each poll's pushes were handed over (the reconciler's round, when one is due), with the
   * time the poll's tick fired — not the time its snapshot came back, which a slow store makes later.
   */
  readonly afterPoll?: (tickAtMs: number) => Promise<unknown>;
}

export class PollingSyncer {
  private timer: TimerHandle | undefined;
  private running = false;
  private stopped = false;
  /** Polls completed (snapshot read and every SKU handed to the propagator). */
  polls = 0;
  /** Polls begun (a poll numbered n reads its snapshot after this count reached n). */
  pollsStarted = 0;
  /** Number (in `pollsStarted`) of the latest poll that handed every SKU to the propagator; 0 = none yet. */
  lastPublishedPoll = 0;

  /** SKUs to push to a channel at the next poll whatever their version (see `forceOnNextPoll`). */
  private forced = new Map<ChannelId, Set<Sku>>();

  constructor(private readonly options: PollingSyncerOptions) {
    if (!(options.intervalMs > 0)) throw new RangeError(`polling interval must be > 0 ms, got ${options.intervalMs}`);
  }

  start(): void {
    this.schedule(this.options.firstPollAfterMs ?? this.options.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.options.scheduler.clearTimer(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = this.options.scheduler.setTimer(delayMs, () => {
      this.schedule(this.options.intervalMs);
      void this.poll();
    });
  }

  /** Pushes `skus` to `channel` at the next poll even when their version did not move (the channel changed them itself). */
  forceOnNextPoll(channel: ChannelId, skus: Iterable<Sku>): void {
    const set = this.forced.get(channel) ?? new Set<Sku>();
    for (const sku of skus) set.add(sku);
    if (set.size > 0) this.forced.set(channel, set);
  }

  /** One sync window: snapshot the truth, publish every SKU (the propagator skips unchanged versions). */
  async poll(): Promise<void> {
    if (this.running) {
      this.options.metrics.increment("polls_skipped_total");
      return;
    }
    this.running = true;
    const tickAtMs = this.options.clock.now();
    const number = ++this.pollsStarted;
    const forced = this.forced;
    this.forced = new Map();
    try {
      const snapshot = await this.options.store.snapshot();
      if (this.stopped) return; // stopped while the snapshot was read: nothing more (no push, no reconcile round)
      this.polls += 1;
      this.options.metrics.increment("polls_total");
      for (const [sku, level] of snapshot) this.options.propagator.publish(sku, level);
      for (const [channel, skus] of forced) {
        for (const sku of skus) {
          const level = snapshot.get(sku);
          if (level) this.options.propagator.publish(sku, level, { force: true, channels: [channel] });
        }
      }
      forced.clear();
      this.lastPublishedPoll = number;
      // Not awaited: a long reconcile round must not make the next ticks count as skipped polls, and
      // its failures are the reconciler's (it has its own guard against overlapping rounds).
      void this.options.afterPoll?.(tickAtMs).catch(() => this.options.metrics.increment("reconcile_errors_total", { channel: "(store)" }));
    } catch {
      this.options.metrics.increment("poll_errors_total");
    } finally {
      this.running = false;
      // A poll that did not get to push them (the snapshot failed): the next one does.
      for (const [channel, skus] of forced) this.forceOnNextPoll(channel, skus);
    }
  }
}
