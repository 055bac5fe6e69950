// Pushes absolute, versioned quantities to every channel, politely. The rules (docs/architecture.md):
// - per (channel, SKU) at most one update in flight; newer versions replace older pending ones
//   (latest wins), so a slow or throttled channel gets fewer, fresher updates;
// - a channel is never moved back to an older version;
// - a token bucket per channel; Retry-After honoured; bounded retries with capped exponential backoff
//   and jitter; only retryable failures retried;
// - when the rate limit cannot carry every pending update at once, updates go out in order of
//   oversell risk: a sell-out still shown as available first, then any count shown higher than the
//   truth, then counts that merely drifted low. FIFO inside each class.
// Easy to get wrong: a reply must be matched to the version that was *sent*, not the one now desired.

import { isRetryable, listedQuantity, type ChannelClient, type ChannelId, type ChannelPolicy, type Clock, type Labels, type Metrics, type PushOutcome, type QuantityUpdate, type Random, type Scheduler, type Sku, type TimerHandle } from "@synclag/core";
import { DEFAULT_RETRY_POLICY, backoffDelayMs, type RetryPolicy } from "./backoff.js";
import { TokenBucket, type RateLimit } from "./token-bucket.js";

export interface ChannelConfig {
  readonly client: ChannelClient;
  readonly policy?: ChannelPolicy;
  /** The engine's own budget for this channel's update calls (set to the documented limit). */
  readonly rateLimit: RateLimit;
  /** Update calls in flight at once to this channel. Default 4. */
  readonly maxInFlightCalls?: number;
}

export interface PropagatorOptions {
  readonly channels: readonly ChannelConfig[];
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly random: Random;
  readonly metrics: Metrics;
  readonly retry?: Partial<RetryPolicy>;
  /** Called when a channel accepted a version (for outbox acking and observers). */
  readonly onConfirmed?: (channel: ChannelId, sku: Sku, version: number) => void;
}

export interface PublishOptions {
  /** The order's source channel: it already decremented itself, skipped when that made it exact. */
  readonly source?: ChannelId;
  /** The order's delta for this SKU (negative), used with `source`. */
  readonly delta?: number;
  /** When the source confirmed the order: its own decrement counts only if our last update landed before it. */
  readonly confirmedAtMs?: number;
  /** Push even if the channel was already sent this version (repairs, oversell corrections). */
  readonly force?: boolean;
  /** Restrict to these channels (default: all). */
  readonly channels?: readonly ChannelId[];
}

interface Level {
  quantity: number;
  version: number;
}

/** Reasons that mean "the channel is down", not "this update is bad". */
const CHANNEL_DOWN: ReadonlySet<string> = new Set(["unavailable", "timeout", "transport"]);

const enum Risk {
  SellOutShownAvailable = 0,
  ShownHigh = 1,
  Drift = 2,
}

interface Pair {
  readonly sku: Sku;
  desired: Level | undefined;
  inFlight: Level | undefined;
  confirmed: Level | undefined;
  /** When the reply confirming `confirmed` arrived (the update had landed by then). */
  confirmedAtMs: number;
  /** Version given up on (attempts exhausted or rejected); the reconciler repairs it. */
  abandonedVersion: number;
  attempts: number;
  throttles: number;
  /** Sequence number of the queue entry that is current (older entries are skipped). */
  queuedStamp: number;
  queuedAtMs: number;
  waitingForRetry: boolean;
  force: boolean;
  /** When the channel started failing this pair's updates as a whole (0 = not failing). */
  failingSinceMs: number;
}

interface QueueEntry {
  readonly pair: Pair;
  readonly stamp: number;
}

class Fifo<T> {
  private items: T[] = [];
  private head = 0;
  push(item: T): void {
    this.items.push(item);
  }
  peek(): T | undefined {
    return this.items[this.head];
  }
  shift(): T | undefined {
    const item = this.items[this.head];
    if (item === undefined) return undefined;
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
  get size(): number {
    return this.items.length - this.head;
  }
}

interface ChannelState {
  readonly id: ChannelId;
  readonly config: ChannelConfig;
  readonly labels: Labels;
  readonly bucket: TokenBucket;
  readonly maxInFlightCalls: number;
  readonly pairs: Map<Sku, Pair>;
  readonly queues: [Fifo<QueueEntry>, Fifo<QueueEntry>, Fifo<QueueEntry>];
  pausedUntilMs: number;
  /** Whole calls that failed in a row (outage, 5xx, timeouts): the circuit backs off on these. */
  consecutiveFailures: number;
  inFlightCalls: number;
  wakeTimer: TimerHandle | undefined;
  wakeAtMs: number;
  backlogPeak: number;
}

export interface ChannelBacklog {
  readonly channel: ChannelId;
  /** Pairs whose desired version the channel has not confirmed (excluding abandoned ones). */
  readonly pending: number;
  readonly inFlightCalls: number;
  readonly backlogPeak: number;
}

export class Propagator {
  private readonly channels = new Map<ChannelId, ChannelState>();
  private readonly retry: RetryPolicy;
  private stampSeq = 0;
  private stopped = false;

