// Cancellations owed to marketplaces, delivered from the store's durable list. An oversold order's
// `insufficient` outcome records a pending cancellation in the same atomic step as the outcome; this
// relay calls the source channel's `cancelOrder` until the channel confirms it (or refuses it for good),
// then removes the entry. A channel that fails is retried with capped exponential backoff and jitter —
// per channel, since an outage is the channel's, not the order's — for as long as it takes: no entry is
// given up after an age limit (a cancellation dropped silently is an order that never ships); the
// `cancellations_pending` gauges and the age of the oldest entry are what an operator alerts on.
// Easy to get wrong: (1) an entry is removed only after the channel answered, never when the call was
// merely sent — a crash in between sends the cancellation again, which channels answer as already
// cancelled; (2) one channel down must not hold back the others, so every channel drains on its own and
// the periodic read walks the list with a rotating window (a backlog older than everything else cannot
// hide newer entries); (3) only `rejected` is final, and only once the channel has shown it works: a
// refusal of the whole call (`unauthorized`: an expired token after an outage) is the channel's problem,
// and a rejected entry is held (kept in the store, not retried) until the channel next confirms a
// cancellation — then a short run of rejections (fewer than `maxConsecutiveRejections`) was about those
// orders and is given up (recorded), while a longer run was the channel's (a changed API, a wrong base
// path answering 400 to everything) and is retried; an entry refused again on such a retry
// `maxRefusalsAfterConfirmation` times (3) is given up after all — once could be a channel letting one
// call through. A confirmation of an entry the channel had refused clears those counts (its refusals
// were the channel's). No entry is lost to a channel that refuses all; one that refuses everything but
// lets 3 or more calls for *new* orders through looks like a busy channel and can get held entries
// given up (each recorded and logged as an error). (4) One entry the channel keeps failing retryably
// while it cancels others (eBay answering an order it will not cancel with neither a cancelId nor a
// reason; a marketplace bug about one order) must not hold back the channel's other entries: every
// entry keeps its own failure count and retry time, a drain tries the entries that failed least first
// (so the probe after a backoff rotates), a failure right after a confirmation in the same drain is
// the entry's own (its own backoff, the drain goes on), and while a channel's backoff was earned by
// one entry alone a new entry may still be tried. An entry that keeps failing is reported (`onFailing`,
// the `cancellations_failing` gauge) with its order id. (5) A confirmed cancellation runs `onConfirmed`
// before the entry is removed (the engine gives back the lines of a whole marketplace order and pushes
// the order's SKUs to the source again): if it fails, the entry stays and is cancelled again later.

import type { ChannelClient, ChannelFailureReason, ChannelId, Clock, Metrics, OrderId, PendingCancellation, PushOutcome, Random, Scheduler, StockStore, TimerHandle } from "@synclag/core";
import { backoffDelayMs, DEFAULT_RETRY_POLICY, type RetryPolicy } from "./backoff.js";
import { PeriodicTask } from "./periodic-task.js";

/** The reason sent with every cancellation. */
export const CANCELLATION_REASON = "insufficient stock";

/** An entry the channel refused for good (`rejected`): removed from the pending list, reported here. */
export interface RefusedCancellation {
  readonly seq: number;
  readonly orderId: OrderId;
  readonly channel: ChannelId;
  /** When the oversell was recorded, ms. */
  readonly atMs: number;
  /** When the channel refused the cancellation, ms. */
  readonly refusedAtMs: number;
  /** The channel's answer. */
  readonly message: string;
}

