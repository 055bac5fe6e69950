// Virtual time: a Clock and Scheduler whose time moves only when the owner runs the event queue.
// The queue is ordered by (atMs, seq) so ties break the same way on every run. Easy to get wrong:
// code awaiting promises resolved by an event continues in a *microtask*, after the event's callback
// returns — the owner must let microtasks drain before advancing time (see `runUntil`).

import { InvariantError } from "./errors.js";
import { TimedHeap } from "./min-heap.js";
import type { Clock, Scheduler, TimerHandle } from "./ports.js";

const MAX_EVENTS_PER_INSTANT = 5_000_000;

/** A queued event; it is also the handle `setTimer` returns (`id` = its sequence number). */
interface Entry extends TimerHandle {
  readonly atMs: number;
  readonly seq: number;
  readonly id: number;
  callback: (() => void) | undefined;
  readonly owner: VirtualScheduler;
  /** Declared by `atSync`: the callback settles no promise and queues no microtask or tick. */
  readonly sync: boolean;
}

export class VirtualScheduler implements Clock, Scheduler {
  private readonly heap = new TimedHeap<Entry>();
  private live = 0;
  private seq = 0;
  private nowMs: number;
  private sameInstantEvents = 0;
  /** Events executed so far (the simulator's "simulated events"). */
  eventsRun = 0;

  constructor(startMs = 0) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    return this.schedule(delayMs, callback, false);
  }

  /** Schedules at an absolute virtual time (clamped to now). */
  at(atMs: number, callback: () => void): TimerHandle {
    return this.schedule(atMs - this.nowMs, callback, false);
  }

  /**
   * `setTimer` for a callback that is synchronous all the way down: it settles no promise and queues
   * no microtask or tick (it may set timers). When the queue holds no continuation before it, none
   * can be waiting after it either, so the run moves to the next instant without the microtask drain
   * every other event needs. Same order, same results; the simulator's storefront reveals and the
   * server half of its API calls are over half of its events. A callback that breaks the promise
   * would let a continuation run at a later virtual time than the event that caused it.
   */
  setSyncTimer(delayMs: number, callback: () => void): TimerHandle {
    return this.schedule(delayMs, callback, true);
  }

  /** `at` for a synchronous callback (see `setSyncTimer`). */
  atSync(atMs: number, callback: () => void): TimerHandle {
    return this.schedule(atMs - this.nowMs, callback, true);
  }

  private schedule(delayMs: number, callback: () => void, sync: boolean): TimerHandle {
    // NaN or Infinity would turn the clock itself into NaN for good.
    if (!Number.isFinite(delayMs)) throw new RangeError(`virtual scheduler: timer delay must be a finite number of ms, got ${delayMs}`);
    // Whole milliseconds: events carry integer times (order events require it) and ties batch.
    const seq = ++this.seq;
    const entry: Entry = { atMs: this.nowMs + Math.max(0, Math.round(delayMs)), seq, id: seq, callback, owner: this, sync };
    this.heap.push(entry);
    this.live += 1;
    return entry;
  }

  clearTimer(handle: TimerHandle): void {
    const entry = handle as Partial<Entry>;
    if (entry.owner === this && entry.callback !== undefined) {
      entry.callback = undefined;
      this.live -= 1;
    }
  }

  get pending(): number {
    return this.live;
  }

  get nextAtMs(): number | undefined {
    return this.heap.peek()?.atMs;
  }

  /**
   * Runs events in (atMs, seq) order until the queue is empty or the next event is after `untilMs`,
   * draining microtasks before time moves on (events at the same time form one batch, then one drain),
   * so promise continuations always observe the time of the event that resolved them.
   * Ends with the clock at `untilMs` when given. Bounded by `maxEvents`.
   *
   * Driven by callbacks, not `await`: each batch ends by queueing a microtask that queues the next batch
   * as a tick (Node runs ticks only once the microtask queue is empty), so every continuation the batch
   * started — chains included — runs first, as with awaiting a `process.nextTick` promise, without a
   * promise and an async resumption per instant (~50 M instants in black-friday-40).
   */
  runUntil(untilMs = Number.POSITIVE_INFINITY, maxEvents = Number.POSITIVE_INFINITY): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let budget = maxEvents;
      /** The queue looked exhausted (up to `untilMs`) and microtasks were drained once to make sure. */
      let drainedAtEnd = false;
      const afterDrain = () => process.nextTick(drained);
      const drainThenStep = () => queueMicrotask(afterDrain);
      /** No continuation can be queued: entered after a drain, and only synchronous events ran since. */
      let clean = false;
      const drained = () => {
        clean = true;
        step();
      };
      const step = (): void => {
        try {
          for (;;) {
            const next = this.heap.peek();
            if (next === undefined || next.atMs > untilMs) {
              // Continuations still queued may set timers before `untilMs` (a handler that catches an error
              // and sleeps): run those before the clock jumps, or they would fire later with time going back.
              if (!drainedAtEnd) {
                drainedAtEnd = true;
                drainThenStep();
                return;
              }
              if (Number.isFinite(untilMs) && untilMs > this.nowMs) this.nowMs = untilMs;
              resolve();
              return;
            }
            drainedAtEnd = false;
            if (budget-- <= 0) throw new Error(`virtual scheduler: event budget of ${maxEvents} exhausted at t=${this.nowMs} ms`);
            this.heap.pop();
            const callback = next.callback;
            if (callback === undefined) continue;
            next.callback = undefined;
            this.live -= 1;
            if (next.atMs === this.nowMs) {
              // Bound on work at one instant: a timer that re-arms itself with delay 0 would spin forever.
              if (++this.sameInstantEvents > MAX_EVENTS_PER_INSTANT) throw new InvariantError(`virtual scheduler: more than ${MAX_EVENTS_PER_INSTANT} events at t=${this.nowMs} ms (a zero-delay loop?)`);
            } else this.sameInstantEvents = 0;
            this.nowMs = next.atMs;
            this.eventsRun += 1;
            if (!next.sync) clean = false;
            callback();
            const following = this.heap.peek();
            if (following === undefined || following.atMs !== this.nowMs) {
              if (clean) continue;
              drainThenStep();
              return;
            }
          }
        } catch (error) {
          reject(error as Error);
        }
      };
      step();
    });
  }
}
