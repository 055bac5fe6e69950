// cost.currency: an ISO 4217 code (the report formats every amount in it), not any three capitals.
import { describe, expect, it } from "vitest";
import { ISO_4217_CURRENCY_CODES, currencyCode, isCurrencyCode, validateScenario, type ScenarioInput } from "./index.js";

const base: ScenarioInput = {
  name: "t",
  duration: "1h",
  catalog: { skus: 5, stock: 10 },
  channels: [{ id: "a", kind: "amazon", share: 1 }],
  demand: { ordersPerDay: 1000 },
};
const problemsWith = (currency: unknown) => {
  const result = validateScenario({ ...base, cost: { currency } }, "t");
  return result.ok ? [] : result.problems;
};

describe("cost.currency", () => {
  it("accepts ISO 4217 currency codes", () => {
    for (const code of ["EUR", "USD", "GBP", "INR", "JPY", "CHF"]) expect(problemsWith(code), code).toEqual([]);
  });

  it("refuses three capitals that are no currency, naming the field and the code", () => {
    for (const code of ["XYZ", "ABC", "EUX"]) {
      const problems = problemsWith(code);
      expect(problems, code).toHaveLength(1);
      expect(problems[0]).toMatch(new RegExp(`^cost\\.currency: "${code}" is not an ISO 4217 currency code`));
    }
  });

  it("still refuses what is not three letters, once", () => {
    for (const text of ["euro", "", "Euros, roughly", "E U R", 978]) {
      expect(problemsWith(text), JSON.stringify(text)).toHaveLength(1);
      expect(problemsWith(text)[0]).toMatch(/^cost\.currency: /);
    }
  });

  it("is ISO 4217's own list, not the runtime's: CLF (active) is taken, HRK (withdrawn 2023) and ANG (2025) are refused", () => {
    expect(problemsWith("CLF")).toEqual([]);
    expect(problemsWith("XCG")).toEqual([]);
    expect(problemsWith("ZWG")).toEqual([]);
    for (const code of ["HRK", "ANG", "ZWL", "SLL", "CUC"]) expect(problemsWith(code)[0], code).toMatch(new RegExp(`^cost\\.currency: "${code}" is not an ISO 4217 currency code`));
    // Codes that are not money: precious metals, bond-market units, the test code, "no currency".
    for (const code of ["XAU", "XAG", "XPT", "XPD", "XBA", "XTS", "XXX"]) expect(problemsWith(code), code).toHaveLength(1);
  });

  it("reads a code in any case and keeps it in capitals: eur is EUR, as demo --currency eur is", () => {
    const result = validateScenario({ ...base, cost: { currency: "eur" } }, "t");
    expect(result.ok && result.scenario.cost.currency).toBe("EUR");
    const mixed = validateScenario({ ...base, cost: { currency: "Gbp" } }, "t");
    expect(mixed.ok && mixed.scenario.cost.currency).toBe("GBP");
  });
});

describe("the ISO 4217 code list", () => {
  it("is a fixed list of three capitals, each once, and the helpers follow it", () => {
    expect(new Set(ISO_4217_CURRENCY_CODES).size).toBe(ISO_4217_CURRENCY_CODES.length);
    for (const code of ISO_4217_CURRENCY_CODES) expect(code).toMatch(/^[A-Z]{3}$/);
    expect(isCurrencyCode("EUR")).toBe(true);
    expect(isCurrencyCode("eur")).toBe(false); // the stored form is capitals
    expect(isCurrencyCode("HRK")).toBe(false);
    expect(currencyCode(" usd ")).toBeUndefined(); // no trimming: a code is three letters
    expect(currencyCode("usd")).toBe("USD");
    expect(currencyCode("XYZ")).toBeUndefined();
  });
});
