import { assertRange } from '../errors.ts';
import { TokenBucket, type TokenBucketConfig } from './token-bucket.ts';

/** The outcome of a rate-limit check, with what the `x-ratelimit-*` and `retry-after` headers need. */
export interface RateLimitResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the next token. */
  resetMs: number;
}

/**
 * One token bucket per client key (IP, header value), with a bounded key table. When the table is
 * full the least recently used key is dropped; its client starts again with a full bucket. That
 * can only let a little more through, never block a client wrongly, and bounds memory against key
 * floods — the right trade for a gateway facing the internet.
 */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly config: TokenBucketConfig;
  private readonly maxKeys: number;
  evictions = 0;

  constructor(config: TokenBucketConfig, maxKeys = 10_000) {
    assertRange('max_keys', maxKeys, 1);
    new TokenBucket(config, 0); // validates the config once, at construction
    this.config = config;
    this.maxKeys = maxKeys;
  }

  /** Checks and consumes one token for `key`, writing the result into `out` (reused, no allocation). */
  check(key: string, now: number, out: RateLimitResult): RateLimitResult {
    let bucket = this.buckets.get(key);
    if (bucket) {
      // Re-insert to mark as most recently used (Map keeps insertion order).
      this.buckets.delete(key);
    } else {
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value!;
        this.buckets.delete(oldest);
        this.evictions++;
      }
      bucket = new TokenBucket(this.config, now);
    }
    this.buckets.set(key, bucket);
    out.allowed = bucket.consume(now);
    out.limit = bucket.capacity;
    out.remaining = Math.floor(bucket.available(now));
    out.resetMs = bucket.msUntil(now);
    return out;
  }

  get size(): number {
    return this.buckets.size;
  }
}

export function emptyRateLimitResult(): RateLimitResult {
  return { allowed: true, limit: 0, remaining: 0, resetMs: 0 };
}
