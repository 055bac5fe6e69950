import { describe, expect, it } from "vitest";
import { computeCost } from "@synclag/workload";
import { smallDoc } from "../test/fixtures.js";
import { costModelOf, projectCost } from "./cost-projection.js";
import { renderReportHtml, type ReportData } from "./html/report-html.js";
import { formatMoney } from "./format.js";

function embeddedData(html: string): ReportData {
  const match = /<script type="application\/json" id="synclag-report-data">([^<]*)<\/script>/.exec(html);
  if (!match) throw new Error("no data block");
  return JSON.parse(match[1] as string) as ReportData;
}

describe("cost figures", () => {
  it("are the same in the report, in the result document and in the cost model applied to the counts", async () => {
    const doc = await smallDoc();
    const html = renderReportHtml(doc);
    const data = embeddedData(html);
    const model = costModelOf(doc);
    expect(data.strategies.map((s) => s.strategy)).toEqual(doc.strategies.map((s) => s.strategy));
    for (const [index, strategy] of doc.strategies.entries()) {
      const fromModel = computeCost(model, { oversold: strategy.orders.oversold, lostSales: strategy.orders.lostSales });
      expect(strategy.cost).toEqual(fromModel);
      const shown = data.strategies[index];
      expect(shown?.costPerRun).toEqual({ currency: fromModel.currency, oversells: fromModel.oversells, lostSales: fromModel.lostSales, churn: fromModel.churn, total: fromModel.total });
      expect(html).toContain(formatMoney(fromModel.total, fromModel.currency));
    }
    expect(doc.strategies.some((s) => s.cost.total > 0)).toBe(true);
  });

  it("projects a year as flash sales × cost per sale + the lead-in's hourly cost over the remaining hours", async () => {
    const doc = await smallDoc();
    const polling = doc.strategies.find((s) => s.strategy === "polling:15m");
    if (!polling) throw new Error("no polling strategy");
    const projection = projectCost(doc, polling, { flashSalesPerYear: 10 });
    // The small scenario: 1 h run, flash sale from minute 20.
    const leadIn = { oversold: polling.perMinute.oversold.slice(0, 20).reduce((a, b) => a + b, 0), lostSales: polling.perMinute.lostSales.slice(0, 20).reduce((a, b) => a + b, 0) };
    const perHour = computeCost(costModelOf(doc), leadIn).total / (20 / 60);
    expect(projection.hasFlashSale).toBe(true);
    expect(projection.steady.hours).toBeCloseTo(1 / 3, 10);
    expect(projection.steadyHoursPerYear).toBe(8760 - 10);
    expect(projection.perYear).toBeCloseTo(polling.cost.total * 10 + perHour * (8760 - 10), 2);
    expect(embeddedData(renderReportHtml(doc, { flashSalesPerYear: 10 })).strategies.find((s) => s.strategy === "polling:15m")?.costPerYear).toBe(projection.perYear);
  });

  it("scales a run without a flash sale to a year by its length", async () => {
    const doc = await smallDoc();
    const flat = { ...doc, scenario: { ...doc.scenario, curve: [] } };
    const polling = flat.strategies[1];
    if (!polling) throw new Error("no polling strategy");
    const projection = projectCost(flat, polling);
    expect(projection.hasFlashSale).toBe(false);
    expect(projection.perYear).toBeCloseTo(polling.cost.total * 8760, 2);
  });
});
