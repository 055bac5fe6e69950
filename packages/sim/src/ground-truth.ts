// Ground truth, measured from the marketplace side — never from the engine's self-report:
// - sync lag of (order, channel): order confirmed at its source → that channel *shows buyers* a
//   version ≥ the order's version; accepted lag: → the channel's API accepted such a version;
// - time to visible everywhere of an order: the maximum, over the channels that owe it, of its sync
//   lag — one sample per order, recorded when its last owing channel shows it;
// - stale exposure: share of time (× SKUs) a channel shows a quantity other than its policy's
//   quantity for the true stock;
// - a timeline of the most popular SKU (truth vs each channel's shown stock) for the report, each
//   series bounded (thinned past 20,000 steps, never cut short: its last step is always kept).
// Easy to get wrong: versions per SKU grow with every change, so "version ≥ the order's" resolves all
// older orders at once when a channel skips to a newer version (coalescing) — that is correct lag.

import { InvariantError, listedQuantity, type ChannelPolicy, type Sku } from "@synclag/core";
import type { VisibilityChange } from "@synclag/marketplaces";
import { Histogram } from "@synclag/metrics";

/**
 * The applied orders of one SKU in version order, shared by every channel: each channel keeps a cursor
 * into it (one for visible, one for accepted), so an order costs five appends, not two per channel.
 * The arrays are parallel: index k of each describes the same order.
 */
interface SkuLog {
  versions: number[];
  confirmedAt: number[];
  /** Source channel index of each order (it owes itself nothing); -1 = unknown, every channel owes it. */
  sources: number[];
  /** Channels that have not yet shown each order (version ≥ its version); 0 = visible everywhere. */
  owing: number[];
  /** Latest time a channel showed each order so far (starts at its confirmation). */
  shownAt: number[];
  /** Absolute index of `versions[0]` (entries every cursor has passed are dropped). */
  base: number;
  /** Length at which to try dropping passed entries again. */
  compactAt: number;
}

export interface TimelineSeries {
  readonly sku: Sku;
  readonly truth: Array<[number, number]>;
  readonly channels: Record<string, Array<[number, number]>>;
  /** Present (true) when some series had more than TIMELINE_LIMIT steps and was thinned (see `StepSeries`). */
  readonly downsampled?: true;
}

/** Most steps a timeline series keeps (the report draws it a few hundred pixels wide). */
export const TIMELINE_LIMIT = 20_000;

/**
 * One step series of the timeline, bounded without losing its end: up to TIMELINE_LIMIT steps it holds
 * every one; past it, it keeps every 2nd step (of all pushed), then every 4th, … — whichever stride
 * fits — and always the last step pushed, so the series reaches the end of the run and ends at the
 * final quantity. Deterministic: which steps are kept depends on their count only. A series that never
 * exceeds the limit is exactly what was pushed.
 */
class StepSeries {
  readonly kept: Array<[number, number]> = [];
  private pushed = 0;
  private stride = 1;
  /** The last step pushed when it is not among `kept`. */
  private last: [number, number] | undefined;

  push(atMs: number, quantity: number): void {
    const index = this.pushed++;
    const step: [number, number] = [atMs, quantity];
    if (index % this.stride === 0 && this.kept.length >= TIMELINE_LIMIT) {
      // Full: keep every other step of those kept (indices 0, 2·stride, 4·stride, … of all pushed).
      let write = 0;
      for (let read = 0; read < this.kept.length; read += 2) this.kept[write++] = this.kept[read] as [number, number];
      this.kept.length = write;
      this.stride *= 2;
    }
    if (index % this.stride === 0) {
      this.kept.push(step);
      this.last = undefined;
    } else this.last = step;
  }

  get thinned(): boolean {
    return this.stride > 1;
  }

  /** The kept steps and, when it was not kept, the last one. */
  steps(): Array<[number, number]> {
    return this.last === undefined ? this.kept : [...this.kept, this.last];
  }
}

