// Runs an async task every interval on the Scheduler port, never overlapping itself: the next run is
// scheduled only after the previous one settled, so a slow store or channel stretches the period
// instead of piling up runs.

import type { Scheduler, TimerHandle } from "@synclag/core";

export class PeriodicTask {
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(private readonly scheduler: Scheduler, private readonly intervalMs: number, private readonly task: () => Promise<unknown>) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.scheduler.clearTimer(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.scheduler.setTimer(this.intervalMs, () => {
      // Tasks count their own failures; one that still throws must not become an unhandled rejection
      // (Node exits on those) or stop the schedule.
      void this.task()
        .catch(() => undefined)
        .finally(() => this.schedule());
    });
  }
}
