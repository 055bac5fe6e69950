// The safety net: periodically read what each channel lists and repair drift (webhooks get lost;
// Shopify and Amazon both say so). Easy to get wrong: a channel that shows *less* than the truth may
// simply have sold an item whose order notification is still on its way — "repairing" that upward
// would create an oversell. So a channel showing more than the truth is repaired at once; one showing
// less only when the same gap is still there on the next round. Only idle pairs are judged, and only
// against a truth the channel was confirmed at (or whose push was given up): a newer level is still on
// its way — the propagator's to push under events, the next poll's under polling — and judging it would
// count ordinary lag as drift and, under polling, push between ticks (a sale applied while a round reads
// an Amazon catalogue page by page, 20 SKUs a call, would otherwise make every listing look "shown high").
// A channel whose reads are throttled part-way (Shopify bills reads from the bucket its updates draw on:
// a 5,000-SKU catalogue costs five times the bucket) is read from where the throttle stopped it on the
// next round, so every SKU gets read in turn; the low gaps seen in a round cut short are read first in
// the next one, so they are confirmed (or cleared) one interval later all the same. Starting
// each round at the first SKU, the SKUs past the throttle point were never read, their drift never repaired.
// Better still, a read a channel bills from its updates' budget (`ChannelClient.readBudgetCost`: Shopify)
// is reserved from the propagator's token bucket first and waits for it: reading as fast as the channel
// answered drained the bucket, and the updates after it were throttled — every round, self-inflicted.

import { listedQuantity, type ChannelClient, type Clock, type ChannelId, type ChannelPolicy, type Metrics, type Scheduler, type Sku, type StockStore, type TimerHandle } from "@synclag/core";
import { PeriodicTask } from "./periodic-task.js";
import type { Propagator } from "./propagator.js";

/** `reconcile_errors_total{channel}` of a round the store's failure cut short. */
const STORE_LABEL = "(store)";

export interface ReconcilerOptions {
  readonly store: StockStore;
  readonly propagator: Propagator;
  readonly channels: readonly { readonly client: ChannelClient; readonly policy?: ChannelPolicy }[];
  readonly scheduler: Scheduler;
  readonly clock: Clock;
  readonly metrics: Metrics;
  /** Time between rounds in ms. Default 15 min. */
  readonly intervalMs?: number;
  /**
   * Delay of the first round on the reconciler's own timer (`start`), in ms. Default: one interval.
   * After a restart nothing else pushes the truth to a listing no order touches (a channel the previous
   * process did not have keeps its old quantities until this round).
   */
  readonly firstRoundAfterMs?: number;
  /** SKUs per read call. Default 100. */
  readonly readBatchSize?: number;
}

export class Reconciler {
  private readonly periodic: PeriodicTask;
  private running = false;
  /** Low gaps seen in the last round: channel → SKU → (shown, version). */
  private suspectedLow = new Map<ChannelId, Map<Sku, string>>();
  /** Pairs whose store level was newer than what the channel took, at that version, when last read: channel → SKU → version. */
  private newerSeen = new Map<ChannelId, Map<Sku, number>>();
  /** Per channel: where in the catalogue the next round starts reading (a throttle stopped the last one there). */
  private readonly resumeAt = new Map<ChannelId, number>();
  /** Channels whose last pass a throttle cut short: their low gaps of that round are read first in the next. */
  private readonly cutShort = new Set<ChannelId>();
  /** Per channel: SKUs a throttle kept from being read first last round, read first in the next (found by review). */
  private readonly readFirst = new Map<ChannelId, Sku[]>();

  /** When the last round began (`roundIfDue` counts the interval from it; from construction at first). */
  private lastRoundAtMs: number;
  /** Set by `stop`: a round waiting for a channel's budget ends instead of reading on. */
  private stopped = false;
  /** The wait for a channel's budget in progress (`stop` cuts it short). */
  private napping: { readonly timer: TimerHandle; readonly wake: () => void } | undefined;

  constructor(private readonly options: ReconcilerOptions) {
    const intervalMs = this.options.intervalMs ?? 900_000;
    this.periodic = new PeriodicTask(options.scheduler, intervalMs, () => this.round(), options.firstRoundAfterMs ?? intervalMs);
    this.lastRoundAtMs = options.clock.now();
  }

