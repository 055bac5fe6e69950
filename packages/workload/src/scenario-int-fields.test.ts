// A decimal in a whole-number field is one problem among the others, not the only one: zod's `.int()`
// reports with `continue: false`, which stopped the scenario's cross-field refinement, so a file with
// `catalog.skus: 30.5`, a duplicate channel id and a restock after the end said only the decimal.
import { describe, expect, it } from "vitest";
import { validateScenario } from "./load-scenario.js";

const base = {
  name: "t",
  duration: "3h",
  catalog: { skus: 30, stock: 10 },
  channels: [
    { id: "amazon", kind: "amazon", share: 1 },
    { id: "amazon", kind: "shopify", share: 1 }, // duplicate id
  ],
  demand: { ordersPerDay: 1000, restocks: [{ at: "5h", quantity: 5 }] }, // after the end
};
const problems = (value: unknown) => {
  const r = validateScenario(value, "t");
  return r.ok ? [] : r.problems;
};
const crossField = [expect.stringMatching(/^channels\.1\.id: duplicate/), expect.stringMatching(/^demand\.restocks\.0\.at: /)];

/** The first channel with `extra` merged in. */
const firstChannel = (extra: object) => ({ ...base, channels: [{ ...base.channels[0], ...extra }, base.channels[1]] });

describe("a decimal in a whole-number field does not hide the cross-field problems", () => {
  it("baseline: both cross-field problems are reported", () => {
    expect(problems(base)).toEqual(expect.arrayContaining(crossField));
  });

  // Every whole-number field of the schema: [its path, the scenario with a decimal there].
  const cases: readonly (readonly [string, unknown])[] = [
    ["catalog.skus", { ...base, catalog: { skus: 30.5, stock: 10 } }],
    ["catalog.stock", { ...base, catalog: { skus: 30, stock: 10.5 } }],
    ["catalog.stock.min", { ...base, catalog: { skus: 30, stock: { min: 1.5, max: 10 } } }],
    ["catalog.stock.max", { ...base, catalog: { skus: 30, stock: { min: 1, max: 10.5 } } }],
    ["engine.maxAttempts", { ...base, engine: { maxAttempts: 8.5 } }],
    ["channels.0.policy.bufferUnits", firstChannel({ policy: { bufferUnits: 2.5 } })],
    ["channels.0.policy.maxListed", firstChannel({ policy: { maxListed: 1.5 } })],
    ["channels.0.policy.zeroBelow", firstChannel({ policy: { zeroBelow: 0.5 } })],
    ["channels.0.profile.maxBatchSize", firstChannel({ profile: { maxBatchSize: 10.5 } })],
    ["channels.0.profile.notifications.retries", firstChannel({ profile: { notifications: { retries: 3.5 } } })],
    ["demand.restocks.1.quantity", { ...base, demand: { ...base.demand, restocks: [...base.demand.restocks, { at: "1h", quantity: 2.5 }] } }],
    ["demand.restocks.1.skus", { ...base, demand: { ...base.demand, restocks: [...base.demand.restocks, { at: "1h", quantity: 2, skus: 3.5 }] } }],
  ];
  for (const [path, value] of cases) {
    it(`${path}: a decimal is reported with its path, and the duplicate id and the late restock are still listed`, () => {
      const found = problems(value);
      expect(found).toEqual(expect.arrayContaining([`${path}: must be a whole number`, ...crossField]));
      // Said once, in the same words as the other whole-number fields (not zod's "expected int").
      expect(found.filter((p) => p.startsWith(`${path}: `))).toEqual([`${path}: must be a whole number`]);
    });
  }

  it("a whole number in each of those fields passes (the check refuses decimals, not numbers)", () => {
    const whole = {
      ...base,
      catalog: { skus: 30, stock: { min: 1, max: 10 } },
      channels: [{ id: "amazon", kind: "amazon", share: 1, policy: { bufferUnits: 2, maxListed: 1, zeroBelow: 0 }, profile: { maxBatchSize: 10, notifications: { retries: 3 } } }],
      demand: { ordersPerDay: 1000, restocks: [{ at: "1h", quantity: 2, skus: 3 }] },
      engine: { maxAttempts: 8 },
    };
    expect(problems(whole)).toEqual([]);
  });
});
