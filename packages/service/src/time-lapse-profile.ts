// A marketplace profile as a time-lapse, `speedUp`× faster: what `synclag run --marketplace-time scaled`
// does to each channel (real-run.ts `runProfile`), for mocks started on their own (`synclag marketplaces
// --time-lapse N`) under a workload compressed N× — bench/k6/flash-sale.js replays flash-sale's 3 hours
// in 60 s, 180×. Latencies, visibility and notification delays shrink by N, rate limits (the
// marketplace's and the engine's budget, `clientRateLimit`) grow by N, so each channel is stressed as in
// the real sale rather than meeting N× the demand at its real-time limits. Bursts and batch sizes stay.
// Easy to get wrong: the engine's own budget and batch linger are engine settings — an engine run against
// time-lapsed mocks needs them scaled as well (bench/k6/engine.yaml), or it throttles itself to real time.

import type { Distribution } from "@synclag/core";
import type { LimiterConfig, MarketplaceProfile } from "@synclag/marketplaces";

function scaleDistribution(d: Distribution, factor: number): Distribution {
  switch (d.kind) {
    case "constant":
      return { kind: "constant", ms: d.ms * factor };
    case "uniform":
      return { kind: "uniform", minMs: d.minMs * factor, maxMs: d.maxMs * factor };
    case "exponential":
      return { kind: "exponential", meanMs: d.meanMs * factor };
    case "lognormal":
      return { kind: "lognormal", medianMs: Math.max(0.01, d.medianMs * factor), p99Ms: Math.max(0.02, d.p99Ms * factor), ...(d.maxMs === undefined ? {} : { maxMs: d.maxMs * factor }) };
  }
}

function scaleLimiter(limit: LimiterConfig, speedUp: number): LimiterConfig {
  switch (limit.kind) {
    case "none":
      return limit;
    case "token-bucket":
      return { ...limit, ratePerSecond: limit.ratePerSecond * speedUp };
    case "leaky-bucket":
      return { ...limit, leakPerSecond: limit.leakPerSecond * speedUp };
    case "cost-points":
      return { ...limit, restoreRatePerSecond: limit.restoreRatePerSecond * speedUp };
  }
}

/** `profile` running `speedUp`× faster (≥ 1; 1 returns it unchanged). */
export function timeLapsedProfile(profile: MarketplaceProfile, speedUp: number): MarketplaceProfile {
  if (!(speedUp >= 1 && Number.isFinite(speedUp))) throw new RangeError(`time-lapse factor must be a finite number ≥ 1, got ${speedUp}`);
  return speedUp === 1 ? profile : scaledProfile(profile, 1 / speedUp);
}

/**
 * `profile` with every duration multiplied by `timeScale` and every rate divided by it (`synclag run`'s
 * time-lapse uses `timeScale` = wall ms per marketplace ms; it also replaces the outage windows).
 */
export function scaledProfile(profile: MarketplaceProfile, timeScale: number): MarketplaceProfile {
  const speedUp = 1 / timeScale;
  return {
    ...profile,
    rateLimit: scaleLimiter(profile.rateLimit, speedUp),
    clientRateLimit: { ratePerSecond: profile.clientRateLimit.ratePerSecond * speedUp, burst: profile.clientRateLimit.burst },
    apiLatency: scaleDistribution(profile.apiLatency, timeScale),
    visibilityDelay: scaleDistribution(profile.visibilityDelay, timeScale),
    ...(profile.batchLingerMs === undefined ? {} : { batchLingerMs: Math.round(profile.batchLingerMs * timeScale) }),
    faults: { ...profile.faults, outages: profile.faults.outages.map((o) => ({ startMs: o.startMs * timeScale, durationMs: o.durationMs * timeScale })) },
    notifications: { ...profile.notifications, delay: scaleDistribution(profile.notifications.delay, timeScale) },
  };
}