  /** Rounds on the reconciler's own timer (the events strategy). */
  start(): void {
    this.stopped = false;
    this.periodic.start();
  }

  /**
   * A round if the interval has passed since the last one began, for a caller that owns the timing:
   * under polling, repairs ride on the poll's tick, so nothing is pushed between polls (a reconciler
   * on its own timer would be a second, hidden sync that made polling look faster than it is).
   * `atMs` is the caller's tick (default: now). Rounds are stamped with it, not with the moment the
   * caller got round to asking: a poll whose snapshot took 5 ms, then one that took 3 ms, would
   * otherwise find the interval 2 ms short and skip every other round.
   */
  roundIfDue(atMs: number = this.options.clock.now()): Promise<number> {
    // A tick before the last round (the wall clock was stepped back: NTP, a VM resumed) is due too, or
    // rounds would stop for as long as the step.
    if (atMs >= this.lastRoundAtMs && atMs - this.lastRoundAtMs < (this.options.intervalMs ?? 900_000)) return Promise.resolve(0);
    return this.run(atMs, true);
  }

  stop(): void {
    this.stopped = true;
    this.periodic.stop();
    this.napping?.wake();
  }

  /** Waits `ms` on the scheduler; false when `stop` came first (or had come). */
  private nap(ms: number): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = this.options.scheduler.setTimer(ms, () => {
        this.napping = undefined;
        resolve(!this.stopped);
      });
      this.napping = {
        timer,
        wake: () => {
          this.options.scheduler.clearTimer(timer);
          this.napping = undefined;
          resolve(false);
        },
      };
    });
  }

  /** One pass over every channel; returns the number of repairs started. `startedAtMs`: the tick it counts from (default now). */
  round(startedAtMs: number = this.options.clock.now()): Promise<number> {
    return this.run(startedAtMs, false);
  }

  /**
   * `onPoll`: the round rides on a poll, which has just handed every SKU it read to the propagator; a
   * pair this process holds no version of yet is then the next poll's (a SKU created since), not drift.
   * On the reconciler's own timer such a pair is judged: after a restart the propagator knows nothing,
   * and what the channels list must still be checked.
   */
  private async run(startedAtMs: number, onPoll: boolean): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    this.lastRoundAtMs = startedAtMs;
    let repairs = 0;
    const nextSuspected = new Map<ChannelId, Map<Sku, string>>();
    // A newer level seen is kept until the pair is read again (this round, or a later one when a throttle
    // stops this one first): the same version still not handed over then is judged.
    const nextNewer = new Map([...this.newerSeen].map(([channel, pairs]) => [channel, new Map(pairs)]));
    try {
      const truth = await this.options.store.snapshot();
      const skus = [...truth.keys()];
      const batch = this.options.readBatchSize ?? 100;
      channels: for (const { client, policy } of this.options.channels) {
        const suspected = new Map<Sku, string>();
        nextSuspected.set(client.channel, suspected);
        const newer = nextNewer.get(client.channel) ?? new Map<Sku, number>();
        nextNewer.set(client.channel, newer);
        const lastSuspected = this.suspectedLow.get(client.channel);
        const lastNewer = this.newerSeen.get(client.channel);
        // After a pass cut short, the low gaps it saw first: the rest of the pass may not reach them, and a
        // gap is confirmed only by the next round's read (one interval later, as designed) — never matched
        // rounds later by a new gap of the same size (a sale still on its way, repaired upward into an
        // oversell: found by review). Then from where the last throttle stopped to the end, and from the
        // start up to there. (After a whole pass every SKU is read in this one anyway: no extra call.)
        // A throttle that hit those first reads keeps the rest for the round after: read first then too, they
        // can only be suspected again there (their sighting is two rounds old), not confirmed.
        const afterCutShort = this.cutShort.delete(client.channel);
        const carried = this.readFirst.get(client.channel) ?? [];
        this.readFirst.delete(client.channel);
        const again = [...new Set([...(afterCutShort && lastSuspected !== undefined ? lastSuspected.keys() : []), ...carried])].filter((sku) => truth.has(sku));
        const origin = (this.resumeAt.get(client.channel) ?? 0) < skus.length ? (this.resumeAt.get(client.channel) ?? 0) : 0;
        for (let done = -again.length; done < skus.length; ) {
          const first = done < 0;
          const start = first ? again.length + done : (origin + done) % skus.length;
          const slice = first ? again.slice(start, start + batch) : skus.slice(start, Math.min(start + batch, start < origin ? origin : skus.length));
          done = first ? Math.min(0, done + slice.length) : done + slice.length;
          // Billed from the updates' budget (Shopify): reserved there first, and waited for.
          const cost = client.readBudgetCost?.(slice.length) ?? 0;
          if (cost > 0) {
            const waitMs = this.options.propagator.reserveBudget(client.channel, cost);
            if (waitMs > 0 && !(await this.nap(waitMs))) break channels;
          }
          const versions = this.options.propagator.confirmedVersionsIfIdle(client.channel, slice);
          let shown: Map<Sku, number>;
          try {
            shown = await client.readQuantities(slice);
          } catch (error) {
            this.options.metrics.increment("reconcile_errors_total", { channel: client.channel });
            // Throttled: more reads now would only be throttled too and take the updates' budget
            // (Shopify bills reads from the same bucket); the next round starts with this slice.
            if ((error as { reason?: unknown } | null)?.reason === "rate_limited") {
              if (first) this.readFirst.set(client.channel, again.slice(start));
              else this.resumeAt.set(client.channel, start);
              this.cutShort.add(client.channel);
              break;
            }
            continue;
          }
          this.options.metrics.increment("reconcile_reads_total", { channel: client.channel });
          if (newer.size > 0) for (const sku of slice) newer.delete(sku);
          const current = await this.options.store.snapshot(slice);
          // Only pairs idle before the read and after it, with no confirmation in between, are judged.
          const now = this.options.propagator.confirmedVersionsIfIdle(client.channel, slice);
          for (const [index, sku] of slice.entries()) {
            const version = now[index];
            if (version === null || versions[index] === null || version !== versions[index]) continue;
            const level = current.get(sku);
            const listed = shown.get(sku);
            if (!level || listed === undefined) continue;
            // The newest version this channel took or gave up on (the pair is idle: nothing newer was handed
            // to it). A level beyond it is still on its way — not drift, and not this round's to push.
            const known = Math.max(version ?? 0, this.options.propagator.abandonedVersion(client.channel, sku));
            if (known === 0 ? onPoll : level.version > known) {
              // Under polling the next poll pushes it. Under events it is normally a push about to start —
              // but if the same version is still not handed to this channel a round later, nothing in this
              // process will push it (an instance that stopped before its push landed, a store call whose
              // outcome was unknown but landed): then it is judged like any other listing.
              if (onPoll || known === 0) continue;
              if (lastNewer?.get(sku) !== level.version) {
                newer.set(sku, level.version);
                continue;
              }
            }
            const expected = listedQuantity(level.quantity, policy);
            if (listed === expected) {
              // Right quantity, old version: a push was given up and the channel's policy lists the same
              // quantity for the old and the new truth (maxListed, allocation). Nothing is wrong on the
              // shelf, but the channel never took the newer version — re-send it (one call, after a
              // give-up only), so its version and everything measured by it catch up.
              const confirmed = version ?? 0;
              if (level.version > confirmed && this.options.propagator.abandonedVersion(client.channel, sku) > confirmed) {
                this.options.metrics.increment("reconcile_version_repairs_total", { channel: client.channel });
                this.options.propagator.publish(sku, level, { force: true, channels: [client.channel] as ChannelId[], shown: listed });
                repairs += 1;
              }
              continue;
            }
            const signature = `${listed}@${level.version}`;
            if (listed < expected && lastSuspected?.get(sku) !== signature) {
              suspected.set(sku, signature);
              continue;
            }
            this.options.metrics.increment("drift_repaired_total", { channel: client.channel, direction: listed > expected ? "high" : "low" });
            this.options.propagator.publish(sku, level, { force: true, channels: [client.channel] as ChannelId[], shown: listed });
            repairs += 1;
          }
        }
      }
    } catch {
      // The store failed (Redis restarting): this round ends here and the next one starts afresh. Thrown
      // from a timer, the rejection would take the whole engine down.
      this.options.metrics.increment("reconcile_errors_total", { channel: STORE_LABEL });
    } finally {
      this.suspectedLow = nextSuspected;
      this.newerSeen = nextNewer;
      this.running = false;
    }
    return repairs;
  }
}
