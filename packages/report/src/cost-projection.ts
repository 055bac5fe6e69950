// From one run's cost to a year's: the report's "per flash sale" and "per year" figures. The per-run
// figure is the result document's own `cost` (never recomputed), and the per-year figure is
//   per flash sale × flash sales per year
//   + steady-state cost per hour × (8,760 h − flash sales per year × the run's hours)
// where the steady-state cost per hour is the cost model applied to the oversells and lost sales of
// the run's normal trading *before* the first flash-sale window (a curve window above 1×), divided by
// the hours of that lead-in. A run with no flash sale is scaled to a year by its length instead.
// Easy to get wrong: (1) the tail after a flash sale is not normal trading — the sale has emptied
// the stock, and a single oversell on the last units there, scaled to 8,700 hours, would swamp
// everything — so only the lead-in is sampled; (2) double counting: the run's own hours are already
// inside "per flash sale", so they are taken out of the steady-state hours of the year.

import type { ResultDocument, StrategyResult } from "@synclag/sim";
import { computeCost, type CostBreakdown, type CostModel } from "@synclag/workload";

const HOURS_PER_YEAR = 8760;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

export interface CostProjectionOptions {
  /** How many flash sales like this one a year. Default 12. Ignored when the run has no flash sale. */
  readonly flashSalesPerYear?: number;
}

export interface CostProjection {
  readonly strategy: string;
  readonly currency: string;
  /** The document's cost for the whole run (one flash sale with its lead-in and tail). */
  readonly perRun: CostBreakdown;
  readonly hasFlashSale: boolean;
  readonly runHours: number;
  readonly flashSalesPerYear: number;
  /** Counts and cost of the normal trading before the flash sale, and their hourly rate. Zero hours when there is none. */
  readonly steady: { readonly oversold: number; readonly lostSales: number; readonly hours: number; readonly cost: CostBreakdown; readonly perHour: number };
  /** The steady-state hours of a year (8,760 minus the flash sales' runs). */
  readonly steadyHoursPerYear: number;
  readonly perYear: number;
}

export const DEFAULT_FLASH_SALES_PER_YEAR = 12;

/** The cost model the run used, as the document records it. */
export function costModelOf(doc: ResultDocument): CostModel {
  const c = doc.scenario.cost;
  return {
    currency: String(c.currency),
    averageOrderValue: Number(c.averageOrderValue),
    marginRate: Number(c.marginRate),
    cancellationCost: Number(c.cancellationCost),
    marketplacePenalty: Number(c.marketplacePenalty),
    churnProbability: Number(c.churnProbability),
    customerLifetimeValue: Number(c.customerLifetimeValue),
  };
}

/** Where normal trading ends: the start of the first flash-sale window (multiplier > 1), if any. */
export function firstFlashStartMs(doc: ResultDocument): number | undefined {
  const starts = doc.scenario.curve.filter((w) => w.multiplier > 1 && w.durationMs > 0).map((w) => w.startMs);
  return starts.length === 0 ? undefined : Math.max(0, Math.min(...starts));
}

export function projectCost(doc: ResultDocument, strategy: StrategyResult, options: CostProjectionOptions = {}): CostProjection {
  const model = costModelOf(doc);
  const runHours = doc.scenario.durationMs / HOUR_MS;
  const flashStartMs = firstFlashStartMs(doc);
  const hasFlashSale = flashStartMs !== undefined && flashStartMs < doc.scenario.durationMs;
  // Normal trading before the sale: whole minutes [0, flashStart). Minutes are bucketed by arrival.
  const leadInMinutes = hasFlashSale ? Math.min(strategy.perMinute.oversold.length, Math.floor(flashStartMs / MINUTE_MS)) : 0;
  let oversold = 0;
  let lostSales = 0;
  for (let m = 0; m < leadInMinutes; m++) {
    oversold += strategy.perMinute.oversold[m] ?? 0;
    lostSales += strategy.perMinute.lostSales[m] ?? 0;
  }
  const steadyHours = (leadInMinutes * MINUTE_MS) / HOUR_MS;
  const steadyCost = computeCost(model, { oversold, lostSales });
  const perHour = steadyHours > 0 ? steadyCost.total / steadyHours : 0;
  const flashSalesPerYear = options.flashSalesPerYear ?? DEFAULT_FLASH_SALES_PER_YEAR;
  const perRun = strategy.cost;
  let perYear: number;
  let steadyHoursPerYear: number;
  if (hasFlashSale) {
    steadyHoursPerYear = Math.max(0, HOURS_PER_YEAR - flashSalesPerYear * runHours);
    perYear = perRun.total * flashSalesPerYear + perHour * steadyHoursPerYear;
  } else {
    steadyHoursPerYear = HOURS_PER_YEAR;
    perYear = runHours > 0 ? perRun.total * (HOURS_PER_YEAR / runHours) : 0;
  }
  return {
    strategy: strategy.strategy,
    currency: perRun.currency,
    perRun,
    hasFlashSale,
    runHours,
    flashSalesPerYear: hasFlashSale ? flashSalesPerYear : 0,
    steady: { oversold, lostSales, hours: steadyHours, cost: steadyCost, perHour },
    steadyHoursPerYear,
    perYear: Math.round(perYear * 100) / 100,
  };
}
