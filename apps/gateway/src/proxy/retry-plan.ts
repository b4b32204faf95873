import { NoRetry, RetryState, systemRandom, timerDelay, type ClusterRuntime, type Host, type ResourceLimits } from '@brownout/core';
import type { GatewayMetrics } from '../observability/metrics.ts';
import type { RequestContext } from '../pipeline/request-context.ts';

/** The request a retry plan belongs to: asked to try again when the plan's wait is over. */
export interface RetryOwner {
  retryNow(): void;
}

/**
 * One request's retries: the engine's retry decisions (RetryState: retry_on, budgets, back-off),
 * the hosts already tried, and the wait before the next attempt. Made only for a request that
 * meets its first retry decision (an error status or a reset): most requests never do.
 */
export class RetryPlan {
  readonly state: RetryState;
  /** Hosts tried so far (for avoid_previous_hosts), in order. */
  tried: Host[] | undefined;
  private readonly ctx: RequestContext;
  private readonly cluster: ClusterRuntime;
  private readonly metrics: GatewayMetrics;
  private readonly owner: RetryOwner;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;

  constructor(ctx: RequestContext, cluster: ClusterRuntime, method: string, limits: ResourceLimits, metrics: GatewayMetrics, owner: RetryOwner) {
    this.ctx = ctx;
    this.cluster = cluster;
    this.metrics = metrics;
    this.owner = owner;
    this.state = new RetryState(ctx.route.retryPolicy, method, limits, systemRandom, cluster.retryStats, ctx.grpc !== undefined);
  }

  /**
   * Whether a retry after `failed` can go to a host this request has not tried (so it need not
   * back off). Only with avoid_previous_hosts: without it the next pick may be the same host.
   */
  otherHostAfter(failed: Host): boolean {
    if (!this.ctx.route.retryPolicy.avoid_previous_hosts) return false;
    const tried = this.tried;
    if (!tried) return this.cluster.hasUntriedHost([failed]);
    return this.cluster.hasUntriedHost(tried.includes(failed) ? tried : [...tried, failed]);
  }

  /** The next attempt after `delay` ms (the back-off), having tried `host`. */
  schedule(host: Host, delay: number): void {
    (this.tried ??= []).push(host);
    this.metrics.retry(this.cluster.name);
    // No back-off (another host): the next turn of the event loop, not a 1 ms timer — and never
    // synchronously, inside undici's callback for the attempt that just failed.
    if (delay === 0) {
      this.immediate = setImmediate(() => {
        this.immediate = undefined;
        this.owner.retryNow();
      });
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.owner.retryNow();
    }, timerDelay(delay));
  }

  /** The request ended: no attempt is pending any more, and the retry budget is given back. */
  end(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.state.release();
  }
}

/** Why a request that wanted a retry got none, as Envoy's response flags say it. */
export function noteNoRetry(ctx: RequestContext, decision: number): void {
  if (decision === NoRetry.LimitExceeded && ctx.attempts > 1) ctx.addFlag('URX');
  else if (decision === NoRetry.Overflow) ctx.addFlag('UO');
}