  constructor(private readonly options: PropagatorOptions) {
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    const now = options.clock.now();
    for (const config of options.channels) {
      const id = config.client.channel;
      this.channels.set(id, {
        id,
        config,
        labels: { channel: id },
        bucket: new TokenBucket(config.rateLimit, now),
        maxInFlightCalls: config.maxInFlightCalls ?? 4,
        pairs: new Map(),
        queues: [new Fifo(), new Fifo(), new Fifo()],
        pausedUntilMs: 0,
        consecutiveFailures: 0,
        inFlightCalls: 0,
        wakeTimer: undefined,
        wakeAtMs: 0,
        backlogPeak: 0,
      });
    }
  }

  get channelIds(): ChannelId[] {
    return [...this.channels.keys()];
  }

  /** Makes every channel (but a source that is already exact) converge to `level` of `sku`. */
  publish(sku: Sku, level: Level, options: PublishOptions = {}): void {
    for (const channel of this.channels.values()) {
      if (options.channels && !options.channels.includes(channel.id)) continue;
      const pair = this.pair(channel, sku);
      const listed = listedQuantity(level.quantity, channel.config.policy);
      const newest = Math.max(pair.desired?.version ?? 0, pair.inFlight?.version ?? 0, pair.confirmed?.version ?? 0);
      if (level.version < newest || (level.version === newest && !options.force)) continue;
      if (
        channel.id === options.source &&
        !options.force &&
        options.delta !== undefined &&
        pair.inFlight === undefined &&
        pair.confirmed !== undefined &&
        pair.confirmed.version === level.version - 1 &&
        options.confirmedAtMs !== undefined &&
        pair.confirmedAtMs <= options.confirmedAtMs &&
        (pair.desired === undefined || pair.desired.version === pair.confirmed.version) &&
        listedQuantity(level.quantity - options.delta, channel.config.policy) + options.delta === listed &&
        pair.confirmed.quantity + options.delta === listed
      ) {
        // The source's own sale moved it to exactly the new truth: nothing to send.
        pair.confirmed = { quantity: listed, version: level.version };
        pair.desired = pair.confirmed;
        this.options.onConfirmed?.(channel.id, sku, level.version);
        continue;
      }
      pair.desired = { quantity: listed, version: level.version };
      pair.force = pair.force || options.force === true;
      pair.attempts = 0;
      pair.throttles = 0;
      if (pair.inFlight === undefined && !pair.waitingForRetry) this.enqueue(channel, pair);
    }
  }

  /**
   * Records what a channel is known to list (from a start-up read, or a harness that seeded it), so
   * the first update is ranked by real risk and a source's own sale can be recognised as exact.
   */
  assumeConfirmed(channel: ChannelId, sku: Sku, level: Level): void {
    const state = this.channels.get(channel);
    if (!state) throw new RangeError(`unknown channel ${JSON.stringify(channel)}`);
    const pair = this.pair(state, sku);
    if (pair.desired === undefined && pair.inFlight === undefined) {
      pair.confirmed = { quantity: level.quantity, version: level.version };
      pair.confirmedAtMs = this.options.clock.now();
      pair.desired = pair.confirmed;
    }
  }

  /** True when every channel has confirmed (or given up on) `version` of `sku`. */
  isSettled(sku: Sku, version: number): boolean {
    for (const channel of this.channels.values()) {
      const pair = channel.pairs.get(sku);
      if (!pair) return false;
      const done = Math.max(pair.confirmed?.version ?? 0, pair.abandonedVersion);
      if (done < version) return false;
    }
    return true;
  }

  /** True when (channel, sku) has nothing pending or in flight (the reconciler only repairs idle pairs). */
  isIdle(channel: ChannelId, sku: Sku): boolean {
    const pair = this.channels.get(channel)?.pairs.get(sku);
    return pair === undefined || this.isPairIdle(pair);
  }

  confirmedVersion(channel: ChannelId, sku: Sku): number | undefined {
    return this.channels.get(channel)?.pairs.get(sku)?.confirmed?.version;
  }

  backlog(): ChannelBacklog[] {
    return [...this.channels.values()].map((channel) => {
      let pending = 0;
      for (const pair of channel.pairs.values()) if (!this.isPairIdle(pair)) pending += 1;
      return { channel: channel.id, pending, inFlightCalls: channel.inFlightCalls, backlogPeak: channel.backlogPeak };
    });
  }

