import type { RouteConfig } from '../config/schema.ts';
import { CircuitBreaker } from '../breaker/circuit-breaker.ts';
import { KeyedRateLimiter } from '../rate-limit/keyed-rate-limiter.ts';
import { FaultInjector } from '../fault/fault-injector.ts';
import { RuleTrigger } from '../degradation/rule-trigger.ts';
import type { RouteDegradationConfig } from '../degradation/degradation-policy.ts';
import { parseRetryOn } from '../retry/retry-on.ts';
import type { RetryPolicy } from '../retry/retry-policy.ts';
import type { ClusterRuntime, EngineDeps } from './cluster-runtime.ts';

function retryPolicy(r: RouteConfig): RetryPolicy {
  const p = r.retry_policy;
  return Object.freeze({
    retry_on: parseRetryOn(p.retry_on),
    num_retries: p.num_retries,
    per_try_timeout: p.per_try_timeout,
    retry_back_off: p.retry_back_off,
    rate_limited_retry_back_off: p.rate_limited_retry_back_off,
    retriable_status_codes: p.retriable_status_codes,
    retriable_headers: p.retriable_headers,
    avoid_previous_hosts: p.avoid_previous_hosts,
    host_selection_retry_max_attempts: p.host_selection_retry_max_attempts,
    retry_non_idempotent: p.retry_non_idempotent,
    hedge_on_per_try_timeout: r.hedge_policy.hedge_on_per_try_timeout,
  });
}

function degradationConfig(r: RouteConfig): RouteDegradationConfig {
  const d = r.degradation;
  return Object.freeze({
    priority: r.priority,
    degraded_mode: d.mode,
    fallback_chain: d.fallback_chain,
    triggers: { breaker_open: d.triggers.breaker_open, no_healthy_host: d.triggers.no_healthy_host },
    trigger_mode: d.trigger_mode,
  });
}

/**
 * The per-route policies built from config: retry policy, state-machine breaker, local rate
 * limiter, fault injector and automatic degradation rules, bound to the route's cluster.
 */
export class RouteRuntime {
  readonly name: string;
  readonly config: RouteConfig;
  readonly cluster: ClusterRuntime;
  readonly fallbackCluster: ClusterRuntime | undefined;
  readonly retryPolicy: RetryPolicy;
  readonly degradation: RouteDegradationConfig;
  readonly breaker: CircuitBreaker | undefined;
  readonly rateLimiter: KeyedRateLimiter | undefined;
  readonly fault: FaultInjector | undefined;
  readonly rules: readonly RuleTrigger[];

  constructor(
    cfg: RouteConfig,
    cluster: ClusterRuntime,
    fallbackCluster: ClusterRuntime | undefined,
    deps: EngineDeps,
    previous?: RouteRuntime,
  ) {
    this.name = cfg.name;
    this.config = cfg;
    this.cluster = cluster;
    this.fallbackCluster = fallbackCluster;
    this.retryPolicy = retryPolicy(cfg);
    this.degradation = degradationConfig(cfg);
    // A reload keeps breaker state: reopening a half-healed upstream to full traffic is how reloads cause outages.
    if (cfg.circuit_breaker) {
      if (previous?.breaker) {
        previous.breaker.updateConfig(cfg.circuit_breaker);
        this.breaker = previous.breaker;
      } else {
        this.breaker = new CircuitBreaker(cfg.circuit_breaker, deps.clock);
      }
    }
    const rl = cfg.rate_limit;
    const sameLimit = rl && previous?.config.rate_limit && JSON.stringify(previous.config.rate_limit) === JSON.stringify(rl);
    this.rateLimiter = rl && rl.scope === 'local' ? (sameLimit ? previous.rateLimiter : new KeyedRateLimiter(rl.token_bucket, rl.max_keys)) : undefined;
    this.fault = cfg.fault
      ? new FaultInjector(
          { abort: cfg.fault.abort, delay: cfg.fault.delay, max_active_faults: cfg.fault.max_active_faults ?? Infinity },
          deps.random,
        )
      : undefined;
    this.rules = cfg.degradation.triggers.rules.map(r => new RuleTrigger(r, deps.clock, deps.random));
  }

  /** True if any automatic rule currently holds the route degraded. */
  ruleActive(): boolean {
    for (const r of this.rules) if (r.active) return true;
    return false;
  }

  /** Feeds an upstream outcome to the route's rules. */
  recordForRules(failure: boolean, latencyMs: number): void {
    for (const r of this.rules) r.record(failure, latencyMs);
  }
}
