import { describe, expect, it } from "vitest";
import { listedQuantity } from "./policy.js";

describe("listedQuantity: percentage allocation", () => {
  it("is floored, never rounded up past the allocation, for a percentage with any number of decimals", () => {
    expect(listedQuantity(1000, { allocationPercent: 99.995 })).toBe(999); // 999.95
    expect(listedQuantity(1_000_000, { allocationPercent: 0.005 })).toBe(50);
    expect(listedQuantity(3, { allocationPercent: 33.3333 })).toBe(0); // 0.999999
    expect(listedQuantity(1_000_000_000, { allocationPercent: 1e-7 })).toBe(1);
    expect(listedQuantity(999_999_999, { allocationPercent: 1e-7 })).toBe(0);
    expect(listedQuantity(100, { allocationPercent: 99.9999999999 })).toBe(99);
  });

  it("loses nothing to float error: 29 % of 100 is 29, 4.6 % of 1,500 is 69, 57 % of 100 is 57", () => {
    expect(listedQuantity(100, { allocationPercent: 29 })).toBe(29);
    expect(listedQuantity(1500, { allocationPercent: 4.6 })).toBe(69);
    expect(listedQuantity(100, { allocationPercent: 57 })).toBe(57);
    expect(listedQuantity(1000, { allocationPercent: 0.1 })).toBe(1);
    expect(listedQuantity(10_000, { allocationPercent: 1.005 })).toBe(100); // 100.5
    expect(listedQuantity(1000, { allocationPercent: 12.345 })).toBe(123); // 123.45
  });

  it("agrees with exact decimal arithmetic for every quantity up to 2,000 at awkward percentages", () => {
    for (const [percent, numerator, denominator] of [[33.33, 3333, 10_000], [99.995, 99_995, 100_000], [0.07, 7, 10_000], [12.5, 125, 1000], [66.667, 66_667, 100_000]] as const) {
      for (let quantity = 0; quantity <= 2000; quantity++) {
        expect(listedQuantity(quantity, { allocationPercent: percent }), `${percent}% of ${quantity}`).toBe(Math.floor((quantity * numerator) / denominator));
      }
    }
  });

  it("applies the buffer before the allocation, then the cap and zero-below", () => {
    expect(listedQuantity(110, { bufferUnits: 10, allocationPercent: 50 })).toBe(50);
    expect(listedQuantity(110, { bufferUnits: 10, allocationPercent: 50, maxListed: 20 })).toBe(20);
    expect(listedQuantity(10, { allocationPercent: 20, zeroBelow: 3 })).toBe(0);
    expect(listedQuantity(5, { allocationPercent: 0 })).toBe(0);
    expect(listedQuantity(5, { allocationPercent: 100 })).toBe(5);
  });
});
