// From one run's cost to a year's: the report's "per flash sale" and "per year" figures. The per-run
// figure is the result document's own `cost` (never recomputed), and the per-year figure is
//   per flash sale × flash sales per year
//   + steady-state cost per hour × (8,760 h − flash sales per year × the run's hours)
// where the steady-state cost per hour is the cost model applied to the oversells and lost sales of
// the run's normal trading *before* the first flash-sale window (a curve window above 1×), divided by
// the hours of that lead-in. A run with no flash sale is scaled to a year by its length instead.
// Easy to get wrong: (1) the tail after a flash sale is not normal trading — the sale has emptied
// the stock, and a single oversell on the last units there, scaled to 8,700 hours, would swamp
// everything — so only the lead-in is sampled; (2) the same can hold for the lead-in itself. Products
// selling out, polling overselling them, and a restock are what normal trading is (steady-day is all of
// that, and is scaled to a year whole). But a lead-in that nothing restocks is a draw-down of the stock
// on hand — in a flash-sale scenario, stock sized for the sale — so a product selling out in it is the
// sale's shortage arriving early: one €62.50 oversell there × 11,632 made the year €727,000 on one seed
// and €5,000 on the next. So: a lead-in with a restock in it (any strategy's run) is normal trading,
// sell-outs and all; one without is evidence of the steady state only while no product had sold out
// in any strategy's run (an oversell means its product was out of stock; the tracked best seller's true
// stock shows its sell-out directly), and otherwise the steady state is not measured. Not "up to the
// first sell-out": that window holds no oversell by construction — a measured €0/h that measured
// nothing; nor "each sell-out restocked before the sale": a day's last sell-out is restocked the next
// morning, so that rule refused steady-day with a sale on every seed; (3) double counting: the run's own hours are already
// inside "per flash sale", so they are taken out of the steady-state hours of the year — and the
// flash sales' own hours can never exceed the year's (365 sales of a 26-hour run are 9,490 h: refused,
// see `flashSalesPerYearProblem`); (4) a sale that starts at 0:00 has no lead-in: the steady state is
// then not measured either (`steady.measured` false), and the year is the flash sales only — never "€0/h".

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
  /**
   * Counts and cost of the trading before the flash sale (the lead-in), and their hourly rate. `measured`
   * is false — and the per-year figure has no steady-state cost — when the lead-in is not normal trading:
   * there is none (`notMeasured: "no-lead-in"`: the sale starts in the run's first minute, or there is no
   * flash sale; zero hours), or stock ran out in it and nothing was restocked before the sale
   * (`"sold-out"`: some product sold out in some strategy's run, first at `soldOutAtMs`; the counts are
   * the lead-in's, `perHour` is 0). A lead-in with a restock (`restockedAtMs`) is measured, sell-outs
   * (`soldOutAtMs`) and all.
   */
  readonly steady: {
    readonly oversold: number;
    readonly lostSales: number;
    readonly hours: number;
    readonly cost: CostBreakdown;
    readonly perHour: number;
    readonly measured: boolean;
    readonly notMeasured?: "no-lead-in" | "sold-out";
    /** When a product was first out of stock in the lead-in (ms from the start; to the minute for an oversell); absent if none was. */
    readonly soldOutAtMs?: number;
    /** When stock was first restocked in the lead-in (ms from the start), which makes it normal trading; absent if it was not. */
    readonly restockedAtMs?: number;
  };
  /** The steady-state hours of a year (8,760 minus the flash sales' runs). */
  readonly steadyHoursPerYear: number;
  readonly perYear: number;
}

export const DEFAULT_FLASH_SALES_PER_YEAR = 12;

/** Most flash sales like a run of `runMs` a year can hold: their hours are at most the year's 8,760. */
export function maxFlashSalesPerYear(runMs: number): number {
  return runMs > 0 ? Math.floor((HOURS_PER_YEAR * HOUR_MS) / runMs) : Number.POSITIVE_INFINITY;
}

/**
 * Why `flashSalesPerYear` runs of `runMs` cannot be a year's flash sales (more hours than a year has),
 * in words the CLI completes with its flags; undefined when they fit. "365 × 26 h = 9,490 h of flash
 * sales, more than the 8,760 hours of a year: at most 336 fit".
 */
export function flashSalesPerYearProblem(flashSalesPerYear: number, runMs: number): string | undefined {
  if (flashSalesPerYear * runMs <= HOURS_PER_YEAR * HOUR_MS) return undefined;
  const hours = runMs / HOUR_MS;
  const h = (n: number) => `${n.toLocaleString("en-US", { maximumFractionDigits: 2 })} h`;
  return `${flashSalesPerYear.toLocaleString("en-US")} × ${h(hours)} = ${h(flashSalesPerYear * hours)} of flash sales, more than the ${h(HOURS_PER_YEAR)} of a year: at most ${maxFlashSalesPerYear(runMs).toLocaleString("en-US")} fit`;
}

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

