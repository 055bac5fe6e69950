// The time compression of a real run (`synclag run`): the scenario (e.g. 3 h of trading) replayed in
// `--duration` of wall-clock time (e.g. 10 s, 1,080×), read from the strategy's `load` section. Easy to
// get wrong: in such a document the charts' time of day and the rates are scenario time, while every
// lag (and the polling interval) is wall-clock milliseconds of the compressed run — a renderer that
// does not say so presents a 1,080× time-lapse as if it were the real sale.

import { formatDuration } from "@synclag/core";
import type { ResultDocument } from "@synclag/sim";

export interface TimeCompression {
  /** Scenario ms per wall-clock ms (1 / `load.timeScale`), e.g. 1080. */
  readonly factor: number;
  /** Wall-clock length of the load phase (`load.durationMs`). */
  readonly wallDurationMs: number;
  /** The scenario's length (`scenario.durationMs`). */
  readonly scenarioDurationMs: number;
  /** `scaled`: marketplace latencies, delays and rate limits compressed by the same factor; `real`: as documented. */
  readonly marketplaceTime: "scaled" | "real" | undefined;
}

/** The compression of a real run, or undefined for a simulated one (or a real one without a `load` section). */
export function timeCompressionOf(doc: ResultDocument): TimeCompression | undefined {
  if (doc.generator.mode !== "real") return undefined;
  for (const strategy of doc.strategies) {
    const load = (strategy as { readonly load?: unknown }).load;
    if (typeof load !== "object" || load === null) continue;
    const { timeScale, durationMs, marketplaceTime } = load as { timeScale?: unknown; durationMs?: unknown; marketplaceTime?: unknown };
    if (typeof timeScale !== "number" || !(timeScale > 0) || !Number.isFinite(timeScale) || typeof durationMs !== "number" || !(durationMs > 0)) continue;
    return {
      factor: 1 / timeScale,
      wallDurationMs: durationMs,
      scenarioDurationMs: doc.scenario.durationMs,
      marketplaceTime: marketplaceTime === "scaled" || marketplaceTime === "real" ? marketplaceTime : undefined,
    };
  }
  return undefined;
}

/** "1,080×", "2.5×", "1×": whole above 10, one decimal below. */
export function formatFactor(factor: number): string {
  const rounded = factor >= 10 ? Math.round(factor) : Math.round(factor * 10) / 10;
  return `${rounded.toLocaleString("en-US")}×`;
}

/**
 * One phrase for the gate's outputs: "compressed 1,080× (3h of scenario in 10s of wall clock; lags are
 * wall-clock ms)". The HTML report says the same at more length.
 */
export function describeCompression(compression: TimeCompression): string {
  return `compressed ${formatFactor(compression.factor)} (${formatDuration(compression.scenarioDurationMs)} of scenario in ${formatDuration(compression.wallDurationMs)} of wall clock; lags are wall-clock ms)`;
}
