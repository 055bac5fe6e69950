// Pushes absolute, versioned quantities to every channel, politely. The rules (docs/architecture.md):
// - per (channel, SKU) at most one update in flight; newer versions replace older pending ones
//   (latest wins), so a slow or throttled channel gets fewer, fresher updates;
// - a channel is never sent an older version after a newer one was sent or confirmed (a request given
//   up on may still land late: see "A late landing" below);
// - a token bucket per channel; Retry-After honoured; bounded retries with capped exponential backoff
//   and jitter; only retryable failures retried;
// - when the rate limit cannot carry every pending update at once, updates go out in order of
//   oversell risk: a sell-out still shown as available first, then any count shown higher than the
//   truth, then counts that merely drifted low. FIFO inside each class. What a channel "shows" is the
//   higher of what it confirmed and what an update with an unknown outcome (a timeout, a broken
//   connection) may have set — a timed-out restock may have landed, and a sell-out after it is one.
// Easy to get wrong: a reply must be matched to the version that was *sent*, not the one now desired.
//
// Whole calls that fail (503, timeout, connection) are the channel's as far as anyone can tell: a
// circuit breaker pauses the channel and the updates stay queued until it heals (up to `maxOutageMs`).
// But a one-item call that keeps failing while the channel serves other calls sent after it failed is
// that update's own failure: it gets per-update backoff and `maxAttempts`, and the channel is not
// paused for it. Being throttled (429) is not a failure of the update: a throttled update stays
// pending through a storm, bounded by time (`maxOutageMs`), not by a count of 429s.
//
// Blocked time: whenever a channel has work but cannot send it, the propagator notes why (its own
// token bucket, a pause, batch linger, the revision budget, every call slot busy) and adds the span to
// `blocked_ms_total{channel, reason}` when the reason changes or the channel can send again. This is
// what tells "lag from the rate limit" apart from lag behind an outage (docs/simulation.md, `bound`).
// It costs a comparison per pump: nothing is kept per (order, channel).
//
// A late landing: a request whose outcome is unknown (a timeout, a broken connection) may still reach
// the channel after the client gave up on it — after a newer version was sent and confirmed. The
// marketplace has no version check: it moves the listing back to the older level, and the engine
// cannot prevent the network from delivering an abandoned request. What it controls is what it sends
// next: it keeps the doubt for a landing window (`lateLandingWindowMs`) after the failure, and when a
// newer version went out in that window, it pushes the latest version once more at the window's end
// (`late_landing_repushes_total`), so a late landing is overwritten without waiting for the reconciler.
//
// Versions restart when the store does (Redis lost its data, the stock was restored: every SKU is at
// version 1 again): `restartVersions` forgets every version known, or "never back to an older version"
// would keep every channel on its pre-loss level. A call in flight then replies with a pre-loss version: it is told by
// the generation it was sent under, and its items are neither confirmed nor retried. Easy to get wrong: a
// pre-loss request may still land late (one timed out before the restart, or a call in flight at it that
// times out after): its doubt is kept across the restart as version 0, a pre-restart version that every
// level published since beats, so its landing window still ends in a re-push of the restored level.

import { TimedHeap, isRetryable, listedQuantity, type ChannelClient, type ChannelId, type ChannelPolicy, type Clock, type Labels, type Metrics, type PushOutcome, type QuantityUpdate, type Random, type Scheduler, type Sku, type TimerHandle } from "@synclag/core";
import { DEFAULT_RETRY_POLICY, backoffDelayMs, type RetryPolicy } from "./backoff.js";
import { TokenBucket, type RateLimit } from "./token-bucket.js";

export interface ChannelConfig {
  readonly client: ChannelClient;
  readonly policy?: ChannelPolicy;
  /** The engine's own budget for this channel's update calls (set to the documented limit). */
  readonly rateLimit: RateLimit;
  /** Update calls in flight at once to this channel. Default 4. */
  readonly maxInFlightCalls?: number;
  /**
   * Batch APIs only: how long an update may wait for others to fill its call (ms). Default 0 (send at
   * once). A sell-out still shown as available never waits. Coalescing in the wait also saves revisions.
   */
  readonly batchLingerMs?: number;
  /**
   * Revisions the channel allows per listing per (UTC) day (eBay: 250). The propagator paces each SKU
   * through the day (a burst of a tenth of the cap, then evenly) and keeps a reserve that only a
   * sell-out may use, so a hot SKU cannot spend the day's budget by noon and then stay wrong until midnight.
   */
  readonly revisionsPerSkuPerDay?: number;
  /**
   * A count shown lower than the truth goes after the oversell risks, but once it has waited this long
   * it competes with them by age (so it cannot starve behind a limit that is always busy). Default 5 min.
   */
  readonly driftAgeingMs?: number;
  /**
   * How long after an update's outcome turned out unknown (a timeout, a broken connection) its request
   * may still land on the channel (ms). When a newer version of the SKU was sent or confirmed within
   * that window, the latest version is pushed once more at its end: a late landing of the abandoned
   * request would have moved the listing back. Default 30 s: the propagator cannot know the client's
   * timeout (`ChannelClient` does not say), and a request a server received is served within its
   * request deadline — tens of seconds at gateways — or not at all; a longer window leaves a late
   * landing shown longer before the re-push, and anything later is the reconciler's. 0: no re-push.
   */
  readonly lateLandingWindowMs?: number;
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
  /**
   * Called when a revision of the listing's daily budget (`revisionsPerSkuPerDay`) is charged for an
   * update about to be sent, with the UTC day it counts for (`Math.floor(now / 86_400_000)`); and
   * `onRevisionRefunded` when one is given back (the channel did not apply the update). The counters live
   * in memory: a service records them (Redis) so a restarted process takes them back (`assumeRevisions`).
   * Called on the push path: must not throw, nor wait for anything.
   */
  readonly onRevisionSpent?: (channel: ChannelId, sku: Sku, day: number) => void;
  readonly onRevisionRefunded?: (channel: ChannelId, sku: Sku, day: number) => void;
}

