import type { Random } from '../random.ts';
import type { ResourceLimits } from '../limits/resource-limits.ts';
import { ExponentialBackoff, parseResetInterval, rateLimitedDelay } from './backoff.ts';
import { GRPC_RETRY_ON, grpcRetryBit, ResetKind, RetryOn } from './retry-on.ts';
import { parseGrpcStatus } from '../grpc/grpc-status.ts';
import { isIdempotent, type RetryPolicy } from './retry-policy.ts';

/**
 * A retry decision. A value ≥ 0 means "retry after this many ms"; the negative constants say why
 * not. A number rather than an object keeps the decision allocation-free on the request path.
 */
export type RetryDecision = number;
export const NoRetry = {
  /** The outcome does not match `retry_on`, or the request was never retriable. */
  NotRetriable: -1,
  /** `num_retries` used up (Envoy flag URX). */
  LimitExceeded: -2,
  /** The cluster's retry limit or budget is full (Envoy flag UO). */
  Overflow: -3,
  /** The back-off would outlast the route deadline. */
  DeadlineExceeded: -4,
} as const;

export interface RetryStats {
  upstream_rq_retry: number;
  upstream_rq_retry_success: number;
  upstream_rq_retry_limit_exceeded: number;
  upstream_rq_retry_backoff_exponential: number;
  upstream_rq_retry_backoff_ratelimited: number;
}

export function emptyRetryStats(): RetryStats {
  return {
    upstream_rq_retry: 0,
    upstream_rq_retry_success: 0,
    upstream_rq_retry_limit_exceeded: 0,
    upstream_rq_retry_backoff_exponential: 0,
    upstream_rq_retry_backoff_ratelimited: 0,
  };
}

/**
 * The retry bookkeeping of one request (Envoy RetryStateImpl). The caller asks after each failed
 * attempt; a "yes" holds a retry slot in the cluster's limits until the next decision or `release()`.
 */
export class RetryState {
  private retriesRemaining: number;
  private holdingRetry = false;
  private backoff: ExponentialBackoff | undefined;
  private readonly enabled: boolean;
  private readonly grpcOnly: boolean;
  private readonly policy: RetryPolicy;
  private readonly limits: ResourceLimits;
  private readonly random: Random;
  private readonly stats: RetryStats;

  constructor(
    policy: RetryPolicy,
    method: string,
    limits: ResourceLimits,
    random: Random,
    stats: RetryStats,
    grpc = false,
  ) {
    this.policy = policy;
    this.limits = limits;
    this.random = random;
    this.stats = stats;
    this.retriesRemaining = policy.num_retries;
    this.enabled = policy.retry_on !== 0 && (policy.retry_non_idempotent || isIdempotent(method));
    // A gRPC call is a POST, but its gRPC conditions name the statuses the route's author declares
    // safe to retry (Envoy's x-envoy-retry-grpc-on applies to any method): those alone apply.
    this.grpcOnly = !this.enabled && grpc && (policy.retry_on & GRPC_RETRY_ON) !== 0;
  }

  /**
   * Decision after an attempt returned final response headers with `status`. `otherHost`: a host
   * this request has not tried is available, so (unless `apply_to_other_hosts`) no back-off.
   */
  onResponse(status: number, get: (name: string) => string | undefined, remainingMs: number, otherHost = false, wallNowMs = Date.now()): RetryDecision {
    if (!(this.enabled || this.grpcOnly) || !this.matchesResponse(status, get)) return this.decide(false, 0, remainingMs, false);
    let delay = -1;
    const rl = this.policy.rate_limited_retry_back_off;
    if (rl) {
      const interval = parseResetInterval(rl.reset_headers, get, rl.max_interval, wallNowMs);
      if (interval !== undefined && interval > 1) delay = rateLimitedDelay(interval, this.random);
    }
    return this.decide(true, delay, remainingMs, otherHost);
  }

  /** Decision after an attempt ended without response headers (`otherHost` as in onResponse). */
  onReset(kind: ResetKind, bytesSent: boolean, remainingMs: number, otherHost = false): RetryDecision {
    return this.decide(this.enabled && this.matchesReset(kind, bytesSent), -1, remainingMs, otherHost);
  }

