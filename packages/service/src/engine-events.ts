// Log lines for engine events that otherwise only show as counters, read off the engine's Metrics port
// (the engine itself does not log): a channel going down (its first whole-call failure,
// `channel_failures_total`) and coming back (its next confirmed update, `pushes_total`), and the outbox
// entries replayed at start (`outbox_replayed_total`, counted for one info line after `engine.start()`).
// Easy to get wrong: this sits on the hot path (~15 metric calls per order), so it forwards first and
// only compares names; and a failing channel fails every call until it heals — one warning per outage,
// not one per call.

import type { ChannelId, Labels, Metrics } from "@synclag/core";
import type { Logger } from "pino";

interface Outage {
  readonly sinceMs: number;
  failedCalls: number;
}

export class EngineEventLog implements Metrics {
  private readonly down = new Map<ChannelId, Outage>();
  private replayed = 0;

  constructor(
    private readonly inner: Metrics,
    private readonly logger: Logger,
    private readonly now: () => number = () => Date.now(),
  ) {}

  increment(name: string, labels?: Labels, by?: number): void {
    this.inner.increment(name, labels, by);
    if (name === "channel_failures_total") this.onChannelFailure(labels?.channel ?? "");
    else if (name === "pushes_total") {
      if (this.down.size > 0) this.onConfirmed(labels?.channel ?? "");
    } else if (name === "outbox_replayed_total") this.replayed += by ?? 1;
  }

  observe(name: string, value: number, labels?: Labels): void {
    this.inner.observe(name, value, labels);
  }

  gauge(name: string, value: number, labels?: Labels): void {
    this.inner.gauge(name, value, labels);
  }

  /** Outbox entries replayed so far (the engine replays them in `start()`). */
  get outboxReplayed(): number {
    return this.replayed;
  }

  /** Channels currently failing whole calls. */
  get channelsDown(): readonly ChannelId[] {
    return [...this.down.keys()];
  }

  private onChannelFailure(channel: ChannelId): void {
    const outage = this.down.get(channel);
    if (outage) {
      outage.failedCalls += 1;
      return;
    }
    this.down.set(channel, { sinceMs: this.now(), failedCalls: 1 });
    this.logger.warn({ channel }, "channel down: its update calls fail as a whole (outage, 5xx, timeout, connection); updates stay queued and are retried with backoff");
  }

  private onConfirmed(channel: ChannelId): void {
    const outage = this.down.get(channel);
    if (!outage) return;
    this.down.delete(channel);
    this.logger.info({ channel, downForMs: this.now() - outage.sinceMs, failedCalls: outage.failedCalls }, "channel recovered: it confirms updates again");
  }
}
