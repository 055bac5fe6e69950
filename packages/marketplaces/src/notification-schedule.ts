// When a marketplace retries an order notification whose delivery failed: the offsets of every
// attempt after the first, from the profile. The simulator's `MarketplaceModel.planNotification`
// draws failures in virtual time; the HTTP mocks send real requests and retry real failures on this
// schedule (optionally scaled down: Shopify's 8 retries over 4 h). Easy to get wrong: the gaps back
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
