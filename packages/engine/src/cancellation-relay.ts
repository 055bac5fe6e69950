// Cancellations owed to marketplaces, delivered from the store's durable list. An oversold order's
// `insufficient` outcome records a pending cancellation in the same atomic step as the outcome; this
// relay calls the source channel's `cancelOrder` until the channel confirms it (or refuses it for good),
// then removes the entry. A channel that fails is retried with capped exponential backoff and jitter —
// per channel, since an outage is the channel's, not the order's — for as long as it takes: no entry is
// given up after an age limit (a cancellation dropped silently is an order that never ships); the
// `cancellations_pending` gauges and the age of the oldest entry are what an operator alerts on.
// Easy to get wrong: (1) an entry is removed only after the channel answered, never when the call was
// merely sent — a crash in between sends the cancellation again, which channels answer as already
// cancelled; (2) one channel down must not hold back the others, so every channel drains on its own.

import type { ChannelClient, ChannelId, Clock, Metrics, PendingCancellation, PushOutcome, Random, Scheduler, StockStore, TimerHandle } from "@synclag/core";
import { backoffDelayMs, DEFAULT_RETRY_POLICY, type RetryPolicy } from "./backoff.js";
import { PeriodicTask } from "./periodic-task.js";

/** The reason sent with every cancellation. */
export const CANCELLATION_REASON = "insufficient stock";

export interface CancellationRelayOptions {
  readonly store: StockStore;
  /** The channels this process can cancel at; entries of other channels stay pending (and counted). */
  readonly clients: ReadonlyMap<ChannelId, ChannelClient>;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly random: Random;
  readonly metrics: Metrics;
  /** Time between sweeps of the store's list (entries another process or a crash left), in ms. Default 30 000. */
  readonly intervalMs?: number;
  /** Wait after a channel's first failed cancellation in ms; doubles per consecutive failure, with jitter. Default 5000. */
  readonly baseDelayMs?: number;
  /** Longest wait between two attempts at a failing channel in ms. Default 300 000 (5 min). */
  readonly maxDelayMs?: number;
  /** Entries per store read. Default 500. */
  readonly readBatchSize?: number;
  /** Most entries one sweep reads (bounds its memory); the rest wait for a later sweep. Default 50 000. */
  readonly maxEntriesPerSweep?: number;
}

interface ChannelState {
  /** Consecutive failed attempts (0: the channel answers). */
  failures: number;
  /** No attempt before this time (backoff or Retry-After), ms. */
  retryAtMs: number;
  /** Wakes the relay when the backoff ends. */
  timer: TimerHandle | undefined;
  draining: boolean;
  /** Entries arrived while draining: sweep again when done. */
  dirty: boolean;
  /** Entries known to be pending (the last sweep's read, less removals since): seq → atMs, oldest first. */
  pending: Map<number, number>;
}

export class CancellationRelay {
  private readonly periodic: PeriodicTask;
  private readonly policy: RetryPolicy;
  private readonly channels = new Map<ChannelId, ChannelState>();
  /** Seqs removed while a read was in flight: the read may still return them. */
  private readonly removedDuringRead = new Set<number>();
  private wakeTimer: TimerHandle | undefined;
  private sweeping = false;
  private again = false;
  private stopped = true;