  /**
   * The attempt got an answer that goes to the client without consulting `onResponse` (a 2xx the
   * caller did not need to check): a retried request that ends here is a retry success.
   */
  onAnswered(): void {
    if (this.holdingRetry) this.stats.upstream_rq_retry_success++;
    this.release();
  }

  /** Releases a held retry slot; call when the request ends. */
  release(): void {
    if (this.holdingRetry) {
      this.limits.releaseRetry();
      this.holdingRetry = false;
    }
  }

  /** Attempts so far are counted by the caller; this says how many retries are left. */
  get remaining(): number {
    return this.retriesRemaining;
  }

  private decide(retriable: boolean, rateLimitedDelayMs: number, remainingMs: number, otherHost: boolean): RetryDecision {
    if (this.holdingRetry && !retriable) this.stats.upstream_rq_retry_success++;
    this.release();
    if (!retriable) return NoRetry.NotRetriable;
    if (this.retriesRemaining === 0) {
      this.stats.upstream_rq_retry_limit_exceeded++;
      return NoRetry.LimitExceeded;
    }
    this.retriesRemaining--;
    let delay: number;
    const skipBackOff = rateLimitedDelayMs < 0 && otherHost && !this.policy.retry_back_off.apply_to_other_hosts;
    if (rateLimitedDelayMs >= 0) {
      delay = rateLimitedDelayMs;
    } else if (skipBackOff) {
      // The server did not ask us to wait and the retry goes elsewhere: the back-off sequence is
      // left where it was, so a later same-host retry starts from the base interval.
      delay = 0;
    } else {
      this.backoff ??= new ExponentialBackoff(
        this.policy.retry_back_off.base_interval,
        this.policy.retry_back_off.max_interval,
        this.random,
      );
      delay = this.backoff.nextDelay();
    }
    // Waiting past the deadline only to be cut by the route timeout helps nobody.
    if (delay >= remainingMs) return NoRetry.DeadlineExceeded;
    if (!this.limits.tryAcquireRetry()) return NoRetry.Overflow;
    this.holdingRetry = true;
    this.stats.upstream_rq_retry++;
    if (rateLimitedDelayMs >= 0) this.stats.upstream_rq_retry_backoff_ratelimited++;
    else if (!skipBackOff) this.stats.upstream_rq_retry_backoff_exponential++;
    return delay;
  }

  private matchesResponse(status: number, get: (name: string) => string | undefined): boolean {
    const on = this.policy.retry_on;
    // A gRPC call judged only by its gRPC conditions (see the constructor).
    if (this.grpcOnly) return (on & grpcRetryBit(parseGrpcStatus(get('grpc-status')))) !== 0;
    // An upstream that says it rate-limited us is retried only when asked for explicitly.
    if (get('x-envoy-ratelimited') !== undefined) return (on & RetryOn['envoy-ratelimited']) !== 0;
    if (on & RetryOn['5xx'] && status >= 500 && status <= 599) return true;
    if (on & RetryOn['gateway-error'] && (status === 502 || status === 503 || status === 504)) return true;
    if (on & RetryOn['retriable-4xx'] && status === 409) return true;
    if (on & RetryOn['retriable-status-codes'] && this.policy.retriable_status_codes.includes(status)) return true;
    if (on & GRPC_RETRY_ON && (on & grpcRetryBit(parseGrpcStatus(get('grpc-status')))) !== 0) return true;
    if (on & RetryOn['retriable-headers']) {
      for (const m of this.policy.retriable_headers) {
        const v = get(m.name);
        if (v !== undefined && (m.exact === undefined || v === m.exact)) return true;
      }
    }
    return false;
  }

  private matchesReset(kind: ResetKind, bytesSent: boolean): boolean {
    const on = this.policy.retry_on;
    if (kind === ResetKind.ConnectFailure && on & RetryOn['connect-failure']) return true;
    if (kind === ResetKind.RefusedStream && on & RetryOn['refused-stream']) return true;
    if (on & RetryOn['reset-before-request'] && !bytesSent) return true;
    // Every reset, timeout included, is "a 5xx" to Envoy's retry logic.
    return (on & (RetryOn.reset | RetryOn['5xx'] | RetryOn['gateway-error'])) !== 0;
  }
}
