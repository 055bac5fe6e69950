// A marketplace's own rate limiter, by kind: Amazon's token bucket, Shopify REST's leaky bucket,
// Shopify GraphQL's cost points, or none (WooCommerce). Each answers like the real one would:
// admit, or refuse with how long to wait. Easy to get wrong: cost-point throttling refuses a call
// whose cost exceeds what is *currently* available, even though the bucket is not empty.

export type LimiterConfig =
  | { readonly kind: "none" }
  | { readonly kind: "token-bucket"; readonly ratePerSecond: number; readonly burst: number }
  | { readonly kind: "leaky-bucket"; readonly capacity: number; readonly leakPerSecond: number }
  | { readonly kind: "cost-points"; readonly maximumAvailable: number; readonly restoreRatePerSecond: number; readonly costPerCall: number; readonly costPerItem: number };

export interface LimiterState {
  /** Remaining budget after this call (tokens, free slots, or points). */
  readonly available: number;
  readonly maximum: number;
  /** Used slots for leaky buckets (`X-Shopify-Shop-Api-Call-Limit: used/max`). */
  readonly used: number;
  readonly restoreRate: number;
}

export type LimiterDecision =
  | { readonly admitted: true; readonly cost: number; readonly state: LimiterState }
  | { readonly admitted: false; readonly retryAfterMs: number; readonly cost: number; readonly state: LimiterState };

export class RateLimiter {
  private level: number;
  private updatedAtMs: number;
  /** Multiplier on the refill rate; fault injection "throttle tightening" lowers it. */
  private tightening = 1;

  constructor(private readonly config: LimiterConfig, nowMs: number) {
    this.level = config.kind === "token-bucket" ? config.burst : config.kind === "cost-points" ? config.maximumAvailable : 0;
    this.updatedAtMs = nowMs;
  }

  /**
   * Scales the refill rate from `nowMs` on (a throttle storm). The refill owed until then is settled
   * at the old rate first: the bucket refills lazily, and without that the whole gap since the last
   * call would be refilled at the new rate — a storm reaching back before it began, or out past its end.
   */
  setTightening(factor: number, nowMs: number): void {
    this.advance(nowMs);
    this.tightening = Math.max(0.001, Math.min(1, factor));
  }

  /** Admits a call of `items` updates at `nowMs`, or says how long to wait. */
  tryAcquire(nowMs: number, items: number): LimiterDecision {
    const config = this.config;
    this.advance(nowMs);
    switch (config.kind) {
      case "none":
        return { admitted: true, cost: 0, state: { available: Number.POSITIVE_INFINITY, maximum: Number.POSITIVE_INFINITY, used: 0, restoreRate: Number.POSITIVE_INFINITY } };
      case "token-bucket": {
        const rate = config.ratePerSecond * this.tightening;
        if (this.level >= 1) {
          this.level -= 1;
          return { admitted: true, cost: 1, state: this.state() };
        }
        return { admitted: false, cost: 1, retryAfterMs: Math.ceil(((1 - this.level) * 1000) / rate), state: this.state() };
      }
      case "leaky-bucket": {
        const rate = config.leakPerSecond * this.tightening;
        if (this.level + 1 <= config.capacity) {
          this.level += 1;
          return { admitted: true, cost: 1, state: this.state() };
        }
        return { admitted: false, cost: 1, retryAfterMs: Math.ceil(((this.level + 1 - config.capacity) * 1000) / rate), state: this.state() };
      }
      case "cost-points":
        return this.takePoints(config, config.costPerCall + config.costPerItem * items);
    }
  }

  /**
   * Admits a call that costs `cost` points, whatever it is (Shopify bills reads and other mutations
   * from the bucket updates draw on); limiters that count calls count it as one.
   */
  tryAcquireCost(nowMs: number, cost: number): LimiterDecision {
    const config = this.config;
    if (config.kind !== "cost-points") return this.tryAcquire(nowMs, 1);
    this.advance(nowMs);
    return this.takePoints(config, cost);
  }

  private takePoints(config: Extract<LimiterConfig, { kind: "cost-points" }>, cost: number): LimiterDecision {
    const rate = config.restoreRatePerSecond * this.tightening;
    if (cost > config.maximumAvailable) return { admitted: false, cost, retryAfterMs: Number.POSITIVE_INFINITY, state: this.state() };
    if (this.level >= cost) {
      this.level -= cost;
      return { admitted: true, cost, state: this.state() };
    }
    return { admitted: false, cost, retryAfterMs: Math.ceil(((cost - this.level) * 1000) / rate), state: this.state() };
  }

  state(): LimiterState {
    const config = this.config;
    switch (config.kind) {
      case "none":
        return { available: Number.POSITIVE_INFINITY, maximum: Number.POSITIVE_INFINITY, used: 0, restoreRate: Number.POSITIVE_INFINITY };
      case "token-bucket":
        return { available: Math.floor(this.level), maximum: config.burst, used: config.burst - Math.floor(this.level), restoreRate: config.ratePerSecond * this.tightening };
      case "leaky-bucket":
        return { available: config.capacity - Math.ceil(this.level), maximum: config.capacity, used: Math.ceil(this.level), restoreRate: config.leakPerSecond * this.tightening };
      case "cost-points":
        return { available: Math.floor(this.level), maximum: config.maximumAvailable, used: config.maximumAvailable - Math.floor(this.level), restoreRate: config.restoreRatePerSecond * this.tightening };
    }
  }

  private advance(nowMs: number): void {
    const elapsedSeconds = (nowMs - this.updatedAtMs) / 1000;
    if (elapsedSeconds <= 0) return;
    this.updatedAtMs = nowMs;
    const config = this.config;
    if (config.kind === "token-bucket") this.level = Math.min(config.burst, this.level + elapsedSeconds * config.ratePerSecond * this.tightening);
    else if (config.kind === "leaky-bucket") this.level = Math.max(0, this.level - elapsedSeconds * config.leakPerSecond * this.tightening);
    else if (config.kind === "cost-points") this.level = Math.min(config.maximumAvailable, this.level + elapsedSeconds * config.restoreRatePerSecond * this.tightening);
  }
}
