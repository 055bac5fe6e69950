// Runs an async task every interval on the Scheduler port, never overlapping itself: the next run is
// scheduled only after the previous one settled, so a slow store or channel stretches the period
// instead of piling up runs. The first run may come sooner than the interval (`firstDelayMs`): the
// reconciler's first round after a start, which is the only thing that pushes the truth to a channel
// the previous process did not have.

import type { Scheduler, TimerHandle } from "@synclag/core";

export class PeriodicTask {
  private timer: TimerHandle | undefined;
  private stopped = false;

  /** `firstDelayMs`: delay of the first run after `start` (default: one interval); the later runs follow every interval. */
  constructor(private readonly scheduler: Scheduler, private readonly intervalMs: number, private readonly task: () => Promise<unknown>, private readonly firstDelayMs: number = intervalMs) {}

  start(): void {
    this.stopped = false;
    this.schedule(this.firstDelayMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.scheduler.clearTimer(this.timer);
    this.timer = undefined;
  }

  private schedule(delayMs: number = this.intervalMs): void {
    if (this.stopped) return;
    this.timer = this.scheduler.setTimer(delayMs, () => {
      // Tasks count their own failures; one that still throws must not become an unhandled rejection
      // (Node exits on those) or stop the schedule.
      void this.task()
        .catch(() => undefined)
        .finally(() => this.schedule());
    });
  }
}
