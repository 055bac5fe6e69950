// What a channel is told is a pure function of available stock and that channel's policy.
// Easy to get wrong: the order of the steps. Buffer first (hold back units), then the percentage
// allocation (floored — never list a fraction you do not have), then the cap, then zero-below (a
// channel showing 1–2 units of a fast seller is an oversell waiting to happen).

import type { Sku, StockLevel } from "./types.js";

export interface ChannelPolicy {
  /** Units held back from this channel. Default 0. */
  readonly bufferUnits?: number | undefined;
  /** Share of (available − buffer) this channel may list, 0–100, floored. Default 100. */
  readonly allocationPercent?: number | undefined;
  /** Never list more than this. Default: no cap. */
  readonly maxListed?: number | undefined;
  /** List 0 when the computed quantity is below this. Default 0 (off). */
  readonly zeroBelow?: number | undefined;
}

export function listedQuantity(available: number, policy: ChannelPolicy | undefined): number {
  if (!policy) return Math.max(0, available);
  let quantity = Math.max(0, available - (policy.bufferUnits ?? 0));
  const percent = policy.allocationPercent ?? 100;
  if (percent < 100) quantity = floorPercentOf(quantity, percent);
  if (policy.maxListed !== undefined) quantity = Math.min(quantity, policy.maxListed);
  if (policy.zeroBelow !== undefined && quantity < policy.zeroBelow) quantity = 0;
  return quantity;
}

/**
 * floor(quantity × percent / 100), exactly, for the percentage as written (its shortest decimal form).
 * The float product is not enough: 4.6 % of 1,500 is 68.99999999999999 in floats (69 is right), and
 * rounding the percentage first (to hundredths) lists 1,000 for 99.995 % of 1,000 (999 is right).
 * Whole hundredths of a percent (nearly every configuration) stay on integer arithmetic; any finer
 * percentage goes through its decimal digits and BigInt (a configuration rarity, off the hot path).
 */
function floorPercentOf(quantity: number, percent: number): number {
  if (!(percent > 0)) return 0;
  const hundredths = Math.round(percent * 100);
  // Exact test: the double `percent` is the one nearest to hundredths / 100 (division is correctly rounded).
  if (hundredths / 100 === percent) return Math.floor((quantity * hundredths) / 10_000);
  const decimal = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(percent));
  if (decimal === null || !Number.isSafeInteger(quantity)) return Math.floor((quantity * percent) / 100);
  const fraction = decimal[2] ?? "";
  const exponent = Number(decimal[3] ?? 0) - fraction.length; // percent = digits × 10^exponent
  const digits = BigInt(`${decimal[1] ?? ""}${fraction}`);
  const numerator = BigInt(quantity) * digits * 10n ** BigInt(Math.max(0, exponent));
  const denominator = 100n * 10n ** BigInt(Math.max(0, -exponent));
  return Number(numerator / denominator);
}

export interface BundleComponent {
  readonly sku: Sku;
  /** Units of the component one bundle consumes (≥ 1). */
  readonly quantity: number;
}

/** A bundle is available as often as its scarcest component allows: min over floor(stock / per-bundle). */
export function bundleAvailability(components: readonly BundleComponent[], stock: ReadonlyMap<Sku, StockLevel>): number {
  if (components.length === 0) return 0;
  // A SKU named twice consumes both quantities per bundle.
  const perBundle = new Map<Sku, number>();
  for (const { sku, quantity } of components) {
    if (!Number.isInteger(quantity) || quantity < 1) throw new RangeError(`bundle component ${JSON.stringify(sku)}: quantity must be an integer ≥ 1, got ${quantity}`);
    perBundle.set(sku, (perBundle.get(sku) ?? 0) + quantity);
  }
  let available = Number.POSITIVE_INFINITY;
  for (const [sku, quantity] of perBundle) {
    const level = stock.get(sku);
    available = Math.min(available, level ? Math.floor(level.quantity / quantity) : 0);
  }
  return available;
}