export interface PublishOptions {
  /** The order's source channel: it already decremented itself, skipped when that made it exact. */
  readonly source?: ChannelId;
  /** The order's delta for this SKU (negative), used with `source`. */
  readonly delta?: number;
  /**
   * The SKU's version before the order, used with `source` (default `version - 1`): a bundle's version is
   * the sum of its components', so an order that changed two of them moved it by 2 (`SkuChange.previousVersion`).
   */
  readonly previousVersion?: number;
  /** When the source confirmed the order: its own decrement counts only if our last update landed before it. */
  readonly confirmedAtMs?: number;
  /** Push even if the channel was already sent this version (repairs, oversell corrections). */
  readonly force?: boolean;
  /**
   * The level of an order delivered again (already applied): pushed again to every channel that has
   * not confirmed it and has nothing of it pending — its push was given up (failed, timed out, channel
   * down too long) or lost to a restart of the versions. Channels that confirmed it, or still have it
   * queued, in flight or waiting out a retry, are not sent it again: a feed that redelivers an order
   * five times must not make five calls per channel.
   */
  readonly redelivered?: boolean;
  /**
   * What the channel was just read to list (the reconciler's repairs): the update is ranked by that,
   * not by what the engine last confirmed — a sell-out the channel still shows as 3 is a sell-out.
   */
  readonly shown?: number;
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
  /** Failed attempts of the update since it was published or last answered (whole-call failures included). */
  attempts: number;
  /**
   * Highest quantity the channel may list beyond `confirmed`: an update whose outcome is unknown (a
   * timeout, a broken connection) may have landed. -1: none. Ranking uses max(this, confirmed); the
   * next confirmation (or a read of the listing) ends the doubt.
   */
  mayShow: number;
  /**
   * Late landing (see the header): the lowest version sent whose outcome is unknown and whose landing
   * window is still open (-1: none; 0: a request sent before `restartVersions`, older than any version
   * published since), the highest quantity such a request may set (-1: none; the
   * re-push at the window's end is ranked by it — not the updates before: a timeout is nearly always a
   * reply lost after the request landed, and a confirmation then ends the doubt as `mayShow` says),
   * and when the last of those windows ends (0: none; the `lateWindows` entry with that time is current).
   */
  lateVersion: number;
  lateQuantity: number;
  lateUntilMs: number;
  /**
   * After a whole call failed for this pair: the number of the last call sent when that failure arrived
   * (-1: no such failure since the pair was last answered). A success of a call numbered above it came
   * from a call sent after the failure arrived: the channel was up after it. (A call sent before, even
   * one replying ok after the failure, may have been served just before an outage began: found by review.)
   */
  failedMark: number;
  /** Sequence number of the queue entry that is current (older entries are skipped). */
  queuedStamp: number;
  /** The risk class (queue) the current entry is in; meaningful while `queuedStamp` is not 0. */
  queuedRisk: Risk;
  /** When the pair was queued (kept while it waits, whatever newer versions replace its update). */
  queuedAtMs: number;
  waitingForRetry: boolean;
  /** The per-item retry's backoff timer while `waitingForRetry`. */
  retryTimer: TimerHandle | undefined;
  /** The day whose revision budget the update in flight was charged to (-1: none), refunded if the channel did not apply it. */
  revisionChargedDay: number;
  force: boolean;
  /** When the channel started failing (or throttling) this pair's updates (0 = not failing): bounded by `maxOutageMs`. */
  failingSinceMs: number;
  /** Revision budget (channels with `revisionsPerSkuPerDay`): the UTC day and revisions sent that day. */
  revisionsDay: number;
  revisionsToday: number;
  /** Held back by the revision budget until then (0 = not held); a sell-out is not held. */
  heldUntilMs: number;
  /** In its channel's `active` list. */
  active: boolean;
}

/**
 * Why a channel that has work cannot send it now (label `reason` of `blocked_ms_total`):
 * - `rateLimit`: its own token bucket is empty (and a call slot is free);
 * - `paused`: the circuit breaker after whole calls failed (outage, 5xx, timeouts) or a 429's Retry-After;
 * - `linger`: a batch call waiting for more updates to fill it;
 * - `revisions`: nothing queued but updates held back by the per-listing daily revision budget;
 * - `slots`: every call slot in flight (whatever the bucket holds).
 */
export type BlockedReason = "rateLimit" | "paused" | "linger" | "revisions" | "slots";

interface HeldPair {
  readonly atMs: number;
  readonly seq: number;
  readonly pair: Pair;
}

const DAY_MS = 86_400_000;

/**
 * FIFO of queued pairs, each with the stamp it was queued under (parallel arrays: no object per entry,
 * this is on the per-(order, channel) path). An entry is stale once its pair was re-queued or taken.
 */
class PairQueue {
  private pairs: Pair[] = [];
  private stamps: number[] = [];
  private head = 0;
  push(pair: Pair, stamp: number): void {
    this.pairs.push(pair);
    this.stamps.push(stamp);
  }
  /** The first entry still current, dropping stale ones on the way. */
  liveHead(): Pair | undefined {
    for (;;) {
      const pair = this.pairs[this.head];
      if (pair === undefined || this.stamps[this.head] === pair.queuedStamp) return pair;
      this.shift();
    }
  }
  shift(): void {
    if (this.head >= this.pairs.length) return;
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.pairs.length) {
      this.pairs = this.pairs.slice(this.head);
      this.stamps = this.stamps.slice(this.head);
      this.head = 0;
    }
  }
  get size(): number {
    return this.pairs.length - this.head;
  }
}

interface ChannelState {
  readonly id: ChannelId;
  /** Position in every SKU's row of pairs. */
  readonly index: number;
  readonly config: ChannelConfig;
  readonly labels: Labels;
  readonly bucket: TokenBucket;
  readonly maxInFlightCalls: number;
  readonly lingerMs: number;
  readonly revisionCap: number;
  readonly driftAgeingMs: number;
  readonly lateLandingWindowMs: number;
  /** Pairs held back by the revision budget, by release time. */
  readonly held: TimedHeap<HeldPair>;
  /** Pairs whose late-landing window ends then (stale unless `pair.lateUntilMs` is the entry's time). */
  readonly lateWindows: TimedHeap<HeldPair>;
  /**
   * Pairs that may have work (a superset of the non-idle ones; `pair.active` marks membership): keeps
   * `idle` cheap on a big catalogue. An array and a flag, not a Set: adding is on the per-order path.
   */
  readonly active: Pair[];
  readonly queues: [PairQueue, PairQueue, PairQueue];
  pausedUntilMs: number;
  /** Whole calls that failed in a row (outage, 5xx, timeouts): the circuit backs off on these. */
  consecutiveFailures: number;
  /** Calls sent so far (each call's number). */
  callsSent: number;
  /** Highest number of a call that confirmed at least one update (0: none): proof the channel was up when it was sent. */
  lastOkCall: number;
  inFlightCalls: number;
  wakeTimer: TimerHandle | undefined;
  wakeAtMs: number;
  backlogPeak: number;
  /** Pairs queued (stale entries left by a change of risk class not counted). */
  queuedPairs: number;
  /** Pairs held back by the revision budget (the heap may still hold entries of pairs released since). */
  heldPairs: number;
  /** Why the channel cannot send its queued work now (undefined: not blocked), and since when. */
  blockedReason: BlockedReason | undefined;
  blockedSinceMs: number;
  /**
   * Until when the last pump's "cannot send" decision stands whatever is queued behind it (0: no such
   * decision): while it does, queueing another update need not pump again (see `pumpNeeded`).
   */
  decidedUntilMs: number;
  /** Labels of `blocked_ms_total`, one object per reason (built once). */
  readonly blockedLabels: Readonly<Record<BlockedReason, Labels>>;
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
  private readonly channelList: ChannelState[] = [];
  /** Every SKU's pairs, one per channel in `channelList` order (one lookup serves all channels). */
  private readonly rows = new Map<Sku, Pair[]>();
  private readonly retry: RetryPolicy;
  private stampSeq = 0;
  private stopped = false;
  /** Bumped by `restartVersions`: a reply to a call sent under an older generation carries pre-restart versions. */
  private versionGeneration = 0;
  /** Index (in `channelList`) of the channel `isSettled` last found behind. */
  private lastUnsettledChannel = 0;

