// Latency histograms for the simulator, the real runner, the CI gate and the report: integer values
// in the unit the metric name states (`sync_lag_ms`), backed by HdrHistogram (hdr-histogram-js, JS
// flavour — the WASM one needs async init and destroy(), and JS and WASM histograms cannot be merged).
// Easy to get wrong: percentiles cannot be averaged. Combine workers and runs with `merge` (an HDR add
// of the counts), then ask for the percentile.
//
// Hot path: `record` does not call into hdr-histogram-js (~5 M values/s there). It counts into a
// private array laid out exactly like HDR's buckets (a `clz32`, a shift, a typed-array increment) and
// folds those counts into the HDR histogram before anything reads it. Results are identical to
// recording straight into HDR; min and max are tracked exactly beside it.

import { JsHistogram, build, decodeFromCompressedBase64, encodeIntoCompressedBase64 } from "hdr-histogram-js";
import { InvariantError, SynclagError } from "@synclag/core";

export interface HistogramOptions {
  /**
   * Initial range in the histogram's unit; larger values still record (the histogram grows).
   * Default 30 days in ms (2_592_000_000).
   */
  readonly highestTrackableValue?: number;
  /** Decimal digits kept for every value, 1–5. Default 3 (values ≥ 2048 within 0.1 %; below that exact). */
  readonly significantDigits?: number;
}

/** Integers in the histogram's unit; all 0 when `count` is 0. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export interface CdfPoint {
  /** Fraction of values at or below `value`, in [0, 1]. */
  fraction: number;
  value: number;
}

/** 0, then five points per decade of the tail up to 0.9999 (0.9, 0.99, 0.999 among them). */
export const DEFAULT_CDF_FRACTIONS: readonly number[] = Object.freeze(
  Array.from({ length: 21 }, (_, i) => Number((1 - 10 ** (-i / 5)).toFixed(6))),
);

const DEFAULT_HIGHEST_TRACKABLE_VALUE = 30 * 24 * 60 * 60 * 1000;
const DEFAULT_SIGNIFICANT_DIGITS = 3;
/** Above this, values skip the fast path (`clz32` and `>>>` work on 32 bits). */
const FAST_PATH_LIMIT = 0xffff_ffff;
/** A pending count folds into HDR when it reaches this (the largest a Uint32Array holds). */
const PENDING_LIMIT = 0xffff_ffff;

export class Histogram {
  readonly #highestTrackableValue: number;
  readonly #significantDigits: 1 | 2 | 3 | 4 | 5;
  /** Created on first read, so a series nobody reads costs only its pending array. */
  #hdr: JsHistogram | undefined;

  // HDR bucket layout (see JsHistogram.init): index = bucket * halfCount + (value >>> (bucket + unitMagnitude)).
  #halfCountMagnitude: number;
  #unitMagnitude: number;
  /**
   * Counts recorded since the last fold into `#hdr`, indexed like HDR's counts array. 32-bit: half the
   * cache footprint of doubles (the simulator keeps 80 of these busy at once); a count about to reach
   * 2³² − 1 folds first.
   */
  #pending: Uint32Array;
  #pendingCount = 0;

  // Exact while values come through `record`; after `decode` they are the bucket bounds HDR kept.
  #min = Number.POSITIVE_INFINITY;
  #max = 0;

  constructor(options: HistogramOptions = {}) {
    const highest = options.highestTrackableValue ?? DEFAULT_HIGHEST_TRACKABLE_VALUE;
    const digits = options.significantDigits ?? DEFAULT_SIGNIFICANT_DIGITS;
    if (!Number.isSafeInteger(highest) || highest < 2) {
      throw new InvariantError(`histogram highestTrackableValue must be an integer ≥ 2, got ${highest}`);
    }
    if (!Number.isInteger(digits) || digits < 1 || digits > 5) {
      throw new InvariantError(`histogram significantDigits must be an integer from 1 to 5, got ${digits}`);
    }
    this.#highestTrackableValue = highest;
    this.#significantDigits = digits as 1 | 2 | 3 | 4 | 5;
    // Same arithmetic as JsHistogram.init with lowestDiscernibleValue 1; a test pins the equivalence.
    this.#halfCountMagnitude = Math.max(Math.ceil(Math.log2(2 * 10 ** digits)), 1) - 1;
    this.#unitMagnitude = 0;
    this.#pending = new Uint32Array(2 << this.#halfCountMagnitude);
  }

