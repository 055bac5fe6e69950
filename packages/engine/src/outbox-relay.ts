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
  /** Reads one sweep makes at most while full reads keep acknowledging. Default 100. */
  readonly maxReadsPerSweep?: number;
  /** Entries `replay` reads; a longer outbox is replayed from the store's current levels. Default 100 000. */
  readonly replayReadLimit?: number;
}

export class OutboxRelay {
  private readonly periodic: PeriodicTask;

  constructor(private readonly options: OutboxRelayOptions) {
    this.periodic = new PeriodicTask(options.scheduler, this.options.ackIntervalMs ?? 5000, () => this.sweep());
  }

  /**
   * Replays every unacknowledged entry (the previous process may have died before pushing it). An
   * outbox longer than one read (`replayReadLimit`) may hold a SKU's newest change beyond it, so then
   * the store's current level of every SKU is published too: pushes are absolute, the latest truth
   * stands in for every change before it, and the entries beyond settle as the channels confirm it.
   */
  async replay(): Promise<number> {
    const limit = this.options.replayReadLimit ?? 100_000;
    const entries = await this.options.store.readOutbox(limit);
    for (const entry of entries) for (const change of entry.changes) this.options.propagator.publish(change.sku, change);
    if (entries.length >= limit) for (const [sku, level] of await this.options.store.snapshot()) this.options.propagator.publish(sku, level);
    if (entries.length > 0) this.options.metrics.increment("outbox_replayed_total", undefined, entries.length);
    return entries.length;
  }

  start(): void {
    this.periodic.start();
  }

  stop(): void {
    this.periodic.stop();
  }

  /**
   * Acknowledges settled entries; returns how many. Reads again while a full read acknowledged
   * something (up to `maxReadsPerSweep`): one read per sweep caps acking at batchSize per interval
   * (1000 per 5 s = 200 orders/s), and above that the outbox would grow without bound.
   */
  async sweep(): Promise<number> {
    const batch = this.options.batchSize ?? 1000;
    let acked = 0;
    for (let read = 0; read < (this.options.maxReadsPerSweep ?? 100); read++) {
      const { settled, full } = await this.sweepOnce(batch);
      acked += settled;
      if (settled === 0 || !full) break;
    }
    return acked;
  }

  private async sweepOnce(batch: number): Promise<{ settled: number; full: boolean }> {
    try {
      const entries = await this.options.store.readOutbox(batch);
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
      return { settled: settled.length, full: entries.length >= batch };
    } catch {
      this.options.metrics.increment("outbox_errors_total");
      return { settled: 0, full: false };
    }
  }
}