export interface CancellationRelayOptions {
  readonly store: StockStore;
  /** The channels this process can cancel at; entries of other channels stay pending (and counted). */
  readonly clients: ReadonlyMap<ChannelId, ChannelClient>;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly random: Random;
  readonly metrics: Metrics;
  /** Time between full reads of the store's list (entries another process or a crash left), in ms. Default 30 000. */
  readonly intervalMs?: number;
  /** Wait after a channel's first failed cancellation in ms; doubles per consecutive failure, with jitter. Default 5000. */
  readonly baseDelayMs?: number;
  /** Longest wait between two attempts at a failing channel in ms. Default 300 000 (5 min). */
  readonly maxDelayMs?: number;
  /** Entries per store read. Default 500. */
  readonly readBatchSize?: number;
  /** Most entries one read holds (bounds the relay's memory); a longer list is read as a rotating window. Default 50 000. */
  readonly maxEntriesPerSweep?: number;
  /**
   * Rejections in a row (between two confirmations) from which they are taken for the channel's trouble,
   * not the orders': the relay backs off, and once the channel confirms a cancellation again every held
   * entry is retried instead of given up. Default 3.
   */
  readonly maxConsecutiveRejections?: number;
  /**
   * Times an entry may be refused again right after the channel confirmed other cancellations (each
   * time inside a run put down to the channel) before it is given up as about the order after all.
   * One is not enough (a channel answering 400 to everything may let one call through); with a busy
   * channel confirming others, three unknown orders in a row are decided after this many. Default 3.
   */
  readonly maxRefusalsAfterConfirmation?: number;
  /** Called for every entry refused for good (it is removed from the store): the operator's record of an order to look at. */
  readonly onRefused?: (refusal: RefusedCancellation) => void;
  /**
   * Called once when an entry is first refused and held (kept, not retried, until the channel confirms
   * another cancellation and so decides it): with a channel that never confirms another, this is the
   * only word an operator gets of which order and what the channel answered.
   */
  readonly onHeld?: (held: HeldCancellation) => void;
  /**
   * Retryable failures in a row of one entry from which it is reported (`onFailing`, the
   * `cancellations_failing` gauge); reported again each time the count doubles. Default 3.
   */
  readonly failingAfter?: number;
  /** Called for an entry that keeps failing retryably: the operator's word of which order and what the channel answered. */
  readonly onFailing?: (failing: FailingCancellation) => void;
  /**
   * Called when the channel confirmed an entry's cancellation, before the entry is removed. A rejection
   * keeps the entry (counted in `cancellation_errors_total{operation: "confirmed"}`): it is cancelled
   * again later — which the channel answers as already cancelled — and this is called again.
   */
  readonly onConfirmed?: (entry: PendingCancellation) => Promise<void>;
}

/** An entry the channel keeps failing with a retryable answer. */
export interface FailingCancellation {
  readonly seq: number;
  readonly orderId: OrderId;
  readonly channel: ChannelId;
  /** When the oversell was recorded, ms. */
  readonly atMs: number;
  /** Retryable failures of this entry in a row. */
  readonly failures: number;
  readonly reason: ChannelFailureReason;
  /** The channel's last answer. */
  readonly message: string;
  /** The channel confirmed other cancellations since this entry began failing: the trouble is this order's, not the channel's. */
  readonly othersConfirmed: boolean;
  /** When it is tried next (at the earliest), ms. */
  readonly nextAttemptAtMs: number;
}

/** An entry the channel refused, held until it confirms another cancellation. */
export interface HeldCancellation {
  readonly seq: number;
  readonly orderId: OrderId;
  readonly channel: ChannelId;
  /** When the oversell was recorded, ms. */
  readonly atMs: number;
  /** The channel's answer. */
  readonly message: string;
}

/** How many refusals `refused` keeps (the newest). */
const REFUSED_KEPT = 1_000;

interface ChannelState {
  /** Consecutive failed attempts (0: the channel answers). */
  failures: number;
  /**
   * Entries rejected since the channel last confirmed a cancellation (seq → the channel's answer), in order: held (still pending, in the
   * store and the gauge) but not retried until the next confirmation decides — given up when fewer than
   * `maxConsecutiveRejections`, retried otherwise.
   */
  held: Map<number, string>;
  /** Held entries retried because the channel confirmed another cancellation since their refusal. */
  retried: Set<number>;
  /** Entries refused again on such a retry, and how often (`maxRefusalsAfterConfirmation` gives them up). */
  refusalsAfterConfirmation: Map<number, number>;
  /** Pending entries the channel has refused at least once. */
  refused: Set<number>;
  /** Entries whose last attempts failed retryably: how often in a row, and their own next attempt. */
  failing: Map<number, EntryFailures>;
  /** The entries whose failures earned the channel's current backoff (cleared by a confirmation). */
  streak: Set<number>;
  /** When the channel last confirmed a cancellation (0: never), ms. */
  lastConfirmedAtMs: number;
  /** The current backoff is the whole channel's for sure (throttled, credentials refused, a Retry-After): no early probe. */
  channelWide: boolean;
  /** No attempt before this time (backoff or Retry-After), ms — but see `mayProbeEarly`. */
  retryAtMs: number;
  /** Wakes the channel's drain when the backoff ends, or when an entry's own retry time comes. */
  timer: TimerHandle | undefined;
  /** When `timer` fires. */
  timerAtMs: number;
  draining: boolean;
  /** `startDrain` was called while draining: called again when the drain ends. */
  recheck: boolean;
  /** Entries known to be pending (from reads, less removals since), by seq. */
  pending: Map<number, PendingCancellation>;
}

