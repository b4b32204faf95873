import type { Clock } from '../clock.ts';
import type { RateLimitResult } from './keyed-rate-limiter.ts';

/**
 * A limiter shared by every gateway instance (the gateway implements it on Redis). One call per
 * request; it may be slow or fail, which FailOpenLimiter turns into a bounded wait.
 */
export interface DistributedRateLimiter {
  check(key: string, cost: number): Promise<RateLimitResult>;
}

export type FailureMode = 'open' | 'closed';

export interface FailOpenStats {
  ok: number;
  over_limit: number;
  /** Allowed because the backend failed or was slower than the bound (Envoy failure_mode_allowed). */
  failure_mode_allowed: number;
  failure_mode_denied: number;
}

/**
 * Bounds a distributed limiter's latency. Past `timeoutMs`, or on error, the request is allowed
 * (fail open, the default, like Envoy's `failure_mode_deny: false`) or denied (fail closed). Failing
 * open makes "stop the limiter" a degradation lever rather than an outage.
 */
export class FailOpenLimiter {
  readonly stats: FailOpenStats = { ok: 0, over_limit: 0, failure_mode_allowed: 0, failure_mode_denied: 0 };
  private readonly inner: DistributedRateLimiter;
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly mode: FailureMode;

  constructor(inner: DistributedRateLimiter, clock: Clock, timeoutMs = 20, mode: FailureMode = 'open') {
    this.inner = inner;
    this.clock = clock;
    this.timeoutMs = timeoutMs;
    this.mode = mode;
  }

  check(key: string, cost = 1): Promise<RateLimitResult> {
    return new Promise(resolve => {
      let settled = false;
      const fallback = (): void => {
        if (settled) return;
        settled = true;
        cancel();
        if (this.mode === 'open') this.stats.failure_mode_allowed++;
        else this.stats.failure_mode_denied++;
        resolve({ allowed: this.mode === 'open', limit: 0, remaining: 0, resetMs: 0 });
      };
      const cancel = this.clock.setTimer(fallback, this.timeoutMs);
      this.inner.check(key, cost).then(r => {
        if (settled) return;
        settled = true;
        cancel();
        if (r.allowed) this.stats.ok++;
        else this.stats.over_limit++;
        resolve(r);
      }, fallback);
    });
  }
}
