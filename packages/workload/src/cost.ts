// The cost model, with every parameter explicit: what oversells and lost sales cost, in the
// scenario's currency. Easy to get wrong: churn is a consequence of oversells (a cancelled buyer who
// never returns), not of lost sales — a buyer who saw "out of stock" was never a customer of record.

import type { Scenario } from "./scenario-schema.js";

export type CostModel = Scenario["cost"];

export interface CostBreakdown {
  readonly currency: string;
  /** oversells × (cancellationCost + marketplacePenalty) */
  readonly oversells: number;
  /** lostSales × averageOrderValue × marginRate */
  readonly lostSales: number;
  /** oversells × churnProbability × customerLifetimeValue */
  readonly churn: number;
  readonly total: number;
}

const cents = (value: number): number => Math.round(value * 100) / 100;

export function computeCost(model: CostModel, counts: { readonly oversold: number; readonly lostSales: number }): CostBreakdown {
  const oversells = cents(counts.oversold * (model.cancellationCost + model.marketplacePenalty));
  const lostSales = cents(counts.lostSales * model.averageOrderValue * model.marginRate);
  const churn = cents(counts.oversold * model.churnProbability * model.customerLifetimeValue);
  return { currency: model.currency, oversells, lostSales, churn, total: cents(oversells + lostSales + churn) };
}