  /** Records one value; rounds to an integer. Negative, non-finite or unsafe-integer values are bugs. */
  record(value: number): void {
    if (!(value >= 0 && value <= Number.MAX_SAFE_INTEGER)) throw invalidValue(value);
    const v = Math.round(value) + 0; // `+ 0` turns -0 into 0
    if (v > this.#max) this.#max = v;
    if (v < this.#min) this.#min = v;
    if (v > FAST_PATH_LIMIT) {
      this.#store().recordValueWithCount(v, 1);
      return;
    }
    const bucket = Math.max(31 - Math.clz32(v) - this.#halfCountMagnitude - this.#unitMagnitude, 0);
    const index = (bucket << this.#halfCountMagnitude) + (v >>> (bucket + this.#unitMagnitude));
    if (index >= this.#pending.length) this.#growPending(index);
    this.#pendingCount++;
    if (++(this.#pending[index] as number) === PENDING_LIMIT) this.#folded();
  }

  /** Records `value` `count` times (count: a non-negative integer). */
  recordMany(value: number, count: number): void {
    if (!(value >= 0 && value <= Number.MAX_SAFE_INTEGER)) throw invalidValue(value);
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new InvariantError(`histogram count must be a non-negative integer, got ${count}`);
    }
    if (count === 0) return;
    const v = Math.round(value) + 0;
    if (v > this.#max) this.#max = v;
    if (v < this.#min) this.#min = v;
    if (v > FAST_PATH_LIMIT) {
      this.#store().recordValueWithCount(v, count);
      return;
    }
    const bucket = Math.max(31 - Math.clz32(v) - this.#halfCountMagnitude - this.#unitMagnitude, 0);
    const index = (bucket << this.#halfCountMagnitude) + (v >>> (bucket + this.#unitMagnitude));
    if (index >= this.#pending.length) this.#growPending(index);
    if (count >= PENDING_LIMIT - (this.#pending[index] as number)) {
      this.#store().recordValueWithCount(v, count); // would not fit the 32-bit pending count (rare)
      return;
    }
    (this.#pending[index] as number) += count;
    this.#pendingCount += count;
  }

  /** Adds every value `other` holds (HDR add), as if they had been recorded here. `other` is unchanged. */
  merge(other: Histogram): void {
    if (other.count === 0) return;
    const otherStore = other.#folded();
    const store = this.#folded();
    const lengthBefore = store.countsArrayLength;
    store.add(otherStore);
    if (store.countsArrayLength !== lengthBefore) {
      // add() grows the range to exactly other's max, where recording a value grows it to the top of the
      // new counts array; match the latter so merged and directly recorded histograms encode identically.
      store.highestTrackableValue = store.highestEquivalentValue(store.valueFromIndex(store.countsArrayLength - 1));
    }
    if (other.#max > this.#max) this.#max = other.#max;
    if (other.#min < this.#min) this.#min = other.#min;
  }

  get count(): number {
    return (this.#hdr === undefined ? 0 : this.#hdr.totalCount) + this.#pendingCount;
  }

  /** Largest value recorded; 0 when empty. */
  get max(): number {
    return this.count === 0 ? 0 : this.#max;
  }

  /** Smallest value recorded; 0 when empty. */
  get min(): number {
    return this.count === 0 ? 0 : this.#min;
  }

  /** Mean within HDR precision (not necessarily an integer); 0 when empty. */
  get mean(): number {
    if (this.count === 0) return 0;
    return this.#clamp(this.#folded().mean);
  }

  /**
   * The value at or below which `p` percent of the values fall (p in [0, 100]), within HDR precision
   * and never outside [min, max]; 0 when empty.
   */
  percentile(p: number): number {
    if (!(p >= 0 && p <= 100)) throw new InvariantError(`percentile must be in [0, 100], got ${p}`);
    if (this.count === 0) return 0;
    return this.#clamp(this.#folded().getValueAtPercentile(p));
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: this.max,
    };
  }

  /** Points for a CDF chart: the value at each fraction (each in [0, 1]), in the order given. */
  cdf(fractions: readonly number[] = DEFAULT_CDF_FRACTIONS): CdfPoint[] {
    for (const fraction of fractions) {
      if (!(fraction >= 0 && fraction <= 1)) {
        throw new InvariantError(`cdf fraction must be in [0, 1], got ${fraction}`);
      }
    }
    return fractions.map((fraction) => ({ fraction, value: this.percentile(Math.min(fraction * 100, 100)) }));
  }

  /** HdrHistogram's compressed base64 form ("HISTFAAA…"), readable by any HdrHistogram implementation. */
  encode(): string {
    return encodeIntoCompressedBase64(this.#folded());
  }

  /**
   * Reads `encode`'s output (or any HdrHistogram V2 compressed base64). Min and max come back as the
   * bounds of their HDR buckets, so they may differ from the originals by the histogram's precision.
   */
  static decode(text: string): Histogram {
    let decoded: unknown;
    try {
      // 64-bit counts: merged runs can pass 2^31 in one bucket, where 32-bit counts wrap silently.
      decoded = decodeFromCompressedBase64(text, 64);
    } catch (cause) {
      throw new SynclagError("invalid_histogram", `not an encoded HdrHistogram: ${describe(cause)}`, { cause });
    }
    if (!(decoded instanceof JsHistogram)) {
      throw new SynclagError("invalid_histogram", "not an encoded HdrHistogram: decoded to an unexpected type");
    }
    const digits = decoded.numberOfSignificantValueDigits;
    const histogram = new Histogram({
      significantDigits: Number.isInteger(digits) && digits >= 1 && digits <= 5 ? digits : DEFAULT_SIGNIFICANT_DIGITS,
    });
    histogram.#adopt(decoded);
    return histogram;
  }

  #adopt(decoded: JsHistogram): void {
    decoded.autoResize = true;
    this.#hdr = decoded;
    // A foreign encoder may use another layout (e.g. lowestDiscernibleValue 1000): follow HDR's own.
    this.#halfCountMagnitude = decoded.subBucketHalfCountMagnitude;
    this.#unitMagnitude = decoded.unitMagnitude;
    this.#pending = new Uint32Array(2 << this.#halfCountMagnitude);
    this.#pendingCount = 0;
    if (decoded.totalCount > 0) {
      this.#min = decoded.getValueAtPercentile(0);
      this.#max = decoded.getValueAtPercentile(100);
      // hdr-histogram-js 3 decodes maxValue as the bucket top plus (lowestDiscernibleValue - 1), one
      // bucket too far when lowestDiscernibleValue > 1; re-encoding would then carry an extra empty count.
      decoded.maxValue = this.#max;
    }
  }

  #store(): JsHistogram {
    if (this.#hdr === undefined) {
      const created = build({
        bitBucketSize: 64, // see decode: 32-bit counts wrap silently
        autoResize: true,
        lowestDiscernibleValue: 1,
        highestTrackableValue: this.#highestTrackableValue,
        numberOfSignificantValueDigits: this.#significantDigits,
        useWebAssembly: false,
      });
      if (!(created instanceof JsHistogram)) throw new InvariantError("hdr-histogram-js built a non-JS histogram");
      this.#hdr = created;
    }
    return this.#hdr;
  }

  /** The HDR histogram with every pending count folded in. */
  #folded(): JsHistogram {
    const store = this.#store();
    if (this.#pendingCount === 0) return store;
    const pending = this.#pending;
    for (let index = 0; index < pending.length; index++) {
      const count = pending[index] as number;
      if (count !== 0) {
        // valueFromIndex is the lowest value of the bucket: it lands in the same HDR bucket.
        store.recordValueWithCount(store.valueFromIndex(index), count);
        pending[index] = 0;
      }
    }
    this.#pendingCount = 0;
    return store;
  }

  #growPending(index: number): void {
    // Whole buckets at a time, at least doubling, so growth happens a handful of times per histogram.
    const halfCount = 1 << this.#halfCountMagnitude;
    const needed = (Math.floor(index / halfCount) + 1) * halfCount;
    const grown = new Uint32Array(Math.max(needed, this.#pending.length * 2));
    grown.set(this.#pending);
    this.#pending = grown;
  }

  #clamp(value: number): number {
    return Math.min(Math.max(value, this.#min), this.#max);
  }
}

function invalidValue(value: number): InvariantError {
  return new InvariantError(`histogram values must be finite, non-negative and ≤ 2^53 - 1, got ${value}`);
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
