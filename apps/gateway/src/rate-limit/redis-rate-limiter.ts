import { RATE_LIMIT_PREFIX, type AnyRedis } from '@brownout/control-plane';
import type { DistributedRateLimiter, RateLimitResult, TokenBucketConfig } from '@brownout/core';

/**
 * GCRA (the generic cell rate algorithm, a token bucket kept as one timestamp) in one Lua call:
 * one round trip per request, atomic across every gateway, and timed by the Redis server's clock
 * so gateways with skewed clocks still agree. Equivalent to the local bucket: `max_tokens` burst,
 * one token every `fill_interval / tokens_per_fill`.
 * KEYS[1] = bucket key; ARGV = emission interval (µs), burst, cost. Returns {allowed, remaining, reset_ms}.
 */
const GCRA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval * cost
local allow_at = new_tat - burst * interval
if now < allow_at then
  local remaining = math.floor((now - (tat - burst * interval)) / interval)
  return {0, remaining, math.ceil((allow_at - now) / 1000)}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000) + 1)
return {1, math.floor((now - (new_tat - burst * interval)) / interval), math.ceil(interval / 1000)}
`;

type GcraRedis = AnyRedis & {
  brownoutGcra(key: string, intervalUs: number, burst: number, cost: number): Promise<[number, number, number]>;
};

export class RedisRateLimiter implements DistributedRateLimiter {
  private readonly redis: GcraRedis;
  private readonly prefix: string;
  private readonly intervalUs: number;
  private readonly burst: number;

  constructor(redis: AnyRedis, route: string, bucket: TokenBucketConfig) {
    if (!('brownoutGcra' in redis)) redis.defineCommand('brownoutGcra', { numberOfKeys: 1, lua: GCRA });
    this.redis = redis as GcraRedis;
    this.prefix = `${RATE_LIMIT_PREFIX}${route}:`;
    this.intervalUs = Math.round((bucket.fill_interval * 1000) / bucket.tokens_per_fill);
    this.burst = bucket.max_tokens;
  }

  async check(key: string, cost: number): Promise<RateLimitResult> {
    const [allowed, remaining, resetMs] = await this.redis.brownoutGcra(this.prefix + key, this.intervalUs, this.burst, cost);
    return { allowed: allowed === 1, limit: this.burst, remaining: Math.max(0, remaining), resetMs };
  }
}
