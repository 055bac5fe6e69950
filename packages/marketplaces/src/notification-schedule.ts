// When a marketplace retries an order notification whose delivery failed: the offsets of every
// attempt after the first, from the profile. The simulator's `MarketplaceModel.planNotification`
// draws failures in virtual time and times the attempts with `attemptOffsetMs`; the HTTP mocks send
// real requests and retry real failures on this schedule (optionally scaled down: Shopify's 8 retries over 4 h). Easy to get wrong: the gaps back
// off exponentially (each twice the last) and together span `retrySpanMs` — not evenly spread.

import type { MarketplaceProfile } from "./profiles.js";

/** Offsets (ms after the first attempt) of the retries, in order; empty when the marketplace never retries. */
export function retryOffsetsMs(notifications: MarketplaceProfile["notifications"]): number[] {
  const { retries, retrySpanMs } = notifications;
  if (retries <= 0) return [];
  const offsets: number[] = [];
  let at = 0;
  let gap = retrySpanMs / (2 ** retries - 1);
  for (let attempt = 1; attempt <= retries; attempt++) {
    at += gap;
    gap *= 2;
    offsets.push(at);
  }
  return offsets;
}

/**
 * When attempt `attempt` (0 = the first) goes out, for a first attempt at `firstAtMs` (any origin:
 * an offset after the confirmation, or an absolute time). Retries are timed from the first attempt's
 * actual time, as `retryOffsetsMs` says; `attempt` beyond the last retry is clamped to it.
 */
export function attemptOffsetMs(notifications: MarketplaceProfile["notifications"], firstAtMs: number, attempt: number): number {
  const { retries, retrySpanMs } = notifications;
  let at = firstAtMs;
  let gap = retries > 0 ? retrySpanMs / (2 ** retries - 1) : 0;
  for (let i = 0; i < Math.min(attempt, retries); i++) {
    at += gap;
    gap *= 2;
  }
  return at;
}
