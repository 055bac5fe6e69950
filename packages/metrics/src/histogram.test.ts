import { describe, expect, it } from "vitest";
import { build, encodeIntoCompressedBase64 } from "hdr-histogram-js";
import { InvariantError, Prng, SynclagError } from "@synclag/core";
import { DEFAULT_CDF_FRACTIONS, Histogram } from "./histogram.js";

/** Values spread over many magnitudes (0 … ~1e10), so every HDR bucket size and the >2^32 path are used. */
function spreadValues(seed: string, n: number): number[] {
  const prng = new Prng(seed);
  return Array.from({ length: n }, () => Math.floor(10 ** (prng.next() * 10)) - 1);
}

function withinPrecision(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.max(1, expected * 0.001));
}

describe("Histogram", () => {
  it("reports percentiles of a uniform 1..10000 distribution within HDR precision", () => {
    const histogram = new Histogram();
    for (let v = 1; v <= 10_000; v++) histogram.record(v);
    expect(histogram.count).toBe(10_000);
    expect(histogram.min).toBe(1);
    expect(histogram.max).toBe(10_000);
    withinPrecision(histogram.percentile(50), 5000);
    withinPrecision(histogram.percentile(90), 9000);
    withinPrecision(histogram.percentile(99), 9900);
    withinPrecision(histogram.percentile(99.9), 9990);
    withinPrecision(histogram.mean, 5000.5);
  });

  it("is exact below 2048 with three significant digits", () => {
    const histogram = new Histogram();
    for (let v = 1; v <= 1000; v++) histogram.record(v);
    expect(histogram.summary()).toEqual({ count: 1000, p50: 500, p90: 900, p99: 990, p999: 999, max: 1000 });
    expect(histogram.percentile(0)).toBe(1);
    expect(histogram.mean).toBe(500.5);
  });

  it("never reports a percentile above the max or below the min", () => {
    const histogram = new Histogram();
    histogram.record(10_000); // HDR's bucket for 10000 reaches up to 10007
    histogram.record(10_000);
    expect(histogram.percentile(100)).toBe(10_000);
    expect(histogram.percentile(50)).toBe(10_000);
    expect(histogram.percentile(0)).toBe(10_000);
    expect(histogram.mean).toBe(10_000);
  });

  it("rounds values to the nearest integer", () => {
    const histogram = new Histogram();
    histogram.record(1.4);
    histogram.record(2.6);
    histogram.record(-0);
    expect([histogram.min, histogram.max, histogram.count]).toEqual([0, 3, 3]);
    expect(Object.is(histogram.min, 0)).toBe(true);
  });

  it.each([-1, -0.4, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 53])(
    "rejects %s with an InvariantError and records nothing",
    (value) => {
      const histogram = new Histogram();
      expect(() => histogram.record(value)).toThrow(InvariantError);
      expect(() => histogram.recordMany(value, 3)).toThrow(InvariantError);
      expect(histogram.count).toBe(0);
    },
  );

  it("keeps counts past 2^32 in one bucket (the fast path's 32-bit counts fold before they wrap)", () => {
    const histogram = new Histogram();
    histogram.recordMany(5, 0xffff_fffe);
    histogram.record(5); // reaches 2^32 - 1: folds
    histogram.record(5);
    histogram.recordMany(5, 0xffff_ffff); // would not fit: straight into HDR
    histogram.record(7);
    expect(histogram.count).toBe(2 * 0xffff_ffff + 2);
    expect(histogram.percentile(99.9999)).toBe(5);
    expect(histogram.max).toBe(7);
    const direct = new Histogram();
    direct.recordMany(5, 2 * 0xffff_ffff + 1);
    direct.record(7);
    expect(histogram.encode()).toBe(direct.encode());
  });

  it("reports all zeros when empty", () => {
    const histogram = new Histogram();
    expect(histogram.summary()).toEqual({ count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 });
    expect([histogram.min, histogram.max, histogram.mean, histogram.percentile(100)]).toEqual([0, 0, 0, 0]);
    expect(histogram.cdf([0, 0.5, 1])).toEqual([
      { fraction: 0, value: 0 },
      { fraction: 0.5, value: 0 },
      { fraction: 1, value: 0 },
    ]);
  });

  it.each([1, 2, 3, 4, 5])("records exactly what hdr-histogram-js records directly (%i significant digits)", (digits) => {
    const values = spreadValues(`direct-${digits}`, 20_000);
    const ours = new Histogram({ significantDigits: digits });
    const direct = build({
      bitBucketSize: 64,
      highestTrackableValue: 30 * 24 * 3600 * 1000,
      numberOfSignificantValueDigits: digits as 1 | 2 | 3 | 4 | 5,
    });
    for (const v of values) {
      ours.record(v);
      direct.recordValue(v);
    }
    expect(ours.count).toBe(direct.totalCount);
    expect(ours.percentile(37.5)).toBe(direct.getValueAtPercentile(37.5));
    expect(ours.percentile(99)).toBe(direct.getValueAtPercentile(99));
    expect(ours.encode()).toBe(encodeIntoCompressedBase64(direct));
  });

  it("merges to the same histogram as recording everything in one", () => {
    const first = spreadValues("merge-a", 5000);
    const second = spreadValues("merge-b", 7000).map((v) => v * 3);
    const a = new Histogram();
    const b = new Histogram();
    const all = new Histogram();
    for (const v of first) {
      a.record(v);
      all.record(v);
    }
    for (const v of second) {
      b.record(v);
      all.record(v);
    }
    a.merge(b);
    expect(a.encode()).toBe(all.encode());
    expect(a.summary()).toEqual(all.summary());
    expect([a.min, a.max, a.mean]).toEqual([all.min, all.max, all.mean]);
    expect(b.count).toBe(second.length);
  });

  it("merges histograms of different precision and into an empty one", () => {
    const coarse = new Histogram({ significantDigits: 2 });
    const fine = new Histogram();
    for (let v = 0; v < 5000; v++) coarse.record(v);
    fine.merge(coarse);
    fine.merge(new Histogram());
    expect(fine.count).toBe(5000);
    expect([fine.min, fine.max]).toEqual([0, 4999]);
    // Values arrive at the bottom of the coarse buckets: still within the coarse precision (1 %).
    expect(Math.abs(fine.percentile(50) - 2500)).toBeLessThanOrEqual(25);
  });

  it("records a value many times with recordMany", () => {
    const many = new Histogram();
    const one = new Histogram();
    many.recordMany(7, 5);
    many.recordMany(70_000_000_000, 2);
    many.recordMany(9, 0);
    for (let i = 0; i < 5; i++) one.record(7);
    one.record(70_000_000_000);
    one.record(70_000_000_000);
    expect(many.encode()).toBe(one.encode());
    expect(many.min).toBe(7);
    expect(() => many.recordMany(7, -1)).toThrow(InvariantError);
    expect(() => many.recordMany(7, 1.5)).toThrow(InvariantError);
  });

  it("keeps recording correctly after being read", () => {
    const interleaved = new Histogram();
    const once = new Histogram();
    for (const [i, v] of spreadValues("interleave", 3000).entries()) {
      interleaved.record(v);
      once.record(v);
      if (i % 1000 === 0) interleaved.summary();
    }
    expect(interleaved.encode()).toBe(once.encode());
  });

  it("grows past its initial range (values above 30 days in ms)", () => {
    const histogram = new Histogram({ highestTrackableValue: 1000 });
    histogram.record(5);
    histogram.record(100 * 24 * 3600 * 1000);
    expect(histogram.max).toBe(8_640_000_000);
    expect(histogram.percentile(100)).toBe(8_640_000_000);
    expect(histogram.percentile(50)).toBe(5);
  });

  it("round-trips through encode and decode", () => {
    const original = new Histogram();
    for (const v of spreadValues("codec", 10_000)) original.record(v);
    const text = original.encode();
    expect(text.startsWith("HISTFAAA")).toBe(true);
    const decoded = Histogram.decode(text);
    expect(decoded.count).toBe(original.count);
    for (const p of [0, 10, 50, 90, 99, 99.9, 99.99]) expect(decoded.percentile(p)).toBe(original.percentile(p));
    expect(decoded.encode()).toBe(text);
    // Max comes back as the top of its HDR bucket.
    expect(decoded.max).toBeGreaterThanOrEqual(original.max);
    withinPrecision(decoded.max, original.max);
  });

  it("keeps exact small values through encode and decode, and keeps recording after decode", () => {
    const original = new Histogram();
    for (const v of [0, 3, 17, 250, 1999]) original.record(v);
    const decoded = Histogram.decode(original.encode());
    expect([decoded.min, decoded.max, decoded.summary()]).toEqual([0, 1999, original.summary()]);
    decoded.record(42);
    original.record(42);
    expect(decoded.encode()).toBe(original.encode());
  });

  it("keeps recording correctly into a decoded histogram of another layout (lowestDiscernibleValue 1000)", () => {
    const foreign = build({ bitBucketSize: 64, lowestDiscernibleValue: 1000, highestTrackableValue: 1_000_000, numberOfSignificantValueDigits: 2 });
    const values = spreadValues("foreign", 4000);
    for (const v of values.slice(0, 2000)) foreign.recordValue(v);
    const decoded = Histogram.decode(encodeIntoCompressedBase64(foreign));
    for (const v of values.slice(2000)) {
      foreign.recordValue(v);
      decoded.record(v);
    }
    expect(decoded.encode()).toBe(encodeIntoCompressedBase64(foreign));
  });

  it("round-trips an empty histogram", () => {
    const decoded = Histogram.decode(new Histogram().encode());
    expect(decoded.summary()).toEqual({ count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 });
  });

  it.each(["", "not a histogram", "SGVsbG8gd29ybGQ="])("refuses to decode %j", (text) => {
    expect(() => Histogram.decode(text)).toThrow(SynclagError);
    try {
      Histogram.decode(text);
    } catch (error) {
      expect((error as SynclagError).reason).toBe("invalid_histogram");
    }
  });

  it("gives non-decreasing CDF points, from the min at 0 to the max at 1", () => {
    const histogram = new Histogram();
    for (const v of spreadValues("cdf", 10_000)) histogram.record(v);
    const points = histogram.cdf();
    expect(points.map((point) => point.fraction)).toEqual(DEFAULT_CDF_FRACTIONS);
    expect(DEFAULT_CDF_FRACTIONS.at(-1)).toBe(0.9999);
    expect(DEFAULT_CDF_FRACTIONS).toContain(0.99);
    for (let i = 1; i < points.length; i++) {
      expect((points[i] as { value: number }).value).toBeGreaterThanOrEqual((points[i - 1] as { value: number }).value);
    }
    expect(histogram.cdf([0, 1])).toEqual([
      { fraction: 0, value: histogram.min },
      { fraction: 1, value: histogram.max },
    ]);
  });

  it("rejects percentiles outside [0, 100], CDF fractions outside [0, 1] and bad options", () => {
    const histogram = new Histogram();
    histogram.record(1);
    expect(() => histogram.percentile(-1)).toThrow(InvariantError);
    expect(() => histogram.percentile(100.5)).toThrow(InvariantError);
    expect(() => histogram.percentile(Number.NaN)).toThrow(InvariantError);
    expect(() => histogram.cdf([0.5, 1.5])).toThrow(InvariantError);
    expect(() => new Histogram({ significantDigits: 0 })).toThrow(InvariantError);
    expect(() => new Histogram({ significantDigits: 6 })).toThrow(InvariantError);
    expect(() => new Histogram({ highestTrackableValue: 1 })).toThrow(InvariantError);
  });
});
