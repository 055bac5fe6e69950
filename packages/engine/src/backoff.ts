// Capped exponential backoff with jitter drawn from the Random port ("equal jitter": half fixed, half
// random, so retries never collapse to zero delay and never synchronise across pairs).

import type { Random } from "@synclag/core";

export interface RetryPolicy {
  /**
   * Attempts per update before giving up (the reconciler is the net after that): per-item failures, and
   * whole-call failures of one update while the channel serves other calls. Default 8.
   */
  readonly maxAttempts: number;
  /** First retry delay in ms. Default 200. */
  readonly baseDelayMs: number;
  /** Largest retry delay in ms. Default 30000. */
  readonly maxDelayMs: number;
  /** Wait after a 429 that carried no Retry-After, in ms. Default 1000. */
  readonly defaultRetryAfterMs: number;
  /**
   * How long an update may keep failing because its channel is down, or keep being throttled (429s are
   * not counted: a storm is bounded by time), before it is given up, in ms. Default 6 h.
   */
  readonly maxOutageMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 200,
  maxDelayMs: 30_000,
  defaultRetryAfterMs: 1000,
  maxOutageMs: 6 * 3_600_000,
};

/** Delay before retry number `attempt` (1 = first retry). */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: Random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random.next() * ceiling) / 2);
}