  constructor(private readonly options: PropagatorOptions) {
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    const now = options.clock.now();
    for (const config of options.channels) {
      const id = config.client.channel;
      const state: ChannelState = {
        id,
        index: this.channelList.length,
        config,
        // Frozen: the metrics port may then find the series by the object itself (on every call's path).
        labels: Object.freeze({ channel: id }),
        bucket: new TokenBucket(config.rateLimit, now),
        maxInFlightCalls: config.maxInFlightCalls ?? 4,
        lingerMs: config.client.maxBatchSize > 1 ? Math.max(0, config.batchLingerMs ?? 0) : 0,
        revisionCap: config.revisionsPerSkuPerDay ?? 0,
        driftAgeingMs: Math.max(0, config.driftAgeingMs ?? 300_000),
        lateLandingWindowMs: Math.max(0, config.lateLandingWindowMs ?? 30_000),
        held: new TimedHeap(),
        lateWindows: new TimedHeap(),
        active: [],
        queues: [new PairQueue(), new PairQueue(), new PairQueue()],
        pausedUntilMs: 0,
        consecutiveFailures: 0,
        callsSent: 0,
        lastOkCall: 0,
        inFlightCalls: 0,
        wakeTimer: undefined,
        wakeAtMs: 0,
        backlogPeak: 0,
        queuedPairs: 0,
        heldPairs: 0,
        blockedReason: undefined,
        blockedSinceMs: 0,
        decidedUntilMs: 0,
        blockedLabels: {
          rateLimit: Object.freeze({ channel: id, reason: "rateLimit" }),
          paused: Object.freeze({ channel: id, reason: "paused" }),
          linger: Object.freeze({ channel: id, reason: "linger" }),
          revisions: Object.freeze({ channel: id, reason: "revisions" }),
          slots: Object.freeze({ channel: id, reason: "slots" }),
        },
      };
      this.channels.set(id, state);
      this.channelList.push(state);
    }
  }

  get channelIds(): ChannelId[] {
    return [...this.channels.keys()];
  }

