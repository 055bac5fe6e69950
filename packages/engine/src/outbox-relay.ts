// No push is lost to a crash: the store writes push work to its outbox in the same atomic step as the
// stock change. On start the relay publishes every unacknowledged entry; while running it acknowledges
// entries once every channel has confirmed (or given up on) their versions. Easy to get wrong: ack
// only what is settled everywhere — acking on hand-over to the in-memory propagator would lose the
// push if the process died a moment later.

import type { Metrics, Scheduler, StockStore } from "@synclag/core";
import { PeriodicTask } from "./periodic-task.js";
import type { Propagator } from "./propagator.js";

export interface OutboxRelayOptions {
  readonly store: StockStore;
  readonly propagator: Propagator;
  readonly scheduler: Scheduler;
  readonly metrics: Metrics;
  /** Time between acknowledgement sweeps in ms. Default 5000. */
  readonly ackIntervalMs?: number;
  /** Entries examined per sweep (oldest first). Default 1000. */
  readonly batchSize?: number;
}

export class OutboxRelay {
  private readonly periodic: PeriodicTask;

  constructor(private readonly options: OutboxRelayOptions) {
    this.periodic = new PeriodicTask(options.scheduler, this.options.ackIntervalMs ?? 5000, () => this.sweep());
  }

  /** Replays every unacknowledged entry (the previous process may have died before pushing it). */
  async replay(): Promise<number> {
    let replayed = 0;
    for (const entry of await this.options.store.readOutbox(100_000)) {
      for (const change of entry.changes) this.options.propagator.publish(change.sku, change);
      replayed += 1;
    }
    if (replayed > 0) this.options.metrics.increment("outbox_replayed_total", undefined, replayed);
    return replayed;
  }

  start(): void {
    this.periodic.start();
  }

  stop(): void {
    this.periodic.stop();
  }

  /** Acknowledges settled entries; returns how many. */
  async sweep(): Promise<number> {
    try {
      const entries = await this.options.store.readOutbox(this.options.batchSize ?? 1000);
      // Oldest first: behind a run of unsettled entries (a backlogged channel) the rest are almost
      // surely unsettled too, so stop looking there instead of checking every channel for each.
      const settled = [];
      let unsettledRun = 0;
      for (const entry of entries) {
        if (entry.changes.every((change) => this.options.propagator.isSettled(change.sku, change.version))) {
          settled.push(entry);
          unsettledRun = 0;
        } else if (++unsettledRun >= 50) break;
      }
      if (settled.length > 0) await this.options.store.ackOutbox(settled.map((entry) => entry.id));
      return settled.length;
    } catch {
      this.options.metrics.increment("outbox_errors_total");
      return 0;
    }
  }
}
