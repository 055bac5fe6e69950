// synclag demo, as the consultant runs it: a per-year cost that follows the flash sale's size and not
// the seed, a lead-in that is normal trading, and flags refused when they cannot describe a flash sale.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LONG, expectUsageError, runCli, scratchDirs } from "./support.js";

const scratchDir = scratchDirs();

interface Data {
  strategies: Array<{ strategy: string; costPerRun: { total: number }; costPerYear: number }>;
}
interface Doc {
  strategies: Array<{ strategy: string; perMinute: { oversold: number[] }; timeline: { truth: Array<[number, number]> } }>;
}
function embedded(file: string): Data {
  const html = readFileSync(file, "utf8");
  const match = /<script type="application\/json" id="synclag-report-data">([^<]*)<\/script>/.exec(html);
  if (!match) throw new Error("no data block");
  return JSON.parse(match[1] as string) as Data;
}
function demo(...flags: string[]) {
  const dir = scratchDir("synclag-demo-cost-");
  const result = runCli(["demo", ...flags, "--out", join(dir, "r.html"), "--json", join(dir, "r.json")]);
  expect(result.code, result.stderr).toBe(0);
  const html = readFileSync(join(dir, "r.html"), "utf8");
  const polling = embedded(join(dir, "r.html")).strategies.find((s) => s.strategy.startsWith("polling:"));
  if (!polling) throw new Error("no polling strategy");
  return { polling, html, doc: JSON.parse(readFileSync(join(dir, "r.json"), "utf8")) as Doc };
}

describe("synclag demo: the per-year cost", LONG, () => {
  it("grows with the flash sale: 3× instead of 2× does not make the year hundreds of times cheaper", () => {
    const two = demo("--flash-multiplier", "2");
    const three = demo("--flash-multiplier", "3");
    // Before: 2× → €687.50 per flash sale, €1,462,250 per year (2 lead-in oversells × 8,724 h / 0.75 h); 3× → €4,500.
    expect(two.polling.costPerYear, `2×: per flash sale ${two.polling.costPerRun.total}, per year ${two.polling.costPerYear}; 3×: per year ${three.polling.costPerYear}`).toBeLessThanOrEqual(three.polling.costPerYear * 2);
  });

  it("sizes stock so nothing sells out in the 45 minutes of normal trading before a small sale", () => {
    for (const seed of ["1", "2", "3"]) {
      const { doc, html } = demo("--flash-multiplier", "2", "--seed", seed);
      for (const s of doc.strategies) {
        expect(s.perMinute.oversold.slice(0, 45).every((n) => n === 0), `seed ${seed} ${s.strategy}: oversells before the sale`).toBe(true);
        expect(s.timeline.truth.filter(([ms]) => ms < 45 * 60_000).every(([, quantity]) => quantity > 0), `seed ${seed} ${s.strategy}: the best seller sold out before the sale`).toBe(true);
      }
      expect(html).toContain("flash sales + normal trading");
    }
  });
});

describe("synclag report: the per-year cost of the built-in flash-sale", LONG, () => {
  it("does not change 130-fold with the seed (one lead-in oversell × 11,632)", () => {
    const perYear = (seed: string) => {
      const dir = scratchDir("synclag-seed-");
      expect(runCli(["compare", "--scenario", "flash-sale", "--polling", "15m", "--seed", seed, "--json", join(dir, "r.json")]).code).toBe(0);
      expect(runCli(["report", join(dir, "r.json"), "--out", join(dir, "r.html")]).code).toBe(0);
      return embedded(join(dir, "r.html")).strategies.find((s) => s.strategy === "events")!;
    };
    const two = perYear("2");
    const three = perYear("3");
    // Before: seed 2 → €471 per flash sale, €5,652 per year; seed 3 → €807.50, €736,690.
    expect(three.costPerYear, `seed 2: ${two.costPerRun.total}/${two.costPerYear}; seed 3: ${three.costPerRun.total}/${three.costPerYear}`).toBeLessThan(two.costPerYear * 3);
  });
});

describe("synclag demo: flags that describe no flash sale, or no money", LONG, () => {
  const refused = (...flags: string[]) => {
    const result = runCli(["demo", ...flags, "--out", join(scratchDir("synclag-demo-flags-"), "r.html")]);
    expectUsageError(result, "demo");
    return result.stderr;
  };

  it("refuses a --flash-multiplier of 1 or less (no flash sale at all), naming the flag", () => {
    for (const value of ["1", "0.5", "0"]) expect(refused("--flash-multiplier", value)).toContain(`--flash-multiplier must be more than 1`);
  });

  it("refuses a --currency that is not ISO 4217", () => {
    expect(refused("--currency", "XYZ")).toContain('--currency: "XYZ" is not an ISO 4217 currency code');
  });

  it("refuses a withdrawn --currency in any case (hrk: the kuna, replaced by the euro in 2023), as a scenario file does", () => {
    expect(refused("--currency", "hrk")).toContain('--currency: "hrk" is not an ISO 4217 currency code');
  });

  it("refuses --aov 0 (a lost sale would cost nothing)", () => {
    expect(refused("--aov", "0")).toContain('--aov must be more than 0');
  });

  it("reads plain decimal numbers only: 0x50, 1e3, Infinity are refused, every one at once", () => {
    const stderr = refused("--aov", "0x50", "--orders-per-day", "1e3", "--lifetime-value", "Infinity", "--margin", "0x1", "--channels", "amazon:0x10,shopify");
    for (const problem of ['--aov must be a number, got "0x50"', '--orders-per-day must be a number, got "1e3"', '--lifetime-value must be a number, got "Infinity"', "--margin must be a fraction (0.3) or a percentage (30%)", '--channels: share "0x10" of amazon must be a positive number']) expect(stderr).toContain(problem);
    expect(stderr).toContain("5 problems");
  });
});
