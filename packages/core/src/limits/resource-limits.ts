import type { Priority } from '../degradation/priority.ts';
import { assertRange } from '../errors.ts';

/** Envoy's circuit-breaker thresholds for one routing priority. */
export interface ThresholdsConfig {
  readonly max_connections: number;
  readonly max_pending_requests: number;
  readonly max_requests: number;
  readonly max_retries: number;
  /** When set, replaces `max_retries` with a share of the active + pending requests. */
  readonly retry_budget?: { readonly budget_percent: number; readonly min_retry_concurrency: number } | undefined;
}

/**
 * Brownout's default retry limit: a budget of half the active requests, never under 32. Envoy's
 * default is a fixed `max_retries: 3` per cluster, which overflows (client-visible 503s, flag UO)
 * in an ordinary burst — one host of three failing while 20 requests are in flight. The budget
 * still caps retry amplification when concurrency is high: retries never exceed half the traffic.
 * A cluster that sets `max_retries` (and no `retry_budget`) gets Envoy's fixed limit.
 */
export const DEFAULT_RETRY_BUDGET = Object.freeze({ budget_percent: 50, min_retry_concurrency: 32 });

export const THRESHOLD_DEFAULTS: ThresholdsConfig = Object.freeze({
  max_connections: 1024,
  max_pending_requests: 1024,
  max_requests: 1024,
  max_retries: 3,
  retry_budget: DEFAULT_RETRY_BUDGET,
});

/**
 * Why admission failed. Overflow is its own result, never a host failure: Envoy stopped reporting
 * overflow to outlier detection (envoy#25487) because it ejected healthy hosts under load.
 */
export const Admission = {
  Admitted: 'admitted',
  RequestOverflow: 'request_overflow',
  PendingOverflow: 'pending_overflow',
} as const;
export type Admission = (typeof Admission)[keyof typeof Admission];

export interface LimitStats {
  upstream_rq_pending_overflow: number;
  upstream_rq_overflow: number;
  upstream_rq_retry_overflow: number;
  upstream_cx_overflow: number;
}

/**
 * Concurrency limits of one cluster at one priority — what Envoy calls circuit breakers. Named
 * "limits" here because Brownout also has a state-machine circuit breaker; see circuit-breaker.ts.
 * Single-threaded, so counts are exact (Envoy's shared atomics can overshoot briefly).
 */
export class ResourceLimits {
  connections = 0;
  pending = 0;
  requests = 0;
  retries = 0;
  readonly stats: LimitStats = {
    upstream_rq_pending_overflow: 0,
    upstream_rq_overflow: 0,
    upstream_rq_retry_overflow: 0,
    upstream_cx_overflow: 0,
  };
  private cfg: ThresholdsConfig;

  constructor(config: ThresholdsConfig = THRESHOLD_DEFAULTS) {
    this.cfg = validate(config);
  }

  get config(): ThresholdsConfig {
    return this.cfg;
  }

  /** Reload keeps the live counts: in-flight requests still release what they hold. */
  updateConfig(config: ThresholdsConfig): void {
    this.cfg = validate(config);
  }

  /** Attaches a request to the cluster; the caller must `releaseRequest()` when it ends. */
  tryAcquireRequest(): Admission {
    if (this.requests >= this.cfg.max_requests) {
      this.stats.upstream_rq_overflow++;
      return Admission.RequestOverflow;
    }
    this.requests++;
    return Admission.Admitted;
  }

  releaseRequest(): void {
    this.requests--;
  }

  /** Queues a request that waits for a connection. */
  tryAcquirePending(): Admission {
    if (this.pending >= this.cfg.max_pending_requests) {
      this.stats.upstream_rq_pending_overflow++;
      return Admission.PendingOverflow;
    }
    this.pending++;
    return Admission.Admitted;
  }

  releasePending(): void {
    this.pending--;
  }

  /**
   * Opens a connection. `hostHasNone` mirrors Envoy's anti-starvation rule: a host pool with no
   * connection at all may open one even over the limit.
   */
  tryAcquireConnection(hostHasNone = false): boolean {
    if (this.connections >= this.cfg.max_connections && !hostHasNone) {
      this.stats.upstream_cx_overflow++;
      return false;
    }
    this.connections++;
    return true;
  }

  releaseConnection(): void {
    this.connections--;
  }

  /**
   * Concurrent retries allowed now. With a budget: max(budget% × (active + pending), min), floored
   * as Envoy's integer conversion does; e.g. 20% of 14 active → 2.8 → 2, but never below the minimum.
   */
  maxRetries(): number {
    const b = this.cfg.retry_budget;
    if (!b) return this.cfg.max_retries;
    return Math.max(Math.floor((b.budget_percent * (this.requests + this.pending)) / 100), b.min_retry_concurrency);
  }

  /** Holds a retry slot from scheduling the retry until the retried attempt ends. */
  tryAcquireRetry(): boolean {
    if (this.retries >= this.maxRetries()) {
      this.stats.upstream_rq_retry_overflow++;
      return false;
    }
    this.retries++;
    return true;
  }

  releaseRetry(): void {
    this.retries--;
  }

  remaining(): { connections: number; pending: number; requests: number; retries: number } {
    return {
      connections: Math.max(0, this.cfg.max_connections - this.connections),
      pending: Math.max(0, this.cfg.max_pending_requests - this.pending),
      requests: Math.max(0, this.cfg.max_requests - this.requests),
      retries: Math.max(0, this.maxRetries() - this.retries),
    };
  }
}

function validate(c: ThresholdsConfig): ThresholdsConfig {
  assertRange('max_connections', c.max_connections, 1);
  assertRange('max_pending_requests', c.max_pending_requests, 0);
  assertRange('max_requests', c.max_requests, 1);
  assertRange('max_retries', c.max_retries, 0);
  if (c.retry_budget) {
    assertRange('retry_budget.budget_percent', c.retry_budget.budget_percent, 0, 100);
    assertRange('retry_budget.min_retry_concurrency', c.retry_budget.min_retry_concurrency, 0);
  }
  return Object.freeze({ ...c });
}

export const RoutingPriority = { Default: 'default', High: 'high' } as const;
export type RoutingPriority = (typeof RoutingPriority)[keyof typeof RoutingPriority];

/** Separate limits per routing priority, so high-priority traffic is not starved by default traffic. */
export class ClusterLimits {
  readonly default: ResourceLimits;
  readonly high: ResourceLimits;
  constructor(defaults?: ThresholdsConfig, high?: ThresholdsConfig) {
    this.default = new ResourceLimits(defaults);
    this.high = new ResourceLimits(high);
  }
  forPriority(p: RoutingPriority): ResourceLimits {
    return p === RoutingPriority.High ? this.high : this.default;
  }

  /** The limits a route's traffic counts against: `critical` and `high` routes use the high-priority set. */
  forRoute(p: Priority): ResourceLimits {
    return p === 'critical' || p === 'high' ? this.high : this.default;
  }
}
