// The one parser of strategy text ("events" / "polling:<interval>"): the scenario schema validates
// `strategies` with it, and the simulator, the CLI and the engine service parse with it (through
// @synclag/sim's `parseStrategy`), so nothing can pass validation and then be refused by the simulator.

import { formatDuration, parseDuration } from "@synclag/core";

/** Structurally the same type as @synclag/engine's `Strategy` (this layer may not import the engine). */
export type Strategy = { readonly kind: "events" } | { readonly kind: "polling"; readonly intervalMs: number };

export type StrategyParse = { ok: true; strategy: Strategy } | { ok: false; problem: string };

/**
 * Shortest polling interval accepted. Every poll snapshots the whole catalogue, so `polling:1ms`
 * makes a run take minutes to hours for no insight; below a second, compare `events` instead.
 */
export const MIN_POLLING_INTERVAL_MS = 1000;

/** Longest polling interval accepted (a year): longer ones only make the simulator wait for one poll. */
export const MAX_POLLING_INTERVAL_MS = 366 * 86_400_000;

/**
 * The canonical name of a strategy: "events", or "polling:" and the interval's shortest spelling
 * (900s → "polling:15m", 90m → "polling:1h30m"), which parses back to the same interval. Every
 * strategy read from input (scenario files, CLI flags) is named this way, so two spellings of one
 * interval give the same result document.
 */
export function strategyName(strategy: Strategy): string {
  return strategy.kind === "events" ? "events" : `polling:${formatDuration(strategy.intervalMs)}`;
}

export function parseStrategy(text: string): StrategyParse {
  if (text === "events") return { ok: true, strategy: { kind: "events" } };
  const match = /^polling:(.*)$/s.exec(text);
  if (match) {
    const intervalMs = parseDuration(match[1] as string);
    if (intervalMs === undefined) return { ok: false, problem: `bad polling interval in ${JSON.stringify(text)}: use polling:<interval> with units ms, s, m, h or d, e.g. polling:15m` };
    if (intervalMs < MIN_POLLING_INTERVAL_MS) {
      return {
        ok: false,
        problem: `polling interval in ${JSON.stringify(text)} is ${formatDuration(intervalMs)}: it must be at least ${formatDuration(MIN_POLLING_INTERVAL_MS)} (every poll snapshots the whole catalogue, so shorter intervals make a run crawl; for near-real-time sync compare "events")`,
      };
    }
    if (intervalMs > MAX_POLLING_INTERVAL_MS) {
      return { ok: false, problem: `polling interval in ${JSON.stringify(text)} is longer than ${formatDuration(MAX_POLLING_INTERVAL_MS)}: a run would only wait for its one poll` };
    }
    return { ok: true, strategy: { kind: "polling", intervalMs } };
  }
  return { ok: false, problem: `unknown strategy ${JSON.stringify(text)}: use events or polling:<interval> (e.g. polling:15m)` };
}
