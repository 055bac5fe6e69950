// The open-model arrival plan: buyers arrive at times drawn in advance from the scenario's rate curve
// (a Poisson process, piecewise constant rate), each at a channel (by share), for a SKU (by Zipf
// popularity). The simulator and the real load generator use this same plan, so the same seed
// replays the same buyers. Easy to get wrong: at a rate change the exponential gap restarts at the
// boundary (exact thanks to memorylessness) — stretching the old gap would blur the flash sale edge.

import { exponential, Prng } from "@synclag/core";
import type { Scenario } from "./scenario-schema.js";

export interface Arrival {
  /** Offset from the scenario start, ms. */
  readonly atMs: number;
  readonly channel: string;
  readonly sku: string;
  readonly quantity: number;
  /**
   * A shopping agent (`demand.agentShare`). The simulator only labels it (`orders.lostSalesByAgents`);
   * a real run's load generator reads the storefront's availability first and leaves on too little.
   */
  readonly agent: boolean;
}

export interface CatalogItem {
  readonly sku: string;
  readonly stock: number;
  /** Popularity rank, 1 = most popular. */
  readonly rank: number;
}

const DAY_MS = 86_400_000;

export function skuName(index: number, count: number): string {
  return `SKU-${String(index + 1).padStart(Math.max(4, String(count).length), "0")}`;
}

export function buildCatalog(scenario: Scenario, seed: number): CatalogItem[] {
  const random = new Prng(seed).fork("catalog");
  const { skus, stock } = scenario.catalog;
  return Array.from({ length: skus }, (_, index) => ({
    sku: skuName(index, skus),
    stock: typeof stock === "number" ? stock : stock.min + random.int(stock.max - stock.min + 1),
    rank: index + 1,
  }));
}

/** What `rateSegments` reads of a scenario (the schema's checks call it on fields that passed on their own). */
export interface RateCurve {
  readonly duration: number;
  readonly demand: { readonly curve: ReadonlyArray<{ readonly start: number; readonly duration: number; readonly multiplier: number; readonly label?: string | undefined }> };
}

/**
 * Rate multiplier segments: [startMs, endMs, multiplier], covering [0, duration). A window that runs
 * past the scenario's end is clipped there (the schema refuses windows that start at or after it).
 */
export function rateSegments(scenario: RateCurve): Array<{ startMs: number; endMs: number; multiplier: number; label?: string }> {
  const points = new Set<number>([0, scenario.duration]);
  for (const window of scenario.demand.curve) {
    points.add(Math.min(scenario.duration, window.start));
    points.add(Math.min(scenario.duration, window.start + window.duration));
  }
  const sorted = [...points].sort((a, b) => a - b);
  const segments: Array<{ startMs: number; endMs: number; multiplier: number; label?: string }> = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const startMs = sorted[i] as number;
    const endMs = sorted[i + 1] as number;
    if (endMs <= startMs) continue;
    let multiplier = 1;
    let label: string | undefined;
    for (const window of scenario.demand.curve) {
      if (window.start <= startMs && startMs < window.start + window.duration) {
        multiplier = window.multiplier;
        label = window.label;
      }
    }
    segments.push(label === undefined ? { startMs, endMs, multiplier } : { startMs, endMs, multiplier, label });
  }
  return segments;
}

/** Expected number of arrivals over the whole scenario. */
export function expectedArrivals(scenario: RateCurve & { readonly demand: { readonly ordersPerDay: number } }): number {
  return rateSegments(scenario).reduce((sum, s) => sum + ((s.endMs - s.startMs) / DAY_MS) * scenario.demand.ordersPerDay * s.multiplier, 0);
}

/** Lazily generates the arrival plan in time order (1M arrivals need no big array). */
export function* planArrivals(scenario: Scenario, seed: number): Generator<Arrival> {
  const root = new Prng(seed);
  const timeRandom = root.fork("arrivals:time");
  const channelRandom = root.fork("arrivals:channel");
  const skuRandom = root.fork("arrivals:sku");
  const quantityRandom = root.fork("arrivals:quantity");
  const agentRandom = root.fork("arrivals:agent");

  const channels = scenario.channels;
  // Shares are relative weights. The schema bounds them, but should their sum overflow to Infinity
  // (two shares of 1e308), every share is first divided by the largest — otherwise every share would
  // read as 0 and all demand go to the last channel. A finite sum is used as is (plans stay the same).
  const rawTotal = channels.reduce((sum, c) => sum + c.share, 0);
  const scale = Number.isFinite(rawTotal) ? 1 : Math.max(...channels.map((c) => c.share));
  const totalShare = Number.isFinite(rawTotal) ? rawTotal : channels.reduce((sum, c) => sum + c.share / scale, 0);
  const channelCumulative: number[] = [];
  let acc = 0;
  for (const c of channels) channelCumulative.push((acc += c.share / scale / totalShare));

  const count = scenario.catalog.skus;
  const exponent = scenario.catalog.popularity;
  const skuCumulative = new Float64Array(count);
  let total = 0;
  for (let i = 0; i < count; i++) skuCumulative[i] = total += 1 / (i + 1) ** exponent;
  const names = Array.from({ length: count }, (_, i) => skuName(i, count));

  const pick = (cumulative: ArrayLike<number>, value: number): number => {
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  const extraMean = scenario.demand.extraUnitsMean;
  const extraP = extraMean > 0 ? 1 / (1 + extraMean) : 1;
  for (const segment of rateSegments(scenario)) {
    const ratePerMs = (scenario.demand.ordersPerDay * segment.multiplier) / DAY_MS;
    if (ratePerMs <= 0) continue;
    let t = segment.startMs;
    for (;;) {
      t += exponential(timeRandom, 1 / ratePerMs);
      if (t >= segment.endMs) break;
      const channel = channels[pick(channelCumulative, channelRandom.next())] as (typeof channels)[number];
      const sku = names[pick(skuCumulative, skuRandom.next() * total)] as string;
      let quantity = 1;
      if (extraMean > 0) while (quantityRandom.next() > extraP && quantity < 100) quantity += 1;
      yield { atMs: t, channel: channel.id, sku, quantity, agent: agentRandom.chance(scenario.demand.agentShare) };
    }
  }
}
