// The Clock, Scheduler and Random ports on the real machine (the service and the runner; the
// simulator plugs virtual ones into the same engine). Easy to get wrong: a scheduled timer must not
// keep a stopping process alive forever — callers stop the engine, which clears its timers; nothing
// here is unref'd, so a leak shows up as a process that does not exit rather than as lost work. And
// setTimeout takes at most 2^31−1 ms (24.86 days): a longer delay (`--strategy polling:30d`, a long
// `--reconcile-interval`) is chained in steps of at most that, or it would fire early.

import type { Clock, Random, Scheduler, TimerHandle } from "@synclag/core";

export const systemClock: Clock = { now: () => Date.now() };

/** The longest delay setTimeout honours; a longer one fires after 1 ms (Node's TimeoutOverflowWarning). */
const MAX_TIMEOUT_MS = 2_147_483_647;

export class SystemScheduler implements Scheduler {
  private nextId = 1;
  /** The pending timer of each handle: for a chained delay, its current step. */
  private readonly timers = new Map<number, NodeJS.Timeout>();

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const id = this.nextId++;
    this.arm(id, delayMs > 0 ? delayMs : 0, callback);
    return { id };
  }

  private arm(id: number, remainingMs: number, callback: () => void): void {
    const stepMs = Math.min(MAX_TIMEOUT_MS, remainingMs);
    const timer = setTimeout(() => {
      if (remainingMs > stepMs) {
        this.arm(id, remainingMs - stepMs, callback);
        return;
      }
      this.timers.delete(id);
      callback();
    }, stepMs);
    this.timers.set(id, timer);
  }

  clearTimer(handle: TimerHandle): void {
    const timer = this.timers.get(handle.id);
    if (timer) clearTimeout(timer);
    this.timers.delete(handle.id);
  }

  /** Timers still pending (for shutdown diagnostics). */
  get pending(): number {
    return this.timers.size;
  }

  /** Cancels every pending timer (last step of a shutdown). */
  clearAll(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}

/** Jitter only: real runs are not replayable, so the platform generator is fine here. */
export const systemRandom: Random = { next: () => Math.random() };