  /** No update pending or in flight on any channel. */
  get idle(): boolean {
    for (const channel of this.channels.values()) {
      if (channel.inFlightCalls > 0) return false;
      for (const pair of channel.pairs.values()) if (!this.isPairIdle(pair)) return false;
    }
    return true;
  }

  stop(): void {
    this.stopped = true;
    for (const channel of this.channels.values()) {
      if (channel.wakeTimer) this.options.scheduler.clearTimer(channel.wakeTimer);
      channel.wakeTimer = undefined;
    }
  }

  private isPairIdle(pair: Pair): boolean {
    return pair.inFlight === undefined && !pair.waitingForRetry && (pair.desired === undefined || pair.desired.version <= Math.max(pair.confirmed?.version ?? 0, pair.abandonedVersion) && !pair.force);
  }

  private pair(channel: ChannelState, sku: Sku): Pair {
    let pair = channel.pairs.get(sku);
    if (!pair) {
      pair = { sku, desired: undefined, inFlight: undefined, confirmed: undefined, confirmedAtMs: 0, abandonedVersion: 0, attempts: 0, throttles: 0, queuedStamp: 0, queuedAtMs: 0, waitingForRetry: false, force: false, failingSinceMs: 0 };
      channel.pairs.set(sku, pair);
    }
    return pair;
  }

  private risk(pair: Pair): Risk {
    const desired = pair.desired as Level;
    const shown = pair.confirmed?.quantity;
    if (desired.quantity === 0 && (shown === undefined || shown > 0)) return Risk.SellOutShownAvailable;
    if (shown === undefined || shown > desired.quantity) return Risk.ShownHigh;
    return Risk.Drift;
  }

  private enqueue(channel: ChannelState, pair: Pair): void {
    if (this.stopped) return;
    const stamp = ++this.stampSeq;
    if (pair.queuedStamp === 0) pair.queuedAtMs = this.options.clock.now();
    pair.queuedStamp = stamp;
    channel.queues[this.risk(pair)].push({ pair, stamp });
    const backlog = channel.queues[0].size + channel.queues[1].size + channel.queues[2].size;
    if (backlog > channel.backlogPeak) channel.backlogPeak = backlog;
    this.pump(channel);
  }

  /** Next pair that is due, skipping stale queue entries. */
  private next(channel: ChannelState, take: boolean): Pair | undefined {
    for (const queue of channel.queues) {
      for (let entry = queue.peek(); entry !== undefined; entry = queue.peek()) {
        if (entry.stamp !== entry.pair.queuedStamp) {
          queue.shift();
          continue;
        }
        if (take) {
          queue.shift();
          entry.pair.queuedStamp = 0;
        }
        return entry.pair;
      }
    }
    return undefined;
  }