export class GroundTruth {
  readonly channelSyncLag: Histogram[];
  readonly channelAcceptedLag: Histogram[];
  /**
   * Per applied order: confirmed → the last channel that owed it shows a version ≥ the order's (the
   * maximum of its sync lags). An order no channel owes (a single channel, its own source) has no sample.
   */
  readonly visibleEverywhere = new Histogram();
  private readonly skuIndex = new Map<Sku, number>();
  private readonly channelIndex = new Map<string, number>();
  private readonly logs: Array<SkuLog | undefined>;
  /** Absolute log index per (channel, SKU): Int32 (orders of one SKU stay far below 2³¹), half the cache footprint. */
  private readonly visibleCursor: Int32Array;
  private readonly acceptedCursor: Int32Array;
  private readonly truth: Int32Array;
  private readonly shown: Float64Array;
  private readonly mismatchSince: Float64Array;
  private readonly staleMs: Float64Array;
  /** (order, channel) pairs not yet visible, and pairs shown ≠ expected: kept as counts so "settled?" is O(1). */
  private pendingVisible = 0;
  /** Applied orders some owing channel does not show yet (not in `visibleEverywhere`). */
  private pendingEverywhere = 0;
  private mismatched = 0;
  private readonly timelineSku: Sku;
  private readonly timelineTruth = new StepSeries();
  private readonly timelineChannelSeries: StepSeries[];

  constructor(
    private readonly channels: readonly { readonly id: string; readonly policy?: ChannelPolicy }[],
    private readonly skus: readonly Sku[],
    private readonly startMs: number,
    private readonly endMs: number,
  ) {
    channels.forEach((c, i) => this.channelIndex.set(c.id, i));
    skus.forEach((s, i) => this.skuIndex.set(s, i));
    const pairs = channels.length * skus.length;
    this.logs = new Array(skus.length);
    this.visibleCursor = new Int32Array(pairs);
    this.acceptedCursor = new Int32Array(pairs);
    this.truth = new Int32Array(skus.length);
    this.shown = new Float64Array(pairs);
    this.mismatchSince = new Float64Array(pairs).fill(-1);
    this.staleMs = new Float64Array(channels.length);
    this.channelSyncLag = channels.map(() => new Histogram());
    this.channelAcceptedLag = channels.map(() => new Histogram());
    this.timelineSku = skus[0] ?? "";
    this.timelineChannelSeries = channels.map(() => new StepSeries());
  }

  /**
   * The most popular SKU's truth and each channel's shown quantity as `[msFromStart, quantity]` steps,
   * each series bounded by TIMELINE_LIMIT (thinned, its last step kept: see `StepSeries`).
   */
  get timeline(): TimelineSeries {
    const series = [this.timelineTruth, ...this.timelineChannelSeries];
    return {
      sku: this.timelineSku,
      truth: this.timelineTruth.steps(),
      channels: Object.fromEntries(this.channels.map((c, i) => [c.id, (this.timelineChannelSeries[i] as StepSeries).steps()])),
      ...(series.some((s) => s.thinned) ? { downsampled: true as const } : {}),
    };
  }

  /** Sync lag over every channel (merged from the per-channel histograms: each sample is recorded once). */
  get syncLag(): Histogram {
    return merged(this.channelSyncLag);
  }

  /** Accepted lag over every channel. */
  get acceptedLag(): Histogram {
    return merged(this.channelAcceptedLag);
  }

  /** Applied orders that some channel owing them had not shown (version ≥ the order's) by now: not in `visibleEverywhere`. */
  get ordersNotVisibleEverywhere(): number {
    return this.pendingEverywhere;
  }

  /** Initial state: truth and every channel's listing, all in sync. */
  seed(sku: Sku, quantity: number, shownByChannel: readonly number[]): void {
    const s = this.sku(sku);
    this.truth[s] = quantity;
    shownByChannel.forEach((shown, c) => (this.shown[this.pairIndex(c, s)] = shown));
    if (s === 0) {
      this.timelineTruth.push(0, quantity);
      shownByChannel.forEach((shown, c) => this.timelineChannelSeries[c]?.push(0, shown));
    }
    for (let c = 0; c < this.channels.length; c++) this.compare(c, s, this.startMs);
  }

  /** The true stock of `sku` changed (an applied order, a restock). */
  truthChanged(sku: Sku, quantity: number, atMs: number): void {
    const s = this.sku(sku);
    this.truth[s] = quantity;
    if (s === 0) this.timelineTruth.push(atMs - this.startMs, quantity);
    for (let c = 0; c < this.channels.length; c++) this.compare(c, s, atMs);
  }

