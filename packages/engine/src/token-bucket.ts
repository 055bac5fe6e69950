// Client-side token bucket, sized to a channel's documented limit (Amazon: 5 req/s, burst 5).
// Easy to get wrong: the bucket must be driven by the Clock port's time, not wall time, and a refill
// must never exceed the burst — otherwise a quiet minute turns into a 429 storm.

export interface RateLimit {
  /** Sustained calls per second. `Infinity` = unlimited. */
  readonly ratePerSecond: number;
  /** Calls that may go out back to back after a quiet period (≥ 1). */
  readonly burst: number;
}

export class TokenBucket {
  private tokens: number;
  private updatedAtMs: number;

  constructor(private readonly limit: RateLimit, nowMs: number) {
    this.tokens = limit.burst;
    this.updatedAtMs = nowMs;
  }

  /** Takes one token: returns 0 if taken, else the milliseconds until one is available. */
  tryTake(nowMs: number): number {
    if (!Number.isFinite(this.limit.ratePerSecond)) return 0;
    this.refill(nowMs);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.limit.ratePerSecond));
  }

  /** Gives back a token taken by `tryTake` that was not used. */
  refund(): void {
    if (Number.isFinite(this.limit.ratePerSecond)) this.tokens = Math.min(this.limit.burst, this.tokens + 1);
  }

  /** Empties the bucket (after the channel said 429: our idea of its budget was wrong). */
  drain(nowMs: number): void {
    this.refill(nowMs);
    this.tokens = Math.min(this.tokens, 0);
  }

  private refill(nowMs: number): void {
    const elapsed = nowMs - this.updatedAtMs;
    if (elapsed > 0) {
      this.tokens = Math.min(this.limit.burst, this.tokens + (elapsed * this.limit.ratePerSecond) / 1000);
      this.updatedAtMs = nowMs;
    }
  }
}