  private pump(channel: ChannelState): void {
    const { clock, metrics } = this.options;
    while (!this.stopped && channel.inFlightCalls < channel.maxInFlightCalls) {
      if (this.next(channel, false) === undefined) return;
      const now = clock.now();
      if (now < channel.pausedUntilMs) return this.wake(channel, channel.pausedUntilMs - now);
      const waitMs = channel.bucket.tryTake(now);
      if (waitMs > 0) return this.wake(channel, waitMs);
      const batch: Pair[] = [];
      const updates: QuantityUpdate[] = [];
      while (batch.length < channel.config.client.maxBatchSize) {
        const pair = this.next(channel, true);
        if (!pair) break;
        const desired = pair.desired as Level;
        metrics.observe("queue_wait_ms", now - pair.queuedAtMs, channel.labels);
        pair.inFlight = desired;
        pair.force = false;
        batch.push(pair);
        updates.push({ sku: pair.sku, quantity: desired.quantity, version: desired.version });
      }
      channel.inFlightCalls += 1;
      metrics.increment("push_calls_total", channel.labels);
      const sentAtMs = now;
      let settled: Promise<PushOutcome[]>;
      try {
        settled = channel.config.client.setQuantities(updates);
      } catch (error) {
        settled = Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      settled.then(
        (outcomes) => this.onReply(channel, batch, outcomes, sentAtMs),
        (error: unknown) => {
          const failure: PushOutcome = { ok: false, reason: "transport", message: error instanceof Error ? error.message : String(error) };
          this.onReply(channel, batch, batch.map(() => failure), sentAtMs);
        },
      );
    }
  }

  private wake(channel: ChannelState, delayMs: number): void {
    // Whole milliseconds, at least one: a sub-millisecond wait rounded to 0 would spin at one instant.
    delayMs = Math.max(1, Math.ceil(delayMs));
    const at = this.options.clock.now() + delayMs;
    if (channel.wakeTimer) {
      if (channel.wakeAtMs <= at) return;
      this.options.scheduler.clearTimer(channel.wakeTimer);
    }
    channel.wakeAtMs = at;
    channel.wakeTimer = this.options.scheduler.setTimer(delayMs, () => {
      channel.wakeTimer = undefined;
      this.pump(channel);
    });
  }

  private onReply(channel: ChannelState, batch: readonly Pair[], outcomes: readonly PushOutcome[], sentAtMs: number): void {
    const { clock, metrics, random } = this.options;
    const now = clock.now();
    channel.inFlightCalls -= 1;
    metrics.observe("push_call_latency_ms", now - sentAtMs, channel.labels);
    if (outcomes.length > 0 && outcomes.every((o) => !o.ok && CHANNEL_DOWN.has(o.reason))) return this.onChannelDown(channel, batch, now);
    channel.consecutiveFailures = 0;
    let throttled = false;
    batch.forEach((pair, index) => {
      const outcome: PushOutcome = outcomes[index] ?? { ok: false, reason: "rejected", message: "no outcome for this update in the reply" };
      const sent = pair.inFlight as Level;
      pair.inFlight = undefined;
      if (outcome.ok) {
        metrics.increment("pushes_total", channel.labels);
        pair.confirmed = sent;
        pair.confirmedAtMs = now;
        pair.failingSinceMs = 0;
        pair.attempts = 0;
        pair.throttles = 0;
        this.options.onConfirmed?.(channel.id, pair.sku, sent.version);
        if (pair.desired && (pair.desired.version > sent.version || pair.force)) this.enqueue(channel, pair);
        return;
      }
      if (outcome.reason === "rate_limited") {
        throttled = true;
        metrics.increment("throttled_total", channel.labels);
        channel.pausedUntilMs = Math.max(channel.pausedUntilMs, now + (outcome.retryAfterMs ?? this.retry.defaultRetryAfterMs));
        pair.throttles += 1;
        if (pair.throttles > this.retry.maxThrottles) return this.abandon(channel, pair, sent, outcome.reason);
        this.enqueue(channel, pair);
        return;
      }
      if (!isRetryable(outcome)) return this.abandon(channel, pair, sent, outcome.reason);
      pair.attempts += 1;
      if (pair.attempts >= this.retry.maxAttempts) return this.abandon(channel, pair, sent, outcome.reason);
      metrics.increment("push_retries_total", channel.labels);
      pair.waitingForRetry = true;
      this.options.scheduler.setTimer(backoffDelayMs(pair.attempts, this.retry, random), () => {
        pair.waitingForRetry = false;
        if (pair.inFlight === undefined) this.enqueue(channel, pair);
      });
    });
    if (throttled) channel.bucket.drain(now);
    this.pump(channel);
  }

  /**
   * The whole call failed (outage, 5xx, timeout, connection): a circuit breaker, not per-update
   * retries. The channel pauses with capped exponential backoff and the updates stay queued — so
   * they go out the moment it heals — until an update has been failing for `maxOutageMs`, when it is
   * given up (the reconciler repairs it later).
   */
  private onChannelDown(channel: ChannelState, batch: readonly Pair[], now: number): void {
    const { metrics, random } = this.options;
    channel.consecutiveFailures += 1;
    channel.pausedUntilMs = Math.max(channel.pausedUntilMs, now + backoffDelayMs(channel.consecutiveFailures, this.retry, random));
    metrics.increment("channel_failures_total", channel.labels);
    for (const pair of batch) {
      const sent = pair.inFlight as Level;
      pair.inFlight = undefined;
      if (pair.failingSinceMs === 0) pair.failingSinceMs = now;
      if (now - pair.failingSinceMs > this.retry.maxOutageMs) {
        pair.failingSinceMs = 0;
        this.abandon(channel, pair, sent, "outage");
        continue;
      }
      metrics.increment("push_retries_total", channel.labels);
      this.enqueue(channel, pair);
    }
    this.pump(channel);
  }

  /** Gives up on the version that was sent; a newer desired version still goes out. */
  private abandon(channel: ChannelState, pair: Pair, sent: Level, reason: string): void {
    this.options.metrics.increment("pushes_abandoned_total", { channel: channel.id, reason });
    pair.abandonedVersion = Math.max(pair.abandonedVersion, sent.version);
    pair.attempts = 0;
    pair.throttles = 0;
    if (pair.desired && pair.desired.version > sent.version) this.enqueue(channel, pair);
    else pair.force = false;
  }
}