  /** Makes every channel (but a source that is already exact) converge to `level` of `sku`. */
  publish(sku: Sku, level: Level, options: PublishOptions = {}): void {
    const row = this.row(sku);
    const only = options.channels;
    // Levels are never mutated, so the channels listing the full quantity share one object.
    let unchanged: Level | undefined;
    for (const channel of this.channelList) {
      if (only && !only.includes(channel.id)) continue;
      const pair = row[channel.index] as Pair;
      const listed = listedQuantity(level.quantity, channel.config.policy);
      // `desired` is always the newest version the pair has seen (in flight and confirmed come from it).
      const newest = pair.desired?.version ?? 0;
      if (level.version < newest) continue;
      // Seen this version already: nothing to do unless forced, or an order delivered again finds its
      // push given up on this channel (then it goes out again, as if forced, on this channel only).
      let force = options.force === true;
      if (level.version === newest && !force) {
        if (options.redelivered !== true || !this.givenUp(pair, level.version)) continue;
        force = true;
      }
      if (
        channel.id === options.source &&
        !force &&
        options.delta !== undefined &&
        pair.inFlight === undefined &&
        pair.confirmed !== undefined &&
        pair.mayShow < 0 &&
        pair.confirmed.version === (options.previousVersion ?? level.version - 1) &&
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
      pair.desired = listed === level.quantity ? (unchanged ??= { quantity: level.quantity, version: level.version }) : { quantity: listed, version: level.version };
      // A fresh object: confirmed levels may be shared between pairs.
      if (options.shown !== undefined) {
        if (pair.confirmed !== undefined && pair.confirmed.quantity !== options.shown) pair.confirmed = { quantity: options.shown, version: pair.confirmed.version };
        pair.mayShow = -1; // the listing was just read: no more doubt about what it shows
      }
      this.activate(channel, pair);
      pair.force = pair.force || force;
      pair.attempts = 0;
      // A sell-out still shown as available does not wait out the backoff of the older version it replaces.
      if (pair.waitingForRetry && pair.inFlight === undefined && this.risk(pair) === Risk.SellOutShownAvailable) this.cancelRetry(pair);
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
    const pair = this.row(sku)[state.index] as Pair;
    if (pair.desired === undefined && pair.inFlight === undefined) {
      pair.confirmed = { quantity: level.quantity, version: level.version };
      pair.confirmedAtMs = this.options.clock.now();
      pair.desired = pair.confirmed;
    }
  }

  /**
   * Takes back the revisions a listing already spent on `day` (a UTC day number, `Math.floor(ms /
   * 86_400_000)`) — counted by a process before a restart, as `onRevisionSpent` reported them — so the
   * budget goes on from there instead of from 0. Call it before anything is sent. Never lowers a count:
   * a day older than the one the listing's counter is on is ignored, the same day keeps the higher count,
   * a newer day starts from `count`. (A day after the current one is kept until that day comes.)
   */
  assumeRevisions(channel: ChannelId, sku: Sku, day: number, count: number): void {
    const state = this.channels.get(channel);
    if (!state) throw new RangeError(`unknown channel ${JSON.stringify(channel)}`);
    if (!Number.isSafeInteger(day) || day < 0) throw new RangeError(`day must be a whole UTC day number ≥ 0, got ${day}`);
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be a whole number ≥ 0, got ${count}`);
    const pair = this.row(sku)[state.index] as Pair;
    if (day < pair.revisionsDay) return;
    if (day > pair.revisionsDay) {
      pair.revisionsDay = day;
      pair.revisionsToday = count;
    } else if (count > pair.revisionsToday) pair.revisionsToday = count;
  }

  /**
   * Reserves `calls` update calls' worth of a channel's budget for a call the channel bills from it too (a
   * Shopify inventory read: `ChannelClient.readBudgetCost`) and returns how long to wait before making it
   * (0: now). Updates queued meanwhile wait behind the reservation (booked as `rateLimit`) instead of the
   * channel refusing them (429) once a read has drained its bucket. Such a call waits until a tenth of
   * the burst is left over after it: the updates keep a margin, and so does what the engine does not
   * reserve (a cancellation, a SKU's id looked up on its first push) — on a bucket run to its last point,
   * any of those makes the channel refuse the next call.
   */
  reserveBudget(channel: ChannelId, calls: number): number {
    const state = this.channels.get(channel);
    if (!state) throw new RangeError(`unknown channel ${JSON.stringify(channel)}`);
    return state.bucket.reserve(this.options.clock.now(), calls, state.config.rateLimit.burst / 10);
  }

  /** True when every channel has confirmed (or given up on) `version` of `sku`. */
  isSettled(sku: Sku, version: number): boolean {
    const row = this.rows.get(sku);
    if (!row) return false;
    // The channel that was behind last time is checked first: the outbox sweep asks this for entries
    // in order, and behind a backlogged channel nearly every answer is "no" on that same channel.
    const first = this.lastUnsettledChannel;
    const head = row[first];
    if (head !== undefined && !this.pairDone(head, version)) return false;
    for (let index = 0; index < row.length; index++) {
      if (index === first || this.pairDone(row[index] as Pair, version)) continue;
      this.lastUnsettledChannel = index;
      return false;
    }
    return true;
  }

  /**
   * True when every channel already has `version` of `sku` (or a newer one) wanted, in flight, confirmed
   * or given up on: publishing it again would change nothing. Not for hot paths (a row walk).
   */
  holdsVersion(sku: Sku, version: number): boolean {
    const row = this.rows.get(sku);
    if (!row) return false;
    for (const pair of row) {
      const known = Math.max(pair.desired?.version ?? 0, pair.inFlight?.version ?? 0, pair.confirmed?.version ?? 0, pair.abandonedVersion);
      if (known < version) return false;
    }
    return true;
  }

  /** `version` is the newest the pair has seen, the channel has not confirmed it and nothing of it is pending: it was given up. */
  private givenUp(pair: Pair, version: number): boolean {
    return pair.inFlight === undefined && !pair.waitingForRetry && pair.queuedStamp === 0 && pair.heldUntilMs === 0 && !pair.force && (pair.confirmed?.version ?? 0) < version;
  }

  private pairDone(pair: Pair, version: number): boolean {
    return Math.max(pair.confirmed?.version ?? 0, pair.abandonedVersion) >= version;
  }

  /** True when (channel, sku) has nothing pending or in flight (the reconciler only repairs idle pairs). */
  isIdle(channel: ChannelId, sku: Sku): boolean {
    const pair = this.find(channel, sku);
    return pair === undefined || this.isPairIdle(pair);
  }

  confirmedVersion(channel: ChannelId, sku: Sku): number | undefined {
    return this.find(channel, sku)?.confirmed?.version;
  }

  /** The newest version of `sku` given up on `channel` (0: none) — the reconciler re-sends it when nothing newer landed. */
  abandonedVersion(channel: ChannelId, sku: Sku): number {
    return this.find(channel, sku)?.abandonedVersion ?? 0;
  }

  /**
   * For each SKU, the version `channel` confirmed (undefined: none), or `null` when the pair is busy
   * (something pending or in flight) — the reconciler's view, one channel lookup for a whole read batch.
   */
  confirmedVersionsIfIdle(channel: ChannelId, skus: readonly Sku[]): (number | undefined | null)[] {
    const state = this.channels.get(channel);
    return skus.map((sku) => {
      const pair = state === undefined ? undefined : this.rows.get(sku)?.[state.index];
      if (pair === undefined) return undefined;
      return this.isPairIdle(pair) ? pair.confirmed?.version : null;
    });
  }

  backlog(): ChannelBacklog[] {
    return this.channelList.map((channel) => {
      let pending = 0;
      for (const row of this.rows.values()) if (!this.isPairIdle(row[channel.index] as Pair)) pending += 1;
      return { channel: channel.id, pending, inFlightCalls: channel.inFlightCalls, backlogPeak: channel.backlogPeak };
    });
  }

  /** No update pending or in flight on any channel. */
  get idle(): boolean {
    for (const channel of this.channels.values()) {
      if (channel.inFlightCalls > 0) return false;
      const active = channel.active;
      while (active.length > 0) {
        const pair = active[active.length - 1] as Pair;
        if (!this.isPairIdle(pair)) return false;
        pair.active = false;
        active.pop();
      }
    }
    return true;
  }

  stop(): void {
    this.stopped = true;
    const now = this.options.clock.now();
    for (const channel of this.channels.values()) {
      this.setBlocked(channel, undefined, now);
      if (channel.wakeTimer) this.options.scheduler.clearTimer(channel.wakeTimer);
      channel.wakeTimer = undefined;
    }
    // Per-item retries waiting out their backoff (rare: a walk over every pair is fine here).
    for (const row of this.rows.values()) for (const pair of row) if (pair.retryTimer !== undefined) this.cancelRetry(pair);
  }

  /** How many times `restartVersions` ran: a version read before it and handled after belongs to the old store. */
  get versionsGeneration(): number {
    return this.versionGeneration;
  }

  /**
   * Forgets every version known per (channel, SKU) — confirmed, pending, given up, in flight — because
   * the store's versions restarted (Redis lost its data and the stock was restored: every SKU starts
   * again at version 1). The next level published for any SKU is then pushed whatever its version.
   * Updates queued, waiting out a retry's backoff, lingering or held by the revision budget are dropped:
   * their levels are from before the loss (the revisions a listing spent today still count). A call in
   * flight frees its slot as usual when it replies, but its items are neither confirmed nor sent again;
   * a level published meanwhile goes out after that reply — one call per (channel, SKU) at a time, so
   * an answered old level cannot land after the new one. A request whose outcome is unknown can (a
   * late landing): the doubt is not forgotten. A landing window still open stays open, its version
   * becoming 0 (a pre-restart request, older than any version published since), and a call in flight
   * that times out or breaks after the restart opens one at version 0; at the window's end the level
   * published since is pushed again when it was confirmed or is in flight (nothing published since:
   * nothing to push). What each channel was confirmed to list is forgotten too: the next update is
   * ranked as on a channel never pushed to. Rare: a walk over every pair.
   */
  restartVersions(): void {
    this.versionGeneration += 1;
    const now = this.options.clock.now();
    for (const row of this.rows.values()) {
      for (const pair of row) {
        if (pair.retryTimer !== undefined) this.cancelRetry(pair);
        pair.waitingForRetry = false;
        pair.desired = undefined;
        pair.confirmed = undefined;
        pair.confirmedAtMs = 0;
        pair.abandonedVersion = 0;
        pair.attempts = 0;
        pair.mayShow = -1;
        // An open landing window stays open (its `lateWindows` entry stands): the pre-restart request
        // may still land after a level published since. Its quantity still ranks the re-push.
        if (pair.lateUntilMs !== 0) pair.lateVersion = 0;
        pair.failedMark = -1;
        pair.force = false;
        pair.failingSinceMs = 0;
        pair.queuedStamp = 0;
        pair.heldUntilMs = 0;
        // `inFlight` stays set: the pair is busy until the old call replies. Its version becomes 0 (a fresh
        // object: levels may be shared): older than anything published since, for the landing window its
        // timeout may open and for `holdsVersion` (a pre-loss version 5 in flight holds no restored version).
        if (pair.inFlight !== undefined) pair.inFlight = { quantity: pair.inFlight.quantity, version: 0 };
      }
    }
    for (const channel of this.channelList) {
      channel.queues[0] = new PairQueue();
      channel.queues[1] = new PairQueue();
      channel.queues[2] = new PairQueue();
      channel.queuedPairs = 0;
      while (channel.held.size > 0) channel.held.pop();
      channel.heldPairs = 0;
      // `lateWindows` is kept: a pre-restart request may land after the level published since (which
      // then shows a level from before the loss): the window's end pushes that level again.
      // Nothing is queued: the next update pumps afresh (a pause or a call slot still holds it back then).
      channel.decidedUntilMs = 0;
      this.setBlocked(channel, undefined, now);
    }
  }

  private cancelRetry(pair: Pair): void {
    if (pair.retryTimer !== undefined) this.options.scheduler.clearTimer(pair.retryTimer);
    pair.retryTimer = undefined;
    pair.waitingForRetry = false;
  }

  private isPairIdle(pair: Pair): boolean {
    return pair.inFlight === undefined && !pair.waitingForRetry && (pair.desired === undefined || pair.desired.version <= Math.max(pair.confirmed?.version ?? 0, pair.abandonedVersion) && !pair.force);
  }

  private find(channel: ChannelId, sku: Sku): Pair | undefined {
    const state = this.channels.get(channel);
    return state === undefined ? undefined : this.rows.get(sku)?.[state.index];
  }

  private row(sku: Sku): Pair[] {
    let row = this.rows.get(sku);
    if (!row) {
      row = this.channelList.map(() => ({ sku, desired: undefined, inFlight: undefined, confirmed: undefined, confirmedAtMs: 0, abandonedVersion: 0, attempts: 0, mayShow: -1, lateVersion: -1, lateQuantity: -1, lateUntilMs: 0, failedMark: -1, queuedStamp: 0, queuedRisk: Risk.Drift, queuedAtMs: 0, waitingForRetry: false, retryTimer: undefined, revisionChargedDay: -1, force: false, failingSinceMs: 0, revisionsDay: -1, revisionsToday: 0, heldUntilMs: 0, active: false }));
      this.rows.set(sku, row);
    }
    return row;
  }

  private activate(channel: ChannelState, pair: Pair): void {
    if (pair.active) return;
    pair.active = true;
    channel.active.push(pair);
  }

  private risk(pair: Pair): Risk {
    const desired = pair.desired as Level;
    const confirmed = pair.confirmed;
    if (confirmed === undefined) return desired.quantity === 0 ? Risk.SellOutShownAvailable : Risk.ShownHigh;
    // What the channel may show: an update with an unknown outcome may have landed above the confirmed count.
    const shown = pair.mayShow > confirmed.quantity ? pair.mayShow : confirmed.quantity;
    if (desired.quantity === 0 && shown > 0) return Risk.SellOutShownAvailable;
    if (shown > desired.quantity) return Risk.ShownHigh;
    return Risk.Drift;
  }

  private enqueue(channel: ChannelState, pair: Pair): void {
    if (this.stopped) return;
    this.activate(channel, pair);
    const now = this.options.clock.now();
    // Held back by the revision budget: it is queued again on release (a sell-out goes at once).
    if (pair.heldUntilMs !== 0 && pair.heldUntilMs > now && this.risk(pair) !== Risk.SellOutShownAvailable) return;
    const risk = this.risk(pair);
    // Already waiting in the same risk class: the newer version keeps the pair's place in line. Sent to
    // the back instead, a hot SKU re-priced faster than a saturated channel drains (Amazon at 5 calls/s on
    // Black Friday) would never reach the head. Nothing a pump decides on has changed, so none is needed.
    if (pair.queuedStamp !== 0 && pair.queuedRisk === risk) return;
    // New, or moved to another class: the back of that class's queue, still counting from when it was
    // first queued (queue wait, ageing and linger all measure the wait since then).
    const stamp = ++this.stampSeq;
    if (pair.queuedStamp === 0) {
      pair.queuedAtMs = now;
      channel.queuedPairs += 1;
    }
    pair.queuedStamp = stamp;
    pair.queuedRisk = risk;
    channel.queues[risk].push(pair, stamp);
    const backlog = channel.queuedPairs;
    if (backlog > channel.backlogPeak) channel.backlogPeak = backlog;
    if (this.pumpNeeded(channel, pair, backlog, now)) this.pump(channel);
  }

  /**
   * False when a pump now would decide exactly what the last one did (and the timer it set stands):
   * every call slot still busy, still paused, the bucket still empty, or a batch still lingering that
   * this update neither fills nor cuts short (a sell-out does not linger). On the per-(order, channel)
   * path: an order's publish queues one update per channel, and most of them find their channel waiting.
   */
  private pumpNeeded(channel: ChannelState, pair: Pair, backlog: number, now: number): boolean {
    const reason = channel.blockedReason;
    if (reason === undefined || reason === "revisions" || now >= channel.decidedUntilMs) return true;
    const held = channel.held.peek();
    if (held !== undefined && held.atMs <= now) return true;
    // Waiting for a token on a batch channel: a re-queued update can move the linger deadline past the
    // token, and the wait is then booked as linger — a pump tells which.
    if (reason === "rateLimit") return channel.lingerMs > 0;
    if (reason !== "linger") return false;
    // Lingering: the wait runs from the oldest queued update; this one is newer unless it was re-queued.
    return pair.queuedAtMs !== now || backlog >= channel.config.client.maxBatchSize || this.risk(pair) === Risk.SellOutShownAvailable;
  }

  /** Next pair that is due, skipping stale queue entries. */
  private next(channel: ChannelState, take: boolean): Pair | undefined {
    const [sellOuts, shownHigh, drifted] = channel.queues;
    let queue = sellOuts;
    let pair = sellOuts.liveHead();
    if (pair === undefined) {
      const high = shownHigh.liveHead();
      const drift = drifted.liveHead();
      // Ageing: a count shown too low that has waited past `driftAgeingMs` competes with the shown-high
      // ones by age — without it, a channel whose limit is always busy (Amazon at 5/s on Black Friday)
      // would leave a restocked SKU showing its old count, often 0, for hours.
      const aged = drift !== undefined && this.options.clock.now() - drift.queuedAtMs >= channel.driftAgeingMs;
      if (drift !== undefined && (high === undefined || (aged && drift.queuedAtMs < high.queuedAtMs))) {
        queue = drifted;
        pair = drift;
      } else {
        queue = shownHigh;
        pair = high;
      }
    }
    if (pair === undefined) return undefined;
    if (take) {
      queue.shift();
      pair.queuedStamp = 0;
      channel.queuedPairs -= 1;
    }
    return pair;
  }

  private pump(channel: ChannelState): void {
    const { clock, metrics } = this.options;
    if (channel.held.size > 0) this.release(channel, clock.now());
    if (channel.lateWindows.size > 0 && !this.stopped) this.endLateWindows(channel, clock.now());
    for (;;) {
      channel.decidedUntilMs = 0;
      if (this.stopped) return this.setBlocked(channel, undefined, clock.now());
      const head = this.next(channel, false);
      if (head === undefined) return this.setBlocked(channel, channel.heldPairs > 0 ? "revisions" : undefined, clock.now());
      const now = clock.now();
      // Every slot busy is "slots" even with the bucket empty: a token may come back long before a reply
      // does, and the wait for the bucket after a slot frees is booked as "rateLimit" then.
      if (channel.inFlightCalls >= channel.maxInFlightCalls) {
        channel.decidedUntilMs = Number.POSITIVE_INFINITY; // until a reply frees a slot (onReply resets it)
        return this.setBlocked(channel, "slots", now);
      }
      if (now < channel.pausedUntilMs) {
        channel.decidedUntilMs = channel.pausedUntilMs;
        this.setBlocked(channel, "paused", now);
        return this.wake(channel, channel.pausedUntilMs - now);
      }
      if (channel.lingerMs > 0) {
        const lingerUntil = this.lingerUntil(channel, head);
        if (lingerUntil > now) {
          channel.decidedUntilMs = lingerUntil;
          this.setBlocked(channel, "linger", now);
          return this.wake(channel, lingerUntil - now);
        }
      }
      const waitMs = channel.bucket.tryTake(now);
      if (waitMs > 0) {
        channel.decidedUntilMs = now + waitMs; // the token's due time (the wake is rounded up from it)
        this.setBlocked(channel, "rateLimit", now);
        return this.wake(channel, waitMs);
      }
      const batch: Pair[] = [];
      const updates: QuantityUpdate[] = [];
      while (batch.length < channel.config.client.maxBatchSize) {
        const pair = this.next(channel, true);
        if (!pair) break;
        if (channel.revisionCap > 0 && !this.spendRevision(channel, pair, now)) continue;
        const desired = pair.desired as Level;
        metrics.observe("queue_wait_ms", now - pair.queuedAtMs, channel.labels);
        pair.inFlight = desired;
        pair.force = false;
        batch.push(pair);
        updates.push({ sku: pair.sku, quantity: desired.quantity, version: desired.version });
      }
      if (batch.length === 0) {
        // Every candidate was held back by its revision budget: the token stays unused.
        channel.bucket.refund();
        continue;
      }
      channel.inFlightCalls += 1;
      metrics.increment("push_calls_total", channel.labels);
      const sentAtMs = now;
      const generation = this.versionGeneration;
      const call = ++channel.callsSent;
      // Calls that confirmed something before this one was sent: the channel was up then.
      const okBeforeSend = channel.lastOkCall;
      let settled: Promise<PushOutcome[]>;
      try {
        settled = channel.config.client.setQuantities(updates);
      } catch (error) {
        settled = Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      settled.then(
        (outcomes) => this.onReply(channel, batch, outcomes, sentAtMs, generation, call, okBeforeSend),
        (error: unknown) => {
          const failure: PushOutcome = { ok: false, reason: "transport", message: error instanceof Error ? error.message : String(error) };
          this.onReply(channel, batch, batch.map(() => failure), sentAtMs, generation, call, okBeforeSend);
        },
      );
    }
  }

  /**
   * Notes why the channel cannot send now (undefined: it can, or has nothing to send). The span under
   * the previous reason goes into `blocked_ms_total` when the reason changes; the same reason again
   * keeps the span open, so a channel held by its bucket for an hour is one increment, not thousands.
   */
  private setBlocked(channel: ChannelState, reason: BlockedReason | undefined, now: number): void {
    const previous = channel.blockedReason;
    if (previous === reason) return;
    if (previous !== undefined && now > channel.blockedSinceMs) this.options.metrics.increment("blocked_ms_total", channel.blockedLabels[previous], now - channel.blockedSinceMs);
    channel.blockedReason = reason;
    channel.blockedSinceMs = now;
  }

  /**
   * A batch call waits up to `lingerMs` after its oldest update was queued, unless it is already full
   * or the most urgent update is a sell-out still shown as available.
   */
  private lingerUntil(channel: ChannelState, head: Pair): number {
    if (this.risk(head) === Risk.SellOutShownAvailable) return 0;
    if (channel.queuedPairs >= channel.config.client.maxBatchSize) return 0;
    let oldest = Number.POSITIVE_INFINITY;
    // Live heads only: a stale entry's pair may have been sent since, its queue time is not this batch's.
    for (const queue of channel.queues) {
      const pair = queue.liveHead();
      if (pair !== undefined && pair.queuedAtMs < oldest) oldest = pair.queuedAtMs;
    }
    return Number.isFinite(oldest) ? oldest + channel.lingerMs : 0;
  }

  /**
   * Revision budget of one listing for the UTC day: a burst of a tenth of the cap, then the rest
   * (less a reserve) spread evenly over the day; the reserve only for a sell-out still shown as
   * available. Returns false (and holds the pair until its next allowance) when it must wait.
   */
  private spendRevision(channel: ChannelState, pair: Pair, now: number): boolean {
    const cap = channel.revisionCap;
    const day = Math.floor(now / DAY_MS);
    if (pair.revisionsDay !== day) {
      pair.revisionsDay = day;
      pair.revisionsToday = 0;
    }
    const reserve = Math.max(1, Math.floor(cap / 25));
    const burst = Math.max(1, Math.floor(cap / 10));
    const paced = Math.max(0, cap - reserve - burst);
    const sellOut = this.risk(pair) === Risk.SellOutShownAvailable;
    const allowance = sellOut ? cap : Math.min(cap - reserve, burst + Math.floor(((now - day * DAY_MS) / DAY_MS) * paced));
    if (pair.revisionsToday < allowance) {
      pair.revisionsToday += 1;
      pair.revisionChargedDay = day;
      if (pair.heldUntilMs !== 0) channel.heldPairs -= 1;
      pair.heldUntilMs = 0;
      this.options.onRevisionSpent?.(channel.id, pair.sku, day);
      return true;
    }
    // Next allowance: when the paced share reaches one more revision, or the next day.
    const nextDay = (day + 1) * DAY_MS;
    const needed = pair.revisionsToday + 1 - burst;
    const at = sellOut || pair.revisionsToday >= cap - reserve || paced === 0 ? nextDay : Math.min(nextDay, day * DAY_MS + Math.ceil((needed / paced) * DAY_MS));
    if (pair.heldUntilMs === 0) channel.heldPairs += 1;
    pair.heldUntilMs = Math.max(now + 1, at);
    channel.held.push({ atMs: pair.heldUntilMs, seq: ++this.stampSeq, pair });
    this.options.metrics.increment("revision_holds_total", channel.labels);
    this.wake(channel, pair.heldUntilMs - now);
    return false;
  }

  /** Queues the held pairs whose time has come. */
  private release(channel: ChannelState, now: number): void {
    for (let entry = channel.held.peek(); entry !== undefined && entry.atMs <= now; entry = channel.held.peek()) {
      channel.held.pop();
      const pair = entry.pair;
      if (pair.heldUntilMs !== entry.atMs) continue;
      pair.heldUntilMs = 0;
      channel.heldPairs -= 1;
      if (pair.inFlight === undefined && !pair.waitingForRetry && pair.queuedStamp === 0 && !this.isPairIdle(pair)) this.enqueue(channel, pair);
    }
    const next = channel.held.peek();
    if (next !== undefined) this.wake(channel, next.atMs - now);
  }

  private wake(channel: ChannelState, delayMs: number): void {
    if (this.stopped) return; // no timer outlives stop() (a reply arriving after it pumps once more)
    // Whole milliseconds, at least one: a sub-millisecond wait rounded to 0 would spin at one instant.
    // (On a clock with fractional milliseconds a later pump could ask up to 1 ms sooner; the service's
    // clock is Date.now() and the simulator's whole milliseconds, so skipped pumps change nothing.)
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

  private onReply(channel: ChannelState, batch: readonly Pair[], outcomes: readonly PushOutcome[], sentAtMs: number, generation: number, call: number, okBeforeSend: number): void {
    const { clock, metrics } = this.options;
    const now = clock.now();
    channel.inFlightCalls -= 1;
    // A slot is free: "every slot busy" no longer stands for the updates this reply queues again.
    channel.decidedUntilMs = 0;
    metrics.observe("push_call_latency_ms", now - sentAtMs, channel.labels);
    // Sent before `restartVersions`: the answer still tells about the channel (slot, pauses, revisions),
    // but its versions are from before the restart — nothing is confirmed, retried or given up.
    const restarted = generation !== this.versionGeneration;
    let channelDown = outcomes.length > 0;
    for (const outcome of outcomes) {
      if (outcome.ok) {
        // Recorded before anything below queues (and sends) again: those calls go out knowing it.
        if (call > channel.lastOkCall) channel.lastOkCall = call;
        channelDown = false;
        break;
      }
      if (!CHANNEL_DOWN.has(outcome.reason)) channelDown = false;
    }
    if (channelDown) return this.onChannelDown(channel, batch, outcomes, now, restarted, call, okBeforeSend);
    channel.consecutiveFailures = 0;
    // A 429 for any item (eBay's 207 with per-entry 429s) pauses the channel before anything this reply
    // queues again can go out.
    let throttled = false;
    for (const outcome of outcomes) {
      if (outcome.ok || outcome.reason !== "rate_limited") continue;
      throttled = true;
      channel.pausedUntilMs = Math.max(channel.pausedUntilMs, now + (outcome.retryAfterMs ?? this.retry.defaultRetryAfterMs));
    }
    if (throttled) channel.bucket.drain(now);
    let confirmed = 0;
    batch.forEach((pair, index) => {
      const outcome: PushOutcome = outcomes[index] ?? { ok: false, reason: "rejected", message: "no outcome for this update in the reply" };
      const sent = pair.inFlight as Level;
      pair.inFlight = undefined;
      if (!outcome.ok) this.refundRevision(channel, pair, outcome.reason);
      pair.revisionChargedDay = -1;
      if (restarted) {
        pair.failingSinceMs = 0;
        if (outcome.ok) confirmed += 1;
        // Not confirmed, not retried — but a pre-restart request with an unknown outcome may land late.
        else if (outcome.reason === "timeout" || outcome.reason === "transport") this.mayHaveLanded(channel, pair, sent, now);
        return this.resumeAfterRestart(channel, pair);
      }
      if (outcome.ok) {
        confirmed += 1;
        pair.confirmed = sent;
        pair.confirmedAtMs = now;
        pair.mayShow = -1;
        this.answered(pair);
        this.options.onConfirmed?.(channel.id, pair.sku, sent.version);
        if (pair.desired && (pair.desired.version > sent.version || pair.force)) this.enqueue(channel, pair);
        return;
      }
      if (outcome.reason === "rate_limited") {
        // Throttled is not failed: the update (or a newer one) stays pending through the storm, which is
        // bounded by time like an outage — not by a count of 429s, which a storm without Retry-After
        // spends in minutes (and a sell-out given up then stays shown as available until the reconciler).
        metrics.increment("throttled_total", channel.labels);
        if (pair.failingSinceMs === 0) pair.failingSinceMs = now;
        else if (now - pair.failingSinceMs > this.retry.maxOutageMs) return this.abandon(channel, pair, sent, outcome.reason);
        this.enqueue(channel, pair);
        return;
      }
      // The channel answered for this item: whatever the answer, it is not down (the outage clock stops).
      pair.failingSinceMs = 0;
      pair.failedMark = -1;
      if (outcome.reason === "timeout" || outcome.reason === "transport") this.mayHaveLanded(channel, pair, sent, now);
      if (!isRetryable(outcome)) return this.abandon(channel, pair, sent, outcome.reason);
      pair.attempts += 1;
      if (pair.attempts >= this.retry.maxAttempts) return this.abandon(channel, pair, sent, outcome.reason);
      this.retryLater(channel, pair);
    });
    if (confirmed > 0) metrics.increment("pushes_total", channel.labels, confirmed);
    this.pump(channel);
  }

  /** The channel answered for the pair's update: its outage clock stops and its whole-call failure record ends. */
  private answered(pair: Pair): void {
    pair.attempts = 0;
    pair.failingSinceMs = 0;
    pair.failedMark = -1;
  }

  /**
   * An update whose outcome is unknown (timeout, broken connection) may have set its quantity — and
   * its request may still land, for `lateLandingWindowMs` from now (`endLateWindows` then decides).
   */
  private mayHaveLanded(channel: ChannelState, pair: Pair, sent: Level, now: number): void {
    if (sent.quantity > pair.mayShow) pair.mayShow = sent.quantity;
    const windowMs = channel.lateLandingWindowMs;
    if (windowMs <= 0 || this.stopped) return;
    // The lowest version doubted is kept (versions sent to a pair only go down across a restart, and
    // that makes the doubt 0), and the window is extended to cover this request too (one entry per pair
    // is current).
    if (pair.lateVersion === -1 || sent.version < pair.lateVersion) pair.lateVersion = sent.version;
    if (sent.quantity > pair.lateQuantity) pair.lateQuantity = sent.quantity;
    pair.lateUntilMs = now + windowMs;
    channel.lateWindows.push({ atMs: pair.lateUntilMs, seq: ++this.stampSeq, pair });
    this.wake(channel, windowMs);
  }

  /**
   * Late-landing windows that have ended. A pair that sent or confirmed a version newer than the one
   * whose request may have landed late (the confirmed or in-flight version is newer) is pushed its
   * latest version once more (`force`), ranked by what the late request may have set; one call at a
   * time still: a pair in flight or waiting out a retry sends it next, as its reply or retry queues it
   * (a confirmation in between ends that ranking doubt, as any confirmation ends `mayShow`). Nothing
   * newer sent or confirmed: a late landing set the version the channel was last sent, nothing to repair.
   * A pre-restart request is doubted as version 0: any level published since the restart and confirmed
   * or in flight is newer (a pre-restart call still in flight is at version 0 too: not newer).
   */
  private endLateWindows(channel: ChannelState, now: number): void {
    for (let entry = channel.lateWindows.peek(); entry !== undefined && entry.atMs <= now; entry = channel.lateWindows.peek()) {
      channel.lateWindows.pop();
      const pair = entry.pair;
      if (pair.lateUntilMs !== entry.atMs) continue;
      const doubted = pair.lateVersion;
      const quantity = pair.lateQuantity;
      pair.lateVersion = -1;
      pair.lateQuantity = -1;
      pair.lateUntilMs = 0;
      if (Math.max(pair.confirmed?.version ?? 0, pair.inFlight?.version ?? 0) <= doubted || pair.desired === undefined) continue;
      this.options.metrics.increment("late_landing_repushes_total", channel.labels);
      pair.force = true;
      // The channel may show what the late request set until the re-push is confirmed.
      if (quantity > pair.mayShow) pair.mayShow = quantity;
      this.activate(channel, pair);
      if (pair.inFlight === undefined && !pair.waitingForRetry) this.enqueue(channel, pair);
    }
    const next = channel.lateWindows.peek();
    if (next !== undefined) this.wake(channel, next.atMs - now);
  }

  /** Retries the pair's update after its own capped exponential backoff (with jitter), not the channel's pause. */
  private retryLater(channel: ChannelState, pair: Pair): void {
    this.options.metrics.increment("push_retries_total", channel.labels);
    if (this.stopped) return; // stopped: no timer outlives stop(); the version stays unconfirmed
    pair.waitingForRetry = true;
    pair.retryTimer = this.options.scheduler.setTimer(backoffDelayMs(pair.attempts, this.retry, this.options.random), () => {
      pair.retryTimer = undefined;
      pair.waitingForRetry = false;
      if (pair.inFlight === undefined) this.enqueue(channel, pair);
    });
  }

  /**
   * The whole call failed (outage, 5xx, timeout, connection): as far as anyone can tell, the channel is
   * down — a circuit breaker, not per-update retries. The channel pauses with capped exponential
   * backoff and the updates stay queued — so they go out the moment it heals — until an update has been
   * failing for `maxOutageMs`, when it is given up (the reconciler repairs it later). A channel that
   * said when to come back (a 503 with `Retry-After`, e.g. WordPress in maintenance mode) is not asked
   * before then, up to `maxOutageMs`.
   *
   * Unless the channel proved it is up: a call sent after this pair's previous failing call confirmed
   * something, its reply arriving after that failure and before this call was sent. Then the failure is
   * the update's own (one SKU the channel keeps answering 503 for): it counts towards `maxAttempts`,
   * waits out its own backoff, and the channel is not paused for it — pausing it would hold back every
   * other update, and the next success would reset the breaker and have the SKU retried thousands of
   * times an hour. Later whole-call failures of that pair count as its own too, while no other call
   * fails as a whole. (Calls sent before the previous failure, or answered before it, prove nothing: a
   * success sent just before an outage may reply after the first failures of it.)
   */
  private onChannelDown(channel: ChannelState, batch: readonly Pair[], outcomes: readonly PushOutcome[], now: number, restarted: boolean, call: number, okBeforeSend: number): void {
    const { metrics, random } = this.options;
    const failuresBefore = channel.consecutiveFailures;
    let channelMayBeDown = restarted;
    if (!restarted) for (const pair of batch) if (!this.failsAlone(pair, okBeforeSend)) channelMayBeDown = true;
    if (channelMayBeDown) {
      channel.consecutiveFailures += 1;
      let retryAfterMs = 0;
      for (const outcome of outcomes) if (!outcome.ok && outcome.retryAfterMs !== undefined && outcome.retryAfterMs > retryAfterMs) retryAfterMs = outcome.retryAfterMs;
      const pauseMs = Math.max(backoffDelayMs(channel.consecutiveFailures, this.retry, random), Math.min(retryAfterMs, this.retry.maxOutageMs));
      channel.pausedUntilMs = Math.max(channel.pausedUntilMs, now + pauseMs);
      metrics.increment("channel_failures_total", channel.labels);
    }
    for (const [index, pair] of batch.entries()) {
      const sent = pair.inFlight as Level;
      pair.inFlight = undefined;
      const outcome = outcomes[index];
      if (outcome !== undefined && !outcome.ok) this.refundRevision(channel, pair, outcome.reason);
      pair.revisionChargedDay = -1;
      const reason = outcome === undefined || outcome.ok ? "unavailable" : outcome.reason;
      if (reason === "timeout" || reason === "transport") this.mayHaveLanded(channel, pair, sent, now);
      if (restarted) {
        // Its pre-restart level is neither retried nor given up (the window just opened may push the
        // level published since again).
        this.resumeAfterRestart(channel, pair);
        continue;
      }
      const alone = this.failsAlone(pair, okBeforeSend);
      pair.failedMark = call > channel.lastOkCall ? call : channel.lastOkCall;
      // An attempt of this update's own — or the first failure after the channel last worked, which may
      // be (one SKU failing is first taken for the channel going down). The rest of an outage is not.
      if (alone || failuresBefore === 0) pair.attempts += 1;
      if (pair.failingSinceMs === 0) pair.failingSinceMs = now;
      if (now - pair.failingSinceMs > this.retry.maxOutageMs) {
        this.abandon(channel, pair, sent, "outage");
        continue;
      }
      if (alone) {
        if (pair.attempts >= this.retry.maxAttempts) this.abandon(channel, pair, sent, reason);
        else this.retryLater(channel, pair);
        continue;
      }
      metrics.increment("push_retries_total", channel.labels);
      this.enqueue(channel, pair);
    }
    this.pump(channel);
  }

  /**
   * True when a whole-call failure of `pair` is its own, not the channel's: a call sent after the pair's
   * previous failing call confirmed something, after that failure arrived and before this call was sent
   * (`failedMark`). Each such failure needs fresh proof: a pair once found failing alone and then the
   * only traffic through an outage must wait for the channel like every other update, not be given up
   * after `maxAttempts` (found by re-review).
   */
  private failsAlone(pair: Pair, okBeforeSend: number): boolean {
    if (pair.failedMark < 0) return false;
    return okBeforeSend > pair.failedMark;
  }

  /** A pair whose pre-restart call replied: a level published since the restart goes out now. */
  private resumeAfterRestart(channel: ChannelState, pair: Pair): void {
    if (!this.isPairIdle(pair)) this.enqueue(channel, pair);
  }

  /**
   * A revision charged for an update the channel did not apply goes back to the listing's budget: a
   * refusal, a 429 or a 503 changes nothing on the channel. Not after a timeout or a broken connection —
   * the update may have landed, and a revision spent twice is safer than one the channel refuses.
   */
  private refundRevision(channel: ChannelState, pair: Pair, reason: string): void {
    if (pair.revisionChargedDay === -1 || pair.revisionChargedDay !== pair.revisionsDay || reason === "timeout" || reason === "transport") return;
    if (pair.revisionsToday === 0) return;
    pair.revisionsToday -= 1;
    this.options.onRevisionRefunded?.(channel.id, pair.sku, pair.revisionsDay);
  }

  /** Gives up on the version that was sent; a newer desired version still goes out. */
  private abandon(channel: ChannelState, pair: Pair, sent: Level, reason: string): void {
    this.options.metrics.increment("pushes_abandoned_total", { channel: channel.id, reason });
    pair.abandonedVersion = Math.max(pair.abandonedVersion, sent.version);
    this.answered(pair);
    if (pair.desired && pair.desired.version > sent.version) this.enqueue(channel, pair);
    else pair.force = false;
  }
}