  /** A channel's shown quantity changed (an update became visible, or a buyer bought). */
  shownChanged(channel: string, sku: Sku, quantity: number, atMs: number): void {
    this.setShown(this.channel(channel), this.sku(sku), quantity, atMs);
  }

  private setShown(c: number, s: number, quantity: number, atMs: number): void {
    this.shown[this.pairIndex(c, s)] = quantity;
    if (s === 0) (this.timelineChannelSeries[c] as StepSeries).push(atMs - this.startMs, quantity);
    this.compare(c, s, atMs);
  }

  /** An order was applied at `version` of `sku`: every channel but the source owes it. */
  orderApplied(sourceChannel: string, sku: Sku, version: number, confirmedAtMs: number): void {
    const s = this.sku(sku);
    const source = this.channelIndex.get(sourceChannel) ?? -1;
    const log = (this.logs[s] ??= { versions: [], confirmedAt: [], sources: [], owing: [], shownAt: [], base: 0, compactAt: 1024 });
    const last = log.versions[log.versions.length - 1];
    if (last !== undefined && version <= last) throw new InvariantError(`orders of ${sku} applied out of version order (${version} after ${last})`);
    log.versions.push(version);
    log.confirmedAt.push(confirmedAtMs);
    log.sources.push(source);
    const owing = source < 0 ? this.channels.length : this.channels.length - 1;
    log.owing.push(owing);
    log.shownAt.push(confirmedAtMs);
    this.pendingVisible += owing;
    if (owing > 0) this.pendingEverywhere += 1;
    if (log.versions.length >= log.compactAt) this.compact(s, log);
  }

  onVisible(change: VisibilityChange): void {
    this.visibleAt(this.channel(change.channel), this.sku(change.sku), change.version, change.quantity, change.atMs);
  }

  onAccepted(change: VisibilityChange): void {
    this.acceptedAt(this.channel(change.channel), this.sku(change.sku), change.version, change.atMs);
  }

  /** `onVisible` by index (`channelIndexOf`, `skuIndexOf`): the simulator's per-update path skips two lookups. */
  visibleAt(c: number, s: number, version: number, quantity: number, atMs: number): void {
    this.pendingVisible -= this.resolve(this.visibleCursor, c, s, version, atMs, this.channelSyncLag[c] as Histogram, true);
    this.setShown(c, s, quantity, atMs);
  }

  /** `onAccepted` by index. */
  acceptedAt(c: number, s: number, version: number, atMs: number): void {
    this.resolve(this.acceptedCursor, c, s, version, atMs, this.channelAcceptedLag[c] as Histogram, false);
  }

  /** Index of a channel (its position in the constructor's list). */
  channelIndexOf(id: string): number {
    return this.channel(id);
  }

  /** Index of a SKU (its position in the constructor's list). */
  skuIndexOf(sku: Sku): number {
    return this.sku(sku);
  }

  /** True when every owed (order, channel) pair became visible and every channel shows its policy quantity of the truth. */
  get settled(): boolean {
    return this.pendingVisible === 0 && this.mismatched === 0;
  }

  /** (order, channel) pairs still waiting to become visible, per channel. */
  unresolved(): number[] {
    return this.channels.map((_, c) => {
      let count = 0;
      for (let s = 0; s < this.skus.length; s++) {
        const log = this.logs[s];
        if (!log) continue;
        for (let k = (this.visibleCursor[this.pairIndex(c, s)] as number) - log.base; k < log.versions.length; k++) if (log.sources[k] !== c) count += 1;
      }
      return count;
    });
  }

  /** Pairs whose shown quantity differs from the policy quantity of the truth right now. */
  mismatches(): Array<{ channel: string; sku: Sku; shown: number; expected: number }> {
    const result: Array<{ channel: string; sku: Sku; shown: number; expected: number }> = [];
    this.channels.forEach((channel, c) => {
      this.skus.forEach((sku, s) => {
        const shown = this.shown[this.pairIndex(c, s)] as number;
        const expected = listedQuantity(this.truth[s] as number, channel.policy);
        if (shown !== expected) result.push({ channel: channel.id, sku, shown, expected });
      });
    });
    return result;
  }

