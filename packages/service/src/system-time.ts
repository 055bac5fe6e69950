// The Clock, Scheduler and Random ports on the real machine (the service and the runner; the
// simulator plugs virtual ones into the same engine). Easy to get wrong: a scheduled timer must not
// keep a stopping process alive forever — callers stop the engine, which clears its timers; nothing
// here is unref'd, so a leak shows up as a process that does not exit rather than as lost work.

import type { Clock, Random, Scheduler, TimerHandle } from "@synclag/core";

export const systemClock: Clock = { now: () => Date.now() };

export class SystemScheduler implements Scheduler {
  private nextId = 1;
  private readonly timers = new Map<number, NodeJS.Timeout>();

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const id = this.nextId++;
    const timer = setTimeout(() => {
      this.timers.delete(id);
      callback();
    }, Math.max(0, Math.min(2_147_483_647, delayMs)));
    this.timers.set(id, timer);
    return { id };
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
