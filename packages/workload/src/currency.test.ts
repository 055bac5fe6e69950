// cost.currency: an ISO 4217 code (the report formats every amount in it), not any three capitals.
import { describe, expect, it } from "vitest";
import { validateScenario, type ScenarioInput } from "./index.js";

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

  it("still refuses what is not three capitals, once", () => {
    expect(problemsWith("euro")).toHaveLength(1);
    expect(problemsWith("eur")[0]).toMatch(/^cost\.currency: /);
  });
});