  /** Stale exposure per channel over [start, end]: stale SKU-time / (SKUs × duration). */
  staleExposure(): number[] {
    const span = (this.endMs - this.startMs) * this.skus.length;
    return this.channels.map((_, c) => {
      let stale = this.staleMs[c] as number;
      for (let s = 0; s < this.skus.length; s++) {
        const since = this.mismatchSince[this.pairIndex(c, s)] as number;
        if (since >= 0) stale += Math.max(0, this.endMs - Math.min(since, this.endMs));
      }
      return span > 0 ? stale / span : 0;
    });
  }

  private compare(c: number, s: number, atMs: number): void {
    const index = this.pairIndex(c, s);
    const channel = this.channels[c] as { policy?: ChannelPolicy };
    const matched = this.shown[index] === listedQuantity(this.truth[s] as number, channel.policy);
    const since = this.mismatchSince[index] as number;
    if (matched && since >= 0) {
      this.staleMs[c] = (this.staleMs[c] as number) + Math.max(0, Math.min(atMs, this.endMs) - Math.min(since, this.endMs));
      this.mismatchSince[index] = -1;
      this.mismatched -= 1;
    } else if (!matched && since < 0) {
      this.mismatchSince[index] = atMs;
      this.mismatched += 1;
    }
  }

  /**
   * Records the lag of every order of SKU `s` up to `version` that channel `c` owed; returns how many.
   * `visible`: these orders are now shown by `c`, so it no longer owes them — when the last one does,
   * the order is visible everywhere, at the latest of their times (not necessarily this call's: the
   * simulator's marketplaces may report a reveal after a later one of another channel). The hottest
   * loop of the simulator: per pair one max and one decrement on the log's arrays, no allocation.
   */
  private resolve(cursors: Int32Array, c: number, s: number, version: number, atMs: number, histogram: Histogram, visible: boolean): number {
    const log = this.logs[s];
    if (!log) return 0;
    const index = this.pairIndex(c, s);
    const { versions, confirmedAt, sources, owing, shownAt, base } = log;
    let k = (cursors[index] as number) - base;
    let resolved = 0;
    for (; k < versions.length && (versions[k] as number) <= version; k++) {
      if (sources[k] === c) continue;
      const lag = atMs - (confirmedAt[k] as number);
      if (!(lag >= 0)) throw new InvariantError(`negative sync lag ${lag} ms (version ${version})`);
      histogram.record(lag);
      resolved += 1;
      if (visible) {
        if (atMs > (shownAt[k] as number)) shownAt[k] = atMs;
        if (--(owing[k] as number) === 0) {
          this.visibleEverywhere.record((shownAt[k] as number) - (confirmedAt[k] as number));
          this.pendingEverywhere -= 1;
        }
      }
    }
    cursors[index] = k + base;
    return resolved;
  }

  /** Drops the log entries every channel's cursors have passed. */
  private compact(s: number, log: SkuLog): void {
    let passed = Number.POSITIVE_INFINITY;
    for (let c = 0; c < this.channels.length; c++) {
      const index = this.pairIndex(c, s);
      passed = Math.min(passed, this.visibleCursor[index] as number, this.acceptedCursor[index] as number);
    }
    const drop = passed - log.base;
    if (drop > 0) {
      log.versions.splice(0, drop);
      log.confirmedAt.splice(0, drop);
      log.sources.splice(0, drop);
      log.owing.splice(0, drop); // every visible cursor passed these: all 0
      log.shownAt.splice(0, drop);
      log.base = passed;
    }
    log.compactAt = Math.max(1024, log.versions.length * 2);
  }

  /**
   * Per-(channel, SKU) arrays are SKU-major: an order's update reaches every channel's listing of one
   * SKU at about the same time, so its 40 cursors share two cache lines instead of touching 40.
   */
  private pairIndex(c: number, s: number): number {
    return s * this.channels.length + c;
  }

  private sku(sku: Sku): number {
    const s = this.skuIndex.get(sku);
    if (s === undefined) throw new InvariantError(`unknown SKU ${sku}`);
    return s;
  }

  private channel(id: string): number {
    const c = this.channelIndex.get(id);
    if (c === undefined) throw new InvariantError(`unknown channel ${id}`);
    return c;
  }
}

function merged(histograms: readonly Histogram[]): Histogram {
  const total = new Histogram();
  for (const histogram of histograms) total.merge(histogram);
  return total;
}