  constructor(private readonly options: CancellationRelayOptions) {
    this.periodic = new PeriodicTask(options.scheduler, options.intervalMs ?? 30_000, () => this.sweep());
    this.policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: options.baseDelayMs ?? 5_000, maxDelayMs: options.maxDelayMs ?? 300_000 };
    for (const channel of options.clients.keys()) this.state(channel);
  }

  /** Sweeps at once (entries a previous process left), then every interval. */
  start(): void {
    this.stopped = false;
    this.periodic.start();
    this.wake();
  }

  /** Stops timers; a cancellation call in flight finishes, nothing further is sent. Entries stay in the store. */
  stop(): void {
    this.stopped = true;
    this.periodic.stop();
    if (this.wakeTimer) this.options.scheduler.clearTimer(this.wakeTimer);
    this.wakeTimer = undefined;
    for (const state of this.channels.values()) {
      if (state.timer) this.options.scheduler.clearTimer(state.timer);
      state.timer = undefined;
    }
  }

  /** An oversell was recorded for `channel`: cancel soon, unless the channel is backing off (its timer will). */
  notify(channel: ChannelId): void {
    if (this.stopped) return;
    const state = this.channels.get(channel);
    if (state && state.retryAtMs > this.options.clock.now()) return;
    this.wake();
  }

  /** Pending cancellations as of the last sweep, less those removed since. */
  get pending(): number {
    let total = 0;
    for (const state of this.channels.values()) total += state.pending.size;
    return total;
  }

  /** Nothing pending, nothing in flight, no sweep due at once. */
  get idle(): boolean {
    if (this.sweeping || this.wakeTimer !== undefined) return false;
    for (const state of this.channels.values()) if (state.draining || state.pending.size > 0) return false;
    return true;
  }

  /** Reads the pending list and starts a drain for every channel that is due and not draining already. */
  async sweep(): Promise<void> {
    if (this.sweeping) {
      this.again = true;
      return;
    }
    this.sweeping = true;
    try {
      do {
        this.again = false;
        await this.round();
      } while (this.again && !this.stopped);
    } finally {
      this.sweeping = false;
    }
  }

  private wake(): void {
    if (this.stopped) return;
    if (this.sweeping) {
      this.again = true;
      return;
    }
    this.wakeTimer ??= this.options.scheduler.setTimer(0, () => {
      this.wakeTimer = undefined;
      void this.sweep();
    });
  }

  private async round(): Promise<void> {
    const { metrics, clock } = this.options;
    this.removedDuringRead.clear();
    let entries: PendingCancellation[];
    try {
      entries = await this.readAll();
    } catch {
      metrics.increment("cancellation_errors_total", { operation: "read" });
      return;
    }
    if (this.stopped) return;
    const byChannel = new Map<ChannelId, PendingCancellation[]>();
    for (const entry of entries) {
      if (this.removedDuringRead.has(entry.seq)) continue;
      const list = byChannel.get(entry.sourceChannel);
      if (list) list.push(entry);
      else byChannel.set(entry.sourceChannel, [entry]);
    }
    for (const [channel, state] of this.channels) if (!byChannel.has(channel)) state.pending.clear();
    for (const [channel, list] of byChannel) this.state(channel).pending = new Map(list.map((entry) => [entry.seq, entry.atMs]));
    for (const [channel, state] of this.channels) this.report(channel, state);
    const now = clock.now();
    for (const [channel, list] of byChannel) {
      const client = this.options.clients.get(channel);
      if (!client) continue; // not this process's channel: it stays pending, in the gauge, for one that has it
      const state = this.state(channel);
      if (state.draining) state.dirty = true;
      else if (state.retryAtMs <= now) {
        state.draining = true;
        void this.drain(client, state, list);
      }
    }
  }

  private async readAll(): Promise<PendingCancellation[]> {
    const batch = this.options.readBatchSize ?? 500;
    const max = this.options.maxEntriesPerSweep ?? 50_000;
    const entries: PendingCancellation[] = [];
    let afterSeq = 0;
    while (entries.length < max) {
      const limit = Math.min(batch, max - entries.length);
      const page = await this.options.store.readPendingCancellations({ afterSeq, limit });
      entries.push(...page);
      const last = page.at(-1);
      if (page.length < limit || !last) break;
      afterSeq = last.seq;
    }
    return entries;
  }

  /** Cancels the channel's entries in order; stops at the first failure the channel may get over (backoff). */
  private async drain(client: ChannelClient, state: ChannelState, entries: readonly PendingCancellation[]): Promise<void> {
    const { metrics, clock } = this.options;
    const channel = client.channel;
    try {
      for (const entry of entries) {
        if (this.stopped) return;
        metrics.increment("cancellations_requested_total", { channel });
        let outcome: PushOutcome;
        try {
          outcome = await client.cancelOrder(entry.orderId, CANCELLATION_REASON);
        } catch (error) {
          outcome = { ok: false, reason: "transport", message: error instanceof Error ? error.message : String(error) };
        }
        if (!outcome.ok && outcome.reason !== "rejected") {
          this.backOff(channel, state, outcome);
          return;
        }
        state.failures = 0;
        // `rejected` is final: the channel does not know the order or can no longer cancel it — retrying
        // cannot change that, and a person has to look (hence its own counter).
        if (outcome.ok) {
          metrics.increment("cancellations_confirmed_total", { channel });
          metrics.observe("cancellation_delay_ms", Math.max(0, Math.round(clock.now() - entry.atMs)), { channel });
        } else metrics.increment("cancellations_rejected_total", { channel });
        try {
          await this.options.store.removePendingCancellations([entry.seq]);
        } catch {
          // Still pending: the next sweep cancels it again, which the channel answers as already cancelled.
          metrics.increment("cancellation_errors_total", { operation: "remove" });
          continue;
        }
        this.removedDuringRead.add(entry.seq);
        state.pending.delete(entry.seq);
        this.report(channel, state);
      }
    } finally {
      state.draining = false;
      if (state.dirty) {
        state.dirty = false;
        this.wake();
      }
    }
  }

  private backOff(channel: ChannelId, state: ChannelState, outcome: Extract<PushOutcome, { ok: false }>): void {
    const { metrics, scheduler, clock } = this.options;
    state.failures += 1;
    metrics.increment("cancellation_retries_total", { channel, reason: outcome.reason });
    const delayMs = outcome.retryAfterMs !== undefined && outcome.retryAfterMs >= 0 ? outcome.retryAfterMs : backoffDelayMs(state.failures, this.policy, this.options.random);
    state.retryAtMs = clock.now() + delayMs;
    if (state.timer) scheduler.clearTimer(state.timer);
    state.timer = scheduler.setTimer(delayMs, () => {
      state.timer = undefined;
      this.wake();
    });
  }

  private report(channel: ChannelId, state: ChannelState): void {
    const labels = { channel };
    this.options.metrics.gauge("cancellations_pending", state.pending.size, labels);
    const oldestAtMs = state.pending.values().next().value;
    this.options.metrics.gauge("cancellations_pending_oldest_age_ms", oldestAtMs === undefined ? 0 : Math.max(0, Math.round(this.options.clock.now() - oldestAtMs)), labels);
  }

  private state(channel: ChannelId): ChannelState {
    let state = this.channels.get(channel);
    if (!state) {
      state = { failures: 0, retryAtMs: 0, timer: undefined, draining: false, dirty: false, pending: new Map() };
      this.channels.set(channel, state);
    }
    return state;
  }
}
