import { describe, expect, it } from "vitest";
import { Prng } from "./prng.js";
import { compileSampler, sample, type Distribution } from "./distribution.js";

describe("Prng", () => {
  it("produces the pinned golden values for seed 42 (changing them breaks every recorded seed)", () => {
    const prng = new Prng(42);
    expect([prng.nextUint32(), prng.nextUint32(), prng.nextUint32()]).toEqual(GOLDEN_42);
  });

  it("forks named streams that do not shift when a sibling draws more", () => {
    const a = new Prng(7);
    const b = new Prng(7);
    a.fork("channel:amazon").next();
    a.fork("channel:amazon").next();
    expect(a.fork("channel:shopify").next()).toBe(b.fork("channel:shopify").next());
    expect(a.fork("x").next()).not.toBe(a.fork("y").next());
  });

  it("draws uniform values in [0, 1) with the right mean", () => {
    const prng = new Prng("u");
    let sum = 0;
    let outOfRange = 0;
    for (let i = 0; i < 100_000; i++) {
      const v = prng.next();
      if (!(v >= 0 && v < 1)) outOfRange += 1;
      sum += v;
    }
    expect(outOfRange).toBe(0);
    expect(sum / 100_000).toBeCloseTo(0.5, 2);
  });

  it("samples a log-normal with the configured median and p99", () => {
    const prng = new Prng(1);
    const values = Array.from({ length: 50_000 }, () => sample({ kind: "lognormal", medianMs: 100, p99Ms: 1000 }, prng)).sort((x, y) => x - y);
    expect(values[25_000]).toBeGreaterThan(95);
    expect(values[25_000]).toBeLessThan(105);
    expect(values[49_500]).toBeGreaterThan(900);
    expect(values[49_500]).toBeLessThan(1100);
  });
});

const GOLDEN_42 = [2626566973, 1247484098, 2614520402];

describe("compileSampler", () => {
  it("draws exactly what sample draws, for every kind, and leaves the stream in the same place", () => {
    const kinds: Distribution[] = [
      { kind: "constant", ms: 7 },
      { kind: "uniform", minMs: 10, maxMs: 20 },
      { kind: "exponential", meanMs: 50 },
      { kind: "lognormal", medianMs: 20_000, p99Ms: 180_000 },
      { kind: "lognormal", medianMs: 100, p99Ms: 900, maxMs: 400 },
      { kind: "lognormal", medianMs: 100, p99Ms: 50 }, // p99 below the median: sigma 0
    ];
    for (const distribution of kinds) {
      const viaSample = new Prng(9);
      const viaCompiled = new Prng(9);
      const draw = compileSampler(distribution);
      const expected = Array.from({ length: 1_000 }, () => sample(distribution, viaSample));
      expect(Array.from({ length: 1_000 }, () => draw(viaCompiled))).toEqual(expected);
      expect(viaCompiled.next()).toBe(viaSample.next());
    }
  });
});
