import { describe, expect, it } from "vitest";
import { formatMs, formatShare, formatWindowMean } from "./format.js";

describe("formatMs", () => {
  it("rounds to the precision shown before choosing the unit, so a boundary never prints 1000ms, 10.00s, 60.0s or 60m00s", () => {
    expect(formatMs(999.4)).toBe("999ms");
    expect(formatMs(999.6)).toBe("1.00s");
    expect(formatMs(9_994)).toBe("9.99s");
    expect(formatMs(9_996)).toBe("10.0s");
    expect(formatMs(59_940)).toBe("59.9s");
    expect(formatMs(59_960)).toBe("1m00s");
    expect(formatMs(3_599_400)).toBe("59m59s");
    expect(formatMs(3_599_600)).toBe("1h00m");
  });

  it("keeps the usual forms away from the boundaries", () => {
    expect(formatMs(850)).toBe("850ms");
    expect(formatMs(4_000)).toBe("4.00s");
    expect(formatMs(27_100)).toBe("27.1s");
    expect(formatMs(254_000)).toBe("4m14s");
    expect(formatMs(3_900_000)).toBe("1h05m");
    expect(formatMs(7_170_000)).toBe("2h00m");
    expect(formatMs(Number.NaN)).toBe("—");
  });
});

describe("formatShare", () => {
  it("shows a tenth of a percent where whole percents would mislead, and whole ones where they are exact", () => {
    expect(formatShare(0.4)).toBe("40%");
    expect(formatShare(1)).toBe("100%");
    expect(formatShare(0.025)).toBe("2.5%"); // 40 equal channels: not "3%" each, 120 % in all
    expect(formatShare(0.004)).toBe("0.4%"); // not "0%"
    expect(formatShare(1 / 3)).toBe("33.3%");
    expect(formatShare(0.0004)).toBe("<0.1%");
    expect(formatShare(0.9996)).toBe(">99.9%");
    expect(formatShare(0)).toBe("0%");
  });
});

describe("formatWindowMean", () => {
  it("keeps one decimal below 10, so a third of an order per window is not shown as 0", () => {
    expect(formatWindowMean(0.333)).toBe("0.3");
    expect(formatWindowMean(5.2083)).toBe("5.2");
    expect(formatWindowMean(5)).toBe("5.0");
    expect(formatWindowMean(52.1)).toBe("52");
    expect(formatWindowMean(1234.6)).toBe("1,235");
    expect(formatWindowMean(Number.NaN)).toBe("—");
  });
});
