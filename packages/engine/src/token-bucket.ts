// Client-side token bucket, sized to a channel's documented limit (Amazon: 5 req/s, burst 5).
// Easy to get wrong: the bucket must be driven by the Clock port's time, not wall time, and a refill
// must never exceed the burst — otherwise a quiet minute turns into a 429 storm.

export interface RateLimit {
  /** Sustained calls per second. `Infinity` = unlimited. */
  readonly ratePerSecond: number;
  /** Calls that may go out back to back after a quiet period (≥ 1). */
  readonly burst: number;
}

/** A token due within this much of now is granted: float sums of intervals land a hair either side of it. */
const TOLERANCE_MS = 1e-6;

/**
 * Kept as the time at which the bucket would have been empty, GCRA-style: tokens at `t` are
 * `min(burst, (t - emptyAt) / interval)`. Only a take, a refund or a drain changes it — asking does
 * not — so the answer never depends on how often the bucket was asked (a refill per call would add
 * rounding at every ask, and whether a token is there at exactly its due millisecond would depend on it).
 * Times are kept relative to the bucket's creation: at epoch milliseconds (~1.8e12) a double resolves
 * only ~0.0002 ms, and sums of short intervals there would drift.
 */
export class TokenBucket {
  private readonly intervalMs: number;
  private readonly originMs: number;
  private emptyAtMs: number;

  constructor(private readonly limit: RateLimit, nowMs: number) {
    if (!(limit.ratePerSecond > 0)) throw new RangeError(`rate limit must be a positive number of calls per second, got ${limit.ratePerSecond}`);
    if (!(limit.burst >= 1)) throw new RangeError(`rate limit burst must be at least 1, got ${limit.burst}`);
    this.intervalMs = 1000 / limit.ratePerSecond;
    this.originMs = nowMs;
    this.emptyAtMs = -limit.burst * this.intervalMs;
  }

  /** Takes one token: returns 0 if taken, else the milliseconds until one is available (> 0, not rounded). */
  tryTake(nowMs: number): number {
    if (!Number.isFinite(this.limit.ratePerSecond)) return 0;
    const now = nowMs - this.originMs;
    // A refill never exceeds the burst: a quiet period leaves at most `burst` tokens.
    const emptyAtMs = Math.max(this.emptyAtMs, now - this.limit.burst * this.intervalMs);
    const tokenAtMs = emptyAtMs + this.intervalMs;
    const dueAtMs = tokenAtMs - TOLERANCE_MS;
    if (now >= dueAtMs) {
      this.emptyAtMs = tokenAtMs;
      return 0;
    }
    return dueAtMs - now; // asking again at exactly now + this grants the token
  }

  /**
   * Takes `tokens` at once (fractions allowed: a read Shopify bills at 10.2 update calls) and returns how
   * long to wait before using them (0: now). Unlike `tryTake` it never refuses: the bucket goes into debt
   * and every take after it waits until that is paid — a reservation, for a call that must be made anyway
   * (GCRA's "reserve n"). A quiet period still refills to the burst only. `keep`: the wait lasts until the
   * bucket holds `keep` tokens more than it takes, left for others (a low-priority caller's margin).
   */
  reserve(nowMs: number, tokens: number, keep = 0): number {
    if (!(tokens >= 0 && tokens < Number.POSITIVE_INFINITY)) throw new RangeError(`tokens to reserve must be a finite number ≥ 0, got ${tokens}`);
    if (!(keep >= 0 && keep < Number.POSITIVE_INFINITY)) throw new RangeError(`tokens to keep must be a finite number ≥ 0, got ${keep}`);
    if (!Number.isFinite(this.limit.ratePerSecond) || tokens === 0) return 0;
    const now = nowMs - this.originMs;
    const emptyAtMs = Math.max(this.emptyAtMs, now - this.limit.burst * this.intervalMs);
    // The bucket never holds more than the burst: a margin beyond what is left of it after the take is moot.
    const margin = Math.max(0, Math.min(keep, this.limit.burst - tokens));
    const waitMs = emptyAtMs + (tokens + margin) * this.intervalMs - now;
    // Taken whenever the call goes: the margin is only waited for, later takes may use it meanwhile.
    this.emptyAtMs = emptyAtMs + tokens * this.intervalMs;
    return waitMs > TOLERANCE_MS ? waitMs : 0;
  }

  /** Gives back a token taken by `tryTake` that was not used (right after taking it). */
  refund(): void {
    if (Number.isFinite(this.limit.ratePerSecond)) this.emptyAtMs -= this.intervalMs;
  }

  /** Empties the bucket (after the channel said 429: our idea of its budget was wrong). */
  drain(nowMs: number): void {
    if (Number.isFinite(this.limit.ratePerSecond)) this.emptyAtMs = Math.max(this.emptyAtMs, nowMs - this.originMs);
  }
}
