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

/** A key's bucket and its second-chance bit: set on every use, cleared when the eviction hand passes. */
class Slot {
  readonly bucket: TokenBucket;
  referenced = false;

  constructor(bucket: TokenBucket) {
    this.bucket = bucket;
  }
}

/**
 * One token bucket per client key (IP, header value), with a bounded key table. When the table is
 * full a key not used since the eviction hand last passed is dropped (second-chance, an LRU
 * approximation); its client starts again with a full bucket. That can only let a little more
 * through, never block a client wrongly, and bounds memory against key floods — the right trade
 * for a gateway facing the internet. A hit only sets a bit: true LRU re-inserted the key into the
 * Map on every request, which was the limiter's whole cost.
 */
export class KeyedRateLimiter {
  private readonly slots = new Map<string, Slot>();
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
    let slot = this.slots.get(key);
    if (slot) {
      slot.referenced = true;
    } else {
      if (this.slots.size >= this.maxKeys) this.evictOne();
      slot = new Slot(new TokenBucket(this.config, now));
      this.slots.set(key, slot);
    }
    const bucket = slot.bucket;
    out.allowed = bucket.consume(now);
    out.limit = bucket.capacity;
    out.remaining = Math.floor(bucket.available(now));
    out.resetMs = bucket.msUntil(now);
    return out;
  }

  /** Walks from the oldest key: a referenced one loses its bit and goes to the back, the first unreferenced one goes. */
  private evictOne(): void {
    for (const [key, slot] of this.slots) {
      this.slots.delete(key);
      if (!slot.referenced) {
        this.evictions++;
        return;
      }
      slot.referenced = false;
      this.slots.set(key, slot);
    }
  }

  get size(): number {
    return this.slots.size;
  }
}

export function emptyRateLimitResult(): RateLimitResult {
  return { allowed: true, limit: 0, remaining: 0, resetMs: 0 };
}
