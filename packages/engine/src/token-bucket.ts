// Client-side token bucket, sized to a channel's documented limit (Amazon: 5 req/s, burst 5).
// Easy to get wrong: the bucket must be driven by the Clock port's time, not wall time, and a refill
// must never exceed the burst — otherwise a quiet minute turns into a 429 storm.

export interface RateLimit {
  /** Sustained calls per second. `Infinity` = unlimited. */
  readonly ratePerSecond: number;
  /** Calls that may go out back to back after a quiet period (≥ 1). */
  readonly burst: number;
}

/**
 * Kept as the (virtual) time at which the bucket would have been empty, GCRA-style: tokens at `t` are
 * `min(burst, (t - emptyAtMs) / interval)`. Only a take, a refund or a drain changes it — asking does
 * not — so the answer never depends on how often the bucket was asked (a refill per call would add
 * rounding at every ask, and whether a token is there at exactly its due millisecond would depend on it).
 */
export class TokenBucket {
  private readonly intervalMs: number;
  private emptyAtMs: number;

  constructor(private readonly limit: RateLimit, nowMs: number) {
    this.intervalMs = 1000 / limit.ratePerSecond;
    this.emptyAtMs = nowMs - limit.burst * this.intervalMs;
  }

  /** Takes one token: returns 0 if taken, else the milliseconds until one is available. */
  tryTake(nowMs: number): number {
    if (!Number.isFinite(this.limit.ratePerSecond)) return 0;
    // A refill never exceeds the burst: a quiet period leaves at most `burst` tokens.
    const emptyAtMs = Math.max(this.emptyAtMs, nowMs - this.limit.burst * this.intervalMs);
    const tokenAtMs = emptyAtMs + this.intervalMs;
    if (nowMs >= tokenAtMs) {
      this.emptyAtMs = tokenAtMs;
      return 0;
    }
    return Math.max(1, Math.ceil(tokenAtMs - nowMs));
  }

  /** Gives back a token taken by `tryTake` that was not used (right after taking it). */
  refund(): void {
    if (Number.isFinite(this.limit.ratePerSecond)) this.emptyAtMs -= this.intervalMs;
  }

  /** Empties the bucket (after the channel said 429: our idea of its budget was wrong). */
  drain(nowMs: number): void {
    if (Number.isFinite(this.limit.ratePerSecond)) this.emptyAtMs = Math.max(this.emptyAtMs, nowMs);
  }
}