interface EntryFailures {
  count: number;
  /** No attempt of this entry before this time, ms. */
  retryAtMs: number;
  /** When the first of these failures came, ms. */
  sinceMs: number;
}

/** Seqs a read covered: (afterSeq, throughSeq] ranges. */
type Covered = ReadonlyArray<readonly [afterSeq: number, throughSeq: number]>;

export class CancellationRelay {
  private readonly periodic: PeriodicTask;
  private readonly policy: RetryPolicy;
  private readonly channels = new Map<ChannelId, ChannelState>();
  private readonly refusals: RefusedCancellation[] = [];
  /** Seqs removed while a read was in flight: the read may still return them. */
  private readonly removedDuringRead = new Set<number>();
  private wakeTimer: TimerHandle | undefined;
  private reading = false;
  private wantFull = false;
  private wantTail = false;
  /** Where the next full read starts (rotates through a list longer than one read). */
  private cursor = 0;
  /** Highest seq any read returned: a tail read (after a new oversell) starts there. */
  private highestSeq = 0;
  private stopped = true;

  constructor(private readonly options: CancellationRelayOptions) {
    this.periodic = new PeriodicTask(options.scheduler, options.intervalMs ?? 30_000, () => this.sweep());
    this.policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: options.baseDelayMs ?? 5_000, maxDelayMs: options.maxDelayMs ?? 300_000 };
    for (const channel of options.clients.keys()) this.state(channel);
  }

  /** Reads the list at once (entries a previous process left), then every interval. */
  start(): void {
    this.stopped = false;
    this.periodic.start();
    this.request("full");
  }

  /**
   * Stops timers; a cancellation call in flight finishes but its answer is not acted on (the entry stays
   * in the store and the next process sends it again, which channels answer as already cancelled).
   */
  stop(): void {
    this.stopped = true;
    this.periodic.stop();
    if (this.wakeTimer) this.options.scheduler.clearTimer(this.wakeTimer);
    this.wakeTimer = undefined;
    this.wantFull = this.wantTail = false;
    for (const state of this.channels.values()) {
      if (state.timer) this.options.scheduler.clearTimer(state.timer);
      state.timer = undefined;
      state.timerAtMs = 0;
    }
  }

  /**
   * An oversell was recorded for `channel`: read the entries after the newest one known (not the whole
   * list) and cancel soon, unless the channel is backing off (its timer will).
   */
  notify(_channel: ChannelId): void {
    this.request("tail");
  }

  /** Pending cancellations as of the last read, less those removed since (a lower bound when the list is longer than one read). */
  get pending(): number {
    let total = 0;
    for (const state of this.channels.values()) total += state.pending.size;
    return total;
  }

  /** The newest entries refused for good (at most 1000), oldest first. */
  get refused(): readonly RefusedCancellation[] {
    return this.refusals;
  }

  /** Nothing pending, nothing in flight, no read due at once. */
  get idle(): boolean {
    if (this.reading || this.wakeTimer !== undefined) return false;
    for (const state of this.channels.values()) if (state.draining || state.pending.size > 0) return false;
    return true;
  }

  /** Reads the next window of the pending list and starts a drain for every channel that is due and not draining already. */
  async sweep(): Promise<void> {
    this.wantFull = true;
    await this.readLoop();
  }

  private request(kind: "full" | "tail"): void {
    if (this.stopped) return;
    if (kind === "full") this.wantFull = true;
    else this.wantTail = true;
    if (this.reading) return; // the loop in progress picks it up
    this.wakeTimer ??= this.options.scheduler.setTimer(0, () => {
      this.wakeTimer = undefined;
      void this.readLoop();
    });
  }

  /** One read at a time: a full read (which also covers the tail) before a tail read. */
  private async readLoop(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      while (!this.stopped && (this.wantFull || this.wantTail)) {
        if (this.wantFull) {
          this.wantFull = this.wantTail = false;
          await this.fullRead();
        } else {
          this.wantTail = false;
          await this.tailRead();
        }
      }
    } finally {
      this.reading = false;
    }
  }

  /**
   * Reads up to `maxEntriesPerSweep` entries from the cursor on, wrapping to the start of the list, so
   * successive reads of a list longer than that visit all of it in turn.
   */
  private async fullRead(): Promise<void> {
    const max = this.options.maxEntriesPerSweep ?? 50_000;
    const start = this.cursor;
    this.removedDuringRead.clear();
    let entries: PendingCancellation[];
    const covered: [number, number][] = [];
    try {
      const first = await this.readFrom(start, max);
      if (this.stopped) return;
      entries = first.entries;
      covered.push([start, first.exhausted ? Number.POSITIVE_INFINITY : (entries.at(-1)?.seq ?? start)]);
      if (!first.exhausted) this.cursor = entries.at(-1)?.seq ?? 0;
      else if (start === 0) this.cursor = 0;
      else {
        // Wrap around: (0, start] — the part of the list before this window.
        const wrap = await this.readFrom(0, max - entries.length);
        if (this.stopped) return;
        const before = wrap.entries.filter((entry) => entry.seq <= start);
        const reachedStart = wrap.exhausted || before.length < wrap.entries.length;
        covered.push([0, reachedStart ? start : (before.at(-1)?.seq ?? 0)]);
        entries = [...before, ...entries];
        this.cursor = reachedStart ? 0 : (before.at(-1)?.seq ?? 0);
      }
    } catch {
      this.options.metrics.increment("cancellation_errors_total", { operation: "read" });
      return;
    }
    this.merge(entries, covered, max);
  }

  /** Reads only the entries after the highest seq seen (new oversells), as far as the memory bound allows. */
  private async tailRead(): Promise<void> {
    const room = (this.options.maxEntriesPerSweep ?? 50_000) - this.pending;
    if (room <= 0) return; // the periodic read's window reaches them
    this.removedDuringRead.clear();
    const after = this.highestSeq;
    let entries: PendingCancellation[];
    let exhausted: boolean;
    try {
      ({ entries, exhausted } = await this.readFrom(after, room));
    } catch {
      this.options.metrics.increment("cancellation_errors_total", { operation: "read" });
      return;
    }
    if (this.stopped) return;
    this.merge(entries, [[after, exhausted ? Number.POSITIVE_INFINITY : (entries.at(-1)?.seq ?? after)]], Number.POSITIVE_INFINITY);
  }

  private async readFrom(afterSeq: number, max: number): Promise<{ entries: PendingCancellation[]; exhausted: boolean }> {
    const batch = this.options.readBatchSize ?? 500;
    const entries: PendingCancellation[] = [];
    let after = afterSeq;
    while (entries.length < max) {
      const limit = Math.min(batch, max - entries.length);
      const page = await this.options.store.readPendingCancellations({ afterSeq: after, limit });
      entries.push(...page);
      const last = page.at(-1);
      if (page.length < limit || !last) return { entries, exhausted: true };
      after = last.seq;
    }
    return { entries, exhausted: false };
  }

  /**
   * Makes the known entries agree with a read: within the seqs it covered, what it returned is pending
   * and nothing else; outside, earlier reads stand — unless that would hold more than `max` entries.
   */
  private merge(entries: readonly PendingCancellation[], covered: Covered, max: number): void {
    const inCovered = (seq: number) => covered.some(([after, through]) => seq > after && seq <= through);
    const fresh = new Set<number>();
    for (const entry of entries) {
      if (this.removedDuringRead.has(entry.seq)) continue;
      fresh.add(entry.seq);
      this.state(entry.sourceChannel).pending.set(entry.seq, entry);
      if (entry.seq > this.highestSeq) this.highestSeq = entry.seq;
    }
    let kept = 0;
    for (const state of this.channels.values()) {
      for (const seq of state.pending.keys()) if (!fresh.has(seq) && inCovered(seq)) state.pending.delete(seq);
      kept += state.pending.size;
    }
    if (kept > max) for (const state of this.channels.values()) for (const seq of state.pending.keys()) if (!fresh.has(seq)) state.pending.delete(seq);
    // Held refusals another process settled (or the window dropped) are no longer this process's to
    // decide: left in `held`, they would count towards a run and make a lone refusal look like the channel's.
    for (const state of this.channels.values()) for (const seq of state.held.keys()) if (!state.pending.has(seq)) state.held.delete(seq);
    for (const state of this.channels.values()) for (const set of [state.retried, state.refused, state.refusalsAfterConfirmation, state.failing, state.streak]) for (const seq of set.keys()) if (!state.pending.has(seq)) set.delete(seq);
    // Oldest first (a wrapped read adds lower seqs last): the gauge's oldest entry is the first one.
    for (const state of this.channels.values()) if (!ascending(state.pending)) state.pending = new Map([...state.pending].sort(([a], [b]) => a - b));
    for (const [channel, state] of this.channels) this.report(channel, state);
    for (const channel of this.channels.keys()) this.startDrain(channel);
  }

  /** Starts draining `channel` if this process has its client, it is not draining or backing off, and something is pending. */
  private startDrain(channel: ChannelId): void {
    if (this.stopped) return;
    const client = this.options.clients.get(channel);
    const state = this.channels.get(channel);
    if (!client || !state) return; // not this process's channel: it stays pending, in the gauge, for one that has it
    if (state.draining) {
      // A read (or a timer) while a drain is under way: that drain may end in a backoff before it gets
      // to the new entries — one of which may be tried early (`mayProbeEarly`): asked again when it ends.
      state.recheck = true;
      return;
    }
    if (state.pending.size === 0) return;
    if (state.retryAtMs > this.options.clock.now() && !this.mayProbeEarly(state)) return;
    state.draining = true;
    void this.drain(client, state);
  }

  /**
   * While the channel backs off because of one entry alone (it failed, nothing else was tried), that
   * says nothing about the channel's other entries: one of them may be tried at once. A second entry
   * failing makes it the channel's (an outage): then everything waits for the backoff.
   */
  private mayProbeEarly(state: ChannelState): boolean {
    if (state.channelWide || state.streak.size !== 1) return false;
    const now = this.options.clock.now();
    for (const entry of state.pending.values()) if (this.eligible(state, entry.seq, now, true)) return true;
    return false;
  }

  /** Whether an entry may be tried now: not held, its own retry time come, and (while the channel backs off) not one that earned the backoff. */
  private eligible(state: ChannelState, seq: number, now: number, gated: boolean): boolean {
    if (state.held.has(seq)) return false;
    if ((state.failing.get(seq)?.retryAtMs ?? 0) > now) return false;
    return !(gated && state.streak.has(seq));
  }

  /** Sets the channel's timer for the earliest time an entry (or the channel) may be tried again, unless one is set for sooner. */
  private scheduleWake(channel: ChannelId, state: ChannelState): void {
    if (this.stopped || state.draining) return;
    const now = this.options.clock.now();
    let atMs = Number.POSITIVE_INFINITY;
    for (const seq of state.pending.keys()) {
      if (state.held.has(seq)) continue;
      const at = Math.max(state.failing.get(seq)?.retryAtMs ?? 0, state.streak.has(seq) ? state.retryAtMs : 0);
      if (at > now && at < atMs) atMs = at;
    }
    if (state.retryAtMs > now && state.retryAtMs < atMs) atMs = state.retryAtMs;
    if (atMs === Number.POSITIVE_INFINITY) return;
    if (state.timer && state.timerAtMs <= atMs && state.timerAtMs > now) return;
    this.setTimer(channel, state, atMs - now);
  }

  private setTimer(channel: ChannelId, state: ChannelState, delayMs: number): void {
    const { scheduler, clock } = this.options;
    if (state.timer) scheduler.clearTimer(state.timer);
    state.timerAtMs = clock.now() + delayMs;
    state.timer = scheduler.setTimer(delayMs, () => {
      state.timer = undefined;
      state.timerAtMs = 0;
      this.startDrain(channel);
      this.scheduleWake(channel, state);
    });
  }

  /**
   * Cancels the channel's entries that may be tried now — those that failed least first, oldest first
   * among equals — then any that reads added meanwhile; stops at the first failure the channel may get
   * over (backoff), unless the channel had just confirmed another entry in this drain (then the failure
   * is the entry's own: it waits out its own backoff and the drain goes on). An entry is tried at most
   * once per drain.
   */
  private async drain(client: ChannelClient, state: ChannelState): Promise<void> {
    const { metrics, clock } = this.options;
    const channel = client.channel;
    const limit = this.options.maxConsecutiveRejections ?? 3;
    const tried = new Set<number>();
    /** The previous call of this drain was confirmed: the channel was up a moment ago. */
    let lastConfirmed = false;
    try {
      for (;;) {
        const now = clock.now();
        const gated = state.retryAtMs > now;
        const failures = (seq: number) => state.failing.get(seq)?.count ?? 0;
        let batch = [...state.pending.values()].filter((entry) => !tried.has(entry.seq) && this.eligible(state, entry.seq, now, gated)).sort((a, b) => failures(a.seq) - failures(b.seq) || a.seq - b.seq);
        if (batch.length === 0) {
          // Entries waiting out their own backoff (or, while the channel backs off, the ones that earned
          // it): their timer wakes the channel. Nothing else to decide with now.
          if (gated || [...state.pending.keys()].some((seq) => !state.held.has(seq))) return;
          // Only held entries left: nothing new would ever confirm and decide them, so a drain that has not
          // sent anything yet (one after a backoff) asks about the oldest held entry again; otherwise back
          // off first. A held entry is thus re-asked at the backoff rate (≤ 5 min), never forgotten.
          const oldest = [...state.held.keys()].find((seq) => state.pending.has(seq));
          if (oldest === undefined) return;
          if (tried.size > 0) {
            this.backOff(channel, state, { ok: false, reason: "rejected", message: state.held.get(oldest) ?? "rejected" });
            return;
          }
          batch = [state.pending.get(oldest) as PendingCancellation];
        }
        for (const entry of batch) {
          if (this.stopped) return;
          if (!state.pending.has(entry.seq)) continue; // a read found it gone (another process)
          // A confirmation earlier in this batch may have ended the backoff; a failure may have begun one.
          if (!state.held.has(entry.seq) && !this.eligible(state, entry.seq, clock.now(), state.retryAtMs > clock.now())) continue;
          tried.add(entry.seq);
          metrics.increment("cancellations_requested_total", { channel });
          let outcome: PushOutcome;
          try {
            outcome = await client.cancelOrder(entry.orderId, CANCELLATION_REASON);
          } catch (error) {
            outcome = { ok: false, reason: "transport", message: error instanceof Error ? error.message : String(error) };
          }
          if (this.stopped) return;
          if (!outcome.ok && outcome.reason !== "rejected") {
            // Includes `unauthorized`: the whole call was refused, which says nothing about this order.
            const own = this.failed(channel, state, entry, outcome, lastConfirmed);
            lastConfirmed = false;
            if (own) continue;
            state.streak.add(entry.seq);
            state.channelWide = isChannelWide(outcome);
            this.backOff(channel, state, outcome);
            // The first entry to fail says nothing yet about the others: one of them is tried at once.
            if (this.mayProbeEarly(state)) state.recheck = true;
            return;
          }
          lastConfirmed = outcome.ok;
          const wasHeld = state.held.has(entry.seq);
          const wasRefused = state.refused.has(entry.seq);
          if (!outcome.ok) state.refused.add(entry.seq);
          if (!outcome.ok && state.retried.delete(entry.seq)) {
            // Refused again right after the channel confirmed others. Once is the channel's doing as
            // likely as the order's; the Nth time (maxRefusalsAfterConfirmation), it is the order's:
            // given up, recorded (otherwise unknown orders in a row would be held and asked forever).
            const refusals = (state.refusalsAfterConfirmation.get(entry.seq) ?? 0) + 1;
            if (refusals >= (this.options.maxRefusalsAfterConfirmation ?? 3)) {
              if (!(await this.remove(channel, state, entry, outcome))) return;
              continue;
            }
            state.refusalsAfterConfirmation.set(entry.seq, refusals);
          }
          if (!outcome.ok) {
            // Held, not removed: whether this was about the order or the channel is known only once the
            // channel confirms a cancellation again. A run reaching the limit is the channel's, and a held
            // entry refused again decides nothing: back off.
            // Re-inserted at the end: the next only-held probe asks the next held entry, so one order the
            // channel really does not know cannot keep the others from ever being asked again.
            state.held.delete(entry.seq);
            state.held.set(entry.seq, outcome.message);
            state.failing.delete(entry.seq);
            if (!wasHeld) this.options.onHeld?.({ seq: entry.seq, orderId: entry.orderId, channel, atMs: entry.atMs, message: outcome.message });
            this.report(channel, state);
            if (wasHeld || state.held.size >= limit) {
              this.backOff(channel, state, outcome);
              return;
            }
            continue;
          }
          // The channel works: its backoff is over, and so is what earned it.
          state.failures = 0;
          state.streak.clear();
          state.channelWide = false;
          state.lastConfirmedAtMs = clock.now();
          if (state.retryAtMs > clock.now()) state.retryAtMs = 0;
          state.held.delete(entry.seq);
          if (!(await this.confirmed(entry))) return;
          if (!(await this.remove(channel, state, entry, outcome))) return;
          // The channel works: a short run of rejections before this was about those orders — given up
          // (recorded); a long one was the channel's — retried in this drain; and if a held entry itself
          // was confirmed on asking again, its refusal was the channel's, so are the others': retried.
          const held = state.held;
          state.held = new Map();
          if (wasRefused) {
            // An order the channel refused is now confirmed: its refusals were the channel's, so nothing
            // refused so far (and nothing refused on this retry) says anything about the order.
            state.refusalsAfterConfirmation.clear();
          }
          if (wasHeld || held.size >= limit) {
            for (const seq of held.keys()) {
              tried.delete(seq);
              if (!wasRefused) state.retried.add(seq);
            }
          } else {
            for (const [seq, message] of held) {
              const rejected = state.pending.get(seq);
              if (rejected === undefined) continue; // another process settled it meanwhile
              if (!(await this.remove(channel, state, rejected, { ok: false, reason: "rejected", message }))) return;
            }
          }
        }
      }
    } finally {
      state.draining = false;
      this.report(channel, state);
      if (state.recheck) {
        state.recheck = false;
        this.startDrain(channel);
      }
      this.scheduleWake(channel, state);
    }
  }

  /**
   * Counts a retryable failure of `entry` and sets its own next attempt. True when it is the entry's own
   * failure — the channel confirmed another entry just before (and the answer is not about the whole
   * channel: throttling, credentials, a Retry-After) — so the drain goes on without it; false when it
   * may be the channel's (the caller backs the channel off). Reports an entry that keeps failing.
   */
  private failed(channel: ChannelId, state: ChannelState, entry: PendingCancellation, outcome: Extract<PushOutcome, { ok: false }>, afterConfirmation: boolean): boolean {
    const { clock, metrics, random } = this.options;
    const own = afterConfirmation && !isChannelWide(outcome);
    const record = state.failing.get(entry.seq) ?? { count: 0, retryAtMs: 0, sinceMs: clock.now() };
    record.count += 1;
    record.retryAtMs = clock.now() + Math.max(backoffDelayMs(record.count, this.policy, random), outcome.retryAfterMs ?? 0);
    state.failing.set(entry.seq, record);
    if (own) metrics.increment("cancellation_retries_total", { channel, reason: outcome.reason });
    const threshold = Math.max(1, this.options.failingAfter ?? 3);
    // Reported at the threshold and each time the count doubles: a long-stuck entry resurfaces in the logs, rarely.
    const ratio = record.count / threshold;
    if (ratio >= 1 && Number.isInteger(ratio) && (ratio & (ratio - 1)) === 0) {
      this.options.onFailing?.({ seq: entry.seq, orderId: entry.orderId, channel, atMs: entry.atMs, failures: record.count, reason: outcome.reason, message: outcome.message, othersConfirmed: state.lastConfirmedAtMs >= record.sinceMs, nextAttemptAtMs: record.retryAtMs });
    }
    this.report(channel, state);
    return own;
  }

  /** Runs `onConfirmed`; false (the entry stays, cancelled again later) when it failed or the relay stopped. */
  private async confirmed(entry: PendingCancellation): Promise<boolean> {
    const hook = this.options.onConfirmed;
    if (hook === undefined) return true;
    try {
      await hook(entry);
    } catch {
      if (!this.stopped) this.options.metrics.increment("cancellation_errors_total", { operation: "confirmed" });
      return false;
    }
    return !this.stopped;
  }

  /** Removes a settled entry from the store and from memory, and counts it; false when the store call failed or the relay stopped. */
  private async remove(channel: ChannelId, state: ChannelState, entry: PendingCancellation, outcome: PushOutcome): Promise<boolean> {
    let removed: number;
    try {
      removed = await this.options.store.removePendingCancellations([entry.seq]);
    } catch {
      // Still pending: the next drain cancels it again, which the channel answers as already cancelled.
      if (!this.stopped) this.options.metrics.increment("cancellation_errors_total", { operation: "remove" });
      return false;
    }
    if (this.stopped) return false;
    this.removedDuringRead.add(entry.seq);
    state.pending.delete(entry.seq);
    state.retried.delete(entry.seq);
    state.refused.delete(entry.seq);
    state.refusalsAfterConfirmation.delete(entry.seq);
    state.failing.delete(entry.seq);
    state.streak.delete(entry.seq);
    this.report(channel, state);
    // Counted by the process that removed the entry: another one that cancelled it too (both read it) counts nothing.
    if (removed > 0) this.settled(channel, entry, outcome);
    return true;
  }

  private settled(channel: ChannelId, entry: PendingCancellation, outcome: PushOutcome): void {
    const { metrics, clock } = this.options;
    if (outcome.ok) {
      metrics.increment("cancellations_confirmed_total", { channel });
      metrics.observe("cancellation_delay_ms", Math.max(0, Math.round(clock.now() - entry.atMs)), { channel });
      return;
    }
    // `rejected` is final: the channel does not know the order or can no longer cancel it — retrying
    // cannot change that, and a person has to look (hence its own counter and the refusal record).
    metrics.increment("cancellations_rejected_total", { channel });
    const refusal: RefusedCancellation = { seq: entry.seq, orderId: entry.orderId, channel, atMs: entry.atMs, refusedAtMs: clock.now(), message: outcome.message };
    this.refusals.push(refusal);
    if (this.refusals.length > REFUSED_KEPT) this.refusals.shift();
    this.options.onRefused?.(refusal);
  }

  private backOff(channel: ChannelId, state: ChannelState, outcome: Extract<PushOutcome, { ok: false }>): void {
    if (this.stopped) return; // no timer after stop(): it would keep the process alive
    const { metrics, clock } = this.options;
    state.failures += 1;
    metrics.increment("cancellation_retries_total", { channel, reason: outcome.reason });
    // Retry-After lengthens the wait, never shortens it: `0` or a date in the past must not turn backoff off.
    const delayMs = Math.max(backoffDelayMs(state.failures, this.policy, this.options.random), outcome.retryAfterMs ?? 0);
    state.retryAtMs = clock.now() + delayMs;
    this.setTimer(channel, state, delayMs);
  }

  private report(channel: ChannelId, state: ChannelState): void {
    const labels = { channel };
    this.options.metrics.gauge("cancellations_pending", state.pending.size, labels);
    const oldestAtMs = state.pending.values().next().value?.atMs;
    this.options.metrics.gauge("cancellations_pending_oldest_age_ms", oldestAtMs === undefined ? 0 : Math.max(0, Math.round(this.options.clock.now() - oldestAtMs)), labels);
    let held = 0;
    for (const seq of state.held.keys()) if (state.pending.has(seq)) held += 1;
    this.options.metrics.gauge("cancellations_held", held, labels);
    const threshold = Math.max(1, this.options.failingAfter ?? 3);
    let failing = 0;
    for (const [seq, record] of state.failing) if (record.count >= threshold && state.pending.has(seq)) failing += 1;
    this.options.metrics.gauge("cancellations_failing", failing, labels);
  }

  private state(channel: ChannelId): ChannelState {
    let state = this.channels.get(channel);
    if (!state) {
      state = { failures: 0, held: new Map(), retried: new Set(), refusalsAfterConfirmation: new Map(), refused: new Set(), failing: new Map(), streak: new Set(), channelWide: false, lastConfirmedAtMs: 0, retryAtMs: 0, timer: undefined, timerAtMs: 0, draining: false, recheck: false, pending: new Map() };
      this.channels.set(channel, state);
    }
    return state;
  }
}

/** An answer about the whole channel, whatever the order: throttled, the credentials refused, or a Retry-After. */
function isChannelWide(outcome: Extract<PushOutcome, { ok: false }>): boolean {
  return outcome.reason === "rate_limited" || outcome.reason === "unauthorized" || outcome.retryAfterMs !== undefined;
}

function ascending(pending: ReadonlyMap<number, unknown>): boolean {
  let previous = 0;
  for (const seq of pending.keys()) {
    if (seq < previous) return false;
    previous = seq;
  }
  return true;
}
