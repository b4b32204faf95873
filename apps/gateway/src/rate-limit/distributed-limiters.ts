import type { Logger } from 'pino';
import { FailOpenLimiter, systemClock } from '@brownout/core';
import type { GatewayConfig } from '@brownout/core/config';
import type { AnyRedis } from '@brownout/control-plane';
import { RedisRateLimiter } from './redis-rate-limiter.ts';

/**
 * (Re)builds the shared limiters of the routes with `rate_limit.scope: distributed`: one GCRA
 * call per request on Redis, bounded to 20 ms and failing open. Without Redis such a route is not
 * limited, and that is said loudly rather than ignored.
 */
export function buildDistributedLimiters(cfg: GatewayConfig, redis: AnyRedis | undefined, into: Map<string, FailOpenLimiter>, log: Logger): void {
  into.clear();
  for (const r of cfg.routes) {
    const rl = r.rate_limit;
    if (rl?.scope !== 'distributed') continue;
    if (!redis) {
      log.warn({ route: r.name }, 'rate_limit.scope "distributed" needs REDIS_URL (fleet mode): the route is not rate limited');
      continue;
    }
    into.set(r.name, new FailOpenLimiter(new RedisRateLimiter(redis, r.name, rl.token_bucket), systemClock, 20, 'open'));
  }
}