/**
 * The first sign, before `endMs`, that some product had sold out in any strategy's run of `doc` (ms
 * from the start), or undefined. Two signs, as the document records them: an oversell (an accepted
 * order stock could not fill — its product was out of stock; bucketed by minute, so the minute's start)
 * and the tracked best seller's true stock reaching 0 (`timeline.truth`). A product that sold out with
 * no oversell and is not the tracked one leaves no sign — and cost nothing.
 */
export function firstSellOutBeforeMs(doc: ResultDocument, endMs: number, strategies: readonly StrategyResult[] = doc.strategies): number | undefined {
  let first: number | undefined;
  const seen = (ms: number) => (first = first === undefined ? ms : Math.min(first, ms));
  for (const s of strategies) {
    const minutes = Math.min(s.perMinute.oversold.length, Math.ceil(endMs / MINUTE_MS));
    for (let m = 0; m < minutes; m++) {
      if ((s.perMinute.oversold[m] ?? 0) > 0) {
        seen(m * MINUTE_MS);
        break;
      }
    }
    const out = s.timeline.truth.find(([ms, quantity]) => quantity <= 0 && ms < endMs);
    if (out) seen(Math.max(0, out[0]));
  }
  return first;
}

/**
 * The first restock, after the start and before `endMs`, in any strategy's run of `doc` (ms from the
 * start), or undefined: the tracked best seller's true stock (`timeline.truth`) rising. Only a restock
 * raises the truth, and every restock includes the best seller — the simulator and `synclag run`
 * restock the catalogue's first `skus` products, best sellers first, and the tracked one is the first.
 * A step at 0:00 is the opening stock (a restock at 0:00 adds to it), not a restock during trading.
 */
export function firstRestockBeforeMs(doc: ResultDocument, endMs: number, strategies: readonly StrategyResult[] = doc.strategies): number | undefined {
  let first: number | undefined;
  for (const s of strategies) {
    const truth = s.timeline.truth;
    for (let i = 1; i < truth.length; i++) {
      const [ms, quantity] = truth[i] as [number, number];
      if (ms >= endMs) break;
      if (ms > 0 && quantity > (truth[i - 1] as [number, number])[1]) {
        first = first === undefined ? ms : Math.min(first, ms);
        break;
      }
    }
  }
  return first;
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
  // Decided over every strategy of the document (and this one): one verdict for the whole comparison,
  // so "saved per year" never sets a measured steady state against an unmeasured one.
  const others = doc.strategies.includes(strategy) ? doc.strategies : [...doc.strategies, strategy];
  const soldOutAtMs = steadyHours > 0 ? firstSellOutBeforeMs(doc, leadInMinutes * MINUTE_MS, others) : undefined;
  const restockedAtMs = steadyHours > 0 ? firstRestockBeforeMs(doc, leadInMinutes * MINUTE_MS, others) : undefined;
  const notMeasured = steadyHours <= 0 ? "no-lead-in" : soldOutAtMs !== undefined && restockedAtMs === undefined ? "sold-out" : undefined;
  const perHour = notMeasured === undefined ? steadyCost.total / steadyHours : 0;
  const flashSalesPerYear = options.flashSalesPerYear ?? DEFAULT_FLASH_SALES_PER_YEAR;
  // The callers (synclag demo, synclag report) refuse it with their flags first: never a negative year.
  const tooMany = hasFlashSale ? flashSalesPerYearProblem(flashSalesPerYear, doc.scenario.durationMs) : undefined;
  if (tooMany !== undefined) throw new RangeError(`flashSalesPerYear: ${tooMany}`);
  const perRun = strategy.cost;
  let perYear: number;
  let steadyHoursPerYear: number;
  if (hasFlashSale) {
    steadyHoursPerYear = HOURS_PER_YEAR - flashSalesPerYear * runHours;
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
    steady: {
      oversold,
      lostSales,
      hours: steadyHours,
      cost: steadyCost,
      perHour,
      measured: notMeasured === undefined,
      ...(notMeasured === undefined ? {} : { notMeasured }),
      ...(soldOutAtMs === undefined ? {} : { soldOutAtMs }),
      ...(restockedAtMs === undefined ? {} : { restockedAtMs }),
    },
    steadyHoursPerYear,
    perYear: Math.round(perYear * 100) / 100,
  };
}
