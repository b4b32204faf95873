import { assertRange } from '../errors.ts';

/** Envoy's token_bucket: capacity, tokens added per fill, and the fill interval (ms). */
export interface TokenBucketConfig {
  readonly max_tokens: number;
  readonly tokens_per_fill: number;
  readonly fill_interval: number;
}

/**
 * Continuous, lazily refilled token bucket (Envoy ≥ 1.31 AtomicTokenBucketImpl). The whole state
 * is one timestamp `t`: available = min(max, (now − t) × rate). Tokens accrue between fill ticks,
 * so a bucket configured as "10 per second" grants one token every 100 ms. Starts full.
 */
export class TokenBucket {
  private t: number;
  private readonly max: number;
  /** Tokens per millisecond. */
  private readonly rate: number;

  constructor(config: TokenBucketConfig, now: number) {
    assertRange('max_tokens', config.max_tokens, 1);
    assertRange('tokens_per_fill', config.tokens_per_fill, 1);
    assertRange('fill_interval', config.fill_interval, 1);
    this.max = config.max_tokens;
    this.rate = config.tokens_per_fill / config.fill_interval;
    this.t = now - this.max / this.rate;
  }

  available(now: number): number {
    return Math.min(this.max, (now - this.t) * this.rate);
  }

  /** Takes `n` tokens if that many are available. */
  consume(now: number, n = 1): boolean {
    const available = this.available(now);
    if (available < n) return false;
    this.t = now - (available - n) / this.rate;
    return true;
  }

  /** Milliseconds until `n` tokens are available (0 if they are now): feeds Retry-After and X-RateLimit-Reset. */
  msUntil(now: number, n = 1): number {
    const missing = n - this.available(now);
    // The epsilon absorbs float error so 0.0100000001 ms of missing time is not reported as 2 ms.
    return missing <= 1e-9 ? 0 : Math.ceil(missing / this.rate - 1e-9);
  }

  get capacity(): number {
    return this.max;
  }
}
