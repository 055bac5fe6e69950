// Two figures of a result document that must agree with the rest: an oversold order is an accepted
// order that stock could not fill (both writers count it so), and the currency is an active ISO 4217
// code in the capitals synclag writes — the same list the scenario schema and `demo --currency` use.
import { describe, expect, it } from "vitest";
import { realDoc, smallDoc } from "../test/fixtures.js";
import { validateResultDocument } from "./result-document.js";

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- documents are edited field by field, as a hand-edited file would be
type Loose = any;

describe("orders.oversold", () => {
  it("is at most orders.accepted: oversells of 0 orders taken (cancellation rate 0 %, a gate PASS) are refused", async () => {
    const doc = clone(await smallDoc()) as Loose;
    const polling = doc.strategies[1];
    const oversold = polling.orders.oversold as number;
    expect(oversold).toBeGreaterThan(0);
    // The cost and the cancellation rate (0 of 0) stay consistent: the only problem is the one under test.
    polling.orders.accepted = 0;
    polling.orders.cancellationRate = 0;
    // As written before the channels' own accepted orders existed: otherwise their sum (not 0) is a second problem.
    for (const channel of Object.values(polling.channels) as Loose[]) for (const field of ["accepted", "cancellationRate", "cancellationRateLimit"]) delete channel[field];
    const result = validateResultDocument(doc, "r.json");
    expect(result.ok ? [] : result.problems).toEqual([`r.json: strategies[1].orders.oversold: must be at most orders.accepted (0): an oversold order is an accepted order stock could not fill, got ${oversold}`]);
  });

  it("may equal it, and every document the simulator and a real run write passes", async () => {
    for (const doc of [await smallDoc(), await realDoc(), await realDoc(["events", "polling:15m"])]) {
      const result = validateResultDocument(clone(doc), "r.json");
      expect(result.ok, result.ok ? "" : result.problems.join("\n")).toBe(true);
      for (const s of doc.strategies) expect(s.orders.oversold).toBeLessThanOrEqual(s.orders.accepted);
    }
  });
});

describe("scenario.cost.currency", () => {
  const withCurrency = async (currency: unknown) => {
    const doc = clone(await smallDoc()) as Loose;
    doc.scenario.cost.currency = currency;
    for (const s of doc.strategies) s.cost.currency = currency;
    return validateResultDocument(doc, "r.json");
  };

  it('refuses what is no active ISO 4217 code in capitals ("", words, a withdrawn code, lower case), naming the field once', async () => {
    for (const currency of ["", "Euros, roughly", "HRK", "XYZ", "eur", "XAU"]) {
      const result = await withCurrency(currency);
      expect(result.ok, JSON.stringify(currency)).toBe(false);
      if (result.ok) continue;
      expect(result.problems, JSON.stringify(currency)).toEqual([`r.json: scenario.cost.currency: must be an active ISO 4217 currency code in capitals, like "EUR", got ${JSON.stringify(currency)}`]);
    }
  });

  it("takes every code the scenario schema takes, funds such as CLF included", async () => {
    for (const currency of ["EUR", "GBP", "INR", "JPY", "CLF", "XCG"]) expect((await withCurrency(currency)).ok, currency).toBe(true);
  });
});
